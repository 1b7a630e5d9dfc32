# Shared helpers of the end-to-end test scripts (sourced, not run).
# ctest runs each script in its own scratch folder with FTMPI_BUILD_DIR and
# FTMPI_SOURCE_DIR set (cmake/FtmpiTesting.cmake).
set -euo pipefail

: "${FTMPI_BUILD_DIR:?run through ctest, or set FTMPI_BUILD_DIR}"
: "${FTMPI_SOURCE_DIR:?run through ctest, or set FTMPI_SOURCE_DIR}"
BIN="$FTMPI_BUILD_DIR/bin"
TEST_BIN="$FTMPI_BUILD_DIR/tests/bin"
# An independent reader of job traces (h5py).
CHECK_TRACE=(/usr/bin/python3 "$FTMPI_SOURCE_DIR/tests/e2e/check_trace.py")
MPIRUN=(mpirun --oversubscribe)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() { echo "PASS: $*"; }

# checksum_of FILE: the value of the last line, which must read "checksum: VALUE".
checksum_of() {
  local last
  last=$(tail -n 1 "$1")
  [[ $last =~ ^checksum:\ ([-+0-9.eE]+)$ ]] || fail "last line of $1 is not 'checksum: VALUE': '$last'"
  echo "${BASH_REMATCH[1]}"
}

# reference_checksum APP RANKS ARGS...: the serial reference's checksum.
reference_checksum() {
  local app=$1 ranks=$2
  shift 2
  local extra=()
  [[ $app == memhog ]] && extra=(--ranks "$ranks")
  "$TEST_BIN/ftmpi-reference" "$app" "$@" "${extra[@]}" >reference.out
  checksum_of reference.out
}

# expect_exit CODE CMD...: runs CMD (output in cmd.out, cmd.err), checks its exit code.
expect_exit() {
  local want=$1 got=0
  shift
  "$@" >cmd.out 2>cmd.err || got=$?
  if [[ $got -ne $want ]]; then
    echo "--- stdout"; cat cmd.out; echo "--- stderr"; cat cmd.err
    fail "'$*' exited with $got, expected $want"
  fi
}

# expect_in FILE TEXT: FILE contains TEXT.
expect_in() {
  grep -qF -- "$2" "$1" || { cat "$1"; fail "$1 does not contain '$2'"; }
}

# env_pids NAME=VALUE: the processes that carry NAME=VALUE in their environment.
env_pids() {
  local e pid
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}
    pid=${pid%/environ}
    tr '\0' '\n' <"$e" 2>/dev/null | grep -qxF "$1" && echo "$pid"
  done 2>/dev/null
  true
}

# job_pids DIR: the processes of the job whose checkpoints go to DIR (they carry DIR in
# their environment; application processes live in sessions of their own).
job_pids() {
  env_pids "FTMPI_CKPT_DIR=$(readlink -f "$1")"
}

# kill_job DIR PID: SIGKILL the launcher PID (its session) and every process of the job
# (job_pids).  Scanned until a round finds none: an application CRIU was dumping when
# its criu was killed cannot be read until CRIU lets it go.
kill_job() {
  local pid found
  kill -9 -- "-$2" 2>/dev/null || true
  for _ in $(seq 20); do
    found=0
    for pid in $(job_pids "$1"); do
      kill -9 "$pid" 2>/dev/null && found=1
    done
    sleep 0.25
    [[ $found -eq 1 ]] || break
  done
  true
}

# job_channel_dir DIR: the /dev/shm directory ftmpi-launch made for the job whose
# checkpoints go to DIR (its rank proxies have it in their environment).
job_channel_dir() {
  local pid
  for pid in $(job_pids "$1"); do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == ftmpi-proxy ]] || continue
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^FTMPI_CHANNEL_DIR=//p'
    return 0
  done
  return 1
}

# wait_for_checkpoint DIR BEYOND: until a complete checkpoint newer than BEYOND exists.
wait_for_checkpoint() {
  local newest
  for _ in $(seq 300); do
    newest=$(ls -d "$1"/ckpt-*/MANIFEST.json 2>/dev/null | sed 's|.*/ckpt-0*\([0-9]*\)/.*|\1|' | sort -n | tail -1)
    [[ -n $newest && $newest -gt $2 ]] && { echo "$newest"; return 0; }
    sleep 0.1
  done
  return 1
}

# wait_for_rank_on DIR RANK NODE [PAUSE]: waits (100 looks, PAUSE s apart, default 0.1)
# until `ftmpi-ctl status --job DIR` shows rank RANK on node NODE: the job runs there.
wait_for_rank_on() {
  local _
  for _ in $(seq 100); do
    grep -q "^$2 *$3" <("$BIN/ftmpi-ctl" status --job "$1" 2>/dev/null) && return 0
    sleep "${4:-0.1}"
  done
}

# stall_watch_start, stall_watch_stop: whether the machine stalled in between.
source "$FTMPI_SOURCE_DIR/tests/tools/stall_watch.sh"

# use_cluster NAME: simulated clusters with their state in this scratch folder; C runs
# ftmpi-cluster; cluster NAME is taken down when the script exits.  Needs root.
use_cluster() {
  [[ $(id -u) -eq 0 ]] || fail "$(basename "$0") needs root (cgroups, /etc/hosts, namespaces)"
  export FTMPI_CLUSTER_ROOT=$PWD/clusters
  C="$BIN/ftmpi-cluster"
  cluster=$1
  trap '"$C" down --name "$cluster" >/dev/null 2>&1 || true' EXIT
}

# slurm_job_end JOB [SECONDS]: waits (default 300 s) until Slurm has recorded the end of
# batch job JOB (its job completion record, read by sacct -c) and prints "STATE|EXIT".
# (squeue is no witness: a controller slow to answer looks like a job that is gone.)
slurm_job_end() {
  local record
  for _ in $(seq $((${2:-300} * 5))); do
    record=$(sacct -c -o JobID,State,ExitCode -P -n 2>/dev/null | grep "^$1|" | tail -n 1 || true)
    [[ -n $record ]] && { echo "${record#*|}"; return 0; }
    sleep 0.2
  done
  fail "Slurm recorded no end of job $1"
}

# use_slurm_cluster NAME NODES [ftmpi-cluster up options...]: a local Slurm cluster
# (slurm/local-cluster.sh) for this test, its environment set, taken down at the end;
# a test that fails shows the queue and the daemons' last words first.
use_slurm_cluster() {
  use_cluster "$1"
  SLURM_CLUSTER=("$FTMPI_SOURCE_DIR/slurm/local-cluster.sh")
  export FTMPI_BIN=$BIN
  trap 'rc=$?
    if [[ $rc -ne 0 ]]; then
      squeue -o "%i %T %r %N" 2>&1 | head -n 20
      tail -n 40 "$FTMPI_CLUSTER_ROOT/$cluster/slurm/slurmctld.log" 2>/dev/null
      for log in "$FTMPI_CLUSTER_ROOT/$cluster"/slurm/slurmd-*.log; do
        [[ -f $log ]] && { echo "== $log"; tail -n 15 "$log"; }
      done
    fi
    "${SLURM_CLUSTER[@]}" down "$cluster" >/dev/null 2>&1 || true' EXIT
  expect_exit 0 "${SLURM_CLUSTER[@]}" up "$@"
  eval "$(cat cmd.out)"
}

# slurm_batch NAME NODES COMMAND...: submits a batch script (NAME.sh) on NODES nodes
# running COMMAND with Open MPI over loopback; its output in NAME.out and NAME.err, its
# id in $job.  slurm_wait_batch NAME: waits for it; its "STATE|EXIT" in NAME.sacct.
slurm_batch() {
  local job_name=$1 nodes=$2
  shift 2
  {
    echo "#!/bin/bash"
    echo "#SBATCH -N $nodes"
    echo "export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo"
    echo "export FTMPI_LOG_LEVEL=info"
    printf '%q ' "$@"
    echo
  } >"$job_name.sh"
  job=$(sbatch --parsable -o "$job_name.out" -e "$job_name.err" "$job_name.sh")
}
slurm_wait_batch() {
  slurm_job_end "$job" 300 >"$1.sacct"
}
