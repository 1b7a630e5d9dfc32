#!/usr/bin/env bash
# ftmpi-launch inside real Slurm allocations (slurm/local-cluster.sh, 4 nodes):
#  1. an sbatch job on 3+1 nodes runs jacobi2d with --spares 1 and no hostfile; while it
#     runs, ftmpi-ctl migrates the ranks of one node to the spare; the job completes
#     (COMPLETED, exit 0 in sacct) with the serial reference's checksum; the node is
#     not drained (no prediction moved it);
#  2. a native job on 2 nodes: the allocation's nodes, one rank each;
#  3. bad input, each a clear error before anything starts: more spares than the
#     allocation allows, a one-node allocation with spares, a node list that cannot be
#     read, a job or nodes Slurm does not know.  Needs root, cgroup v1, slurm-wlm and CRIU.
source "$(dirname "$0")/lib.sh"
name=l$$
use_slurm_cluster "$name" 4 --cpus 2 --memory 1000
args=(-n 64 -i 1500 -s 20)
want=$(reference_checksum jacobi2d 3 "${args[@]}")


slurm_batch migrate 4 "$BIN/ftmpi-launch" --allow-run-as-root --spares 1 --ckpt-dir "$PWD/m.ck" \
  --trace "$PWD/m.h5" -np 3 "$BIN/jacobi2d" "${args[@]}"
wait_for_rank_on m.ck 1 "$name-n2" 0.2
"$BIN/ftmpi-ctl" status --job m.ck | grep -q "$name-n4 *spare" || fail "n4 is not the spare"
expect_exit 0 "$BIN/ftmpi-ctl" migrate --job m.ck --node "$name-n2" --wait 120
expect_in cmd.out "node $name-n2 migrated to $name-n4"
slurm_wait_batch migrate
cat migrate.err
expect_in migrate.err "Slurm allocation $job: 4 nodes"
expect_in migrate.err "migration of node $name-n2: resumed on $name-n4"
[[ $(cat migrate.sacct) == "COMPLETED|0:0" ]] || fail "sacct: $(cat migrate.sacct)"
[[ $(checksum_of migrate.out) == "$want" ]] || fail "checksum $(checksum_of migrate.out), want $want"
# Moved by hand, not on a prediction: the node is not drained.
sinfo -R -h -o '%n %E' | grep -q "$name-n2" && fail "n2 drained after a migration nobody predicted"
grep -q "drained in Slurm" migrate.err && fail "a node was drained"

slurm_batch native 2 "$BIN/ftmpi-launch" --allow-run-as-root --mode native --trace "$PWD/n.h5" \
  -np 2 "$BIN/jacobi2d" -n 64 -i 20
slurm_wait_batch native
[[ $(cat native.sacct) == "COMPLETED|0:0" ]] || { cat native.err; fail "the native job"; }
"$BIN/ftmpi-trace" summary n.h5 | grep -q "ranks     2 on 2 node(s)" || fail "2 ranks on 2 nodes"

# Bad input: refused before anything starts, and the exit code reaches sacct.
slurm_batch too_many 3 "$BIN/ftmpi-launch" --allow-run-as-root --spares 3 -np 1 /bin/true
slurm_wait_batch too_many
expect_in too_many.err "--spares 3: the Slurm allocation $job has 3 nodes, and at least one must run ranks"
[[ $(cat too_many.sacct) == "FAILED|64:0" ]] || fail "sacct: $(cat too_many.sacct)"
slurm_batch one 1 "$BIN/ftmpi-launch" --allow-run-as-root --spares 1 -np 1 /bin/true
slurm_wait_batch one
expect_in one.err "has 1 node, and at least one must run ranks; ask for more nodes (sbatch -N 2)"
SLURM_JOB_ID=7 SLURM_JOB_NODELIST="n[1-" expect_exit 64 "$BIN/ftmpi-launch" -np 1 /bin/true
expect_in cmd.err "SLURM_JOB_NODELIST: 'n[1-': a '[' without its ']'"
SLURM_JOB_ID=$job SLURM_JOB_NODELIST="ghost[1-2]" expect_exit 64 "$BIN/ftmpi-launch" -np 1 /bin/true
expect_in cmd.err "Slurm knows no node list ghost[1-2] (SLURM_JOB_NODELIST)"
SLURM_JOB_ID=999999 SLURM_JOB_NODELIST="$name-n1" expect_exit 64 "$BIN/ftmpi-launch" -np 1 /bin/true
expect_in cmd.err "Slurm knows no job 999999 (SLURM_JOB_ID)"
pass "ftmpi-launch in Slurm allocations: a migration to the allocation's spare, the checksum, sacct"
