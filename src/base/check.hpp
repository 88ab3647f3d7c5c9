// base/check.hpp - internal assertions. A failed WDMLAB_CHECK is a lab bug: it prints the
// condition, message, file and line, and aborts, because the lab's own state can no longer be
// trusted. Misuse of the lab API by a test throws wdmlab::UsageError instead (wdmlab/errors.hpp).
#pragma once

#include <fmt/format.h>

namespace wdmlab::base {

[[noreturn]] void lab_bug(const char* file, int line, const char* condition, const std::string& message);

}  // namespace wdmlab::base

#define WDMLAB_CHECK(condition, ...)                                                             \
  do {                                                                                           \
    if (!(condition)) [[unlikely]] {                                                             \
      ::wdmlab::base::lab_bug(__FILE__, __LINE__, #condition, ::fmt::format("" __VA_ARGS__)); \
    }                                                                                            \
  } while (0)
