// DbgPrint, DbgPrintEx, vDbgPrintEx, vDbgPrintExWithPrefix, DbgQueryDebugFilterState and
// DbgSetDebugFilterState.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <dpfilter.h>

#include "base/driver_identity.hpp"
#include "base/log_sink.hpp"
#include "rtl/debug_print.hpp"
#include "rtl/test_support.hpp"
#include "sched/scheduler.hpp"

namespace wdmlab::rtl::test {
namespace {

// Installs a log for the test, as a lab does, and restores the default debug filter.
class DbgPrintTest : public ::testing::Test {
 protected:
  DbgPrintTest() {
    base::set_current_log(&log_);
    reset_debug_filter();
  }
  ~DbgPrintTest() override {
    base::set_current_log(nullptr);
    reset_debug_filter();
  }
  const LogRecord& only_record() {
    EXPECT_EQ(log_.records().size(), 1u);
    return log_.records().back();
  }

  Log log_;
};

ULONG print_with_prefix(PCCH prefix, ULONG component, ULONG level, PCCH format, ...) {
  va_list args;
  va_start(args, format);
  const ULONG status = vDbgPrintExWithPrefix(prefix, component, level, format, args);
  va_end(args);
  return status;
}

ULONG print_v(ULONG component, ULONG level, PCCH format, ...) {
  va_list args;
  va_start(args, format);
  const ULONG status = vDbgPrintEx(component, level, format, args);
  va_end(args);
  return status;
}

TEST(DbgPrintWithoutALab, SucceedsAndLogsNothing) {
  ASSERT_EQ(base::current_log(), nullptr);
  EXPECT_EQ(DbgPrint("nobody listens %d\n", 1), static_cast<ULONG>(STATUS_SUCCESS));
}

TEST_F(DbgPrintTest, DbgPrintIsTheDefaultComponentAtInfoLevel) {
  EXPECT_EQ(DbgPrint("hello %d %ws %wZ\n", 5, u"wide", static_cast<UNICODE_STRING*>(nullptr)),
            static_cast<ULONG>(STATUS_SUCCESS));
  const LogRecord& record = only_record();
  EXPECT_EQ(record.text, "hello 5 wide (null)");
  EXPECT_EQ(record.component, static_cast<std::uint32_t>(DPFLTR_DEFAULT_ID));
  EXPECT_EQ(record.level, static_cast<std::uint32_t>(DPFLTR_INFO_LEVEL));
  EXPECT_EQ(record.context, "host");
  EXPECT_EQ(record.processor, -1);
  EXPECT_EQ(record.virtual_time, 0u);
  EXPECT_EQ(record.driver, "");
}

TEST_F(DbgPrintTest, DbgPrintExRecordsComponentAndLevel) {
  EXPECT_EQ(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "failed: %08x", 0xC0000001u),
            static_cast<ULONG>(STATUS_SUCCESS));
  const LogRecord& record = only_record();
  EXPECT_EQ(record.text, "failed: c0000001");
  EXPECT_EQ(record.component, 77u);
  EXPECT_EQ(record.level, 0u);
}

TEST_F(DbgPrintTest, EveryMessageIsLoggedWhateverTheFilter) {
  ASSERT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, 7), static_cast<NTSTATUS>(FALSE));
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, 7, "filtered out for a debugger");
  EXPECT_EQ(only_record().text, "filtered out for a debugger");
}

TEST_F(DbgPrintTest, OnlyOneTrailingNewlineIsRemoved) {
  DbgPrint("two\n\n");
  DbgPrint("none");
  DbgPrint("\n");
  ASSERT_EQ(log_.records().size(), 3u);
  EXPECT_EQ(log_.records()[0].text, "two\n");
  EXPECT_EQ(log_.records()[1].text, "none");
  EXPECT_EQ(log_.records()[2].text, "");
}

TEST_F(DbgPrintTest, OneCallTransmitsAtMost512Bytes) {
  const std::string long_text(600, 'x');
  DbgPrint("%s", long_text.c_str());
  EXPECT_EQ(only_record().text, std::string(512, 'x'));
}

TEST_F(DbgPrintTest, VariantsWithAVaList) {
  EXPECT_EQ(print_v(DPFLTR_IHVBUS_ID, DPFLTR_TRACE_LEVEL, "bus %I64x", 0x1122334455667788ULL),
            static_cast<ULONG>(STATUS_SUCCESS));
  EXPECT_EQ(print_with_prefix("pfx: ", DPFLTR_IHVVIDEO_ID, DPFLTR_WARNING_LEVEL, "video %s\n", "on"),
            static_cast<ULONG>(STATUS_SUCCESS));
  ASSERT_EQ(log_.records().size(), 2u);
  EXPECT_EQ(log_.records()[0].text, "bus 1122334455667788");
  EXPECT_EQ(log_.records()[0].component, static_cast<std::uint32_t>(DPFLTR_IHVBUS_ID));
  EXPECT_EQ(log_.records()[0].level, 2u);
  EXPECT_EQ(log_.records()[1].text, "pfx: video on");
  EXPECT_EQ(log_.records()[1].component, static_cast<std::uint32_t>(DPFLTR_IHVVIDEO_ID));
}

TEST_F(DbgPrintTest, RecordsTheRunningContextUnderAScheduler) {
  sched::Scheduler scheduler({.processors = 2}, make_random_policy(5));
  base::DriverIdentity driver{"stringdrv", 1};
  std::uint64_t time_after_print = 0;
  scheduler.create_thread(
      "printer",
      [&] {
        scheduler.running()->push_driver(&driver);
        DbgPrint("from a thread");
        time_after_print = scheduler.now();
        scheduler.running()->pop_driver();
      },
      true);
  EXPECT_EQ(scheduler.run_until_idle(), sched::RunStatus::Idle);
  const LogRecord& record = only_record();
  EXPECT_EQ(record.text, "from a thread");
  EXPECT_EQ(record.context, "printer");
  EXPECT_EQ(record.driver, "stringdrv");
  EXPECT_GE(record.processor, 0);
  EXPECT_LT(record.processor, 2);
  EXPECT_EQ(record.virtual_time, time_after_print);
}

TEST_F(DbgPrintTest, FilterDefaultsToErrorLevelOnly) {
  for (ULONG component : {0u, 77u, 101u, static_cast<ULONG>(DPFLTR_ENDOFTABLE_ID) - 1}) {
    EXPECT_EQ(DbgQueryDebugFilterState(component, DPFLTR_ERROR_LEVEL), static_cast<NTSTATUS>(TRUE)) << component;
    EXPECT_EQ(DbgQueryDebugFilterState(component, DPFLTR_WARNING_LEVEL), static_cast<NTSTATUS>(FALSE)) << component;
    EXPECT_EQ(DbgQueryDebugFilterState(component, DPFLTR_INFO_LEVEL), static_cast<NTSTATUS>(FALSE)) << component;
  }
}

TEST_F(DbgPrintTest, SetAndQueryFilterState) {
  EXPECT_EQ(DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL), static_cast<NTSTATUS>(TRUE));
  // The same bit as an explicit mask; 8 alone would be bit 8.
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x8), static_cast<NTSTATUS>(TRUE));
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, 8), static_cast<NTSTATUS>(FALSE));
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVVIDEO_ID, DPFLTR_INFO_LEVEL), static_cast<NTSTATUS>(FALSE));
  EXPECT_EQ(DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL), static_cast<NTSTATUS>(FALSE));
}

TEST_F(DbgPrintTest, LevelsAbove31AreMasks) {
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, DPFLTR_MASK | 0x10), static_cast<NTSTATUS>(FALSE));
  EXPECT_EQ(DbgSetDebugFilterState(DPFLTR_IHVBUS_ID, DPFLTR_MASK | 0x10, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, 4), static_cast<NTSTATUS>(TRUE));  // bit 4 is 0x10
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, DPFLTR_MASK | 0x10), static_cast<NTSTATUS>(TRUE));
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, 31), static_cast<NTSTATUS>(TRUE));  // 0x80000000 was set too
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVBUS_ID, 0x20), static_cast<NTSTATUS>(FALSE));
}

TEST_F(DbgPrintTest, ErrorLevelCannotBeTurnedOff) {
  EXPECT_EQ(DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL), static_cast<NTSTATUS>(TRUE));
}

TEST_F(DbgPrintTest, UnknownComponentsAreRejected) {
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_ENDOFTABLE_ID, DPFLTR_ERROR_LEVEL), STATUS_INVALID_PARAMETER_1);
  EXPECT_EQ(DbgSetDebugFilterState(DPFLTR_ENDOFTABLE_ID, DPFLTR_ERROR_LEVEL, TRUE), STATUS_INVALID_PARAMETER_1);
  EXPECT_EQ(DbgSetDebugFilterState(0xFFFFFFFF, DPFLTR_ERROR_LEVEL, TRUE), STATUS_INVALID_PARAMETER_1);
}

TEST_F(DbgPrintTest, FilterStateBelongsToTheThreadsLab) {
  ASSERT_EQ(DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, TRUE), STATUS_SUCCESS);
  NTSTATUS seen_elsewhere = STATUS_PENDING;
  std::thread other([&] { seen_elsewhere = DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL); });
  other.join();
  EXPECT_EQ(seen_elsewhere, static_cast<NTSTATUS>(FALSE));
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL), static_cast<NTSTATUS>(TRUE));
  reset_debug_filter();
  EXPECT_EQ(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL), static_cast<NTSTATUS>(FALSE));
}

}  // namespace
}  // namespace wdmlab::rtl::test
