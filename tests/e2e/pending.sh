#!/usr/bin/env bash
# Requests pending at a checkpoint: pending_requests always holds some (inactive
# persistent halo requests, a receive only the end matches, completed requests it has not
# waited for).  In transparent mode with a checkpoint every 0.3 s it still gets
# checkpoints (the requests are saved, not a reason to wait) and ends with the result of
# an undisturbed run; killed with SIGKILL after a checkpoint and restarted, twice, it
# ends with that result too.  Needs root (CRIU).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || fail "pending.sh needs root (CRIU)"
L=("$BIN/ftmpi-launch" --oversubscribe --no-trace --allow-run-as-root)
P=("$TEST_BIN/pending_requests" 80 40)

"${MPIRUN[@]}" -np 3 "${P[@]}" >ref.out 2>&1 || { cat ref.out; fail "pending_requests under mpirun"; }
want=$(checksum_of ref.out)

# Checkpoints while the program holds its requests.
FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir ck-run --ckpt-interval 0.3 -np 3 "${P[@]}" \
  >run.out 2>run.err || { cat run.out run.err; fail "pending_requests with checkpoints"; }
[[ $(checksum_of run.out) == "$want" ]] || fail "checksum $(checksum_of run.out) with checkpoints, undisturbed $want"
taken=$(grep -c "checkpoint [0-9]* written" run.err || true)
[[ $taken -ge 3 ]] || { cat run.err; fail "only $taken checkpoints of a program that always holds requests"; }

# Killed after a checkpoint and restarted, twice.
setsid "${L[@]}" --ckpt-dir ck --ckpt-interval 0.3 -np 3 "${P[@]}" >kill.1 2>&1 &
first=$(wait_for_checkpoint ck 0) || { cat kill.1; fail "no checkpoint"; }
kill_job ck $!
setsid "${L[@]}" --restart ck --ckpt-interval 0.3 >kill.2 2>&1 &
wait_for_checkpoint ck "$first" >/dev/null || { cat kill.2; fail "the restarted job took no checkpoint"; }
kill_job ck $!
"${L[@]}" --restart ck >kill.3 2>&1 || { cat kill.3; fail "the second restart failed"; }
[[ $(checksum_of kill.3) == "$want" ]] || { cat kill.3; fail "checksum $(checksum_of kill.3) after two restarts, undisturbed $want"; }
pass "requests pending at checkpoints: $taken checkpoints taken, restarted twice, checksum $want as undisturbed"
