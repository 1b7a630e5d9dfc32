#!/usr/bin/env bash
# app_checksum.sh [--launch] RANKS APP [ARGS...]
# Runs an example application on RANKS ranks (under mpirun, or under ftmpi-launch with
# --launch) and checks that its checksum equals the serial reference's.
source "$(dirname "$0")/lib.sh"

launch=0
if [[ $1 == --launch ]]; then
  launch=1
  shift
fi
ranks=$1 app=$2
shift 2

if [[ $launch -eq 1 ]]; then
  cmd=("$BIN/ftmpi-launch" --oversubscribe -np "$ranks" "$BIN/$app" "$@")
  [[ $(id -u) -eq 0 ]] && cmd=("$BIN/ftmpi-launch" --allow-run-as-root "${cmd[@]:1}")
else
  cmd=("${MPIRUN[@]}" -np "$ranks" "$BIN/$app" "$@")
fi
"${cmd[@]}" >app.out 2>app.err || { cat app.out app.err; fail "'${cmd[*]}' exited with $?"; }
got=$(checksum_of app.out)
want=$(reference_checksum "$app" "$ranks" "$@")
[[ $got == "$want" ]] || { cat app.out; fail "$app on $ranks ranks: checksum $got, reference $want"; }
pass "$app on $ranks ranks: checksum $got equals the serial reference"
