// RtlHashUnicodeString, RtlStringFromGUID and RtlGUIDFromString.
#include <gtest/gtest.h>

#include "rtl/test_support.hpp"

namespace wdmlab::rtl::test {
namespace {

ULONG x65599(const std::u16string& text) {
  ULONG hash = 0;
  for (char16_t c : text) hash = hash * 65599 + c;
  return hash;
}

TEST(RtlHashUnicodeString, X65599) {
  UNICODE_STRING string = counted(u"AB");
  ULONG hash = 0;
  EXPECT_EQ(RtlHashUnicodeString(&string, FALSE, HASH_STRING_ALGORITHM_X65599, &hash), STATUS_SUCCESS);
  EXPECT_EQ(hash, 65u * 65599u + 66u);
  ULONG default_hash = 0;
  EXPECT_EQ(RtlHashUnicodeString(&string, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &default_hash), STATUS_SUCCESS);
  EXPECT_EQ(default_hash, hash);
  UNICODE_STRING path = counted(u"\\Registry\\Machine\\System");
  EXPECT_EQ(RtlHashUnicodeString(&path, FALSE, HASH_STRING_ALGORITHM_X65599, &hash), STATUS_SUCCESS);
  EXPECT_EQ(hash, x65599(u"\\Registry\\Machine\\System"));
}

TEST(RtlHashUnicodeString, CaseInsensitiveHashesTheUpperCase) {
  UNICODE_STRING lower = counted(u"r\u00e9seau");
  UNICODE_STRING upper = counted(u"R\u00c9SEAU");
  ULONG a = 0, b = 0, sensitive = 0;
  EXPECT_EQ(RtlHashUnicodeString(&lower, TRUE, HASH_STRING_ALGORITHM_X65599, &a), STATUS_SUCCESS);
  EXPECT_EQ(RtlHashUnicodeString(&upper, TRUE, HASH_STRING_ALGORITHM_X65599, &b), STATUS_SUCCESS);
  EXPECT_EQ(RtlHashUnicodeString(&lower, FALSE, HASH_STRING_ALGORITHM_X65599, &sensitive), STATUS_SUCCESS);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, x65599(u"R\u00c9SEAU"));
  EXPECT_NE(a, sensitive);
}

TEST(RtlHashUnicodeString, InvalidParameters) {
  UNICODE_STRING string = counted(u"a");
  ULONG hash = 0;
  EXPECT_EQ(RtlHashUnicodeString(&string, FALSE, HASH_STRING_ALGORITHM_INVALID, &hash), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlHashUnicodeString(&string, FALSE, 2, &hash), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlHashUnicodeString(nullptr, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &hash), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(RtlHashUnicodeString(&string, FALSE, HASH_STRING_ALGORITHM_DEFAULT, nullptr), STATUS_INVALID_PARAMETER);
}

const GUID kGuid = {0x12345678, 0x9ABC, 0xDEF0, {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}};

TEST(RtlStringFromGUID, FormatsUpperCaseWithBraces) {
  UNICODE_STRING string{};
  EXPECT_EQ(RtlStringFromGUID(kGuid, &string), STATUS_SUCCESS);
  EXPECT_EQ(contents(string), u"{12345678-9ABC-DEF0-0123-456789ABCDEF}");
  EXPECT_EQ(string.MaximumLength, 78);
  EXPECT_EQ(string.Buffer[38], 0);
  RtlFreeUnicodeString(&string);
  EXPECT_EQ(string.Buffer, nullptr);
}

TEST(RtlGUIDFromString, RoundTripsAndAcceptsEitherCase) {
  UNICODE_STRING text = counted(u"{12345678-9abc-DEF0-0123-456789abcdef}");
  GUID guid{};
  EXPECT_EQ(RtlGUIDFromString(&text, &guid), STATUS_SUCCESS);
  EXPECT_EQ(std::memcmp(&guid, &kGuid, sizeof(GUID)), 0);
}

TEST(RtlGUIDFromString, RejectsMalformedStrings) {
  const char16_t* cases[] = {
      u"12345678-9ABC-DEF0-0123-456789ABCDEF",     // no braces
      u"{12345678-9ABC-DEF0-0123-456789ABCDEF",    // no closing brace
      u"{12345678-9ABC-DEF0-0123-456789ABCDEF}x",  // trailing character
      u"{12345678-9ABC-DEF0-0123-456789ABCDEG}",   // not a hex digit
      u"{12345678+9ABC-DEF0-0123-456789ABCDEF}",   // wrong separator
      u"",
  };
  for (const char16_t* c : cases) {
    UNICODE_STRING text = counted(c);
    GUID guid = kGuid;
    EXPECT_EQ(RtlGUIDFromString(&text, &guid), STATUS_INVALID_PARAMETER);
  }
}

}  // namespace
}  // namespace wdmlab::rtl::test
