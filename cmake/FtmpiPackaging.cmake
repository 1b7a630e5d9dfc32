# Installs the CMake package (find_package(ftmpi) -> ftmpi::ftmpi) and a pkg-config file.
include(CMakePackageConfigHelpers)

set(FTMPI_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ftmpi")

install(EXPORT ftmpiTargets
  NAMESPACE ftmpi::
  DESTINATION "${FTMPI_CMAKE_DIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/ftmpiConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/ftmpiConfig.cmake"
  INSTALL_DESTINATION "${FTMPI_CMAKE_DIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/ftmpiConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/ftmpiConfig.cmake"
  "${PROJECT_BINARY_DIR}/ftmpiConfigVersion.cmake"
  DESTINATION "${FTMPI_CMAKE_DIR}")

configure_file("${CMAKE_CURRENT_LIST_DIR}/ftmpi.pc.in" "${PROJECT_BINARY_DIR}/ftmpi.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ftmpi.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
