#!/usr/bin/env bash
# The application's arena (libftmpi-arena) in transparent mode: jacobi2d's grid and
# NetPIPE's buffers live in it, each rank proxy maps it, and MPI uses those buffers in
# place (the proxies count what they used in place and what they copied).  The same job
# with FTMPI_ARENA=0 copies everything.  Both end with the serial reference's
# checksum; a job killed after a checkpoint and restarted maps the restored arena again
# and ends with it too; a checkpoint whose channel has another layout is refused.  Needs
# root (CRIU).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || fail "arena.sh needs root (CRIU)"
L=("$BIN/ftmpi-launch" --oversubscribe --allow-run-as-root --mode transparent --no-trace)
export FTMPI_LOG_LEVEL=debug
a=(-n 256 -i 300)
want=$(reference_checksum jacobi2d 2 "${a[@]}")

# in_place FILE / copied FILE: the bytes all proxies of a run reported.
bytes_of() {
  sed -n "s/.*buffers of the application: \([0-9]*\) bytes used in place, \([0-9]*\) bytes copied.*/\\$2/p" "$1" |
    awk '{s += $1} END {print s + 0}'
}
in_place() { bytes_of "$1" 1; }
copied() { bytes_of "$1" 2; }

"${L[@]}" -np 2 "$BIN/jacobi2d" "${a[@]}" >on.out 2>on.err || { cat on.err; fail "jacobi2d with the arena"; }
[[ $(checksum_of on.out) == "$want" ]] || fail "with the arena: checksum $(checksum_of on.out), reference $want"
[[ $(grep -c "the application's arena mapped" on.err) -eq 2 ]] ||
  { cat on.err; fail "not both proxies mapped their application's arena"; }
# Every halo row and reduction of a 256x256 grid is a buffer in the grid (in the arena)
# or a scalar on the stack: most bytes go in place.
[[ $(in_place on.err) -gt $((4 * $(copied on.err))) ]] ||
  fail "the arena's buffers were not used in place ($(in_place on.err) in place, $(copied on.err) copied)"

FTMPI_ARENA=0 "${L[@]}" -np 2 "$BIN/jacobi2d" "${a[@]}" >off.out 2>off.err ||
  { cat off.err; fail "jacobi2d without the arena"; }
[[ $(checksum_of off.out) == "$want" ]] || fail "without the arena: checksum $(checksum_of off.out)"
! grep -q "arena mapped" off.err || fail "FTMPI_ARENA=0 still made an arena"
[[ $(in_place off.err) -eq 0 && $(copied off.err) -gt $(in_place on.err) ]] ||
  fail "without the arena: $(in_place off.err) bytes in place, $(copied off.err) copied"
echo "jacobi2d: $(in_place on.err) bytes in place and $(copied on.err) copied with the arena, $(copied off.err) copied without"

# NetPIPE (built elsewhere) allocates its buffers with malloc: up to 4 MiB in place.
command -v NPopenmpi >/dev/null || fail "NPopenmpi (netpipe-openmpi) is missing: run scripts/setup.sh"
"${L[@]}" -np 2 NPopenmpi -i -p 0 -l 65536 -u 4194304 -n 5 -o np.out >np.log 2>&1 ||
  { cat np.log; fail "NetPIPE with the arena"; }
grep -q "Integrity check passed" np.log || { cat np.log; fail "NetPIPE's integrity checks"; }
! grep -q "Integrity check failed" np.log || fail "NetPIPE's integrity check failed"
[[ $(in_place np.log) -gt $((10 * $(copied np.log))) ]] ||
  fail "NetPIPE's buffers were not used in place ($(in_place np.log) in place, $(copied np.log) copied)"

# Checkpoint, SIGKILL, restart: CRIU restores the arena with the application.
setsid "${L[@]}" --ckpt-dir ck --ckpt-interval 0.3 -np 2 "$BIN/jacobi2d" -n 256 -i 400 --sleep-ms 10 \
  >ck.1.out 2>ck.1.err &
wait_for_checkpoint ck 0 >/dev/null || { cat ck.1.err; fail "no checkpoint"; }
kill_job ck $!
"${L[@]}" --restart ck >ck.2.out 2>ck.2.err || { cat ck.2.err; fail "the restart failed"; }
want=$(reference_checksum jacobi2d 2 -n 256 -i 400)
[[ $(checksum_of ck.2.out) == "$want" ]] || fail "restarted: checksum $(checksum_of ck.2.out), reference $want"
[[ $(grep -c "the application's arena mapped" ck.2.err) -eq 2 && $(in_place ck.2.err) -gt 0 ]] ||
  { cat ck.2.err; fail "the restarted proxies did not use the restored arena"; }
# A checkpoint whose application channel has another layout (an older ftmpi's) is
# refused with a clear message, not served with the wrong one.
cp -r ck ck-old
/usr/bin/python3 - ck-old/ckpt-000001 <<'PY'
import json, struct, sys, zlib
d = sys.argv[1]
m = json.load(open(f"{d}/MANIFEST.json"))
for rank in m["ranks"]:
    for f in rank["files"]:
        if f["path"].endswith("channel.bin"):
            b = bytearray(open(f"{d}/{f['path']}", "rb").read())
            b[8:12] = struct.pack("<I", 1)
            open(f"{d}/{f['path']}", "wb").write(b)
            f["crc32"] = zlib.crc32(b)
json.dump(m, open(f"{d}/MANIFEST.json", "w"))
PY
! "${L[@]}" --restart ck-old >old.out 2>old.err || fail "a checkpoint with an older channel layout was restarted"
expect_in old.err "application channel has version 1; this one has version 4"
pass "the arena: buffers used in place, the same checksums with and without it and after a restart"
