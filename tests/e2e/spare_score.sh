#!/usr/bin/env bash
# The predictor scores the spares too, and a migration to "any spare" takes the
# healthiest.  jacobi2d on 4 ranks over 2 simulated nodes of 800 MiB and 2 spares
# (n3, n4), transparent mode, sampled every 0.5 s:
#  - n4 holds 120 MiB of another program's memory from the start, so a choice by free
#    memory alone would take n3;
#  - n3's temperature climbs towards its trip point (thermal, simulated in its system
#    root): its node daemon's samples reach the predictor, whose score of n3 rises
#    (ftmpi-ctl status shows it) while n4's stays low (until it takes the ranks);
#  - `ftmpi-ctl migrate --node n1` (no --to) moves n1's ranks to n4, and the launcher
#    says why; the job ends with the serial reference's checksum.
# The trace holds the spares (nodes/info), their samples (reporter -1) and assessments,
# and no decision about a node without ranks.  Needs root.
source "$(dirname "$0")/lib.sh"
name=s$$
use_cluster "$name"
args=(-n 64 -i 1600 --sleep-ms 25)  # 40 s or more
want=$(reference_checksum jacobi2d 4 "${args[@]}")
expect_exit 0 "$C" up --name "$name" --nodes 2 --spares 2 --memory 800
"$C" exec "$name-n4" -- /usr/bin/python3 -c \
  'import time; x = b"1" * (120 << 20); time.sleep(600)' &
for _ in $(seq 50); do  # its memory counted on n4
  awk -v n="$name-n4" '$1 == n && $6 > 100 { ok = 1 } END { exit !ok }' \
    <("$C" status --name "$name") && break
  sleep 0.1
done

FTMPI_LOG_LEVEL=info "$BIN/ftmpi-launch" --allow-run-as-root --cluster "$name" \
  --sample-interval 0.5 --ckpt-dir ck --trace job.h5 -np 4 "$BIN/jacobi2d" "${args[@]}" \
  >job.out 2>job.err &
job=$!
wait_for_rank_on ck 2 "$name-n2"
"$BIN/ftmpi-inject" --cluster "$name" --node "$name-n3" --fault thermal --trip 95 \
  --duration 60 >inject.out 2>&1 &
inject=$!

# score NODE: its risk score in ftmpi-ctl status ("-": none yet).
score() {
  "$BIN/ftmpi-ctl" status --job ck 2>/dev/null | awk -v n="$1" '$1 == n { print $NF }'
}
hot=no
for _ in $(seq 300); do
  s3=$(score "$name-n3")
  s4=$(score "$name-n4")
  if [[ $s3 != - && -n $s3 && $s4 != - && -n $s4 ]] &&
    awk -v a="$s3" -v b="$s4" 'BEGIN { exit !(a >= 0.5 && b < 0.5) }'; then
    hot=yes
    break
  fi
  sleep 0.1
done
[[ $hot == yes ]] || { "$BIN/ftmpi-ctl" status --job ck; cat job.err; fail "no high score for the heating spare (n3 $s3, n4 $s4)"; }
echo "scores while n3 heats: n3 $s3, n4 $s4"
asked=$(date +%s.%N)
expect_exit 0 "$BIN/ftmpi-ctl" migrate --job ck --node "$name-n1"
rc=0
wait "$job" || rc=$?
kill "$inject" 2>/dev/null || true
wait "$inject" 2>/dev/null || true
[[ $rc -eq 0 ]] || { cat job.err; fail "the job exited $rc"; }
[[ $(checksum_of job.out) == "$want" ]] || { cat job.err; fail "checksum $(checksum_of job.out)"; }
expect_in job.err "migration of node $name-n1: spare $name-n4 takes its ranks"
expect_in job.err "node $name-n1 -> $name-n4: ranks 0,1 dumped"

/usr/bin/python3 - job.h5 "$name" "$asked" <<'PY' || fail "the trace does not hold the spares' scores"
import sys, h5py, numpy as np
path, name, asked = sys.argv[1], sys.argv[2], float(sys.argv[3])
with h5py.File(path, "r", libver="latest", swmr=True) as f:
    names = {r["name"].decode(): int(r["node"]) for r in f["nodes/info"][:]}
    assert sorted(names) == [f"{name}-n{i}" for i in (1, 2, 3, 4)], names
    n3, n4 = names[f"{name}-n3"], names[f"{name}-n4"]
    s = f["nodes/samples"][:]
    hot = s[s["node"] == n3]
    assert len(hot) >= 5 and np.all(hot["reporter"] == -1), hot["reporter"]
    assert hot["temperature_max"][-1] > hot["temperature_max"][0] + 5, hot["temperature_max"]
    assert np.all(s[s["node"] == n4]["cgroup_memory_usage"] > 100 << 20), "n4's memory"
    p = f["predictions"][:]
    assert p[p["node"] == n3]["score"].max() >= 0.5, p[p["node"] == n3]
    # Until the migration was asked for (then n4 takes the ranks: its memory grows).
    before = p[(p["node"] == n4) & (p["time"] < asked)]
    assert len(before) >= 5 and before["score"].max() < 0.5, before
    spares = (p["node"] == n3) | (p["node"] == n4)
    assert not np.any(p[spares]["decided"]), "a decision about a node without ranks"
    print(f"{path}: n3 scored up to {p[p['node'] == n3]['score'].max():.2f}, "
          f"n4 up to {before['score'].max():.2f}, from {len(hot)} samples of n3")
PY
"${CHECK_TRACE[@]}" job.h5 --ranks 4 --interval 0.5 --mode transparent --migrated-out ||
  fail "the first layer's trace"
pass "the spares were scored and the migration took the healthy one"
