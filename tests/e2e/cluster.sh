#!/usr/bin/env bash
# ftmpi-cluster: a simulated cluster of 2 nodes and a spare on this machine.  Each node
# is its own host (name, address, cgroups, environment); a job across the active nodes
# (ftmpi-launch --cluster, native and transparent mode with checkpoints) ends with the
# reference checksum and its trace names both nodes with two ranks each; a node slow to
# answer still runs what Open MPI's agent brings, a silent one is down; `kill` loses a
# node with everything on it; `down` leaves no process, cgroup, /etc/hosts line or file
# behind; bad names are refused.  Needs root.
source "$(dirname "$0")/lib.sh"
name=t$$
use_cluster "$name"

expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 1 --memory 4096
expect_in cmd.out "2 nodes and 1 spares up"
expect_exit 0 "$C" status --name "$name"
[[ $(grep -c "^$name-n[123] .* up " cmd.out) -eq 3 ]] || { cat cmd.out; fail "three nodes with daemons up"; }
grep -q "^$name-n3 .* spare " cmd.out || { cat cmd.out; fail "n3 is not a spare"; }

# Each node is a host of its own.
expect_exit 0 "$C" exec "$name-n1" -- hostname
[[ $(cat cmd.out) == "$name-n1" ]] || fail "n1 calls itself $(cat cmd.out)"
expect_exit 0 "$C" exec "$name-n2" sh -c 'cat /proc/self/cgroup; echo "node=$FTMPI_NODE sysroot=$FTMPI_SYSROOT"'
expect_in cmd.out "memory:/ftmpi/$name/$name-n2"
expect_in cmd.out "node=$name-n2 sysroot=$FTMPI_CLUSTER_ROOT/$name/nodes/$name-n2/sysroot"
getent hosts "$name-n2" | grep -q "^127\.77\.[0-9]*\.2 " || fail "$name-n2 does not resolve to its address"
expect_exit 0 "$C" hostfile --name "$name"
[[ $(cat cmd.out) == "$name-n1 slots=2"$'\n'"$name-n2 slots=2" ]] || { cat cmd.out; fail "hostfile"; }

# A job across the active nodes, in both modes.
for mode in native transparent; do
  extra=()
  [[ $mode == transparent ]] && extra=(--ckpt-dir "ck-$mode" --ckpt-interval 0.3)
  FTMPI_LOG_LEVEL=info "$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --mode "$mode" \
    --trace "$mode.h5" --sample-interval 0.2 "${extra[@]}" -np 4 "$BIN/jacobi2d" -n 64 -i 40 -s 25 \
    >"$mode.out" 2>"$mode.err" || { cat "$mode.out" "$mode.err"; fail "jacobi2d on the cluster ($mode)"; }
  [[ $(checksum_of "$mode.out") == "$(reference_checksum jacobi2d 4 -n 64 -i 40)" ]] ||
    fail "jacobi2d on the cluster ($mode): checksum $(checksum_of "$mode.out")"
  /usr/bin/python3 - "$mode.h5" "$name" "$mode" <<'PY' || fail "the trace of the job on the cluster ($mode)"
import collections, sys
import h5py
with h5py.File(sys.argv[1], "r", libver="latest", swmr=True) as f:
    info = {int(r["node"]): r["name"].decode() for r in f["nodes/info"][:]}
    per_node = collections.Counter(f["ranks/info"]["node"].tolist())
    names = sorted(info[n] for n in per_node)
    assert names == [f"{sys.argv[2]}-n1", f"{sys.argv[2]}-n2"], names
    assert sorted(per_node.values()) == [2, 2], per_node
    # In transparent mode the job has the spare too, sampled by its node daemon.
    others = sorted(set(info.values()) - set(names))
    assert others == ([f"{sys.argv[2]}-n3"] if sys.argv[3] == "transparent" else []), others
print(f"{sys.argv[1]}: ranks on {names}, two each; nodes without ranks: {others}")
PY
done
taken=$(grep -c "checkpoint [0-9]* written" transparent.err || true)
[[ $taken -ge 1 ]] || { cat transparent.err; fail "no checkpoint of the job on the cluster"; }

# A node slow to answer (its daemon stopped for 6 s, as on a stalled machine) runs what
# the agent brings once its daemon beats again; a node whose daemon stays silent is down.
noded=$(cat "$FTMPI_CLUSTER_ROOT/$name/nodes/$name-n1/noded.pid")
kill -STOP "$noded"
sleep 6
(sleep 1 && kill -CONT "$noded") &
expect_exit 0 "$C" agent -x "$name-n1" echo answered late
expect_in cmd.out "answered late"
wait
kill -STOP "$noded"
sleep 6
expect_exit 255 "$C" agent "$name-n1" echo answered
expect_in cmd.err "node $name-n1 is down"
kill -CONT "$noded"

# A node lost: everything on it dies, its daemon too.
"$C" exec "$name-n2" -- sleep 300 &
sleeper=$!
for _ in $(seq 50); do
  "$C" status --name "$name" | grep -q "^$name-n2 .* up  *2 " && break
  sleep 0.1
done
expect_exit 0 "$C" kill "$name-n2"
wait "$sleeper" 2>/dev/null && fail "a process survived the loss of its node"
sleep 0.2
expect_exit 0 "$C" status --name "$name"
grep -q "^$name-n2 .* DOWN  *0 " cmd.out || { cat cmd.out; fail "n2 is not shown down and empty"; }

# Bad input.
expect_exit 66 "$C" status --name nosuch
expect_exit 64 "$C" up --name 'Bad!'
expect_in cmd.err "lower-case letters and digits"
expect_exit 64 "$C" up --name "$name"
expect_in cmd.err "is up already"
expect_exit 66 "$C" exec nosuch-n1 -- true
# A name that would reach outside the clusters' directory is refused by every command,
# even with a cluster's state file waiting there.
mkdir -p "$FTMPI_CLUSTER_ROOT/x"
cp "$FTMPI_CLUSTER_ROOT/$name/cluster.json" "$FTMPI_CLUSTER_ROOT/x/cluster.json"
for bad in .. ../x x/.. /x; do
  for cmd in status hostfile down; do
    expect_exit 64 "$C" "$cmd" --name "$bad"
    expect_in cmd.err "lower-case letters and digits"
  done
done
[[ -f $FTMPI_CLUSTER_ROOT/x/cluster.json && -f $FTMPI_CLUSTER_ROOT/$name/cluster.json ]] ||
  fail "a refused name removed a cluster's state"
rm -r "$FTMPI_CLUSTER_ROOT/x"
# A damaged state file: exit 65, and status still lists the others.
mkdir -p "$FTMPI_CLUSTER_ROOT/broken"
echo "not json" >"$FTMPI_CLUSTER_ROOT/broken/cluster.json"
expect_exit 65 "$C" status --name broken
expect_exit 65 "$C" status
expect_in cmd.out "cluster $name"
rm -r "$FTMPI_CLUSTER_ROOT/broken"
expect_exit 66 "$BIN/ftmpi-launch" --allow-run-as-root --cluster nosuch -np 1 /bin/true

# A node lost under a running job leaves nothing of Open MPI's in the machine's /tmp: a
# node's TMPDIR is its own (STATE/nodes/NODE/tmp), where its Open MPI daemon keeps its
# session directory, and down removes it.
"${MPIRUN[@]}" --mca plm_rsh_agent "$C agent" --mca oob_tcp_if_include lo --host "$name-n1" -np 1 sleep 300 >/dev/null 2>&1 &
job=$!
for _ in $(seq 100); do
  compgen -G "$FTMPI_CLUSTER_ROOT/$name/nodes/$name-n1/tmp/ompi.$name-n1.*" >/dev/null && break
  sleep 0.1
done
compgen -G "$FTMPI_CLUSTER_ROOT/$name/nodes/$name-n1/tmp/ompi.$name-n1.*" >/dev/null ||
  fail "no Open MPI session directory in n1's TMPDIR"
expect_exit 0 "$C" kill "$name-n1"
wait "$job" 2>/dev/null && fail "a job on a lost node ended well"

# down leaves nothing behind.
expect_exit 0 "$C" down --name "$name"
grep -q "ftmpi-cluster $name\$" /etc/hosts && fail "/etc/hosts still names the cluster"
for controller in memory cpu pids freezer; do
  [[ -e /sys/fs/cgroup/$controller/ftmpi/$name ]] && fail "cgroup $controller/ftmpi/$name left behind"
done
[[ -e $FTMPI_CLUSTER_ROOT/$name ]] && fail "state directory left behind"
compgen -G "/tmp/ompi.$name-n*" >/dev/null && fail "Open MPI's session directories left behind: $(echo /tmp/ompi."$name"-n*)"
for e in /proc/[0-9]*/environ; do
  tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "FTMPI_CLUSTER=$name" && fail "process ${e//[^0-9]/} left behind"
done 2>/dev/null
pass "simulated cluster: separate nodes, a job across them in both modes, a node lost, nothing left"
