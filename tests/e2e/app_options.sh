#!/usr/bin/env bash
# The example applications' own command lines: --help, bad values, bad options.
source "$(dirname "$0")/lib.sh"
for app in jacobi2d cg farm memhog; do
  expect_exit 0 "${MPIRUN[@]}" -np 1 "$BIN/$app" --help
  expect_in cmd.out "Usage: $app"
  expect_in cmd.out "--iters"
  expect_in cmd.out "--sleep-ms"
  expect_exit 2 "${MPIRUN[@]}" -np 1 "$BIN/$app" --iters -5
  expect_in cmd.err "--iters must be an integer"
  expect_exit 2 "${MPIRUN[@]}" -np 1 "$BIN/$app" --no-such-option
  expect_exit 2 "${MPIRUN[@]}" -np 1 "$BIN/$app" stray
done
# Grid sizes that cannot be decomposed are refused with the reason.
expect_exit 2 "${MPIRUN[@]}" -np 1 "$BIN/jacobi2d" -n 60
expect_in cmd.err "multiple of 8"
expect_exit 2 "${MPIRUN[@]}" -np 4 "$BIN/cg" -n 8
expect_in cmd.err "column tiles"
pass "example application options"
