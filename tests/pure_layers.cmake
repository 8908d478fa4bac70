# The pure layers (quorum, tracker, confchange), the datadriven reader and
# runner, and their tests. Included from tests/CMakeLists.txt.

# The generic datadriven library: file reader, rewriter, runner, CLI.
add_library(craft_datadriven STATIC
  datadriven/datadriven.cc
  datadriven/runner.cc
  datadriven/cli.cc)
target_include_directories(craft_datadriven PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(craft_datadriven PUBLIC craft absl::status
  absl::statusor absl::strings)
craft_set_warnings(craft_datadriven)

craft_add_test(craft_pure_layers_test SOURCES
  quorum/quorum_test.cc
  tracker/inflights_test.cc
  tracker/progress_test.cc
  tracker/tracker_test.cc
  confchange/confchange_test.cc
  confchange/conversions_test.cc
  confchange/restore_test.cc
  datadriven/datadriven_test.cc)
target_link_libraries(craft_pure_layers_test PRIVATE craft_datadriven)

# Replaces the global allocation functions to count allocations: a binary
# of its own.
craft_add_test(craft_committed_alloc_test SOURCES
  quorum/committed_alloc_test.cc)
