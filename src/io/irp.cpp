// IRP memory, the IRP life-cycle table, and the routines that allocate, initialize, reuse and free
// IRPs.
#include "io/irp.hpp"

#include <sys/mman.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/check.hpp"
#include "io/ddi_rules.hpp"
#include "io/driver.hpp"
#include "io/violation.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"
#include "verifier/low_resources.hpp"

namespace wdmlab::io {

namespace {

// IRP AllocationFlags.
constexpr UCHAR kIrpQuotaCharged = 0x01;
constexpr UCHAR kIrpAllocatedFixedSize = 0x04;
constexpr UCHAR kIrpLookasideAllocation = 0x08;

// Slots reserved (not committed) per size class: room for 2^17 small, 2^15 medium and 2^12 large
// IRPs alive at once.
constexpr std::array<std::size_t, IrpZone::kClasses> kSlotsPerClass = {std::size_t{1} << 17, std::size_t{1} << 15,
                                                                       std::size_t{1} << 12};

}  // namespace

const char* to_string(IrpState state) {
  switch (state) {
    case IrpState::Free:
      return "free";
    case IrpState::Allocated:
      return "allocated";
    case IrpState::Dispatched:
      return "dispatched";
    case IrpState::Completing:
      return "completing";
    case IrpState::Reclaimed:
      return "reclaimed by a completion routine";
    case IrpState::Finishing:
      return "completed (final stage pending)";
    case IrpState::Count:
      break;
  }
  return "?";
}

const char* to_string(IrpEvent event) {
  switch (event) {
    case IrpEvent::Allocate:
      return "allocate";
    case IrpEvent::Initialize:
      return "IoInitializeIrp";
    case IrpEvent::Reuse:
      return "IoReuseIrp";
    case IrpEvent::Call:
      return "IoCallDriver";
    case IrpEvent::Complete:
      return "IoCompleteRequest";
    case IrpEvent::Reclaim:
      return "STATUS_MORE_PROCESSING_REQUIRED";
    case IrpEvent::WalkDone:
      return "end of completion";
    case IrpEvent::Free:
      return "IoFreeIrp";
    case IrpEvent::Count:
      break;
  }
  return "?";
}

void report_bad_transition(const IRP* irp, IrpEvent event, IrpState state, const void* caller) {
  const void* irp_pointer = irp;
  switch (event) {
    case IrpEvent::Complete:
      ke::bug_check(MULTIPLE_IRP_COMPLETE_REQUESTS, address_of(irp), 0, 0, 0,
                    fmt::format("IoCompleteRequest was called for IRP {} that is {}: the IRP was already "
                                "completed. Exactly one driver completes an IRP, once.",
                                irp_pointer, to_string(state)),
                    !verifier::active(kVerifierDdiCompliance) ? ""
                    // Completing it again from a completion routine, while the first completion
                    // is still walking the stack, is the CompleteRequest rule's case.
                    : state == IrpState::Completing ? "CompleteRequest"
                                                    : "DoubleCompletion");
    case IrpEvent::Call:
      if (state == IrpState::Free) {
        io_violation_or_fault(0x03, address_of(irp), 0, 0,
                              fmt::format("IoCallDriver was given IRP {}, which was already freed.", irp_pointer),
                              caller, irp);
      }
      ke::bug_check(MULTIPLE_IRP_COMPLETE_REQUESTS, address_of(irp), 0, 0, 0,
                    fmt::format("IoCallDriver was given IRP {} after it was completed ({}); a completed IRP "
                                "belongs to the I/O manager.",
                                irp_pointer, to_string(state)));
    case IrpEvent::Free:
      if (state == IrpState::Free) {
        io_violation_or_fault(0x01, address_of(irp), 0, 0,
                              fmt::format("IoFreeIrp was called for IRP {}, which was already freed.", irp_pointer),
                              caller, irp);
      }
      io_violation_or_fault(0x20A, address_of(caller), address_of(irp), 0,
                            fmt::format("IoFreeIrp was called for IRP {} while it is {}: drivers are still using it.",
                                        irp_pointer, to_string(state)),
                            caller, irp);
    case IrpEvent::Initialize:
    case IrpEvent::Reuse:
      (void)io_violation(0x310, address_of(caller), address_of(irp), 0,
                         fmt::format("{} was called for IRP {} while it is {}.", to_string(event), irp_pointer,
                                     to_string(state)));
      return;
    default:
      break;
  }
  WDMLAB_CHECK(false, "IRP {} cannot take event '{}' in state '{}'", irp_pointer, to_string(event), to_string(state));
  std::abort();
}

// --- the zone ---------------------------------------------------------------------------------------

IrpZone::IrpZone() {
  for (std::size_t i = 0; i < kClasses; ++i) {
    SizeClass& size_class = classes_[i];
    size_class.stack_size = kClassStackSize[i];
    size_class.slot_bytes = slot_bytes(size_class.stack_size);
    size_class.slots = base::ReusableMapping({.bytes = size_class.slot_bytes * kSlotsPerClass[i]}, "IRPs");
    size_class.base = size_class.slots.base();
    size_class.limit = size_class.base + size_class.slots.size();
    size_class.next = size_class.base;
    // Records are constructed when their slot is first taken, so the array needs no zeroing.
    size_class.record_array = base::ReusableMapping(
        {.bytes = (sizeof(IrpRecord) * kSlotsPerClass[i] + kPage - 1) / kPage * kPage, .dirty_reuse = true},
        "IRP records");
    size_class.records = static_cast<IrpRecord*>(size_class.record_array.data());
  }
}

IrpZone::~IrpZone() {
  // The slots used go back as fresh: accessible (quarantined ones are not) and zero.
  for (SizeClass& size_class : classes_) {
    const std::size_t used = size_class.next - size_class.base;
    if (used == 0) continue;
    if (!quarantine_.empty()) {
      WDMLAB_CHECK(::mprotect(size_class.slots.data(), used, PROT_READ | PROT_WRITE) == 0, "mprotect: {}",
                   std::strerror(errno));
    }
    std::memset(size_class.slots.data(), 0, used);
  }
}

IRP* IrpZone::take(int stack_size) {
  WDMLAB_CHECK(stack_size >= 0 && stack_size <= kMaxStackSize, "IRP stack size {} out of range", stack_size);
  std::uint8_t index = 0;
  while (classes_[index].stack_size < stack_size) ++index;
  SizeClass& size_class = classes_[index];
  IRP* irp;
  if (!size_class.free.empty()) {
    irp = size_class.free.back();
    size_class.free.pop_back();
  } else {
    if (size_class.next + size_class.slot_bytes > size_class.limit) return nullptr;
    irp = reinterpret_cast<IRP*>(size_class.next);
    size_class.next += size_class.slot_bytes;
    IrpRecord* record = record_of(irp);
    new (record) IrpRecord{};
    record->in_zone = true;
    record->size_class = index;
  }
  ++live_;
  return irp;
}

void IrpZone::give_back(IRP* irp, IrpRecord& record) {
  WDMLAB_CHECK(&record == record_of(irp) && record.in_zone && record.state == IrpState::Free,
               "returning IRP {} that is not a free zone slot", static_cast<void*>(irp));
  irp->Type = 0;
  irp->Size = 0;
  --live_;
  if (!quarantine_enabled_) {
    classes_[record.size_class].free.push_back(irp);
    return;
  }
  const std::size_t bytes = classes_[record.size_class].slot_bytes;
  WDMLAB_CHECK(::mprotect(irp, bytes, PROT_NONE) == 0, "mprotect: {}", std::strerror(errno));
  record.quarantined = true;
  quarantine_.push_back(irp);
  if (quarantine_.size() <= kQuarantine) return;
  IRP* oldest = quarantine_.front();
  quarantine_.pop_front();
  IrpRecord& oldest_record = *record_of(oldest);
  SizeClass& size_class = classes_[oldest_record.size_class];
  WDMLAB_CHECK(::mprotect(oldest, size_class.slot_bytes, PROT_READ | PROT_WRITE) == 0, "mprotect: {}",
               std::strerror(errno));
  oldest_record.quarantined = false;
  size_class.free.push_back(oldest);
}

const IRP* IrpZone::quarantined_irp_at(std::uintptr_t address) const {
  for (std::size_t index = 0; index < kClasses; ++index) {
    const SizeClass& size_class = classes_[index];
    if (address < size_class.base || address >= size_class.next) continue;
    const auto* irp = reinterpret_cast<const IRP*>(
        size_class.base + slot_index(index, address - size_class.base) * size_class.slot_bytes);
    return record_of(irp)->quarantined ? irp : nullptr;
  }
  return nullptr;
}

void lay_out_irp(IRP* irp, USHORT packet_size, CCHAR stack_size) {
  std::memset(irp, 0, packet_size);
  irp->Type = IO_TYPE_IRP;
  irp->Size = packet_size;
  irp->StackCount = stack_size;
  irp->CurrentLocation = static_cast<CHAR>(stack_size + 1);
  irp->ApcEnvironment = 0;  // OriginalApcEnvironment
  InitializeListHead(&irp->ThreadListEntry);
  irp->Tail.Overlay.CurrentStackLocation = reinterpret_cast<PIO_STACK_LOCATION>(irp + 1) + stack_size;
}

IRP* IoManager::allocate_irp(CCHAR stack_size, bool charge_quota, const base::DriverIdentity* allocator) {
  if (stack_size < 0) return nullptr;
  IRP* irp = irps_.zone().take(stack_size);
  if (irp == nullptr) return nullptr;
  IrpRecord& record = *irps_.zone().record_of(irp);
  record.allocator = allocator;
  record.serial = irps_.next_serial();
  record.quota = charge_quota;
  record.system_buffer_length = 0;
  record.disassociated = false;
  record.origin = IrpOrigin::IoManager;
  record.verifier_bits = 0;
  (void)apply(record, IrpEvent::Allocate);
  lay_out_irp(irp, IoSizeOfIrp(stack_size), stack_size);
  irp->AllocationFlags =
      static_cast<UCHAR>(kIrpAllocatedFixedSize | kIrpLookasideAllocation | (charge_quota ? kIrpQuotaCharged : 0));
  return irp;
}

void IoManager::free_irp(IRP* irp, const void* caller) {
  ke::require_irql_at_most(DISPATCH_LEVEL, "IoFreeIrp", caller, irp);
  IrpRecord* record = irps_.find(irp);
  if (irp == nullptr || (record != nullptr && record->quarantined) || irp->Type != IO_TYPE_IRP) {
    io_violation_or_fault(0x01, address_of(irp), 0, 0,
                          fmt::format("IoFreeIrp was given {}, which is not an IRP (its Type is not IO_TYPE_IRP; "
                                      "freed already?).",
                                      static_cast<const void*>(irp)),
                          caller, irp);
  }
  if (caller != nullptr) ddi::on_free_irp(irp, record, caller);
  if (irp->ThreadListEntry.Flink != nullptr && !IsListEmpty(&irp->ThreadListEntry)) {
    // Without I/O verification Windows frees it and the thread's list is corrupt; the lab stops
    // with the fault that corruption leads to.
    io_violation_or_fault(0x02, address_of(irp), 0, 0,
                          fmt::format("IoFreeIrp was called for IRP {}, which is still queued to the thread that "
                                      "issued it; the I/O manager frees such IRPs when they complete.",
                                      static_cast<const void*>(irp)),
                          caller, irp);
  }
  if (record == nullptr) {
    // An IRP a driver laid out by hand: IoFreeIrp returns it to pool, as Windows does with an IRP
    // that has no allocation flags.
    ExFreePool(irp);
    return;
  }
  if (!apply(*record, IrpEvent::Free).allowed) report_bad_transition(irp, IrpEvent::Free, record->state, caller);
  if (record->in_zone) {
    irps_.zone().give_back(irp, *record);
    return;
  }
  irps_.forget_foreign(irp);
  ExFreePool(irp);
}

}  // namespace wdmlab::io

using namespace wdmlab::io;

namespace {

IrpTracker& tracker() { return IoManager::require().irps(); }

}  // namespace

extern "C" {

PIRP NTAPI IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoAllocateIrp", __builtin_return_address(0));
  if (wdmlab::verifier::inject_failure("IoAllocateIrp", 0, __builtin_return_address(0))) return nullptr;
  PIRP irp = IoManager::require().allocate_irp(StackSize, ChargeQuota != FALSE, wdmlab::sched::calling_driver());
  if (irp != nullptr) tracker().find(irp)->origin = IrpOrigin::Allocate;
  return irp;
}

VOID NTAPI IoFreeIrp(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  IoManager::require().free_irp(Irp, __builtin_return_address(0));
}

VOID NTAPI IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoInitializeIrp", caller, Irp);
  if (StackSize < 0 || PacketSize < IoSizeOfIrp(StackSize)) {
    io_violation_or_fault(0x200, address_of(caller), address_of(Irp), PacketSize,
                          fmt::format("IoInitializeIrp: a packet of {} bytes cannot hold an IRP with {} stack "
                                      "locations (IoSizeOfIrp({}) = {}).",
                                      PacketSize, StackSize, StackSize, StackSize < 0 ? 0 : IoSizeOfIrp(StackSize)),
                          caller, Irp);
  }
  IrpTracker& irps = tracker();
  IrpRecord* record = irps.find(Irp);
  if (record == nullptr) {
    record = &irps.foreign(Irp);
    record->allocator = wdmlab::sched::calling_driver();
    record->origin = IrpOrigin::Initialize;
  }
  if (!apply(*record, IrpEvent::Initialize).allowed) {
    report_bad_transition(Irp, IrpEvent::Initialize, record->state, caller);
    record->state = IrpState::Allocated;
  }
  record->verifier_bits = 0;
  record->serial = irps.next_serial();
  lay_out_irp(Irp, PacketSize, StackSize);
}

VOID NTAPI IoReuseIrp(PIRP Irp, NTSTATUS Iostatus) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoReuseIrp", caller, Irp);
  IrpRecord* record = tracker().find(Irp);
  if (record == nullptr || Irp->Type != IO_TYPE_IRP) {
    io_violation_or_fault(0x200, address_of(caller), address_of(Irp), 0,
                          fmt::format("IoReuseIrp was given {}, which is not an IRP.", static_cast<void*>(Irp)),
                          caller, Irp);
  }
  if (!apply(*record, IrpEvent::Reuse).allowed) {
    report_bad_transition(Irp, IrpEvent::Reuse, record->state, caller);
    record->state = IrpState::Allocated;
  }
  record->verifier_bits &= static_cast<std::uint8_t>(~kIrpCompletionExFailed);
  const UCHAR allocation_flags = Irp->AllocationFlags;
  const CCHAR stack_size = Irp->StackCount;
  const USHORT size = Irp->Size;
  lay_out_irp(Irp, size, stack_size);
  Irp->AllocationFlags = allocation_flags;
  Irp->IoStatus.Status = Iostatus;
}

}  // extern "C"
