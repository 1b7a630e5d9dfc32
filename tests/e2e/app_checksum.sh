#!/usr/bin/env bash
# app_checksum.sh [--launch [MODE]] RANKS APP [ARGS...]
# Runs an example application on RANKS ranks (under mpirun, or under ftmpi-launch with
# --launch, in MODE native or transparent) and checks that its checksum equals the
# serial reference's.
source "$(dirname "$0")/lib.sh"

launch=0 mode=native
if [[ $1 == --launch ]]; then
  launch=1
  shift
  if [[ $1 == native || $1 == transparent ]]; then
    mode=$1
    shift
  fi
fi
ranks=$1 app=$2
shift 2

if [[ $launch -eq 1 ]]; then
  cmd=("$BIN/ftmpi-launch" --mode "$mode" --oversubscribe -np "$ranks" "$BIN/$app" "$@")
  [[ $(id -u) -eq 0 ]] && cmd=("$BIN/ftmpi-launch" --allow-run-as-root "${cmd[@]:1}")
else
  cmd=("${MPIRUN[@]}" -np "$ranks" "$BIN/$app" "$@")
fi
"${cmd[@]}" >app.out 2>app.err || { cat app.out app.err; fail "'${cmd[*]}' exited with $?"; }
got=$(checksum_of app.out)
want=$(reference_checksum "$app" "$ranks" "$@")
[[ $got == "$want" ]] || { cat app.out; fail "$app on $ranks ranks: checksum $got, reference $want"; }
how=""
[[ $launch -eq 1 ]] && how=" (ftmpi-launch --mode $mode)"
pass "$app on $ranks ranks$how: checksum $got equals the serial reference"
