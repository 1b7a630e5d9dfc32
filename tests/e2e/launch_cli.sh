#!/usr/bin/env bash
# ftmpi-launch as a user meets it: help, version, bad input, exit codes, stdin.
source "$(dirname "$0")/lib.sh"
L="$BIN/ftmpi-launch"
root=()
[[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)

expect_exit 0 "$L" --help
expect_in cmd.out "Usage: ftmpi-launch"
expect_in cmd.out "--hostfile"
expect_exit 0 "$L" --version
expect_in cmd.out "ftmpi-launch "

# Bad command lines: exit 64 with a message that says what is wrong.
expect_exit 64 "$L" --bogus -np 2 /bin/true
expect_in cmd.err "--bogus"
expect_exit 64 "$L" /bin/true
expect_in cmd.err "np"
expect_exit 64 "$L" -np 0 /bin/true
expect_exit 64 "$L" -np 2
expect_in cmd.err "no PROGRAM"
# An empty value would silently mean the default (a local run for --cluster).
for opt in --trace --cluster --ckpt-dir --predictor-model; do
  expect_exit 64 "$L" "$opt" "" -np 1 /bin/true
  expect_in cmd.err "$opt: an empty value is not allowed here"
done

# A missing program: exit 66 before anything starts.
expect_exit 66 "$L" -np 2 ./no-such-program
expect_in cmd.err "'./no-such-program' does not exist"
expect_exit 66 "$L" -np 2 no-such-program-in-path
expect_in cmd.err "not found in PATH"

# A predictor model that cannot be used: refused before anything starts.
expect_exit 66 "$L" --predictor-model no-such-model.json -np 2 /bin/true
expect_in cmd.err "cannot read the model no-such-model.json"
echo '{"format": "ftmpi-model", "version": 1, "features": ["load"]}' >other.json
expect_exit 65 "$L" --predictor-model other.json -np 2 /bin/true
expect_in cmd.err "other features than this ftmpi computes: retrain it with ftmpi-train"
head -c 300 "$FTMPI_BUILD_DIR/share/ftmpi/models/default.json" >cut.json
expect_exit 65 "$L" --predictor-model cut.json -np 2 /bin/true
expect_in cmd.err "cut.json is not a model file"

# Transparent mode: each rank runs in a rank proxy; exit codes and stdin come through
# the same way.
expect_exit 0 "$L" --dry-run --mode transparent -np 2 /bin/true
expect_in cmd.out "/ftmpi-proxy -- /bin/true"
expect_exit 0 "$L" "${root[@]}" --oversubscribe --mode transparent -np 2 /bin/true
expect_exit 3 "$L" "${root[@]}" --oversubscribe --mode transparent -np 2 /bin/sh -c 'exit 3'
expect_exit 2 "$L" "${root[@]}" --oversubscribe --mode transparent -np 2 "$BIN/jacobi2d" --bogus
expect_in cmd.err "unknown or incomplete option '--bogus'"
echo "line from stdin" | "$L" "${root[@]}" --mode transparent -np 1 /bin/cat \
  >stdin.out 2>stdin.err || fail "transparent stdin pass-through run failed"
expect_in stdin.out "line from stdin"

# --dry-run shows the mpirun command.
expect_exit 0 "$L" --dry-run --oversubscribe --mpirun-arg=--bind-to --mpirun-arg=none -np 3 /bin/echo a 'b c'
expect_in cmd.out "--bind-to none -np 3 -x FTMPI_APP_RANKS=3"
expect_in cmd.out "/bin/echo a 'b c' : -np 1 -x FTMPI_APP_RANKS=3"
expect_in cmd.out "/ftmpi-predictor"
# Ranks are bound to cores as mpirun would bind them, unless the user places them.
expect_exit 0 "$L" --dry-run -np 1 /bin/true
expect_in cmd.out "--bind-to core:overload-allowed -np 1"
expect_exit 0 "$L" --dry-run --mpirun-arg=--map-by --mpirun-arg=node -np 1 /bin/true
grep -q "overload-allowed" cmd.out && fail "bound ranks although the user mapped them"

# A job of a rank per core runs without --oversubscribe, as under mpirun: the predictor
# gets a slot of its own on this node (else mpirun refuses the job, or runs every rank
# as on an oversubscribed node).  One rank more is refused before anything starts.
# (Without the test environment's OMPI_MCA_rmaps_base_oversubscribe, which allows it.)
L_strict=(env -u OMPI_MCA_rmaps_base_oversubscribe "$L")
expect_exit 0 "$L" --dry-run --mode native -np 1 /bin/true
slots=$(grep -o -- "--host localhost:[0-9]*" cmd.out | cut -d: -f2)
[[ -n $slots ]] || fail "no slot of its own for the predictor: $(cat cmd.out)"
cores=$((slots - 1))
((cores >= 1 && cores <= $(nproc))) || fail "$cores slots counted on a node of $(nproc) CPUs"
grid=$((8 * cores))
expect_exit 0 "${L_strict[@]}" "${root[@]}" --mode native --no-trace -np "$cores" "$BIN/jacobi2d" \
  -n "$grid" -i 5
[[ $(checksum_of cmd.out) == "$(reference_checksum jacobi2d "$cores" -n "$grid" -i 5)" ]] ||
  fail "a rank per core: wrong checksum"
expect_exit 64 "${L_strict[@]}" "${root[@]}" --mode native --no-trace -np $((cores + 1)) /bin/true
expect_in cmd.err "-np $((cores + 1)): this node has $cores slot"
expect_in cmd.err "--oversubscribe"
expect_exit 0 "${L_strict[@]}" --dry-run --oversubscribe --mode native -np $((cores + 1)) /bin/true
expect_in cmd.out "--host localhost:$slots --oversubscribe"
# mpirun's own ways of allowing it count too.
expect_exit 0 "${L_strict[@]}" --dry-run --mpirun-arg=--oversubscribe --mode native \
  -np $((cores + 1)) /bin/true
expect_exit 0 "${L_strict[@]}" --dry-run --mpirun-arg=--map-by --mpirun-arg=core:OVERSUBSCRIBE \
  --mode native -np $((cores + 1)) /bin/true
OMPI_MCA_rmaps_base_oversubscribe=1 expect_exit 0 "$L" --dry-run --mode native \
  -np $((cores + 1)) /bin/true
# Hosts the user names to mpirun, or that mpirun finds itself (another resource
# manager's allocation), are left alone.
expect_exit 0 "$L" --dry-run --mpirun-arg=--host --mpirun-arg=localhost:1 -np 1 /bin/true
[[ $(grep -o -- "--host" cmd.out | wc -l) -eq 1 ]] || fail "added a host to the user's --host"
PBS_NODEFILE=$PWD/hosts expect_exit 0 "$L" --dry-run -np 1 /bin/true
grep -q -- "--host" cmd.out && fail "named this node inside a PBS allocation"

# The program's exit code comes back; so do its stdout and stdin.
expect_exit 0 "$L" "${root[@]}" --oversubscribe -np 2 /bin/true
expect_exit 3 "$L" "${root[@]}" --oversubscribe -np 2 /bin/sh -c 'exit 3'
expect_exit 2 "$L" "${root[@]}" --oversubscribe -np 2 "$BIN/jacobi2d" --bogus
expect_in cmd.err "unknown or incomplete option '--bogus'"
echo "line from stdin" | "$L" "${root[@]}" -np 1 /bin/cat >stdin.out 2>stdin.err ||
  fail "stdin pass-through run failed"
expect_in stdin.out "line from stdin"

# A hostfile with exactly N slots still runs N ranks: the predictor gets an extra slot
# in a temporary copy, removed afterwards.
echo "localhost slots=2" >hosts
mkdir -p tmp
TMPDIR=$PWD/tmp expect_exit 0 "$L" "${root[@]}" --no-trace --hostfile hosts -np 2 \
  "$BIN/jacobi2d" -n 32 -i 5
[[ $(checksum_of cmd.out) == "$(reference_checksum jacobi2d 2 -n 32 -i 5)" ]] ||
  fail "hostfile run: wrong checksum"
[[ -z $(ls tmp) ]] || fail "temporary hostfile left behind: $(ls tmp)"

# A launcher killed with SIGKILL leaves its directory of temporary files in $TMPDIR; the
# next launch removes it.
tag=FTMPI_TEST_KILLED_LAUNCH=$$
env "$tag" TMPDIR="$PWD/tmp" setsid "$L" "${root[@]}" --mode native --no-trace --hostfile hosts \
  -np 2 "$BIN/jacobi2d" -n 32 -i 1000000 --sleep-ms 10 >killed.out 2>&1 &
killed=$!
for ((i = 0; i < 300; ++i)); do
  compgen -G "tmp/ftmpi-job-*/hostfile-*" >/dev/null && break
  sleep 0.1
done
compgen -G "tmp/ftmpi-job-*/hostfile-*" >/dev/null || fail "no temporary hostfile while a job runs"
kill -9 -- "-$killed" 2>/dev/null || true
for pid in $(env_pids "$tag"); do kill -9 "$pid" 2>/dev/null || true; done
wait "$killed" 2>/dev/null || true
compgen -G "tmp/ftmpi-job-*" >/dev/null || fail "the killed launcher's directory is not there to sweep"
TMPDIR=$PWD/tmp expect_exit 0 "$L" "${root[@]}" --mode native --no-trace --hostfile hosts -np 2 \
  "$BIN/jacobi2d" -n 32 -i 5
! compgen -G "tmp/ftmpi-job-*" >/dev/null || fail "the killed launcher's directory stayed: $(ls tmp)"
# Nowhere to write the temporary hostfile: exit 73 before anything starts, saying where.
TMPDIR=$PWD/no-such-tmp expect_exit 73 "$L" "${root[@]}" --mode native --no-trace \
  --hostfile hosts -np 2 "$BIN/jacobi2d" -n 32 -i 5
expect_in cmd.err "cannot create a directory in $PWD/no-such-tmp"

# Settings of the whole job reach every rank, also on other hosts (mpirun -x): the
# predictor's among them.
FTMPI_RISK_THRESHOLD=0.7 FTMPI_CALL_CLOCK=monotonic expect_exit 0 "$L" --dry-run --mode native \
  -np 1 /bin/true
expect_in cmd.out "-x FTMPI_RISK_THRESHOLD=0.7"
expect_in cmd.out "-x FTMPI_CALL_CLOCK=monotonic"

# Transparent mode is the default: each rank is a rank proxy; without a working CRIU it
# stops before anything starts, naming the fixes and --mode native.
expect_exit 0 "$L" --dry-run -np 1 /bin/true
expect_in cmd.out "/ftmpi-proxy -- /bin/true"
FTMPI_CRIU=/nonexistent/criu expect_exit 69 "$L" "${root[@]}" -np 1 /bin/true
expect_in cmd.err "transparent mode (the default) needs CRIU"
expect_in cmd.err "CAP_CHECKPOINT_RESTORE"
expect_in cmd.err "--mode native"
FTMPI_CRIU=/nonexistent/criu expect_exit 0 "$L" "${root[@]}" --mode native --no-trace -np 1 /bin/true

# A missing mpirun is reported as such.
expect_exit 69 "$L" --mpirun /nonexistent/mpirun -np 1 /bin/true
expect_in cmd.err "mpirun '/nonexistent/mpirun' not found"

pass "ftmpi-launch command-line behaviour"
