#!/bin/sh
# run_in_scratch.sh DIR COMMAND [ARGS...]: empties DIR, enters it and runs the command
# there with FTMPI_TEST_SCRATCH=DIR, so that every test starts from a clean folder of
# its own.  Registered for every test by ftmpi_add_test (cmake/FtmpiTesting.cmake).
set -eu
dir=$1
shift
# A file system a test mounted there and could not unmount (it was killed at its time
# limit) would keep the folder from being emptied.
if [ -d "$dir" ]; then
  awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
fi
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
FTMPI_TEST_SCRATCH=$dir
export FTMPI_TEST_SCRATCH
exec "$@"
