#!/usr/bin/env bash
# checkpoint.sh [-n SIZE] [-r RANKS] [BUILD_DIR]
# ftmpi's checkpoint time against raw CRIU on the same processes: jacobi2d (SIZE x SIZE,
# default 2048: about 70 MB per rank) runs under ftmpi-launch --mode transparent; three
# checkpoints are requested with ftmpi-ctl, each from the quiesce's start to its manifest
# (MANIFEST.json's total_ms: quiesce, every rank's dump, checksums, manifest); then
# `criu dump --leave-running` of the same application processes, one after the other
# (ftmpi's lock held, so the two never overlap), three times.  Prints the medians and
# their ratio.  Target (checkpoint issue): at most 1.2.  Needs root.
set -euo pipefail
size=2048 ranks=2
while getopts "n:r:h" opt; do
  case $opt in
    n) size=$OPTARG ;;
    r) ranks=$OPTARG ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
bin=$build/bin
work=$(mktemp -d)
job=0
# The job, and its application processes (in sessions of their own).
stop_job() {
  [[ $job -gt 0 ]] && kill -9 -- "-$job" 2>/dev/null
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
pids=()
trap 'stop_job || true' EXIT
cd "$work"
criu=$(FTMPI_LOG_LEVEL=debug "$bin/ftmpi-launch" --allow-run-as-root --mode transparent --dry-run -np 1 /bin/true 2>&1 >/dev/null | sed -n 's/.*CRIU: \([^ ]*\) .*/\1/p')
[[ -n $criu ]] || criu=/opt/ftmpi/criu/bin/criu

setsid "$bin/ftmpi-launch" --allow-run-as-root --oversubscribe --no-trace --mode transparent \
  --ckpt-dir ck --ckpt-keep 10 -np "$ranks" "$bin/jacobi2d" -n "$size" -i 100000 --sleep-ms 5 \
  >job.out 2>job.err &
job=$!
for _ in $(seq 100); do [[ -e ck/job.txt ]] && break; sleep 0.1; done
sleep 2
ftmpi=()
for i in 1 2 3; do
  dir=$("$bin/ftmpi-ctl" checkpoint --job ck --wait 120)
  ftmpi+=("$(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['total_ms'])" "$dir/MANIFEST.json")")
done
bytes=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bytes'])" "$dir/MANIFEST.json")
pids=()
for e in /proc/[0-9]*/environ; do
  p=${e#/proc/}
  p=${p%/environ}
  [[ $(cat "/proc/$p/comm" 2>/dev/null) == jacobi2d ]] || continue
  tr '\0' '\n' <"$e" 2>/dev/null | grep -q "^FTMPI_CHANNEL=" && pids+=("$p")
done 2>/dev/null
raw=()
for i in 1 2 3; do
  t0=$(date +%s%N)
  for p in "${pids[@]}"; do
    rm -rf "raw-$p" && mkdir "raw-$p"
    flock /dev/shm/ftmpi-criu-dump.lock "$criu" dump -t "$p" -D "raw-$p" --leave-running -o dump.log ||
      { tail -3 "raw-$p/dump.log"; exit 1; }
  done
  t1=$(date +%s%N)
  raw+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f=$(median "${ftmpi[@]}")
r=$(median "${raw[@]}")
printf '%-28s %12s %12s %8s\n' "checkpoint of" "raw criu ms" "ftmpi ms" ratio
printf '%-28s %12.1f %12.1f %8.3f\n' "jacobi2d ${size}^2 x $ranks ($((bytes / 1048576)) MB)" "$r" "$f" \
  "$(awk -v a="$f" -v b="$r" 'BEGIN { print a / b }')"
