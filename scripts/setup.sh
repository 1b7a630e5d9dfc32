#!/usr/bin/env bash
# ftmpi setup: installs every dependency ftmpi needs on a Debian 12 machine (run as root).
#
#   scripts/setup.sh            install what is missing (idempotent; seconds when done)
#   scripts/setup.sh --check    report what is missing, change nothing (exit 1 if anything is)
#
# CRIU: the system `criu` is used when it works here: `criu check` passes and it really
# dumps a process.  Otherwise (Debian 12's CRIU 3.17 cannot dump on kernels >= 6.13) CRIU
# 4.x from Debian 13 is unpacked into a private prefix (FTMPI_CRIU_PREFIX, default
# /opt/ftmpi/criu) together with the Debian 13 libraries it needs, and run through its own
# loader; where that one cannot dump either (Debian 13's CRIU 4.1 hangs for good in its
# first dump on Linux 6.18: passing `criu check` is not enough), Debian 14's (testing)
# CRIU 4.2 is taken the same way.  The machine's apt sources, libc and package database
# are never touched by that step.
set -euo pipefail

readonly CRIU_PREFIX="${FTMPI_CRIU_PREFIX:-/opt/ftmpi/criu}"
readonly DEBIAN_MIRROR="${FTMPI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# Packages from Debian 12 (bookworm).  Keep this list in step with docs/building.md.
readonly PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang-format clang-tidy
  openmpi-bin libopenmpi-dev
  libhdf5-dev hdf5-tools zlib1g-dev
  libboost-serialization-dev
  libpapi-dev papi-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libxgboost-dev slurm-wlm munge
  util-linux iproute2 procps
  netpipe-openmpi
  python3 python3-h5py python3-numpy python3-matplotlib
)

# The packages that make up a working private CRIU, from Debian 13 (trixie) or, where its
# CRIU cannot dump on this kernel, Debian 14 (forky; libnet9 instead of libnet1).
readonly CRIU_PACKAGES_COMMON=(
  criu libcompel1 libc6 libprotobuf-c1 libnl-3-200 libgnutls30t64 libnftables1
  libbsd0 libmd0 libuuid1 libnftnl11 libmnl0 libjansson4 libxtables12 libgmp10
  libhogweed6t64 libnettle8t64 libidn2-0 libunistring5 libtasn1-6 libp11-kit0 libffi8
  libedit2 libdrm2
)
readonly CRIU_SUITES=(trixie forky)
declare -A CRIU_SUITE_PACKAGES=([trixie]=libnet1 [forky]=libnet9)
declare -A CRIU_SUITE_NAME=([trixie]="Debian 13" [forky]="Debian 14 (testing)")

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  -h | --help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  "") ;;
  *)
    echo "setup.sh: unknown argument '$1' (try --help)" >&2
    exit 2
    ;;
esac

log() { printf 'setup: %s\n' "$*"; }
die() {
  printf 'setup: error: %s\n' "$*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  die "run as root (it installs Debian packages and a private CRIU under ${CRIU_PREFIX})"
fi
if ! grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release; then
  log "warning: this script is written for Debian 12 (bookworm); continuing anyway"
fi

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ $status == installed ]] || printf '%s\n' "$pkg"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return 0
  fi
  if [[ $check_only -eq 1 ]]; then
    log "Debian packages missing: ${missing[*]}"
    return 1
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "Debian packages installed"
}

# criu_works CMD...: true when `CMD check` says the kernel supports dumping and CMD
# really dumps a process (a sleep of its own, left running) within 30 s.
criu_works() {
  local out dir pid rc=0
  out=$("$@" check 2>&1) || return 1
  grep -q 'Looks good' <<<"$out" || return 1
  dir=$(mktemp -d)
  setsid sleep 120 </dev/null >/dev/null 2>&1 &
  pid=$!
  sleep 0.2
  (timeout -s KILL 30 "$@" dump -t "$pid" -D "$dir" -o dump.log --leave-running) 2>/dev/null || rc=1
  [[ $rc -eq 0 ]] || log "CRIU: '$* dump' of a test process failed or hung: $(tail -1 "$dir/dump.log" 2>/dev/null)"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  return $rc
}

private_criu_wrapper() {
  cat <<WRAP
#!/bin/sh
# CRIU from ${CRIU_SUITE_NAME[$1]}, run with its own loader and libraries (installed by ftmpi's setup.sh).
p='${CRIU_PREFIX}'
exec "\$p/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$p/usr/lib/x86_64-linux-gnu:\$p/lib/x86_64-linux-gnu" "\$p/usr/sbin/criu" "\$@"
WRAP
}

# install_private_criu SUITE: CRIU and its libraries from that Debian suite.
install_private_criu() {
  local suite=$1 work lists srcfile deb
  work=$(mktemp -d)
  lists="$work/lists"
  srcfile="$work/$suite.list"
  mkdir -p "$lists/partial" "$work/archives/partial" "$work/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${DEBIAN_MIRROR} $suite main" >"$srcfile"
  # A private apt configuration: only that suite, private lists, private cache.
  local -a apt_opts=(
    -o "Dir::Etc::sourcelist=$srcfile" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$lists" -o "Dir::Cache::archives=$work/archives"
    -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
  )
  log "fetching CRIU and its libraries from ${CRIU_SUITE_NAME[$suite]} into a private prefix"
  apt-get "${apt_opts[@]}" update -qq
  # shellcheck disable=SC2206
  local -a packages=("${CRIU_PACKAGES_COMMON[@]}" ${CRIU_SUITE_PACKAGES[$suite]})
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download -qq "${packages[@]}")
  rm -rf "${CRIU_PREFIX}.new"
  mkdir -p "${CRIU_PREFIX}.new/bin"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "${CRIU_PREFIX}.new"
  done
  rm -rf "$work"
  # The wrapper names the final prefix; the tree is moved there in one step.
  private_criu_wrapper "$suite" >"${CRIU_PREFIX}.new/bin/criu"
  chmod 755 "${CRIU_PREFIX}.new/bin/criu"
  rm -rf "${CRIU_PREFIX}"
  mv "${CRIU_PREFIX}.new" "${CRIU_PREFIX}"
}

setup_criu() {
  if command -v criu >/dev/null && criu_works criu; then
    log "CRIU: system $(command -v criu) ($(criu --version | head -1)) works here"
    return 0
  fi
  if [[ -x "${CRIU_PREFIX}/bin/criu" ]] && criu_works "${CRIU_PREFIX}/bin/criu"; then
    log "CRIU: private ${CRIU_PREFIX}/bin/criu ($("${CRIU_PREFIX}/bin/criu" --version | head -1)) works here"
    return 0
  fi
  if [[ $check_only -eq 1 ]]; then
    log "CRIU: no working criu (neither the system's nor ${CRIU_PREFIX}/bin/criu)"
    return 1
  fi
  if command -v criu >/dev/null; then
    log "CRIU: system criu does not work on kernel $(uname -r); using a private build"
  fi
  local suite
  for suite in "${CRIU_SUITES[@]}"; do
    install_private_criu "$suite"
    if criu_works "${CRIU_PREFIX}/bin/criu"; then
      log "CRIU: private ${CRIU_PREFIX}/bin/criu ($("${CRIU_PREFIX}/bin/criu" --version | head -1), ${CRIU_SUITE_NAME[$suite]}) works here"
      return 0
    fi
    log "CRIU: ${CRIU_SUITE_NAME[$suite]}'s $("${CRIU_PREFIX}/bin/criu" --version | head -1) does not work on kernel $(uname -r)"
  done
  "${CRIU_PREFIX}/bin/criu" check || true
  die "no private CRIU works on kernel $(uname -r) (see above); ftmpi's transparent mode needs one"
}

rc=0
install_packages || rc=1
setup_criu || rc=1
exit $rc
