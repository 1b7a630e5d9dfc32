#!/usr/bin/env bash
# Live migration on a simulated cluster (2 active nodes, 2 spares): every example
# application on 4 ranks (2 per node) in transparent mode; while it runs,
# `ftmpi-ctl migrate` moves the ranks of node n2 to a spare and the job goes on.  The
# ranks on n1 are neither dumped nor restored: the very same application processes
# (PID and start time) run on, and the migration's state holds CRIU images of ranks 2
# and 3 only.  Then n1's ranks move to the other spare the same way (n2's, now on the
# first spare, staying).  Every application ends with the serial reference's checksum
# after the two migrations in a row, and ftmpi-ctl status and the traces tell what
# happened.  A program that always holds
# requests is migrated three times in a row.  Needs root.
source "$(dirname "$0")/lib.sh"
name=m$$
use_cluster "$name"
L=("$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --sample-interval 0.2)

# app_processes DIR RANKS...: "RANK PID START" of the application process of each of
# RANKS in the job writing to DIR (its channel's name ends in -RANK.channel), sorted.
app_processes() {
  local dir pid env channel
  dir=$(readlink -f "$1")
  shift
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}
    pid=${pid%/environ}
    env=$(tr '\0' '\n' 2>/dev/null <"$e") || continue
    grep -qx "FTMPI_CKPT_DIR=$dir" <<<"$env" || continue
    channel=$(grep '^FTMPI_CHANNEL=' <<<"$env") || continue
    [[ $channel =~ -([0-9]+)\.channel$ ]] || continue
    [[ " $* " == *" ${BASH_REMATCH[1]} "* ]] || continue
    echo "${BASH_REMATCH[1]} $pid $(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null)"
  done | sort
}

# wait_running DIR RANKS...: until the application processes of RANKS run.
wait_running() {
  local dir=$1
  shift
  for _ in $(seq 200); do
    [[ $(app_processes "$dir" "$@" | wc -l) -eq $# ]] && return 0
    sleep 0.1
  done
  fail "the job in $dir never ran ranks $*"
}

# migrate DIR NODE TO MOVED STAYING: moves NODE's ranks (MOVED, e.g. "2 3") to the spare
# TO while the job runs; checks that the application processes of STAYING ("0 1") are the same ones
# before and after, and that only MOVED were dumped.
migrate() {
  local dir=$1 node=$2 to=$3 moved=$4 staying=$5 before after state
  read -r -a stay <<<"$staying"
  wait_running "$dir" "${stay[@]}"
  sleep 0.5
  before=$(app_processes "$dir" "${stay[@]}")
  expect_exit 0 "$BIN/ftmpi-ctl" migrate --job "$dir" --node "$node" --to "$to" --wait 60
  expect_in cmd.out "node $node migrated to $to"
  # The relaunched MPI layer runs from the migration's state until the job ends.
  state=$(ls -d "$dir"/migration-* | tail -1)
  for r in $moved; do
    [[ -f $state/rank-$r/inventory.img ]] || fail "rank $r on $node was not dumped"
  done
  for r in $staying; do
    [[ ! -e $state/rank-$r/inventory.img ]] || fail "rank $r, not on $node, was dumped"
    [[ -f $state/rank-$r/proxy.state ]] || fail "rank $r has no proxy state"
  done
  # ftmpi-ctl status: the ranks on their new node, NODE excluded, the migration counted.
  expect_exit 0 "$BIN/ftmpi-ctl" status --job "$dir"
  for r in $moved; do
    grep -q "^$r *$to\$" cmd.out || { cat cmd.out; fail "status does not show rank $r on $to"; }
  done
  grep -q "^$node *excluded " cmd.out || { cat cmd.out; fail "status does not show $node excluded"; }
  expect_in cmd.out "node $node migrated to $to"
  after=$(app_processes "$dir" "${stay[@]}")
  [[ -n $before && $before == "$after" ]] ||
    fail "the application processes of ranks $staying changed: '$before' -> '$after'"
}

declare -A args=(
  [jacobi2d]="-n 64 -i 560 --sleep-ms 25"
  [cg]="-n 56 -i 280 --sleep-ms 50"
  [farm]="-t 37 -n 3000 -i 40 --sleep-ms 500"
  [memhog]="-m 8 -i 230 --sleep-ms 60"
)
for app in jacobi2d cg farm memhog; do
  read -r -a a <<<"${args[$app]}"
  expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 2
  dir="ck-$app"
  FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir "$dir" --trace "$app.h5" -np 4 "$BIN/$app" "${a[@]}" \
    >"$app.out" 2>"$app.err" &
  job=$!
  migrate "$dir" "$name-n2" "$name-n3" "2 3" "0 1"
  # Again, the other way: n1's ranks to the second spare; n2's, now on n3, stay.
  migrate "$dir" "$name-n1" "$name-n4" "0 1" "2 3"
  rc=0
  wait "$job" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$app.err"; fail "$app: the job exited $rc after its migration"; }
  expect_in "$app.err" "node $name-n2 -> $name-n3: ranks 2,3 dumped"
  got=$(checksum_of "$app.out")
  want=$(reference_checksum "$app" 4 "${a[@]}")
  [[ $got == "$want" ]] || { cat "$app.err"; fail "$app: checksum $got after the migration, reference $want"; }
  ls -d "$dir"/migration-* >/dev/null 2>&1 && fail "$app: a migration's state was left behind"
  # The traces: each rank's part in the old MPI layer's; in the new one's each rank's
  # restore or re-attach and the job's migration with its phases and downtime.
  "${CHECK_TRACE[@]}" "$app.h5" --ranks 4 --interval 0.2 --mode transparent --migrated-out ||
    fail "$app: the trace before the migration"
  "${CHECK_TRACE[@]}" "$app.migration1.h5" --ranks 4 --interval 0.2 --mode transparent \
    --migrated-in 2 --migrated-out || fail "$app: the trace between the migrations"
  "${CHECK_TRACE[@]}" "$app.migration2.h5" --ranks 4 --interval 0.2 --complete \
    --mode transparent --migrated-in 2 || fail "$app: the trace after the second migration"
  expect_in "$app.err" "node $name-n1 -> $name-n4: ranks 0,1 dumped"
  expect_in "$app.err" "ftmpi: migration of node $name-n2: resumed on $name-n3 after"
  echo "$app: migrated, checksum $got"
  expect_exit 0 "$C" down --name "$name"
done

# A program that always holds requests (inactive persistent ones, a receive only the
# end matches, completed ones not yet waited for), migrated three times in a row; the
# result of an undisturbed run under plain mpirun.
P=("$TEST_BIN/pending_requests" 500 40)
"${MPIRUN[@]}" -np 4 "${P[@]}" >pending.ref 2>&1 || { cat pending.ref; fail "pending_requests under mpirun"; }
expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 3
"${L[@]}" --no-trace --ckpt-dir ck-pending -np 4 "${P[@]}" >pending.out 2>pending.err &
job=$!
migrate ck-pending "$name-n2" "$name-n3" "2 3" "0 1"
migrate ck-pending "$name-n1" "$name-n4" "0 1" "2 3"
migrate ck-pending "$name-n3" "$name-n5" "2 3" "0 1"
wait "$job" || { cat pending.err; fail "pending_requests failed after three migrations"; }
[[ $(checksum_of pending.out) == "$(checksum_of pending.ref)" ]] ||
  fail "pending_requests: checksum $(checksum_of pending.out) after three migrations, undisturbed $(checksum_of pending.ref)"
expect_exit 0 "$C" down --name "$name"

pass "migration: every app moved off a node with the reference checksum; the other ranks' processes ran on undumped"
