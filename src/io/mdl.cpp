// The I/O manager's MDL routines: IoAllocateMdl, IoFreeMdl, IoBuildPartialMdl.
#include "ke/bugcheck.hpp"
#include "mm/mdl.hpp"
#include "sched/scheduler.hpp"
#include "verifier/low_resources.hpp"

extern "C" {

PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp) {
  (void)ChargeQuota;
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoAllocateMdl", __builtin_return_address(0), VirtualAddress,
                                   "IrqlIoDispatch");
  if (wdmlab::verifier::inject_failure("IoAllocateMdl", 0, __builtin_return_address(0))) return nullptr;
  PMDL mdl = wdmlab::mm::allocate_mdl(VirtualAddress, Length, wdmlab::sched::calling_driver());
  if (mdl == nullptr || Irp == nullptr) return mdl;
  if (!SecondaryBuffer) {
    Irp->MdlAddress = mdl;
  } else {
    PMDL* link = &Irp->MdlAddress;
    while (*link != nullptr) link = &(*link)->Next;
    *link = mdl;
  }
  return mdl;
}

VOID NTAPI IoFreeMdl(PMDL Mdl) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoFreeMdl", __builtin_return_address(0), Mdl, "IrqlIoDispatch");
  wdmlab::mm::free_mdl(Mdl);
}

VOID NTAPI IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(DISPATCH_LEVEL, "IoBuildPartialMdl", __builtin_return_address(0), SourceMdl,
                                   "IrqlIoDispatch");
  const ULONG_PTR offset =
      reinterpret_cast<ULONG_PTR>(VirtualAddress) - reinterpret_cast<ULONG_PTR>(MmGetMdlVirtualAddress(SourceMdl));
  if (Length == 0) Length = SourceMdl->ByteCount - static_cast<ULONG>(offset);
  TargetMdl->StartVa = PAGE_ALIGN(VirtualAddress);
  TargetMdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
  TargetMdl->ByteCount = Length;
  TargetMdl->Process = SourceMdl->Process;
  TargetMdl->MdlFlags = static_cast<CSHORT>(
      (TargetMdl->MdlFlags & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED)) | MDL_PARTIAL |
      (SourceMdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_SPACE)));
  if ((SourceMdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA)) != 0) {
    TargetMdl->MappedSystemVa = static_cast<char*>(SourceMdl->MappedSystemVa) + offset;
  }
  const std::size_t first_page = (BYTE_OFFSET(MmGetMdlVirtualAddress(SourceMdl)) + offset) >> PAGE_SHIFT;
  const std::size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
  for (std::size_t i = 0; i < pages; ++i) MmGetMdlPfnArray(TargetMdl)[i] = MmGetMdlPfnArray(SourceMdl)[first_page + i];
}

}  // extern "C"
