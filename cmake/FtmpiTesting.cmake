# ftmpi_add_test: the one way tests are registered.
#
#   ftmpi_add_test(<name>
#     [SOURCES <file>...]        build a GoogleTest executable <name> from these
#     [LIBRARIES <target>...]    ... and link it with these
#     [COMMAND <arg>...]         or run this command (a script, a built tool)
#     [RANKS <n>]                run under mpirun with n processes (needs SOURCES/COMMAND)
#     [PROCESSORS <n>]           processes the test starts itself (a script that runs
#                                mpirun), so ctest -j does not overload the machine
#     [LABELS <label>...]        unit, mpi, e2e, lint, slurm, bench (bench is not run by
#                                scripts/test.sh)
#     [TIMEOUT <seconds>]        default 120
#     [ENVIRONMENT <VAR=value>...])
#
# Every test runs in its own scratch folder, build/tests/scratch/<name>, emptied before
# each run; the test finds it as its working directory and in $FTMPI_TEST_SCRATCH.
# MPI tests with SOURCES link the shared MPI test main (tests/mpi/mpi_test_main.cpp),
# which reduces the failure flag over all ranks, so one failing rank fails the test.

set(FTMPI_TEST_SCRATCH_ROOT "${PROJECT_BINARY_DIR}/tests/scratch")
set(FTMPI_TEST_MPIEXEC_FLAGS --oversubscribe
  CACHE STRING "Flags mpirun gets in tests (besides -np)")
set(FTMPI_TEST_RUNNER "${PROJECT_SOURCE_DIR}/tests/run_in_scratch.sh")

function(ftmpi_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "RANKS;PROCESSORS;TIMEOUT"
    "SOURCES;LIBRARIES;COMMAND;LABELS;ENVIRONMENT")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ftmpi_add_test(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(arg_SOURCES AND arg_COMMAND)
    message(FATAL_ERROR "ftmpi_add_test(${name}): give SOURCES or COMMAND, not both")
  endif()
  if(NOT arg_SOURCES AND NOT arg_COMMAND)
    message(FATAL_ERROR "ftmpi_add_test(${name}): give SOURCES or COMMAND")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()

  if(arg_SOURCES)
    add_executable(${name} ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE ${arg_LIBRARIES})
    if(arg_RANKS)
      target_link_libraries(${name} PRIVATE ftmpi_mpi_test_main)
    else()
      target_link_libraries(${name} PRIVATE GTest::gtest_main GTest::gmock)
    endif()
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/tests/bin")
    ftmpi_set_warnings(${name})
    set(command $<TARGET_FILE:${name}>)
  else()
    set(command ${arg_COMMAND})
  endif()

  if(arg_RANKS)
    set(command ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${arg_RANKS}
      ${FTMPI_TEST_MPIEXEC_FLAGS} ${MPIEXEC_PREFLAGS} ${command} ${MPIEXEC_POSTFLAGS})
  endif()

  set(processors 1)
  if(arg_RANKS)
    set(processors ${arg_RANKS})
  elseif(arg_PROCESSORS)
    set(processors ${arg_PROCESSORS})
  endif()

  set(scratch "${FTMPI_TEST_SCRATCH_ROOT}/${name}")
  add_test(NAME ${name} COMMAND ${FTMPI_TEST_RUNNER} "${scratch}" ${command})
  set_tests_properties(${name} PROPERTIES
    LABELS "${arg_LABELS}"
    TIMEOUT ${arg_TIMEOUT}
    PROCESSORS ${processors}
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;FTMPI_BUILD_DIR=${PROJECT_BINARY_DIR};FTMPI_SOURCE_DIR=${PROJECT_SOURCE_DIR};${arg_ENVIRONMENT}")
endfunction()
