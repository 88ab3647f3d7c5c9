// The process and thread behind a request.
#include "io/driver.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"

extern "C" {

PEPROCESS NTAPI IoGetRequestorProcess(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  PETHREAD thread = Irp->Tail.Overlay.Thread;
  return thread != nullptr ? thread->process : nullptr;
}

ULONG NTAPI IoGetRequestorProcessId(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  PETHREAD thread = Irp->Tail.Overlay.Thread;
  if (thread == nullptr || thread->process == nullptr) return 0;
  return static_cast<ULONG>(reinterpret_cast<ULONG_PTR>(thread->process->UniqueProcessId));
}

BOOLEAN NTAPI IoIs32bitProcess(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  (void)Irp;
  // Every simulated process is a 64-bit process.
  return FALSE;
}

BOOLEAN NTAPI IoIsOperationSynchronous(PIRP Irp) {
  wdmlab::sched::scheduling_point();
  // IRP_SYNCHRONOUS_PAGING_IO shares its value with IRP_INPUT_OPERATION: it means something only on
  // paging I/O.
  if ((Irp->Flags & IRP_PAGING_IO) != 0) return (Irp->Flags & IRP_SYNCHRONOUS_PAGING_IO) != 0 ? TRUE : FALSE;
  if ((Irp->Flags & IRP_SYNCHRONOUS_API) != 0) return TRUE;
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
  return file != nullptr && (file->Flags & FO_SYNCHRONOUS_IO) != 0 ? TRUE : FALSE;
}

}  // extern "C"
