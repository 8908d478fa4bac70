# Runs craft-datadriven over a directory for ctest.
#   cmake -DCLI=<exe> -DSUITE=<name> -DDIR=<dir> [-DOPTIONAL=ON]
#         [-DFLAGS=--ignore-log-lines] -P run_cli.cmake
# With OPTIONAL=ON (conformance material kept outside the project), a
# missing directory prints "SKIPPED:" (the test's SKIP_REGULAR_EXPRESSION),
# except under CI (CI=true), where it fails.
if(NOT IS_DIRECTORY "${DIR}")
  if(OPTIONAL AND NOT "$ENV{CI}" STREQUAL "true")
    message("SKIPPED: ${DIR} not found")
    return()
  endif()
  message(FATAL_ERROR "${DIR} not found")
endif()
execute_process(COMMAND "${CLI}" --suite "${SUITE}" ${FLAGS} "${DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR
    "craft-datadriven --suite ${SUITE} ${FLAGS} ${DIR}: exit ${rc}")
endif()
