// verifier/lock_order.hpp - Deadlock Detection (verifier /flags 0x20): the lock-order graph.
//
// Nodes are locks (by address); an edge A -> B records that B was taken while A was held, with
// the stack of the first such acquire. Taking B while holding A when the graph already has a
// path B -> ... -> A closes a cycle: two code paths take the same locks in opposite orders and
// can deadlock. It is reported (0xC4/0x1001) when the closing edge is first taken, before any
// real deadlock, with the stack of the earlier acquire and the current one.
//
// Each context (a thread, or a processor's DPC context) has its own list of held locks. The lock
// routines call the hooks below; every hook does nothing when the option is off for the calling
// driver, except that a release of a lock the graph knows always updates its owner's list.
//
// Locks followed: spin locks (ordinary and in-stack queued, the cancel spin lock among them),
// fast and guarded mutexes, kernel mutexes and ERESOURCEs (see docs/verifier/irql-and-locks.md).
// Not followed: events and other lock-free objects. A lock is forgotten when it is
// (re)initialised or deleted, so an address reused for a new lock starts a new node.
#pragma once

#include <cstdint>

namespace wdmlab::sched {
class Context;
}

namespace wdmlab::verifier {

enum class LockKind : std::uint8_t { SpinLock, QueuedSpinLock, FastMutex, GuardedMutex, Mutex, Resource };

struct AcquireFlags {
  bool recursion_allowed = false;  // a kernel mutex or an exclusive resource may be taken again
  bool shared = false;             // a resource taken shared
};

// Before the running context tries to take `lock` (it may then block): 0x1008 when a spin lock
// used as an ordinary one is taken as a queued one or the reverse; 0x1000 when it already holds
// the lock and recursion is a self-deadlock; 0x1001 when the acquire closes a cycle.
void before_acquire(const void* lock, LockKind kind, AcquireFlags flags = {});
// The running context now holds `lock`.
void acquired(const void* lock, LockKind kind, AcquireFlags flags = {});
// Before the running context releases `lock`: 0x1009 when a spin lock is released through the
// other kind's routine, 0x1004 when another context holds it, 0x1003
// when a spin lock is released while a spin lock taken after it is still held. Then forgets the
// hold. (A release of a lock nobody holds, 0x1007, is each lock routine's own check: it knows.) `for_another_thread`: a release made on behalf of the
// holder (ExReleaseResourceForThreadLite), not checked for ownership.
void before_release(const void* lock, LockKind kind, bool for_another_thread = false);
// The lock at `lock` was (re)initialised or deleted.
void forget_lock(const void* lock);
// The running thread ends: 0x100A when it still holds a lock.
void thread_ending();
// The locks the running context holds, most recent last (tests).
std::size_t held_lock_count();

// The graph of one lab (owned by its Verifier).
class LockOrder;
LockOrder* new_lock_order();
void destroy(LockOrder* graph);

}  // namespace wdmlab::verifier
