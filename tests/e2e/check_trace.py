#!/usr/bin/python3
"""check_trace.py TRACE --ranks N --interval S [--complete | --min-rows K]
                [--checkpoints K] [--restarts K] [--mode MODE]

Checks an ftmpi job trace with h5py (an independent reader), opening it as a SWMR
reader so it also works while the job runs or after the job was killed:
schema version, one info row per rank, per-rank sample counts that fit the duration
and interval, strictly increasing times, cumulative counters that never decrease,
sane values, node samples, (--complete) the job_start/job_end events, and at least K
checkpoint (restart) records per rank with their phase timings and bytes.
Exit 0 when all hold; otherwise 1, printing what failed.
"""
import argparse
import sys

import h5py
import numpy as np

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("trace")
    p.add_argument("--ranks", type=int, required=True)
    p.add_argument("--interval", type=float, required=True)
    p.add_argument("--complete", action="store_true", help="the job ended normally")
    p.add_argument("--min-rows", type=int, default=2, help="samples each rank must have")
    p.add_argument("--checkpoints", type=int, default=0, help="checkpoints each rank must show")
    p.add_argument("--restarts", type=int, default=0, help="restarts each rank must show")
    p.add_argument("--migrated-in", type=int, default=-1,
                   help="the trace of a migration's new MPI layer: the job's migration record "
                        "with every phase and the downtime, and each rank's own (MOVED ranks "
                        "restored, the others re-attached)")
    p.add_argument("--precopied", action="store_true",
                   help="with --migrated-in: the migration's arenas were pre-copied (its "
                        "pre-dump phase took time)")
    p.add_argument("--migrated-out", action="store_true",
                   help="the trace of a migration's old MPI layer: each rank's part")
    p.add_argument("--mode", help="the /job mode attribute")
    a = p.parse_args()

    with h5py.File(a.trace, "r", libver="latest", swmr=True) as f:
        job = f["job"].attrs
        check(int(job["schema_version"]) == 5, f"schema_version {job['schema_version']}")
        if a.mode:
            mode = job["mode"].decode() if isinstance(job["mode"], bytes) else str(job["mode"])
            check(mode == a.mode, f"/job mode {mode}, expected {a.mode}")
        check(int(job["ranks"]) == a.ranks, f"/job ranks {job['ranks']}")
        check(abs(float(job["sample_interval"]) - a.interval) < 1e-9, "sample_interval")
        start = float(job["start_time"])
        info = f["ranks/info"][:]
        check(sorted(info["rank"].tolist()) == list(range(a.ranks)), f"ranks/info {info}")
        nodes = f["nodes/info"][:]
        check(len(nodes) >= 1, "no nodes")
        samples = f["ranks/samples"]
        samples.refresh()
        rows = samples[:]
        for rank in range(a.ranks):
            r = rows[rows["rank"] == rank]
            check(len(r) >= a.min_rows, f"rank {rank}: {len(r)} samples, expected >= {a.min_rows}")
            if len(r) < 2:
                continue
            t = r["time"]
            check(np.all(np.diff(t) > 0), f"rank {rank}: times not increasing")
            check(t[0] >= start - 5, f"rank {rank}: first sample before the job started")
            duration = t[-1] - t[0]
            # The sampler takes one sample at start, one per interval, one at the end.
            expected = duration / a.interval
            check(expected - 2 <= len(r) - 1 <= expected + 2,
                  f"rank {rank}: {len(r)} samples over {duration:.2f} s at {a.interval} s")
            cpu = r["cpu_user"] + r["cpu_system"]
            check(np.all(np.diff(cpu) >= 0), f"rank {rank}: CPU time decreased")
            check(np.all(r["rss_bytes"] > 0), f"rank {rank}: zero RSS")
            check(np.all(np.diff(r["minor_faults"]) >= 0), f"rank {rank}: faults decreased")
            for cls in ("p2p", "coll", "wait"):
                calls = r[f"mpi_calls_{cls}"]
                check(np.all(np.diff(calls) >= 0), f"rank {rank}: {cls} calls decreased")
            check(r["mpi_calls_coll"][-1] > 0, f"rank {rank}: no collectives counted")
            check(np.all((r["node"] >= 0) & (r["node"] < len(nodes))), f"rank {rank}: bad node")
        n = f["nodes/samples"]
        n.refresh()
        nrows = n[:]
        check(len(nrows) >= 1, "no node samples")
        if len(nrows):
            check(np.all(nrows["mem_total"] > 0), "node mem_total")
            check(np.all(nrows["mem_available"] <= nrows["mem_total"]), "mem_available > total")
            busy = nrows["cpu_busy"]
            check(np.all((busy == -1) | ((busy >= 0) & (busy <= 1))), "cpu_busy out of range")
            check(np.all(nrows["disk_total"] > 0), "disk_total")
            # Version 5: the inactive file cache, known where the node has a memory cgroup.
            cached = nrows["cgroup_memory_inactive_file"]
            usage = nrows["cgroup_memory_usage"]
            check(np.all((cached >= 0) == (usage >= 0)), "inactive file cache without a cgroup")
            # (read a moment apart: a little slack)
            check(np.all((cached <= usage + (4 << 20)) | (usage < 0)),
                  "more inactive file cache than usage")
        # Version 4: the predictor's assessment of each node sample it received.
        p = f["predictions"]
        p.refresh()
        prows = p[:]
        check(len(prows) >= 1 or len(nrows) == 0, "no predictions")
        check(len(prows) <= len(nrows), f"{len(prows)} predictions for {len(nrows)} node samples")
        if len(prows):
            check(np.all((prows["score"] >= 0) & (prows["score"] <= 1)), "score out of 0..1")
            check(np.all((prows["node"] >= 0) & (prows["node"] < len(nodes))), "prediction node")
        events = f["events"]
        events.refresh()
        kinds = [k.decode() for k in events[:]["kind"]]
        check(kinds[:1] == ["job_start"], f"events {kinds}")
        if a.complete:
            check(kinds[-1:] == ["job_end"], f"events {kinds}")
        ckpt = f["checkpoints"]
        ckpt.refresh()
        crows = ckpt[:]
        for kind, want, phases in (("checkpoint", a.checkpoints, ("dump_ms", "write_ms")),
                                   ("restart", a.restarts, ("restore_ms", "rebuild_ms"))):
            if want == 0:
                continue
            of_kind = crows[np.array([k.decode() == kind for k in crows["kind"]], dtype=bool)]
            for rank in range(a.ranks):
                r = of_kind[of_kind["rank"] == rank]
                check(len(r) >= want, f"rank {rank}: {len(r)} {kind} records, expected >= {want}")
                check(np.all(r["bytes"] > 0), f"rank {rank}: {kind} without bytes")
                for phase in phases:
                    check(np.all(r[phase] > 0), f"rank {rank}: {kind} without {phase}")
                check(np.all(r["total_ms"] >= r[phases[0]]), f"rank {rank}: {kind} total_ms")
                check(np.all(np.diff(r["epoch"]) >= 0) if kind == "checkpoint" else True,
                      f"rank {rank}: checkpoint epochs go back")
            check(kinds.count(kind) >= want, f"{kinds.count(kind)} {kind} events, expected {want}")
        if a.migrated_in >= 0:
            ranks_kinds = {(int(r["rank"]), r["kind"].decode()) for r in crows}
            moved = sum(1 for rank in range(a.ranks) if (rank, "migrated") in ranks_kinds)
            kept = sum(1 for rank in range(a.ranks) if (rank, "reattached") in ranks_kinds)
            check(moved == a.migrated_in and moved + kept == a.ranks,
                  f"{moved} ranks migrated, {kept} re-attached; expected {a.migrated_in} migrated")
            job = crows[np.array([k.decode() == "migration" for k in crows["kind"]], dtype=bool)]
            check(len(job) == 1 and job["rank"][0] == -1, f"job migration records: {job}")
            if len(job) == 1:
                m = job[0]
                for phase in ("quiesce_ms", "dump_ms", "relaunch_ms", "restore_ms", "rebuild_ms",
                              "resume_ms", "total_ms"):
                    check(m[phase] > 0, f"the migration has no {phase}")
                check(m["bytes"] > 0, "the migration moved no bytes")
                if a.precopied:
                    check(m["predump_ms"] > 0, "the migration's arenas were not pre-copied")
                parts = sum(m[p] for p in ("quiesce_ms", "dump_ms", "write_ms", "relaunch_ms",
                                           "restore_ms", "rebuild_ms", "resume_ms"))
                check(abs(parts - m["total_ms"]) < 1 + 1e-3 * m["total_ms"],
                      f"the phases ({parts} ms) do not add up to the downtime ({m['total_ms']} ms)")
            check("migration" in kinds, f"no migration event: {kinds}")
        if a.migrated_out:
            out = crows[np.array([k.decode() == "migration-out" for k in crows["kind"]], dtype=bool)]
            check(sorted(int(r) for r in out["rank"]) == list(range(a.ranks)),
                  f"migration-out records of ranks {list(out['rank'])}")
            check(kinds[-1:] == ["layer_end"], f"events {kinds}")
        print(f"check_trace: {a.trace}: {len(rows)} rank samples, {len(nrows)} node samples, "
              f"{len(crows)} checkpoint records, events {kinds}")
    if failures:
        for message in failures:
            print("check_trace: FAIL:", message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
