// Strategies, shards and schedules as text, and the program's build ID.
#include <fmt/format.h>
#include <link.h>

#include <charconv>
#include <cstring>

#include "wdmlab/errors.hpp"
#include "wdmlab/explore.hpp"

namespace wdmlab {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// All of `text` as an unsigned decimal number; throws UsageError naming `what` otherwise.
std::uint64_t number(std::string_view text, std::string_view what) {
  text = trim(text);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    throw UsageError(fmt::format("{} '{}' is not a number", what, text));
  }
  return value;
}

// The comma-separated arguments inside "name(...)", split at top-level commas.
std::vector<std::string_view> arguments(std::string_view inside) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < inside.size(); ++i) {
    if (inside[i] == '(') ++depth;
    if (inside[i] == ')') --depth;
    if (inside[i] == ',' && depth == 0) {
      parts.push_back(trim(inside.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (!trim(inside.substr(start)).empty() || !parts.empty()) parts.push_back(trim(inside.substr(start)));
  return parts;
}

constexpr std::string_view kStrategies = "random, pct(D), pct(D, steps=N), bounded(B) or portfolio(S, S, ...)";

}  // namespace

Strategy random_strategy() { return Strategy{.kind = Strategy::Kind::Random}; }

Strategy pct(unsigned depth, std::uint64_t steps) {
  if (depth == 0) throw UsageError("PCT needs a depth of at least 1");
  return Strategy{.kind = Strategy::Kind::Pct, .depth = depth, .steps = steps};
}

Strategy bounded(unsigned preemptions) { return Strategy{.kind = Strategy::Kind::Bounded, .bound = preemptions}; }

Strategy portfolio(std::vector<Strategy> members) {
  if (members.empty()) throw UsageError("a portfolio needs at least one strategy");
  return Strategy{.kind = Strategy::Kind::Portfolio, .members = std::move(members)};
}

std::string Strategy::name() const {
  switch (kind) {
    case Kind::Random:
      return "random";
    case Kind::Pct:
      return steps == 0 ? fmt::format("pct({})", depth) : fmt::format("pct({}, steps={})", depth, steps);
    case Kind::Bounded:
      return fmt::format("bounded({})", bound);
    case Kind::Portfolio: {
      std::string text = "portfolio(";
      for (std::size_t i = 0; i < members.size(); ++i) text += (i == 0 ? "" : ", ") + members[i].name();
      return text + ")";
    }
  }
  return "?";
}

Strategy Strategy::parse(std::string_view text) {
  text = trim(text);
  if (text == "random") return random_strategy();
  if (text == "portfolio") return portfolio({pct(2), pct(3), random_strategy()});
  std::string_view head = text;
  std::vector<std::string_view> args;
  if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
    head = text.substr(0, colon);
    args = {text.substr(colon + 1)};
  } else if (const std::size_t open = text.find('('); open != std::string_view::npos && text.back() == ')') {
    head = text.substr(0, open);
    args = arguments(text.substr(open + 1, text.size() - open - 2));
  }
  head = trim(head);
  if (head == "portfolio" && !args.empty()) {
    std::vector<Strategy> members;
    for (std::string_view member : args) members.push_back(parse(member));
    return portfolio(std::move(members));
  }
  if ((head == "pct" && (args.size() == 1 || args.size() == 2))) {
    std::uint64_t steps = 0;
    if (args.size() == 2) {
      if (args[1].rfind("steps=", 0) != 0) throw UsageError(fmt::format("strategy '{}': expected steps=N", text));
      steps = number(args[1].substr(6), "PCT step estimate");
    }
    const std::uint64_t depth = number(args[0], "PCT depth");
    if (depth == 0 || depth > 64) throw UsageError(fmt::format("PCT depth {} is out of range 1..64", depth));
    return pct(static_cast<unsigned>(depth), steps);
  }
  if ((head == "bounded" || head == "dfs") && args.size() == 1) {
    const std::uint64_t bound = number(args[0], "preemption bound");
    if (bound > 64) throw UsageError(fmt::format("preemption bound {} is out of range 0..64", bound));
    return bounded(static_cast<unsigned>(bound));
  }
  throw UsageError(fmt::format("unknown strategy '{}'; use {}", text, kStrategies));
}

Shard Shard::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) throw UsageError(fmt::format("shard '{}' is not i/N", text));
  const std::uint64_t index = number(text.substr(0, slash), "shard index");
  const std::uint64_t count = number(text.substr(slash + 1), "shard count");
  if (count == 0 || index >= count || count > 1'000'000) {
    throw UsageError(fmt::format("shard '{}': the index must be below the count (0/N .. N-1/N)", text));
  }
  return Shard{static_cast<unsigned>(index), static_cast<unsigned>(count)};
}

// --- schedules -------------------------------------------------------------------------------

namespace {

// "3x4,5,3x2": each context id, with a repeat count where it repeats.
std::string run_length(const std::vector<std::uint32_t>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size();) {
    std::size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    if (!text.empty()) text += ',';
    text += j - i > 1 ? fmt::format("{}x{}", values[i], j - i) : fmt::format("{}", values[i]);
    i = j;
  }
  return text;
}

std::vector<std::uint32_t> run_length_values(std::string_view text, std::string_view what) {
  std::vector<std::uint32_t> values;
  while (!text.empty()) {
    const std::size_t comma = std::min(text.find(','), text.size());
    const std::string_view item = text.substr(0, comma);
    const std::size_t times = item.find('x');
    const std::uint64_t value = number(item.substr(0, times), what);
    const std::uint64_t repeat = times == std::string_view::npos ? 1 : number(item.substr(times + 1), what);
    if (value > 0xFFFFFFFFu || repeat == 0 || repeat > 100'000'000 || values.size() + repeat > 100'000'000) {
      throw UsageError(fmt::format("{} '{}' is out of range", what, item));
    }
    values.insert(values.end(), repeat, static_cast<std::uint32_t>(value));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return values;
}

constexpr std::string_view kScheduleMagic = "wdmlab-schedule 1";

}  // namespace

std::string Schedule::to_string() const {
  // The strategy's name may hold spaces, so it comes last and runs to the end of the line.
  return fmt::format("{} build={} processors={} seed={} choices={} preemptions={} strategy={}", kScheduleMagic,
                     build_id.empty() ? "-" : build_id, processors, seed, run_length(choices),
                     run_length(preemptions), strategy);
}

Schedule Schedule::parse(std::string_view text) {
  text = trim(text);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (text.rfind(kScheduleMagic, 0) != 0) {
    throw UsageError(fmt::format("not a schedule (it must start with '{}')", kScheduleMagic));
  }
  text.remove_prefix(kScheduleMagic.size());
  Schedule schedule;
  bool seen_processors = false;
  bool seen_choices = false;
  while (!(text = trim(text)).empty()) {
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) throw UsageError(fmt::format("schedule field '{}' has no value", text));
    const std::string_view key = text.substr(0, equals);
    if (key == "strategy") {
      schedule.strategy = std::string(text.substr(equals + 1));
      break;
    }
    const std::size_t end = std::min(text.find(' '), text.size());
    const std::string_view value = text.substr(equals + 1, end - equals - 1);
    text.remove_prefix(end);
    if (key == "build") {
      schedule.build_id = value == "-" ? std::string() : std::string(value);
    } else if (key == "processors") {
      const std::uint64_t processors = number(value, "schedule processors");
      if (processors == 0 || processors > 64) throw UsageError(fmt::format("schedule processors {} out of range", value));
      schedule.processors = static_cast<unsigned>(processors);
      seen_processors = true;
    } else if (key == "seed") {
      schedule.seed = number(value, "schedule seed");
    } else if (key == "choices") {
      schedule.choices = run_length_values(value, "schedule choice");
      seen_choices = true;
    } else if (key == "preemptions") {
      schedule.preemptions = run_length_values(value, "schedule preemption");
    } else {
      throw UsageError(fmt::format("unknown schedule field '{}'", key));
    }
  }
  if (!seen_processors || !seen_choices) throw UsageError("a schedule needs processors= and choices=");
  for (std::uint32_t index : schedule.preemptions) {
    if (index >= schedule.choices.size()) {
      throw UsageError(fmt::format("schedule preemption at choice {} is past its {} choices", index, schedule.choices.size()));
    }
  }
  return schedule;
}

std::string build_id() {
  static const std::string id = [] {
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) -> int {
          // The first object is the program itself.
          auto* out = static_cast<std::string*>(data);
          for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr)& header = info->dlpi_phdr[i];
            if (header.p_type != PT_NOTE) continue;
            const char* note = reinterpret_cast<const char*>(info->dlpi_addr + header.p_vaddr);
            const char* end = note + header.p_memsz;
            while (note + sizeof(ElfW(Nhdr)) <= end) {
              ElfW(Nhdr) n;
              std::memcpy(&n, note, sizeof n);
              const char* name = note + sizeof n;
              const char* desc = name + ((n.n_namesz + 3) & ~3u);
              if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                for (ElfW(Word) b = 0; b < n.n_descsz; ++b) {
                  *out += fmt::format("{:02x}", static_cast<unsigned char>(desc[b]));
                }
                return 1;
              }
              note = desc + ((n.n_descsz + 3) & ~3u);
            }
          }
          return 1;
        },
        &found);
    return found;
  }();
  return id;
}

}  // namespace wdmlab
