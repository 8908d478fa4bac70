# The linearizability checker for key-value histories: the craft_lincheck
# library (which the cluster simulator calls), the craft-lincheck CLI and
# their tests. Included from tests/CMakeLists.txt. Independent of the craft
# library itself.
find_package(nlohmann_json 3 CONFIG REQUIRED)

add_library(craft_lincheck STATIC lincheck/lincheck.cc)
target_include_directories(craft_lincheck PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(craft_lincheck
  PUBLIC absl::status absl::statusor absl::strings
  PRIVATE absl::flat_hash_map absl::flat_hash_set absl::span
    nlohmann_json::nlohmann_json)
craft_set_warnings(craft_lincheck)

add_executable(craft-lincheck lincheck/main.cc)
target_link_libraries(craft-lincheck PRIVATE craft_lincheck absl::strings)
craft_set_warnings(craft-lincheck)

add_executable(craft_lincheck_test lincheck/lincheck_test.cc)
target_link_libraries(craft_lincheck_test PRIVATE craft_lincheck
  GTest::gmock GTest::gtest_main)
craft_set_warnings(craft_lincheck_test)
gtest_discover_tests(craft_lincheck_test TEST_PREFIX "lincheck.")

# craft_lincheck_cli_test(<name> <exit> [LINES n] [STDERR regex] [STDIN]
#                         [GENERATE args]): runs craft-lincheck on
# testdata/lincheck/<name>.jsonl (or on a generated history) and checks the
# exit code: 0 linearizable, 1 not (with LINES, the counterexample's size),
# 2 malformed input.
set(CRAFT_LINCHECK_TESTDATA "${CMAKE_CURRENT_SOURCE_DIR}/testdata/lincheck")
function(craft_lincheck_cli_test name exit)
  cmake_parse_arguments(ARG "STDIN" "LINES;STDERR;GENERATE" "" ${ARGN})
  set(input "${CRAFT_LINCHECK_TESTDATA}/${name}.jsonl")
  set(extra)
  if(DEFINED ARG_GENERATE)
    set(input "${CMAKE_CURRENT_BINARY_DIR}/lincheck_${name}.jsonl")
    list(APPEND extra "-DGENERATE=${ARG_GENERATE}")
  endif()
  if(ARG_STDIN)
    list(APPEND extra -DSTDIN=ON)
  endif()
  if(DEFINED ARG_LINES)
    list(APPEND extra "-DLINES=${ARG_LINES}")
  endif()
  if(DEFINED ARG_STDERR)
    list(APPEND extra "-DSTDERR=${ARG_STDERR}")
  endif()
  add_test(NAME lincheck.cli.${name}
    COMMAND "${CMAKE_COMMAND}" "-DEXE=$<TARGET_FILE:craft-lincheck>"
      "-DINPUT=${input}" "-DEXIT=${exit}" ${extra}
      -P "${CMAKE_CURRENT_SOURCE_DIR}/lincheck/expect_exit.cmake")
endfunction()

craft_lincheck_cli_test(sequential 0)
craft_lincheck_cli_test(concurrent_writes 0 STDIN)
craft_lincheck_cli_test(unknown_writes 0)
craft_lincheck_cli_test(stale_read 1 LINES 3)
craft_lincheck_cli_test(lost_write 1 LINES 2)
craft_lincheck_cli_test(cas_absent 1 LINES 3)
craft_lincheck_cli_test(cas_failed_matched 1 LINES 2)
craft_lincheck_cli_test(unknown_before_call 1 LINES 1 STDIN)
craft_lincheck_cli_test(multi_key 1 LINES 3)
craft_lincheck_cli_test(malformed 2 STDERR "malformed.jsonl: line 3: ")
craft_lincheck_cli_test(missing_file 2 STDERR "cannot read")
craft_lincheck_cli_test(generated 0
  GENERATE "--generate 2000 --clients 8 --keys 5 --seed 7")
craft_lincheck_cli_test(generated_violation 1
  GENERATE "--generate 2000 --clients 8 --keys 5 --seed 7 --violate")
