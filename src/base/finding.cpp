#include "wdmlab/finding.hpp"

#include <fmt/format.h>

#include <cctype>

#include <string_view>
#include <unordered_map>

#include "base/finding_parameters.hpp"
#include "wdmlab/report.hpp"

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

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
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
  const std::string_view severity_text = severity == Severity::Fatal      ? "fatal"
                                         : severity == Severity::NonFatal ? "non-fatal"
                                                                          : "warning";
  out += "*******************************************************************************\n";
  out += "*                            Bugcheck Analysis                                *\n";
  out += "*******************************************************************************\n\n";
  out += fmt::format("{} ({:x})  [{}]\n", name.empty() ? "UNKNOWN_BUG_CHECK" : name, code, severity_text);
  if (!description.empty()) out += description + "\n";
  out += "Arguments:\n";
  const base::ParameterMeanings* meanings = base::parameter_meanings(code, parameters[0]);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    std::string meaning = meanings != nullptr ? meanings->meaning[i] : "";
    if (i == 0 && !rule.empty() && meaning.rfind("subcode", 0) == 0) meaning += fmt::format(" ({})", rule);
    out += fmt::format("Arg{}: {:016x}{}\n", i + 1, parameters[i], meaning.empty() ? "" : ", " + meaning);
  }
  out += "\n";
  out += fmt::format("BUGCHECK_CODE:  {:x}\n", code);
  for (std::size_t i = 0; i < parameters.size(); ++i) out += fmt::format("BUGCHECK_P{}: {:x}\n", i + 1, parameters[i]);
  out += "\n";
  if (!rule.empty()) out += fmt::format("RULE_NAME:  {}\n", rule);
  out += fmt::format("BUGCHECK_STR:  {}\n", lower(bucket()));  // as !analyze prints it: 0xc4_f6
  if (!driver.empty()) out += fmt::format("DRIVER:  {}\n", driver);
  if (const StackFrame* culprit = culprit_frame(); culprit != nullptr) {
    if (!culprit->module.empty()) out += fmt::format("MODULE_NAME:  {}\n", culprit->module);
    if (!culprit->function.empty()) out += fmt::format("SYMBOL_NAME:  {}!{}+0x{:x}\n", culprit->module,
                                                       culprit->function, culprit->offset);
    if (!culprit->file.empty()) out += fmt::format("FAULTING_SOURCE_LINE:  {}:{}\n", culprit->file, culprit->line);
    out += fmt::format("FAULTING_FRAME:  {}\n", culprit->to_string());
  }
  out += fmt::format("CONTEXT:  {} (id {})\n", context.name, context.id);
  const std::string processor = context.processor < 0 ? std::string("none") : std::to_string(context.processor);
  out += fmt::format("PROCESSOR:  {}\n", processor);
  out += fmt::format("IRQL:  {}\n", context.irql);
  if (!context.waiting_on.empty()) out += fmt::format("WAITING_ON:  {}\n", context.waiting_on);
  out += fmt::format("VIRTUAL_TIME:  {} x 100ns\n", virtual_time);
  out += fmt::format("SCHEDULING_DECISION:  {}\n", decision);
  if (!context.stack.empty()) {
    out += "\nSTACK_TEXT:\n";
    out += frame_list(context.stack, "  ");
  }
  for (const auto& other : involved) {
    out += fmt::format("\nRELATED:  {}", other.name);
    if (other.id != 0) out += fmt::format(" (id {})", other.id);
    if (other.processor >= 0) out += fmt::format(", processor {}, IRQL {}", other.processor, other.irql);
    if (!other.waiting_on.empty()) out += fmt::format(", waiting on {}", other.waiting_on);
    out += "\n";
    out += frame_list(other.stack, "  ");
  }
  if (!irp_history.empty()) {
    out += "\nIRP_HISTORY:\n";
    for (const std::string& event : irp_history) out += fmt::format("  {}\n", event);
  }
  out += fmt::format("\nFAILURE_BUCKET_ID:  {}\n", failure_bucket(*this));
  if (!replay.empty()) out += fmt::format("\nREPLAY:  {}\n", replay);
  return out;
}

namespace {

// Codes that only Driver Verifier raises: !analyze marks their buckets _VRF_.
bool verifier_code(std::uint32_t code) {
  switch (code) {
    case 0xC1:
    case 0xC4:
    case 0xC9:
    case 0xCC:
    case 0xCD:
    case 0xD5:
    case 0xD6:
    case 0xE6:
      return true;
    default:
      return false;
  }
}

// A DDI compliance rule: a 0xC4 rule ID (0x0002xxxx, 0x0004xxxx) or the lab's SDV rule code.
bool ddi_rule(const Finding& finding) {
  if (finding.rule.empty()) return false;
  return (finding.code == 0xC4 && (finding.parameters[0] >> 16) != 0) || finding.code == 0x574C0006;
}

}  // namespace

std::string failure_bucket(const Finding& finding) {
  std::string where;
  if (const StackFrame* culprit = finding.culprit_frame(); culprit != nullptr && !culprit->function.empty()) {
    const std::string module = culprit->module.substr(0, culprit->module.find('.'));
    where = fmt::format("{}!{}", module.empty() ? finding.driver : module, culprit->function);
  } else {
    where = finding.driver.empty() ? std::string("unknown") : finding.driver;
  }
  if (ddi_rule(finding)) return fmt::format("0x{:x}_{}_XDV_VRF_{}", finding.code, finding.rule, where);
  return fmt::format("{}{}_{}", lower(finding.bucket()), verifier_code(finding.code) ? "_VRF" : "", where);
}

}  // namespace wdmlab
