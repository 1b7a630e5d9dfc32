#!/usr/bin/env bash
# interposition.sh MODE: libftmpi interposed by LD_PRELOAD (through ftmpi-launch, in
# MODE native or transparent) into programs built without it: the hidden predictor rank
# is invisible, a wide MPI test program passes every check it passes under plain
# mpirun, an uncovered call stops the job naming it, and a third-party MPI program
# (NetPIPE from Debian) gives the same output as under plain mpirun.
source "$(dirname "$0")/lib.sh"
mode=${1:-native}
L=("$BIN/ftmpi-launch" --oversubscribe --mode "$mode")
[[ $(id -u) -eq 0 ]] && L+=(--allow-run-as-root)

for n in 1 3 4; do
  "${MPIRUN[@]}" -np "$n" "$TEST_BIN/mpi_coverage" >coverage.native 2>&1 ||
    { cat coverage.native; fail "mpi_coverage fails under plain mpirun on $n ranks"; }
  "${L[@]}" -np "$n" "$TEST_BIN/mpi_coverage" >coverage.out 2>coverage.err ||
    { cat coverage.out coverage.err; fail "mpi_coverage fails in $mode mode on $n ranks"; }
  diff coverage.native coverage.out || fail "mpi_coverage: $mode mode ran other checks"
done

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

# What transparent mode cannot carry yet stops the job, naming the call; natively it runs.
for what in op bsend; do
  if [[ $mode == transparent ]]; then
    expect_exit 1 "${L[@]}" -np 2 "$TEST_BIN/transparent_refused" "$what"
    grep -q "ran" cmd.out && fail "transparent mode ran a refused $what"
  else
    expect_exit 0 "${L[@]}" -np 2 "$TEST_BIN/transparent_refused" "$what"
    expect_in cmd.out "transparent_refused: $what ran"
  fi
done
if [[ $mode == transparent ]]; then
  expect_exit 1 "${L[@]}" -np 2 "$TEST_BIN/transparent_refused" op
  expect_in cmd.err "MPI_Op_create"
  expect_in cmd.err "user-defined callbacks"
  expect_exit 1 "${L[@]}" -np 2 "$TEST_BIN/transparent_refused" bsend
  expect_in cmd.err "MPI_Buffer_attach is not supported in transparent mode"
fi

if command -v NPopenmpi >/dev/null; then
  args=(-i -n 20 -p 0 -u 65536 -o /dev/null)
  "${MPIRUN[@]}" -np 2 NPopenmpi "${args[@]}" >native.out 2>&1 || { cat native.out; fail "NetPIPE under mpirun"; }
  "${L[@]}" -np 2 NPopenmpi "${args[@]}" >ftmpi.out 2>&1 || { cat ftmpi.out; fail "NetPIPE under ftmpi-launch"; }
  grep -c "Integrity check passed" ftmpi.out >/dev/null || fail "NetPIPE ran no integrity check"
  grep -q "fail" ftmpi.out && { cat ftmpi.out; fail "NetPIPE integrity check failed under ftmpi"; }
  # Its stdout and stderr interleave differently from run to run: compare the checks.
  [[ $(grep -o "Integrity check passed" native.out | wc -l) -eq \
    $(grep -o "Integrity check passed" ftmpi.out | wc -l) ]] ||
    fail "NetPIPE ran other integrity checks under mpirun and ftmpi-launch"
else
  fail "NPopenmpi (Debian package netpipe-openmpi) is missing: run scripts/setup.sh"
fi
pass "interposition by LD_PRELOAD ($mode): hidden rank invisible, mpi_coverage passes, uncovered calls refused, NetPIPE identical"
