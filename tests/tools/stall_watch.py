#!/usr/bin/env python3
"""stall_watch.py FILE: how badly this machine stalls, seen from user space.

Sleeps 0.1 s at a time until killed and keeps in FILE, in seconds, how much later than
asked it woke up at worst.  On a healthy machine that is milliseconds, even when every
core is busy; seconds mean that nothing got the CPU (a virtual machine whose host held it,
a kernel that starved its own threads).  Tests whose outcome is a race against the wall
clock use it to tell a machine that stalled from a product that was slow.
"""
import sys
import time


def main() -> int:
    out = sys.argv[1]
    worst = 0.0
    with open(out, "w", encoding="ascii") as f:
        f.write("0.0\n")
    last = time.monotonic()
    while True:
        time.sleep(0.1)
        now = time.monotonic()
        late = now - last - 0.1
        if late > worst:
            worst = late
            with open(out, "w", encoding="ascii") as f:
                f.write(f"{worst:.1f}\n")
        last = now


if __name__ == "__main__":
    sys.exit(main())
