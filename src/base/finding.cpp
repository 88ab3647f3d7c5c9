#include "wdmlab/finding.hpp"

#include <fmt/format.h>

#include <string_view>
#include <unordered_map>

namespace wdmlab {

namespace {

struct NamedValue {
  std::uint32_t value;
  const char* name;
};

// Generated at build time from include/bugcodes.h and include/ntstatus.h.
constexpr NamedValue kBugCheckNames[] = {
#include "bugcheck_names.inc"
};
constexpr NamedValue kStatusNames[] = {
#include "status_names.inc"
};

template <std::size_t N>
std::unordered_map<std::uint32_t, const char*> index(const NamedValue (&table)[N]) {
  std::unordered_map<std::uint32_t, const char*> map;
  for (const auto& entry : table) map.emplace(entry.value, entry.name);  // first name wins
  return map;
}

std::string frame_list(const std::vector<StackFrame>& stack, std::string_view indent) {
  std::string out;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    out += fmt::format("{}{:02} {}\n", indent, i, stack[i].to_string());
  }
  return out;
}

}  // namespace

std::string bug_check_name(std::uint32_t code) {
  static const auto names = index(kBugCheckNames);
  auto it = names.find(code);
  return it == names.end() ? std::string() : std::string(it->second);
}

std::string status_name(std::int32_t status) {
  static const auto names = index(kStatusNames);
  auto it = names.find(static_cast<std::uint32_t>(status));
  return it == names.end() ? std::string() : std::string(it->second);
}

std::string StackFrame::to_string() const {
  std::string where;
  if (!function.empty()) {
    where = fmt::format("{}!{}+0x{:x}", module.empty() ? "?" : module, function, offset);
  } else {
    where = fmt::format("{}!0x{:x}", module.empty() ? "?" : module, pc);
  }
  if (!file.empty()) where += fmt::format(" [{}:{}]", file, line);
  return where;
}

std::string Finding::bucket() const {
  // Codes whose first parameter is a subcode bucket by it, as !analyze does (0xc4_62).
  switch (code) {
    case 0xC4:
    case 0xC9:
    case 0xC1:
    case 0xC2:
    case 0xE6:
    case 0x133:
    case 0x139:
    case 0x7F:
      return fmt::format("0x{:X}_{:X}", code, parameters[0]);
    default:
      return fmt::format("0x{:X}", code);
  }
}

const StackFrame* Finding::culprit_frame() const {
  for (const auto& frame : context.stack) {
    if (!frame.lab) return &frame;
  }
  return nullptr;
}

std::string Finding::summary() const {
  std::string where;
  if (const StackFrame* culprit = culprit_frame(); culprit != nullptr && !culprit->function.empty()) {
    where = fmt::format(" in {}!{}", culprit->module, culprit->function);
  } else if (!driver.empty()) {
    where = fmt::format(" in {}", driver);
  }
  return fmt::format("0x{:08X} {} (0x{:X}, 0x{:X}, 0x{:X}, 0x{:X}){}{}", code, name.empty() ? "?" : name,
                     parameters[0], parameters[1], parameters[2], parameters[3], rule.empty() ? "" : " rule " + rule,
                     where);
}

std::string Finding::to_text() const {
  std::string out;
  const char* severity_text = severity == Severity::Fatal ? "fatal" : severity == Severity::NonFatal ? "non-fatal"
                                                                                                      : "warning";
  out += fmt::format("{} ({:x})  [{}]\n", name.empty() ? "UNKNOWN_BUG_CHECK" : name, code, severity_text);
  if (!description.empty()) out += description + "\n";
  out += "Arguments:\n";
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    out += fmt::format("Arg{}: {:016x}\n", i + 1, parameters[i]);
  }
  out += "\n";
  if (!rule.empty()) out += fmt::format("RULE_NAME:  {}\n", rule);
  out += fmt::format("BUGCHECK_STR:  {}\n", bucket());
  if (!driver.empty()) out += fmt::format("DRIVER:  {}\n", driver);
  if (const StackFrame* culprit = culprit_frame(); culprit != nullptr) {
    out += fmt::format("FAULTING_FRAME:  {}\n", culprit->to_string());
  }
  out += fmt::format("CONTEXT:  {} (id {}), processor {}, IRQL {}\n", context.name, context.id,
                     context.processor, context.irql);
  out += fmt::format("VIRTUAL_TIME:  {} x 100ns, after {} scheduling decisions\n", virtual_time, decision);
  if (!context.stack.empty()) {
    out += "\nSTACK_TEXT:\n";
    out += frame_list(context.stack, "  ");
  }
  for (const auto& other : involved) {
    out += fmt::format("\nCONTEXT {} (id {}), processor {}, IRQL {}", other.name, other.id, other.processor,
                       other.irql);
    if (!other.waiting_on.empty()) out += fmt::format(", waiting on {}", other.waiting_on);
    out += "\n";
    out += frame_list(other.stack, "  ");
  }
  return out;
}

}  // namespace wdmlab
