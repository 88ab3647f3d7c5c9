# Building Windows drivers for the lab.
#
# wdmlab_add_driver(<name> SOURCES <file>... [OPTIMIZE <level>])
#
# Compiles driver sources the way a WDK build would accept them: C as gnu17, C++ as gnu++17, both
# with -fshort-wchar (16-bit WCHAR) and -fms-extensions, against the lab's WDK headers in include/.
# The result is a static library a test links next to the lab. So that several drivers can be
# linked into one program, the driver's DriverEntry is renamed at compile time to
# <name>_DriverEntry (the source is not changed: -DDriverEntry=<name>_DriverEntry); declare it in
# the test as `extern "C" DRIVER_INITIALIZE <name>_DriverEntry;` and pass it to
# wdmlab::Lab::load_driver. Other non-static symbols must not collide between drivers linked into
# the same program.
#
# Drivers are built at -O0 unless OPTIMIZE says otherwise: the lab implements __try/__except with
# setjmp, so, exactly as C requires for setjmp, a local variable changed inside a __try block and
# read after an exception has an indeterminate value unless it is volatile. At -O0 every local
# lives in memory and behaves as it does under MSVC.

set(WDMLAB_DRIVER_DEFINITIONS
  _WIN32 _WIN64 _AMD64_ AMD64 _M_AMD64 _M_X64 _KERNEL_MODE
  NTDDI_VERSION=0x0A00000C _WIN32_WINNT=0x0A00 WINVER=0x0A00 POOL_NX_OPTIN=1
  DBG=1)

set(WDMLAB_DRIVER_COMMON_FLAGS
  -fshort-wchar -fms-extensions -fno-strict-aliasing -fno-omit-frame-pointer -g
  -Wall -Wextra -Werror -Wno-unknown-pragmas -Wno-unused-parameter -Wno-multichar)

function(wdmlab_driver_flags target optimize)
  set_target_properties(${target} PROPERTIES
    C_STANDARD 17 C_STANDARD_REQUIRED ON C_EXTENSIONS ON
    CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS ON)
  target_compile_options(${target} PRIVATE ${WDMLAB_DRIVER_COMMON_FLAGS} ${optimize}
    $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)
  target_compile_definitions(${target} PRIVATE ${WDMLAB_DRIVER_DEFINITIONS})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include)
endfunction()

function(wdmlab_add_driver name)
  cmake_parse_arguments(ARG "" "OPTIMIZE" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "wdmlab_add_driver(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OPTIMIZE)
    set(ARG_OPTIMIZE -O0)
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  wdmlab_driver_flags(${name} ${ARG_OPTIMIZE})
  target_compile_definitions(${name} PRIVATE DriverEntry=${name}_DriverEntry)
  target_link_libraries(${name} PUBLIC wdmlab::kernel)
endfunction()
