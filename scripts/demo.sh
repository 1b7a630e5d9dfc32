#!/usr/bin/env bash
# demo.sh: sets up the machine, builds ftmpi and runs the main job: the jacobi2d heat
# stencil on 4 ranks under ftmpi-launch, checked against a serial run of the same
# computation.  Set FTMPI_DEMO_ARGS to change the problem (default "-n 512 -i 400").
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FTMPI_BUILD_DIR:-$src/build}
read -r -a args <<<"${FTMPI_DEMO_ARGS:--n 512 -i 400}"

"$src/scripts/setup.sh"
"$src/scripts/build.sh" "$build" >/dev/null
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)

echo
echo "== ftmpi demo: jacobi2d on 4 ranks under ftmpi-launch"
echo "\$ ftmpi-launch --oversubscribe -np 4 jacobi2d ${args[*]}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/bin/ftmpi-launch" "${root[@]}" --oversubscribe -np 4 "$build/bin/jacobi2d" "${args[@]}" | tee "$out"
got=$(tail -n 1 "$out")
echo
echo "== the same computation, serial and independent of MPI"
want=$("$build/tests/bin/ftmpi-reference" jacobi2d "${args[@]}")
echo "$want"
echo
if [[ $got == "$want" ]]; then
  echo "== result: identical to the serial reference, bit for bit"
else
  echo "== result: DIFFERENT from the serial reference ($got vs $want)" >&2
  exit 1
fi
