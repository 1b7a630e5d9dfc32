#!/usr/bin/env bash
# local-cluster.sh: a Slurm cluster on this machine, for tests and trials: a simulated
# cluster (ftmpi-cluster) whose every node runs its own slurmd, inside the node (its
# cgroups and host name), beside one slurmctld and one munged of the cluster's own.
# Nothing of the machine's Slurm or munge configuration is used or changed.
#
#   slurm/local-cluster.sh up NAME NODES [ftmpi-cluster up options...]
#   slurm/local-cluster.sh down NAME
#   slurm/local-cluster.sh env NAME     # the environment for Slurm's commands: eval it
#
# `up` waits until sinfo shows every node idle (30 s at most), and prints the `env`
# lines.  Needs root, cgroup v1 (simulated nodes), slurm-wlm and munge.  State, logs and
# configuration: $FTMPI_CLUSTER_ROOT/NAME/slurm (default /run/ftmpi/clusters).  The
# daemons' sockets and slurmd's spool live under a short path, $FTMPI_SLURM_RUN/NAME
# (default /run/ftmpi-slurm), since a Unix socket's path holds at most 107 bytes and
# slurmd names its step sockets NODE_JOBID.STEPID inside the spool.
set -euo pipefail
bin=${FTMPI_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
cluster=$bin/ftmpi-cluster
root=${FTMPI_CLUSTER_ROOT:-/run/ftmpi/clusters}

die() { echo "local-cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '6,8p' "$0" | sed 's/^# *//' >&2; exit 64; }

[[ $# -ge 2 ]] || usage
cmd=$1 name=$2
shift 2
dir=$root/$name/slurm
run=${FTMPI_SLURM_RUN:-/run/ftmpi-slurm}/$name

env_lines() {
  echo "export SLURM_CONF=$dir/slurm.conf"
}

down() {
  local pid
  for f in "$dir"/slurmd-*.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$run"
  "$cluster" down --name "$name"
}

up() {
  local nodes=$1
  shift
  for tool in slurmctld slurmd munged mungekey sinfo; do
    command -v "$tool" >/dev/null || die "$tool not found: install slurm-wlm and munge (scripts/setup.sh does)"
  done
  # The longest socket slurmd makes: the batch step (4294967291) of a 10-digit job id.
  local longest="$run/spool/$name-n$nodes/$name-n${nodes}_4294967295.4294967291"
  ((${#longest} <= 107)) || die "$run is too deep for slurmd's sockets (${#longest} > 107 bytes): set FTMPI_SLURM_RUN to a shorter directory"
  "$cluster" up --name "$name" --nodes "$nodes" "$@" >/dev/null
  trap 'down >/dev/null 2>&1 || true' ERR
  local subnet cpus memory host port
  read -r subnet cpus memory < <(/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(c["subnet"], c["cpus"] or 2, c["memory_mb"] or 1024)' "$root/$name/cluster.json")
  host=$(hostname -s)
  # The controller's and the nodes' ports: a block of the cluster's own, free now.
  port=$((20000 + subnet * 100))
  while [[ -n $(ss -Hltn "( sport >= :$port and sport <= :$((port + nodes)) )" 2>/dev/null) ]]; do
    port=$((port + 10000))
    ((port < 60000)) || die "no free block of ports for the cluster's Slurm daemons"
  done
  mkdir -p "$dir/state" "$run/spool"
  # Every task learns its node's sensors and cgroup, as a process entering the node
  # through ftmpi-cluster does.
  cat >"$dir/task-prolog.sh" <<PROLOG
#!/bin/sh
node=\$(hostname)
echo "export FTMPI_CLUSTER_ROOT=$root"
echo "export FTMPI_CLUSTER=$name"
echo "export FTMPI_NODE=\$node"
echo "export FTMPI_SYSROOT=$root/$name/nodes/\$node/sysroot"
echo "export FTMPI_NODE_CGROUP=ftmpi/$name/\$node"
echo "export FTMPI_NODE_DIR=$root/$name/nodes/\$node/local"
PROLOG
  chmod +x "$dir/task-prolog.sh"
  mungekey --create --keyfile="$dir/munge.key" --force
  chmod 0400 "$dir/munge.key"
  munged --force --socket="$run/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
  {
    echo "# Written by slurm/local-cluster.sh for the simulated cluster $name."
    echo "ClusterName=$name"
    echo "SlurmctldHost=$host"
    echo "SlurmctldPort=$port"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    echo "AuthInfo=socket=$run/munge.socket"
    echo "StateSaveLocation=$dir/state"
    echo "SlurmdSpoolDir=$run/spool/%n"
    echo "SlurmctldPidFile=$dir/slurmctld.pid"
    echo "SlurmdPidFile=$dir/slurmd-%n.pid"
    echo "SlurmctldLogFile=$dir/slurmctld.log"
    echo "SlurmdLogFile=$dir/slurmd-%n.log"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "TaskProlog=$dir/task-prolog.sh"
    echo "MpiDefault=none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "ReturnToService=2"
    echo "JobCompType=jobcomp/filetxt"
    echo "JobCompLoc=$dir/jobcomp.txt"
    echo "AccountingStorageType=accounting_storage/none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "SlurmdTimeout=30"
    echo "InactiveLimit=0"
    echo "KillWait=5"
    local i
    for ((i = 1; i <= nodes; i++)); do
      echo "NodeName=$name-n$i NodeAddr=127.77.$subnet.$i Port=$((port + i)) CPUs=$cpus RealMemory=$memory State=UNKNOWN"
    done
    echo "PartitionName=$name Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO"
  } >"$dir/slurm.conf"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF"
  for ((i = 1; i <= nodes; i++)); do
    "$cluster" exec "$name-n$i" -- slurmd -f "$SLURM_CONF" -N "$name-n$i"
  done
  for _ in $(seq 300); do
    if [[ $(sinfo -h -N -o '%T' 2>/dev/null | grep -c '^idle$') -eq $nodes ]]; then
      trap - ERR
      env_lines
      return 0
    fi
    sleep 0.1
  done
  sinfo -N >&2 || true
  tail -n 20 "$dir/slurmctld.log" >&2 || true
  die "the nodes of $name are not idle after 30 s (logs in $dir)"
}

case $cmd in
  up) [[ $# -ge 1 ]] || usage; up "$@" ;;
  down) down ;;
  env) [[ -f $dir/slurm.conf ]] || die "no Slurm cluster named $name"; env_lines ;;
  *) usage ;;
esac
