// RtlAnsiStringToUnicodeString, RtlUnicodeStringToAnsiString, RtlxAnsiStringToUnicodeSize,
// RtlxUnicodeStringToAnsiSize, RtlMultiByteToUnicodeN, RtlUnicodeToMultiByteN,
// RtlFreeUnicodeString, RtlFreeAnsiString, RtlCreateUnicodeString, RtlDuplicateUnicodeString, and
// the string allocator they use.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "rtl/string_allocator.hpp"
#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

// Records every block the string routines allocate and frees, standing in for the pool.
class CountingAllocator {
 public:
  CountingAllocator() {
    live().clear();
    set_string_allocator({&allocate, &release});
  }
  ~CountingAllocator() { reset_string_allocator(); }
  static std::set<void*>& live() {
    static std::set<void*> blocks;
    return blocks;
  }

 private:
  static void* allocate(std::size_t bytes) {
    void* block = std::malloc(bytes);
    live().insert(block);
    return block;
  }
  static void release(void* block) {
    EXPECT_EQ(live().erase(block), 1u) << "freed a block the string allocator did not hand out";
    std::free(block);
  }
};

TEST(RtlAnsiStringToUnicodeString, ConvertsThroughCodePage1252) {
  CountingAllocator pool;
  ANSI_STRING source{4, 5, const_cast<char*>("a\x80\xe9z")};
  UNICODE_STRING dest{};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&dest, &source, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"a\u20ac\u00e9z");
  EXPECT_EQ(dest.MaximumLength, 10);
  EXPECT_EQ(dest.Buffer[4], 0);
  EXPECT_EQ(CountingAllocator::live().count(dest.Buffer), 1u);
  RtlFreeUnicodeString(&dest);
  EXPECT_TRUE(CountingAllocator::live().empty());
  EXPECT_EQ(dest.Length, 0);
  EXPECT_EQ(dest.MaximumLength, 0);
  EXPECT_EQ(dest.Buffer, nullptr);
}

TEST(RtlAnsiStringToUnicodeString, UnassignedBytesBecomeC1Controls) {
  ANSI_STRING source{2, 2, const_cast<char*>("\x81\x9d")};
  WCHAR buffer[3];
  UNICODE_STRING dest{0, 6, buffer};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&dest, &source, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"\u0081\u009d");
}

TEST(RtlAnsiStringToUnicodeString, NeedsRoomForTheTerminator) {
  ANSI_STRING source{2, 2, const_cast<char*>("ab")};
  WCHAR buffer[3] = {u'X', u'X', u'X'};
  UNICODE_STRING dest{0, 4, buffer};
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&dest, &source, FALSE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(buffer[0], u'X');
  dest.MaximumLength = 6;
  EXPECT_EQ(RtlAnsiStringToUnicodeString(&dest, &source, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), u"ab");
  EXPECT_EQ(buffer[2], 0);
}

TEST(RtlUnicodeStringToAnsiString, UnmappableCharactersBecomeQuestionMarks) {
  CountingAllocator pool;
  UNICODE_STRING source = counted(u"a\u20ac\u4e2d");
  ANSI_STRING dest{};
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&dest, &source, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), "a\x80?");
  EXPECT_EQ(dest.MaximumLength, 4);
  EXPECT_EQ(dest.Buffer[3], '\0');
  RtlFreeAnsiString(&dest);
  EXPECT_TRUE(CountingAllocator::live().empty());
  EXPECT_EQ(dest.Buffer, nullptr);
}

TEST(RtlUnicodeStringToAnsiString, TruncatesToTheBufferAndSaysSo) {
  UNICODE_STRING source = counted(u"abc");
  char buffer[4] = {'X', 'X', 'X', 'X'};
  ANSI_STRING dest{0, 3, buffer};
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&dest, &source, FALSE), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(contents(dest), "ab");
  EXPECT_EQ(buffer[2], '\0');
  dest.MaximumLength = 4;
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&dest, &source, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(contents(dest), "abc");
  ANSI_STRING none{0, 0, buffer};
  EXPECT_EQ(RtlUnicodeStringToAnsiString(&none, &source, FALSE), STATUS_BUFFER_OVERFLOW);
}

TEST(RtlxAnsiStringToUnicodeSize, CountsTheTerminator) {
  ANSI_STRING ansi{3, 4, const_cast<char*>("abc")};
  UNICODE_STRING unicode = counted(u"abc");
  EXPECT_EQ(RtlxAnsiStringToUnicodeSize(&ansi), 8u);
  EXPECT_EQ(RtlAnsiStringToUnicodeSize(&ansi), 8u);
  EXPECT_EQ(RtlxUnicodeStringToAnsiSize(&unicode), 4u);
  EXPECT_EQ(RtlUnicodeStringToAnsiSize(&unicode), 4u);
}

TEST(RtlMultiByteToUnicodeN, ConvertsWhatFits) {
  WCHAR out[4] = {u'X', u'X', u'X', u'X'};
  ULONG written = 99;
  EXPECT_EQ(RtlMultiByteToUnicodeN(out, 6, &written, "ab\x80z", 4), STATUS_SUCCESS);
  EXPECT_EQ(written, 6u);
  EXPECT_EQ(std::u16string(out, 3), u"ab\u20ac");
  EXPECT_EQ(out[3], u'X');
  EXPECT_EQ(RtlMultiByteToUnicodeN(out, 8, nullptr, "q", 1), STATUS_SUCCESS);
  EXPECT_EQ(out[0], u'q');
}

TEST(RtlUnicodeToMultiByteN, ConvertsWhatFits) {
  char out[4] = {'X', 'X', 'X', 'X'};
  ULONG written = 99;
  EXPECT_EQ(RtlUnicodeToMultiByteN(out, 2, &written, u"a\u00e9c", 6), STATUS_SUCCESS);
  EXPECT_EQ(written, 2u);
  EXPECT_EQ(std::string(out, 2), "a\xe9");
  EXPECT_EQ(out[2], 'X');
  EXPECT_EQ(RtlUnicodeToMultiByteN(out, 4, &written, u"abc", 5), STATUS_SUCCESS);  // an odd byte is ignored
  EXPECT_EQ(written, 2u);
}

TEST(RtlCreateUnicodeString, CopiesIntoPoolWithATerminator) {
  CountingAllocator pool;
  UNICODE_STRING string{};
  EXPECT_EQ(RtlCreateUnicodeString(&string, u"copy"), TRUE);
  EXPECT_EQ(contents(string), u"copy");
  EXPECT_EQ(string.MaximumLength, 10);
  EXPECT_EQ(string.Buffer[4], 0);
  EXPECT_EQ(CountingAllocator::live().size(), 1u);
  RtlFreeUnicodeString(&string);
  EXPECT_TRUE(CountingAllocator::live().empty());
}

TEST(RtlCreateUnicodeString, FailsWhenThePoolIsExhausted) {
  set_string_allocator({[](std::size_t) -> void* { return nullptr; }, [](void*) {}});
  UNICODE_STRING string{};
  EXPECT_EQ(RtlCreateUnicodeString(&string, u"copy"), FALSE);
  reset_string_allocator();
}

TEST(RtlDuplicateUnicodeString, FlagTable) {
  CountingAllocator pool;
  constexpr ULONG kTerminate = RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE;
  constexpr ULONG kAllocateEmpty = RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING;
  UNICODE_STRING text = counted(u"dup");
  UNICODE_STRING empty{0, 0, nullptr};
  struct Case {
    const char* name;
    ULONG flags;
    const UNICODE_STRING* source;
    NTSTATUS status;
    bool allocates;
    USHORT maximum;
  };
  const Case cases[] = {
      {"plain copy", 0, &text, STATUS_SUCCESS, true, 6},
      {"terminated copy", kTerminate, &text, STATUS_SUCCESS, true, 8},
      {"empty source", kTerminate, &empty, STATUS_SUCCESS, false, 0},
      {"empty source, allocate a null string", kTerminate | kAllocateEmpty, &empty, STATUS_SUCCESS, true, 2},
      {"allocate a null string without terminating", kAllocateEmpty, &text, STATUS_INVALID_PARAMETER, false, 0},
      {"unknown flag", 4, &text, STATUS_INVALID_PARAMETER, false, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    UNICODE_STRING out{7, 7, reinterpret_cast<PWCH>(0x10)};
    EXPECT_EQ(RtlDuplicateUnicodeString(c.flags, c.source, &out), c.status);
    if (c.status != STATUS_SUCCESS) {
      EXPECT_EQ(out.Length, 7);
      continue;
    }
    EXPECT_EQ(out.Length, c.source->Length);
    EXPECT_EQ(out.MaximumLength, c.maximum);
    if (!c.allocates) {
      EXPECT_EQ(out.Buffer, nullptr);
      continue;
    }
    EXPECT_EQ(contents(out), contents(*c.source));
    if ((c.flags & kTerminate) != 0) {
      EXPECT_EQ(out.Buffer[out.Length / 2], 0);
    }
    RtlFreeUnicodeString(&out);
  }
  EXPECT_TRUE(CountingAllocator::live().empty());
  UNICODE_STRING bad{6, 4, text.Buffer};
  UNICODE_STRING out{};
  EXPECT_EQ(RtlDuplicateUnicodeString(0, &bad, &out), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlDuplicateUnicodeString(0, nullptr, &out), STATUS_INVALID_PARAMETER);
}

TEST(RtlFreeUnicodeString, AcceptsAnEmptyString) {
  CountingAllocator pool;
  UNICODE_STRING string{0, 0, nullptr};
  RtlFreeUnicodeString(&string);
  ANSI_STRING ansi{0, 0, nullptr};
  RtlFreeAnsiString(&ansi);
  EXPECT_EQ(string.Buffer, nullptr);
  EXPECT_TRUE(CountingAllocator::live().empty());
}

}  // namespace
}  // namespace wdmlab::rtl::test
