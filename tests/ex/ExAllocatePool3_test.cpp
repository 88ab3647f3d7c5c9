// ExAllocatePool3: extended parameters. A parameter that is not optional must be understood and
// satisfiable, or the allocation fails; an optional one is ignored when it is not.
#include "ex_support.hpp"

namespace wdmlab {
namespace {

POOL_EXTENDED_PARAMETER parameter(POOL_EXTENDED_PARAMETER_TYPE type, bool optional) {
  POOL_EXTENDED_PARAMETER p{};
  p.Type = type;
  p.Optional = optional ? 1 : 0;
  return p;
}

struct Case {
  POOL_EXTENDED_PARAMETER parameter;
  bool succeeds;
  const char* what;
};

std::vector<Case> cases() {
  std::vector<Case> result;
  POOL_EXTENDED_PARAMETER p = parameter(PoolExtendedParameterPriority, false);
  p.Priority = HighPoolPriority;
  result.push_back({p, true, "a priority"});
  p.Priority = LowPoolPrioritySpecialPoolUnderrun;
  result.push_back({p, true, "a special-pool priority"});
  p.Priority = static_cast<EX_POOL_PRIORITY>(7);
  result.push_back({p, false, "an invalid priority"});
  p.Optional = 1;
  result.push_back({p, true, "an invalid priority that is optional"});

  p = parameter(PoolExtendedParameterNumaNode, false);
  p.PreferredNode = 0;
  result.push_back({p, true, "NUMA node 0 (the lab has one node)"});
  p.PreferredNode = 1;
  result.push_back({p, false, "a NUMA node that does not exist"});
  p.PreferredNode = 1 | MM_ANY_NODE_OK;
  result.push_back({p, true, "another node, any node acceptable"});

  POOL_EXTENDED_PARAMS_SECURE_POOL secure{};
  p = parameter(PoolExtendedParameterSecurePool, false);
  p.SecurePoolParams = &secure;
  result.push_back({p, false, "a secure pool (not supported)"});
  p.Optional = 1;
  result.push_back({p, true, "a secure pool, optional"});

  result.push_back({parameter(PoolExtendedParameterInvalidType, false), false, "the invalid type"});
  result.push_back({parameter(static_cast<POOL_EXTENDED_PARAMETER_TYPE>(9), false), false, "an unknown type"});
  result.push_back({parameter(static_cast<POOL_EXTENDED_PARAMETER_TYPE>(9), true), true, "an unknown type, optional"});
  p = parameter(PoolExtendedParameterPriority, false);
  p.Priority = NormalPoolPriority;
  p.Reserved = 1;
  result.push_back({p, false, "reserved bits set"});
  return result;
}

TEST(ExAllocatePool3, ExtendedParametersTable) {
  Lab lab;
  lab.spawn("allocator", [] {
    for (const Case& c : cases()) {
      void* block = ExAllocatePool3(POOL_FLAG_NON_PAGED, 40, 'ltxE', &c.parameter, 1);
      EXPECT_EQ(block != nullptr, c.succeeds) << c.what;
      if (block != nullptr) ExFreePoolWithTag(block, 'ltxE');
    }
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool3, NoParametersBehavesLikeExAllocatePool2) {
  Lab lab;
  lab.spawn("allocator", [] {
    auto* block = static_cast<unsigned char*>(ExAllocatePool3(POOL_FLAG_PAGED, 16, 'ltxE', nullptr, 0));
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(block[0], 0);  // zeroed by default
    ExFreePoolWithTag(block, 'ltxE');
    EXPECT_EQ(ExAllocatePool3(POOL_FLAG_PAGED, 16, 0, nullptr, 0), nullptr);  // tag 0
    EXPECT_EQ(ExAllocatePool3(0, 16, 'ltxE', nullptr, 0), nullptr);           // no pool type
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool3, ACountWithoutAnArrayFails) {
  Lab lab;
  lab.spawn("allocator", [] { EXPECT_EQ(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, 'ltxE', nullptr, 2), nullptr); });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Idle);
  EXPECT_TRUE(lab.findings().empty());
}

TEST(ExAllocatePool3, InvalidParametersRaiseWhenAsked) {
  Lab lab;
  lab.spawn("allocator", [] {
    const POOL_EXTENDED_PARAMETER bad = parameter(PoolExtendedParameterInvalidType, false);
    (void)ExAllocatePool3(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 'ltxE', &bad, 1);
  });
  EXPECT_EQ(lab.run_until_idle(), RunStatus::Stopped);
  EXPECT_EQ(ex_test::fatal(lab).code, ex_test::kSystemThreadExceptionNotHandled);
  EXPECT_EQ(ex_test::fatal(lab).parameters[0], static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES));
}

}  // namespace
}  // namespace wdmlab
