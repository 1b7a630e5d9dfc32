# Finds ftmpi's dependencies and exposes each as an imported target.
# Required ones stop configuration with a message naming the Debian package;
# optional ones are recorded for the configure summary.

find_package(MPI 3.1 REQUIRED COMPONENTS C CXX)
find_package(Threads REQUIRED)

find_package(CLI11 CONFIG QUIET)
if(NOT CLI11_FOUND)
  message(FATAL_ERROR "CLI11 not found: install libcli11-dev (scripts/setup.sh does)")
endif()
find_package(fmt CONFIG QUIET)
if(NOT fmt_FOUND)
  message(FATAL_ERROR "fmt not found: install libfmt-dev (scripts/setup.sh does)")
endif()
find_package(spdlog CONFIG QUIET)
if(NOT spdlog_FOUND)
  message(FATAL_ERROR "spdlog not found: install libspdlog-dev (scripts/setup.sh does)")
endif()

find_package(nlohmann_json 3 CONFIG QUIET)
if(NOT nlohmann_json_FOUND)
  message(FATAL_ERROR "nlohmann-json not found: install nlohmann-json3-dev (scripts/setup.sh does)")
endif()
# Boost's header-only CRC for checkpoint manifests.
find_package(Boost 1.74 QUIET COMPONENTS serialization)
if(NOT Boost_FOUND)
  message(FATAL_ERROR "Boost not found: install libboost-serialization-dev (scripts/setup.sh does)")
endif()

# PAPI as our own imported target (Debian ships a pkg-config file, no CMake package).
find_package(PkgConfig REQUIRED)
pkg_check_modules(FTMPI_PAPI REQUIRED IMPORTED_TARGET papi)
add_library(FTMPI::PAPI ALIAS PkgConfig::FTMPI_PAPI)

# zlib's CRC-32 (several times faster than a byte-wise table) for checkpoint checksums.
find_package(ZLIB REQUIRED)

# HDF5 (C library) for the job trace.
find_package(HDF5 REQUIRED COMPONENTS C)
if(HDF5_VERSION VERSION_LESS 1.10)
  message(FATAL_ERROR "HDF5 ${HDF5_VERSION} found; the trace needs 1.10 or newer (SWMR)")
endif()

# XGBoost (C API) for the predictor's classifier: Debian ships no CMake package, so an
# imported target of our own.
find_path(FTMPI_XGBOOST_INCLUDE_DIR xgboost/c_api.h)
find_library(FTMPI_XGBOOST_LIBRARY xgboost)
if(NOT FTMPI_XGBOOST_INCLUDE_DIR OR NOT FTMPI_XGBOOST_LIBRARY)
  message(FATAL_ERROR "XGBoost not found: install libxgboost-dev (scripts/setup.sh does)")
endif()
add_library(FTMPI::XGBoost UNKNOWN IMPORTED)
set_target_properties(FTMPI::XGBoost PROPERTIES
  IMPORTED_LOCATION "${FTMPI_XGBOOST_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${FTMPI_XGBOOST_INCLUDE_DIR}")

if(FTMPI_BUILD_TESTS)
  find_package(GTest CONFIG QUIET)
  if(NOT GTest_FOUND)
    message(FATAL_ERROR
      "FTMPI_BUILD_TESTS is ON but GoogleTest was not found: install libgtest-dev "
      "libgmock-dev (scripts/setup.sh does) or configure with -DFTMPI_BUILD_TESTS=OFF")
  endif()
endif()

find_program(FTMPI_CLANG_FORMAT NAMES clang-format clang-format-14)
find_program(FTMPI_CLANG_TIDY NAMES clang-tidy clang-tidy-14)
