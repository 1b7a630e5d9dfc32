#!/usr/bin/env bash
# build.sh [BUILD_DIR] [CMAKE_ARGS...]: configures (once) and builds ftmpi.
# BUILD_DIR defaults to build/ in the source tree; executables land in BUILD_DIR/bin.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
shift || true
generator=()
if [[ ! -f $build/CMakeCache.txt ]] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S "$src" -B "$build" "${generator[@]}" "$@" >"${TMPDIR:-/tmp}/ftmpi-configure.$$.log" 2>&1 ||
  { cat "${TMPDIR:-/tmp}/ftmpi-configure.$$.log"; exit 1; }
sed -n '/ftmpi .* configuration/,/install prefix/p' "${TMPDIR:-/tmp}/ftmpi-configure.$$.log" | sed 's/^-- //'
rm -f "${TMPDIR:-/tmp}/ftmpi-configure.$$.log"
cmake --build "$build" --parallel "$(nproc)"
