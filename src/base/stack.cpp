#include "base/stack.hpp"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <execinfo.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/check.hpp"

namespace wdmlab::base {

std::vector<std::uintptr_t> capture_stack(int skip, std::uintptr_t stop_at) {
  constexpr int kMaxFrames = 96;
  void* frames[kMaxFrames];
  int count = ::backtrace(frames, kMaxFrames);
  std::vector<std::uintptr_t> result;
  result.reserve(static_cast<std::size_t>(count));
  for (int i = skip + 1; i < count; ++i) {  // +1: capture_stack itself
    auto pc = reinterpret_cast<std::uintptr_t>(frames[i]);
    if (pc == 0) break;
    result.push_back(pc);
    if (stop_at != 0 && pc >= stop_at && pc < stop_at + 256) break;
  }
  return result;
}

namespace {

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return name;
  std::string result(out);
  std::free(out);
  return result;
}

std::string basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A display name for an image: "libwdmlab_ke.so" -> "wdmlab_ke", "/path/tests" -> "tests".
std::string module_display_name(std::string_view path) {
  std::string name = basename_of(path);
  if (name.rfind("lib", 0) == 0) name.erase(0, 3);
  auto so = name.find(".so");
  if (so != std::string::npos) name.erase(so);
  return name;
}

// Images that are the lab itself or the language runtime; everything else is driver-side code
// (a driver image, or the test executable that links drivers and test scenarios).
bool is_lab_module(std::string_view name) {
  static constexpr std::string_view kPrefixes[] = {"wdmlab_", "c", "stdc++", "gcc_s", "m", "boost_", "dw",
                                                    "elf", "fmt", "ld-linux", "pthread", "gtest", "gmock",
                                                    "benchmark", "unwind", "z", "lzma", "bz2", "zstd"};
  for (auto prefix : kPrefixes) {
    if (name == prefix || (prefix.back() == '_' && name.rfind(prefix, 0) == 0) ||
        (name.size() > prefix.size() && name.rfind(prefix, 0) == 0 && name[prefix.size()] == '-') ||
        (name.size() > prefix.size() && name.rfind(prefix, 0) == 0 && name[prefix.size()] == '.'))
      return true;
  }
  return false;
}

}  // namespace

struct Symbolizer::Impl {
  Dwfl_Callbacks callbacks{};
  char* debuginfo_path = nullptr;
  Dwfl* dwfl = nullptr;
  bool stale = true;

  Impl() {
    callbacks.find_elf = dwfl_linux_proc_find_elf;
    callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    callbacks.debuginfo_path = &debuginfo_path;
    dwfl = dwfl_begin(&callbacks);
    WDMLAB_CHECK(dwfl != nullptr, "dwfl_begin failed: {}", dwfl_errmsg(-1));
  }
  ~Impl() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }

  void refresh() {
    if (!stale) return;
    dwfl_report_begin(dwfl);
    int rc = dwfl_linux_proc_report(dwfl, getpid());
    WDMLAB_CHECK(rc == 0, "dwfl_linux_proc_report failed: {}", dwfl_errmsg(-1));
    dwfl_report_end(dwfl, nullptr, nullptr);
    stale = false;
  }
};

Symbolizer::Symbolizer() : impl_(std::make_unique<Impl>()) {}
Symbolizer::~Symbolizer() = default;

void Symbolizer::invalidate() {
  // Start afresh: libdw keeps its own mappings of every image file it has read, and while they
  // exist /proc/self/maps lists them next to the images; after an image is unloaded and mapped
  // again, one that lies just below the new mapping is taken for its start, with a wrong bias.
  // Ending the session unmaps them before the next refresh reads the map.
  if (impl_->dwfl != nullptr) dwfl_end(impl_->dwfl);
  impl_->dwfl = dwfl_begin(&impl_->callbacks);
  WDMLAB_CHECK(impl_->dwfl != nullptr, "dwfl_begin failed: {}", dwfl_errmsg(-1));
  impl_->stale = true;
}

StackFrame Symbolizer::symbolize_one(std::uintptr_t pc, bool exact) {
  impl_->refresh();
  StackFrame frame;
  frame.pc = pc;
  const Dwarf_Addr lookup = exact ? pc : pc - 1;
  Dwfl_Module* module = dwfl_addrmodule(impl_->dwfl, lookup);
  if (module == nullptr) {
    frame.lab = true;
    return frame;
  }
  const char* path = dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  frame.module = module_display_name(path != nullptr ? path : "");
  frame.lab = is_lab_module(frame.module);
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(module, lookup, &offset, &sym, nullptr, nullptr, nullptr);
  if (name != nullptr) {
    frame.function = demangle(name);
    frame.offset = static_cast<std::uintptr_t>(offset) + (exact ? 0 : 1);
  }
  if (Dwfl_Line* line = dwfl_module_getsrc(module, lookup); line != nullptr) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file != nullptr) {
      frame.file = file;
      frame.line = lineno;
    }
  }
  return frame;
}

std::vector<StackFrame> Symbolizer::symbolize(std::span<const std::uintptr_t> pcs, bool first_is_exact) {
  std::vector<StackFrame> frames;
  frames.reserve(pcs.size());
  for (std::size_t i = 0; i < pcs.size(); ++i) frames.push_back(symbolize_one(pcs[i], first_is_exact && i == 0));
  return frames;
}

Symbolizer& symbolizer() {
  static Symbolizer instance;
  return instance;
}

}  // namespace wdmlab::base
