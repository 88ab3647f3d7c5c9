// The string routines called from driver C code built with the driver flags (16-bit wchar_t,
// L"..." literals): proves the headers work for a real driver.
#include <gtest/gtest.h>

#include <dpfilter.h>

#include "base/log_sink.hpp"
#include "rtl/test_support.hpp"

extern "C" {
NTSTATUS StringDriverCopyName(PWCHAR Buffer, size_t Characters);
NTSTATUS StringDriverDescribe(PCHAR Buffer, size_t Bytes, ULONG Value);
NTSTATUS StringDriverFormatUnicode(PUNICODE_STRING Destination, ULONG Value);
NTSTATUS StringDriverAppend(PWCHAR Buffer, size_t Characters, PWCHAR* End, size_t* Remaining);
USHORT StringDriverInitLength(void);
BOOLEAN StringDriverNameMatches(PCWSTR Candidate);
ULONG StringDriverParse(PCWSTR Text);
ULONG StringDriverLog(void);
}

namespace wdmlab::rtl::test {
namespace {

TEST(StringDriver, CopiesWideLiterals) {
  WCHAR buffer[16];
  EXPECT_EQ(StringDriverCopyName(buffer, 16), STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(buffer), u"driver");
  EXPECT_EQ(StringDriverCopyName(buffer, 4), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::u16string(buffer), u"dri");
}

TEST(StringDriver, FormatsCountedAndWideArguments) {
  char buffer[128];
  EXPECT_EQ(StringDriverDescribe(buffer, sizeof(buffer), 42), STATUS_SUCCESS);
  EXPECT_STREQ(buffer, "\\Device\\StringDriver=42 wide 1122334455667788");
  EXPECT_EQ(StringDriverDescribe(buffer, 8, 42), STATUS_BUFFER_OVERFLOW);
  EXPECT_STREQ(buffer, "\\Device");
}

TEST(StringDriver, FormatsIntoAUnicodeString) {
  WCHAR storage[32];
  UNICODE_STRING string{0, sizeof(storage), storage};
  EXPECT_EQ(StringDriverFormatUnicode(&string, 7), STATUS_SUCCESS);
  EXPECT_EQ(contents(string), u"abc-7-narrow");
}

TEST(StringDriver, ExFunctionsReportTheEnd) {
  WCHAR buffer[8];
  PWCHAR end = nullptr;
  size_t remaining = 0;
  EXPECT_EQ(StringDriverAppend(buffer, 8, &end, &remaining), STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(buffer), u"abcdef");
  EXPECT_EQ(end, buffer + 6);
  EXPECT_EQ(remaining, 2u);
  EXPECT_EQ(StringDriverAppend(buffer, 5, &end, &remaining), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(std::u16string(buffer), u"ab");
  EXPECT_EQ(end, buffer + 2);
  EXPECT_EQ(remaining, 3u);
}

TEST(StringDriver, CountedStringRoutines) {
  EXPECT_EQ(StringDriverInitLength(), 10);
  EXPECT_EQ(StringDriverNameMatches(u"\\DEVICE\\stringdriver"), TRUE);
  EXPECT_EQ(StringDriverNameMatches(u"\\Device\\Other"), FALSE);
  EXPECT_EQ(StringDriverParse(u" 0x20"), 32u);
  EXPECT_EQ(StringDriverParse(u""), 0xFFFFFFFFu);
}

TEST(StringDriver, DebugOutputReachesTheLog) {
  Log log;
  base::set_current_log(&log);
  EXPECT_EQ(StringDriverLog(), static_cast<ULONG>(STATUS_SUCCESS));
  base::set_current_log(nullptr);
  ASSERT_EQ(log.records().size(), 1u);
  EXPECT_EQ(log.records()[0].text, "driver says hi here abcdef0123456789 !");
  EXPECT_EQ(log.records()[0].component, static_cast<std::uint32_t>(DPFLTR_IHVDRIVER_ID));
  EXPECT_EQ(log.records()[0].level, static_cast<std::uint32_t>(DPFLTR_ERROR_LEVEL));
}

}  // namespace
}  // namespace wdmlab::rtl::test
