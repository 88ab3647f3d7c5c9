# Generates "{value, "NAME"}," lines from a header of `#define NAME ((TYPE)0xVALUE...)` lines.
# Used for the bug check and NTSTATUS name tables (run with cmake -P).
file(STRINGS "${INPUT}" lines REGEX "^#define [A-Z0-9_]+ \\(\\([A-Z]+\\)0x[0-9A-Fa-f]+L\\)")
set(out "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define ([A-Z0-9_]+) \\(\\([A-Z]+\\)(0x[0-9A-Fa-f]+)L\\).*" "{\\2u, \"\\1\"}," entry "${line}")
  string(APPEND out "${entry}\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${out}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
