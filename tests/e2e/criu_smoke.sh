#!/usr/bin/env bash
# The CRIU that scripts/setup.sh provides really checkpoints and restores a process the
# way ftmpi runs application processes: alone in a PID namespace, as a session leader.
# A counter keeps counting after the restore from where it was dumped, not from zero.
source "$(dirname "$0")/lib.sh"

if [[ -n ${FTMPI_CRIU:-} ]]; then
  criu=$FTMPI_CRIU
elif command -v criu >/dev/null && criu check 2>&1 | grep -q 'Looks good'; then
  criu=$(command -v criu)
else
  criu=${FTMPI_CRIU_PREFIX:-/opt/ftmpi/criu}/bin/criu
fi
[[ -x $criu ]] || fail "no CRIU at $criu: run scripts/setup.sh"
[[ $(id -u) -eq 0 ]] || fail "CRIU needs root (or CAP_CHECKPOINT_RESTORE) for this test"
echo "using $criu ($("$criu" --version | head -1))"

# The process: PID 1 of a new PID namespace, session leader, writes a counter.
unshare --pid --fork setsid sh -c \
  'exec >inner.log 2>&1; i=0; while :; do i=$((i+1)); echo $i >counter.tmp; mv counter.tmp counter; sleep 0.05; done' \
  </dev/null >outer.log 2>&1 &
outer=$!
for _ in $(seq 100); do
  target=$(pgrep -P "$outer" | head -1 || true)
  [[ -n $target && -s counter ]] && break
  sleep 0.05
done
[[ -n $target ]] || fail "test process did not start"
sleep 0.5

mkdir images
"$criu" dump -t "$target" -D images -o dump.log -v4 || { tail -20 images/dump.log; fail "criu dump failed"; }
wait "$outer" 2>/dev/null || true
at_dump=$(cat counter)
kill -0 "$target" 2>/dev/null && fail "process still runs after dump"

"$criu" restore -D images -o restore.log -v4 -d --pidfile "$PWD/restored.pid" ||
  { tail -20 images/restore.log; fail "criu restore failed"; }
restored=$(cat restored.pid)
trap 'kill -KILL "$restored" 2>/dev/null || true' EXIT
sleep 0.5
after=$(cat counter)
kill -0 "$restored" 2>/dev/null || fail "restored process is not running"
((after > at_dump)) || fail "counter did not advance after restore ($at_dump -> $after)"
# It went on from the dumped state: far less than restarting from 0 and more would give.
pass "CRIU dump and restore (counter $at_dump at dump, $after after restore)"
