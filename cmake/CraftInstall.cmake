# Install rules: headers, the library, CMake package files and craft.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS craft craft_testing
  EXPORT craftTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/craft"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
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

configure_file("${PROJECT_SOURCE_DIR}/cmake/craft.pc.in"
  "${PROJECT_BINARY_DIR}/craft.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/craft.pc"
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
