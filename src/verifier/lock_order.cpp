#include "verifier/lock_order.hpp"

#include <wdm.h>

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/stack.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::verifier {

namespace {

constexpr std::uint64_t kSelfDeadlock = 0x1000;
constexpr std::uint64_t kHierarchyViolation = 0x1001;
constexpr std::uint64_t kReleasedOutOfOrder = 0x1003;
constexpr std::uint64_t kReleasedByOther = 0x1004;
constexpr std::uint64_t kWrongAcquireApi = 0x1008;
constexpr std::uint64_t kWrongReleaseApi = 0x1009;
constexpr std::uint64_t kThreadEndedOwningLock = 0x100A;

const char* kind_name(LockKind kind) {
  switch (kind) {
    case LockKind::SpinLock:
      return "spin lock";
    case LockKind::QueuedSpinLock:
      return "queued spin lock";
    case LockKind::FastMutex:
      return "fast mutex";
    case LockKind::GuardedMutex:
      return "guarded mutex";
    case LockKind::Mutex:
      return "mutex";
    case LockKind::Resource:
      return "resource";
  }
  return "lock";
}

bool is_spin_lock(LockKind kind) { return kind == LockKind::SpinLock || kind == LockKind::QueuedSpinLock; }

std::uint64_t address(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

}  // namespace

class LockOrder {
 public:
  struct Edge {
    const void* to;
    std::vector<std::uintptr_t> stack;  // the first acquire of `to` under the edge's source
    std::string context;
  };
  struct Node {
    LockKind kind = LockKind::SpinLock;
    // Locks taken while this one was held, in the order first seen (the search, and so the
    // stacks a report shows, must not depend on addresses).
    std::vector<Edge> after;
    const sched::Context* owner = nullptr;         // exclusive holder
    unsigned holds = 0;                            // holders (shared) or recursion depth
  };
  struct Held {
    const void* lock;
    LockKind kind;
  };

  std::unordered_map<const void*, Node> nodes;
  std::unordered_map<const sched::Context*, std::vector<Held>> held;

  // A path from `from` to `to` along recorded edges, as the list of its edges' sources and
  // targets; empty when there is none.
  std::vector<std::pair<const void*, const void*>> path(const void* from, const void* to) const {
    std::vector<std::pair<const void*, const void*>> route;
    std::unordered_set<const void*> seen;
    return search(from, to, seen, route) ? route : std::vector<std::pair<const void*, const void*>>{};
  }

 private:
  bool search(const void* at, const void* to, std::unordered_set<const void*>& seen,
              std::vector<std::pair<const void*, const void*>>& route) const {
    if (!seen.insert(at).second) return false;
    auto node = nodes.find(at);
    if (node == nodes.end()) return false;
    for (const Edge& edge : node->second.after) {
      route.emplace_back(at, edge.to);
      if (edge.to == to || search(edge.to, to, seen, route)) return true;
      route.pop_back();
    }
    return false;
  }
};

LockOrder* new_lock_order() { return new LockOrder; }

namespace {

const LockOrder::Edge* edge_to(const LockOrder::Node& from, const void* lock) {
  auto it = std::find_if(from.after.begin(), from.after.end(), [lock](const LockOrder::Edge& e) { return e.to == lock; });
  return it != from.after.end() ? &*it : nullptr;
}

}  // namespace
void destroy(LockOrder* graph) { delete graph; }

namespace {

LockOrder* graph_if_active() {
  Verifier* verifier = Verifier::current();
  if (verifier == nullptr || !active(kVerifierDeadlockDetection)) return nullptr;
  return &verifier->lock_order();
}

const sched::Context* running() {
  const sched::Scheduler* scheduler = sched::Scheduler::current();
  return scheduler != nullptr ? scheduler->running() : nullptr;
}

// A context as the bug check parameters name it: a thread's KTHREAD (what KeGetCurrentThread
// returns), else the context itself (a processor's DPC context).
std::uint64_t thread_address(const sched::Context* context) {
  return context != nullptr && context->kernel_thread != nullptr ? address(context->kernel_thread) : address(context);
}

std::string context_name(const sched::Context* context) { return context != nullptr ? context->name() : "host"; }

}  // namespace

void before_acquire(const void* lock, LockKind kind, AcquireFlags flags) {
  LockOrder* graph = graph_if_active();
  if (graph == nullptr) return;
  const sched::Context* self = running();
  if (is_spin_lock(kind)) {
    // Windows 7 and later: one KSPIN_LOCK used both as an ordinary and as a queued spin lock.
    auto known = graph->nodes.find(lock);
    if (known != graph->nodes.end() && is_spin_lock(known->second.kind) && known->second.kind != kind) {
      violation({.parameters = {kWrongAcquireApi, address(lock), 0, 0},
                 .description = fmt::format("{} {} acquired as a {}; it was used as a {} before (an in-stack queued "
                                            "spin lock and an ordinary spin lock must not share a KSPIN_LOCK).",
                                            context_name(self), lock, kind_name(kind), kind_name(known->second.kind))});
    }
  }
  auto held = graph->held.find(self);
  if (held == graph->held.end() || held->second.empty()) return;
  std::vector<LockOrder::Held>& mine = held->second;
  const bool holding = std::any_of(mine.begin(), mine.end(), [&](const LockOrder::Held& h) { return h.lock == lock; });
  if (holding) {
    const LockOrder::Node& node = graph->nodes[lock];
    const bool exclusive_after_shared = kind == LockKind::Resource && !flags.shared && node.owner == nullptr;
    if (!flags.recursion_allowed || exclusive_after_shared) {
      violation({.parameters = {kSelfDeadlock, address(lock), 0, 0},
                 .description = fmt::format("{} {} acquired again by {}, which already holds it: a self-deadlock.",
                                            kind_name(kind), lock, context_name(self))});
    }
    return;  // a permitted recursive acquire adds no order
  }
  for (const LockOrder::Held& h : mine) {
    LockOrder::Node& from = graph->nodes[h.lock];
    if (edge_to(from, lock) != nullptr) continue;
    // Taking `lock` under `h.lock` closes a cycle when `lock` already leads to `h.lock`.
    const auto cycle = graph->path(lock, h.lock);
    if (!cycle.empty()) {
      const auto& first = cycle.front();
      const LockOrder::Edge& earlier = *edge_to(graph->nodes[first.first], first.second);
      std::vector<RelatedStack> related;
      related.push_back({fmt::format("earlier acquire of {} while holding {} (in {})", first.second, first.first,
                                     earlier.context),
                         earlier.stack});
      related.push_back({fmt::format("this acquire of {} while holding {}", lock, h.lock), base::capture_stack()});
      violation({.parameters = {kHierarchyViolation, address(lock), address(h.lock), 0},
                 .description = fmt::format("Lock hierarchy violation: {} takes {} {} while holding {}, but {} was "
                                            "taken earlier while holding {}; the two orders can deadlock.",
                                            context_name(self), kind_name(kind), lock, h.lock, first.second,
                                            first.first),
                 .related = std::move(related)});
    }
    from.after.push_back({lock, base::capture_stack(), context_name(self)});
  }
}

void acquired(const void* lock, LockKind kind, AcquireFlags flags) {
  LockOrder* graph = graph_if_active();
  if (graph == nullptr) return;
  const sched::Context* self = running();
  LockOrder::Node& node = graph->nodes[lock];
  node.kind = kind;
  node.owner = flags.shared ? nullptr : self;
  ++node.holds;
  graph->held[self].push_back({lock, kind});
}

void before_release(const void* lock, LockKind kind, bool for_another_thread) {
  Verifier* verifier = Verifier::current();
  if (verifier == nullptr || !verifier->has_lock_order()) return;
  LockOrder& graph = verifier->lock_order();
  const bool checking = active(kVerifierDeadlockDetection);
  const sched::Context* self = running();
  auto node = graph.nodes.find(lock);
  // A lock taken while the option was off (or never taken: each lock routine checks that itself).
  if (node == graph.nodes.end() || node->second.holds == 0) return;
  if (checking && is_spin_lock(kind) && node->second.kind != kind) {
    violation({.parameters = {kWrongReleaseApi, address(lock), 0, 0},
               .description = fmt::format("{} released {} {}, which was acquired as a {}.", context_name(self),
                                          kind_name(kind), lock, kind_name(node->second.kind))});
  }
  const sched::Context* owner = node->second.owner;
  if (checking && owner != nullptr && owner != self && !for_another_thread) {
    violation({.parameters = {kReleasedByOther, address(lock), thread_address(owner), thread_address(self)},
               .description = fmt::format("{} released {} {}, which {} holds.", context_name(self), kind_name(kind),
                                          lock, context_name(owner))});
  }
  // A shared lock: the releasing context's hold if it has one, else any holder's (a release for
  // another thread).
  const auto holds = [&](const sched::Context* context) {
    auto it = graph.held.find(context);
    return it != graph.held.end() &&
           std::any_of(it->second.begin(), it->second.end(), [&](const LockOrder::Held& h) { return h.lock == lock; });
  };
  const sched::Context* holder = owner != nullptr ? owner : self;
  if (owner == nullptr && !holds(self)) {
    // The first holder by context id, so that the choice does not depend on the map's order.
    const sched::Context* first = nullptr;
    for (const auto& [context, list] : graph.held) {
      if (context != nullptr && holds(context) && (first == nullptr || context->id() < first->id())) first = context;
    }
    if (first != nullptr) holder = first;
  }
  auto held = graph.held.find(holder);
  if (held != graph.held.end()) {
    std::vector<LockOrder::Held>& list = held->second;
    auto it = std::find_if(list.rbegin(), list.rend(), [&](const LockOrder::Held& h) { return h.lock == lock; });
    if (it != list.rend()) {
      if (checking && is_spin_lock(kind) && holder == self) {
        auto later = std::find_if(list.rbegin(), it, [](const LockOrder::Held& h) { return is_spin_lock(h.kind); });
        if (later != it) {
          violation({.parameters = {kReleasedOutOfOrder, address(lock), address(later->lock), 0},
                     .description = fmt::format("{} released {} {} before {}, which it took later; spin locks must be "
                                                "released in the reverse order of their acquires.",
                                                context_name(self), kind_name(kind), lock, later->lock)});
        }
      }
      list.erase(std::next(it).base());
    }
  }
  if (--node->second.holds == 0) node->second.owner = nullptr;
}

void forget_lock(const void* lock) {
  Verifier* verifier = Verifier::current();
  if (verifier == nullptr || !verifier->has_lock_order()) return;
  LockOrder& graph = verifier->lock_order();
  if (graph.nodes.erase(lock) == 0) return;
  for (auto& [address, node] : graph.nodes) {
    std::erase_if(node.after, [lock](const LockOrder::Edge& edge) { return edge.to == lock; });
  }
}

void thread_ending() {
  Verifier* verifier = Verifier::current();
  if (verifier == nullptr || !verifier->has_lock_order()) return;
  LockOrder& graph = verifier->lock_order();
  const sched::Context* self = running();
  auto held = graph.held.find(self);
  if (held == graph.held.end()) return;
  // A resource may be released for its owner after the owner ended (ExReleaseResourceForThreadLite).
  auto first = std::find_if(held->second.begin(), held->second.end(),
                            [](const LockOrder::Held& h) { return h.kind != LockKind::Resource; });
  if (first != held->second.end() && active(kVerifierDeadlockDetection)) {
    violation({.parameters = {kThreadEndedOwningLock, address(first->lock), thread_address(self), 0},
               .description = fmt::format("Thread {} ended while it still held {} {}.", context_name(self),
                                          kind_name(first->kind), first->lock)});
  }
  graph.held.erase(held);
}

std::size_t held_lock_count() {
  Verifier* verifier = Verifier::current();
  if (verifier == nullptr || !verifier->has_lock_order()) return 0;
  auto held = verifier->lock_order().held.find(running());
  return held != verifier->lock_order().held.end() ? held->second.size() : 0;
}

}  // namespace wdmlab::verifier
