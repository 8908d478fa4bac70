# craft::wal's tests. Included from tests/CMakeLists.txt when CRAFT_BUILD_WAL
# is on.

# craft_wal_testing: the fault-injecting Env, for any test of code that does
# its I/O through craft::wal.
add_library(craft_wal_testing STATIC wal/fault_env.cc)
target_include_directories(craft_wal_testing PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(craft_wal_testing PUBLIC craft_wal absl::synchronization)
craft_set_warnings(craft_wal_testing)

craft_add_test(craft_wal_test SOURCES
  wal/crc32c_test.cc
  wal/env_test.cc
  wal/format_test.cc
  wal/wal_test.cc
  wal/wal_corruption_test.cc
  wal/wal_fault_test.cc
  wal/wal_crash_test.cc
  wal/snapshot_store_test.cc
  wal/disk_storage_test.cc)
target_link_libraries(craft_wal_test PRIVATE craft_wal craft_wal_testing)
