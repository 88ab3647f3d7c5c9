// RemoveEntryList checks the links of the entry it removes: a corrupted LIST_ENTRY is a fail-fast,
// bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE with parameter 1 = 3 (FAST_FAIL_CORRUPT_LIST_ENTRY).
#include <gtest/gtest.h>

#include "ke/drivers/ke_test_driver.h"
#include "support/lab_test.hpp"

namespace wdmlab::test {
namespace {

TEST(RemoveEntryList, OfACorruptedEntryIsBugCheck139) {
  const Finding finding = bug_check_of([] { KtdRemoveCorruptEntry(); });
  EXPECT_EQ(finding.code, KERNEL_SECURITY_CHECK_FAILURE);
  EXPECT_EQ(finding.parameters[0], static_cast<std::uint64_t>(FAST_FAIL_CORRUPT_LIST_ENTRY));
}

TEST(RemoveEntryList, OfAnIntactEntryUnlinksIt) {
  bool empty_after = false;
  BOOLEAN emptied = FALSE;
  runs_clean([&] {
    LIST_ENTRY head, entry;
    InitializeListHead(&head);
    InsertTailList(&head, &entry);
    emptied = RemoveEntryList(&entry);
    empty_after = IsListEmpty(&head) != FALSE;
  });
  EXPECT_TRUE(emptied);
  EXPECT_TRUE(empty_after);
}

}  // namespace
}  // namespace wdmlab::test
