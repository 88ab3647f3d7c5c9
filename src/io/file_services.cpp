// NtCreateFile, NtOpenFile, NtReadFile, NtWriteFile and NtDeviceIoControlFile, and the Zw
// routines drivers call.
#include "io/file_services.hpp"

#include <algorithm>

#include "ex/executive.hpp"
#include "io/cancel.hpp"
#include "io/device.hpp"
#include "io/driver.hpp"
#include "io/file.hpp"
#include "io/open_packet.hpp"
#include "io/request.hpp"
#include "ke/bugcheck.hpp"
#include "mm/mdl.hpp"
#include "mm/user_memory.hpp"
#include "ob/object.hpp"
#include "ob/previous_mode.hpp"
#include "ps/process.hpp"
#include "sched/scheduler.hpp"
#include "ob/zw_arguments.hpp"

namespace wdmlab::io {

namespace {

constexpr ULONG kValidCreateOptions = 0x00FFFFFF;
constexpr ULONG kFileUseFilePointerPosition = 0xFFFFFFFE;

NTSTATUS probe_for_write(KPROCESSOR_MODE mode, const volatile void* address, SIZE_T length, ULONG alignment) {
  return mode == UserMode ? mm::probe(address, length, alignment) : STATUS_SUCCESS;
}

// Copies a value the caller passed by pointer (an OBJECT_ATTRIBUTES, a byte offset, a key).
template <typename T>
NTSTATUS capture(KPROCESSOR_MODE mode, const T* source, T& value) {
  if (mode == KernelMode) {
    value = *source;
    return STATUS_SUCCESS;
  }
  const NTSTATUS status = mm::probe(source, sizeof(T), alignof(T) < 4 ? alignof(T) : 4);
  if (!NT_SUCCESS(status)) return status;
  return mm::copy_from_user(&value, source, sizeof(T));
}

// What a read, write or device control holds while it builds its request.
struct Transfer {
  KPROCESSOR_MODE mode = KernelMode;
  PFILE_OBJECT file = nullptr;
  ACCESS_MASK granted = 0;
  PKEVENT event = nullptr;
  bool synchronous = false;
  bool locked = false;

  // Undoes what begin() took, for a request that is not sent.
  NTSTATUS abandon(NTSTATUS status) {
    ob::ObjectManager& objects = IoManager::require().objects();
    if (locked) release_file_lock(file);
    if (event != nullptr) objects.dereference(event);
    if (file != nullptr) objects.dereference(file);
    return status;
  }
};

// References the file and event handles and takes a synchronous file object's lock.
NTSTATUS begin(Transfer& transfer, HANDLE file_handle, ACCESS_MASK access, HANDLE event_handle,
               PIO_STATUS_BLOCK io_status_block) {
  ob::ObjectManager& objects = IoManager::require().objects();
  transfer.mode = ob::previous_mode();
  OBJECT_HANDLE_INFORMATION information{};
  NTSTATUS status = objects.reference_by_handle(file_handle, access, IoManager::require().file_type(), transfer.mode,
                                                reinterpret_cast<void**>(&transfer.file), &information);
  if (!NT_SUCCESS(status)) return status;
  transfer.granted = information.GrantedAccess;
  status = probe_for_write(transfer.mode, io_status_block, sizeof(IO_STATUS_BLOCK), sizeof(ULONG));
  if (!NT_SUCCESS(status)) return transfer.abandon(status);
  if (event_handle != nullptr) {
    status = objects.reference_by_handle(event_handle, EVENT_MODIFY_STATE, objects.event_type(), transfer.mode,
                                         reinterpret_cast<void**>(&transfer.event), nullptr);
    if (!NT_SUCCESS(status)) return transfer.abandon(status);
    KeClearEvent(transfer.event);
  }
  transfer.synchronous = (transfer.file->Flags & FO_SYNCHRONOUS_IO) != 0;
  if (transfer.synchronous) {
    acquire_file_lock(transfer.file);
    transfer.locked = true;
    KeClearEvent(&transfer.file->Event);
  }
  return STATUS_SUCCESS;
}

// A new request for the transfer's file, with the caller's status block, event and APC.
PIRP new_transfer_request(Transfer& transfer, UCHAR major, ULONG flags, PIO_STATUS_BLOCK io_status_block,
                          PIO_APC_ROUTINE apc_routine, PVOID apc_context) {
  PDEVICE_OBJECT target = top_of_stack(transfer.file->DeviceObject);
  PIRP irp = new_request(target, transfer.file, transfer.mode, major, flags | IRP_DEFER_IO_COMPLETION);
  if (irp == nullptr) return nullptr;
  irp->UserIosb = io_status_block;
  irp->UserEvent = transfer.event;
  irp->Overlay.AsynchronousParameters.UserApcRoutine = apc_routine;
  irp->Overlay.AsynchronousParameters.UserApcContext = apc_context;
  return irp;
}

// Frees a request that was built but not sent, and what it holds.
NTSTATUS discard_request(Transfer& transfer, PIRP irp, NTSTATUS status) {
  if ((irp->Flags & IRP_DEALLOCATE_BUFFER) != 0 && irp->AssociatedIrp.SystemBuffer != nullptr) {
    ex::Executive::require().pool().free(irp->AssociatedIrp.SystemBuffer);
  }
  for (PMDL mdl = irp->MdlAddress; mdl != nullptr;) {
    PMDL next = mdl->Next;
    if ((mdl->MdlFlags & MDL_PAGES_LOCKED) != 0) mm::unlock_pages(mdl);
    mm::free_mdl(mdl);
    mdl = next;
  }
  irp->MdlAddress = nullptr;
  RemoveEntryList(&irp->ThreadListEntry);
  InitializeListHead(&irp->ThreadListEntry);
  IoManager::require().free_irp(irp, nullptr);
  return transfer.abandon(status);
}

// A system buffer of `length` bytes for `irp`, or null (STATUS_INSUFFICIENT_RESOURCES).
PVOID allocate_system_buffer(PIRP irp, ULONG length) {
  PVOID buffer = ex::Executive::require().pool().allocate(
      ex::PoolRequest{.type = NonPagedPoolNx, .bytes = length, .tag = 'fBoI', .zero = false, .driver = nullptr});
  if (buffer == nullptr) return nullptr;
  irp->AssociatedIrp.SystemBuffer = buffer;
  irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
  IoManager::require().irps().find(irp)->system_buffer_length = length;
  return buffer;
}

// An MDL over the caller's buffer, probed and locked for `operation`, chained to the IRP.
NTSTATUS lock_user_buffer(PIRP irp, PVOID buffer, ULONG length, KPROCESSOR_MODE mode, LOCK_OPERATION operation) {
  PMDL mdl = mm::allocate_mdl(buffer, length, nullptr);
  if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  const NTSTATUS status = mm::probe_and_lock(mdl, mode, operation);
  if (!NT_SUCCESS(status)) {
    mm::free_mdl(mdl);
    return status;
  }
  irp->MdlAddress = mdl;
  return STATUS_SUCCESS;
}

// Sends the request and, for a synchronous file object, waits for it. The references begin() took
// on the file object and the event pass to the request, whose final stage drops them.
NTSTATUS finish_transfer(Transfer& transfer, PIRP irp) {
  PFILE_OBJECT file = transfer.file;
  if (!transfer.synchronous) return send_request(top_of_stack(file->DeviceObject), irp);
  ob::ObjectManager& objects = IoManager::require().objects();
  objects.reference(file);
  NTSTATUS status = send_request(top_of_stack(file->DeviceObject), irp);
  if (status == STATUS_PENDING) {
    const NTSTATUS waited = KeWaitForSingleObject(&file->Event, Executive, transfer.mode, FALSE, nullptr);
    if (waited == STATUS_USER_APC) {
      // The thread is being terminated: as Windows does for an interrupted synchronous request,
      // cancel it and wait for it in kernel mode (a driver that never completes it keeps the
      // thread here).
      (void)cancel_thread_irps(*ps::ProcessManager::require().current_thread(),
                               [irp](PIRP candidate) { return candidate == irp; });
      KeWaitForSingleObject(&file->Event, Executive, KernelMode, FALSE, nullptr);
    }
    status = file->FinalStatus;
  }
  release_file_lock(file);
  objects.dereference(file);
  return status;
}

// The byte offset of a read or write: the caller's, or the file position for a synchronous file
// object. Asynchronous requests must give one.
NTSTATUS byte_offset_for(Transfer& transfer, PLARGE_INTEGER byte_offset, LARGE_INTEGER& offset) {
  if (byte_offset != nullptr) {
    const NTSTATUS status = capture(transfer.mode, byte_offset, offset);
    if (!NT_SUCCESS(status)) return status;
  }
  const bool use_position = byte_offset == nullptr || (offset.HighPart == -1 && offset.LowPart == kFileUseFilePointerPosition);
  if (!use_position) return STATUS_SUCCESS;
  if (!transfer.synchronous) return STATUS_INVALID_PARAMETER;
  offset = transfer.file->CurrentByteOffset;
  return STATUS_SUCCESS;
}

NTSTATUS read_or_write(bool write, HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                       PIO_STATUS_BLOCK io_status_block, PVOID buffer, ULONG length, PLARGE_INTEGER byte_offset,
                       PULONG key) {
  Transfer transfer;
  NTSTATUS status = begin(transfer, file_handle, write ? FILE_WRITE_DATA : FILE_READ_DATA, event, io_status_block);
  if (!NT_SUCCESS(status)) return status;
  // The top of the stack decides how buffers are passed (that is why filters copy DO_BUFFERED_IO
  // and DO_DIRECT_IO from the device below them).
  PDEVICE_OBJECT device = top_of_stack(transfer.file->DeviceObject);
  if (transfer.mode == UserMode && length != 0) {
    const ULONG alignment = (transfer.file->Flags & FO_NO_INTERMEDIATE_BUFFERING) != 0
                                ? device->AlignmentRequirement + 1
                                : static_cast<ULONG>(sizeof(UCHAR));
    // NtReadFile probes the buffer for writing (every page touched), NtWriteFile for reading.
    status = write ? mm::probe(buffer, length, alignment) : mm::probe_for_write(buffer, length, alignment);
    if (!NT_SUCCESS(status)) return transfer.abandon(status);
  }
  LARGE_INTEGER offset{};
  status = byte_offset_for(transfer, byte_offset, offset);
  if (!NT_SUCCESS(status)) return transfer.abandon(status);
  ULONG key_value = 0;
  if (key != nullptr) {
    status = capture(transfer.mode, key, key_value);
    if (!NT_SUCCESS(status)) return transfer.abandon(status);
  }

  PIRP irp = new_transfer_request(transfer, write ? IRP_MJ_WRITE : IRP_MJ_READ,
                                  write ? IRP_WRITE_OPERATION : IRP_READ_OPERATION, io_status_block, apc_routine,
                                  apc_context);
  if (irp == nullptr) return transfer.abandon(STATUS_INSUFFICIENT_RESOURCES);
  PIO_STACK_LOCATION location = IoGetNextIrpStackLocation(irp);
  location->Parameters.Read.Length = length;
  location->Parameters.Read.Key = key_value;
  location->Parameters.Read.ByteOffset = offset;
  irp->UserBuffer = buffer;
  if (length != 0) {
    if ((device->Flags & DO_BUFFERED_IO) != 0) {
      PVOID system_buffer = allocate_system_buffer(irp, length);
      if (system_buffer == nullptr) return discard_request(transfer, irp, STATUS_INSUFFICIENT_RESOURCES);
      if (write) {
        status = mm::copy_from_user(system_buffer, buffer, length);
        if (!NT_SUCCESS(status)) return discard_request(transfer, irp, status);
      } else {
        irp->Flags |= IRP_INPUT_OPERATION;
      }
    } else if ((device->Flags & DO_DIRECT_IO) != 0) {
      status = lock_user_buffer(irp, buffer, length, transfer.mode, write ? IoReadAccess : IoWriteAccess);
      if (!NT_SUCCESS(status)) return discard_request(transfer, irp, status);
    }
  }
  return finish_transfer(transfer, irp);
}

}  // namespace

NTSTATUS create_file(PHANDLE file_handle, ACCESS_MASK desired_access, POBJECT_ATTRIBUTES object_attributes,
                     PIO_STATUS_BLOCK io_status_block, PLARGE_INTEGER allocation_size, ULONG file_attributes,
                     ULONG share_access, ULONG create_disposition, ULONG create_options, PVOID ea_buffer,
                     ULONG ea_length) {
  const KPROCESSOR_MODE mode = ob::previous_mode();
  NTSTATUS status = probe_for_write(mode, file_handle, sizeof(HANDLE), sizeof(ULONG));
  if (NT_SUCCESS(status)) status = probe_for_write(mode, io_status_block, sizeof(IO_STATUS_BLOCK), sizeof(ULONG));
  if (!NT_SUCCESS(status)) return status;
  OBJECT_ATTRIBUTES attributes{};
  status = capture(mode, object_attributes, attributes);
  if (!NT_SUCCESS(status)) return status;

  const bool alert = (create_options & FILE_SYNCHRONOUS_IO_ALERT) != 0;
  const bool no_alert = (create_options & FILE_SYNCHRONOUS_IO_NONALERT) != 0;
  if (create_disposition > FILE_MAXIMUM_DISPOSITION || (create_options & ~kValidCreateOptions) != 0 ||
      (alert && no_alert) || ((alert || no_alert) && (desired_access & SYNCHRONIZE) == 0) ||
      ((create_options & FILE_DIRECTORY_FILE) != 0 && (create_options & FILE_NON_DIRECTORY_FILE) != 0) ||
      (share_access & ~FILE_SHARE_VALID_FLAGS) != 0) {
    return STATUS_INVALID_PARAMETER;
  }

  OpenPacket packet;
  packet.disposition = create_disposition;
  packet.create_options = create_options;
  packet.share_access = share_access;
  packet.file_attributes = file_attributes;
  if (allocation_size != nullptr) {
    status = capture(mode, allocation_size, packet.allocation_size);
    if (!NT_SUCCESS(status)) return status;
  }
  packet.ea_buffer = ea_buffer;
  packet.ea_length = ea_length;

  ob::ObjectManager& objects = IoManager::require().objects();
  HANDLE handle = nullptr;
  status = objects.open_by_name(&attributes, nullptr, desired_access, mode, &packet, &handle);
  if (NT_SUCCESS(status) && !packet.parsed) {
    // The name is some other kind of object; a file open needs a device.
    (void)objects.close(handle, KernelMode);
    return STATUS_OBJECT_TYPE_MISMATCH;
  }
  if (!NT_SUCCESS(status)) return status;
  IO_STATUS_BLOCK result{};
  result.Status = status;
  result.Information = packet.information;
  NTSTATUS stored = mm::store(mode, io_status_block, result);
  if (NT_SUCCESS(stored)) stored = mm::store(mode, file_handle, handle);
  if (!NT_SUCCESS(stored)) {
    (void)objects.close(handle, KernelMode);
    return stored;
  }
  return status;
}

NTSTATUS read_file(HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                   PIO_STATUS_BLOCK io_status_block, PVOID buffer, ULONG length, PLARGE_INTEGER byte_offset,
                   PULONG key) {
  return read_or_write(false, file_handle, event, apc_routine, apc_context, io_status_block, buffer, length,
                       byte_offset, key);
}

NTSTATUS write_file(HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                    PIO_STATUS_BLOCK io_status_block, PVOID buffer, ULONG length, PLARGE_INTEGER byte_offset,
                    PULONG key) {
  return read_or_write(true, file_handle, event, apc_routine, apc_context, io_status_block, buffer, length,
                       byte_offset, key);
}

NTSTATUS device_io_control_file(HANDLE file_handle, HANDLE event, PIO_APC_ROUTINE apc_routine, PVOID apc_context,
                                PIO_STATUS_BLOCK io_status_block, ULONG io_control_code, PVOID input_buffer,
                                ULONG input_buffer_length, PVOID output_buffer, ULONG output_buffer_length) {
  Transfer transfer;
  NTSTATUS status = begin(transfer, file_handle, 0, event, io_status_block);
  if (!NT_SUCCESS(status)) return status;
  const ULONG required = (io_control_code >> 14) & 3;
  if (((required & FILE_READ_ACCESS) != 0 && (transfer.granted & FILE_READ_DATA) == 0) ||
      ((required & FILE_WRITE_ACCESS) != 0 && (transfer.granted & FILE_WRITE_DATA) == 0)) {
    return transfer.abandon(STATUS_ACCESS_DENIED);
  }
  const ULONG method = METHOD_FROM_CTL_CODE(io_control_code);
  if (transfer.mode == UserMode && method != METHOD_NEITHER) {
    if (input_buffer_length != 0) status = mm::probe(input_buffer, input_buffer_length, sizeof(UCHAR));
    if (NT_SUCCESS(status) && output_buffer_length != 0 && method == METHOD_BUFFERED) {
      status = mm::probe_for_write(output_buffer, output_buffer_length, sizeof(UCHAR));
    }
    if (!NT_SUCCESS(status)) return transfer.abandon(status);
  }

  PIRP irp = new_transfer_request(transfer, IRP_MJ_DEVICE_CONTROL, 0, io_status_block, apc_routine, apc_context);
  if (irp == nullptr) return transfer.abandon(STATUS_INSUFFICIENT_RESOURCES);
  PIO_STACK_LOCATION location = IoGetNextIrpStackLocation(irp);
  location->Parameters.DeviceIoControl.OutputBufferLength = output_buffer_length;
  location->Parameters.DeviceIoControl.InputBufferLength = input_buffer_length;
  location->Parameters.DeviceIoControl.IoControlCode = io_control_code;
  switch (method) {
    case METHOD_BUFFERED: {
      const ULONG length = std::max(input_buffer_length, output_buffer_length);
      if (length != 0) {
        PVOID system_buffer = allocate_system_buffer(irp, length);
        if (system_buffer == nullptr) return discard_request(transfer, irp, STATUS_INSUFFICIENT_RESOURCES);
        if (input_buffer_length != 0) {
          status = mm::copy_from_user(system_buffer, input_buffer, input_buffer_length);
          if (!NT_SUCCESS(status)) return discard_request(transfer, irp, status);
        }
        if (output_buffer_length != 0) irp->Flags |= IRP_INPUT_OPERATION;
      }
      irp->UserBuffer = output_buffer;
      break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
      if (input_buffer_length != 0) {
        PVOID system_buffer = allocate_system_buffer(irp, input_buffer_length);
        if (system_buffer == nullptr) return discard_request(transfer, irp, STATUS_INSUFFICIENT_RESOURCES);
        status = mm::copy_from_user(system_buffer, input_buffer, input_buffer_length);
        if (!NT_SUCCESS(status)) return discard_request(transfer, irp, status);
      }
      if (output_buffer_length != 0) {
        status = lock_user_buffer(irp, output_buffer, output_buffer_length, transfer.mode,
                                  method == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
        if (!NT_SUCCESS(status)) return discard_request(transfer, irp, status);
      }
      break;
    default:
      location->Parameters.DeviceIoControl.Type3InputBuffer = input_buffer;
      irp->UserBuffer = output_buffer;
      break;
  }
  return finish_transfer(transfer, irp);
}

}  // namespace wdmlab::io

using namespace wdmlab::io;

extern "C" {

NTSTATUS NTAPI ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                            PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                            ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                            ULONG EaLength) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwCreateFile", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwCreateFile", ObjectAttributes,
                                 {FileHandle, IoStatusBlock, AllocationSize, EaBuffer}, __builtin_return_address(0));
  wdmlab::ob::KernelModeCall kernel_mode;
  return create_file(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, AllocationSize, FileAttributes,
                     ShareAccess, CreateDisposition, CreateOptions, EaBuffer, EaLength);
}

NTSTATUS NTAPI ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                          PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwOpenFile", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwOpenFile", ObjectAttributes, {FileHandle, IoStatusBlock},
                                 __builtin_return_address(0));
  wdmlab::ob::KernelModeCall kernel_mode;
  return create_file(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, nullptr, 0, ShareAccess, FILE_OPEN,
                     OpenOptions, nullptr, 0);
}

NTSTATUS NTAPI ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                          PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                          PULONG Key) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwReadFile", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwReadFile", nullptr, {IoStatusBlock, Buffer, ByteOffset, Key},
                                 __builtin_return_address(0));
  wdmlab::ob::KernelModeCall kernel_mode;
  return read_file(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key);
}

NTSTATUS NTAPI ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                           PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                           PULONG Key) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwWriteFile", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwWriteFile", nullptr, {IoStatusBlock, Buffer, ByteOffset, Key},
                                 __builtin_return_address(0));
  wdmlab::ob::KernelModeCall kernel_mode;
  return write_file(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key);
}

NTSTATUS NTAPI ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                     PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer,
                                     ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "ZwDeviceIoControlFile", __builtin_return_address(0), nullptr,
                                   "IrqlZwPassive");
  wdmlab::ob::check_zw_arguments("ZwDeviceIoControlFile", nullptr, {IoStatusBlock, InputBuffer, OutputBuffer},
                                 __builtin_return_address(0));
  wdmlab::ob::KernelModeCall kernel_mode;
  return device_io_control_file(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode, InputBuffer,
                                InputBufferLength, OutputBuffer, OutputBufferLength);
}

NTSTATUS NTAPI IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess,
                                        PFILE_OBJECT* FileObject, PDEVICE_OBJECT* DeviceObject) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoGetDeviceObjectPointer", __builtin_return_address(0), nullptr,
                                   "IrqlIoPassive5");
  wdmlab::ob::KernelModeCall kernel_mode;
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, ObjectName, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, nullptr, nullptr);
  HANDLE handle = nullptr;
  IO_STATUS_BLOCK status_block{};
  NTSTATUS status =
      create_file(&handle, DesiredAccess, &attributes, &status_block, nullptr, 0, 0, FILE_OPEN, FILE_NON_DIRECTORY_FILE,
                  nullptr, 0);
  if (!NT_SUCCESS(status)) return status;
  wdmlab::ob::ObjectManager& objects = IoManager::require().objects();
  PFILE_OBJECT file = nullptr;
  status = objects.reference_by_handle(handle, 0, IoManager::require().file_type(), KernelMode,
                                       reinterpret_cast<void**>(&file), nullptr);
  if (NT_SUCCESS(status)) {
    *FileObject = file;
    *DeviceObject = top_of_stack(file->DeviceObject);
  }
  (void)objects.close(handle, KernelMode);
  return status;
}

PDEVICE_OBJECT NTAPI IoGetRelatedDeviceObject(PFILE_OBJECT FileObject) {
  wdmlab::sched::scheduling_point();
  return top_of_stack(FileObject->DeviceObject);
}

NTSTATUS NTAPI IoAttachDevice(PDEVICE_OBJECT SourceDevice, PUNICODE_STRING TargetDevice,
                              PDEVICE_OBJECT* AttachedDevice) {
  wdmlab::sched::scheduling_point();
  wdmlab::ke::require_irql_at_most(PASSIVE_LEVEL, "IoAttachDevice", __builtin_return_address(0), SourceDevice,
                                   "IrqlIoPassive1");
  PFILE_OBJECT file = nullptr;
  PDEVICE_OBJECT target = nullptr;
  NTSTATUS status = IoGetDeviceObjectPointer(TargetDevice, FILE_READ_ATTRIBUTES, &file, &target);
  if (!NT_SUCCESS(status)) return status;
  status = IoAttachDeviceToDeviceStackSafe(SourceDevice, file->DeviceObject, AttachedDevice);
  IoManager::require().objects().dereference(file);
  return status;
}

}  // extern "C"
