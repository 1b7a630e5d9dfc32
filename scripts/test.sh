#!/usr/bin/env bash
# test.sh [CTEST_ARGS...]: sets up the machine (scripts/setup.sh), builds, and runs the
# whole test suite (every label but bench).  Extra arguments go to ctest, e.g.
#   scripts/test.sh -L unit        only the unit tests
#   scripts/test.sh -R e2e_cg      tests whose name matches
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FTMPI_BUILD_DIR:-$src/build}
"$src/scripts/setup.sh"
"$src/scripts/build.sh" "$build"
cd "$build"
ctest --output-on-failure --parallel "$(nproc)" --label-exclude bench "$@"
