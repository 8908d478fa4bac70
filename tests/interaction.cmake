# The interaction harness (etcd-io/raft's datadriven interaction language)
# and its tests. Included from tests/CMakeLists.txt.
add_library(craft_interaction STATIC
  interaction/interaction_env.cc
  interaction/interaction_suite.cc)
target_include_directories(craft_interaction PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(craft_interaction PUBLIC craft_datadriven craft craft_testing)
craft_set_warnings(craft_interaction)

craft_add_test(craft_interaction_test SOURCES interaction/interaction_test.cc)
target_link_libraries(craft_interaction_test PRIVATE craft_interaction)

# craft-datadriven speaks the interaction language too.
target_link_libraries(craft-datadriven PRIVATE craft_interaction)

# The CLI over the project's corpus (exact) and over the scenarios whose
# expected outputs etcd-io/raft v3.6.0 produced (logger lines ignored).
add_test(NAME craft_datadriven_cli_interaction
  COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:craft-datadriven>
    -DSUITE=interaction -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/testdata/interaction
    -P ${CMAKE_CURRENT_SOURCE_DIR}/datadriven/run_cli.cmake)
add_test(NAME craft_datadriven_cli_conformance_interaction
  COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:craft-datadriven>
    -DSUITE=interaction -DDIR=${CRAFT_CONFORMANCE_DIR}/scenarios
    -DFLAGS=--ignore-log-lines -DOPTIONAL=ON
    -P ${CMAKE_CURRENT_SOURCE_DIR}/datadriven/run_cli.cmake)
set_tests_properties(craft_datadriven_cli_conformance_interaction PROPERTIES
  SKIP_REGULAR_EXPRESSION "SKIPPED:")
