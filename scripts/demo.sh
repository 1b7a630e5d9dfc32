#!/usr/bin/env bash
# demo.sh: sets up the machine, builds ftmpi and runs the main job: the jacobi2d heat
# stencil on 4 ranks under ftmpi-launch (transparent mode), checkpointed every second
# and sampled into a job trace, on a simulated cluster of 2 nodes (800 MiB each) and 2
# spares.  Midway a memory leak starts on one node: the predictor rank sees the node's
# memory heading for its limit and moves the node's ranks to a spare while the job goes
# on (the other ranks' processes are neither stopped nor dumped), before the node's OOM
# killer strikes; later the other node is lost without warning (every process on it
# killed with SIGKILL) and the job goes back to its last checkpoint on the other spare.  The result is checked against a serial run of the same
# computation, then the traces are shown (summary, and plots to open in a browser).
# Where simulated nodes cannot be made (they need root and cgroup v1), the job runs on
# this node and is crashed (every process killed) and restarted from its checkpoint.
# FTMPI_DEMO_ARGS changes the problem (default "-n 512 -i 5000 -s 5").
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FTMPI_BUILD_DIR:-$src/build}
read -r -a args <<<"${FTMPI_DEMO_ARGS:--n 512 -i 5000 -s 5}"

"$src/scripts/setup.sh"
"$src/scripts/build.sh" "$build" >/dev/null
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
demo="$build/demo"
rm -rf "$demo"
mkdir -p "$demo"
ckpt="$demo/jacobi2d.ckpt"
launch=("$build/bin/ftmpi-launch" "${root[@]}" --oversubscribe --sample-interval 0.5)
want=$("$build/tests/bin/ftmpi-reference" jacobi2d "${args[@]}")

# check OUT HOW: the job's result against the serial reference.
check() {
  local got
  got=$(tail -n 1 "$1")
  echo
  echo "== the same computation, serial and independent of MPI"
  echo "$want"
  if [[ $got != "$want" ]]; then
    echo "== result: DIFFERENT from the serial reference ($got vs $want)" >&2
    exit 1
  fi
  echo "== result: identical to the serial reference, bit for bit, after $2"
}

# show TRACE...: each trace's summary, and a plot of each.
show() {
  local plots=()
  for t in "$@"; do
    echo
    echo "== ftmpi-trace summary $t"
    "$build/bin/ftmpi-trace" summary "$t"
    "$build/bin/ftmpi-trace" plot "$t" -o "${t%.h5}.svg"
    plots+=("${t%.h5}.svg")
  done
  echo
  echo "== plots: ${plots[*]}   (CSV: ftmpi-trace export TRACE)"
}

# newest: the number of the newest complete checkpoint (0: none).
newest() {
  ls -d "$ckpt"/ckpt-*/MANIFEST.json 2>/dev/null | sed 's|.*/ckpt-0*\([0-9]*\)/.*|\1|' | sort -n |
    tail -1 | grep . || echo 0
}

# wait_for_checkpoints NUMBER PID: until checkpoint NUMBER or a later one is complete
# (PID must run meanwhile).
wait_for_checkpoints() {
  for _ in $(seq 600); do
    [[ $(newest) -ge $1 ]] && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  cat "$demo/job.out" "$demo/job.err" >&2
  echo "== the job ended before the demo was through: give it more work (FTMPI_DEMO_ARGS)" >&2
  exit 1
}

cluster_demo() {
  local c=demo$$ job leak
  export FTMPI_CLUSTER_ROOT=$demo/clusters
  trap '"$build/bin/ftmpi-cluster" down --name '"$c"' >/dev/null 2>&1 || true' EXIT
  echo
  echo "== ftmpi demo: a simulated cluster of 2 nodes (800 MiB each) and 2 spares"
  echo "\$ ftmpi-cluster up --name $c --nodes 2 --spares 2 --memory 800"
  "$build/bin/ftmpi-cluster" up --name "$c" --nodes 2 --spares 2 --memory 800
  echo
  echo "== jacobi2d on 4 ranks (2 per node), transparent mode, a checkpoint every second"
  echo "\$ ftmpi-launch --cluster $c --ckpt-dir $ckpt --ckpt-interval 1 --trace $demo/job.h5 -np 4 jacobi2d ${args[*]}"
  setsid "${launch[@]}" --cluster "$c" --ckpt-dir "$ckpt" --ckpt-interval 1 --trace "$demo/job.h5" \
    -np 4 "$build/bin/jacobi2d" "${args[@]}" >"$demo/job.out" 2>"$demo/job.err" &
  job=$!
  wait_for_checkpoints 2 "$job"
  echo
  echo "== a memory leak starts on node $c-n2 (12 MiB/s, about a minute to fill it): the predictor"
  echo "== (its model) should move the node's ranks to a spare before the node runs out of memory"
  echo "\$ ftmpi-inject --cluster $c --node $c-n2 --fault mem-leak --rate 12 --duration 120"
  "$build/bin/ftmpi-inject" --cluster "$c" --node "$c-n2" --fault mem-leak --rate 12 \
    --duration 120 >"$demo/inject.out" 2>&1 &
  leak=$!
  for _ in $(seq 600); do
    grep -q "^migrations *[1-9]" <("$build/bin/ftmpi-ctl" status --job "$ckpt" 2>/dev/null) && break
    kill -0 "$job" 2>/dev/null || break
    sleep 0.1
  done
  grep -E "^ftmpi-predictor: warning|^ftmpi: migration|migration 1:" "$demo/job.err" || true
  # Two checkpoints of the job after the migration (which took a number too), and a
  # flush of its trace (every 2 s).
  wait_for_checkpoints "$(($(newest) + 3))" "$job"
  echo
  echo "== node $c-n1 fails without warning: every process on it killed"
  echo "\$ ftmpi-cluster kill $c-n1"
  "$build/bin/ftmpi-cluster" kill "$c-n1"
  wait "$job" || { cat "$demo/job.err" >&2; echo "== the job failed" >&2; exit 1; }
  grep "lost: the job goes back" "$demo/job.err" || true
  kill "$leak" 2>/dev/null || true
  wait "$leak" 2>/dev/null || true
  echo "== what the leak did to $c-n2 (after the ranks had left):"
  grep -h '"node_failed"' "$FTMPI_CLUSTER_ROOT/$c/faults.log" || echo "(the node's memory never filled)"
  echo
  echo "\$ ftmpi-ctl status --job $ckpt"
  "$build/bin/ftmpi-ctl" status --job "$ckpt"
  tail -n 2 "$demo/job.out"
  check "$demo/job.out" "a predicted migration and a node loss"
  show "$demo/job.h5" "$demo/job.migration1.h5" "$demo/job.rollback1.h5"
}

# crash: SIGKILL the launcher's session and every application process of the job (they
# run in sessions of their own, with the checkpoint directory in their environment).
crash() {
  local pid
  kill -9 -- "-$1" 2>/dev/null || true
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}
    pid=${pid%/environ}
    tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "FTMPI_CKPT_DIR=$ckpt" && kill -9 "$pid" 2>/dev/null
  done 2>/dev/null
  wait "$1" 2>/dev/null || true
}

single_node_demo() {
  local job out
  echo
  echo "== ftmpi demo: jacobi2d on 4 ranks, transparent mode, a checkpoint every second"
  echo "\$ ftmpi-launch --ckpt-dir $ckpt --ckpt-interval 1 --trace $demo/first.h5 -np 4 jacobi2d ${args[*]}"
  setsid "${launch[@]}" --ckpt-dir "$ckpt" --ckpt-interval 1 --trace "$demo/first.h5" \
    -np 4 "$build/bin/jacobi2d" "${args[@]}" >"$demo/job.out" 2>"$demo/job.err" &
  job=$!
  wait_for_checkpoints 2 "$job"
  crash "$job"
  echo "== CRASH: every process of the job killed with SIGKILL; its checkpoints:"
  "$build/bin/ftmpi-ctl" list --job "$ckpt"
  echo
  echo "== restart from the newest checkpoint"
  echo "\$ ftmpi-launch --restart $ckpt --trace $demo/restarted.h5"
  out="$demo/restarted.out"
  "${launch[@]}" --restart "$ckpt" --trace "$demo/restarted.h5" | tee "$out"
  check "$out" "a crash and a restart"
  show "$demo/first.h5" "$demo/restarted.h5"
}

if [[ $(id -u) -eq 0 ]] && grep -q ' /sys/fs/cgroup/memory ' /proc/mounts; then
  cluster_demo
else
  echo "== no simulated cluster here (it needs root and cgroup v1): the job runs on this node"
  single_node_demo
fi
