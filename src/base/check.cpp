#include "base/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace wdmlab::base {

void lab_bug(const char* file, int line, const char* condition, const std::string& message) {
  std::fprintf(stderr, "wdmlab internal error at %s:%d: check '%s' failed%s%s\n", file, line, condition,
               message.empty() ? "" : ": ", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace wdmlab::base
