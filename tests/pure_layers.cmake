# The pure layers (quorum, tracker, confchange), the datadriven reader and
# runner, the craft-datadriven CLI, and their tests. Included from
# tests/CMakeLists.txt.

# The generic datadriven library: file reader, rewriter, runner, CLI.
add_library(craft_datadriven STATIC
  datadriven/datadriven.cc
  datadriven/runner.cc
  datadriven/cli.cc)
target_include_directories(craft_datadriven PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(craft_datadriven PUBLIC craft absl::status
  absl::statusor absl::strings)
craft_set_warnings(craft_datadriven)

# The quorum and confchange languages.
add_library(craft_datadriven_suites STATIC
  datadriven/quorum_suite.cc
  datadriven/confchange_suite.cc)
target_link_libraries(craft_datadriven_suites PUBLIC craft_datadriven craft)
craft_set_warnings(craft_datadriven_suites)

add_executable(craft-datadriven datadriven/craft_datadriven_main.cc)
target_link_libraries(craft-datadriven PRIVATE craft_datadriven_suites)
craft_set_warnings(craft-datadriven)

craft_add_test(craft_pure_layers_test SOURCES
  quorum/quorum_test.cc
  tracker/inflights_test.cc
  tracker/progress_test.cc
  tracker/tracker_test.cc
  confchange/confchange_test.cc
  confchange/conversions_test.cc
  confchange/restore_test.cc
  datadriven/datadriven_test.cc
  datadriven/suites_test.cc)
target_link_libraries(craft_pure_layers_test PRIVATE craft_datadriven_suites)

# Counts allocations (craft_alloc_counter replaces the global allocation
# functions): a binary of its own.
craft_add_test(craft_committed_alloc_test SOURCES
  quorum/committed_alloc_test.cc)
target_link_libraries(craft_committed_alloc_test PRIVATE craft_alloc_counter)

# The CLI over the project's own files and over etcd-io/raft's (kept in
# ../shared/conformance; skipped when absent, required under CI).
foreach(suite quorum confchange)
  add_test(NAME craft_datadriven_cli_${suite}
    COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:craft-datadriven>
      -DSUITE=${suite} -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/testdata/${suite}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/datadriven/run_cli.cmake)
  add_test(NAME craft_datadriven_cli_conformance_${suite}
    COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:craft-datadriven>
      -DSUITE=${suite} -DDIR=${CRAFT_CONFORMANCE_DIR}/etcd-v3.6.0/${suite}
      -DOPTIONAL=ON -P ${CMAKE_CURRENT_SOURCE_DIR}/datadriven/run_cli.cmake)
  set_tests_properties(craft_datadriven_cli_conformance_${suite} PROPERTIES
    SKIP_REGULAR_EXPRESSION "SKIPPED:")
endforeach()
