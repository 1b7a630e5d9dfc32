#!/usr/bin/env bash
# A migration's pre-copy (docs/migration.md, "Pre-copy"; ftmpi-launch --precopy).  memhog on 4 ranks over 2
# simulated nodes (2 spares), node n2 moved to a spare while it runs:
#  1. rewriting 8 of its 96 MiB per rank each iteration: both ranks of n2 have their
#     arenas copied while the job runs, the spare's proxies follow the copies into
#     arenas of their own, the final dump adds what was written since, the restored
#     applications take the spare's arenas, and the trace's migration has a pre-dump
#     phase; again with FTMPI_ARENA_SWAP=0, where the restore loads the image instead;
#  2. rewriting all of its 32 MiB without a pause (2 ranks, one per node): the
#     pre-copy gives up (it would copy everything again), in its rounds or while it
#     follows the writes until the dump, and says so; the arena goes with the dump;
#  3. with --no-precopy: nothing copied beforehand;
#  4. the final dump fails once (a criu that refuses it): the arena, emptied for the
#     dump, is put back, the application goes on, and the migration, tried again,
#     dumps it whole.
# Each time the serial reference's checksum in the end.  Needs root.
source "$(dirname "$0")/lib.sh"
name=p$$
use_cluster "$name"
L=("$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" --sample-interval 0.2)

# wait_for_memory DIR RANKS MIB: until the RANKS memhog processes of the job whose
# checkpoints go to DIR each hold MIB MiB.  A migration asked for before, on a loaded
# machine, finds arenas still growing, which the pre-copy rightly gives up on.
wait_for_memory() {
  local pid rss ready
  for _ in $(seq 600); do
    ready=0
    for pid in $(job_pids "$1"); do
      [[ $(cat "/proc/$pid/comm" 2>/dev/null) == memhog ]] || continue
      rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      ((${rss:-0} >= $3 * 1024)) && ready=$((ready + 1))
    done
    ((ready >= $2)) && return 0
    sleep 0.2
  done
  fail "the applications of $1 never held $3 MiB each"
}

# run CASE RANKS "MEMHOG ARGS" [LAUNCH OPTION...]: the job up on RANKS ranks (half on
# each node), n2's migration asked for 1 s after every rank holds its memory, the job
# to its end with the reference checksum.
run() {
  local case=$1 ranks=$2
  local args
  read -r -a args <<<"$3"
  shift 3
  expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 2 --cpus "$((ranks / 2))"
  FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir "$case.ck" --trace "$case.h5" "$@" -np "$ranks" \
    "$BIN/memhog" "${args[@]}" >"$case.out" 2>"$case.err" &
  local job=$! rc=0
  local mib
  mib=$(sed -n 's/.*-m \([0-9]*\).*/\1/p' <<<"${args[*]}")
  wait_for_memory "$case.ck" "$ranks" "$mib"
  sleep 1
  expect_exit 0 "$BIN/ftmpi-ctl" migrate --job "$case.ck" --node "$name-n2" --to "$name-n3"
  wait "$job" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$case.err"; fail "$case: the job exited $rc"; }
  local want got
  want=$(reference_checksum memhog "$ranks" "${args[@]}")
  got=$(checksum_of "$case.out")
  [[ $got == "$want" ]] || { cat "$case.err"; fail "$case: checksum $got, reference $want"; }
  expect_in "$case.err" "node $name-n2 -> $name-n3: ranks"
  ! ls -d "$case".ck/migration-* "$case".ck/precopy >/dev/null 2>&1 ||
    fail "$case: a migration's state or pre-copy was left over"
  expect_exit 0 "$C" down --name "$name"
}

hot="-m 96 -w 8 -i 60 --sleep-ms 120"
run hot 4 "$hot" --precopy
expect_in hot.err "2 arenas pre-copied"
[[ $(grep -c "pre-copy: .* MiB written since, added in" hot.err) -eq 2 ]] ||
  { cat hot.err; fail "hot: the final dump did not add what was written since, twice"; }
# What each moving rank rewrote since the copy is really there: some MiB, not none.
grep -q "pre-copy: [1-9][0-9.]* MiB written since" hot.err ||
  { cat hot.err; fail "hot: no rank rewrote anything during the migration"; }
# Followed on the spare while the job ran (what the final dump added too, before the
# restore or at it): the restored applications take those copies; the checksum says
# that nothing written since the copy was lost.
[[ $(grep -c "the pre-copied arena taken over from this node's copy" hot.err) -eq 2 ]] ||
  { cat hot.err; fail "hot: the spare's copies of the arenas were not taken over"; }
"${CHECK_TRACE[@]}" hot.migration1.h5 --ranks 4 --interval 0.2 --complete --mode transparent \
  --migrated-in 2 --precopied || fail "hot: the trace after the migration"
pass "pre-copy: the arenas copied beforehand, only what changed at the dump"

# The applications do not take a copy (FTMPI_ARENA_SWAP=0): the image is loaded into
# their arenas at the restore.
FTMPI_ARENA_SWAP=0 run load 4 "$hot" --precopy
[[ $(grep -c "the pre-copied arena loaded in" load.err) -eq 2 ]] ||
  { cat load.err; fail "load: the images were not loaded on the spare"; }
expect_in load.err "the arena made ready beforehand is not used: the application does not take it"
pass "pre-copy: an application that does not take the spare's copy has the image loaded"

run all 2 "-m 32 -i 2400" --precopy
# Given up either in the copy's rounds or while it follows the writes until the dump.
grep -Eq "rank 1 not pre-copied \(the application rewrote|pre-copy given up: the application rewrote" all.err ||
  { cat all.err; fail "all: the pre-copy was not given up"; }
expect_in all.err "a pre-copy would not shorten the downtime"
! grep -Eq "the pre-copied arena (loaded|taken over)" all.err || fail "all: a pre-copy was used"
pass "pre-copy: given up for an application that rewrites everything, dumped whole"

run off 4 "$hot" --no-precopy
! grep -q "pre-copy" off.err || { cat off.err; fail "off: a pre-copy with --no-precopy"; }
pass "with --no-precopy: nothing copied beforehand"

# A criu that refuses every dump of an application whose arena was pre-copied (its
# image is in the dump's folder); the migration tried again has none.
real=$(FTMPI_LOG_LEVEL=debug "$BIN/ftmpi-launch" --allow-run-as-root --dry-run -np 1 /bin/true \
  2>&1 >/dev/null | sed -n 's/.*CRIU: \([^ ]*\) .*/\1/p')
[[ -n $real ]] || real=/opt/ftmpi/criu/bin/criu
cat >refusing-criu <<EOF
#!/bin/bash
if [[ \$1 == dump ]]; then
  dir=\$(for ((i = 1; i < \$#; i++)); do [[ \${!i} == -D ]] && { j=\$((i + 1)); echo "\${!j}"; }; done)
  if [[ -e \$dir/arena.img ]]; then
    echo "\$dir" >>$PWD/refused
    echo "Error (injected): this dump is refused" >"\$dir/dump.log"
    exit 1
  fi
fi
exec $real "\$@"
EOF
chmod +x refusing-criu
FTMPI_CRIU=$PWD/refusing-criu run undo 4 "$hot" --precopy
[[ $(wc -l <refused) -eq 2 ]] || { cat refused; fail "undo: not both pre-copied dumps refused"; }
expect_in undo.err "this dump is refused"
! grep -Eq "the pre-copied arena (loaded|taken over)" undo.err ||
  fail "undo: the pre-copy was used after all"
pass "a dump refused after the pre-copy: the arena put back, the migration dumps it whole"
