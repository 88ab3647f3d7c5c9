// The pool's books: per-driver, per-tag and total usage with current and peak figures, and each
// driver's outstanding blocks (what the unload leak check reads).
#include "ex_support.hpp"

namespace wdmlab {
namespace {

using ex_test::pool_books;
using ex_test::run_as_driver;

TEST(PoolAccounting, ChargesTheCallingDriverAndTheTag) {
  Lab lab;
  void* alpha_first = nullptr;
  void* alpha_last = nullptr;
  run_as_driver(lab, "alpha", [&] {
    alpha_first = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'ahlA');
    void* middle = ExAllocatePool2(POOL_FLAG_PAGED, 200, 'ahlA');
    alpha_last = ExAllocatePool2(POOL_FLAG_NON_PAGED, 50, 'ateB');
    ExFreePoolWithTag(middle, 'ahlA');
  });
  run_as_driver(lab, "beta", [] {
    void* block = ExAllocatePoolWithTag(NonPagedPoolNx, 1000, 'ateB');
    ExFreePoolWithTag(block, 'ateB');
  });
  ASSERT_TRUE(lab.findings().empty());

  const ex::PoolUsage alpha = pool_books().by_driver_name("alpha");
  EXPECT_EQ(alpha.allocations, 3u);
  EXPECT_EQ(alpha.frees, 1u);
  EXPECT_EQ(alpha.current_count, 2u);
  EXPECT_EQ(alpha.current_bytes, 150u);
  EXPECT_EQ(alpha.peak_count, 3u);
  EXPECT_EQ(alpha.peak_bytes, 350u);

  const ex::PoolUsage beta = pool_books().by_driver_name("beta");
  EXPECT_EQ(beta.allocations, 1u);
  EXPECT_EQ(beta.frees, 1u);
  EXPECT_EQ(beta.current_bytes, 0u);
  EXPECT_EQ(beta.peak_bytes, 1000u);

  const ex::PoolUsage tag = pool_books().by_tag('ateB');  // shared by both drivers
  EXPECT_EQ(tag.allocations, 2u);
  EXPECT_EQ(tag.current_bytes, 50u);
  EXPECT_EQ(tag.peak_bytes, 1050u);
  EXPECT_EQ(pool_books().by_tag('ahlA').peak_bytes, 300u);

  EXPECT_EQ(pool_books().total().current_count, 2u);
  EXPECT_EQ(pool_books().total().peak_bytes, 1150u);           // beta's block while alpha held 150 bytes
  EXPECT_EQ(pool_books().by_driver(nullptr).allocations, 0u);  // nothing outside the drivers

  const auto outstanding = pool_books().outstanding_by_driver_name("alpha");
  ASSERT_EQ(outstanding.size(), 2u);
  EXPECT_EQ(reinterpret_cast<void*>(outstanding[0]->address), alpha_first);  // oldest first
  EXPECT_EQ(reinterpret_cast<void*>(outstanding[1]->address), alpha_last);
  EXPECT_EQ(outstanding[0]->size, 100u);
  EXPECT_EQ(outstanding[0]->tag, static_cast<ULONG>('ahlA'));
  EXPECT_EQ(outstanding[0]->pool_type, NonPagedPoolNx);
  ASSERT_NE(outstanding[0]->driver, nullptr);
  EXPECT_EQ(outstanding[0]->driver->name, "alpha");
  EXPECT_EQ(pool_books().by_driver_and_tag(outstanding[0]->driver, 'ateB').current_bytes, 50u);
  EXPECT_FALSE(outstanding[0]->stack.empty());
  EXPECT_TRUE(pool_books().outstanding_by_driver_name("beta").empty());

  // Freed later, from outside the driver: still taken off alpha's books.
  ExFreePool(alpha_first);
  ExFreePool(alpha_last);
  EXPECT_EQ(pool_books().by_driver_name("alpha").current_count, 0u);
  EXPECT_EQ(pool_books().by_driver_name("alpha").frees, 3u);
  EXPECT_TRUE(pool_books().outstanding_by_driver_name("alpha").empty());
}

TEST(PoolAccounting, ThreadsADriverStartsAreChargedToIt) {
  Lab lab;
  static void* block = nullptr;
  run_as_driver(lab, "threaded", [] {
    HANDLE thread;
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, nullptr, OBJ_KERNEL_HANDLE, nullptr, nullptr);
    ASSERT_EQ(PsCreateSystemThread(
                  &thread, THREAD_ALL_ACCESS, &attributes, nullptr, nullptr,
                  [](PVOID) { block = ExAllocatePool2(POOL_FLAG_PAGED, 64, 'dhrT'); }, nullptr),
              STATUS_SUCCESS);
    ZwClose(thread);
  });
  ASSERT_TRUE(lab.findings().empty());
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(pool_books().by_driver_name("threaded").current_bytes, 64u);
  ExFreePool(block);
}

TEST(PoolAccounting, FailuresAreCounted) {
  Lab lab;
  run_as_driver(lab, "failing", [] {
    EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 8, 'liaF'), nullptr);
    EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolNx, SIZE_T{1} << 40, 'liaF'), nullptr);
  });
  EXPECT_EQ(pool_books().by_driver_name("failing").failures, 2u);
  EXPECT_EQ(pool_books().by_driver_name("failing").allocations, 0u);
  EXPECT_EQ(pool_books().by_tag('liaF').failures, 2u);
  EXPECT_EQ(pool_books().total().failures, 2u);
}

TEST(PoolAccounting, ANewLabStartsWithEmptyBooks) {
  {
    Lab lab;
    run_as_driver(lab, "leaky", [] { (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'kaeL'); });
    EXPECT_EQ(pool_books().total().current_count, 1u);
  }
  Lab lab;
  EXPECT_EQ(pool_books().total().allocations, 0u);
  EXPECT_EQ(pool_books().outstanding_count(), 0u);
}

TEST(PoolAccounting, StringRoutinesAllocateFromPoolChargedToTheDriver) {
  Lab lab;
  static UNICODE_STRING copy;
  run_as_driver(lab, "strings", [] {
    ASSERT_TRUE(RtlCreateUnicodeString(&copy, u"pool backed"));
    const ex::PoolAllocation* record =
        ex::Executive::require().pool().block_containing(reinterpret_cast<std::uintptr_t>(copy.Buffer));
    ASSERT_NE(record, nullptr);
    EXPECT_TRUE(record->paged());
    EXPECT_EQ(record->tag, static_cast<ULONG>('grtS'));  // "Strg"
  });
  ASSERT_TRUE(lab.findings().empty());
  EXPECT_EQ(pool_books().by_driver_name("strings").current_count, 1u);
  EXPECT_EQ(pool_books().by_tag('grtS').current_bytes, sizeof(u"pool backed"));
  RtlFreeUnicodeString(&copy);
  EXPECT_EQ(pool_books().by_tag('grtS').current_count, 0u);
}

TEST(PoolAccounting, FreeingAStringThatIsNotPoolIsVerifierC4_10) {
  Lab lab;
  lab.spawn("driver code", [] {
    static WCHAR text[] = u"not pool";
    UNICODE_STRING string;
    RtlInitUnicodeString(&string, text);
    RtlFreeUnicodeString(&string);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(ex_test::fatal(lab).code, static_cast<std::uint32_t>(DRIVER_VERIFIER_DETECTED_VIOLATION));
  EXPECT_EQ(ex_test::fatal(lab).parameters[0], 0x10u);
}

TEST(PoolAccounting, FreeingAStringThatIsNotPoolIsBadPoolCallerWhenNotVerified) {
  Lab lab({.verifier = VerifierOptions::off()});
  lab.spawn("driver code", [] {
    static WCHAR text[] = u"not pool";
    UNICODE_STRING string;
    RtlInitUnicodeString(&string, text);
    RtlFreeUnicodeString(&string);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(ex_test::fatal(lab).code, ex_test::kBadPoolCaller);
  EXPECT_EQ(ex_test::fatal(lab).parameters[0], 0x42u);
}

}  // namespace
}  // namespace wdmlab
