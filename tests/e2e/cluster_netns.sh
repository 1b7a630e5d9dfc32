#!/usr/bin/env bash
# A simulated cluster with a network namespace per node (ftmpi-cluster up --netns): each
# node has its own network stack (eth0 on 10.177.S.I, linked to the cluster's bridge),
# Open MPI's traffic between the nodes crosses those links, a job in transparent mode
# checkpoints and migrates a node's ranks to the spare with the serial reference's
# checksum, and `down` leaves no namespace, link, bridge or /etc/hosts line behind.
# Needs root.
source "$(dirname "$0")/lib.sh"
name=n$$
use_cluster "$name"
expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 1 --netns
expect_exit 0 "$C" status --name "$name"
expect_in cmd.out "network a namespace per node on bridge ftmpi-b"
bridge=$(grep -o "ftmpi-b[0-9]*" cmd.out | head -1)
subnet=${bridge#ftmpi-b}
grep -q "^$name-n1 *10\.177\.$subnet\.1 " cmd.out || { cat cmd.out; fail "n1 is not on 10.177.$subnet.1"; }

# Each node has a network stack of its own, with its address on eth0.
host_ns=$(readlink /proc/self/ns/net)
n1_ns=$("$C" exec "$name-n1" -- readlink /proc/self/ns/net)
n2_ns=$("$C" exec "$name-n2" -- readlink /proc/self/ns/net)
[[ $n1_ns != "$host_ns" && $n2_ns != "$host_ns" && $n1_ns != "$n2_ns" ]] ||
  fail "the nodes do not have network namespaces of their own ($host_ns $n1_ns $n2_ns)"
"$C" exec "$name-n2" -- ip -o -4 addr show dev eth0 | grep -q "10\.177\.$subnet\.2/24" ||
  fail "n2 has no eth0 on 10.177.$subnet.2"

# A job across the nodes, checkpointed and migrated: its traffic between n1 and n2 (later
# n3) crosses n1's link.
link=/sys/class/net/fv$subnet-1/statistics
before=$(($(cat "$link/rx_bytes") + $(cat "$link/tx_bytes")))
args=(-n 64 -i 800 --sleep-ms 25)
want=$(reference_checksum jacobi2d 4 "${args[@]}")
FTMPI_LOG_LEVEL=info "$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --ckpt-dir ck \
  --ckpt-interval 2 --trace job.h5 --sample-interval 0.5 -np 4 "$BIN/jacobi2d" "${args[@]}" \
  >job.out 2>job.err &
job=$!
wait_for_rank_on ck 2 "$name-n2"
sleep 3
expect_exit 0 "$BIN/ftmpi-ctl" migrate --job ck --node "$name-n2" --to "$name-n3" --wait 60
rc=0
wait "$job" || rc=$?
[[ $rc -eq 0 ]] || { cat job.err; fail "the job exited $rc"; }
[[ $(checksum_of job.out) == "$want" ]] || { cat job.err; fail "checksum $(checksum_of job.out)"; }
expect_in job.err "node $name-n2 -> $name-n3: ranks 2,3 dumped"
grep -q "checkpoint [0-9]* written" job.err || { cat job.err; fail "no checkpoint"; }
after=$(($(cat "$link/rx_bytes") + $(cat "$link/tx_bytes")))
echo "n1's link carried $((after - before)) bytes"
[[ $((after - before)) -gt 200000 ]] || fail "MPI's traffic did not cross n1's link ($((after - before)) bytes)"

expect_exit 0 "$C" down --name "$name"
ip netns list | grep -q "ftmpi-$name-" && fail "a network namespace survived down: $(ip netns list)"
[[ -e /sys/class/net/$bridge || -e /sys/class/net/fv$subnet-1 ]] && fail "a link survived down"
grep -q "$name-n" /etc/hosts && fail "/etc/hosts still names the nodes"
pass "nodes in network namespaces of their own: a job checkpointed and migrated across them"
