#!/usr/bin/env bash
# overhead.sh [-r REPEATS] [-n RANKS] [BUILD_DIR]
# Each example application natively (mpirun) and under ftmpi-launch --mode native
# (libftmpi interposed, hidden predictor rank, sampling every second, trace written),
# alternately, REPEATS times; prints the median wall time of each and their ratio.
# Sizes are compute-bound runs of a few seconds on two cores.  The checksums of both
# runs must agree.  Target (telemetry issue): ratio <= 1.01.
set -euo pipefail
repeats=3 ranks=2
while getopts "r:n:h" opt; do
  case $opt in
    r) repeats=$OPTARG ;;
    n) ranks=$OPTARG ;;
    *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
bin=$build/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)

# About 15 s each natively on two cores; "startup" is jacobi2d doing nothing: the fixed
# cost of a launch (the extra predictor process, the job-world collectives, the trace),
# which a longer job amortises.
apps=(jacobi2d cg farm memhog startup)
declare -A args=(
  [jacobi2d]="-n 1024 -i 15000"
  [cg]="-n 1024 -i 5000"
  [farm]="-t 64 -n 300000 -i 36"
  [memhog]="-m 256 -i 190"
  [startup]="-n 64 -i 0"
)
declare -A program=([jacobi2d]=jacobi2d [cg]=cg [farm]=farm [memhog]=memhog [startup]=jacobi2d)

# seconds CMD...: runs CMD (output in $work/out), prints its wall time in seconds.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/out" 2>"$work/err" || { cat "$work/out" "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' 
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-10s %-24s %10s %10s %8s\n' app arguments "native s" "ftmpi s" ratio
for app in "${apps[@]}"; do
  read -r -a a <<<"${args[$app]}"
  native=() ftmpi=()
  for ((i = 0; i < repeats; i++)); do
    native+=("$(seconds mpirun "${root[@]}" --oversubscribe -np "$ranks" "$bin/${program[$app]}" "${a[@]}")")
    want=$(tail -n 1 "$work/out")
    ftmpi+=("$(seconds "$bin/ftmpi-launch" "${root[@]}" --oversubscribe --mode native \
      --sample-interval 1 --trace "$work/t.h5" -np "$ranks" "$bin/${program[$app]}" "${a[@]}")")
    got=$(tail -n 1 "$work/out")
    [[ $got == "$want" ]] || { echo "overhead.sh: $app checksums differ: $got vs $want" >&2; exit 1; }
  done
  n=$(median "${native[@]}")
  f=$(median "${ftmpi[@]}")
  printf '%-10s %-24s %10.3f %10.3f %8.3f\n' "$app" "${args[$app]}" "$n" "$f" "$(awk -v a="$f" -v b="$n" 'BEGIN { print a / b }')"
done
