// Reports of findings: the !analyze-style text (Finding::to_text), the failure bucket, the
// parameter meanings, Finding::replay, and the JSON and SARIF 2.1.0 files (wdmlab/report.hpp).
// The SARIF checks are the structural requirements of the 2.1.0 specification for a log, a run,
// its rules and its results, applied to whatever the lab reports.
#include "wdmlab/report.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <wdm.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "base/finding_parameters.hpp"
#include "lab/report_json.hpp"
#include "support/lab_test.hpp"
#include "verifier/rules.hpp"
#include "wdmlab/lab.hpp"

namespace wdmlab {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A finding made by a real lab: the test thread "crasher" calls KeBugCheckEx with `code` and P1.
Finding bug_check_finding(std::uint32_t code, std::uint64_t p1, LabOptions options = {}) {
  Lab lab(std::move(options));
  lab.spawn("crasher", [code, p1] { KeBugCheckEx(code, p1, 0x22, 0x33, 0x44); });
  lab.run_until_idle();
  EXPECT_EQ(lab.findings().size(), 1u);
  return lab.findings().empty() ? Finding{} : lab.findings().front();
}

StackFrame driver_frame(std::string function, std::string file, int line) {
  return StackFrame{.pc = 0x1000,
                    .module = "mydrv.so",
                    .function = std::move(function),
                    .offset = 0x10,
                    .file = std::move(file),
                    .line = line};
}

// A finding as a driver would cause it, made by hand: a culprit frame, a related stack, an IRP
// history and a replay command.
Finding sample_finding(Severity severity = Severity::Fatal) {
  Finding finding;
  finding.code = 0xC4;
  finding.name = "DRIVER_VERIFIER_DETECTED_VIOLATION";
  finding.parameters = {0x62, 0xABC, 0, 3};
  finding.description = "The driver unloaded with 3 pool allocations.";
  finding.driver = "mydrv";
  finding.severity = severity;
  finding.context = ContextSnapshot{.name = "DriverUnload(mydrv)", .id = 7, .processor = 1, .irql = 0};
  finding.context.stack = {StackFrame{.pc = 0x2000, .module = "wdmlab_io.so", .function = "unload", .lab = true},
                           driver_frame("MyUnload", "/src/mydrv/unload.c", 42),
                           driver_frame("Helper", "/src/mydrv/helper.c", 7)};
  finding.involved = {ContextSnapshot{.name = "allocation of 0x40 bytes (tag 'Leak')",
                                      .stack = {driver_frame("MyAllocate", "/src/mydrv/pool.c", 12)}}};
  finding.irp_history = {"allocated by IoAllocateIrp", "IoCallDriver to \\Device\\My"};
  finding.replay = "wdmlab run mydrv --seed 7 --processors 2 --policy random --verifier 0x209BB";
  finding.virtual_time = 1234;
  finding.decision = 56;
  return finding;
}

TEST(FindingText, HasEveryPartOfAnAnalyzeReport) {
  const std::string text = sample_finding().to_text();
  for (const char* part : {"DRIVER_VERIFIER_DETECTED_VIOLATION (c4)",
                           "Arg1: 0000000000000062, subcode",
                           "Arg2: 0000000000000abc, name of the driver",
                           "BUGCHECK_CODE:  c4",
                           "BUGCHECK_P1: 62",
                           "BUGCHECK_STR:  0xc4_62",
                           "DRIVER:  mydrv",
                           "MODULE_NAME:  mydrv.so",
                           "FAULTING_SOURCE_LINE:  /src/mydrv/unload.c:42",
                           "CONTEXT:  DriverUnload(mydrv) (id 7)",
                           "PROCESSOR:  1",
                           "IRQL:  0",
                           "VIRTUAL_TIME:  1234",
                           "SCHEDULING_DECISION:  56",
                           "STACK_TEXT:",
                           "01 mydrv.so!MyUnload+0x10 [/src/mydrv/unload.c:42]",
                           "RELATED:  allocation of 0x40 bytes (tag 'Leak')",
                           "00 mydrv.so!MyAllocate+0x10",
                           "IRP_HISTORY:",
                           "  IoCallDriver to \\Device\\My",
                           "FAILURE_BUCKET_ID:  0xc4_62_VRF_mydrv!MyUnload",
                           "REPLAY:  wdmlab run mydrv --seed 7"}) {
    EXPECT_THAT(text, HasSubstr(part));
  }
}

TEST(FindingText, NamesTheRuleNextToTheSubcode) {
  Finding finding = sample_finding();
  finding.parameters[0] = 0x33;
  finding.rule = "IrqlExApcLte1";
  EXPECT_THAT(finding.to_text(), HasSubstr("Arg1: 0000000000000033, subcode (IrqlExApcLte1)"));
  EXPECT_THAT(finding.to_text(), HasSubstr("RULE_NAME:  IrqlExApcLte1"));
}

struct BucketRow {
  std::string name;
  std::uint32_t code;
  std::uint64_t p1;
  std::string rule;
  bool culprit;
  std::string bucket;
};

class FailureBucket : public ::testing::TestWithParam<BucketRow> {};

TEST_P(FailureBucket, IsFormedAsAnalyzeFormsIt) {
  const BucketRow& row = GetParam();
  Finding finding = sample_finding();
  finding.code = row.code;
  finding.parameters[0] = row.p1;
  finding.rule = row.rule;
  if (!row.culprit) finding.context.stack.clear();
  EXPECT_EQ(failure_bucket(finding), row.bucket);
}

INSTANTIATE_TEST_SUITE_P(
    Reports, FailureBucket,
    ::testing::Values(BucketRow{"VerifierSubcode", 0xC4, 0x62, "", true, "0xc4_62_VRF_mydrv!MyUnload"},
                      BucketRow{"DdiRule", 0xC4, 0x20005, "IrqlExApcLte1", true,
                                "0xc4_IrqlExApcLte1_XDV_VRF_mydrv!MyUnload"},
                      BucketRow{"SdvRule", 0x574C0006, 0, "MarkingQueuedIrps", true,
                                "0x574c0006_MarkingQueuedIrps_XDV_VRF_mydrv!MyUnload"},
                      BucketRow{"IoVerification", 0xC9, 0x23E, "MarkIrpPending", true, "0xc9_23e_VRF_mydrv!MyUnload"},
                      BucketRow{"KernelStop", 0x44, 0x1234, "", true, "0x44_mydrv!MyUnload"},
                      BucketRow{"NoDriverFrame", 0x7E, 0xC0000005, "", false, "0x7e_mydrv"}),
    test::RowName());

TEST(ParameterMeanings, TheTableIsSortedAndEveryCheckHasMeanings) {
  const auto rows = base::all_parameter_meanings();
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tuple(a.code, a.keyed, a.subcode) < std::tuple(b.code, b.keyed, b.subcode);
  }));
  for (const verifier::Rule& rule : verifier::all_rules()) {
    const base::ParameterMeanings* meanings = base::parameter_meanings(rule.code, rule.subcode);
    ASSERT_NE(meanings, nullptr) << fmt::format("0x{:X}/0x{:X}", rule.code, rule.subcode);
    EXPECT_STRNE(meanings->meaning[0], "") << fmt::format("0x{:X}/0x{:X}", rule.code, rule.subcode);
    if (verifier::keyed_by_subcode(rule.code) && (rule.subcode >> 16) == 0 && rule.subcode < 0x200) {
      EXPECT_TRUE(meanings->keyed) << fmt::format("0x{:X}/0x{:X} has no row of its own", rule.code, rule.subcode);
    }
  }
}

TEST(ParameterMeanings, CoverTheKernelStopsTheLabRaises) {
  for (std::uint32_t code :
       {0x1u,   0x9u,   0xAu,        0xCu,        0x10u,       0x18u,       0x1Eu,       0x35u,       0x44u,
        0x48u,  0x50u,  0x7Eu,       0x7Fu,       0xB8u,       0xC2u,       0xC8u,       0xD1u,       0x133u,
        0x139u, 0x1F2u, 0x4000008Au, 0x574C0001u, 0x574C0002u, 0x574C0003u, 0x574C0004u, 0x574C0005u, 0x574C0006u}) {
    EXPECT_NE(base::parameter_meanings(code, 0), nullptr) << fmt::format("0x{:X}", code);
  }
  EXPECT_STREQ(base::parameter_meanings(0x1F2, 0)->meaning[3],
               "bits 0-7: KASAN shadow code of the memory; bit 8: 1 = write, 0 = read");
}

TEST(ParameterMeanings, HelpPagesAreMicrosoftsBugCheckPages) {
  EXPECT_EQ(base::bug_check_help_uri(0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"),
            "https://learn.microsoft.com/windows-hardware/drivers/debugger/"
            "bug-check-0xc4--driver-verifier-detected-violation");
  EXPECT_EQ(base::bug_check_help_uri(0x574C0001, "WDMLAB_DEADLOCK"), "");
}

TEST(FindingReplay, NamesTheSeedProcessorsPolicyAndVerifier) {
  LabOptions options{.processors = 2, .seed = 7};
  options.verifier.disabled_rules = {0xF6, 0x62};
  const Finding finding = bug_check_finding(0xC4, 0x62, std::move(options));
  EXPECT_EQ(finding.replay,
            "--seed 7 --processors 2 --policy random --verifier 0x209BB --disable-rule 0x62 --disable-rule 0xF6");
  LabOptions cooperative{.policy = make_cooperative_policy(), .verifier = VerifierOptions::off()};
  EXPECT_EQ(bug_check_finding(0x44, 1, std::move(cooperative)).replay,
            "--seed 0 --processors 1 --policy cooperative --verifier 0x0");
}

TEST(JsonReport, CarriesEveryFieldOfEachFinding) {
  const std::vector<Finding> findings = {sample_finding(), bug_check_finding(0xC9, 0x23E)};
  const json report = json::parse(to_json(findings, {.command = "wdmlab run mydrv"}));
  EXPECT_EQ(report["tool"]["name"], "wdmlab");
  EXPECT_EQ(report["command"], "wdmlab run mydrv");
  ASSERT_EQ(report["findings"].size(), findings.size());
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const json& entry = report["findings"][i];
    const Finding& finding = findings[i];
    EXPECT_EQ(entry["code"], fmt::format("0x{:X}", finding.code));
    EXPECT_EQ(entry["name"], finding.name);
    ASSERT_EQ(entry["parameters"].size(), 4u);
    for (std::size_t p = 0; p < 4; ++p) {
      EXPECT_EQ(std::stoull(entry["parameters"][p].get<std::string>(), nullptr, 16), finding.parameters[p]);
    }
    EXPECT_EQ(entry["rule"], finding.rule);
    EXPECT_EQ(entry["driver"], finding.driver);
    EXPECT_EQ(entry["description"], finding.description);
    EXPECT_EQ(entry["failure_bucket"], failure_bucket(finding));
    EXPECT_EQ(entry["replay"], finding.replay);
    EXPECT_EQ(entry["context"]["name"], finding.context.name);
    EXPECT_EQ(entry["context"]["decision"], finding.decision);
    ASSERT_EQ(entry["context"]["stack"].size(), finding.context.stack.size());
    for (std::size_t f = 0; f < finding.context.stack.size(); ++f) {
      const json& frame = entry["context"]["stack"][f];
      EXPECT_EQ(frame["module"], finding.context.stack[f].module);
      EXPECT_EQ(frame["function"], finding.context.stack[f].function);
      EXPECT_EQ(frame.contains("line"), !finding.context.stack[f].file.empty());
    }
    EXPECT_EQ(entry["involved"].size(), finding.involved.size());
    EXPECT_EQ(entry["irp_history"].size(), finding.irp_history.size());
  }
  EXPECT_EQ(report["findings"][0]["severity"], "fatal");
  EXPECT_EQ(report["findings"][0]["parameter_meanings"][1], "name of the driver");
}

// The properties SARIF 2.1.0 requires of a log, and of the run, rules and results in it.
void expect_valid_sarif(const json& log) {
  EXPECT_EQ(log["version"], "2.1.0");
  EXPECT_TRUE(log["$schema"].is_string());
  ASSERT_TRUE(log["runs"].is_array());
  ASSERT_EQ(log["runs"].size(), 1u);
  const json& run = log["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "wdmlab");
  const json& rules = run["tool"]["driver"]["rules"];
  ASSERT_TRUE(rules.is_array());
  std::set<std::string> rule_ids;
  for (const json& rule : rules) {
    ASSERT_TRUE(rule["id"].is_string());
    EXPECT_TRUE(rule_ids.insert(rule["id"].get<std::string>()).second) << "duplicate rule " << rule["id"];
    EXPECT_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
    if (rule.contains("helpUri")) {
      EXPECT_THAT(rule["helpUri"].get<std::string>(), ::testing::StartsWith("https://"));
    }
  }
  std::set<std::string> base_ids;
  if (run.contains("originalUriBaseIds")) {
    for (const auto& [id, location] : run["originalUriBaseIds"].items()) {
      base_ids.insert(id);
      EXPECT_THAT(location["uri"].get<std::string>(), ::testing::EndsWith("/"));
    }
  }
  ASSERT_TRUE(run["results"].is_array());
  for (const json& result : run["results"]) {
    EXPECT_FALSE(result["message"]["text"].get<std::string>().empty());
    ASSERT_TRUE(result["ruleId"].is_string());
    EXPECT_TRUE(rule_ids.contains(result["ruleId"].get<std::string>()));
    const std::size_t index = result["ruleIndex"].get<std::size_t>();
    ASSERT_LT(index, rules.size());
    EXPECT_EQ(rules[index]["id"], result["ruleId"]);
    const std::string level = result["level"].get<std::string>();
    EXPECT_TRUE(level == "error" || level == "warning" || level == "note" || level == "none") << level;
    auto expect_location = [&](const json& location) {
      if (!location.contains("physicalLocation")) return;
      const json& artifact = location["physicalLocation"]["artifactLocation"];
      EXPECT_FALSE(artifact["uri"].get<std::string>().empty());
      if (artifact.contains("uriBaseId")) {
        EXPECT_TRUE(base_ids.empty() || base_ids.contains(artifact["uriBaseId"].get<std::string>()));
      }
      if (location["physicalLocation"].contains("region")) {
        EXPECT_GE(location["physicalLocation"]["region"]["startLine"].get<int>(), 1);
      }
    };
    for (const json& location : result["locations"]) expect_location(location);
    for (const json& location : result.value("relatedLocations", json::array())) expect_location(location);
    for (const json& flow : result.value("codeFlows", json::array())) {
      ASSERT_FALSE(flow["threadFlows"].empty());
      for (const json& thread : flow["threadFlows"]) {
        ASSERT_FALSE(thread["locations"].empty());
        for (const json& step : thread["locations"]) expect_location(step["location"]);
      }
    }
    for (const auto& [key, value] : result["partialFingerprints"].items()) EXPECT_TRUE(value.is_string()) << key;
  }
}

// A finding read back from its JSON object is the finding written, field by field.
TEST(JsonReport, AFindingReadsBackAsWritten) {
  for (const Finding& finding : {sample_finding(Severity::NonFatal), bug_check_finding(0xC9, 0x23E)}) {
    const Finding back = lab::finding_from_json(lab::json::parse(lab::finding_json(finding).dump()));
    EXPECT_EQ(back.to_text(), finding.to_text());
    EXPECT_EQ(back.severity, finding.severity);
    EXPECT_EQ(back.parameters, finding.parameters);
    EXPECT_EQ(back.virtual_time, finding.virtual_time);
    EXPECT_EQ(back.decision, finding.decision);
    ASSERT_EQ(back.context.stack.size(), finding.context.stack.size());
    for (std::size_t i = 0; i < back.context.stack.size(); ++i) {
      EXPECT_EQ(back.context.stack[i].to_string(), finding.context.stack[i].to_string());
      EXPECT_EQ(back.context.stack[i].lab, finding.context.stack[i].lab);
    }
  }
  lab::json broken = lab::finding_json(sample_finding());
  broken["code"] = "C4";
  EXPECT_THROW(lab::finding_from_json(broken), UsageError);
  broken = lab::finding_json(sample_finding());
  broken["severity"] = "grave";
  EXPECT_THROW(lab::finding_from_json(broken), UsageError);
}

TEST(SarifReport, IsAValidSarif210Log) {
  const std::vector<Finding> findings = {sample_finding(), bug_check_finding(0xC4, 0x62),
                                         bug_check_finding(0x7E, 0xC0000005)};
  const json log = json::parse(to_sarif(findings, {.command = "wdmlab run mydrv", .source_root = "/src/mydrv"}));
  expect_valid_sarif(log);
  EXPECT_EQ(log["runs"][0]["results"].size(), findings.size());
}

TEST(SarifReport, LocatesAResultAtItsCulpritFrameRelativeToTheSourceRoot) {
  const json log = json::parse(to_sarif(std::vector<Finding>{sample_finding()}, {.source_root = "/src/mydrv"}));
  const json& run = log["runs"][0];
  EXPECT_EQ(run["originalUriBaseIds"]["SRCROOT"]["uri"], "file:///src/mydrv/");
  const json& result = run["results"][0];
  const json& physical = result["locations"][0]["physicalLocation"];
  EXPECT_EQ(physical["artifactLocation"]["uri"], "unload.c");
  EXPECT_EQ(physical["artifactLocation"]["uriBaseId"], "SRCROOT");
  EXPECT_EQ(physical["region"]["startLine"], 42);
  EXPECT_EQ(result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"], "pool.c");
  EXPECT_EQ(result["codeFlows"][0]["threadFlows"][0]["locations"].size(), 3u);
  EXPECT_EQ(result["partialFingerprints"]["failureBucketId/v1"], "0xc4_62_VRF_mydrv!MyUnload");
  EXPECT_EQ(result["ruleId"], "0xC4_62");
  EXPECT_EQ(run["tool"]["driver"]["rules"][0]["helpUri"],
            "https://learn.microsoft.com/windows-hardware/drivers/debugger/"
            "bug-check-0xc4--driver-verifier-detected-violation");
}

TEST(SarifReport, LeavesFilesOutsideTheSourceRootAbsolute) {
  const json log = json::parse(to_sarif(std::vector<Finding>{sample_finding()}, {.source_root = "/elsewhere"}));
  const json& artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
  EXPECT_EQ(artifact["uri"], "file:///src/mydrv/unload.c");
  EXPECT_FALSE(artifact.contains("uriBaseId"));
}

TEST(SarifReport, LevelFollowsSeverityAndOneRuleServesRepeatedFindings) {
  const std::vector<Finding> findings = {sample_finding(Severity::Fatal), sample_finding(Severity::NonFatal),
                                         sample_finding(Severity::Warning)};
  const json log = json::parse(to_sarif(findings, {}));
  const json& results = log["runs"][0]["results"];
  EXPECT_EQ(results[0]["level"], "error");
  EXPECT_EQ(results[1]["level"], "warning");
  EXPECT_EQ(results[2]["level"], "note");
  EXPECT_EQ(log["runs"][0]["tool"]["driver"]["rules"].size(), 1u);
  expect_valid_sarif(log);
}

TEST(SarifReport, DdiRulesLinkTheirRulePage) {
  Finding finding = sample_finding();
  finding.parameters[0] = 0x20005;
  finding.rule = "IrqlExApcLte1";
  const json log = json::parse(to_sarif(std::vector<Finding>{finding}, {}));
  EXPECT_EQ(log["runs"][0]["results"][0]["ruleId"], "IrqlExApcLte1");
  EXPECT_EQ(log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
            "https://learn.microsoft.com/windows-hardware/drivers/devtest/wdm-irqlexapclte1");
}

}  // namespace
}  // namespace wdmlab
