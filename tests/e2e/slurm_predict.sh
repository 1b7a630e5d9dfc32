#!/usr/bin/env bash
# End to end under Slurm (slurm/local-cluster.sh, 4 nodes of 600 MiB):
#  1. an sbatch job on 3+1 nodes (jacobi2d, --spares 1, the shipped model deciding); a
#     memory leak injected on one node: the predictor moves its ranks to the spare, the
#     job is COMPLETED with the serial reference's checksum, and the node is DRAINED with
#     ftmpi's reason in sinfo -R; the nodes that were not predicted to fail stay idle;
#  2. a job cancelled (scancel) after a checkpoint; a new job restarts it with
#     --restart and finishes with the same checksum.
# Needs root, cgroup v1, slurm-wlm and CRIU.
source "$(dirname "$0")/lib.sh"
name=q$$
use_slurm_cluster "$name" 4 --cpus 2 --memory 600


args=(-n 64 -i 3600 -s 25)  # 90 s or more: the leaking node fails while the job runs
want=$(reference_checksum jacobi2d 3 "${args[@]}")
slurm_batch leak 4 "$BIN/ftmpi-launch" --allow-run-as-root --spares 1 --sample-interval 0.5 \
  --ckpt-dir "$PWD/leak.ck" --trace "$PWD/leak.h5" -np 3 "$BIN/jacobi2d" "${args[@]}"
wait_for_rank_on leak.ck 1 "$name-n2" 0.2
sleep 8  # the job settled
"$BIN/ftmpi-inject" --cluster "$name" --node "$name-n2" --fault mem-leak --rate 10 \
  --duration 120 >inject.out 2>&1 &
inject=$!
slurm_wait_batch leak
kill "$inject" 2>/dev/null || true
wait "$inject" 2>/dev/null || true
cat leak.err
expect_in leak.err "ftmpi-predictor: warning: node $name-n2 at risk"
expect_in leak.err "migration of node $name-n2: resumed on $name-n4"
expect_in leak.err "node $name-n2 drained in Slurm: ftmpi: failure predicted (score"
[[ $(cat leak.sacct) == "COMPLETED|0:0" ]] || fail "sacct: $(cat leak.sacct)"
[[ $(checksum_of leak.out) == "$want" ]] || fail "checksum $(checksum_of leak.out), want $want"
# n2 stays "draining" while the job holds it; slurmctld makes it "drained" once the job's
# last step on it is cleaned up, which may come a moment after the job's record.
for _ in $(seq 60); do
  sinfo -R -h -o '%n|%T|%E' >reasons
  grep -q "^$name-n2|drained|" reasons && break
  sleep 0.5
done
grep -q "^$name-n2|drained|ftmpi: failure predicted (score [0-9.]*; model [0-9.]*: memory" reasons ||
  { cat reasons; fail "n2 is not drained with ftmpi's reason"; }
[[ $(grep -c . reasons) -eq 1 ]] || { cat reasons; fail "another node was drained"; }
"$C" status --name "$name" >/dev/null
scontrol update NodeName="$name-n2" State=RESUME

# Cancelled after a checkpoint, restarted by the next job.
args=(-n 64 -i 1200 -s 25)
want=$(reference_checksum jacobi2d 3 "${args[@]}")
slurm_batch first 3 "$BIN/ftmpi-launch" --allow-run-as-root --ckpt-interval 2 \
  --ckpt-dir "$PWD/c.ck" --no-trace -np 3 "$BIN/jacobi2d" "${args[@]}"
for _ in $(seq 150); do
  ls -d c.ck/ckpt-* >/dev/null 2>&1 && [[ -f $(ls -d c.ck/ckpt-* | tail -n 1)/MANIFEST.json ]] && break
  sleep 0.2
done
sleep 1
scancel "$job"
slurm_wait_batch first
[[ $(cut -d'|' -f1 first.sacct) == CANCELLED* ]] || fail "the first job: $(cat first.sacct)"
ls -d c.ck/ckpt-* >/dev/null || fail "no checkpoint before the cancel"
slurm_batch second 3 "$BIN/ftmpi-launch" --allow-run-as-root --restart "$PWD/c.ck" --no-trace
slurm_wait_batch second
cat second.err
[[ $(cat second.sacct) == "COMPLETED|0:0" ]] || fail "the restarted job: $(cat second.sacct)"
[[ $(checksum_of second.out) == "$want" ]] || fail "checksum $(checksum_of second.out), want $want"
pass "Slurm: a predicted failure moved and drained; a cancelled job restarted in the next"
