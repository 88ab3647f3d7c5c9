#include "ob/object.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "base/check.hpp"
#include "ke/bugcheck.hpp"
#include "sched/scheduler.hpp"
#include "verifier/verifier.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ob {

namespace {

thread_local ObjectManager* t_current = nullptr;

constexpr std::uintptr_t kKernelHandleBit = 0xFFFFFFFF80000000ULL;
constexpr ULONG kHandleAttributes = OBJ_INHERIT | OBJ_PERMANENT | OBJ_EXCLUSIVE;
constexpr ULONG kDuplicateOptions = DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS | DUPLICATE_SAME_ATTRIBUTES;

std::uintptr_t value_of(HANDLE handle) { return reinterpret_cast<std::uintptr_t>(handle); }

[[noreturn]] void bad_reference(const void* body, std::int64_t count, const char* what) {
  Finding finding;
  finding.code = REFERENCE_BY_POINTER;
  finding.name = bug_check_name(REFERENCE_BY_POINTER);
  const ObjectHeader* header = header_of(body);
  finding.parameters = {reinterpret_cast<std::uintptr_t>(header != nullptr ? header->type : nullptr),
                        reinterpret_cast<std::uintptr_t>(body), 1, static_cast<std::uint64_t>(count)};
  finding.description = fmt::format("{} on object {} whose reference count is {}.", what, body, count);
  sched::Scheduler* scheduler = sched::Scheduler::current();
  if (scheduler == nullptr || scheduler->running() == nullptr) throw UsageError(finding.description);
  scheduler->stop(std::move(finding));
}

}  // namespace

bool is_kernel_handle(HANDLE handle) {
  return (value_of(handle) & kKernelHandleBit) == kKernelHandleBit && value_of(handle) != ~std::uintptr_t{0} &&
         value_of(handle) != ~std::uintptr_t{1};
}

ACCESS_MASK map_generic(ACCESS_MASK access, const GENERIC_MAPPING& mapping) {
  ACCESS_MASK mapped = access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
  if ((access & GENERIC_READ) != 0) mapped |= mapping.GenericRead;
  if ((access & GENERIC_WRITE) != 0) mapped |= mapping.GenericWrite;
  if ((access & GENERIC_EXECUTE) != 0) mapped |= mapping.GenericExecute;
  if ((access & GENERIC_ALL) != 0) mapped |= mapping.GenericAll;
  return mapped;
}

std::u16string_view view_of(const UNICODE_STRING* string) {
  if (string == nullptr || string->Buffer == nullptr) return {};
  return {reinterpret_cast<const char16_t*>(string->Buffer), string->Length / sizeof(WCHAR)};
}

// --- handle tables -------------------------------------------------------------------------------

HANDLE HandleTable::insert(void* object, ACCESS_MASK granted, ULONG attributes) {
  std::size_t slot = 0;
  while (slot < slots_.size() && slots_[slot].object != nullptr) ++slot;
  if (slot == slots_.size()) slots_.emplace_back();
  slots_[slot] = {object, granted, attributes};
  std::uintptr_t value = (slot + 1) * 4;
  if (kernel_) value |= kKernelHandleBit;
  return reinterpret_cast<HANDLE>(value);
}

HandleEntry* HandleTable::find(HANDLE handle) {
  std::uintptr_t value = value_of(handle);
  if (kernel_) {
    if (!is_kernel_handle(handle)) return nullptr;
    value &= ~kKernelHandleBit;
  }
  if (value == 0 || value % 4 != 0) return nullptr;
  std::size_t slot = value / 4 - 1;
  if (slot >= slots_.size() || slots_[slot].object == nullptr) return nullptr;
  return &slots_[slot];
}

bool HandleTable::remove(HANDLE handle, HandleEntry& removed) {
  HandleEntry* entry = find(handle);
  if (entry == nullptr) return false;
  removed = *entry;
  *entry = HandleEntry{};
  return true;
}

std::size_t HandleTable::size() const {
  std::size_t count = 0;
  for (const auto& slot : slots_) count += slot.object != nullptr ? 1 : 0;
  return count;
}

std::vector<std::pair<HANDLE, HandleEntry>> HandleTable::entries() const {
  std::vector<std::pair<HANDLE, HandleEntry>> result;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].object == nullptr) continue;
    std::uintptr_t value = (i + 1) * 4;
    if (kernel_) value |= kKernelHandleBit;
    result.emplace_back(reinterpret_cast<HANDLE>(value), slots_[i]);
  }
  return result;
}

// --- the object manager -----------------------------------------------------------------------------------

ObjectManager::ObjectManager() {
  if (t_current != nullptr) throw UsageError("an object manager already exists on this thread");
  t_current = this;
  create_standard_namespace();
  create_synchronization_types();
}

ObjectManager::~ObjectManager() {
  destroy_namespace();
  // Objects still referenced when the lab goes (the System process, threads, objects a driver
  // never dereferenced) have no one left to release them: their memory goes without their delete
  // procedures, whose subsystems are gone already.
  while (newest_ != nullptr) {
    ObjectHeader* header = newest_;
    unlink(*header);
    header->magic = 0;
    header->~ObjectHeader();
    ::operator delete(static_cast<void*>(header), std::align_val_t{16});
  }
  if (*ExEventObjectType == event_type_) *ExEventObjectType = nullptr;
  if (*ExSemaphoreObjectType == semaphore_type_) *ExSemaphoreObjectType = nullptr;
  if (t_current == this) t_current = nullptr;
}

ObjectManager* ObjectManager::current() { return t_current; }

ObjectManager& ObjectManager::require() {
  if (t_current == nullptr) throw UsageError("an object routine was called with no lab on this thread");
  return *t_current;
}

_OBJECT_TYPE* ObjectManager::create_type(std::string name, void (*delete_procedure)(void*), GENERIC_MAPPING mapping,
                                         ACCESS_MASK valid_access) {
  auto type = std::make_unique<_OBJECT_TYPE>();
  type->name = std::move(name);
  type->delete_procedure = delete_procedure;
  type->mapping = mapping;
  type->valid_access = valid_access;
  types_.push_back(std::move(type));
  return types_.back().get();
}

void* ObjectManager::create_object(_OBJECT_TYPE* type, std::size_t body_size) {
  void* memory = ::operator new(kHeaderSpace + body_size, std::align_val_t{16});
  auto* header = new (memory) ObjectHeader{};
  header->older = newest_;
  if (newest_ != nullptr) newest_->newer = header;
  newest_ = header;
  header->type = type;
  header->body_size = body_size;
  void* body = static_cast<char*>(memory) + kHeaderSpace;
  std::memset(body, 0, body_size);
  ++type->live_objects;
  ++live_objects_;
  return body;
}

LONG_PTR ObjectManager::reference(void* body) {
  ObjectHeader* header = header_of(body);
  if (header == nullptr) bad_reference(body, 0, "ObReferenceObject on memory that is not an object");
  if (header->pointer_count == 0) {
    verifier::violation({.parameters = {0x3F, reinterpret_cast<std::uintptr_t>(body), 1, 1},
                         .description = fmt::format("ObReferenceObject on object {}, whose reference count is 0: "
                                                    "the object is being deleted.",
                                                    body)});
  }
  if (header->pointer_count <= 0) bad_reference(body, header->pointer_count, "ObReferenceObject");
  return static_cast<LONG_PTR>(++header->pointer_count);
}

LONG_PTR ObjectManager::dereference(void* body) {
  ObjectHeader* header = header_of(body);
  if (header == nullptr) bad_reference(body, 0, "ObDereferenceObject on memory that is not an object");
  if (header->pointer_count <= 0) bad_reference(body, header->pointer_count, "ObDereferenceObject");
  const std::int64_t remaining = --header->pointer_count;
  if (remaining == 0) {
    // As on Windows, an object whose last reference goes above PASSIVE_LEVEL is deleted later by a
    // system worker thread: delete procedures (a file object's IRP_MJ_CLOSE) run at PASSIVE_LEVEL.
    if (defer_deletion && ke::current_irql() > PASSIVE_LEVEL) {
      defer_deletion(body);
    } else {
      delete_object(body);
    }
  }
  return static_cast<LONG_PTR>(remaining);
}

void ObjectManager::delete_object(void* body) {
  ObjectHeader* header = header_of(body);
  WDMLAB_CHECK(header != nullptr && header->pointer_count == 0, "deleting {}, which is not an unreferenced object",
               body);
  // A name given by insert_name holds no reference; it goes with the object.
  if (header->directory != nullptr) detach_name(*header);
  _OBJECT_TYPE* type = header->type;
  if (type->delete_procedure != nullptr) type->delete_procedure(body);
  --type->live_objects;
  --live_objects_;
  unlink(*header);
  header->magic = 0;
  header->~ObjectHeader();
  ::operator delete(static_cast<void*>(header), std::align_val_t{16});
}

void ObjectManager::unlink(ObjectHeader& header) {
  if (header.newer != nullptr) header.newer->older = header.older;
  if (header.older != nullptr) header.older->newer = header.newer;
  if (newest_ == &header) newest_ = header.older;
  header.older = header.newer = nullptr;
}

// --- handles ---------------------------------------------------------------------------------------

HandleTable& ObjectManager::table_for(HANDLE handle) {
  if (is_kernel_handle(handle) || !current_process_handles) return kernel_handles_;
  HandleTable* table = current_process_handles();
  return table != nullptr ? *table : kernel_handles_;
}

ACCESS_MASK ObjectManager::granted_access(ACCESS_MASK desired, const _OBJECT_TYPE& type) {
  ACCESS_MASK access = desired;
  if ((access & MAXIMUM_ALLOWED) != 0) access = (access & ~MAXIMUM_ALLOWED) | type.valid_access;
  return map_generic(access, type.mapping);
}

HANDLE ObjectManager::create_handle(void* object, ACCESS_MASK granted, ULONG attributes) {
  HandleTable* table = &kernel_handles_;
  if ((attributes & OBJ_KERNEL_HANDLE) == 0 && current_process_handles) {
    if (HandleTable* process = current_process_handles(); process != nullptr) table = process;
  }
  return create_handle_in(*table, object, granted, attributes);
}

HANDLE ObjectManager::create_handle_in(HandleTable& table, void* object, ACCESS_MASK granted, ULONG attributes) {
  reference(object);
  ++header_of(object)->handle_count;
  return table.insert(object, granted, attributes & kHandleAttributes);
}

NTSTATUS ObjectManager::open_object(void* object, ULONG attributes, ACCESS_MASK desired, _OBJECT_TYPE* type,
                                    KPROCESSOR_MODE mode, HANDLE* handle) {
  (void)mode;  // no security descriptors: every open is granted what it asks for
  *handle = nullptr;
  if ((attributes & ~OBJ_VALID_ATTRIBUTES) != 0) return STATUS_INVALID_PARAMETER;
  ObjectHeader* header = header_of(object);
  if (header == nullptr) bad_reference(object, 0, "ObOpenObjectByPointer on memory that is not an object");
  if (type != nullptr && header->type != type) return STATUS_OBJECT_TYPE_MISMATCH;
  *handle = create_handle(object, granted_access(desired, *header->type), attributes);
  return STATUS_SUCCESS;
}

NTSTATUS ObjectManager::reference_by_handle(HANDLE handle, ACCESS_MASK desired, _OBJECT_TYPE* type,
                                            KPROCESSOR_MODE mode, void** object,
                                            POBJECT_HANDLE_INFORMATION information) {
  *object = nullptr;
  if (resolve_pseudo_handle) {
    if (void* target = resolve_pseudo_handle(handle); target != nullptr) {
      ObjectHeader* header = header_of(target);
      if (type != nullptr && header->type != type) return STATUS_OBJECT_TYPE_MISMATCH;
      reference(target);
      *object = target;
      if (information != nullptr) *information = {0, header->type->valid_access};
      return STATUS_SUCCESS;
    }
  }
  if (mode == UserMode && is_kernel_handle(handle)) return STATUS_INVALID_HANDLE;
  HandleEntry* entry = table_for(handle).find(handle);
  if (entry == nullptr) return STATUS_INVALID_HANDLE;
  ObjectHeader* header = header_of(entry->object);
  if (type != nullptr && header->type != type) return STATUS_OBJECT_TYPE_MISMATCH;
  if (mode == UserMode) {
    const ACCESS_MASK wanted = map_generic(desired, header->type->mapping);
    if ((wanted & ~entry->granted) != 0) return STATUS_ACCESS_DENIED;
  }
  reference(entry->object);
  *object = entry->object;
  if (information != nullptr) *information = {entry->attributes, entry->granted};
  return STATUS_SUCCESS;
}

NTSTATUS ObjectManager::close(HANDLE handle, KPROCESSOR_MODE mode) {
  if (mode == UserMode && is_kernel_handle(handle)) return STATUS_INVALID_HANDLE;
  return close_in(table_for(handle), handle, mode);
}

NTSTATUS ObjectManager::close_in(HandleTable& table, HANDLE handle, KPROCESSOR_MODE mode) {
  if (mode == UserMode && is_kernel_handle(handle)) return STATUS_INVALID_HANDLE;
  HandleEntry removed;
  if (!table.remove(handle, removed)) return STATUS_INVALID_HANDLE;
  ObjectHeader* header = header_of(removed.object);
  const std::int64_t remaining = --header->handle_count;
  if (header->type->close_procedure != nullptr) {
    header->type->close_procedure(removed.object, table.owner(), removed.granted, remaining);
  }
  // A temporary object's name lasts as long as it has handles.
  if (remaining == 0 && header->temporary_name && !header->permanent && header->directory != nullptr) {
    detach_name(*header);
  }
  dereference(removed.object);
  return STATUS_SUCCESS;
}

void ObjectManager::close_all(HandleTable& table) {
  for (const auto& [handle, entry] : table.entries()) {
    (void)entry;
    close_in(table, handle, KernelMode);
  }
}

NTSTATUS ObjectManager::duplicate(HANDLE source_process, HANDLE source_handle, HANDLE target_process,
                                  HANDLE* target_handle, ACCESS_MASK desired, ULONG attributes, ULONG options,
                                  KPROCESSOR_MODE mode) {
  if (target_handle != nullptr) *target_handle = nullptr;
  if ((options & ~kDuplicateOptions) != 0 || (attributes & ~OBJ_VALID_ATTRIBUTES) != 0) {
    return STATUS_INVALID_PARAMETER;
  }
  if (process_type == nullptr || !process_handles) return STATUS_NOT_SUPPORTED;
  if (mode == UserMode) attributes &= ~OBJ_KERNEL_HANDLE;

  void* source_owner = nullptr;
  NTSTATUS status = reference_by_handle(source_process, PROCESS_DUP_HANDLE, process_type, mode, &source_owner, nullptr);
  if (!NT_SUCCESS(status)) return status;
  HandleTable* source_table = process_handles(source_owner);
  if (source_table == nullptr) {
    dereference(source_owner);
    return STATUS_PROCESS_IS_TERMINATING;
  }
  // A kernel caller's kernel handle is a handle of the kernel table, whatever the process.
  HandleTable& from = mode == KernelMode && is_kernel_handle(source_handle) ? kernel_handles_ : *source_table;
  HandleEntry* found = from.find(source_handle);
  if (found == nullptr) {
    dereference(source_owner);
    return STATUS_INVALID_HANDLE;
  }
  const HandleEntry source = *found;
  reference(source.object);

  if (target_process == nullptr) {
    status = (options & DUPLICATE_CLOSE_SOURCE) != 0 ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
  } else {
    void* target_owner = nullptr;
    status = reference_by_handle(target_process, PROCESS_DUP_HANDLE, process_type, mode, &target_owner, nullptr);
    if (NT_SUCCESS(status)) {
      const _OBJECT_TYPE& type = *header_of(source.object)->type;
      const ACCESS_MASK granted =
          (options & DUPLICATE_SAME_ACCESS) != 0 ? source.granted : granted_access(desired, type);
      const ULONG handle_attributes = (options & DUPLICATE_SAME_ATTRIBUTES) != 0 ? source.attributes : attributes;
      HandleTable* to = (attributes & OBJ_KERNEL_HANDLE) != 0 ? &kernel_handles_ : process_handles(target_owner);
      if (mode == UserMode && (granted & ~source.granted) != 0) {
        status = STATUS_ACCESS_DENIED;
      } else if (to == nullptr) {
        status = STATUS_PROCESS_IS_TERMINATING;
      } else if (target_handle != nullptr) {
        *target_handle = create_handle_in(*to, source.object, granted, handle_attributes);
      }
      dereference(target_owner);
    }
  }
  if ((options & DUPLICATE_CLOSE_SOURCE) != 0) close_in(from, source_handle, KernelMode);
  dereference(source.object);
  dereference(source_owner);
  return status;
}

}  // namespace wdmlab::ob
