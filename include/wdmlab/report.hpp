// wdmlab/report.hpp - findings as files other tools read: JSON, and SARIF 2.1.0 for code-scanning
// front ends (GitHub code scanning, the SARIF viewers of editors).
//
//   wdmlab::RunInfo run{.command = "wdmlab run null_deref --seed 7", .source_root = "/src/driver"};
//   std::ofstream("findings.sarif") << wdmlab::to_sarif(lab.findings(), run);
//
// Both are pure functions of the findings (Finding::to_text is the text form). SARIF results are
// located at the culprit frame (the first frame of driver code) relative to `source_root` under
// the uriBaseId "SRCROOT"; the stack is a code flow; partialFingerprints carry the failure bucket
// so a front end recognises the same bug in the next run and does not report it twice.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "wdmlab/finding.hpp"

namespace wdmlab {

// What a report says about the run that made the findings.
struct RunInfo {
  std::string command;                 // the command line that made the run, if any
  std::filesystem::path source_root;   // SARIF locations are made relative to it; empty: absolute paths
  std::string tool_version = "0.1.0";  // the lab's version, as SARIF tool.driver.version
};

// One JSON document: {"tool", "command", "findings": [...]} with, per finding, code, name,
// parameters (hex strings) with their meanings, rule, severity, driver, description, bucket,
// failure_bucket, context (name, id, processor, IRQL, virtual time, decision, stack), involved,
// irp_history and replay. Stack frames carry module, function, offset, file, line and pc.
std::string to_json(std::span<const Finding> findings, const RunInfo& run);

// A SARIF 2.1.0 log with one run of the tool "wdmlab".
std::string to_sarif(std::span<const Finding> findings, const RunInfo& run);

// FAILURE_BUCKET_ID as !analyze forms it: "0xc4_62_VRF_<driver>!<function>"; DDI compliance
// rules "0xc4_<Rule>_XDV_VRF_<driver>!<function>"; other codes "<bucket>_<driver>!<function>".
std::string failure_bucket(const Finding& finding);

}  // namespace wdmlab
