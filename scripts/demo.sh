#!/usr/bin/env bash
# demo.sh: sets up the machine, builds ftmpi and runs the main job: the jacobi2d heat
# stencil on 4 ranks under ftmpi-launch (transparent mode), checkpointed every second
# and sampled into a job trace.  Midway every process of the job is killed with SIGKILL,
# as a node crash would; `ftmpi-launch --restart` brings the job back from its last
# checkpoint and it finishes.  The result is checked against a serial run of the same
# computation, then the traces are shown (summary, and plots to open in a browser).
# FTMPI_DEMO_ARGS changes the problem (default "-n 512 -i 1000 -s 5").
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FTMPI_BUILD_DIR:-$src/build}
read -r -a args <<<"${FTMPI_DEMO_ARGS:--n 512 -i 1000 -s 5}"

"$src/scripts/setup.sh"
"$src/scripts/build.sh" "$build" >/dev/null
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
demo="$build/demo"
rm -rf "$demo"
mkdir -p "$demo"
ckpt="$demo/jacobi2d.ckpt"
launch=("$build/bin/ftmpi-launch" "${root[@]}" --oversubscribe --sample-interval 0.5)

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

echo
echo "== ftmpi demo: jacobi2d on 4 ranks, transparent mode, a checkpoint every second"
echo "\$ ftmpi-launch --ckpt-dir $ckpt --ckpt-interval 1 --trace $demo/first.h5 -np 4 jacobi2d ${args[*]}"
setsid "${launch[@]}" --ckpt-dir "$ckpt" --ckpt-interval 1 --trace "$demo/first.h5" \
  -np 4 "$build/bin/jacobi2d" "${args[@]}" >"$demo/first.out" 2>"$demo/first.err" &
job=$!
for _ in $(seq 600); do
  [[ $(ls "$ckpt"/ckpt-*/MANIFEST.json 2>/dev/null | wc -l) -ge 2 ]] && break
  kill -0 "$job" 2>/dev/null || break
  sleep 0.1
done
if ! kill -0 "$job" 2>/dev/null; then
  cat "$demo/first.out" "$demo/first.err" >&2
  echo "== the job ended before it could be crashed: give it more work (FTMPI_DEMO_ARGS)" >&2
  exit 1
fi
crash "$job"
echo "== CRASH: every process of the job killed with SIGKILL; its checkpoints:"
"$build/bin/ftmpi-ctl" list --job "$ckpt"
echo
echo "== restart from the newest checkpoint"
echo "\$ ftmpi-launch --restart $ckpt --trace $demo/restarted.h5"
out="$demo/restarted.out"
"${launch[@]}" --restart "$ckpt" --trace "$demo/restarted.h5" | tee "$out"
got=$(tail -n 1 "$out")
echo
echo "== the same computation, serial and independent of MPI"
want=$("$build/tests/bin/ftmpi-reference" jacobi2d "${args[@]}")
echo "$want"
if [[ $got != "$want" ]]; then
  echo "== result: DIFFERENT from the serial reference ($got vs $want)" >&2
  exit 1
fi
echo "== result: identical to the serial reference, bit for bit, after a crash and a restart"
echo
echo "== what every rank and node did before the crash: ftmpi-trace summary $demo/first.h5"
"$build/bin/ftmpi-trace" summary "$demo/first.h5"
echo
echo "== and after the restart: ftmpi-trace summary $demo/restarted.h5"
"$build/bin/ftmpi-trace" summary "$demo/restarted.h5"
"$build/bin/ftmpi-trace" plot "$demo/first.h5" -o "$demo/first.svg"
"$build/bin/ftmpi-trace" plot "$demo/restarted.h5" -o "$demo/restarted.svg"
echo
echo "== plots: $demo/first.svg $demo/restarted.svg   (CSV: ftmpi-trace export TRACE)"
