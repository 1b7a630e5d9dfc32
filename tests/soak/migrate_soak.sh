#!/usr/bin/env bash
# migrate_soak.sh [-r RUNS] [-m MIGRATIONS] [-j JOBS] [-p] [-o DIR] [PREFIX]
# Soak run of live migration: RUNS times (default 20), a job of pending_requests (a
# program that always holds requests) on 4 ranks of a fresh simulated cluster of 2 nodes
# and MIGRATIONS spares (default 6) is migrated MIGRATIONS times in a row with
# ftmpi-ctl (n2 -> n3, n1 -> n4, n3 -> n5, ...), then stopped.  -j runs JOBS such loops
# side by side (default 1), -p migrates with --precopy.  A run fails when a migration is
# refused or not done within 25 s; its job's output, ftmpi-ctl's answers, the state of
# every process of the machine (wchan, traced or stopped ones, CRIU runs) and
# backtraces of the job's ftmpi processes go to DIR/fail-JOB-RUN (default: a new folder
# under /tmp).  At the end: runs, migrations, failures, the kernel's "workqueue lockup"
# reports (dmesg) and the longest time a sleeping process waited for a CPU, both over
# the soak.  PREFIX is a build folder (default: the source tree's build/) or, so that a
# rebuild cannot pull the binaries from under a long soak, an installed copy (cmake
# --install build --prefix PREFIX) with build/tests/bin/pending_requests copied to
# PREFIX/tests/bin.  Needs root (simulated clusters, CRIU).
set -uo pipefail
runs=20 migrations=6 jobs=1 precopy=--no-precopy out=
while getopts "r:m:j:po:h" opt; do
  case $opt in
    r) runs=$OPTARG ;;
    m) migrations=$OPTARG ;;
    j) jobs=$OPTARG ;;
    p) precopy=--precopy ;;
    o) out=$OPTARG ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
prefix=$(readlink -f "${1:-$(dirname "$0")/../../build}")
bin=$prefix/bin
app=$prefix/tests/bin/pending_requests
for f in "$bin/ftmpi-launch" "$bin/ftmpi-ctl" "$bin/ftmpi-cluster" "$app"; do
  [[ -x $f ]] || { echo "migrate_soak.sh: $f not found (PREFIX: a build folder or an installed copy)" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "migrate_soak.sh: needs root (simulated clusters, CRIU)" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/migrate-soak.XXXXXX)}
mkdir -p "$out"
out=$(readlink -f "$out")
export FTMPI_CLUSTER_ROOT=$out/clusters

# A sleeper that notes how late it wakes, and the kernel's lockup reports: the machine's
# stalls.
source "$(dirname "$0")/../tools/stall_watch.sh"
stall_watch_start "$out/worst-wakeup"
trap 'kill "$stall_pid" 2>/dev/null || true' EXIT

# diag DIR: what the job writing to DIR/ck and the machine are doing.
diag() {
  local dir=$1 pids=() e p
  echo "== $(date +%T.%N)"
  ls -la --time-style=+%T.%N "$dir/ck" "$dir/ck/prelaunch" "$dir/ck/precopy" 2>&1
  cat "$dir/ck/job.txt" 2>&1
  echo "== every process (not kernel threads)"
  ps -eo pid,ppid,stat,wchan:30,etimes,comm,args --no-headers | grep -v " \[" | cut -c1-220
  echo "== stopped, traced or zombie"
  for e in /proc/[0-9]*/status; do
    p=${e#/proc/}
    p=${p%/status}
    local state tracer
    state=$(awk '/^State:/{print $2}' "$e" 2>/dev/null)
    tracer=$(awk '/^TracerPid:/{print $2}' "$e" 2>/dev/null)
    [[ $state == [tTZD] || ${tracer:-0} != 0 ]] || continue
    echo "pid $p state $state tracer $tracer comm $(cat "/proc/$p/comm" 2>/dev/null)"
    sed 's/^/  /' "/proc/$p/stack" 2>/dev/null | head -n 8
  done
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}
    p=${p%/environ}
    tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "FTMPI_CKPT_DIR=$dir/ck" && pids+=("$p")
  done
  for p in "${pids[@]}" $(pgrep -x ftmpi-launch); do
    case $(cat "/proc/$p/comm" 2>/dev/null) in
      ftmpi-launch | ftmpi-proxy | ftmpi-predicto*) ;;
      *) continue ;;
    esac
    echo "== backtrace of $p ($(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-120))"
    timeout 30 gdb -batch -ex "thread apply all bt 12" -p "$p" 2>&1 | grep -E "^#|^Thread" | cut -c1-200
  done
}

# loop TAG: RUNS runs; prints a line per run.
loop() {
  local tag=$1 n
  for ((n = 1; n <= runs; n++)); do
    local name=s${tag}r$n dir=$out/run-$tag ok=1 done_here=0 k
    rm -rf "$dir"
    mkdir -p "$dir"
    if ! "$bin/ftmpi-cluster" up --name "$name" --nodes 2 --spares "$migrations" >"$dir/up.out" 2>&1; then
      mv "$dir" "$out/fail-$tag-$n"
      echo "job $tag run $n: FAILED: no cluster: $(tail -n 1 "$out/fail-$tag-$n/up.out")"
      continue
    fi
    (cd "$dir" && FTMPI_LOG_LEVEL=info exec "$bin/ftmpi-launch" --allow-run-as-root --cluster "$name" \
      --sample-interval 0.2 "$precopy" --no-trace --ckpt-dir ck -np 4 "$app" 100000 40 \
      >job.out 2>job.err) &
    local job=$!
    for _ in $(seq 240); do
      [[ -f $dir/ck/job.txt ]] && break
      sleep 0.5
    done
    sleep 2
    # n2 -> n3, n1 -> n4, n3 -> n5, n4 -> n6, ...: each node's ranks move to a fresh spare.
    local from=(2 1)
    for ((k = 0; k < migrations; k++)); do
      local src=${from[k % 2]} dst=$((k + 3))
      if ! "$bin/ftmpi-ctl" migrate --job "$dir/ck" --node "$name-n$src" --to "$name-n$dst" \
        --wait 25 >>"$dir/ctl.out" 2>&1; then
        ok=0
        diag "$dir" >"$dir/diag.txt" 2>&1
        break
      fi
      from[k % 2]=$dst
      done_here=$((done_here + 1))
      sleep 1
    done
    kill "$job" 2>/dev/null
    wait "$job" 2>/dev/null
    "$bin/ftmpi-cluster" down --name "$name" >/dev/null 2>&1
    echo "$done_here" >>"$out/migrated-$tag"
    if [[ $ok == 1 ]]; then
      rm -rf "$dir"
      echo "job $tag run $n: $done_here migrations"
    else
      mv "$dir" "$out/fail-$tag-$n"
      echo "job $tag run $n: FAILED after $done_here migrations: $(tail -n 1 "$out/fail-$tag-$n/ctl.out") ($out/fail-$tag-$n)"
    fi
  done
}

loops=()
for ((j = 1; j <= jobs; j++)); do
  loop "$j" &
  loops+=($!)
  sleep 5
done
wait "${loops[@]}"
stalls=$(stall_watch_stop || true)
failures=$(find "$out" -maxdepth 1 -name "fail-*" | wc -l)
moved=$(cat "$out"/migrated-* 2>/dev/null | awk '{s += $1} END {print s + 0}')
echo "migrate_soak.sh: $((runs * jobs)) runs, $moved migrations ($precopy), $failures failed;" \
  "$stalls; in $out"
[[ $failures -eq 0 ]]
