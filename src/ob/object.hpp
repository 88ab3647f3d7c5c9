// ob/object.hpp - objects, object types and handle tables.
//
// Every object body is preceded by an ObjectHeader holding its type, pointer count and handle
// count. An object is deleted (its type's delete procedure runs, then its memory is freed) when
// its pointer count reaches zero; each handle holds one pointer reference. Handle tables map
// handle values to (object, granted access, attributes); kernel handles (OBJ_KERNEL_HANDLE, and
// every handle made in the System process) live in the kernel handle table and have the sign bit
// of their 32-bit value set, as on Windows x64.
#pragma once

#include <wdm.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct _OBJECT_TYPE {
  std::string name;                        // "Thread", "Process", "Event", ...
  void (*delete_procedure)(void* body) = nullptr;
  GENERIC_MAPPING mapping{};
  ACCESS_MASK valid_access = 0;
  std::uint64_t live_objects = 0;
};

namespace wdmlab::ob {

struct ObjectHeader {
  static constexpr std::uint64_t kMagic = 0x4A424F42414C4D44ULL;  // "DMLABOBJ"
  std::uint64_t magic = kMagic;
  std::int64_t pointer_count = 1;
  std::int64_t handle_count = 0;
  _OBJECT_TYPE* type = nullptr;
  std::size_t body_size = 0;
};

// The header of an object body, or null if `body` is not an object made by the lab.
ObjectHeader* header_of(const void* body);

struct HandleEntry {
  void* object = nullptr;
  ACCESS_MASK granted = 0;
  ULONG attributes = 0;
};

class HandleTable {
 public:
  explicit HandleTable(bool kernel) : kernel_(kernel) {}
  HANDLE insert(void* object, ACCESS_MASK granted, ULONG attributes);
  HandleEntry* find(HANDLE handle);
  bool remove(HANDLE handle, HandleEntry& removed);
  bool kernel() const { return kernel_; }
  std::size_t size() const;
  // Every live entry (for process exit and reports).
  std::vector<std::pair<HANDLE, HandleEntry>> entries() const;

 private:
  bool kernel_;
  std::vector<HandleEntry> slots_;  // slot i is handle value (i + 1) * 4
};

bool is_kernel_handle(HANDLE handle);

class ObjectManager {
 public:
  ObjectManager();
  ~ObjectManager();
  ObjectManager(const ObjectManager&) = delete;
  ObjectManager& operator=(const ObjectManager&) = delete;

  static ObjectManager* current();
  static ObjectManager& require();

  _OBJECT_TYPE* create_type(std::string name, void (*delete_procedure)(void*), GENERIC_MAPPING mapping,
                            ACCESS_MASK valid_access);
  // A new object with pointer count 1 and a zeroed body of `body_size` bytes.
  void* create_object(_OBJECT_TYPE* type, std::size_t body_size);
  LONG_PTR reference(void* body);
  LONG_PTR dereference(void* body);

  HandleTable& kernel_handles() { return kernel_handles_; }

  // Pseudo-handles (NtCurrentProcess, NtCurrentThread) and the current process's handle table
  // are ps's business; ps installs these.
  std::function<void*(HANDLE)> resolve_pseudo_handle;
  std::function<HandleTable*()> current_process_handles;

  HANDLE create_handle(void* object, ACCESS_MASK granted, ULONG attributes);
  NTSTATUS reference_by_handle(HANDLE handle, ACCESS_MASK desired, _OBJECT_TYPE* type, KPROCESSOR_MODE mode,
                               void** object, POBJECT_HANDLE_INFORMATION information);
  NTSTATUS close(HANDLE handle, KPROCESSOR_MODE mode);

  std::uint64_t live_objects() const { return live_objects_; }

 private:
  HandleTable& table_for(HANDLE handle);
  std::vector<std::unique_ptr<_OBJECT_TYPE>> types_;
  HandleTable kernel_handles_{true};
  std::uint64_t live_objects_ = 0;
};

// Maps generic rights in `access` through `mapping`.
ACCESS_MASK map_generic(ACCESS_MASK access, const GENERIC_MAPPING& mapping);

}  // namespace wdmlab::ob
