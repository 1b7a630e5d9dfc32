#!/usr/bin/env bash
# migrate.sh [-s "SIZES"] [-w PART] [BUILD_DIR]
# A migration's downtime against raw CRIU on the same process, for each memory size per
# migrating rank (MiB, default "64 512 2048").  memhog (SIZE MiB per rank, 1/PART of it
# rewritten every iteration, default 8; 1: all of it) runs on 2 ranks over 2 simulated
# nodes (one rank each) and a spare; `ftmpi-ctl migrate` moves node 2's rank to the
# spare, and the downtime is the one the job's new rank 0 reports (from the quiesce's
# start until every rank goes on).  Three times per size: with --precopy (the next MPI
# layer started and the rank's arena copied while the job runs on, the final dump
# adding what changed since), with --no-precopy, the default (the layer started
# beforehand, the whole arena copied at the dump) and with --no-prelaunch (the MPI
# layer relaunched after the dump, its start inside the downtime).  Then, on the
# migrated application process, `criu dump` and `criu restore` of the same images,
# timed and added.  Prints the four and the ratios to raw CRIU, then each downtime's
# phases as ftmpi-launch reports them.
# Target (migration issue): downtime with pre-copy below 1 s for 512 MiB.  Needs root
# and cgroup v1 (ftmpi-cluster).
set -euo pipefail
sizes="64 512 2048"
part=8
while getopts "s:w:h" opt; do
  case $opt in
    s) sizes=$OPTARG ;;
    w) part=$OPTARG ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
build=$(cd "${1:-$(dirname "$0")/../build}" && pwd)
bin=$build/bin
work=$(mktemp -d)
export FTMPI_CLUSTER_ROOT=$work/clusters
# The jobs are ended with SIGKILL: what ftmpi-launch leaves in TMPDIR goes with $work.
export TMPDIR=$work
name=bm$$
job=0
kill_job_processes() {
  local p
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}
    p=${p%/environ}
    tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "FTMPI_CKPT_DIR=$work/ck" && kill -9 "$p" 2>/dev/null
  done 2>/dev/null
  true
}
cleanup() {
  [[ $job -gt 0 ]] && kill -9 -- "-$job" 2>/dev/null
  kill_job_processes
  "$bin/ftmpi-cluster" down --name "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap 'cleanup || true' EXIT
cd "$work"
criu=$(FTMPI_LOG_LEVEL=debug "$bin/ftmpi-launch" --allow-run-as-root --dry-run -np 1 /bin/true 2>&1 >/dev/null | sed -n 's/.*CRIU: \([^ ]*\) .*/\1/p')
[[ -n $criu ]] || criu=/opt/ftmpi/criu/bin/criu

# The application process of rank RANK of the job (its channel's name ends in -RANK.channel).
app_pid() {
  local p
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}
    p=${p%/environ}
    tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "FTMPI_CKPT_DIR=$work/ck" || continue
    tr '\0' '\n' 2>/dev/null <"$e" | grep -q "^FTMPI_CHANNEL=.*-$1\.channel$" && { echo "$p"; return; }
  done
}
ms_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

echo "memhog rewrites 1/$part of its memory every iteration"

# migrate SIZE [LAUNCH OPTION...]: the job up, rank 1's memory resident, node 2 moved
# to the spare; sets $downtime (ms).  The job is left running on the spare.
migrate() {
  local size=$1 pid rss line
  shift
  "$bin/ftmpi-cluster" up --name "$name" --nodes 2 --spares 1 --cpus 1 >/dev/null
  rm -rf ck
  setsid "$bin/ftmpi-launch" --allow-run-as-root --cluster "$name" --no-trace --ckpt-dir ck "$@" \
    -np 2 "$bin/memhog" -m "$size" -w "$((size / part))" -i 1000000 --sleep-ms 200 \
    >job.out 2>job.err &
  job=$!
  # Until rank 1's memory is all there (resident).
  pid=""
  for _ in $(seq 600); do
    pid=$(app_pid 1)
    if [[ -n $pid ]]; then
      rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [[ ${rss:-0} -ge $((size * 1024)) ]] && break
    fi
    sleep 0.1
  done
  "$bin/ftmpi-ctl" migrate --job ck --node "$name-n2" --wait 600 >/dev/null
  for _ in $(seq 600); do
    grep -q "resumed on" job.err && break
    sleep 0.1
  done
  line=$(grep "resumed on" job.err) || { cat job.err; exit 1; }
  downtime=$(sed -n 's/.*after \([0-9.]*\) s of downtime.*/\1/p' <<<"$line" | awk '{print $1 * 1000}')
  phases=$(sed -n 's/.*s of downtime (\(.*\))$/\1/p' <<<"$line")
  # Why a pre-copy was not used, if it was not.
  sed -n 's/.*not pre-copied (\(.*\)); .*/  (no pre-copy: \1)/p' job.err
}
# stop: the job and the cluster gone.
stop() {
  [[ $job -gt 0 ]] && kill -9 -- "-$job" 2>/dev/null
  job=0
  kill_job_processes
  sleep 0.5
  "$bin/ftmpi-cluster" down --name "$name" >/dev/null
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

printf '%-10s %12s %12s %7s %14s %7s %12s %7s\n' "MiB/rank" "raw criu ms" "pre-copy ms" ratio \
  "prelaunch ms" ratio "relaunch ms" ratio
for size in $sizes; do
  migrate "$size" --no-prelaunch
  relaunched=$downtime
  relaunched_phases=$phases
  stop
  migrate "$size" --no-precopy
  prelaunched=$downtime
  prelaunched_phases=$phases
  stop
  migrate "$size" --precopy
  precopied=$downtime
  precopied_phases=$phases
  # Raw CRIU on the migrated process: its dump (left running, so that the job can be
  # ended first: it would abort when its rank's application went), then, with the job
  # gone, its restore with its stdio pipes.
  sleep 1
  pid=$(app_pid 1)
  keys="$(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2")"
  rm -rf raw && mkdir raw
  t0=$(date +%s%N)
  "$criu" dump -t "$pid" -D raw --leave-running -o dump.log || { tail -3 raw/dump.log; exit 1; }
  dump_ms=$(ms_since "$t0")
  kill -9 -- "-$job" 2>/dev/null || true
  job=0
  kill_job_processes
  sleep 0.5
  exec {in}<> <(:) {out}<> <(:) {err}<> <(:)
  read -r k0 k1 k2 <<<"$keys"
  t0=$(date +%s%N)
  "$criu" restore -D raw -W raw -o restore.log -d --pidfile "$work/raw/pid" \
    --inherit-fd "fd[$in]:$k0" --inherit-fd "fd[$out]:$k1" --inherit-fd "fd[$err]:$k2" ||
    { tail -3 raw/restore.log; exit 1; }
  restore_ms=$(ms_since "$t0")
  exec {in}>&- {out}>&- {err}>&-
  kill -9 "$(cat raw/pid)" 2>/dev/null || true
  raw_ms=$(awk -v a="$dump_ms" -v b="$restore_ms" 'BEGIN { print a + b }')
  stop
  printf '%-10s %12.1f %12.1f %7s %14.1f %7s %12.1f %7s\n' "$size" "$raw_ms" "$precopied" \
    "$(ratio "$precopied" "$raw_ms")" "$prelaunched" "$(ratio "$prelaunched" "$raw_ms")" \
    "$relaunched" "$(ratio "$relaunched" "$raw_ms")"
  printf '  raw criu: dump %s ms, restore %s ms\n' "$dump_ms" "$restore_ms"
  printf '  pre-copy: %s\n  prelaunch: %s\n  relaunch: %s\n' "$precopied_phases" \
    "$prelaunched_phases" "$relaunched_phases"
done
