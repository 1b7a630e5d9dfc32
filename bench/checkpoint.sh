#!/usr/bin/env bash
# checkpoint.sh [-n SIZE] [-r RANKS] [BUILD_DIR]
# ftmpi's checkpoint and restart times against raw CRIU on the same processes: jacobi2d
# (SIZE x SIZE, default 2048: about 35 MB per rank on 2 ranks) runs under ftmpi-launch
# --mode transparent; three checkpoints are requested with ftmpi-ctl, each from the
# quiesce's start to its manifest (MANIFEST.json's total_ms: quiesce, every rank's dump,
# checksums, manifest); then `criu dump --leave-running` of the same application
# processes, one after the other (ftmpi's lock held, so the two never overlap), three
# times.  Then the job is killed and restarted from its last checkpoint three times
# (ftmpi-launch --restart, from its start until every rank proxy reports its
# application restored and its MPI objects rebuilt: mpirun, MPI_Init, checksums, CRIU
# restore, replay), against `criu restore` of the same images, one rank after the
# other, three times.  Prints the medians and their ratios.  Target (checkpoint issue):
# checkpoint at most 1.2.  Needs root.
set -euo pipefail
size=2048 ranks=2
while getopts "n:r:h" opt; do
  case $opt in
    n) size=$OPTARG ;;
    r) ranks=$OPTARG ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
bin=$build/bin
work=$(mktemp -d)
job=0
# The job's application processes (in sessions of their own): those whose environment
# names the job's checkpoint directory.
kill_job_processes() {
  local p
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}
    p=${p%/environ}
    tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "FTMPI_CKPT_DIR=$work/ck" && kill -9 "$p" 2>/dev/null
  done 2>/dev/null
  true
}
stop_job() {
  [[ $job -gt 0 ]] && kill -9 -- "-$job" 2>/dev/null
  kill_job_processes
  rm -rf "$work"
}
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
  tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "FTMPI_CKPT_DIR=$work/ck" && pids+=("$p")
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

# Restart.  Each application process's rank and stdio pipes (what its images refer to).
declare -A rank_of=() keys_of=()
for p in "${pids[@]}"; do
  rank_of[$p]=$(tr '\0' '\n' <"/proc/$p/environ" | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
  keys_of[$p]="$(readlink "/proc/$p/fd/0") $(readlink "/proc/$p/fd/1") $(readlink "/proc/$p/fd/2")"
done
kill -9 -- "-$job" 2>/dev/null
job=0
kill_job_processes
sleep 0.5
restart=() restore_phase=()
for i in 1 2 3; do
  t0=$(date +%s%N)
  setsid "$bin/ftmpi-launch" --allow-run-as-root --oversubscribe --no-trace --restart "$dir" \
    >restart.out 2>restart.err &
  job=$!
  for _ in $(seq 3000); do
    [[ $(grep -c "restarted from" restart.err) -ge $ranks ]] && break
    kill -0 "$job" 2>/dev/null || { cat restart.err; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  restart+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')")
  restore_phase+=($(sed -n 's/.*restarted from .*; restore \([0-9.]*\) ms.*/\1/p' restart.err))
  kill -9 -- "-$job" 2>/dev/null
  job=0
  kill_job_processes
  sleep 0.5
done
raw_restore=()
for i in 1 2 3; do
  restored=()
  t0=$(date +%s%N)
  for p in "${pids[@]}"; do
    w="$work/raw-restore-$p"
    rm -rf "$w" && mkdir "$w"
    inherit=()
    exec {in}<> <(:) {out}<> <(:) {err}<> <(:)
    read -r k0 k1 k2 <<<"${keys_of[$p]}"
    inherit=(--inherit-fd "fd[$in]:$k0" --inherit-fd "fd[$out]:$k1" --inherit-fd "fd[$err]:$k2")
    "$criu" restore -D "$dir/rank-${rank_of[$p]}" -W "$w" -o restore.log -d \
      --pidfile "$w/pid" "${inherit[@]}" || { tail -3 "$w/restore.log"; exit 1; }
    exec {in}>&- {out}>&- {err}>&-
    restored+=("$(cat "$w/pid")")
  done
  t1=$(date +%s%N)
  kill -9 "${restored[@]}" 2>/dev/null || true
  raw_restore+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
what="jacobi2d ${size}^2 x $ranks ($((bytes / 1048576)) MB)"
f=$(median "${ftmpi[@]}")
r=$(median "${raw[@]}")
printf '%-40s %14s %12s %8s\n' "" "raw criu ms" "ftmpi ms" ratio
printf '%-40s %14.1f %12.1f %8.3f\n' "checkpoint of $what" "$r" "$f" "$(ratio "$f" "$r")"
f=$(median "${restart[@]}")
r=$(median "${raw_restore[@]}")
printf '%-40s %14.1f %12.1f %8.3f\n' "restart of $what" "$r" "$f" "$(ratio "$f" "$r")"
p=$(median "${restore_phase[@]}")
printf '%-40s %14s %12.1f\n' "  of which a rank's restore phase" "" "$p"
