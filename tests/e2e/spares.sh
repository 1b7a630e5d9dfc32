#!/usr/bin/env bash
# Spare nodes from an ordinary hostfile (ftmpi-launch --hostfile FILE --spares K): the
# four nodes of a simulated cluster written into a hostfile (2 slots each), the last two
# spares, the node daemons started through an agent (here the simulated cluster's own,
# where a real cluster has ssh).  jacobi2d on 4 ranks in transparent mode: ftmpi-ctl
# status shows the job's nodes; `ftmpi-ctl migrate` moves n2's ranks to n3; n1 is then
# lost without warning (its daemon with it) and the job goes back to its last
# checkpoint on n4; it ends with the serial reference's checksum and leaves no node
# daemon running.  n4's daemon starts 3 s late (its agent is slow to connect): the count
# of spares up, which the predictor reads before it asks for a migration, grows to 2
# once n4 beats.  Refused: --spares without --hostfile, as many spares as hosts, a
# node whose daemon does not answer.  Needs root.
source "$(dirname "$0")/lib.sh"
name=h$$
use_cluster "$name"
expect_exit 0 "$C" up --name "$name" --nodes 4
for n in 1 2 3 4; do echo "$name-n$n slots=2"; done >hosts
net=(--mpirun-arg=--mca --mpirun-arg=btl_tcp_if_include --mpirun-arg=lo
  --mpirun-arg=--mca --mpirun-arg=oob_tcp_if_include --mpirun-arg=lo)
printf '#!/usr/bin/env bash\n[[ $1 == %s ]] && sleep 3\nexec %s agent "$@"\n' \
  "$name-n4" "$C" >agent
chmod +x agent
L=("$BIN/ftmpi-launch" --allow-run-as-root --hostfile hosts --agent "$PWD/agent" "${net[@]}")
args=(-n 64 -i 240 --sleep-ms 25)

FTMPI_LOG_LEVEL=info "${L[@]}" --spares 2 --ckpt-dir ck --ckpt-interval 0.5 --trace run.h5 \
  -np 4 "$BIN/jacobi2d" "${args[@]}" >run.out 2>run.err &
job=$!
wait_for_checkpoint ck 0 >/dev/null || { cat run.err; fail "no checkpoint"; }
for _ in $(seq 100); do
  [[ $(cat ck/spares) == 2 ]] && break
  sleep 0.1
done
[[ $(cat ck/spares) == 2 ]] || fail "spares up for the predictor: $(cat ck/spares), want 2"
expect_exit 0 "$BIN/ftmpi-ctl" status --job ck
expect_in cmd.out "nodes of hostfile"
for n in 1 2; do
  grep -q "^$name-n$n *active *up " cmd.out || { cat cmd.out; fail "n$n is not active and up"; }
done
for n in 3 4; do
  grep -q "^$name-n$n *spare *up " cmd.out || { cat cmd.out; fail "n$n is not a spare that is up"; }
done
grep -q "^3 *$name-n2\$" cmd.out || { cat cmd.out; fail "rank 3 is not on n2"; }
expect_exit 0 "$BIN/ftmpi-ctl" migrate --job ck --node "$name-n2" --wait 60
expect_in cmd.out "node $name-n2 migrated to $name-n3"
sleep 1.5  # a checkpoint of the migrated job (every 0.5 s)
newest=$(wait_for_checkpoint ck 0)
wait_for_checkpoint ck "$newest" >/dev/null || { cat run.err; fail "no checkpoint after the migration"; }
expect_exit 0 "$C" kill "$name-n1"
rc=0
wait "$job" || rc=$?
[[ $rc -eq 0 ]] || { cat run.err; fail "the job exited $rc"; }
expect_in run.err "node $name-n1 lost: the job goes back to"
[[ $(checksum_of run.out) == "$(reference_checksum jacobi2d 4 "${args[@]}")" ]] ||
  { cat run.err; fail "checksum $(checksum_of run.out)"; }
expect_exit 0 "$BIN/ftmpi-ctl" status --job ck
for n in 1 2; do
  grep -q "^$name-n$n *excluded " cmd.out || { cat cmd.out; fail "n$n is not excluded"; }
done
grep -q "^0 *$name-n4\$" cmd.out || { cat cmd.out; fail "rank 0 is not on n4"; }
grep -q "^3 *$name-n3\$" cmd.out || { cat cmd.out; fail "rank 3 is not on n3"; }
sleep 1.5
pgrep -f "ftmpi-noded $(readlink -f ck)" >/dev/null && fail "a node daemon is left running"

# Refused before anything starts.
expect_exit 64 "$BIN/ftmpi-launch" --spares 1 -np 2 "$BIN/jacobi2d"
expect_in cmd.err "--spares and --agent need --hostfile"
expect_exit 64 "${L[@]}" --spares 4 --ckpt-dir ck2 -np 2 "$BIN/jacobi2d"
expect_in cmd.err "leaves none to run on"
# A node that is down (n1, lost above) does not answer its agent.
expect_exit 69 "${L[@]}" --spares 1 --ckpt-dir ck3 -np 2 "$BIN/jacobi2d"
expect_in cmd.err "node $name-n1 does not answer"
pass "spares from a hostfile: migration, node loss and roll-back, the reference checksum"
