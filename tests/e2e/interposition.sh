#!/usr/bin/env bash
# libftmpi interposed by LD_PRELOAD (through ftmpi-launch) into programs built without
# it: the hidden predictor rank is invisible, an uncovered call stops the job naming
# it, and a third-party MPI program (NetPIPE from Debian) gives the same output as
# under plain mpirun.
source "$(dirname "$0")/lib.sh"
L=("$BIN/ftmpi-launch" --oversubscribe)
[[ $(id -u) -eq 0 ]] && L+=(--allow-run-as-root)

for n in 1 2 4; do
  "${L[@]}" -np "$n" "$TEST_BIN/hidden_rank_check" "$n" >hidden.out 2>hidden.err ||
    { cat hidden.out hidden.err; fail "hidden rank visible with $n ranks"; }
  expect_in hidden.out "hidden_rank_check: $n ranks, no hidden rank visible"
done
# The check can fail: told to expect a different size, it must.
expect_exit 1 "${L[@]}" -np 2 "$TEST_BIN/hidden_rank_check" 3
expect_in cmd.err "MPI_Comm_size says 2, expected 3"

expect_exit 1 "${L[@]}" -np 2 "$TEST_BIN/unsupported_call"
expect_in cmd.err "MPI_Win_allocate is not supported by ftmpi"
grep -q "MPI_Win_allocate returned" cmd.out && fail "the uncovered call ran on"

if command -v NPopenmpi >/dev/null; then
  args=(-i -n 20 -p 0 -u 65536 -o /dev/null)
  "${MPIRUN[@]}" -np 2 NPopenmpi "${args[@]}" >native.out 2>&1 || { cat native.out; fail "NetPIPE under mpirun"; }
  "${L[@]}" -np 2 NPopenmpi "${args[@]}" >ftmpi.out 2>&1 || { cat ftmpi.out; fail "NetPIPE under ftmpi-launch"; }
  grep -c "Integrity check passed" ftmpi.out >/dev/null || fail "NetPIPE ran no integrity check"
  grep -q "fail" ftmpi.out && { cat ftmpi.out; fail "NetPIPE integrity check failed under ftmpi"; }
  diff <(grep "Integrity" native.out) <(grep "Integrity" ftmpi.out) ||
    fail "NetPIPE output differs between mpirun and ftmpi-launch"
else
  fail "NPopenmpi (Debian package netpipe-openmpi) is missing: run scripts/setup.sh"
fi
pass "interposition by LD_PRELOAD: hidden rank invisible, uncovered call refused, NetPIPE identical"
