// io/irp.hpp - IRP memory and the IRP life cycle.
//
// IoAllocateIrp takes IRPs from an IrpZone: three size classes (up to 4, 12 and 127 stack
// locations), each a reserved range of page-aligned, page-granular slots, with the slots'
// IrpRecords in an array of their own. Because the zone is one address range per class, "is this
// an IRP the I/O manager allocated?" is a range check, never a guess, and the record is found in
// O(1) without touching the IRP. IRPs a driver lays out in its own memory (IoInitializeIrp) get a
// record in a side table instead.
//
// Each record holds the IRP's state; every routine that moves an IRP (IoCallDriver,
// IoCompleteRequest, the end of the completion walk, the final stage, IoFreeIrp, IoReuseIrp,
// IoInitializeIrp) applies one event to it through a single transition table (kTransitions
// below). An event the table does not allow is a driver bug, reported with the bug check the
// table names for that (event, state) pair.
//
// A freed slot is made inaccessible and kept in a quarantine (the last kQuarantine freed IRPs)
// before it can be reused, the way special pool treats IRPs: a driver touching an IRP after it
// was completed and freed faults, and IoManager::check_freed_irp_fault reports it as 0xD5
// DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL. Slots leaving the quarantine become accessible again
// and are reused last-in first-out. A stale pointer passed back to the I/O manager is recognised
// from its record alone (IrpRecord::quarantined; 0x44 for IoCompleteRequest).
#pragma once

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "base/reusable_mapping.hpp"

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::io {

enum class IrpState : std::uint8_t {
  Free,        // not allocated (a zone slot on its free list)
  Allocated,   // owned by whoever allocated or initialized it; in no driver's hands
  Dispatched,  // sent with IoCallDriver: the drivers of the stack own it
  Completing,  // IoCompleteRequest is walking its stack locations upward
  Reclaimed,   // a completion routine returned STATUS_MORE_PROCESSING_REQUIRED: its driver owns it again
  Finishing,   // every stack location is done; the I/O manager's final stage is pending
  Count,
};

enum class IrpEvent : std::uint8_t {
  Allocate,    // IoAllocateIrp, IoBuild*Request, or the I/O manager's own requests
  Initialize,  // IoInitializeIrp
  Reuse,       // IoReuseIrp
  Call,        // IoCallDriver
  Complete,    // IoCompleteRequest
  Reclaim,     // a completion routine returned STATUS_MORE_PROCESSING_REQUIRED
  WalkDone,    // the completion walk passed the top stack location
  Free,        // IoFreeIrp, or the final stage freeing the IRP
  Count,
};

const char* to_string(IrpState state);
const char* to_string(IrpEvent event);

// Which routine made an IRP (the LocalIrpProcessing rules depend on it).
enum class IrpOrigin : std::uint8_t {
  IoManager,              // a request the I/O manager issued for a system service
  Allocate,               // IoAllocateIrp
  Initialize,             // IoInitializeIrp on driver memory
  BuildAsynchronousFsd,   // IoBuildAsynchronousFsdRequest
  BuildSynchronousFsd,    // IoBuildSynchronousFsdRequest
  BuildDeviceIoControl,   // IoBuildDeviceIoControlRequest
};

struct IrpRecord {
  static constexpr std::uint32_t kMagic = 0x50524949;  // "IIRP"
  std::uint32_t magic = kMagic;
  IrpState state = IrpState::Free;
  std::uint8_t size_class = 0;
  bool in_zone = false;
  bool quota = false;
  const base::DriverIdentity* allocator = nullptr;  // the driver that allocated it; null: the I/O manager
  std::uint64_t serial = 0;
  std::uint32_t system_buffer_length = 0;  // bytes of AssociatedIrp.SystemBuffer the I/O manager allocated
  bool disassociated = false;  // its thread ended without it (cancel.hpp, rundown_thread_io)
  bool quarantined = false;    // a freed zone slot, inaccessible until it leaves the quarantine
  IrpOrigin origin = IrpOrigin::IoManager;
  // Bits the I/O verification and DDI rule checks keep per IRP (kIrp* below).
  std::uint8_t verifier_bits = 0;
};
// IrpRecord::verifier_bits.
inline constexpr std::uint8_t kIrpForwarded = 0x01;            // sent with IoCallDriver at least once
inline constexpr std::uint8_t kIrpCompletionExFailed = 0x02;   // IoSetCompletionRoutineEx failed for it
inline constexpr std::uint8_t kIrpReclaimedFailed = 0x04;  // a completion routine took it back with an error status
static_assert(sizeof(IrpRecord) == 32, "records are packed in arrays");

// What applying an event found.
struct IrpTransition {
  bool allowed = false;
  IrpState from = IrpState::Free;
};

namespace transitions {
using S = IrpState;
inline constexpr auto X = IrpState::Count;  // not allowed

// kTransitions[event][state] = the state after the event, or X.
//                                   Free          Allocated     Dispatched    Completing    Reclaimed     Finishing
inline constexpr S kTransitions[static_cast<int>(IrpEvent::Count)][static_cast<int>(IrpState::Count)] = {
    /* Allocate   */ {S::Allocated, X, X, X, X, X},
    /* Initialize */ {S::Allocated, S::Allocated, X, X, S::Allocated, X},
    /* Reuse      */ {X, S::Allocated, X, S::Allocated, S::Allocated, X},
    /* Call       */ {X, S::Dispatched, S::Dispatched, S::Dispatched, S::Dispatched, X},
    /* Complete   */ {X, S::Completing, S::Completing, X, S::Completing, X},
    // A completion routine returning STATUS_MORE_PROCESSING_REQUIRED may already have freed,
    // reused or re-sent the IRP; whatever it did stands.
    /* Reclaim    */ {S::Free, S::Allocated, S::Dispatched, S::Reclaimed, S::Reclaimed, X},
    /* WalkDone   */ {X, X, X, S::Finishing, X, X},
    // Freeing inside a completion routine (state Completing) is the documented way to dispose of
    // an IRP the driver allocated.
    /* Free       */ {X, S::Free, X, S::Free, S::Free, S::Free},
};
}  // namespace transitions

// Applies `event` to the IRP's record: on success moves it to the new state. On a disallowed
// event the record is unchanged and `allowed` is false; the caller reports it with
// report_bad_transition().
inline IrpTransition apply(IrpRecord& record, IrpEvent event) {
  const IrpState from = record.state;
  const IrpState to = transitions::kTransitions[static_cast<int>(event)][static_cast<int>(from)];
  if (to == transitions::X) return {false, from};
  record.state = to;
  return {true, from};
}

// The bug check for an event the table does not allow. Returns only for IoInitializeIrp and
// IoReuseIrp (0xC9 / 0x310 is non-fatal, and nothing without I/O verification): the caller then
// lays the IRP out again, as Windows does.
void report_bad_transition(const IRP* irp, IrpEvent event, IrpState state, const void* caller);

class IrpZone {
 public:
  static constexpr int kMaxStackSize = 127;
  // The size classes: IRPs with up to this many stack locations.
  static constexpr std::size_t kClasses = 3;
  static constexpr int kClassStackSize[kClasses] = {4, 12, kMaxStackSize};
  static constexpr std::size_t kPage = 4096;
  // Freed IRPs kept inaccessible before their slots are reused.
  static constexpr std::size_t kQuarantine = 512;
  // The bytes of a slot: the IRP and its stack locations, rounded up to whole pages.
  static constexpr std::size_t slot_bytes(int stack_size) {
    const std::size_t bytes = sizeof(IRP) + static_cast<std::size_t>(stack_size) * sizeof(IO_STACK_LOCATION);
    return (bytes + kPage - 1) / kPage * kPage;
  }

  IrpZone();
  ~IrpZone();
  IrpZone(const IrpZone&) = delete;
  IrpZone& operator=(const IrpZone&) = delete;

  // A slot for an IRP with `stack_size` locations (0..kMaxStackSize), its record reset to state
  // Free; null when the class is exhausted. The IRP memory is not initialized.
  IRP* take(int stack_size);
  // Returns a slot (its record in state Free): into the quarantine, inaccessible.
  void give_back(IRP* irp, IrpRecord& record);
  // The record of `irp` if `irp` is a slot of this zone, else null. Never touches the IRP.
  // (Inline: every IRP routine looks its IRP up.)
  IrpRecord* record_of(const IRP* irp) const {
    const auto address = reinterpret_cast<std::uintptr_t>(irp);
    for (std::size_t index = 0; index < kClasses; ++index) {
      const SizeClass& size_class = classes_[index];
      if (address < size_class.base || address >= size_class.next) continue;
      const std::size_t offset = address - size_class.base;
      const std::size_t slot = slot_index(index, offset);
      if (slot * size_class.slot_bytes != offset) return nullptr;
      return &size_class.records[slot];
    }
    return nullptr;
  }
  // The freed IRP whose inaccessible slot holds `address`, or null.
  const IRP* quarantined_irp_at(std::uintptr_t address) const;

  std::uint64_t live() const { return live_; }
  // Whether freed slots go through the quarantine (the default) or straight back to the free list.
  void set_quarantine(bool enabled) { quarantine_enabled_ = enabled; }

 private:
  struct SizeClass {
    int stack_size = 0;
    std::size_t slot_bytes = 0;
    std::uintptr_t base = 0;
    std::uintptr_t limit = 0;
    std::uintptr_t next = 0;      // first never-used slot
    IrpRecord* records = nullptr;  // one per slot
    std::vector<IRP*> free;       // accessible returned slots, reused last in first out
    base::ReusableMapping slots;
    base::ReusableMapping record_array;
  };
  // `offset` divided by the slot size of class `index`; the slot sizes are constants, so each
  // quotient compiles to a shift or a multiplication instead of a division.
  static std::size_t slot_index(std::size_t index, std::size_t offset) {
    static_assert(kClasses == 3, "slot_index has one case per size class");
    switch (index) {
      case 0:
        return offset / slot_bytes(kClassStackSize[0]);
      case 1:
        return offset / slot_bytes(kClassStackSize[1]);
      default:
        return offset / slot_bytes(kClassStackSize[2]);
    }
  }

  SizeClass classes_[kClasses];
  std::deque<IRP*> quarantine_;  // oldest first
  bool quarantine_enabled_ = true;
  std::uint64_t live_ = 0;
};

// IRP bookkeeping of one lab: the zone, records of IRPs in driver memory, and serial numbers.
class IrpTracker {
 public:
  IrpZone& zone() { return zone_; }
  // The record of a zone IRP or of one a driver initialized; null for anything else.
  IrpRecord* find(const IRP* irp) {
    if (IrpRecord* record = zone_.record_of(irp)) return record;
    if (foreign_.empty()) return nullptr;
    auto found = foreign_.find(irp);
    return found != foreign_.end() ? &found->second : nullptr;
  }
  // The record for an IRP in driver memory, created on first use.
  IrpRecord& foreign(const IRP* irp) { return foreign_[irp]; }
  void forget_foreign(const IRP* irp) { foreign_.erase(irp); }
  std::uint64_t next_serial() { return ++serial_; }

 private:
  IrpZone zone_;
  std::unordered_map<const IRP*, IrpRecord> foreign_;
  std::uint64_t serial_ = 0;
};

// Lays out an IRP with `stack_size` locations in `irp` (IoInitializeIrp's work): zeroed, Type,
// Size, StackCount, CurrentLocation = StackCount + 1, the current stack location just past the
// last one, an empty thread list entry.
void lay_out_irp(IRP* irp, USHORT packet_size, CCHAR stack_size);

}  // namespace wdmlab::io
