// User-mode addresses: probing, copying, ProbeForRead/ProbeForWrite, MmIsAddressValid.
#include "mm/user_memory.hpp"

#include <cstring>

#include "base/address_space.hpp"
#include "ke/bugcheck.hpp"
#include "mm/memory_manager.hpp"
#include "rtl/exception.hpp"
#include "sched/scheduler.hpp"

namespace wdmlab::mm {

namespace {

base::AddressSpace& space() { return MemoryManager::require().space(); }

std::uintptr_t address_of(const volatile void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// True if any byte of the range is a user-mode address.
bool touches_user(const base::AddressSpace& s, std::uintptr_t address, std::size_t length) {
  return s.is_user(address) || s.is_user(address + length - 1);
}

}  // namespace

bool is_user_address(const volatile void* address) { return space().is_user(address_of(address)); }

NTSTATUS probe(const volatile void* address, SIZE_T length, ULONG alignment) {
  if (length == 0) return STATUS_SUCCESS;
  const std::uintptr_t start = address_of(address);
  if (alignment > 1 && (start & (alignment - 1)) != 0) return STATUS_DATATYPE_MISALIGNMENT;
  const std::uintptr_t end = start + length;
  if (end < start || end > MmUserProbeAddress || !space().is_user_range(start, length)) return STATUS_ACCESS_VIOLATION;
  return STATUS_SUCCESS;
}

NTSTATUS probe_for_write(const volatile void* address, SIZE_T length, ULONG alignment) {
  const NTSTATUS status = probe(address, length, alignment);
  if (!NT_SUCCESS(status) || length == 0) return status;
  return space().accessible(address_of(address), length, true) ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
}

NTSTATUS copy_from_user(void* destination, const volatile void* user_source, std::size_t length) {
  if (length == 0) return STATUS_SUCCESS;
  const base::AddressSpace& s = space();
  const std::uintptr_t source = address_of(user_source);
  if (touches_user(s, source, length) && !s.accessible(source, length, false)) return STATUS_ACCESS_VIOLATION;
  std::memcpy(destination, const_cast<const void*>(user_source), length);
  return STATUS_SUCCESS;
}

NTSTATUS copy_to_user(volatile void* user_destination, const void* source, std::size_t length) {
  if (length == 0) return STATUS_SUCCESS;
  const base::AddressSpace& s = space();
  const std::uintptr_t destination = address_of(user_destination);
  if (touches_user(s, destination, length) && !s.accessible(destination, length, true)) return STATUS_ACCESS_VIOLATION;
  std::memcpy(const_cast<void*>(user_destination), source, length);
  return STATUS_SUCCESS;
}

}  // namespace wdmlab::mm

using namespace wdmlab::mm;

extern "C" {

VOID NTAPI ProbeForRead(volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ProbeForRead", caller, const_cast<const void*>(Address),
                                   "IrqlApcLte");
  const NTSTATUS status = probe(Address, Length, Alignment);
  if (!NT_SUCCESS(status)) wdmlab::rtl::raise_status(status, caller);
}

VOID NTAPI ProbeForWrite(volatile VOID* Address, SIZE_T Length, ULONG Alignment) {
  wdmlab::sched::scheduling_point();
  const void* caller = __builtin_return_address(0);
  wdmlab::ke::require_irql_at_most(APC_LEVEL, "ProbeForWrite", caller, const_cast<const void*>(Address),
                                   "IrqlApcLte");
  const NTSTATUS status = probe_for_write(Address, Length, Alignment);
  if (!NT_SUCCESS(status)) wdmlab::rtl::raise_status(status, caller);
}

BOOLEAN NTAPI MmIsAddressValid(PVOID VirtualAddress) {
  wdmlab::sched::scheduling_point();
  wdmlab::base::AddressSpace& s = MemoryManager::require().space();
  const auto address = reinterpret_cast<std::uintptr_t>(VirtualAddress);
  if (!s.is_user(address)) return TRUE;
  return s.accessible(address, 1, false) ? TRUE : FALSE;
}

}  // extern "C"
