# craft_set_warnings(<target>): the project's warning flags for its own code.
function(craft_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(CRAFT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
