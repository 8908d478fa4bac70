# The Raft core and RawNode tests. Included from tests/CMakeLists.txt.
add_library(craft_cluster STATIC support/cluster.cc)
target_include_directories(craft_cluster PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(craft_cluster PUBLIC craft craft_testing GTest::gtest)
craft_set_warnings(craft_cluster)

craft_add_test(craft_raft_test SOURCES
  util/buffer_cache_test.cc
  util/interned_test.cc
  raft/election_test.cc
  raft/replication_test.cc
  raft/membership_snapshot_test.cc
  raft/read_transfer_test.cc
  raft/raw_node_test.cc
  raft/malformed_message_test.cc
  raft/hardening_test.cc
  raft/peer_input_test.cc)
target_link_libraries(craft_raft_test PRIVATE craft_cluster Threads::Threads)

# Counts allocations (craft_alloc_counter replaces the global allocation
# functions): a binary of its own.
craft_add_test(craft_idle_tick_alloc_test SOURCES raft/idle_tick_alloc_test.cc)
target_link_libraries(craft_idle_tick_alloc_test PRIVATE craft_alloc_counter)

# The thread-safe Node.
craft_add_test(craft_node_test SOURCES node/node_test.cc)
target_link_libraries(craft_node_test PRIVATE Threads::Threads absl::time)
