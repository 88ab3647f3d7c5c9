// DEFINE_GUID with initguid.h: one definition, shared by every translation unit that declares it.
#include <gtest/gtest.h>

#include <cstring>

#include "wdmlab/lab.hpp"

extern "C" {
extern const GUID GUID_WDMLAB_TEST_INTERFACE;
const GUID* GuidUseAddress(void);
BOOLEAN GuidUseMatches(const GUID* other);
}

TEST(DefineGuid, OneDefinitionSharedByAllTranslationUnits) {
  EXPECT_EQ(GuidUseAddress(), &GUID_WDMLAB_TEST_INTERFACE);
  EXPECT_EQ(GUID_WDMLAB_TEST_INTERFACE.Data1, 0x6a5c1b2eu);
  EXPECT_EQ(GUID_WDMLAB_TEST_INTERFACE.Data2, 0x3d4f);
  EXPECT_EQ(GUID_WDMLAB_TEST_INTERFACE.Data4[7], 0x2d);
  GUID copy;
  std::memcpy(&copy, &GUID_WDMLAB_TEST_INTERFACE, sizeof copy);
  EXPECT_TRUE(GuidUseMatches(&copy));
  copy.Data4[0] ^= 1;
  EXPECT_FALSE(GuidUseMatches(&copy));
}
