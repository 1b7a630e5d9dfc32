#!/usr/bin/env bash
# Faults during a migration lose nothing.  jacobi2d on 4 ranks over 2 simulated nodes
# (2 spares), checkpointed every 0.5 s; a migration of node n2 is asked for, and
#  1. the source node dies while the proxies dump its ranks: the job goes back to its
#     last checkpoint on a spare;
#  2. the destination dies as soon as the migration's state is complete (while the
#     ranks are restored on it): back to the last checkpoint, on the other spare;
#  3. the launcher gets SIGTERM mid-migration (its next MPI layer starting): it stops,
#     no process of the job is left, the last checkpoint verifies, and a restart from
#     it finishes the job;
#  4. the destination dies while the next MPI layer starts on it (before anything
#     moved): the migration goes on without that layer, to the other spare;
#  5. the job is never quiet enough (an active persistent request until the migration
#     is given up): the next MPI layer stopped, the job finishes where it is.
# Each time: the serial reference's checksum in the end, no migration state left over,
# and ftmpi-ctl status / the launcher say what happened.  Needs root.
source "$(dirname "$0")/lib.sh"
name=f$$
use_cluster "$name"
L=("$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --sample-interval 0.2)
args=(-n 64 -i 200 --sleep-ms 25)
want=$(reference_checksum jacobi2d 4 "${args[@]}")

# start RUN: the cluster up, jacobi2d started in the background ($job) checkpointing into
# RUN.ck; returns once it has a checkpoint.
start() {
  expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 2
  FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir "$1.ck" --ckpt-interval 0.5 -np 4 "$BIN/jacobi2d" \
    "${args[@]}" >"$1.out" 2>"$1.err" &
  job=$!
  wait_for_checkpoint "$1.ck" 0 >/dev/null || { cat "$1.err"; fail "$1: no checkpoint"; }
}

# migrate_and_wait RUN WHAT: asks for n2's migration to n3 and waits until WHAT
# ("taken": the launcher took the request and starts the next MPI layer; "dumping":
# the job is quiesced and n2's ranks are being dumped; "complete": the migration's
# state is complete, the ranks are restored on n3).
migrate_and_wait() {
  expect_exit 0 "$BIN/ftmpi-ctl" migrate --job "$1.ck" --node "$name-n2" --to "$name-n3"
  for _ in $(seq 1000); do
    case $2 in
      taken) grep -q "the next MPI layer starts" "$1.err" && return 0 ;;
      dumping) grep -q "job quiesced in .* ms, dumping" "$1.err" && return 0 ;;
      complete) grep -q "ranks 2,3 dumped" "$1.err" && return 0 ;;
    esac
    sleep 0.01
  done
  cat "$1.err"
  fail "$1: the migration never got to '$2'"
}

# finish RUN: the job ends well, with the reference checksum and nothing left over.
finish() {
  rc=0
  wait "$job" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$1.err"; fail "$1: the job exited $rc"; }
  [[ $(checksum_of "$1.out") == "$want" ]] || { cat "$1.err"; fail "$1: checksum $(checksum_of "$1.out")"; }
  ! ls -d "$1".ck/migration-* >/dev/null 2>&1 || fail "$1: a migration's state was left over"
}

# 1. The source dies during the dump.
start source
migrate_and_wait source dumping
expect_exit 0 "$C" kill "$name-n2"
finish source
expect_in source.err "node $name-n2 lost: the job goes back to"
expect_exit 0 "$BIN/ftmpi-ctl" status --job source.ck
grep -q "^$name-n2 *excluded " cmd.out || { cat cmd.out; fail "source: n2 is not excluded"; }
expect_exit 0 "$C" down --name "$name"
echo "source lost mid-migration: rolled back, checksum $want"

# 2. The destination dies during the restore.
start destination
migrate_and_wait destination complete
expect_exit 0 "$C" kill "$name-n3"
finish destination
expect_in destination.err "node $name-n3 lost: the job goes back to"
expect_exit 0 "$BIN/ftmpi-ctl" status --job destination.ck
for n in n2 n3; do
  grep -q "^$name-$n *excluded " cmd.out || { cat cmd.out; fail "destination: $n is not excluded"; }
done
grep -q "^3 *$name-n4\$" cmd.out || { cat cmd.out; fail "destination: rank 3 is not on n4"; }
expect_exit 0 "$C" down --name "$name"
echo "destination lost mid-migration: rolled back onto the other spare, checksum $want"

# 3. SIGTERM to the launcher mid-migration.
start signal
migrate_and_wait signal taken
kill -TERM "$job"
rc=0
wait "$job" || rc=$?
[[ $rc -ne 0 ]] || fail "signal: the launcher exited 0 after SIGTERM"
expect_in signal.err "its last checkpoint is"
sleep 0.5
dir=$(readlink -f signal.ck)
for e in /proc/[0-9]*/environ; do
  tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "FTMPI_CKPT_DIR=$dir" && fail "signal: $e is left running"
done
! ls -d signal.ck/migration-* >/dev/null 2>&1 || fail "signal: a migration's state was left over"
newest=$(ls -d signal.ck/ckpt-* | tail -1)
expect_exit 0 "$BIN/ftmpi-ctl" verify "$newest"
expect_exit 0 "$BIN/ftmpi-ctl" status --job signal.ck
expect_in cmd.out "stopped"
"${L[@]}" --restart signal.ck >signal.out 2>signal.err || { cat signal.err; fail "signal: the restart failed"; }
[[ $(checksum_of signal.out) == "$want" ]] || fail "signal: checksum $(checksum_of signal.out) after the restart"
expect_exit 0 "$C" down --name "$name"

# 4. The destination dies while the next MPI layer starts on it.
start early
migrate_and_wait early taken
expect_exit 0 "$C" kill "$name-n3"
finish early
expect_in early.err "the next MPI layer failed"
expect_in early.err "node $name-n2 -> $name-n4: ranks 2,3 dumped"
expect_in early.err "migration of node $name-n2: resumed on $name-n4"
expect_exit 0 "$C" down --name "$name"
echo "destination lost while the next MPI layer started: migrated to the other spare, checksum $want"

# 5. Never quiet enough.
# The persistent request stays active until the migration was given up (at most 300 s),
# however long the next MPI layer takes to start on a loaded machine.
P=("$TEST_BIN/pending_requests" 20 20 300 "$PWD/busy.release")
expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 2
FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir busy.ck -np 4 "${P[@]}" >busy.out 2>busy.err &
job=$!
wait_for_rank_on busy.ck 2 "$name-n2"
expect_exit 0 "$BIN/ftmpi-ctl" migrate --job busy.ck --node "$name-n2" --to "$name-n3"
for ((i = 0; i < 1200; ++i)); do
  grep -q "migration of node $name-n2 abandoned" busy.err && break
  kill -0 "$job" 2>/dev/null || break
  sleep 0.25
done
touch busy.release
rc=0
wait "$job" || rc=$?
[[ $rc -eq 0 ]] || { cat busy.err; fail "busy: the job exited $rc"; }
expect_in busy.out "pending_requests: 20 iterations on 4 ranks, 0 checks failed"
expect_in busy.err "migration of node $name-n2 abandoned: the job was never quiet enough"
grep -q "dumped" busy.err && { cat busy.err; fail "busy: ranks moved"; }
! ls pending_requests-*.migration1.h5 >/dev/null 2>&1 || fail "busy: the stopped layer left its trace"
dir=$(readlink -f busy.ck)
for e in /proc/[0-9]*/environ; do
  tr '\0' '\n' 2>/dev/null <"$e" | grep -qx "FTMPI_CKPT_DIR=$dir" && fail "busy: $e is left running"
done
expect_exit 0 "$C" down --name "$name"
echo "never quiet enough: the migration given up, the job finished where it was"
pass "faults during a migration: source lost, destination lost (twice), launcher stopped, never quiet; nothing lost"
