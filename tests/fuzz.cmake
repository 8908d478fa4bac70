# Fuzz targets. With CRAFT_LIBFUZZER (clang: the `fuzz` preset) they are
# libFuzzer binaries; otherwise a standalone driver runs them on files or on
# seeded random inputs, and ctest runs a smoke pass.
option(CRAFT_LIBFUZZER "Link the fuzz targets with libFuzzer (clang)" OFF)

function(craft_add_fuzzer name)
  add_executable(${name} fuzz/${name}.cc)
  target_link_libraries(${name} PRIVATE craft)
  craft_set_warnings(${name})
  if(CRAFT_LIBFUZZER)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${name} PRIVATE fuzz/standalone_main.cc)
    add_test(NAME fuzz.${name}.smoke COMMAND ${name} --random=2000)
  endif()
endfunction()

craft_add_fuzzer(raft_step_fuzzer)
