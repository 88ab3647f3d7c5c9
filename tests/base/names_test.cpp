// The bug check and NTSTATUS name tables are generated from include/bugcodes.h and
// include/ntstatus.h at build time; these cases catch a header line the generator no longer
// picks up, a wrong value, or an alias shadowing the name reports should show.
#include "wdmlab/finding.hpp"

// bugcodes.h first on purpose: it must not clash with ntstatus.h over the three codes both
// define, whichever is included first.
#include <ntdef.h>
#include <bugcodes.h>
#include <ntstatus.h>

#include <gtest/gtest.h>

#include <cstdint>

namespace wdmlab {
namespace {

std::int32_t as_status(std::uint32_t value) { return static_cast<std::int32_t>(value); }

TEST(BugCheckNames, NamesDocumentedCodes) {
  EXPECT_EQ(bug_check_name(0x0000000A), "IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_EQ(bug_check_name(0x000000C4), "DRIVER_VERIFIER_DETECTED_VIOLATION");
  EXPECT_EQ(bug_check_name(0x000000D1), "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
  EXPECT_EQ(bug_check_name(0x000000E7), "INVALID_FLOATING_POINT_STATE");
  EXPECT_EQ(bug_check_name(0x00000133), "DPC_WATCHDOG_VIOLATION");
  EXPECT_EQ(bug_check_name(0x000001F2), "KASAN_ILLEGAL_ACCESS");
  EXPECT_EQ(bug_check_name(0x4000008A), "THREAD_TERMINATE_HELD_MUTEX");
  EXPECT_EQ(bug_check_name(0xC000021A), "STATUS_SYSTEM_PROCESS_TERMINATED");
  EXPECT_EQ(bug_check_name(0xDEADDEAD), "MANUALLY_INITIATED_CRASH1");
}

TEST(BugCheckNames, NamesLabCodes) {
  EXPECT_EQ(bug_check_name(0x574C0001), "WDMLAB_DEADLOCK");
  EXPECT_EQ(bug_check_name(WDMLAB_RUN_BUDGET_EXHAUSTED), "WDMLAB_RUN_BUDGET_EXHAUSTED");
}

TEST(BugCheckNames, AgreesWithHeaderMacros) {
  EXPECT_EQ(bug_check_name(DRIVER_VERIFIER_IOMANAGER_VIOLATION), "DRIVER_VERIFIER_IOMANAGER_VIOLATION");
  EXPECT_EQ(bug_check_name(KERNEL_SECURITY_CHECK_FAILURE), "KERNEL_SECURITY_CHECK_FAILURE");
  EXPECT_EQ(bug_check_name(STATUS_IMAGE_CHECKSUM_MISMATCH), "STATUS_IMAGE_CHECKSUM_MISMATCH");
}

TEST(BugCheckNames, UnknownCodeHasNoName) {
  EXPECT_EQ(bug_check_name(0x00000000), "");
  EXPECT_EQ(bug_check_name(0x00000107), "");  // a gap in the documented table
  EXPECT_EQ(bug_check_name(0x574CFFFF), "");
}

TEST(StatusNames, NamesDocumentedCodes) {
  EXPECT_EQ(status_name(as_status(0xC0000005)), "STATUS_ACCESS_VIOLATION");
  EXPECT_EQ(status_name(as_status(0x00000103)), "STATUS_PENDING");
  EXPECT_EQ(status_name(as_status(0x80000005)), "STATUS_BUFFER_OVERFLOW");
  EXPECT_EQ(status_name(as_status(0xC000000D)), "STATUS_INVALID_PARAMETER");
  EXPECT_EQ(status_name(as_status(0xC00002FF)), "STATUS_SERVER_SHUTDOWN_IN_PROGRESS");
  EXPECT_EQ(status_name(as_status(0xC0000409)), "STATUS_STACK_BUFFER_OVERRUN");
  EXPECT_EQ(status_name(as_status(0xC0000507)), "STATUS_DEVICE_HUNG");
}

TEST(StatusNames, PrimaryNameWinsOverAlias) {
  EXPECT_EQ(status_name(0x00000000), "STATUS_SUCCESS");    // not STATUS_WAIT_0
  EXPECT_EQ(status_name(0x00000080), "STATUS_ABANDONED");  // not STATUS_ABANDONED_WAIT_0
}

TEST(StatusNames, AgreesWithHeaderMacros) {
  EXPECT_EQ(status_name(STATUS_INSUFFICIENT_RESOURCES), "STATUS_INSUFFICIENT_RESOURCES");
  EXPECT_EQ(status_name(STATUS_CONNECTION_ABORTED), "STATUS_CONNECTION_ABORTED");
  EXPECT_EQ(status_name(STATUS_SYSTEM_PROCESS_TERMINATED), "STATUS_SYSTEM_PROCESS_TERMINATED");
}

TEST(StatusNames, UnknownCodeHasNoName) {
  EXPECT_EQ(status_name(as_status(0xC0000000)), "");
  EXPECT_EQ(status_name(as_status(0xE0000001)), "");  // customer bit set
}

}  // namespace
}  // namespace wdmlab
