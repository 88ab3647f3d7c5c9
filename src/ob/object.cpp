#include "ob/object.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "base/check.hpp"
#include "sched/scheduler.hpp"
#include "wdmlab/errors.hpp"

namespace wdmlab::ob {

namespace {

constexpr std::size_t kHeaderSpace = (sizeof(ObjectHeader) + 15) / 16 * 16;
thread_local ObjectManager* t_current = nullptr;

constexpr std::uintptr_t kKernelHandleBit = 0xFFFFFFFF80000000ULL;

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

ObjectHeader* header_of(const void* body) {
  if (body == nullptr) return nullptr;
  auto* header = reinterpret_cast<ObjectHeader*>(static_cast<char*>(const_cast<void*>(body)) - kHeaderSpace);
  return header->magic == ObjectHeader::kMagic ? header : nullptr;
}

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
}

ObjectManager::~ObjectManager() {
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
  if (header->pointer_count <= 0) bad_reference(body, header->pointer_count, "ObReferenceObject");
  return static_cast<LONG_PTR>(++header->pointer_count);
}

LONG_PTR ObjectManager::dereference(void* body) {
  ObjectHeader* header = header_of(body);
  if (header == nullptr) bad_reference(body, 0, "ObDereferenceObject on memory that is not an object");
  if (header->pointer_count <= 0) bad_reference(body, header->pointer_count, "ObDereferenceObject");
  const std::int64_t remaining = --header->pointer_count;
  if (remaining == 0) {
    _OBJECT_TYPE* type = header->type;
    if (type->delete_procedure != nullptr) type->delete_procedure(body);
    --type->live_objects;
    --live_objects_;
    header->magic = 0;
    ::operator delete(header, std::align_val_t{16});
  }
  return static_cast<LONG_PTR>(remaining);
}

HandleTable& ObjectManager::table_for(HANDLE handle) {
  if (is_kernel_handle(handle) || !current_process_handles) return kernel_handles_;
  HandleTable* table = current_process_handles();
  return table != nullptr ? *table : kernel_handles_;
}

HANDLE ObjectManager::create_handle(void* object, ACCESS_MASK granted, ULONG attributes) {
  HandleTable* table = &kernel_handles_;
  if ((attributes & OBJ_KERNEL_HANDLE) == 0 && current_process_handles) {
    if (HandleTable* process = current_process_handles(); process != nullptr) table = process;
  }
  reference(object);
  ++header_of(object)->handle_count;
  return table->insert(object, granted, attributes & (OBJ_INHERIT | OBJ_PERMANENT | OBJ_EXCLUSIVE));
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
  HandleEntry removed;
  if (!table_for(handle).remove(handle, removed)) return STATUS_INVALID_HANDLE;
  --header_of(removed.object)->handle_count;
  dereference(removed.object);
  return STATUS_SUCCESS;
}

}  // namespace wdmlab::ob
