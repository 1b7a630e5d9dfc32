#!/usr/bin/python3
"""record_corpus.py: records the predictor's labelled corpus (docs/predictor.md, "The corpus").

Each scenario is a real job (jacobi2d, native mode, sampled every second) on a simulated
cluster of its own (ftmpi-cluster: one rank per node, memory and local disk limited), and
real injections by ftmpi-inject on its nodes while it runs: faults that end in the node's
failure (mem-leak, disk-fill, ecc-errors, thermal, nic-errors, each with a ramp drawn at
random) and healthy stress that must not trigger anything (a memory burst that stays, a
slow legitimate growth, checkpoint-like I/O bursts, a CPU-heavy phase).  Each node's
events arrive after gaps drawn from a Weibull distribution; a node that failed gets no
more.  Failures are recorded but kill nothing (--no-kill), so one job sees several.
The trace holds the ground truth (the injections are its `fault` events, a failure is
`node_failed`); a plan file beside it says what was drawn.

    scripts/record_corpus.py --out predictor/corpus [--scenarios 12] [--seed 1]
        [--nodes 8] [--duration 360] [--gap-scale S] [--parallel 2] [--healthy-only]
        [--plan-for SECONDS] [--minutes M] [--bin build/bin]

With --healthy-only a node gets healthy stress only, never a fault: recordings for
measuring the false alarms per node-hour (ftmpi-eval on them).  Long healthy recordings
should keep the corpus's density of stress (--gap-scale 90, as for its 360 s jobs)
rather than space it out with the duration.  jacobi2d's iterations are counted for
--duration at 4 per second; 16 nodes on 2 cores run them at about half that pace, so
draw events for longer than that (--plan-for) to keep the stress going until the end.

Needs root and cgroup v1 (simulated nodes), and h5repack (traces are stored compressed).
A recording stopped midway keeps what it had: each running scenario's plan and its raw
trace (scenario-NNN.raw.h5), which opens after `h5clear -s` with everything up to its
last flush (stop the scenario's cluster with `ftmpi-cluster down --name corpusNNNxPID`).
A recording runs for hours: give it an installed copy (cmake --install build --prefix
DIR, then --bin DIR/bin), as a rebuild of the build tree replaces the binaries it starts.
The machine must not be overloaded either: a starved injector stretches a short burst
into a steady ramp, which no longer is the stress that was drawn.  The injections run
at a higher priority than the jobs (nice -5) for that reason.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

MEMORY_MB = 640
DISK_MB = 512
FAULTS = ["mem-leak", "disk-fill", "ecc-errors", "thermal", "nic-errors"]
HEALTHY = ["mem-burst", "mem-slow", "io-burst", "cpu-phase"]
INJECTOR_NICE = -5  # the injections' priority over the jobs' (root only)


def plan_node(rng, duration, healthy_only=False, gap_scale=None):
    """The injections of one node: (start, kind, ftmpi-inject arguments, what it is)."""
    events = []
    t = 5.0
    while True:
        t += rng.weibullvariate(gap_scale or duration * 0.25, 1.5)
        fault = rng.random() < 0.55 and not healthy_only
        if fault:
            kind = rng.choice(FAULTS)
            # Ramps from start to failure: mostly 30 s to 4 min, some shorter.
            ramp = rng.uniform(10, 30) if rng.random() < 0.15 else rng.uniform(30, 240)
            if t + ramp > duration - 10:
                break
            if kind == "mem-leak":
                args = ["--rate", f"{(MEMORY_MB - 40) / ramp:.2f}", "--duration", f"{ramp * 2:.0f}"]
            elif kind == "disk-fill":
                args = ["--rate", f"{DISK_MB / ramp:.2f}", "--duration", f"{ramp * 2:.0f}"]
            elif kind == "ecc-errors":
                args = ["--rate", f"{rng.uniform(0.2, 5):.2f}", "--duration", f"{ramp:.1f}"]
            elif kind == "thermal":
                args = ["--duration", f"{ramp:.1f}"]
            else:
                args = ["--rate", f"{rng.uniform(0.5, 20):.2f}", "--duration", f"{ramp:.1f}"]
            events.append({"start": round(t, 1), "fault": kind, "args": args,
                           "ramp": round(ramp, 1), "healthy": False})
            break  # the node fails: nothing after
        kind = rng.choice(HEALTHY)
        if kind == "mem-burst":  # arrays allocated at start-up of a phase, then kept
            length = rng.uniform(1, 4)
            args = ["--rate", f"{rng.uniform(25, 60):.0f}", "--duration", f"{length:.1f}",
                    "--hold", f"{rng.uniform(20, 60):.0f}"]
            fault, spent = "mem-leak", length + 60
        elif kind == "mem-slow":  # a mesh refined slowly, far from the limit
            length = rng.uniform(60, 150)
            args = ["--rate", f"{rng.uniform(0.3, 1.0):.2f}", "--duration", f"{length:.0f}",
                    "--hold", "10"]
            fault, spent = "mem-leak", length + 10
        elif kind == "io-burst":  # a checkpoint written to local disk, then drained
            length = rng.uniform(1, 2.5)
            args = ["--rate", f"{rng.uniform(40, 80):.0f}", "--duration", f"{length:.1f}"]
            fault, spent = "disk-fill", length
        else:  # a CPU-heavy phase
            length = rng.uniform(20, 90)
            args = ["--cpus", "1", "--duration", f"{length:.0f}"]
            fault, spent = "cpu-hog", length
        if t + spent > duration - 5:
            break
        events.append({"start": round(t, 1), "fault": fault, "args": args, "healthy": True,
                       "what": kind})
        t += spent
    return events


def run_scenario(index, opts):
    seed = opts.seed * 1000 + index
    rng = random.Random(seed)
    name = f"corpus{index}x{os.getpid() % 1000}"
    stem = opts.out / f"scenario-{index:03d}"
    nodes = [f"{name}-n{i}" for i in range(1, opts.nodes + 1)]
    plan = {node: plan_node(rng, opts.plan_for or opts.duration, opts.healthy_only, opts.gap_scale)
            for node in nodes}
    # The plan first: a recording stopped midway leaves it beside the raw trace, which
    # `h5clear -s` opens up to its last flush.
    with open(stem.with_suffix(".plan.json"), "w") as out:
        json.dump({"seed": seed, "duration": opts.duration, "plan_for": opts.plan_for,
                   "gap_scale": opts.gap_scale,
                   "memory_mb": MEMORY_MB, "disk_mb": DISK_MB, "nodes": plan}, out, indent=1)
    bin_dir = opts.bin
    subprocess.run([bin_dir / "ftmpi-cluster", "up", "--name", name, "--nodes", str(opts.nodes),
                    "--cpus", "1", "--memory", str(MEMORY_MB), "--disk", str(DISK_MB)],
                   check=True, stdout=subprocess.DEVNULL)
    raw = stem.with_suffix(".raw.h5")
    injectors = []
    try:
        iterations = int(opts.duration * 4)
        job = subprocess.Popen(
            [bin_dir / "ftmpi-launch", "--allow-run-as-root", "--cluster", name, "--mode", "native",
             "--trace", raw, "--sample-interval", "1", "-np", str(opts.nodes),
             opts.app, "-n", "64", "-s", "250", "-i", str(iterations)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t0 = time.time()
        pending = sorted((e["start"], node, e) for node, events in plan.items() for e in events)
        while job.poll() is None:
            now = time.time() - t0
            while pending and pending[0][0] <= now:
                _, node, e = pending.pop(0)
                # Above the job's priority: on a loaded machine a starved injection
                # would stretch a short burst into a ramp, no longer what was drawn.
                injectors.append(subprocess.Popen(
                    [bin_dir / "ftmpi-inject", "--cluster", name, "--node", node, "--fault",
                     e["fault"], "--no-kill", *e["args"]],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    preexec_fn=lambda: os.nice(INJECTOR_NICE)))
            # Injections that ended are reaped (a long job would pile up zombies).
            injectors = [p for p in injectors if p.poll() is None]
            time.sleep(0.2)
        err = job.stderr.read()
        if job.returncode != 0:
            raise RuntimeError(f"scenario {index}: the job exited {job.returncode}: {err[-2000:]}")
    finally:
        for p in injectors:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in injectors:
            p.wait()
        subprocess.run([bin_dir / "ftmpi-cluster", "down", "--name", name],
                       stdout=subprocess.DEVNULL)
    subprocess.run(["h5repack", "-f", "GZIP=9", raw, stem.with_suffix(".h5")], check=True)
    raw.unlink()
    return index


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--scenarios", type=int, default=12)
    p.add_argument("--first", type=int, default=0, help="number of the first scenario")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--nodes", type=int, default=8)
    p.add_argument("--duration", type=float, default=360, help="seconds per job")
    p.add_argument("--parallel", type=int, default=2, help="scenarios at once")
    p.add_argument("--gap-scale", type=float,
                   help="scale of the Weibull gaps between a node's events in seconds "
                        "(default a quarter of --duration)")
    p.add_argument("--plan-for", type=float,
                   help="seconds of events drawn per node (default --duration); on a loaded "
                        "machine the job runs longer than --duration, and events drawn past "
                        "its end are not injected")
    p.add_argument("--healthy-only", action="store_true",
                   help="healthy stress only, no faults (to measure false alarms)")
    p.add_argument("--minutes", type=float,
                   help="start no scenario after this many minutes (those running finish): "
                        "a recording of a set length that ends cleanly")
    p.add_argument("--bin", type=Path, default=Path(__file__).resolve().parent.parent / "build/bin")
    opts = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("record_corpus.py: simulated nodes need root")
    if shutil.which("h5repack") is None:
        sys.exit("record_corpus.py: h5repack not found (apt install hdf5-tools)")
    # The example: beside the tools in a build tree, under libexec in an installed copy.
    opts.app = next((a for a in (opts.bin / "jacobi2d",
                                 opts.bin.parent / "libexec/ftmpi/examples/jacobi2d")
                     if a.exists()), None)
    if opts.app is None:
        sys.exit(f"record_corpus.py: no jacobi2d in {opts.bin} or its libexec/ftmpi/examples")
    opts.out.mkdir(parents=True, exist_ok=True)
    running = {}
    todo = list(range(opts.first, opts.first + opts.scenarios))
    deadline = time.time() + opts.minutes * 60 if opts.minutes is not None else None
    # Scenarios in child processes, `--parallel` at a time.
    while todo or running:
        if deadline is not None and time.time() >= deadline and todo:
            print(f"record_corpus.py: {opts.minutes:g} minutes are up: scenarios {todo[0]} "
                  f"to {todo[-1]} not started", flush=True)
            todo = []
            if not running:
                break
        while todo and len(running) < opts.parallel:
            index = todo.pop(0)
            pid = os.fork()
            if pid == 0:
                try:
                    run_scenario(index, opts)
                    os._exit(0)
                except Exception as e:  # reported by the parent through the exit status
                    print(f"record_corpus.py: {e}", file=sys.stderr)
                    os._exit(1)
            running[pid] = index
        pid, status = os.wait()
        index = running.pop(pid)
        ok = os.waitstatus_to_exitcode(status) == 0
        print(f"scenario {index}: {'recorded' if ok else 'FAILED'}", flush=True)


if __name__ == "__main__":
    main()
