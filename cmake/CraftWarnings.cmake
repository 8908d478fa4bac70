# craft_set_warnings(<target>): the project's warning flags for its own code.
function(craft_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O2 reports moved-from abseil InlinedVector storage (inside
    # absl/container/internal/inlined_vector.h) as maybe-uninitialized: a
    # known false positive that -Werror would turn into a build failure.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(CRAFT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
