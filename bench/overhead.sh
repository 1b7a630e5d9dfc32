#!/usr/bin/env bash
# overhead.sh [-r REPEATS] [-n RANKS] [-m MODES] [-a APPS] [-x FACTOR] [BUILD_DIR]
# Each example application natively (mpirun) and under ftmpi-launch in each of MODES
# (default "native transparent"; libftmpi interposed, hidden predictor rank, sampling
# every second, trace written; transparent: each rank beside its rank proxy),
# alternately, REPEATS times; prints the median wall time of each, its ratio to
# mpirun's, and the median of the ratios of each run to the mpirun run just before it
# ("paired": steadier on a shared machine whose speed drifts from one minute to the
# next) with its distribution-free 95 % confidence interval (from 6 repeats up: the
# order statistics that bracket the median; with 20, the 6th and 15th ratios).  APPS:
# some of "jacobi2d cg farm memhog startup" (default all).  Sizes are compute-bound
# runs of about 15 s on two cores; -x FACTOR runs FACTOR times as many iterations (0.2:
# a fifth).  "loop" is the paired ratio of the applications' main loops alone (their
# --time 1), without what a job costs once, at its start and end (the "startup" row:
# an empty job), with its 95 % interval: short runs (-x 0.2) alternate faster than the
# machine drifts.  The checksums of all runs must agree.  Targets: native <= 1.01
# (telemetry issue), transparent <= 1.03 (checkpoint issue).
set -euo pipefail
repeats=3 ranks=2 modes="native transparent" only="" factor=1
while getopts "r:n:m:a:x:h" opt; do
  case $opt in
    r) repeats=$OPTARG ;;
    n) ranks=$OPTARG ;;
    m) modes=$OPTARG ;;
    a) only=$OPTARG ;;
    x) factor=$OPTARG ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done
shift $((OPTIND - 1))
[[ $factor =~ ^[0-9]*\.?[0-9]+$ && ! $factor =~ ^[0.]+$ ]] ||
  { echo "overhead.sh: -x takes a positive number, not '$factor'" >&2; exit 64; }
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
if [[ -n $only ]]; then
  read -r -a apps <<<"$only"
  for app in "${apps[@]}"; do
    [[ -n ${program[$app]:-} ]] || { echo "overhead.sh: no application '$app'" >&2; exit 64; }
  done
fi

# seconds CMD...: runs CMD (output in $work/out), prints its wall time in seconds.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/out" 2>"$work/err" || { cat "$work/out" "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' 
}

# The main loop's seconds of the last run (the application's --time 1 line).
loop_seconds() { awk '/^loop seconds:/ { print $3 }' "$work/err" | tail -n 1; }

median() { printf '%s\n' "$@" | sort -g | awk 'NF {a[++n]=$1} END {if (n) printf "%.3f\n", a[int((n+1)/2)]; else print "-"}'; }

# median_ci X...: the distribution-free 95 % confidence interval of the median of the
# values, "LOW-HIGH": the k-th smallest and the k-th largest, k the largest with
# P(Binomial(n, 1/2) < k) <= 0.025; "-" below 6 values.
median_ci() {
  printf '%s\n' "$@" | sort -g | awk '{ x[NR] = $1 } END {
    n = NR; term = 1; for (i = 0; i < n; i++) term /= 2
    k = 0; below = 0
    for (j = 0; j < n; j++) { below += term; if (below > 0.025) break; k = j + 1; term *= (n - j) / (j + 1) }
    if (k < 1) { print "-"; exit }
    printf "%.3f-%.3f\n", x[k], x[n + 1 - k] }'
}

read -r -a mode_list <<<"$modes"
header=$(printf '%-10s %-24s %10s' app arguments "mpirun s")
for m in "${mode_list[@]}"; do
  header+=$(printf ' %12s %7s %7s %13s %7s %13s' "$m s" ratio paired "paired 95 %" loop "loop 95 %")
done
echo "$header"
for app in "${!args[@]}"; do
  args[$app]=$(awk -v f="$factor" '{ for (i = 1; i < NF; i++) if ($i == "-i" && $(i + 1) > 0) {
    $(i + 1) = int($(i + 1) * f + 0.5); if ($(i + 1) < 1) $(i + 1) = 1 }; print }' <<<"${args[$app]}")
done
for app in "${apps[@]}"; do
  read -r -a a <<<"${args[$app]}"
  declare -A times=() pairs=() loops=()
  for ((i = 0; i < repeats; i++)); do
    base=$(seconds mpirun "${root[@]}" --oversubscribe -np "$ranks" "$bin/${program[$app]}" "${a[@]}" -T 1)
    times[mpirun]+=" $base"
    base_loop=$(loop_seconds)
    want=$(tail -n 1 "$work/out")
    for m in "${mode_list[@]}"; do
      t=$(seconds "$bin/ftmpi-launch" "${root[@]}" --oversubscribe --mode "$m" \
        --sample-interval 1 --trace "$work/t.h5" --ckpt-dir "$work/ck" -np "$ranks" \
        "$bin/${program[$app]}" "${a[@]}" -T 1)
      times[$m]+=" $t"
      pairs[$m]+=" $(awk -v a="$t" -v b="$base" 'BEGIN { print a / b }')"
      # (none for an empty loop, as in "startup")
      loops[$m]+=" $(awk -v a="$(loop_seconds)" -v b="$base_loop" 'BEGIN { if (a != "" && b >= 0.01) print a / b }')"
      got=$(tail -n 1 "$work/out")
      [[ $got == "$want" ]] || { echo "overhead.sh: $app checksums differ ($m): $got vs $want" >&2; exit 1; }
    done
  done
  # shellcheck disable=SC2086
  n=$(median ${times[mpirun]})
  line=$(printf '%-10s %-24s %10.3f' "$app" "${args[$app]}" "$n")
  for m in "${mode_list[@]}"; do
    # shellcheck disable=SC2086
    f=$(median ${times[$m]})
    # shellcheck disable=SC2086
    line+=$(printf ' %12.3f %7.3f %7.3f %13s %7s %13s' "$f" \
      "$(awk -v a="$f" -v b="$n" 'BEGIN { print a / b }')" "$(median ${pairs[$m]})" \
      "$(median_ci ${pairs[$m]})" "$(median ${loops[$m]:-})" "$(median_ci ${loops[$m]:-})")
  done
  echo "$line"
  unset times pairs loops
done
