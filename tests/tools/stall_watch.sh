# Shell helpers around stall_watch.py (sourced by tests/e2e/lib.sh and the soak tools).
#
# stall_watch_start [FILE], then stall_watch_stop: whether this machine stalled in
# between.  It did if a sleeper (stall_watch.py, its worst lateness kept in FILE, by
# default ./stall.worst) woke 5 s or more late, or if the kernel reported a workqueue
# lockup (its threads held off a CPU for 30 s or more).  stall_watch_stop prints what it
# saw and returns 0 if the machine stalled.  A race against the wall clock that a
# stalled machine lost says nothing about ftmpi.
stall_watch_py=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stall_watch.py

stall_watch_start() {
  stall_file=$(readlink -f "${1:-stall.worst}")
  # Lockups are counted by the kernel's own time stamps: the log may have wrapped since.
  stall_since=$(dmesg 2>/dev/null | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  stall_since=${stall_since:-0}
  /usr/bin/python3 "$stall_watch_py" "$stall_file" &
  stall_pid=$!
}
stall_watch_stop() {
  local worst lockups
  kill "$stall_pid" 2>/dev/null || true
  wait "$stall_pid" 2>/dev/null || true
  worst=$(cat "$stall_file" 2>/dev/null || echo 0)
  lockups=$(dmesg 2>/dev/null | awk -v since="$stall_since" '/BUG: workqueue lockup/ {
      t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); if (t + 0 > since + 0) n++ }
    END { print n + 0 }')
  echo "a sleeper woke up to $worst s late; the kernel reported $lockups workqueue lockups"
  [[ $lockups -gt 0 ]] || awk -v w="$worst" 'BEGIN { exit !(w >= 5) }'
}
