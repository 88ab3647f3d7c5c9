// The foundation acceptance test: a small C driver (gnu17, -fshort-wchar) using role types, SAL,
// #pragma alloc_text, PAGED_CODE(), __try/__except, ntstrsafe and a spin lock runs its
// DriverEntry in the lab, and its effects are checked.
#include <gtest/gtest.h>

#include <string>

#include "wdmlab/lab.hpp"

extern "C" {
DRIVER_INITIALIZE foundation_DriverEntry;
extern ULONG foundation_counter;
extern KIRQL foundation_irql_inside_lock;
extern ULONG foundation_processors_seen;
extern NTSTATUS foundation_probe_status;
extern NTSTATUS foundation_truncation_status;
extern WCHAR foundation_message[64];
extern BOOLEAN foundation_unloaded;
extern volatile const ULONG* foundation_user_address;
}

namespace wdmlab {
namespace {

std::u16string message() { return std::u16string(foundation_message); }

TEST(FoundationDriver, DriverEntryRunsAndItsEffectsAreRight) {
  Lab lab({.processors = 2, .seed = 21});
  foundation_user_address = static_cast<const ULONG*>(lab.invalid_user_address());
  LoadedDriver& driver = lab.load_driver(foundation_DriverEntry, "foundation");
  ASSERT_EQ(driver.entry_status, STATUS_SUCCESS);
  ASSERT_TRUE(driver.loaded());

  EXPECT_EQ(foundation_counter, 2u * 25u);          // no lost update under the spin lock
  EXPECT_EQ(foundation_irql_inside_lock, DISPATCH_LEVEL);
  EXPECT_NE(foundation_processors_seen, 0u);
  EXPECT_EQ(foundation_probe_status, STATUS_ACCESS_VIOLATION);  // caught by __except
  EXPECT_EQ(message(), u"\\Driver\\foundation counted 50, probe c0000005");
  EXPECT_EQ(foundation_truncation_status, STATUS_BUFFER_OVERFLOW);
  EXPECT_TRUE(lab.log().contains("foundation: \\Driver\\foundation counted 50"));
  EXPECT_TRUE(lab.log().contains("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\foundation"));

  lab.unload_driver(driver);
  EXPECT_TRUE(foundation_unloaded);
  EXPECT_TRUE(lab.log().contains("foundation: unloaded"));
  EXPECT_TRUE(lab.findings().empty());
}

TEST(FoundationDriver, ReadingAValidUserBufferSucceeds) {
  Lab lab({.processors = 2, .seed = 2});
  auto* buffer = static_cast<ULONG*>(lab.map_user_buffer(sizeof(ULONG)));
  *buffer = 0x1234;
  foundation_user_address = buffer;
  ASSERT_EQ(lab.load_driver(foundation_DriverEntry, "foundation").entry_status, STATUS_SUCCESS);
  EXPECT_EQ(foundation_probe_status, STATUS_SUCCESS);
}

TEST(FoundationDriver, BothProcessorsDoTheWorkUnderSomeSeed) {
  bool both = false;
  for (std::uint64_t seed = 1; seed <= 20 && !both; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    foundation_user_address = static_cast<const ULONG*>(lab.invalid_user_address());
    lab.load_driver(foundation_DriverEntry, "foundation");
    EXPECT_EQ(foundation_counter, 50u) << "seed " << seed;
    both = foundation_processors_seen == 0x3;
  }
  EXPECT_TRUE(both);
}

}  // namespace
}  // namespace wdmlab
