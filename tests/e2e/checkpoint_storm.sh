#!/usr/bin/env bash
# Checkpoints back to back: jacobi2d (a Cartesian communicator, halo exchanges, an
# MPI_Allreduce per iteration), cg (two MPI_Allreduce per iteration) and farm
# (master/worker with MPI_ANY_SOURCE) on 3 ranks, checkpointed every 0.02 s: quiesces are
# ordered at every kind of point, among them while some ranks wait in a collective's
# entry barrier and others are already inside the collective.  Each job keeps taking
# checkpoints until it ends (no proxy waits for ever for one that cannot answer), with the
# serial reference's checksum, after many checkpoints.  Needs root (CRIU).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || fail "checkpoint_storm.sh needs root (CRIU)"
L=("$BIN/ftmpi-launch" --oversubscribe --allow-run-as-root --no-trace --mode transparent)

declare -A args=(
  [jacobi2d]="-n 64 -i 400 --sleep-ms 2"
  [cg]="-n 64 -i 200 --sleep-ms 4"
  [farm]="-t 60 -n 2000 -i 20 --sleep-ms 20"
)
written() { grep -c "checkpoint [0-9]* written" "$1" 2>/dev/null || true; }
for app in jacobi2d cg farm; do
  read -r -a a <<<"${args[$app]}"
  rm -rf "ck-$app"
  setsid "${L[@]}" --ckpt-dir "ck-$app" --ckpt-interval 0.02 -np 3 \
    "$BIN/$app" "${a[@]}" >"$app.out" 2>"$app.err" &
  pid=$!
  # A hang is a job that stops taking checkpoints: no new one for 60 s (a loaded machine
  # only makes each one slower).
  last=0 still=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(written "$app.err")
    if [[ $now -eq $last ]]; then still=$((still + 1)); else last=$now still=0; fi
    if [[ $still -ge 60 ]]; then
      kill_job "ck-$app" "$pid"
      tail -20 "$app.err"
      fail "$app: no checkpoint for 60 s after $now (a quiesce that never ends)"
    fi
  done
  rc=0
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || { tail -20 "$app.err"; fail "$app exited with $rc"; }
  got=$(checksum_of "$app.out")
  want=$(reference_checksum "$app" 3 "${a[@]}")
  [[ $got == "$want" ]] || fail "$app: checksum $got, reference $want"
  taken=$(written "$app.err")
  [[ $taken -ge 20 ]] || { cat "$app.err"; fail "$app: only $taken checkpoints taken"; }
  echo "$app: $taken checkpoints, $(grep -c "deferred" "$app.err") deferrals, checksum $got"
done
pass "checkpoints every 0.02 s: every job ended with the reference checksum"
