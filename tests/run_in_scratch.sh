#!/bin/sh
# run_in_scratch.sh DIR COMMAND [ARGS...]: empties DIR, enters it and runs the command
# there with FTMPI_TEST_SCRATCH=DIR, so that every test starts from a clean folder of
# its own.  Registered for every test by ftmpi_add_test (cmake/FtmpiTesting.cmake).
set -eu
dir=$1
shift
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
FTMPI_TEST_SCRATCH=$dir
export FTMPI_TEST_SCRATCH
exec "$@"
