#!/usr/bin/env bash
# call_overhead.sh [BUILD_DIR]: per-call cost of MPI calls natively and with libftmpi
# (one rank, plain mpirun, no predictor), side by side, with the difference and ratio.
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
run() {
  mpirun "${root[@]}" -np 1 "$build/bench/$1" --benchmark_format=csv \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null |
    awk -F, '/_median"?,/ { gsub(/"/, "", $1); sub(/_median$/, "", $1); print $1, $4 }'
}
join <(run bench_calls_native | sort) <(run bench_calls_ftmpi | sort) |
  awk 'BEGIN { printf "%-20s %12s %12s %10s %8s\n", "call", "native ns", "ftmpi ns", "added ns", "ratio" }
       { printf "%-20s %12.1f %12.1f %10.1f %8.3f\n", $1, $2, $3, $3 - $2, $3 / $2 }'
