// NtCancelIoFile, NtCancelIoFileEx and NtCancelSynchronousIoFile.
#include "io/cancel.hpp"
#include "io/driver.hpp"
#include "io/file_services.hpp"
#include "mm/user_memory.hpp"
#include "ob/object.hpp"
#include "ob/previous_mode.hpp"
#include "ps/process.hpp"

namespace wdmlab::io {

namespace {

NTSTATUS report(KPROCESSOR_MODE mode, PIO_STATUS_BLOCK io_status_block, NTSTATUS status) {
  if (io_status_block == nullptr) return status;
  IO_STATUS_BLOCK result{};
  result.Status = status;
  const NTSTATUS stored = mm::store(mode, io_status_block, result);
  return NT_SUCCESS(stored) ? status : stored;
}

bool is_synchronous(PIRP irp) {
  PFILE_OBJECT file = irp->Tail.Overlay.OriginalFileObject;
  return (irp->Flags & IRP_SYNCHRONOUS_API) != 0 || (file != nullptr && (file->Flags & FO_SYNCHRONOUS_IO) != 0);
}

}  // namespace

NTSTATUS cancel_io_file(HANDLE file_handle, PIO_STATUS_BLOCK request, bool all_threads,
                        PIO_STATUS_BLOCK io_status_block) {
  const KPROCESSOR_MODE mode = ob::previous_mode();
  ob::ObjectManager& objects = IoManager::require().objects();
  PFILE_OBJECT file = nullptr;
  NTSTATUS status = objects.reference_by_handle(file_handle, 0, IoManager::require().file_type(), mode,
                                                reinterpret_cast<void**>(&file), nullptr);
  if (!NT_SUCCESS(status)) return status;
  const auto matches = [file, request](PIRP irp) {
    return irp->Tail.Overlay.OriginalFileObject == file && (request == nullptr || irp->UserIosb == request);
  };
  ps::ProcessManager& processes = ps::ProcessManager::require();
  std::size_t matched = 0;
  if (all_threads) {
    // Cancel routines run in between, and other threads of the process may end meanwhile: work
    // on a referenced copy of the list.
    const std::vector<_ETHREAD*> threads = processes.current_process()->threads;
    for (_ETHREAD* thread : threads) objects.reference(thread);
    for (_ETHREAD* thread : threads) {
      matched += cancel_thread_irps(*thread, matches);
      objects.dereference(thread);
    }
  } else {
    matched = cancel_thread_irps(*processes.current_thread(), matches);
  }
  objects.dereference(file);
  if (all_threads && matched == 0) return STATUS_NOT_FOUND;
  return report(mode, io_status_block, STATUS_SUCCESS);
}

NTSTATUS cancel_synchronous_io_file(HANDLE thread_handle, PIO_STATUS_BLOCK request, PIO_STATUS_BLOCK io_status_block) {
  const KPROCESSOR_MODE mode = ob::previous_mode();
  ob::ObjectManager& objects = IoManager::require().objects();
  _ETHREAD* thread = nullptr;
  NTSTATUS status = objects.reference_by_handle(thread_handle, THREAD_TERMINATE,
                                                ps::ProcessManager::require().thread_type(), mode,
                                                reinterpret_cast<void**>(&thread), nullptr);
  if (!NT_SUCCESS(status)) return status;
  const std::size_t matched = cancel_thread_irps(
      *thread, [request](PIRP irp) { return is_synchronous(irp) && (request == nullptr || irp->UserIosb == request); });
  objects.dereference(thread);
  if (matched == 0) return STATUS_NOT_FOUND;
  return report(mode, io_status_block, STATUS_SUCCESS);
}

}  // namespace wdmlab::io
