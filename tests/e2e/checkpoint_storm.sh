#!/usr/bin/env bash
# Checkpoints back to back: jacobi2d (a Cartesian communicator, halo exchanges, an
# MPI_Allreduce per iteration), cg (two MPI_Allreduce per iteration), farm
# (master/worker with MPI_ANY_SOURCE) and comm_storm (communicator constructors in a
# loop) on 3 ranks, checkpointed every 0.02 s: quiesces are ordered at every kind of
# point, among them while some ranks wait in a collective's entry barrier and others are
# already inside the collective.  Each job keeps taking checkpoints until it ends (no
# proxy waits for ever for one that cannot answer), with the reference checksum, after
# many checkpoints.  Needs root (CRIU).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || fail "checkpoint_storm.sh needs root (CRIU)"
L=("$BIN/ftmpi-launch" --oversubscribe --allow-run-as-root --no-trace --mode transparent)

declare -A args=(
  [jacobi2d]="-n 64 -i 400 --sleep-ms 2"
  [cg]="-n 64 -i 200 --sleep-ms 4"
  [farm]="-t 60 -n 2000 -i 20 --sleep-ms 20"
)
written() { grep -c "checkpoint [0-9]* written" "$1" 2>/dev/null || true; }

# storm NAME MIN_CHECKPOINTS REFERENCE_CHECKSUM PROGRAM [ARGS...]: the program on 3 ranks,
# checkpointed every 0.02 s, ends with the reference checksum after MIN_CHECKPOINTS or more.
storm() {
  local name=$1 min=$2 want=$3
  shift 3
  rm -rf "ck-$name"
  setsid "${L[@]}" --ckpt-dir "ck-$name" --ckpt-interval 0.02 -np 3 "$@" >"$name.out" \
    2>"$name.err" &
  local pid=$!
  # A hang is a job that stops taking checkpoints: no new one for 60 s (a loaded machine
  # only makes each one slower).
  local last=0 still=0 now
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(written "$name.err")
    if [[ $now -eq $last ]]; then still=$((still + 1)); else last=$now still=0; fi
    if [[ $still -ge 60 ]]; then
      kill_job "ck-$name" "$pid"
      tail -20 "$name.err"
      fail "$name: no checkpoint for 60 s after $now (a quiesce that never ends)"
    fi
  done
  local rc=0
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || { tail -20 "$name.err"; fail "$name exited with $rc"; }
  local got taken
  got=$(checksum_of "$name.out")
  [[ $got == "$want" ]] || fail "$name: checksum $got, reference $want"
  taken=$(written "$name.err")
  [[ $taken -ge $min ]] || { cat "$name.err"; fail "$name: only $taken checkpoints taken"; }
  echo "$name: $taken checkpoints, $(grep -c "deferred" "$name.err") deferrals, checksum $got"
}

for app in jacobi2d cg farm; do
  read -r -a a <<<"${args[$app]}"
  storm "$app" 20 "$(reference_checksum "$app" 3 "${a[@]}")" "$BIN/$app" "${a[@]}"
done
# Communicator constructors back to back (MPI_Comm_split, MPI_Comm_dup, MPI_Cart_create,
# MPI_Comm_create_group, MPI_Intercomm_create, MPI_Intercomm_merge): checkpoints reach
# ranks inside them, whose proxies keep answering (the constructor runs beside the
# polling); the reference is the same program under plain mpirun.
"${MPIRUN[@]}" -np 3 "$TEST_BIN/comm_storm" 40 >comm_storm.ref || fail "comm_storm under mpirun"
storm comm_storm 5 "$(checksum_of comm_storm.ref)" "$TEST_BIN/comm_storm" 40
pass "checkpoints every 0.02 s: every job ended with the reference checksum"
