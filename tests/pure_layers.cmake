# The pure layers (quorum, tracker, confchange) and their tests. Included
# from tests/CMakeLists.txt.

craft_add_test(craft_pure_layers_test SOURCES
  quorum/quorum_test.cc
  tracker/inflights_test.cc
  tracker/progress_test.cc
  tracker/tracker_test.cc
  confchange/confchange_test.cc
  confchange/conversions_test.cc
  confchange/restore_test.cc)

# Replaces the global allocation functions to count allocations: a binary
# of its own.
craft_add_test(craft_committed_alloc_test SOURCES
  quorum/committed_alloc_test.cc)
