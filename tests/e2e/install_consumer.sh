#!/usr/bin/env bash
# Installs ftmpi into a scratch prefix, then builds programs against the installed copy
# only: with CMake (find_package(ftmpi), ftmpi::ftmpi) and with pkg-config.  One of them
# is the jacobi2d example, which must still print the reference checksum.
source "$(dirname "$0")/lib.sh"
prefix="$PWD/prefix"
cmake --install "$FTMPI_BUILD_DIR" --prefix "$prefix" >install.log ||
  { cat install.log; fail "cmake --install failed"; }
for f in include/ftmpi/ftmpi.h include/ftmpi/version.h lib/libftmpi.so \
  lib/cmake/ftmpi/ftmpiConfig.cmake lib/pkgconfig/ftmpi.pc bin/ftmpi-launch bin/ftmpi-rank \
  bin/ftmpi-predictor bin/ftmpi-trace; do
  [[ -e $prefix/$f ]] || fail "installed tree lacks $f"
done
"$prefix/bin/ftmpi-launch" --version >/dev/null || fail "installed ftmpi-launch does not run"

cmake -S "$FTMPI_SOURCE_DIR/tests/install_consumer" -B consumer \
  -DCMAKE_PREFIX_PATH="$prefix" -DFTMPI_EXAMPLES_DIR="$FTMPI_SOURCE_DIR/examples/mpi_apps" \
  >configure.log 2>&1 || { cat configure.log; fail "consumer configure failed"; }
cmake --build consumer >build.log 2>&1 || { cat build.log; fail "consumer build failed"; }

consumer/version_check >version.out || { cat version.out; fail "version_check failed"; }
expect_in version.out "ftmpi $(sed -n 's/^#define FTMPI_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/ftmpi/version.h")"
"${MPIRUN[@]}" -np 2 consumer/jacobi2d -n 32 -i 10 >jacobi.out 2>&1 || { cat jacobi.out; fail "consumer jacobi2d failed"; }
[[ $(checksum_of jacobi.out) == "$(reference_checksum jacobi2d 2 -n 32 -i 10)" ]] ||
  fail "jacobi2d built against the installed package prints a different checksum"

# The installed launcher finds the installed helper, predictor and library.
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
"$prefix/bin/ftmpi-launch" "${root[@]}" --oversubscribe --trace installed.h5 -np 2 \
  consumer/jacobi2d -n 32 -i 10 >launched.out 2>launched.err || { cat launched.out launched.err; fail "installed ftmpi-launch"; }
[[ $(checksum_of launched.out) == "$(reference_checksum jacobi2d 2 -n 32 -i 10)" ]] ||
  fail "installed ftmpi-launch gives a different checksum"
"$prefix/bin/ftmpi-trace" summary installed.h5 >summary.out || fail "installed ftmpi-trace"
expect_in summary.out "ranks     2 on 1 node(s)"

# pkg-config: compile and link a C program with mpicc and the .pc file alone.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
read -r -a flags <<<"$(pkg-config --cflags --libs ftmpi)"
mpicc -o pc_version "$FTMPI_SOURCE_DIR/tests/install_consumer/version_check.c" "${flags[@]}" \
  -Wl,-rpath,"$prefix/lib" || fail "pkg-config build failed"
./pc_version >pc.out || fail "pkg-config-built program failed"
expect_in pc.out "ftmpi "
pass "installed package builds and runs consumers (CMake and pkg-config)"
