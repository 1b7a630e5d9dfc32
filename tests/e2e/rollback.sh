#!/usr/bin/env bash
# Roll-back on a simulated cluster (2 nodes and a spare): jacobi2d on 4 ranks in
# transparent mode, checkpointed every 0.3 s; once a checkpoint exists one node is lost
# without warning (ftmpi-cluster kill: its daemon and every process on it).  ftmpi-launch
# sends the whole job back to its last checkpoint on the other node and the spare, the
# lost node is excluded, and the job ends with the serial reference's checksum and a
# trace of the rolled-back run.  Lost again with no spare left, the job stops with
# exit 75, naming its last checkpoint.  Needs root.
source "$(dirname "$0")/lib.sh"
name=r$$
use_cluster "$name"
expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 1
L=("$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --sample-interval 0.2)
args=(-n 64 -i 160 -s 25)

# lose NODE OUT CKDIR [OPTIONS...]: jacobi2d checkpointed into CKDIR (output OUT.out,
# OUT.err); NODE killed once a checkpoint exists; sets rc to the launcher's exit status.
lose() {
  local node=$1 out=$2 dir=$3 job
  shift 3
  FTMPI_LOG_LEVEL=info "${L[@]}" "$@" --ckpt-dir "$dir" --ckpt-interval 0.3 -np 4 \
    "$BIN/jacobi2d" "${args[@]}" >"$out.out" 2>"$out.err" &
  job=$!
  wait_for_checkpoint "$dir" 0 >/dev/null || { cat "$out.err"; fail "no checkpoint before losing $node"; }
  # ftmpi-ctl status of the running job: its ranks on their nodes.
  expect_exit 0 "$BIN/ftmpi-ctl" status --job "$dir"
  expect_in cmd.out "running (ftmpi-launch pid"
  grep -q "^3 *$node\$" cmd.out || { cat cmd.out; fail "status does not show rank 3 on $node"; }
  expect_exit 0 "$C" kill "$node"
  rc=0
  wait "$job" || rc=$?
}

lose "$name-n2" run ck --trace run.h5
[[ $rc -eq 0 ]] || { cat run.out run.err; fail "the job did not survive the loss of a node (exit $rc)"; }
expect_in run.err "node $name-n2 lost: the job goes back to"
expect_in run.err "on $name-n3 in its place"
[[ $(checksum_of run.out) == "$(reference_checksum jacobi2d 4 "${args[@]}")" ]] ||
  fail "checksum $(checksum_of run.out) after the roll-back"
expect_exit 0 "$C" status --name "$name"
grep -q "^$name-n2 .* excluded " cmd.out || { cat cmd.out; fail "the lost node is not excluded"; }
grep -q "^$name-n3 .* active .* up " cmd.out || { cat cmd.out; fail "the spare did not take its place"; }
expect_exit 0 "$BIN/ftmpi-ctl" status --job ck
expect_in cmd.out "finished (exit 0)"
expect_in cmd.out "roll-backs   1"
expect_in cmd.out "node $name-n2 lost: the job went back to ckpt-"
grep -q "^3 *$name-n3\$" cmd.out || { cat cmd.out; fail "status does not show rank 3 on the spare"; }
grep -q "^$name-n2 *excluded *DOWN" cmd.out || { cat cmd.out; fail "status does not show n2 excluded"; }
"${CHECK_TRACE[@]}" run.rollback1.h5 --ranks 4 --interval 0.2 --complete --mode transparent \
  --restarts 1 --min-rows 1 || fail "the trace of the rolled-back job"

# No spare left: the job stops with its checkpoint and says so.
lose "$name-n3" again ck2 --no-trace
[[ $rc -eq 75 ]] || { cat again.err; fail "with no spare left the job exited $rc, expected 75"; }
expect_in again.err "no spare node left: the job stops; its last checkpoint is"
ls ck2/ckpt-*/MANIFEST.json >/dev/null || fail "the last checkpoint is gone"
expect_exit 0 "$BIN/ftmpi-ctl" status --job ck2
expect_in cmd.out "stopped (exit 75)"
expect_exit 0 "$C" down --name "$name"

# A node whose memory runs out: memhog (100 MiB per rank, about 250 MiB per node) on
# nodes of 330 MiB; a fast leak on n2 makes its OOM killer take a rank (the largest
# process) while n2's daemon lives on.  The node counts as lost: the job goes back to
# its last checkpoint on the spare and ends with the reference checksum.
expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 1 --memory 330
margs=(-m 100 -i 60 --sleep-ms 60)
FTMPI_LOG_LEVEL=info "${L[@]}" --no-trace --ckpt-dir ck3 --ckpt-interval 2 -np 4 \
  "$BIN/memhog" "${margs[@]}" >oom.out 2>oom.err &
job=$!
wait_for_checkpoint ck3 0 >/dev/null || { cat oom.err; fail "memhog: no checkpoint"; }
"$BIN/ftmpi-inject" --cluster "$name" --node "$name-n2" --fault mem-leak --rate 400 \
  --duration 30 >leak.out 2>&1 &
leak=$!
rc=0
wait "$job" || rc=$?
kill "$leak" 2>/dev/null || true
wait "$leak" 2>/dev/null || true
[[ $rc -eq 0 ]] || { cat oom.err; fail "the job did not survive its node's OOM (exit $rc)"; }
expect_in oom.err "node $name-n2's memory ran out: its OOM killer took processes of the job"
expect_in oom.err "node $name-n2 lost: the job goes back to"
[[ $(checksum_of oom.out) == "$(reference_checksum memhog 4 "${margs[@]}")" ]] ||
  fail "checksum $(checksum_of oom.out) after the OOM roll-back"
pass "roll-back: a node lost, the job rolled back onto the spare with the reference checksum; no spare left: stopped with its checkpoint; a node's OOM: rolled back"
