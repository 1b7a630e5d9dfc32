#!/usr/bin/env bash
# The local Slurm cluster for tests (slurm/local-cluster.sh): 3 simulated nodes, each
# with its slurmd inside the node (its cgroups, its host name), idle within 30 s; srun
# runs on all three; an sbatch job's exit code reaches the job completion records
# (sacct -c); `down` leaves no daemon and no state behind; a run directory too deep
# for slurmd's sockets is refused.  Needs root and slurm-wlm.
source "$(dirname "$0")/lib.sh"
name=s$$
use_slurm_cluster "$name" 3 --cpus 1 --memory 500
# A run directory too deep for slurmd's sockets is refused before anything starts.
deep=$PWD/$(printf 'd%.0s' $(seq 90))
FTMPI_BIN=$BIN FTMPI_SLURM_RUN=$deep expect_exit 1 "$FTMPI_SOURCE_DIR/slurm/local-cluster.sh" up "${name}d" 3
grep -q "too deep for slurmd's sockets" cmd.err || fail "no clear error for a deep run directory"
[[ ! -e $FTMPI_CLUSTER_ROOT/${name}d && ! -e $deep ]] || fail "the refused cluster left something behind"
[[ -f $SLURM_CONF ]] || fail "up did not say where slurm.conf is"
[[ $(sinfo -h -N -o '%N %T' | sort | tr '\n' ' ') == "$name-n1 idle $name-n2 idle $name-n3 idle " ]] ||
  { sinfo -N; fail "sinfo does not show three idle nodes"; }
# Every slurmd runs inside its node.
for i in 1 2 3; do
  pid=$(cat "$FTMPI_CLUSTER_ROOT/$name/slurm/slurmd-$name-n$i.pid")
  grep -q "ftmpi/$name/$name-n$i" "/proc/$pid/cgroup" || fail "slurmd of n$i is not in its node's cgroup"
done
[[ $(timeout 30 srun -N3 hostname | sort | tr '\n' ' ') == "$name-n1 $name-n2 $name-n3 " ]] ||
  fail "srun -N3 did not run on the three nodes"

cat >job.sh <<'JOB'
#!/bin/bash
#SBATCH -N 2
srun hostname
exit 3
JOB
job=$(sbatch --parsable -o job.out job.sh)
end=$(slurm_job_end "$job" 60)
[[ $(wc -l <job.out) -eq 2 ]] || { cat job.out; fail "the batch job's srun"; }
[[ $end == "FAILED|3:0" ]] || fail "the job's exit code in sacct: $end"

expect_exit 0 "${SLURM_CLUSTER[@]}" down "$name"
trap - EXIT
for f in "$FTMPI_CLUSTER_ROOT/$name" "/run/ftmpi-slurm/$name"; do [[ ! -e $f ]] || fail "$f left behind"; done
pgrep -f "$FTMPI_CLUSTER_ROOT/$name/slurm" && fail "Slurm daemons of the cluster left running"
pass "a local Slurm cluster of 3 simulated nodes: idle, srun, sbatch, exit code in sacct, gone"
