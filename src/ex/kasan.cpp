#include "ex/kasan.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <wdm.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "base/stack.hpp"
#include "ex/executive.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

// The AddressSanitizer runtime's interface (sanitizer/asan_interface.h), weak: null without it.
extern "C" {
__attribute__((weak)) void __asan_poison_memory_region(const volatile void* address, std::size_t size);
__attribute__((weak)) void __asan_unpoison_memory_region(const volatile void* address, std::size_t size);
__attribute__((weak)) void* __asan_region_is_poisoned(void* begin, std::size_t size);
__attribute__((weak)) void __asan_get_shadow_mapping(std::size_t* scale, std::size_t* offset);
__attribute__((weak)) void __asan_set_error_report_callback(void (*callback)(const char*));
__attribute__((weak)) void __asan_report_error(void* pc, void* bp, void* sp, void* address, int is_write,
                                               std::size_t size);
__attribute__((weak)) int __asan_report_present();
__attribute__((weak)) void* __asan_get_report_address();
__attribute__((weak)) int __asan_get_report_access_type();
__attribute__((weak)) std::size_t __asan_get_report_access_size();
__attribute__((weak)) void* __asan_get_report_pc();
}

namespace wdmlab::ex::kasan {

namespace {

// What the runtime said about the last report, read by the report callback while it is valid
// (the runtime clears it when the callback returns).
struct RuntimeReport {
  bool seen = false;
  std::uintptr_t address = 0;
  std::size_t size = 0;
  bool write = false;
  std::uintptr_t pc = 0;
  std::string summary;  // "AddressSanitizer: stack-buffer-overflow ... in Function"
};
RuntimeReport g_report;

void on_runtime_report(const char* text) {
  g_report.seen = true;
  if (__asan_report_present != nullptr && __asan_report_present() != 0) {
    g_report.address = reinterpret_cast<std::uintptr_t>(__asan_get_report_address());
    g_report.size = __asan_get_report_access_size();
    g_report.write = __asan_get_report_access_type() != 0;
    g_report.pc = reinterpret_cast<std::uintptr_t>(__asan_get_report_pc());
  }
  // The kind of error from the summary line, and where the address lies from the line that says
  // so. The runtime's symbolized locations are left out: its module list does not follow an
  // image unloaded and another mapped at the same address, and the finding has its own stack.
  const std::string_view full = text != nullptr ? text : "";
  auto line_after = [&](std::string_view marker) {
    const std::size_t at = full.find(marker);
    if (at == std::string_view::npos) return std::string_view();
    const std::size_t start = at + marker.size();
    return full.substr(start, full.find('\n', start) - start);
  };
  const std::string_view summary = line_after("SUMMARY: AddressSanitizer: ");
  g_report.summary = "AddressSanitizer: " + std::string(summary.substr(0, summary.find(' ')));
  if (const std::string_view where = line_after(" is located "); !where.empty()) {
    g_report.summary += fmt::format(": the address is located {}", where.substr(0, where.find(" defined in")));
  }
}

// halt_on_error as the runtime will read it: its default, then the program's defaults
// (__asan_default_options), then ASAN_OPTIONS; the last setting wins.
bool runtime_halts_on_error() {
  std::string options;
  using DefaultOptions = const char* (*)();
  if (auto defaults = reinterpret_cast<DefaultOptions>(::dlsym(RTLD_DEFAULT, "__asan_default_options"))) {
    if (const char* text = defaults(); text != nullptr) options += text;
  }
  if (const char* environment = std::getenv("ASAN_OPTIONS")) options += std::string(":") + environment;
  bool halts = true;
  constexpr std::string_view kFlag = "halt_on_error=";
  for (std::size_t at = options.find(kFlag); at != std::string::npos; at = options.find(kFlag, at + 1)) {
    if (at != 0 && options[at - 1] != ':' && options[at - 1] != ' ' && options[at - 1] != ',') continue;
    const char value = at + kFlag.size() < options.size() ? options[at + kFlag.size()] : '1';
    halts = !(value == '0' || value == 'f');
  }
  return halts;
}

std::uint8_t shadow_of(std::uintptr_t address) {
  if (__asan_get_shadow_mapping == nullptr) return 0;
  std::size_t scale = 0, offset = 0;
  __asan_get_shadow_mapping(&scale, &offset);
  return *reinterpret_cast<const volatile std::uint8_t*>((address >> scale) + offset);
}

// AddressSanitizer's shadow codes (asan_internal.h) the mapping needs.
constexpr std::uint8_t kAsanHeapRedzone = 0xFA;
constexpr std::uint8_t kAsanFreedHeap = 0xFD;
constexpr std::uint8_t kAsanUserPoisoned = 0xF7;
constexpr std::uint8_t kAsanGlobalRedzone = 0xF9;
constexpr std::uint8_t kAsanAllocaLeftRedzone = 0xCA;
constexpr std::uint8_t kAsanAllocaRightRedzone = 0xCB;

// Windows' KASAN shadow codes (devtest/kasan.md).
constexpr std::uint8_t kAllocaLeftRedzone = 0x81;
constexpr std::uint8_t kAllocaRightRedzone = 0x83;
constexpr std::uint8_t kGlobalRedzone = 0x84;
constexpr std::uint8_t kGenericRedzone = 0x85;
constexpr std::uint8_t kPoolRightRedzone = 0x86;
constexpr std::uint8_t kFreedMemory = 0x87;
constexpr std::uint8_t kPoolLeftRedzone = 0x8D;

// How far past a pool block a heap redzone still counts as that block's right redzone.
constexpr std::uintptr_t kRedzoneReach = 64;

bool kasan_for(const base::DriverIdentity* driver) { return (verifier::flags_of(driver) & kVerifierKasan) != 0; }

}  // namespace

bool runtime_present() { return __asan_poison_memory_region != nullptr && __asan_report_error != nullptr; }

void on_pool_allocate(void* block, std::size_t size, std::size_t reserved, const base::DriverIdentity* driver) {
  if (__asan_poison_memory_region == nullptr || !kasan_for(driver)) return;
  __asan_unpoison_memory_region(block, size);
  if (reserved > size) __asan_poison_memory_region(static_cast<char*>(block) + size, reserved - size);
}

void on_pool_free(void* block, std::size_t reserved, const base::DriverIdentity* driver) {
  if (__asan_poison_memory_region == nullptr || !kasan_for(driver)) return;
  __asan_poison_memory_region(block, reserved);
}

std::uint8_t windows_shadow_code(std::uint8_t shadow, std::uintptr_t address) {
  if (shadow < 0x80 || (shadow >= 0xF1 && shadow <= 0xF8 && shadow != kAsanUserPoisoned)) return shadow;
  switch (shadow) {
    case kAsanGlobalRedzone:
      return kGlobalRedzone;
    case kAsanAllocaLeftRedzone:
      return kAllocaLeftRedzone;
    case kAsanAllocaRightRedzone:
      return kAllocaRightRedzone;
    case kAsanFreedHeap:
      return kFreedMemory;
    case kAsanHeapRedzone:
    case kAsanUserPoisoned:
      break;
    default:
      return kGenericRedzone;
  }
  // A heap redzone or a region the pool poisoned: place it against the pool's blocks.
  Executive* executive = Executive::current();
  if (executive == nullptr) return kGenericRedzone;
  const Pool& pool = executive->pool();
  const Pool::Lookup freed = pool.find(reinterpret_cast<const void*>(address));
  if (freed.found == Pool::Found::Freed) return kFreedMemory;
  for (std::uintptr_t back = 0; back <= kRedzoneReach && back <= address; back += 8) {
    const Pool::Lookup before = pool.find(reinterpret_cast<const void*>(address - back));
    if (before.found == Pool::Found::Freed) return kFreedMemory;
    if (const PoolAllocation* block = pool.block_containing(address - back)) {
      return address >= block->address + block->size ? kPoolRightRedzone : kGenericRedzone;
    }
  }
  if (const PoolAllocation* next = pool.block_containing(address + kRedzoneReach);
      next != nullptr && next->address > address) {
    return kPoolLeftRedzone;
  }
  // The pool poisons only the tails of live blocks and the blocks it has freed.
  return shadow == kAsanUserPoisoned ? kFreedMemory : kGenericRedzone;
}

}  // namespace wdmlab::ex::kasan

extern "C" void wdmlab_kasan_report(std::uintptr_t address, std::size_t size, int is_write, std::uintptr_t pc,
                                    std::uintptr_t frame) {
  using namespace wdmlab;
  using namespace wdmlab::ex::kasan;
  sched::Scheduler* scheduler = sched::Scheduler::current();
  // Driver code called on the host, or by a driver the KASAN option does not cover: no finding,
  // and the access goes on, as on a machine without KASAN.
  if (scheduler == nullptr || scheduler->running() == nullptr || !verifier::active(kVerifierKasan)) return;
  // The shadow is read before the runtime reports: a recovering runtime leaves it as it was.
  std::uintptr_t first_bad = address;
  if (__asan_region_is_poisoned != nullptr) {
    if (void* bad = __asan_region_is_poisoned(reinterpret_cast<void*>(address), size > 0 ? size : 1)) {
      first_bad = reinterpret_cast<std::uintptr_t>(bad);
    }
  }
  const std::uint8_t shadow = shadow_of(first_bad);
  g_report = RuntimeReport{};
  // The runtime describes a global's redzone from its list of every global ever registered, which
  // keeps the entries of images already unloaded (it never removes them) and reads their names
  // from memory that is gone. Those reports are described here instead.
  if (__asan_report_error != nullptr && shadow != kAsanGlobalRedzone && !runtime_halts_on_error()) {
    static const bool callback_set = [] {
      if (__asan_set_error_report_callback != nullptr) __asan_set_error_report_callback(on_runtime_report);
      return true;
    }();
    (void)callback_set;
    int stack_marker = 0;
    __asan_report_error(reinterpret_cast<void*>(pc), reinterpret_cast<void*>(frame), &stack_marker,
                        reinterpret_cast<void*>(address), is_write, size);
  }
  if (g_report.seen && g_report.address != 0) {
    address = g_report.address;
    size = g_report.size;
    is_write = g_report.write ? 1 : 0;
  }
  if (shadow == kAsanGlobalRedzone) {
    // The variable the redzone follows: the symbol holding the last byte before it.
    const StackFrame global = base::symbolizer().symbolize_one(first_bad - 1, true);
    const std::uintptr_t start = first_bad - 1 - global.offset;
    g_report.summary = global.function.empty()
                           ? std::string("AddressSanitizer: global-buffer-overflow")
                           : fmt::format(
                                 "AddressSanitizer: global-buffer-overflow: the address is {} bytes from the "
                                 "start of the global variable {}!{}, in the redzone after it",
                                 address - start, global.module, global.function);
  }
  const std::uint8_t code = windows_shadow_code(shadow, first_bad);
  std::string description = fmt::format("KASAN: illegal {} of {} byte(s) at {:#x} (shadow code 0x{:02X}).",
                                        is_write != 0 ? "write" : "read", size, address, code);
  if (!g_report.summary.empty()) description += " " + g_report.summary;
  verifier::violation(
      {.code = KASAN_ILLEGAL_ACCESS,
       .parameters = {address, size, pc, static_cast<std::uint64_t>(code) | (is_write != 0 ? 0x100u : 0u)},
       .description = std::move(description),
       .exact_pc = pc});
}
