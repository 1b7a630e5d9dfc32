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
  # --time 1 reports the main loop's seconds on stderr; the checksum is the same.
  expect_exit 0 "${MPIRUN[@]}" -np 2 "$BIN/$app" -i 2
  plain=$(checksum_of cmd.out)
  grep -q "loop seconds" cmd.err && fail "$app reported its loop without --time 1"
  expect_exit 0 "${MPIRUN[@]}" -np 2 "$BIN/$app" -i 2 --time 1
  grep -Eq "^loop seconds: [0-9]+\.[0-9]{6}$" cmd.err || fail "$app --time 1: $(cat cmd.err)"
  [[ $(checksum_of cmd.out) == "$plain" ]] || fail "$app --time 1 changed the checksum"
  expect_exit 2 "${MPIRUN[@]}" -np 1 "$BIN/$app" --time 2
done
# Grid sizes that cannot be decomposed are refused with the reason.
expect_exit 2 "${MPIRUN[@]}" -np 1 "$BIN/jacobi2d" -n 60
expect_in cmd.err "multiple of 8"
expect_exit 2 "${MPIRUN[@]}" -np 4 "$BIN/cg" -n 8
expect_in cmd.err "column tiles"
pass "example application options"
