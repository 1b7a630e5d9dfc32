#!/usr/bin/env bash
# demo.sh: sets up the machine, builds ftmpi and runs the main job: the jacobi2d heat
# stencil on 4 ranks under ftmpi-launch, with every rank and node sampled into a job
# trace; checks the result against a serial run of the same computation, then shows
# the trace (summary, and a plot to open in a browser).
# FTMPI_DEMO_ARGS changes the problem (default "-n 512 -i 400 -s 5").
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FTMPI_BUILD_DIR:-$src/build}
read -r -a args <<<"${FTMPI_DEMO_ARGS:--n 512 -i 400 -s 5}"

"$src/scripts/setup.sh"
"$src/scripts/build.sh" "$build" >/dev/null
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
demo="$build/demo"
mkdir -p "$demo"
trace="$demo/jacobi2d.ftmpi.h5"

echo
echo "== ftmpi demo: jacobi2d on 4 ranks under ftmpi-launch, sampled every 0.5 s"
echo "\$ ftmpi-launch --trace $trace --sample-interval 0.5 -np 4 jacobi2d ${args[*]}"
out="$demo/jacobi2d.out"
"$build/bin/ftmpi-launch" "${root[@]}" --oversubscribe --trace "$trace" --sample-interval 0.5 \
  -np 4 "$build/bin/jacobi2d" "${args[@]}" | tee "$out"
got=$(tail -n 1 "$out")
echo
echo "== the same computation, serial and independent of MPI"
want=$("$build/tests/bin/ftmpi-reference" jacobi2d "${args[@]}")
echo "$want"
if [[ $got != "$want" ]]; then
  echo "== result: DIFFERENT from the serial reference ($got vs $want)" >&2
  exit 1
fi
echo "== result: identical to the serial reference, bit for bit"
echo
echo "== what every rank and node did: ftmpi-trace summary $trace"
"$build/bin/ftmpi-trace" summary "$trace"
"$build/bin/ftmpi-trace" plot "$trace" -o "$demo/jacobi2d.svg"
echo
echo "== plot: $demo/jacobi2d.svg   (CSV: ftmpi-trace export $trace)"
