#!/usr/bin/env bash
# p2p.sh [-r REPEATS] [-u BYTES] [BUILD_DIR]
# Point-to-point latency and bandwidth through the rank proxies against native Open MPI:
# NetPIPE (NPopenmpi, Debian's netpipe-openmpi) ping-pong between 2 ranks on one node,
# 8 B to BYTES (default 16 MiB, powers of two), under plain mpirun, ftmpi-launch
# --mode native, ftmpi-launch --mode transparent with the arena (the default) and
# without it (FTMPI_ARENA=0: every buffer copied), alternately, REPEATS times (default 3;
# the median per size).  Prints per size the one-way time in microseconds of each, the
# latency transparent mode adds, and its bandwidth as a share of native, with and
# without the arena.  Targets (checkpoint issue): under 2 us added, at least 90 % of
# native for large messages.
set -euo pipefail
repeats=3 upper=16777216
while getopts "r:u:h" opt; do
  case $opt in
    r) repeats=$OPTARG ;;
    u) upper=$OPTARG ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
bin=$build/bin
command -v NPopenmpi >/dev/null || { echo "p2p.sh: NPopenmpi missing: run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
np=(NPopenmpi -l 8 -u "$upper" -p 0)

declare -A how=(
  [mpirun]="mpirun ${root[*]} --oversubscribe -np 2"
  [native]="$bin/ftmpi-launch ${root[*]} --oversubscribe --no-trace --mode native -np 2"
  [transparent]="$bin/ftmpi-launch ${root[*]} --oversubscribe --no-trace --mode transparent -np 2"
  [copying]="env FTMPI_ARENA=0 $bin/ftmpi-launch ${root[*]} --oversubscribe --no-trace --mode transparent -np 2"
)
configs=(mpirun native transparent copying)
for ((i = 0; i < repeats; i++)); do
  for c in "${configs[@]}"; do
    read -r -a cmd <<<"${how[$c]}"
    "${cmd[@]}" "${np[@]}" -o "$c.$i" >"$c.log" 2>&1 || { cat "$c.log" >&2; exit 1; }
  done
done

# NetPIPE's output file: bytes, Mbit/s, seconds per one-way transfer.
/usr/bin/python3 - "$repeats" "${configs[@]}" <<'PY'
import statistics, sys
repeats, configs = int(sys.argv[1]), sys.argv[2:]
usec = {}
for c in configs:
    for i in range(repeats):
        for line in open(f"{c}.{i}"):
            size, _, t = line.split()[:3]
            size = int(size)
            if size & (size - 1) == 0:
                usec.setdefault((c, size), []).append(float(t) * 1e6)
sizes = sorted({s for (_, s) in usec})
print(f"{'bytes':>9} {'mpirun us':>10} {'native us':>10} {'transp. us':>10} "
      f"{'added us':>9} {'MB/s mpirun':>12} {'MB/s transp.':>12} {'share':>6} "
      f"{'copying us':>10} {'share':>6}")
for s in sizes:
    m, n, t, c = (statistics.median(usec[(k, s)]) for k in configs)
    print(f"{s:>9} {m:>10.2f} {n:>10.2f} {t:>10.2f} {t - m:>9.2f} "
          f"{s / m:>12.1f} {s / t:>12.1f} {m / t:>6.0%} "
          f"{c:>10.2f} {m / c:>6.0%}")  # bytes/us = MB/s
PY
