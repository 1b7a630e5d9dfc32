#!/usr/bin/env bash
# The quiesce of transparent mode: quiesce_cases (messages in flight both ways, ranks
# blocked in MPI_Recv/MPI_Wait/MPI_Probe/collectives, MPI_ANY_SOURCE, a posted MPI_Irecv
# and a later probe, persistent requests, a non-blocking collective in flight, checkpoints
# twice in a row and from another rank, matched probes across a checkpoint) passes on 3
# and 4 ranks; the proxies' log shows
# each checkpoint and messages drained; outside transparent mode ftmpi_checkpoint() is
# refused.
source "$(dirname "$0")/lib.sh"
L=("$BIN/ftmpi-launch" --oversubscribe --no-trace)
[[ $(id -u) -eq 0 ]] && L+=(--allow-run-as-root)

for n in 3 4; do
  FTMPI_LOG_LEVEL=info "${L[@]}" --mode transparent -np "$n" "$TEST_BIN/quiesce_cases" \
    >cases.out 2>cases.err || { cat cases.out cases.err; fail "quiesce_cases on $n ranks"; }
  expect_in cases.out "quiesce_cases: 8 cases passed on $n ranks"
  # Eleven checkpoints (one per case, but two in the persistent case and three in
  # the seventh), each logged by every proxy.
  count=$(grep -c "checkpoint [0-9]*: quiesced" cases.err)
  [[ $count -eq $((11 * n)) ]] || { cat cases.err; fail "expected $((11 * n)) quiesce lines, saw $count"; }
  grep -q "drained [1-9][0-9]* messages" cases.err || fail "no checkpoint drained a message"
done

"${L[@]}" --mode native -np 2 "$TEST_BIN/quiesce_cases" --native >native.out 2>&1 ||
  { cat native.out; fail "ftmpi_checkpoint outside transparent mode was not refused"; }
pass "quiesce: 8 cases across checkpoints on 3 and 4 ranks, messages drained"
