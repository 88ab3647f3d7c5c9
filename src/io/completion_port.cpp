// I/O completion ports.
#include "io/completion_port.hpp"

#include <deque>
#include <new>

#include "io/driver.hpp"
#include "ob/object.hpp"
#include "ob/previous_mode.hpp"
#include "mm/user_memory.hpp"

namespace wdmlab::io {

namespace {

struct Packet {
  PVOID key;
  PVOID apc_context;
  IO_STATUS_BLOCK status;
};

struct CompletionPort {
  KSEMAPHORE queued;  // one unit per queued packet; must stay first (threads wait on it)
  std::deque<Packet> packets;
  ULONG concurrency;
};

constexpr GENERIC_MAPPING kMapping = {STANDARD_RIGHTS_READ | kIoCompletionQueryState,
                                      STANDARD_RIGHTS_WRITE | kIoCompletionModifyState, STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
                                      kIoCompletionAllAccess};

void delete_port(void* body) { static_cast<CompletionPort*>(body)->~CompletionPort(); }

NTSTATUS reference_port(HANDLE handle, ACCESS_MASK access, CompletionPort** port) {
  IoManager& manager = IoManager::require();
  return manager.objects().reference_by_handle(handle, access, manager.completion_port_type(), ob::previous_mode(),
                                               reinterpret_cast<void**>(port), nullptr);
}

// mm::store for an optional output: a null destination stores nothing.
template <typename T>
NTSTATUS store(KPROCESSOR_MODE mode, T* destination, const T& value) {
  return destination == nullptr ? STATUS_SUCCESS : mm::store(mode, destination, value);
}

}  // namespace

void install_completion_port_type(IoManager& manager) {
  _OBJECT_TYPE* type = manager.objects().create_type("IoCompletion", &delete_port, kMapping, kIoCompletionAllAccess);
  type->wait_object_offset = 0;
  manager.set_completion_port_type(type);
}

NTSTATUS create_io_completion(PHANDLE port_handle, ACCESS_MASK desired_access, ULONG concurrency) {
  IoManager& manager = IoManager::require();
  ob::ObjectManager& objects = manager.objects();
  auto* port = new (objects.create_object(manager.completion_port_type(), sizeof(CompletionPort))) CompletionPort{};
  KeInitializeSemaphore(&port->queued, 0, MAXLONG);
  port->concurrency = concurrency;
  const KPROCESSOR_MODE mode = ob::previous_mode();
  HANDLE handle = nullptr;
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, nullptr, 0, nullptr, nullptr);
  const NTSTATUS status = objects.insert_object(port, &attributes, desired_access, mode, &handle);
  if (!NT_SUCCESS(status)) return status;
  const NTSTATUS stored = store(mode, port_handle, handle);
  if (!NT_SUCCESS(stored)) (void)objects.close(handle, KernelMode);
  return stored;
}

void post_completion(PVOID port, PVOID key, PVOID apc_context, NTSTATUS status, ULONG_PTR information) {
  auto* queue = static_cast<CompletionPort*>(port);
  Packet packet{key, apc_context, {}};
  packet.status.Status = status;
  packet.status.Information = information;
  queue->packets.push_back(packet);
  KeReleaseSemaphore(&queue->queued, 0, 1, FALSE);
}

NTSTATUS set_io_completion(HANDLE port_handle, PVOID key, PVOID apc_context, NTSTATUS status, ULONG_PTR information) {
  CompletionPort* port = nullptr;
  const NTSTATUS referenced = reference_port(port_handle, kIoCompletionModifyState, &port);
  if (!NT_SUCCESS(referenced)) return referenced;
  post_completion(port, key, apc_context, status, information);
  IoManager::require().objects().dereference(port);
  return STATUS_SUCCESS;
}

NTSTATUS remove_io_completion(HANDLE port_handle, PVOID* key, PVOID* apc_context, PIO_STATUS_BLOCK io_status_block,
                              PLARGE_INTEGER timeout, BOOLEAN alertable) {
  CompletionPort* port = nullptr;
  NTSTATUS status = reference_port(port_handle, kIoCompletionModifyState, &port);
  if (!NT_SUCCESS(status)) return status;
  const KPROCESSOR_MODE mode = ob::previous_mode();
  status = KeWaitForSingleObject(&port->queued, WrQueue, mode, alertable, timeout);
  if (status == STATUS_WAIT_0) {
    const Packet packet = port->packets.front();
    port->packets.pop_front();
    NTSTATUS stored = store(mode, key, packet.key);
    if (NT_SUCCESS(stored)) stored = store(mode, apc_context, packet.apc_context);
    if (NT_SUCCESS(stored)) stored = store(mode, io_status_block, packet.status);
    status = NT_SUCCESS(stored) ? STATUS_SUCCESS : stored;
  }
  IoManager::require().objects().dereference(port);
  return status;
}

NTSTATUS associate_completion_port(HANDLE file_handle, HANDLE port_handle, PVOID key) {
  IoManager& manager = IoManager::require();
  PFILE_OBJECT file = nullptr;
  NTSTATUS status = manager.objects().reference_by_handle(file_handle, 0, manager.file_type(), ob::previous_mode(),
                                                          reinterpret_cast<void**>(&file), nullptr);
  if (!NT_SUCCESS(status)) return status;
  CompletionPort* port = nullptr;
  status = reference_port(port_handle, kIoCompletionModifyState, &port);
  if (NT_SUCCESS(status)) {
    if (file->CompletionContext != nullptr) {
      manager.objects().dereference(port);
      status = STATUS_INVALID_PARAMETER;
    } else {
      // The association keeps the port referenced until the file object goes.
      file->CompletionContext = new IO_COMPLETION_CONTEXT{port, key};
    }
  }
  manager.objects().dereference(file);
  return status;
}

void release_completion_context(PFILE_OBJECT file) {
  auto* context = const_cast<PIO_COMPLETION_CONTEXT>(file->CompletionContext);
  if (context == nullptr) return;
  file->CompletionContext = nullptr;
  IoManager::require().objects().dereference(context->Port);
  delete context;
}

}  // namespace wdmlab::io
