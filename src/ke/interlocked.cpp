// Interlocked operations. The lab runs one simulated processor at a time, so each operation is
// atomic by construction; the scheduling point before it is what lets another processor run
// between the driver's plain accesses and the interlocked one.
#include <wdm.h>

#include <type_traits>

#include "sched/scheduler.hpp"

namespace {

template <class T>
T exchange_add(T volatile* target, T value) {
  wdmlab::sched::scheduling_point();
  return __atomic_fetch_add(target, value, __ATOMIC_SEQ_CST);
}

// old + delta with two's-complement wrap-around, as the processor computes it (signed overflow
// would be undefined behaviour in C++).
template <class T>
T wrapping_add(T old, T delta) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(old) + static_cast<U>(delta));
}

template <class T, class F>
T update(T volatile* target, F operation) {
  wdmlab::sched::scheduling_point();
  T old = *target;
  *target = operation(old);
  return old;
}

template <class T>
T compare_exchange(T volatile* target, T exchange, T comperand) {
  wdmlab::sched::scheduling_point();
  T old = *target;
  if (old == comperand) *target = exchange;
  return old;
}

}  // namespace

extern "C" {

LONG NTAPI InterlockedIncrement(LONG volatile* Addend) { return wrapping_add<LONG>(exchange_add<LONG>(Addend, 1), 1); }
LONG NTAPI InterlockedDecrement(LONG volatile* Addend) {
  return wrapping_add<LONG>(exchange_add<LONG>(Addend, -1), -1);
}
LONG NTAPI InterlockedExchangeAdd(LONG volatile* Addend, LONG Value) { return exchange_add<LONG>(Addend, Value); }
LONG NTAPI InterlockedExchange(LONG volatile* Target, LONG Value) {
  return update(Target, [Value](LONG) { return Value; });
}
LONG NTAPI InterlockedCompareExchange(LONG volatile* Destination, LONG ExChange, LONG Comperand) {
  return compare_exchange(Destination, ExChange, Comperand);
}
LONG NTAPI InterlockedAnd(LONG volatile* Destination, LONG Value) {
  return update(Destination, [Value](LONG old) { return old & Value; });
}
LONG NTAPI InterlockedOr(LONG volatile* Destination, LONG Value) {
  return update(Destination, [Value](LONG old) { return old | Value; });
}
LONG NTAPI InterlockedXor(LONG volatile* Destination, LONG Value) {
  return update(Destination, [Value](LONG old) { return old ^ Value; });
}

SHORT NTAPI InterlockedIncrement16(SHORT volatile* Addend) {
  return static_cast<SHORT>(update(Addend, [](SHORT old) { return static_cast<SHORT>(old + 1); }) + 1);
}
SHORT NTAPI InterlockedDecrement16(SHORT volatile* Addend) {
  return static_cast<SHORT>(update(Addend, [](SHORT old) { return static_cast<SHORT>(old - 1); }) - 1);
}
SHORT NTAPI InterlockedCompareExchange16(SHORT volatile* Destination, SHORT ExChange, SHORT Comperand) {
  return compare_exchange(Destination, ExChange, Comperand);
}

LONG64 NTAPI InterlockedIncrement64(LONG64 volatile* Addend) {
  return wrapping_add<LONG64>(exchange_add<LONG64>(Addend, 1), 1);
}
LONG64 NTAPI InterlockedDecrement64(LONG64 volatile* Addend) {
  return wrapping_add<LONG64>(exchange_add<LONG64>(Addend, -1), -1);
}
LONG64 NTAPI InterlockedExchangeAdd64(LONG64 volatile* Addend, LONG64 Value) {
  return exchange_add<LONG64>(Addend, Value);
}
LONG64 NTAPI InterlockedExchange64(LONG64 volatile* Target, LONG64 Value) {
  return update(Target, [Value](LONG64) { return Value; });
}
LONG64 NTAPI InterlockedCompareExchange64(LONG64 volatile* Destination, LONG64 ExChange, LONG64 Comperand) {
  return compare_exchange(Destination, ExChange, Comperand);
}
LONG64 NTAPI InterlockedAnd64(LONG64 volatile* Destination, LONG64 Value) {
  return update(Destination, [Value](LONG64 old) { return old & Value; });
}
LONG64 NTAPI InterlockedOr64(LONG64 volatile* Destination, LONG64 Value) {
  return update(Destination, [Value](LONG64 old) { return old | Value; });
}
LONG64 NTAPI InterlockedXor64(LONG64 volatile* Destination, LONG64 Value) {
  return update(Destination, [Value](LONG64 old) { return old ^ Value; });
}

PVOID NTAPI InterlockedExchangePointer(PVOID volatile* Target, PVOID Value) {
  return update(Target, [Value](PVOID) { return Value; });
}
PVOID NTAPI InterlockedCompareExchangePointer(PVOID volatile* Destination, PVOID ExChange, PVOID Comperand) {
  return compare_exchange(Destination, ExChange, Comperand);
}

BOOLEAN NTAPI InterlockedBitTestAndSet(LONG volatile* Base, LONG Bit) {
  const LONG mask = static_cast<LONG>(1u << (Bit & 31));
  return (update(Base + (Bit >> 5), [mask](LONG old) { return old | mask; }) & mask) != 0 ? TRUE : FALSE;
}
BOOLEAN NTAPI InterlockedBitTestAndReset(LONG volatile* Base, LONG Bit) {
  const LONG mask = static_cast<LONG>(1u << (Bit & 31));
  return (update(Base + (Bit >> 5), [mask](LONG old) { return old & ~mask; }) & mask) != 0 ? TRUE : FALSE;
}

}  // extern "C"
