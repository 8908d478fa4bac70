# FindISAL: Intel's Intelligent Storage Acceleration Library (ISA-L), for
# its hardware-accelerated CRC-32C (Debian: libisal-dev).
#
# Defines ISAL_FOUND, ISAL_INCLUDE_DIR, ISAL_LIBRARY and the imported target
# ISAL::ISAL. ISAL_ROOT (a CMake or environment variable) points at a
# non-standard installation.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_ISAL QUIET libisal)
endif()

find_path(ISAL_INCLUDE_DIR
  NAMES isa-l/crc.h
  HINTS ${PC_ISAL_INCLUDEDIR} ${PC_ISAL_INCLUDE_DIRS})
find_library(ISAL_LIBRARY
  NAMES isal
  HINTS ${PC_ISAL_LIBDIR} ${PC_ISAL_LIBRARY_DIRS})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ISAL
  REQUIRED_VARS ISAL_LIBRARY ISAL_INCLUDE_DIR
  VERSION_VAR PC_ISAL_VERSION)
mark_as_advanced(ISAL_INCLUDE_DIR ISAL_LIBRARY)

if(ISAL_FOUND AND NOT TARGET ISAL::ISAL)
  add_library(ISAL::ISAL UNKNOWN IMPORTED)
  set_target_properties(ISAL::ISAL PROPERTIES
    IMPORTED_LOCATION "${ISAL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ISAL_INCLUDE_DIR}")
endif()
