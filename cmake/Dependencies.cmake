# Every library comes from a Debian 12 package (scripts/packages.txt).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Snappy REQUIRED CONFIG)
find_package(zstd REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
find_package(cppzmq REQUIRED)

# Qpid Proton C++ ships no CMake package, and Debian's libqpid-proton-cpp.pc
# names .pc files no package installs: find the library and header directly.
find_library(PROTON_CPP_LIBRARY NAMES qpid-proton-cpp REQUIRED)
find_path(PROTON_CPP_INCLUDE_DIR NAMES proton/container.hpp REQUIRED)
# The C core, for the SASL plugin API (proton/sasl_plugin.h). Debian installs
# only its versioned name; linking the same library Proton C++ uses keeps one
# copy of the core in the process.
find_library(PROTON_CORE_LIBRARY NAMES qpid-proton-core libqpid-proton-core.so.10 REQUIRED)
add_library(Proton::cpp UNKNOWN IMPORTED)
set_target_properties(Proton::cpp PROPERTIES
  IMPORTED_LOCATION ${PROTON_CPP_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${PROTON_CPP_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES ${PROTON_CORE_LIBRARY})

# The ZooKeeper C client (multi-threaded flavour) ships no CMake package or .pc
# file. Its blocking calls (zoo_create, zoo_get, ...) exist only under THREADED.
find_library(ZOOKEEPER_MT_LIBRARY NAMES zookeeper_mt REQUIRED)
find_path(ZOOKEEPER_INCLUDE_DIR NAMES zookeeper/zookeeper.h REQUIRED)
add_library(ZooKeeper::mt UNKNOWN IMPORTED)
set_target_properties(ZooKeeper::mt PROPERTIES
  IMPORTED_LOCATION ${ZOOKEEPER_MT_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${ZOOKEEPER_INCLUDE_DIR}
  INTERFACE_COMPILE_DEFINITIONS THREADED)
