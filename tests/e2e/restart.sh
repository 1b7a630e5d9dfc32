#!/usr/bin/env bash
# Restart from a checkpoint after the whole job was killed with SIGKILL: every example
# application, checkpointed every 0.3 s on 3 ranks, is killed (launcher, mpirun, rank
# proxies, application processes) once a checkpoint exists, restarted with
# ftmpi-launch --restart, killed again after a checkpoint of the restarted job, restarted
# again, and ends with the serial reference's checksum; the directory a killed job left
# in /dev/shm is gone once the next one has started.  Also: a damaged newest
# checkpoint is skipped for the one before; a directory without a valid one is refused.
# Needs root (CRIU).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || fail "restart.sh needs root (CRIU)"
L=("$BIN/ftmpi-launch" --oversubscribe --allow-run-as-root)

declare -A args=(
  [jacobi2d]="-n 72 -i 150 --sleep-ms 25"
  [cg]="-n 56 -i 100 --sleep-ms 50"
  [farm]="-t 37 -n 3000 -i 8 --sleep-ms 400"
  [memhog]="-m 8 -i 80 --sleep-ms 60"
)
for app in jacobi2d cg farm memhog; do
  read -r -a a <<<"${args[$app]}"
  dir="ck-$app"
  rm -rf "$dir"
  setsid "${L[@]}" --mode transparent --ckpt-dir "$dir" --ckpt-interval 0.3 -np 3 \
    "$BIN/$app" "${a[@]}" >"$app.1.out" 2>"$app.1.err" &
  first=$(wait_for_checkpoint "$dir" 0) || { cat "$app.1.err"; fail "$app: no checkpoint"; }
  kill_job "$dir" $!
  # The restarted job is killed in its turn after a checkpoint of its own.
  setsid "${L[@]}" --restart "$dir" --ckpt-interval 0.3 >"$app.2.out" 2>"$app.2.err" &
  wait_for_checkpoint "$dir" "$first" >/dev/null ||
    { cat "$app.2.out" "$app.2.err"; fail "$app: the restarted job took no checkpoint"; }
  stale=$(job_channel_dir "$dir")
  [[ -n $stale ]] || fail "$app: no rank proxy of the restarted job with FTMPI_CHANNEL_DIR"
  kill_job "$dir" $!
  "${L[@]}" --restart "$dir" --trace "$app.3.h5" --sample-interval 0.5 >"$app.3.out" \
    2>"$app.3.err" || { cat "$app.3.out" "$app.3.err"; fail "$app: the second restart failed"; }
  # What the killed job left in /dev/shm went with the next job's start.
  [[ ! -e $stale ]] || fail "$app: the killed job's $stale outlived the next job"
  # The restart in the restarted job's trace: each rank's restore and rebuild, and bytes.
  "${CHECK_TRACE[@]}" "$app.3.h5" --ranks 3 --interval 0.5 --complete --mode transparent \
    --restarts 1 --min-rows 1 || fail "$app: the trace of a restarted job"
  got=$(checksum_of "$app.3.out")
  want=$(reference_checksum "$app" 3 "${a[@]}")
  [[ $got == "$want" ]] || fail "$app: checksum $got after two kills and restarts, reference $want"
  echo "$app: restarted twice, checksum $got"
done

# A program nobody here wrote: NetPIPE (Debian's netpipe-openmpi) in integrity mode,
# killed after a checkpoint and restarted.  Its results file and its integrity checks
# equal an undisturbed run's (timings aside); the file it was writing is cut back to its
# size at the checkpoint and completed by the restarted program.
command -v NPopenmpi >/dev/null || fail "NPopenmpi (netpipe-openmpi) is missing: run scripts/setup.sh"
np_args=(-i -p 0 -l 1 -u 16777216 -n 40)
mkdir -p np-ref np-ft
(cd np-ref && "${MPIRUN[@]}" -np 2 NPopenmpi "${np_args[@]}" -o np.out >np.stdout 2>&1) ||
  fail "NetPIPE under plain mpirun"
(
  cd np-ft
  setsid "${L[@]}" --mode transparent --ckpt-dir ck --ckpt-interval 0.3 -np 2 NPopenmpi \
    "${np_args[@]}" -o np.out >np.1 2>&1 &
  wait_for_checkpoint ck 0 >/dev/null || { cat np.1; fail "NetPIPE: no checkpoint"; }
  kill_job ck $!
  "${L[@]}" --restart ck >np.2 2>&1 || { cat np.2; fail "NetPIPE: the restart failed"; }
)
# NetPIPE's stdout and stderr interleave: a line's "-->" and its verdict may be split.
integrity() {
  /usr/bin/python3 -c 'import re, sys
text = open(sys.argv[1]).read()
for m in re.finditer(r"(\d+): *(\d+) bytes *(\d+) times -->(?:(?!-->).)*?Integrity check passed", text, re.S):
    print(f"{m[1]}: {m[2]} bytes {m[3]} times --> Integrity check passed")' "$1"
}
[[ $(integrity np-ft/np.2 | wc -l) -ge 1 ]] || fail "NetPIPE: the restarted run went on with nothing"
# What it printed before the kill is a prefix of the undisturbed output, what the
# restarted program printed its suffix (lines still in mpirun's pipes when the job was
# killed can be lost, as under plain mpirun).
/usr/bin/python3 - <(integrity np-ref/np.stdout) <(integrity np-ft/np.1) <(integrity np-ft/np.2) <<'PY' ||
import sys
ref, first, again = ([l.strip() for l in open(f)] for f in sys.argv[1:4])
assert first == ref[:len(first)], "the first run's output is not how an undisturbed run starts"
assert again and again == ref[len(ref) - len(again):], "the restarted output does not end as an undisturbed run"
PY
  fail "NetPIPE: integrity checks differ from an undisturbed run"
diff <(awk '{print $1, $2}' np-ref/np.out) <(awk '{print $1, $2}' np-ft/np.out) ||
  fail "NetPIPE: its results file differs from an undisturbed run's"
echo "NetPIPE: killed and restarted, $(wc -l <np-ft/np.out) results as undisturbed"

# The newest checkpoint damaged: the one before is used, with a warning.
newest=$(ls -d ck-jacobi2d/ckpt-* | tail -1)
pages=$(find "$newest" -name 'pages-*.img' | head -1)
truncate -s -4096 "$pages"
"${L[@]}" --restart ck-jacobi2d >damaged.out 2>damaged.err ||
  { cat damaged.out damaged.err; fail "restart past a damaged checkpoint failed"; }
expect_in damaged.err "skipping a checkpoint"
[[ $(checksum_of damaged.out) == "$(reference_checksum jacobi2d 3 ${args[jacobi2d]})" ]] ||
  fail "checksum after restarting past a damaged checkpoint"

mkdir -p empty
expect_exit 66 "${L[@]}" --restart empty
expect_in cmd.err "holds no valid checkpoint"
pass "restart: 4 applications killed and restarted twice with reference checksums; NetPIPE restarted as undisturbed; damaged checkpoint skipped"
