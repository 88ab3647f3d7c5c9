// File objects: the Device type's parse procedure (IRP_MJ_CREATE), the File type's close
// procedure (IRP_MJ_CLEANUP) and delete procedure (IRP_MJ_CLOSE).
#include "io/file.hpp"

#include <fmt/format.h>

#include <cstring>

#include "base/check.hpp"
#include "ex/executive.hpp"
#include "io/completion_port.hpp"
#include "io/device.hpp"
#include "io/driver.hpp"
#include "io/open_packet.hpp"
#include "io/request.hpp"
#include "ke/bugcheck.hpp"
#include "ob/object.hpp"

namespace wdmlab::io {

namespace {

// The lab's part of a file object body, after the FILE_OBJECT.
struct FileObjectBody {
  FILE_OBJECT object;
  bool opened;             // IRP_MJ_CREATE succeeded: cleanup and close are owed
  bool cleanup_sent;
};

FileObjectBody& body_of(PFILE_OBJECT file) { return *reinterpret_cast<FileObjectBody*>(file); }

ULONG file_flags_for(ULONG create_options) {
  ULONG flags = 0;
  if ((create_options & FILE_SYNCHRONOUS_IO_ALERT) != 0) flags |= FO_SYNCHRONOUS_IO | FO_ALERTABLE_IO;
  if ((create_options & FILE_SYNCHRONOUS_IO_NONALERT) != 0) flags |= FO_SYNCHRONOUS_IO;
  if ((create_options & FILE_NO_INTERMEDIATE_BUFFERING) != 0) flags |= FO_NO_INTERMEDIATE_BUFFERING;
  if ((create_options & FILE_WRITE_THROUGH) != 0) flags |= FO_WRITE_THROUGH;
  if ((create_options & FILE_SEQUENTIAL_ONLY) != 0) flags |= FO_SEQUENTIAL_ONLY;
  if ((create_options & FILE_RANDOM_ACCESS) != 0) flags |= FO_RANDOM_ACCESS;
  if ((create_options & FILE_DELETE_ON_CLOSE) != 0) flags |= FO_DELETE_ON_CLOSE;
  return flags;
}

void set_file_name(PFILE_OBJECT file, std::u16string_view name) {
  if (name.empty()) return;
  const std::size_t bytes = name.size() * sizeof(WCHAR);
  auto* buffer = static_cast<PWCH>(ex::Executive::require().pool().allocate(
      ex::PoolRequest{.type = PagedPool, .bytes = bytes, .tag = 'mNoI', .zero = false, .driver = nullptr}));
  WDMLAB_CHECK(buffer != nullptr, "no pool for a file name");
  std::memcpy(buffer, name.data(), bytes);
  file->FileName.Buffer = buffer;
  file->FileName.Length = static_cast<USHORT>(bytes);
  file->FileName.MaximumLength = static_cast<USHORT>(bytes);
}

// The Device type's parse procedure: opening a name that leads to a device object.
NTSTATUS parse_device(void* parsed_object, const ob::ParseRequest& request, ob::ParseOutcome& outcome) {
  auto* packet = static_cast<OpenPacket*>(request.context);
  if (packet == nullptr || packet->magic != OpenPacket::kMagic) return STATUS_OBJECT_TYPE_MISMATCH;
  auto* device = static_cast<PDEVICE_OBJECT>(parsed_object);
  const DeviceNode& node = node_of(device);
  if ((node.extension_flags & (kDoeUnloadPending | kDoeDeletePending | kDoeRemovePending | kDoeRemoveProcessed)) !=
          0 ||
      (device->Flags & DO_DEVICE_INITIALIZING) != 0) {
    return STATUS_NO_SUCH_DEVICE;
  }
  if ((device->Flags & DO_EXCLUSIVE) != 0 && device->ReferenceCount != 0) return STATUS_ACCESS_DENIED;

  IoManager& manager = IoManager::require();
  const ACCESS_MASK granted = ob::ObjectManager::granted_access(request.desired_access, *manager.file_type());
  auto* body = static_cast<FileObjectBody*>(manager.objects().create_object(manager.file_type(), sizeof(FileObjectBody)));
  PFILE_OBJECT file = &body->object;
  file->Type = IO_TYPE_FILE;
  file->Size = static_cast<CSHORT>(sizeof(FILE_OBJECT));
  file->DeviceObject = device;
  file->Flags = file_flags_for(packet->create_options);
  file->ReadAccess = (granted & (FILE_READ_DATA | FILE_EXECUTE)) != 0;
  file->WriteAccess = (granted & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0;
  file->DeleteAccess = (granted & DELETE) != 0;
  file->SharedRead = (packet->share_access & FILE_SHARE_READ) != 0;
  file->SharedWrite = (packet->share_access & FILE_SHARE_WRITE) != 0;
  file->SharedDelete = (packet->share_access & FILE_SHARE_DELETE) != 0;
  KeInitializeEvent(&file->Lock, SynchronizationEvent, FALSE);
  KeInitializeEvent(&file->Event, NotificationEvent, FALSE);
  KeInitializeSpinLock(&file->IrpListLock);
  InitializeListHead(&file->IrpList);
  set_file_name(file, request.remaining);
  ++device->ReferenceCount;

  PDEVICE_OBJECT target = top_of_stack(device);
  PIRP irp = new_request(target, file, request.access_mode, IRP_MJ_CREATE,
                         IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API | IRP_DEFER_IO_COMPLETION);
  if (irp == nullptr) {
    file->DeviceObject = nullptr;
    release_open(device);
    manager.objects().dereference(file);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  IO_STATUS_BLOCK status_block{};
  irp->UserEvent = &event;
  irp->UserIosb = &status_block;
  irp->Overlay.AllocationSize = packet->allocation_size;
  irp->AssociatedIrp.SystemBuffer = packet->ea_buffer;

  packet->access_state.SecurityEvaluated = TRUE;
  packet->access_state.OriginalDesiredAccess = request.desired_access;
  packet->access_state.PreviouslyGrantedAccess = granted;
  packet->access_state.RemainingDesiredAccess = 0;
  packet->security_context.AccessState = &packet->access_state;
  packet->security_context.DesiredAccess = granted;
  packet->security_context.FullCreateOptions = packet->create_options;
  PIO_STACK_LOCATION location = IoGetNextIrpStackLocation(irp);
  location->Flags = (request.attributes & OBJ_CASE_INSENSITIVE) != 0 ? 0 : SL_CASE_SENSITIVE;
  location->Parameters.Create.SecurityContext = &packet->security_context;
  location->Parameters.Create.Options = (packet->disposition << 24) | (packet->create_options & 0x00FFFFFF);
  location->Parameters.Create.FileAttributes = static_cast<USHORT>(packet->file_attributes);
  location->Parameters.Create.ShareAccess = static_cast<USHORT>(packet->share_access);
  location->Parameters.Create.EaLength = packet->ea_length;

  NTSTATUS status = send_request(target, irp);
  if (status == STATUS_PENDING) {
    KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr);
    status = status_block.Status;
  } else if (NT_SUCCESS(status)) {
    status = status_block.Status;
  }
  packet->information = status_block.Information;
  packet->parsed = true;
  if (!NT_SUCCESS(status)) {
    // A failed open: no cleanup or close is ever sent for this file object.
    file->DeviceObject = nullptr;
    release_open(device);
    manager.objects().dereference(file);
    return status;
  }
  body->opened = true;
  outcome.object = file;
  return STATUS_SUCCESS;
}

// The File type's close procedure: the last handle to the file object is gone.
void close_file(void* object, void* process, ACCESS_MASK granted, std::int64_t remaining_handles) {
  (void)process;
  (void)granted;
  auto* file = static_cast<PFILE_OBJECT>(object);
  FileObjectBody& body = body_of(file);
  if (remaining_handles != 0 || !body.opened || body.cleanup_sent) return;
  body.cleanup_sent = true;
  (void)send_close_operation(file, IRP_MJ_CLEANUP);
  file->Flags |= FO_CLEANUP_COMPLETE;
}

// The File type's delete procedure: the last reference is gone.
void delete_file(void* object) {
  auto* file = static_cast<PFILE_OBJECT>(object);
  FileObjectBody& body = body_of(file);
  PDEVICE_OBJECT device = file->DeviceObject;
  if (body.opened && device != nullptr) {
    (void)send_close_operation(file, IRP_MJ_CLOSE);
    release_open(device);
  }
  release_completion_context(file);
  if (file->FileName.Buffer != nullptr) ex::Executive::require().pool().free(file->FileName.Buffer);
  file->FileName = {};
}

}  // namespace

void install_file_types(IoManager& manager) {
  _OBJECT_TYPE* device = manager.device_type();
  device->parse_procedure = &parse_device;
  _OBJECT_TYPE* file = manager.file_type();
  file->wait_object_offset = offsetof(FILE_OBJECT, Event);
  file->close_procedure = &close_file;
  file->delete_procedure = &delete_file;
}

void acquire_file_lock(PFILE_OBJECT file) {
  while (file->Busy != 0) {
    file->Waiters = file->Waiters + 1;
    KeWaitForSingleObject(&file->Lock, Executive, KernelMode, FALSE, nullptr);
    file->Waiters = file->Waiters - 1;
  }
  file->Busy = 1;
}

void release_file_lock(PFILE_OBJECT file) {
  file->Busy = 0;
  if (file->Waiters != 0) KeSetEvent(&file->Lock, 0, FALSE);
}

PFILE_OBJECT referenced_file(const IRP* irp) {
  if ((irp->Flags & (IRP_CREATE_OPERATION | IRP_CLOSE_OPERATION)) != 0) return nullptr;
  return irp->Tail.Overlay.OriginalFileObject;
}

void dereference_file(PFILE_OBJECT file) { IoManager::require().objects().dereference(file); }

}  // namespace wdmlab::io
