# The deterministic cluster simulator: the craft_sim library (also driven by
# the fuzzers), the craft-sim CLI, and its ctest runs. Included from
# tests/CMakeLists.txt after lincheck.cmake.
add_library(craft_sim STATIC
  sim/disk.cc
  sim/event.cc
  sim/generator.cc
  sim/kv.cc
  sim/sim.cc
  sim/world.cc)
target_include_directories(craft_sim
  PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}"
  PRIVATE "${PROJECT_SOURCE_DIR}/src")
target_link_libraries(craft_sim PUBLIC craft craft_lincheck absl::strings
  absl::status absl::statusor)
craft_set_warnings(craft_sim)

add_executable(craft-sim sim/main.cc)
target_link_libraries(craft-sim PRIVATE craft_sim)
craft_set_warnings(craft-sim)

craft_add_test(craft_sim_test SOURCES sim/sim_test.cc)
target_link_libraries(craft_sim_test PRIVATE craft_sim)

# CI's seed budget: 300 seeds of 3000 ticks, in two halves that ctest runs
# in parallel.
add_test(NAME sim.seeds.1-150 COMMAND craft-sim --seeds 150 --from 1)
add_test(NAME sim.seeds.151-300 COMMAND craft-sim --seeds 150 --from 151)
set_tests_properties(sim.seeds.1-150 sim.seeds.151-300 PROPERTIES LABELS sim)

# A short run for the sanitizer builds (which skip the label "sim": the
# seed budget above would take them too long).
add_test(NAME sim.seeds.short COMMAND craft-sim --seeds 12 --ticks 1000)
set_tests_properties(sim.seeds.short PROPERTIES LABELS sim-short)

# The planted bugs of scripts/mutants must still apply to the sources (a
# patch that no longer applies fails scripts/mutants, which runs last and
# takes minutes; this tells at once).
find_program(CRAFT_GIT git)
if(CRAFT_GIT)
  add_test(NAME mutants.patches_apply
    COMMAND sh -c "for p in tests/mutants/*.patch; do ${CRAFT_GIT} apply --check -p1 \"$p\" || exit 1; done"
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
endif()
