# Helpers for the lab's own targets. Each NT subsystem under src/ is one shared library; its
# target_link_libraries edges are the layering, and -Wl,--no-undefined makes a call that skips a
# layer fail to link.

set(WDMLAB_LAB_WARNINGS
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough
  -Wno-missing-field-initializers -Wno-multichar)
if(WDMLAB_WERROR)
  list(APPEND WDMLAB_LAB_WARNINGS -Werror)
endif()

# Compile options shared by every target that is lab code (libraries, tools, tests, benchmarks).
function(wdmlab_lab_code target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C,CXX>:${WDMLAB_LAB_WARNINGS}>
    $<$<COMPILE_LANGUAGE:C,CXX>:-fno-omit-frame-pointer>)
  target_compile_definitions(${target} PRIVATE WDMLAB_LAB_CODE=1)
endfunction()

# wdmlab_library(<subsystem> SOURCES ... [DEPENDS <subsystem>...] [LIBS <target>...])
# Creates the shared library wdmlab_<subsystem> with the alias wdmlab::<subsystem>.
function(wdmlab_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;LIBS" ${ARGN})
  set(target wdmlab_${name})
  add_library(${target} SHARED ${ARG_SOURCES})
  add_library(wdmlab::${name} ALIAS ${target})
  wdmlab_lab_code(${target})
  # Nothing interposes the lab's own symbols, so a library's calls to functions of the same
  # source file may be inlined or bound directly (scheduling points run on every kernel call).
  target_compile_options(${target} PRIVATE -fno-semantic-interposition)
  target_include_directories(${target} PUBLIC
    ${PROJECT_SOURCE_DIR}/include
    ${PROJECT_SOURCE_DIR}/src)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${target} PUBLIC wdmlab::${dep})
  endforeach()
  if(ARG_LIBS)
    target_link_libraries(${target} PRIVATE ${ARG_LIBS})
  endif()
  set_property(GLOBAL APPEND PROPERTY WDMLAB_SUBSYSTEMS ${target})
endfunction()

# wdmlab_driver_images(<target> <driver>...)
# Gives <target> each driver image's path as the macro <DRIVER>_IMAGE (the driver's target name in
# upper case) and builds the images before it.
function(wdmlab_driver_images target)
  add_dependencies(${target} ${ARGN})
  foreach(driver IN LISTS ARGN)
    string(TOUPPER ${driver} macro)
    target_compile_definitions(${target} PRIVATE ${macro}_IMAGE="$<TARGET_FILE:${driver}>")
  endforeach()
endfunction()

# wdmlab_test(<name> SOURCES ... LIBS ... [LABELS ...])
# A GoogleTest executable whose cases are registered with CTest one by one.
function(wdmlab_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  wdmlab_lab_code(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  set(labels ${ARG_LABELS})
  if(NOT labels)
    set(labels unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${labels}")
endfunction()
