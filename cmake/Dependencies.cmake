# Every library comes from a Debian 12 package (scripts/packages.txt).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Snappy REQUIRED CONFIG)
find_package(zstd REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
