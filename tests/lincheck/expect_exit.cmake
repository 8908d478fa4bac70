# Runs craft-lincheck and checks its exit code and output; for ctest:
#   cmake -DEXE=<craft-lincheck> -DINPUT=<file> -DEXIT=<code>
#         [-DSTDIN=ON]            feed INPUT on standard input, as "-"
#         [-DGENERATE=<args>]     first write `EXE <args>` (space-separated)
#                                 to INPUT, then judge it
#         [-DLINES=<n>]           expect a counterexample of n operations
#         [-DSTDERR=<regex>]      expect standard error to match
#         -P expect_exit.cmake
foreach(var EXE INPUT EXIT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "expect_exit.cmake: ${var} is not set")
  endif()
endforeach()

if(DEFINED GENERATE)
  separate_arguments(generate_args UNIX_COMMAND "${GENERATE}")
  execute_process(COMMAND "${EXE}" ${generate_args}
    OUTPUT_FILE "${INPUT}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EXE} ${GENERATE}: exit ${rc}")
  endif()
endif()

if(STDIN)
  execute_process(COMMAND "${EXE}" -
    INPUT_FILE "${INPUT}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
else()
  execute_process(COMMAND "${EXE}" "${INPUT}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endif()
message(STATUS "stdout:\n${out}")
message(STATUS "stderr:\n${err}")

if(NOT rc STREQUAL EXIT)
  message(FATAL_ERROR "exit ${rc}, expected ${EXIT}")
endif()
if(EXIT EQUAL 0 AND NOT out STREQUAL "linearizable\n")
  message(FATAL_ERROR "expected \"linearizable\"")
endif()
if(EXIT EQUAL 1)
  string(REGEX MATCHALL "\n" newlines "${out}")
  list(LENGTH newlines n)
  math(EXPR ops "${n} - 1")
  if(NOT out MATCHES "^not linearizable\n")
    message(FATAL_ERROR "expected \"not linearizable\" first")
  endif()
  if(DEFINED LINES AND NOT ops EQUAL LINES)
    message(FATAL_ERROR "counterexample has ${ops} operations, expected ${LINES}")
  endif()
endif()
if(DEFINED STDERR AND NOT err MATCHES "${STDERR}")
  message(FATAL_ERROR "standard error does not match \"${STDERR}\"")
endif()
