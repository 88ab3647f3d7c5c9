// Strategies, shards and schedules as text: what the command line and a replay read back.
#include <gtest/gtest.h>

#include "wdmlab/errors.hpp"
#include "wdmlab/explore.hpp"

namespace wdmlab {
namespace {

TEST(Strategy, NamesParseBackToTheSameStrategy) {
  for (const Strategy& strategy : {random_strategy(), pct(2), pct(3, 400), bounded(0), bounded(2),
                                   portfolio({pct(2), random_strategy(), bounded(1)})}) {
    EXPECT_EQ(Strategy::parse(strategy.name()).name(), strategy.name());
  }
  EXPECT_EQ(pct(3, 400).name(), "pct(3, steps=400)");
  EXPECT_EQ(portfolio({pct(2), random_strategy()}).name(), "portfolio(pct(2), random)");
}

TEST(Strategy, AcceptsTheCommandLineShortForms) {
  EXPECT_EQ(Strategy::parse("pct:3").name(), "pct(3)");
  EXPECT_EQ(Strategy::parse("bounded:2").name(), "bounded(2)");
  EXPECT_EQ(Strategy::parse("dfs:1").name(), "bounded(1)");
  EXPECT_EQ(Strategy::parse("portfolio").name(), "portfolio(pct(2), pct(3), random)");
}

TEST(Strategy, RejectsWhatItCannotRead) {
  for (const char* text : {"", "pct", "pct(0)", "pct:x", "pct(2, depth=3)", "bounded(-1)", "bounded(65)", "chess",
                           "portfolio()", "random(3)"}) {
    EXPECT_THROW(Strategy::parse(text), UsageError) << text;
  }
}

TEST(Shard, ParsesIndexOverCount) {
  const Shard shard = Shard::parse("3/8");
  EXPECT_EQ(shard.index, 3u);
  EXPECT_EQ(shard.count, 8u);
  for (const char* text : {"8/8", "1", "a/2", "1/0", "-1/2", "1/2/3"}) EXPECT_THROW(Shard::parse(text), UsageError) << text;
}

TEST(Schedule, TextRoundTripsWithRunLengths) {
  Schedule schedule{.build_id = "0a1b",
                    .strategy = "pct(2, steps=57)",
                    .seed = 42,
                    .processors = 2,
                    .choices = {3, 3, 3, 4, 5, 5, 3},
                    .preemptions = {3, 6}};
  const std::string text = schedule.to_string();
  EXPECT_EQ(text,
            "wdmlab-schedule 1 build=0a1b processors=2 seed=42 choices=3x3,4,5x2,3 preemptions=3,6 "
            "strategy=pct(2, steps=57)");
  const Schedule back = Schedule::parse(text + "\n");
  EXPECT_EQ(back.build_id, schedule.build_id);
  EXPECT_EQ(back.strategy, schedule.strategy);
  EXPECT_EQ(back.seed, schedule.seed);
  EXPECT_EQ(back.processors, schedule.processors);
  EXPECT_EQ(back.choices, schedule.choices);
  EXPECT_EQ(back.preemptions, schedule.preemptions);
}

TEST(Schedule, RejectsMalformedText) {
  for (const char* text : {"", "schedule 1 processors=2 choices=1", "wdmlab-schedule 1 choices=1",
                           "wdmlab-schedule 1 processors=2", "wdmlab-schedule 1 processors=0 choices=1",
                           "wdmlab-schedule 1 processors=2 choices=1,x", "wdmlab-schedule 1 processors=2 choices=3x0",
                           "wdmlab-schedule 1 processors=2 choices=1 preemptions=1",
                           "wdmlab-schedule 1 processors=2 colour=blue choices=1"}) {
    EXPECT_THROW(Schedule::parse(text), UsageError) << text;
  }
}

TEST(BuildId, IsTheProgramsGnuBuildId) {
  const std::string id = build_id();
  EXPECT_GE(id.size(), 16u);  // 20 bytes with the default SHA-1 build IDs
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
}

}  // namespace
}  // namespace wdmlab
