#!/usr/bin/env bash
# Checkpoints of transparent mode, as a user meets them:
#  - every example application, checkpointed every 0.3 s while it runs on 3 ranks,
#    ends with the serial reference's checksum; the last --ckpt-keep checkpoints are
#    kept, each complete, and each verifies (ftmpi-ctl verify, and independently here:
#    every file's size and CRC-32 against the manifest);
#  - ftmpi-ctl checkpoint --wait asks a running job for one;
#  - a truncated image, a flipped byte, a missing manifest are refused;
#  - a full disk during a checkpoint leaves the previous one intact and the job going;
#  - the trace holds each checkpoint: per rank, its phase timings and bytes;
#  - what a CRIU dump cut short leaves in the applications' working directory
#    (proc.crtools, which makes every later dump there fail) is cleared.
# Needs root (CRIU, and a small tmpfs for the full disk).
source "$(dirname "$0")/lib.sh"
L=("$BIN/ftmpi-launch" --oversubscribe --mode transparent --sample-interval 0.5)
[[ $(id -u) -eq 0 ]] || fail "checkpoint.sh needs root (CRIU and mount)"
L+=(--allow-run-as-root)
CTL="$BIN/ftmpi-ctl"

# verify_independently DIR: sizes and CRC-32s of the manifest's files, with Python's zlib.
verify_independently() {
  /usr/bin/python3 - "$1" <<'PY' || fail "$1 does not match its manifest"
import json, os, sys, zlib
d = sys.argv[1]
m = json.load(open(os.path.join(d, "MANIFEST.json")))
assert m["format"] == "ftmpi-checkpoint" and m["version"] == 1
n = 0
for r in m["ranks"]:
    assert any(f["path"].endswith("pages-1.img") for f in r["files"]), "no memory pages"
    for f in r["files"]:
        data = open(os.path.join(d, f["path"]), "rb").read()
        assert len(data) == f["size"], f["path"]
        assert zlib.crc32(data) & 0xffffffff == f["crc32"], f["path"]
        n += 1
print(f"{d}: {len(m['ranks'])} ranks, {n} files verified")
PY
}

# Runs of 3-4 s: several checkpoints even when some are deferred on a loaded machine.
declare -A args=(
  [jacobi2d]="-n 72 -i 120 --sleep-ms 25"
  [cg]="-n 56 -i 80 --sleep-ms 40"
  [farm]="-t 37 -n 3000 -i 8 --sleep-ms 400"
  [memhog]="-m 8 -i 60 --sleep-ms 50"
)
# As a dump killed midway (its node lost) leaves it: an empty directory, a minute old.
mkdir -p proc.crtools
touch -d "1 minute ago" proc.crtools
for app in jacobi2d cg farm memhog; do
  read -r -a a <<<"${args[$app]}"
  rm -rf "ck-$app"
  FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir "ck-$app" --ckpt-interval 0.3 --ckpt-keep 2 \
    --trace "$app.h5" -np 3 "$BIN/$app" "${a[@]}" >"$app.out" 2>"$app.err" ||
    { cat "$app.out" "$app.err"; fail "$app with checkpoints exited with $?"; }
  got=$(checksum_of "$app.out")
  want=$(reference_checksum "$app" 3 "${a[@]}")
  [[ $got == "$want" ]] || fail "$app: checksum $got with checkpoints, reference $want"
  taken=$(grep -c "checkpoint [0-9]* written" "$app.err")
  [[ $taken -ge 3 ]] || { cat "$app.err"; fail "$app: only $taken checkpoints taken"; }
  # Every checkpoint in the trace, each rank's part with its phases and bytes.
  "${CHECK_TRACE[@]}" "$app.h5" --ranks 3 --interval 0.5 --complete --mode transparent \
    --checkpoints "$taken" || fail "$app: the trace of a checkpointed job"
  kept=("ck-$app"/ckpt-*)
  [[ ${#kept[@]} -eq 2 ]] || fail "$app: ${#kept[@]} checkpoints kept, --ckpt-keep 2"
  for c in "${kept[@]}"; do
    expect_exit 0 "$CTL" verify "$c"
    expect_in cmd.out "is valid (3 ranks"
    verify_independently "$c"
  done
  # The job file tells how the job ended.
  grep -qx "state finished" "ck-$app/job.txt" && grep -qx "exit_code 0" "ck-$app/job.txt" ||
    { cat "ck-$app/job.txt"; fail "$app: job.txt does not say the job finished"; }
done
[[ ! -e proc.crtools ]] || fail "the leftover proc.crtools is still there"
expect_in jacobi2d.err "removed proc.crtools"

# On request, from outside.
rm -rf ck-ctl
"${L[@]}" --ckpt-dir ck-ctl -np 2 "$BIN/jacobi2d" -n 72 -i 200 --sleep-ms 20 >ctl.out 2>ctl.err &
job=$!
for _ in $(seq 50); do [[ -e ck-ctl/job.txt ]] && break; sleep 0.1; done
expect_exit 0 "$CTL" checkpoint --job ck-ctl --wait 30
expect_in cmd.out "ck-ctl/ckpt-000001"
expect_exit 0 "$CTL" list --job ck-ctl
expect_in cmd.out "complete"
wait "$job" || { cat ctl.out ctl.err; fail "job asked for a checkpoint failed"; }
[[ $(checksum_of ctl.out) == "$(reference_checksum jacobi2d 2 -n 72 -i 200 --sleep-ms 20)" ]] ||
  fail "checksum after an ftmpi-ctl checkpoint"
expect_exit 69 "$CTL" checkpoint --job ck-ctl
expect_in cmd.err "no running job"
expect_exit 69 "$CTL" migrate --job ck-ctl --node n1
expect_in cmd.err "no running job"
for sub in checkpoint "migrate --node n1"; do
  # shellcheck disable=SC2086 # the subcommand and its options
  expect_exit 66 "$CTL" $sub --job no-such-dir
  expect_in cmd.err "no-such-dir is not a job's checkpoint directory"
done
# A job file that ftmpi did not write (random bytes, a pid that is no number): damaged,
# named, and nothing acted on; the job's status is still there once it is whole again.
expect_exit 0 "$CTL" status --job ck-ctl
cp ck-ctl/job.txt job.txt.good
head -c 300 /dev/urandom >ck-ctl/job.txt
expect_exit 65 "$CTL" status --job ck-ctl
expect_in cmd.err "ck-ctl/job.txt is damaged"
sed 's/^launcher_pid .*/launcher_pid x1/' job.txt.good >ck-ctl/job.txt
for sub in status "migrate --node n1"; do
  # shellcheck disable=SC2086 # the subcommand and its options
  expect_exit 65 "$CTL" $sub --job ck-ctl
  expect_in cmd.err "ck-ctl/job.txt is damaged (line 1: \"launcher_pid x1\")"
done
sed 's/^launcher_pid .*/launcher_pid 12abc/' job.txt.good >ck-ctl/job.txt
expect_exit 65 "$CTL" checkpoint --job ck-ctl
expect_in cmd.err "(line 1: \"launcher_pid 12abc\")"
# Older versions wrote no state: a job whose launcher is gone.
grep -v '^state' job.txt.good >ck-ctl/job.txt
expect_exit 0 "$CTL" status --job ck-ctl
expect_in cmd.out "ended without a word"
cp job.txt.good ck-ctl/job.txt
expect_exit 0 "$CTL" status --job ck-ctl
expect_in cmd.out "finished (exit 0)"

# Damaged checkpoints are refused, naming what is wrong.
good=(ck-jacobi2d/ckpt-*)
good=${good[-1]}
cp -r "$good" damaged
pages=$(find damaged -name 'pages-*.img' | head -1)
truncate -s -4096 "$pages"
expect_exit 65 "$CTL" verify damaged
expect_in cmd.err "truncated"
rm -rf damaged && cp -r "$good" damaged
printf '\xff' | dd of="$pages" bs=1 seek=100 conv=notrunc status=none
expect_exit 65 "$CTL" verify damaged
expect_in cmd.err "checksum"
# A manifest that names a file outside the checkpoint: nothing outside is read.
rm -rf damaged && cp -r "$good" damaged
/usr/bin/python3 - damaged/MANIFEST.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["ranks"][0]["files"][0]["path"] = "../../../../etc/hostname"
json.dump(m, open(sys.argv[1], "w"))
PY
expect_exit 65 "$CTL" verify damaged
expect_in cmd.err "'../../../../etc/hostname' is not inside the checkpoint"
expect_exit 65 "$BIN/ftmpi-launch" --allow-run-as-root --restart damaged
rm damaged/MANIFEST.json
expect_exit 66 "$CTL" verify damaged
expect_in cmd.err "incomplete"
expect_exit 66 "$CTL" verify no-such-checkpoint
expect_in cmd.err "no-such-checkpoint does not exist"

# A full disk: a tmpfs with room for one checkpoint and a half.
bytes=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bytes'])" \
  "$good/MANIFEST.json")
mkdir -p full
mount -t tmpfs -o size=$((bytes * 3 / 2 / 1024 + 64))k tmpfs full
# Lazily if busy (a process of the job still exiting): never left mounted.
trap 'umount full 2>/dev/null || umount -l full 2>/dev/null || true' EXIT
FTMPI_LOG_LEVEL=info "${L[@]}" --ckpt-dir full/ck --ckpt-interval 0.3 --ckpt-keep 2 -np 3 \
  "$BIN/jacobi2d" ${args[jacobi2d]} >full.out 2>full.err ||
  { cat full.out full.err; fail "a full disk stopped the job"; }
[[ $(checksum_of full.out) == "$(reference_checksum jacobi2d 3 ${args[jacobi2d]})" ]] ||
  fail "checksum with a full checkpoint disk"
grep -q "failed, the job goes on (the previous checkpoint is intact)" full.err ||
  { cat full.err; fail "the disk never filled"; }
complete=0
for c in full/ck/ckpt-*; do
  [[ -e $c/MANIFEST.json ]] || fail "$c: an incomplete checkpoint was left behind"
  expect_exit 0 "$CTL" verify "$c"
  complete=$((complete + 1))
done
[[ $complete -ge 1 ]] || fail "no checkpoint survived the full disk"
pass "checkpoints: 4 applications with reference checksums, kept and verified; ftmpi-ctl; damage refused; full disk survived"
