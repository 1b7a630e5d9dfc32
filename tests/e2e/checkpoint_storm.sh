#!/usr/bin/env bash
# Checkpoints back to back: jacobi2d (a Cartesian communicator, halo exchanges, an
# MPI_Allreduce per iteration), cg (two MPI_Allreduce per iteration) and farm
# (master/worker with MPI_ANY_SOURCE) on 3 ranks, checkpointed every 0.02 s: quiesces are
# ordered at every kind of point, among them while some ranks wait in a collective's
# entry barrier and others are already inside the collective.  Each job ends within its
# time limit (no proxy waits for ever for one that cannot answer) with the serial
# reference's checksum, after many checkpoints.  Needs root (CRIU).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || fail "checkpoint_storm.sh needs root (CRIU)"
L=("$BIN/ftmpi-launch" --oversubscribe --allow-run-as-root --no-trace --mode transparent)

declare -A args=(
  [jacobi2d]="-n 64 -i 800 --sleep-ms 2"
  [cg]="-n 64 -i 400 --sleep-ms 4"
  [farm]="-t 60 -n 2000 -i 40 --sleep-ms 20"
)
for app in jacobi2d cg farm; do
  read -r -a a <<<"${args[$app]}"
  rm -rf "ck-$app"
  timeout -k 5 150 "${L[@]}" --ckpt-dir "ck-$app" --ckpt-interval 0.02 -np 3 \
    "$BIN/$app" "${a[@]}" >"$app.out" 2>"$app.err"
  rc=$?
  [[ $rc -eq 124 ]] && { tail -20 "$app.err"; fail "$app: still running after 150 s (a quiesce that never ends)"; }
  [[ $rc -eq 0 ]] || { tail -20 "$app.err"; fail "$app exited with $rc"; }
  got=$(checksum_of "$app.out")
  want=$(reference_checksum "$app" 3 "${a[@]}")
  [[ $got == "$want" ]] || fail "$app: checksum $got, reference $want"
  taken=$(grep -c "checkpoint [0-9]* written" "$app.err")
  [[ $taken -ge 20 ]] || { cat "$app.err"; fail "$app: only $taken checkpoints taken"; }
  echo "$app: $taken checkpoints, $(grep -c "deferred" "$app.err") deferrals, checksum $got"
done
pass "checkpoints every 0.02 s: every job ended with the reference checksum"
