#!/usr/bin/env bash
# ftmpi-inject on a simulated cluster of 2 nodes, while a traced job runs on it: memory
# errors, a temperature ramp and NIC errors (simulated in the node's system root) and a
# memory leak (real, in the node's cgroup) show in the trace's samples of that node and
# not of the other; each fault is in the cluster's faults.log and, as an event of its
# node, in the trace, with the node's failure at the end of each ramp (recorded only,
# --no-kill); a rank killed on a node ends the job with an error; a failure without
# --no-kill takes its node down; a disk-fill fills a node's own small disk; bad input is
# refused.  Needs root.
source "$(dirname "$0")/lib.sh"
name=i$$
use_cluster "$name"
expect_exit 0 "$C" up --name "$name" --nodes 2 --disk 32
I=("$BIN/ftmpi-inject" --cluster "$name")

"$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --mode native --trace run.h5 \
  --sample-interval 0.2 -np 4 "$BIN/jacobi2d" -n 64 -i 240 -s 25 >run.out 2>run.err &
job=$!
# The faults must come after the trace's start (the predictor records faults from then
# on): wait for the trace file, made once every rank has greeted the predictor.
for _ in $(seq 300); do
  [[ -s run.h5 ]] && break
  sleep 0.1
done
sleep 0.5
"${I[@]}" --node "$name-n2" --fault ecc-errors --rate 100 --duration 1.5 --no-kill >ecc.out &
"${I[@]}" --node "$name-n1" --fault thermal --trip 85 --duration 1.5 --no-kill >thermal.out &
"${I[@]}" --node "$name-n1" --fault nic-errors --rate 200 --duration 1 --no-kill >nic.out &
"${I[@]}" --node "$name-n2" --fault mem-leak --rate 100 --duration 1.5 >leak.out &
wait %2 %3 %4 %5 || fail "an injection failed"
wait "$job" || { cat run.out run.err; fail "the job under injections failed"; }
expect_in ecc.out "ecc-errors on $name-n2: sys/devices/system/edac/mc/mc0/ce_count +150, sys/devices/system/edac/mc/mc0/ue_count +1; the node failed: an uncorrected memory error"
expect_in nic.out "the node failed: the node's network link went down"
expect_in thermal.out "-> 85.0 C"
expect_in leak.out "150 MiB held"
/usr/bin/python3 - run.h5 "$name" <<'PY' || fail "the faults are not in the trace as injected"
import sys
import h5py
with h5py.File(sys.argv[1], "r", libver="latest", swmr=True) as f:
    names = {int(r["node"]): r["name"].decode() for r in f["nodes/info"][:]}
    s = f["nodes/samples"][:]
def of(node, column):
    index = [i for i, n in names.items() if n == f"{sys.argv[2]}-{node}"][0]
    return s[s["node"] == index][column]
assert of("n2", "edac_corrected").max() >= 100 and of("n2", "edac_uncorrected").max() == 1, "ecc n2"
assert of("n1", "edac_corrected").max() == 0, "ecc leaked to n1"
assert of("n1", "temperature_max").max() >= 80 and of("n2", "temperature_max").max() == 45, "thermal"
assert of("n1", "net_errors").max() >= 150 and of("n2", "net_errors").max() == 0, "nic"
leak = of("n2", "cgroup_memory_usage")
assert leak.max() - leak.min() >= 100 << 20, f"leak {leak.min()} {leak.max()}"
# The leak is anonymous memory: all of it in the working set (usage less the inactive
# file cache, which the kernel reports for every node's cgroup).
cached = of("n2", "cgroup_memory_inactive_file")
assert (cached >= 0).all() and (of("n1", "cgroup_memory_inactive_file") >= 0).all(), "no cache"
working = leak - cached
assert working.max() - working.min() >= 100 << 20, f"working set {working.min()} {working.max()}"
# The injections themselves, as events of their node: ground truth in the trace.
with h5py.File(sys.argv[1], "r", libver="latest", swmr=True) as f:
    events = f["events"][:]
faults = [(names[int(e["node"])], e["detail"].decode()) for e in events if e["kind"] == b"fault"]
assert len(faults) == 11, faults
failed = sorted(d.split(" ")[0] for n, d in faults if " node_failed " in d)
assert failed == ["ecc-errors", "nic-errors", "thermal"], failed
assert (f"{sys.argv[2]}-n2", "ecc-errors start (rate 100, duration 1.5 s)") in faults, faults
assert any(n == f"{sys.argv[2]}-n1" and d.startswith("thermal end") for n, d in faults), faults
print("faults in the trace: ecc and leak on n2, thermal and nic on n1")
PY
[[ $(grep -c '"event": "start"' "$FTMPI_CLUSTER_ROOT/$name/faults.log") -eq 4 &&
   $(grep -c '"event": "node_failed"' "$FTMPI_CLUSTER_ROOT/$name/faults.log") -eq 3 &&
   $(grep -c '"event": "end"' "$FTMPI_CLUSTER_ROOT/$name/faults.log") -eq 4 ]] ||
  { cat "$FTMPI_CLUSTER_ROOT/$name/faults.log"; fail "faults.log"; }

# A rank killed: the job ends with an error.
"$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --mode native --no-trace -np 4 \
  "$BIN/jacobi2d" -n 64 -i 400 -s 25 >kill.out 2>kill.err &
job=$!
for _ in $(seq 50); do
  "${I[@]}" --node "$name-n2" --fault rank-kill --rank 3 >rk.out 2>rk.err && break
  sleep 0.1
done
expect_in rk.out "rank 3 (pid"
wait "$job" && fail "the job went on after losing a rank"
# No such rank on the node (the job is gone): nothing to kill, missing input.
expect_exit 66 "${I[@]}" --node "$name-n2" --fault rank-kill --rank 3
expect_in cmd.err "no application process of rank 3 on node $name-n2"

# The node's own disk (--disk 32) filled: the node fails, and is taken down with it.
expect_exit 0 "${I[@]}" --node "$name-n2" --fault disk-fill --rate 64 --duration 5
expect_in cmd.out "32 MiB written (disk full); the node failed: the node-local disk is full"
expect_in cmd.out "(every process of the node killed)"
"$C" status --name "$name" | grep -q "^$name-n2 .* DOWN " || fail "n2 is still up after its failure"

expect_exit 64 "${I[@]}" --node "$name-n1" --fault meteor
expect_exit 66 "${I[@]}" --node nosuch --fault cpu-hog
expect_in cmd.err "has no node nosuch"
pass "fault injection: ecc, thermal, nic and memory faults in the trace of their node only; a rank killed"
