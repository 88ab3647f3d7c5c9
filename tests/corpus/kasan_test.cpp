// Golden tests of the KASAN corpus (samples/buggy/kasan_*.c): driver images built with KASAN,
// loaded into labs whose verifier has the KASAN option, in a program linked with
// -fsanitize=address. Each asserts bug check 0x1F2 KASAN_ILLEGAL_ACCESS with Microsoft's
// parameters (P1 the address, through what the driver logged; P2 the size; P3 the instruction
// after the check, in the culprit function; P4 the shadow code and the write bit), and that the
// same machine replays it. Without the option, the same access is no finding.
#include "ex/kasan.hpp"

#include <gtest/gtest.h>
#include <wdm.h>

#include "corpus/corpus_test.hpp"
#include "support/lab_test.hpp"

// The runtime's defaults for this program: report and recover (the lab turns each report into a
// finding and stops the run itself), report every occurrence, leave fault signals to the lab, and
// no leak check at exit (a lab stopped by a bug check abandons what its threads held).
extern "C" const char* __asan_default_options() {
  return "halt_on_error=0:suppress_equal_pcs=0:allow_user_segv_handler=1:detect_leaks=0:symbolize=0";
}

namespace wdmlab::test {
namespace {

constexpr std::uint32_t kKasanMachine = kVerifierStandardFlags | kVerifierKasan;
constexpr std::uint64_t kWrite = 0x100;

struct KasanCase {
  std::string name;
  const char* image;
  std::string driver;
  std::string logged;            // the line prefix before the address the driver logs
  std::uint64_t offset;          // P1 - the logged address
  std::uint64_t size;            // P2
  std::uint64_t shadow_code;     // P4 bits 0-7
  std::string culprit;           // the function that made the access
  std::uint64_t write = kWrite;  // P4 bit 8
};

Outcome run_driver(const KasanCase& test, std::uint32_t verifier = kKasanMachine) {
  return play({.processors = 1, .seed = 1, .verifier_flags = verifier}, test.image, [](Lab&, UserProcess&) {});
}

class KasanCorpus : public ::testing::TestWithParam<KasanCase> {};

TEST_P(KasanCorpus, IsKasanIllegalAccessWithMicrosoftsParameters) {
  const KasanCase& test = GetParam();
  const Outcome run = run_driver(test);
  EXPECT_EQ(run.status, RunStatus::Stopped);
  const Finding& finding = run.finding();
  EXPECT_EQ(finding.code, KASAN_ILLEGAL_ACCESS) << finding.to_text();
  EXPECT_EQ(finding.name, "KASAN_ILLEGAL_ACCESS");
  EXPECT_EQ(finding.parameters[0], run.logged_address(test.logged) + test.offset) << finding.to_text();
  EXPECT_EQ(finding.parameters[1], test.size);
  EXPECT_EQ(finding.parameters[3], test.write | test.shadow_code) << finding.to_text();
  EXPECT_EQ(finding.severity, Severity::Fatal);
  EXPECT_EQ(finding.driver, test.driver);
  EXPECT_EQ(culprit_function(finding), test.culprit) << finding.to_text();
  ASSERT_FALSE(finding.context.stack.empty());
  EXPECT_EQ(finding.context.stack.front().pc, finding.parameters[2]);  // P3: where the driver made the access
  EXPECT_NE(finding.description.find("AddressSanitizer"), std::string::npos) << finding.description;

  const Outcome again = run_driver(test);
  expect_replayed(run, again);
  EXPECT_EQ(again.finding().parameters[3], finding.parameters[3]);
}

// Without KASAN (and without special pool, which catches the pool cases by itself: see
// pool_overrun and pool_use_after_free) nothing notices these accesses.
TEST_P(KasanCorpus, IsNoFindingWithoutTheKasanOption) {
  const KasanCase& test = GetParam();
  const Outcome run = run_driver(test, kVerifierStandardFlags & ~kVerifierSpecialPool);
  EXPECT_TRUE(run.findings.empty()) << run.summaries();
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, KasanCorpus,
    ::testing::Values(KasanCase{"StackOutOfBounds", KASAN_STACK_OOB_IMAGE, "kasan_stack_oob",
                                "kasan_stack_oob: checksums at ", 8, 1, 0xF3, "KasanStackFillChecksums"},
                      KasanCase{"GlobalOutOfBounds", KASAN_GLOBAL_OOB_IMAGE, "kasan_global_oob",
                                "kasan_global_oob: last sizes at ", 16, 4, 0x84, "KasanGlobalRecord"},
                      KasanCase{"PoolBlockOverrun", KASAN_HEAP_OOB_IMAGE, "kasan_heap_oob", "kasan_heap_oob: copy at ",
                                32, 1, 0x86, "KasanHeapCopyName"},
                      // Not in samples/buggy: the lab's own test of its poisoning of freed pool blocks.
                      KasanCase{"FreedPoolBlock", KASAN_POOL_FREED_IMAGE, "kasan_pool_freed",
                                "kasan_pool_freed: block at ", 0, 4, 0x87, "KasanFreedRead", 0}),
    RowName());

// AddressSanitizer's shadow codes as Windows' KASAN reports them (devtest/kasan.md).
struct ShadowRow {
  std::string name;
  std::uint8_t asan;
  std::uint8_t windows;
};

class KasanShadowCode : public ::testing::TestWithParam<ShadowRow> {};

TEST_P(KasanShadowCode, IsWindowsCode) {
  EXPECT_EQ(ex::kasan::windows_shadow_code(GetParam().asan, 0x1000), GetParam().windows);
}

INSTANTIATE_TEST_SUITE_P(Kasan, KasanShadowCode,
                         ::testing::Values(ShadowRow{"Valid", 0x00, 0x00}, ShadowRow{"Partial", 0x05, 0x05},
                                           ShadowRow{"StackLeft", 0xF1, 0xF1}, ShadowRow{"StackMid", 0xF2, 0xF2},
                                           ShadowRow{"StackRight", 0xF3, 0xF3}, ShadowRow{"AfterReturn", 0xF5, 0xF5},
                                           ShadowRow{"OutOfScope", 0xF8, 0xF8}, ShadowRow{"Global", 0xF9, 0x84},
                                           ShadowRow{"AllocaLeft", 0xCA, 0x81}, ShadowRow{"AllocaRight", 0xCB, 0x83},
                                           ShadowRow{"FreedHeap", 0xFD, 0x87}, ShadowRow{"Internal", 0xFE, 0x85}),
                         RowName());

}  // namespace
}  // namespace wdmlab::test
