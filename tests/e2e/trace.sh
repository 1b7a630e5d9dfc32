#!/usr/bin/env bash
# trace.sh MODE: the job trace end to end, with ftmpi-launch --mode MODE: a complete run, a reader while the job runs, a job killed
# with SIGKILL, and trace paths that cannot be written.  The trace is read by h5py
# (check_trace.py), an independent reader; the application's checksum must still equal
# the serial reference's.
source "$(dirname "$0")/lib.sh"
mode=${1:?trace.sh MODE (native or transparent)}
L=("$BIN/ftmpi-launch" --oversubscribe --mode "$mode")
[[ $(id -u) -eq 0 ]] && L+=(--allow-run-as-root)
app=("$BIN/jacobi2d" -n 64 -s 100)

# kill_tree PID: SIGKILL a process and all its descendants at once.
kill_tree() {
  local pids=($1) frontier=($1) next
  while [[ ${#frontier[@]} -gt 0 ]]; do
    next=($(for p in "${frontier[@]}"; do pgrep -P "$p" || true; done))
    pids+=("${next[@]}")
    frontier=("${next[@]}")
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

# 1. A complete run: 25 iterations of 100 ms, sampled every 0.2 s.
"${L[@]}" --trace complete.h5 --sample-interval 0.2 -np 3 "${app[@]}" -i 25 >run.out 2>run.err ||
  { cat run.out run.err; fail "traced run failed"; }
[[ $(checksum_of run.out) == "$(reference_checksum jacobi2d 3 -n 64 -i 25)" ]] ||
  fail "checksum under tracing differs from the reference"
expect_in run.err "trace: $PWD/complete.h5"
"${CHECK_TRACE[@]}" complete.h5 --ranks 3 --interval 0.2 --complete --min-rows 10 --mode "$mode" ||
  fail "complete trace"

# 2. A reader while the job runs (SWMR), then after it ended.
"${L[@]}" --trace live.h5 --sample-interval 0.2 -np 2 "${app[@]}" -i 50 >live.out 2>&1 &
job=$!
sleep 3
kill -0 "$job" 2>/dev/null || fail "the live job ended too early to be read live"
"${CHECK_TRACE[@]}" live.h5 --ranks 2 --interval 0.2 --min-rows 5 || fail "live read of a running job"
wait "$job" || { cat live.out; fail "live job failed"; }
"${CHECK_TRACE[@]}" live.h5 --ranks 2 --interval 0.2 --complete --min-rows 20 || fail "live trace after the end"

# 3. A job killed with SIGKILL keeps everything up to its last flush.
"${L[@]}" --trace killed.h5 --sample-interval 0.2 -np 2 "$BIN/memhog" -m 8 -i 1000 -s 100 \
  >killed.out 2>&1 &
job=$!
sleep 4
kill_tree "$job"
wait "$job" 2>/dev/null || true
sleep 1
"${CHECK_TRACE[@]}" killed.h5 --ranks 2 --interval 0.2 --min-rows 5 || fail "trace of a killed job"
# Ordinary (non-SWMR) readers need the file's open-for-writing flag cleared first.
h5clear -s killed.h5 || fail "h5clear -s on the killed job's trace"
h5dump -H killed.h5 >/dev/null || fail "h5dump after h5clear"

# 4. Trace paths that cannot be written: a clear error, exit 73, nothing started.
expect_exit 73 "${L[@]}" --trace /nonexistent/folder/t.h5 -np 2 "${app[@]}" -i 1
expect_in cmd.err "cannot write the trace /nonexistent/folder/t.h5"
expect_in cmd.err "--no-trace"
mkdir -p adir
expect_exit 73 "${L[@]}" --trace adir -np 2 "${app[@]}" -i 1
expect_in cmd.err "is a directory"
expect_exit 64 "${L[@]}" --trace x.h5 --no-trace -np 1 "${app[@]}" -i 1

# --no-trace writes nothing.
mkdir -p quiet && (cd quiet && "${L[@]}" --no-trace -np 1 "${app[@]}" -i 2 >/dev/null 2>&1) ||
  fail "--no-trace run failed"
[[ -z $(ls quiet) ]] || fail "--no-trace left files: $(ls quiet)"
# 5. ftmpi-trace reads what h5py read.
T="$BIN/ftmpi-trace"
expect_exit 0 "$T" summary complete.h5
expect_in cmd.out "ranks     3 on 1 node(s)"
expect_in cmd.out "job_end"
[[ $(grep -cE '^[0-2] +0 +[0-9]+ ' cmd.out) -eq 3 ]] || { cat cmd.out; fail "summary lacks a row per rank"; }
expect_exit 0 "$T" export complete.h5 --table ranks -o ranks.csv
rows=$(/usr/bin/python3 -c "import h5py; print(len(h5py.File('complete.h5','r')['ranks/samples']))")
[[ $(($(wc -l <ranks.csv) - 1)) -eq $rows ]] || fail "CSV has $(wc -l <ranks.csv) lines for $rows samples"
expect_exit 0 "$T" export complete.h5 --table events
expect_in cmd.out '"job_start"'
expect_exit 0 "$T" plot complete.h5 -o plot.svg
/usr/bin/python3 -c "
import xml.etree.ElementTree as ET, sys
root = ET.parse('plot.svg').getroot()
lines = root.findall('{http://www.w3.org/2000/svg}polyline')
sys.exit(0 if len(lines) >= 3 * 3 + 3 else 1)" || fail "plot.svg is not a well-formed plot"
expect_exit 0 "$T" summary killed.h5  # a killed job's trace, after h5clear
# Bad input: one line, non-zero.
expect_exit 66 "$T" summary missing.h5
expect_in cmd.err "missing.h5 does not exist"
echo "not a trace" >text.h5
expect_exit 65 "$T" summary text.h5
expect_in cmd.err "not an HDF5 file"
/usr/bin/python3 -c "import h5py; h5py.File('foreign.h5','w').create_dataset('x', data=[1, 2])"
expect_exit 65 "$T" summary foreign.h5
expect_in cmd.err "not an ftmpi trace"
mkfifo a.fifo
expect_exit 65 timeout 10 "$T" summary a.fifo
expect_in cmd.err "is not a trace file (not a regular file)"
expect_exit 64 "$T" frobnicate complete.h5
expect_in cmd.err "ftmpi-trace: unknown command 'frobnicate' (the commands: summary export plot)"
expect_exit 73 "$T" plot complete.h5 -o /nonexistent/dir/p.svg
# Standard output that cannot take it (a full disk) is an output not written.
rc=0
"$T" summary complete.h5 >/dev/full 2>full.err || rc=$?
[[ $rc -eq 73 ]] || fail "summary to a full standard output: exit $rc, not 73"
expect_in full.err "cannot write to standard output"
pass "job trace ($mode mode): complete, live, killed, unwritable; ftmpi-trace summary, export, plot"
