# Install rules: headers, the library, CMake package files and craft.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# craft::wal, when built (CRAFT_BUILD_WAL), is a component of the package.
set(craft_install_targets craft craft_testing)
set(craft_header_excludes)
if(TARGET craft_wal)
  list(APPEND craft_install_targets craft_wal)
else()
  set(craft_header_excludes PATTERN "wal" EXCLUDE)
endif()

install(TARGETS ${craft_install_targets}
  EXPORT craftTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/craft"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" ${craft_header_excludes})
install(FILES "${CRAFT_GENERATED_DIR}/craft/raftpb.pb.h"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/craft)
install(FILES "${PROJECT_SOURCE_DIR}/proto/craft/raftpb.proto"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/craft)

set(CRAFT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/craft)
install(EXPORT craftTargets
  NAMESPACE craft::
  DESTINATION ${CRAFT_CMAKE_DIR})
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/craftConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/craftConfig.cmake"
  INSTALL_DESTINATION ${CRAFT_CMAKE_DIR})
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/craftConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/craftConfig.cmake"
  "${PROJECT_BINARY_DIR}/craftConfigVersion.cmake"
  DESTINATION ${CRAFT_CMAKE_DIR})

if(TARGET craft_wal)
  # The package config finds ISA-L with it (a static craft_wal links it).
  install(FILES "${PROJECT_SOURCE_DIR}/cmake/FindISAL.cmake"
    DESTINATION ${CRAFT_CMAKE_DIR})
  configure_file("${PROJECT_SOURCE_DIR}/cmake/craft-wal.pc.in"
    "${PROJECT_BINARY_DIR}/craft-wal.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/craft-wal.pc"
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

configure_file("${PROJECT_SOURCE_DIR}/cmake/craft.pc.in"
  "${PROJECT_BINARY_DIR}/craft.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/craft.pc"
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
