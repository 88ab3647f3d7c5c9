// The C driver tests/ex/drivers/ex_sample.c: pool, a lookaside list, a fast mutex and an ERESOURCE
// used from real driver code, on two processors, under several seeds; unloading leaves nothing.
#include "ex_support.hpp"

extern "C" {
DRIVER_INITIALIZE ex_sample_DriverEntry;
extern ULONG ex_sample_inserted;
extern ULONG ex_sample_lookups;
extern ULONG ex_sample_hits;
extern ULONG ex_sample_freed_at_unload;
}

namespace wdmlab {
namespace {

using ex_test::pool_books;

TEST(ExSampleDriver, RecordsAreInsertedAndFoundAndUnloadFreesEverything) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    Lab lab({.processors = 2, .seed = seed});
    LoadedDriver& driver = lab.load_driver(ex_sample_DriverEntry, "ex_sample");
    ASSERT_EQ(driver.entry_status, STATUS_SUCCESS) << "seed " << seed;
    ASSERT_TRUE(lab.findings().empty()) << lab.findings()[0].to_text();
    EXPECT_EQ(ex_sample_inserted, 50u) << "seed " << seed;
    EXPECT_EQ(ex_sample_lookups, 50u) << "seed " << seed;
    EXPECT_EQ(ex_sample_hits, 50u) << "seed " << seed;

    // The state block and the 50 records are live, charged to the driver.
    const ex::PoolUsage loaded = pool_books().by_driver_name("ex_sample");
    EXPECT_EQ(loaded.current_count, 51u);
    EXPECT_EQ(pool_books().by_tag('pmSx').current_count, 51u);
    ex::Executive& executive = ex::Executive::require();
    ASSERT_FALSE(pool_books().outstanding_by_driver_name("ex_sample").empty());
    const base::DriverIdentity* identity = pool_books().outstanding_by_driver_name("ex_sample")[0]->driver;
    EXPECT_EQ(executive.lookaside_lists().owned_by(identity).size(), 1u);
    EXPECT_EQ(executive.resources().owned_by(identity).size(), 1u);

    lab.unload_driver(driver);
    EXPECT_TRUE(lab.findings().empty());
    EXPECT_EQ(ex_sample_freed_at_unload, 50u);
    const ex::PoolUsage unloaded = pool_books().by_driver_name("ex_sample");
    EXPECT_EQ(unloaded.current_count, 0u) << "seed " << seed;
    EXPECT_EQ(unloaded.current_bytes, 0u);
    EXPECT_EQ(unloaded.allocations, unloaded.frees);
    EXPECT_TRUE(pool_books().outstanding_by_driver_name("ex_sample").empty());
    EXPECT_TRUE(executive.lookaside_lists().owned_by(identity).empty());
    EXPECT_TRUE(executive.resources().owned_by(identity).empty());
  }
}

}  // namespace
}  // namespace wdmlab
