# Fuzz targets. With CRAFT_LIBFUZZER (clang: the `fuzz` preset) they are
# libFuzzer binaries; otherwise a standalone driver runs them on their seed
# corpus (tests/fuzz/corpus/<target>) and on seeded random inputs, and ctest
# runs that as a smoke pass.
option(CRAFT_LIBFUZZER "Link the fuzz targets with libFuzzer (clang)" OFF)

# craft_add_fuzzer(<name> [SIM] [RANDOM <n>] [SOURCES ...]): the target
# fuzz/<name>.cc; SIM ones drive the cluster simulator (craft_sim, defined
# by sim.cmake, which is included later: target names resolve at generation
# time). RANDOM sets how many random inputs the smoke pass runs.
function(craft_add_fuzzer name)
  cmake_parse_arguments(ARG "SIM" "RANDOM" "SOURCES" ${ARGN})
  add_executable(${name} fuzz/${name}.cc ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE craft)
  if(ARG_SIM)
    target_sources(${name} PRIVATE fuzz/sim_driver.cc)
    target_link_libraries(${name} PRIVATE craft_sim)
  endif()
  craft_set_warnings(${name})
  if(CRAFT_LIBFUZZER)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    if(NOT ARG_RANDOM)
      set(ARG_RANDOM 2000)
    endif()
    target_sources(${name} PRIVATE fuzz/standalone_main.cc)
    add_test(NAME fuzz.${name}.smoke
      COMMAND ${name} --random=${ARG_RANDOM}
        "${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name}")
    set_tests_properties(fuzz.${name}.smoke PROPERTIES LABELS fuzz)
  endif()
endfunction()

craft_add_fuzzer(raft_step_fuzzer SIM RANDOM 1000)
craft_add_fuzzer(message_decode_fuzzer SIM RANDOM 10000)
craft_add_fuzzer(confchange_parser_fuzzer RANDOM 20000)
