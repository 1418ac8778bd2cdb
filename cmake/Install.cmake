# Installs junctiond, libjunction_core, the SDK headers and a package config so
# an out-of-tree plugin can find_package(Junction) and link Junction::sdk.
include(CMakePackageConfigHelpers)

install(TARGETS junction_core EXPORT JunctionTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS junctiond RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY core/include/junction DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(JUNCTION_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Junction)
install(EXPORT JunctionTargets NAMESPACE Junction:: DESTINATION ${JUNCTION_CMAKE_DIR})
configure_package_config_file(cmake/JunctionConfig.cmake.in
  ${CMAKE_BINARY_DIR}/JunctionConfig.cmake
  INSTALL_DESTINATION ${JUNCTION_CMAKE_DIR}
  PATH_VARS JUNCTION_PLUGIN_SUBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/JunctionConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/JunctionConfig.cmake
  ${CMAKE_BINARY_DIR}/JunctionConfigVersion.cmake
  DESTINATION ${JUNCTION_CMAKE_DIR})
