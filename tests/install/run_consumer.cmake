# Script mode (cmake -P): builds and runs tests/install/consumer against
# craft, either installed into PREFIX (MODE=find_package) or embedded from
# CRAFT_SOURCE_DIR (MODE=add_subdirectory).
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "command failed (${rc}): ${cmd}")
  endif()
endfunction()

set(build "${WORK_DIR}/${MODE}")
file(REMOVE_RECURSE "${build}")
set(consumer "${CRAFT_SOURCE_DIR}/tests/install/consumer")

if(MODE STREQUAL "find_package")
  file(REMOVE_RECURSE "${PREFIX}")
  run("${CMAKE_COMMAND}" --install "${CRAFT_BINARY_DIR}" --prefix "${PREFIX}")
  foreach(f include/craft/craft.h include/craft/raftpb.pb.h
            lib/cmake/craft/craftConfig.cmake
            lib/cmake/craft/craftConfigVersion.cmake
            lib/pkgconfig/craft.pc)
    if(NOT EXISTS "${PREFIX}/${f}")
      message(FATAL_ERROR "install is missing ${f}")
    endif()
  endforeach()
  run("${CMAKE_COMMAND}" -S "${consumer}" -B "${build}" -G "${GENERATOR}"
      "-DCMAKE_PREFIX_PATH=${PREFIX}"
      "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}"
      "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINKER_FLAGS}")
else()
  run("${CMAKE_COMMAND}" -S "${consumer}" -B "${build}" -G "${GENERATOR}"
      "-DCRAFT_SOURCE_DIR=${CRAFT_SOURCE_DIR}")
endif()
run("${CMAKE_COMMAND}" --build "${build}")
run("${build}/app")
