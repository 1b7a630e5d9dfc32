# ftmpi_set_warnings(<target>): the project's warning set, for project sources only.
function(ftmpi_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>
    $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow>
    $<$<BOOL:${FTMPI_ENABLE_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
