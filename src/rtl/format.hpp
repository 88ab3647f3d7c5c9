// rtl/format.hpp - the printf engine of the kernel: DbgPrint and friends, the ntstrsafe Printf
// functions and RtlUnicodeStringPrintf.
//
// It implements Microsoft's printf, not the C library's:
//   flags - + space # 0, width and precision (digits or *), the 0 flag also pads strings;
//   sizes h hh l ll I I32 I64 z j t L w; l is 32 bits wide for integers (LONG), as on Windows;
//   %d %i %u %o %x %X %c %s %p %% and the floating-point conversions (see FormatDialect);
//   %p prints the pointer as 16 upper-case hexadecimal digits without a prefix;
//   %Z prints an ANSI_STRING, %wZ (or %lZ) a UNICODE_STRING, by their Length, so they need no
//   terminator; a NULL string pointer, or a counted string with a NULL Buffer, prints "(null)";
//   %c/%s take a character/string of the format's own width; h makes them narrow, l or w wide,
//   and %C/%S the opposite width of the format (%S is a wide string in a narrow format).
// Wide arguments are 16-bit (WCHAR): a wide character is passed as an int, a wide string as a
// const WCHAR*. Narrow and wide text are converted through the ANSI code page (rtl/charset.hpp).
// An unknown conversion prints its character (so "%y" prints "y").
//
// Threading: reentrant; uses the C library only for floating point.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <string>

namespace wdmlab::rtl {

enum class FormatDialect : std::uint8_t {
  // DbgPrint: the kernel debugger supports no floating point: %e %f %g %a consume their double
  // and print nothing; %n consumes its pointer and prints nothing.
  DebugPrint,
  // ntstrsafe: floating point is converted by the C library's snprintf; %n fails the call.
  SafeString,
};

struct FormatResult {
  std::size_t length = 0;  // characters of the complete result, even those beyond the capacity
  bool valid = true;       // false if the format used %n in the SafeString dialect; length is then 0
};

// Formats into out[0..capacity) without a terminator; out may be null when capacity is 0.
// `args` is not consumed (it is copied).
FormatResult format_narrow(char* out, std::size_t capacity, const char* format, std::va_list args,
                           FormatDialect dialect);
FormatResult format_wide(char16_t* out, std::size_t capacity, const char16_t* format, std::va_list args,
                         FormatDialect dialect);

// The complete narrow result (for DbgPrint and the lab's own messages).
std::string format_to_string(const char* format, std::va_list args, FormatDialect dialect);

}  // namespace wdmlab::rtl
