#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

#include "wdmlab/errors.hpp"
#include "wdmlab/verifier.hpp"

namespace wdmlab {

namespace {

struct NamedFlag {
  std::string_view name;
  std::uint32_t value;
  std::string_view description;
};

constexpr NamedFlag kNamedFlags[] = {
    {"standard", kVerifierStandardFlags, "the standard set"},
    {"special", kVerifierSpecialPool, "special pool"},
    {"irql", kVerifierForceIrqlChecking, "force IRQL checking"},
    {"lowres", kVerifierLowResources, "randomized low resources simulation"},
    {"pooltrack", kVerifierPoolTracking, "pool tracking"},
    {"iov", kVerifierIoVerification, "I/O verification"},
    {"deadlock", kVerifierDeadlockDetection, "deadlock detection"},
    {"enhancediov", kVerifierEnhancedIoVerification, "enhanced I/O verification"},
    {"dma", kVerifierDmaVerification, "DMA verification"},
    {"security", kVerifierSecurityChecks, "security checks"},
    {"forcepending", kVerifierForcePendingIo, "force pending I/O requests"},
    {"irplog", kVerifierIrpLogging, "IRP logging"},
    {"misc", kVerifierMiscellaneousChecks, "miscellaneous checks"},
    {"ddi", kVerifierDdiCompliance, "DDI compliance checking"},
    {"systematic", kVerifierSystematicLowResources, "systematic low resources simulation"},
    {"kasan", kVerifierKasan, "AddressSanitizer findings (KASAN)"},
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::uint32_t parse_part(std::string_view part, const std::string& whole) {
  const std::string name = lower(part);
  for (const NamedFlag& flag : kNamedFlags) {
    if (name == flag.name) return flag.value;
  }
  std::string_view digits = name;
  int base = 10;
  if (digits.starts_with("0x")) {
    digits.remove_prefix(2);
    base = 16;
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value > 0xFFFFFFFFULL) {
    std::string names;
    for (const NamedFlag& flag : kNamedFlags) names += fmt::format("{}{}", names.empty() ? "" : ", ", flag.name);
    throw UsageError(fmt::format("'{}' in verifier flags '{}' is neither a number nor one of: {}", part, whole, names));
  }
  const auto flags = static_cast<std::uint32_t>(value);
  if ((flags & ~kVerifierKnownFlags) != 0) {
    throw UsageError(fmt::format("verifier flags '{}' include bits the lab does not know (0x{:X}); known: 0x{:X}", whole,
                                 flags & ~kVerifierKnownFlags, kVerifierKnownFlags));
  }
  return flags;
}

}  // namespace

std::uint32_t parse_verifier_flags(const std::string& text) {
  std::uint32_t flags = 0;
  std::string_view rest = text;
  if (rest.empty()) throw UsageError("empty verifier flags; give a number such as 0x209BB or 'standard'");
  while (true) {
    const std::size_t cut = rest.find_first_of("|,+");
    std::string_view part = rest.substr(0, cut);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    flags |= parse_part(part, text);
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 1);
  }
  return flags;
}

std::string describe_verifier_flags(std::uint32_t flags) {
  std::string names;
  for (const NamedFlag& flag : kNamedFlags) {
    if (flag.value == kVerifierStandardFlags || (flags & flag.value) == 0) continue;
    names += fmt::format("{}{}", names.empty() ? "" : ", ", flag.description);
  }
  return fmt::format("0x{:X} ({})", flags, names.empty() ? "not verified" : names);
}

}  // namespace wdmlab
