// ob/object.hpp - objects, object types, handle tables and the object namespace.
//
// Every object body is preceded by an ObjectHeader holding its type, pointer count, handle count
// and name. An object is deleted (its name removed, its type's delete procedure run, its memory
// freed) when its pointer count reaches zero; each handle holds one pointer reference. Handle
// tables map handle values to (object, granted access, attributes); kernel handles
// (OBJ_KERNEL_HANDLE, and every handle made in the System process) live in the kernel handle
// table and have the sign bit of their 32-bit value set, as on Windows x64. Every other process
// has its own table (ps creates it), so a handle value means nothing outside its process.
//
// The namespace is a tree of Directory objects under the root "\": \Device, \Driver, \?? (the
// one DOS devices directory), \GLOBAL?? and \DosDevices (symbolic links to \??),
// \BaseNamedObjects and \KernelObjects exist from the start. A name lookup walks directories,
// follows symbolic links (also in the middle of a path) and stops at the first object whose type
// has a parse procedure, handing it the rest of the name. A named object keeps its name until its
// last handle is closed (a temporary object), or, when created with OBJ_PERMANENT, until it is made
// temporary; the name of a permanent object holds a pointer reference. Names given with
// insert_name (by lab layers, e.g. for device objects) last until remove_name or the object's
// deletion.
//
// No security descriptors: opening or creating an object grants the access asked for. Access is
// checked against a handle's granted access when a UserMode caller uses the handle.
//
// Threads: all of this runs on the lab's one OS thread and never blocks, so nothing is locked.
#pragma once

#include <wdm.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wdmlab::ob {

// What a parse procedure gets: the object the lookup stopped at is its first argument.
struct ParseRequest {
  std::u16string_view complete_name;  // the name being opened, after symbolic-link substitution
  std::u16string_view remaining;      // the rest after the parsed object ("\sub"), or empty
  ULONG attributes = 0;               // OBJ_* from the caller's OBJECT_ATTRIBUTES
  ACCESS_MASK desired_access = 0;
  KPROCESSOR_MODE access_mode = KernelMode;
  void* context = nullptr;  // the opener's own data (e.g. the I/O manager's open packet)
};

// What a parse procedure returns with its status.
struct ParseOutcome {
  // STATUS_SUCCESS: the object opened, carrying one reference for the caller (e.g. a new file
  // object).
  void* object = nullptr;
  // STATUS_REPARSE: the absolute name to look up instead (counts against the reparse limit).
  std::u16string reparse_name;
};

using ParseProcedure = NTSTATUS (*)(void* parsed_object, const ParseRequest& request, ParseOutcome& outcome);

}  // namespace wdmlab::ob

struct _OBJECT_TYPE {
  std::string name;  // "Thread", "Process", "Event", "Directory", ...
  void (*delete_procedure)(void* body) = nullptr;
  // Called as a handle to an object of this type is closed, after it left its table: the
  // process whose table held it (the System process for the kernel table), the access the handle
  // granted, and how many handles to the object remain.
  void (*close_procedure)(void* body, void* process, ACCESS_MASK granted, std::int64_t remaining_handles) = nullptr;
  // A name lookup stops at an object of this type and hands it the rest of the name (the I/O
  // manager's device objects open files this way).
  wdmlab::ob::ParseProcedure parse_procedure = nullptr;
  // The object's full name when the namespace alone cannot say it (file objects); empty = unnamed.
  std::u16string (*query_name_procedure)(const void* body) = nullptr;
  GENERIC_MAPPING mapping{};
  ACCESS_MASK valid_access = 0;
  // Where the DISPATCHER_HEADER a wait on a handle waits for lies in the body; -1: not waitable.
  std::ptrdiff_t wait_object_offset = -1;
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
  // The object's name: its last path component and the Directory object holding it (which this
  // object references). Empty name: unnamed.
  std::u16string name;
  void* directory = nullptr;
  bool permanent = false;       // OBJ_PERMANENT: the name holds a pointer reference
  bool temporary_name = false;  // the name goes when the last handle is closed
  // The object manager's list of live objects, so that it frees what is left when the lab goes.
  ObjectHeader* older = nullptr;
  ObjectHeader* newer = nullptr;
};

// Bytes from the start of an object's header to its body (the body stays 16-byte aligned).
inline constexpr std::size_t kHeaderSpace = (sizeof(ObjectHeader) + 15) / 16 * 16;

// The header of an object body, or null if `body` is not an object made by the lab.
inline ObjectHeader* header_of(const void* body) {
  if (body == nullptr) return nullptr;
  auto* header = reinterpret_cast<ObjectHeader*>(static_cast<char*>(const_cast<void*>(body)) - kHeaderSpace);
  return header->magic == ObjectHeader::kMagic ? header : nullptr;
}
// The body that follows `header`.
inline void* body_of(ObjectHeader& header) { return reinterpret_cast<char*>(&header) + kHeaderSpace; }

struct HandleEntry {
  void* object = nullptr;
  ACCESS_MASK granted = 0;
  ULONG attributes = 0;
};

class HandleTable {
 public:
  explicit HandleTable(bool kernel, void* owner = nullptr) : kernel_(kernel), owner_(owner) {}
  HANDLE insert(void* object, ACCESS_MASK granted, ULONG attributes);
  HandleEntry* find(HANDLE handle);
  bool remove(HANDLE handle, HandleEntry& removed);
  bool kernel() const { return kernel_; }
  // The process whose table this is (an EPROCESS); null until ps sets it.
  void* owner() const { return owner_; }
  void set_owner(void* owner) { owner_ = owner; }
  std::size_t size() const;
  // Every live entry (for process exit and reports).
  std::vector<std::pair<HANDLE, HandleEntry>> entries() const;

 private:
  bool kernel_;
  void* owner_;
  std::vector<HandleEntry> slots_;  // slot i is handle value (i + 1) * 4
};

bool is_kernel_handle(HANDLE handle);

// The result of a name lookup. `object` carries one pointer reference the caller drops
// (ObjectManager::dereference). `remaining` is the part of the name after `object`, with its
// leading backslash, when the lookup stopped at an object whose type has a parse procedure; empty
// when `object` is the object the whole name names.
struct LookupResult {
  void* object = nullptr;
  std::u16string remaining;
  std::u16string complete_name;  // the name after symbolic-link substitution
};

class ObjectManager {
 public:
  // Symbolic links followed in one lookup before it fails with STATUS_REPARSE_POINT_NOT_RESOLVED
  // (Windows allows 63 reparse points in a path).
  static constexpr int kMaxReparse = 63;

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
  // Drops a reference; the last one deletes the object (see delete_object), later on a system
  // worker thread when it goes above PASSIVE_LEVEL and defer_deletion is installed.
  LONG_PTR dereference(void* body);
  // Deletes an object whose pointer count is zero: removes its name, runs its type's delete
  // procedure and frees it.
  void delete_object(void* body);
  // Installed by the executive: arranges for delete_object(body) to run at PASSIVE_LEVEL on a
  // system worker thread.
  std::function<void(void* body)> defer_deletion;

  _OBJECT_TYPE* directory_type() const { return directory_type_; }
  _OBJECT_TYPE* symbolic_link_type() const { return symbolic_link_type_; }
  _OBJECT_TYPE* event_type() const { return event_type_; }
  _OBJECT_TYPE* semaphore_type() const { return semaphore_type_; }
  _OBJECT_TYPE* mutant_type() const { return mutant_type_; }

  // --- handles ---------------------------------------------------------------------------------

  HandleTable& kernel_handles() { return kernel_handles_; }
  // The current process's handle table: the kernel table in the System process.
  HandleTable& current_table() {
    HandleTable* table = current_process_handles ? current_process_handles() : nullptr;
    return table != nullptr ? *table : kernel_handles_;
  }

  // Pseudo-handles (NtCurrentProcess, NtCurrentThread), the current process's handle table, the
  // Process type and each process's table are ps's business; ps installs these.
  std::function<void*(HANDLE)> resolve_pseudo_handle;
  std::function<HandleTable*()> current_process_handles;
  _OBJECT_TYPE* process_type = nullptr;
  std::function<HandleTable*(void* process)> process_handles;

  // A new handle to `object` (one more pointer reference) in the current process's table, or in
  // the kernel table with OBJ_KERNEL_HANDLE.
  HANDLE create_handle(void* object, ACCESS_MASK granted, ULONG attributes);
  HANDLE create_handle_in(HandleTable& table, void* object, ACCESS_MASK granted, ULONG attributes);
  // ObOpenObjectByPointer: a handle to `object` with `desired` access (generic rights mapped,
  // MAXIMUM_ALLOWED = every right of the type).
  NTSTATUS open_object(void* object, ULONG attributes, ACCESS_MASK desired, _OBJECT_TYPE* type, KPROCESSOR_MODE mode,
                       HANDLE* handle);
  NTSTATUS reference_by_handle(HANDLE handle, ACCESS_MASK desired, _OBJECT_TYPE* type, KPROCESSOR_MODE mode,
                               void** object, POBJECT_HANDLE_INFORMATION information);
  // Closes a handle of the current process (or a kernel handle, not from UserMode).
  NTSTATUS close(HANDLE handle, KPROCESSOR_MODE mode);
  NTSTATUS close_in(HandleTable& table, HANDLE handle, KPROCESSOR_MODE mode);
  // Closes every handle in `table`, one close at a time (process exit).
  void close_all(HandleTable& table);
  // ZwDuplicateObject/DuplicateHandle. The process handles need PROCESS_DUP_HANDLE from UserMode;
  // a UserMode caller cannot gain access the source handle lacks (STATUS_ACCESS_DENIED). With
  // DUPLICATE_CLOSE_SOURCE the source handle is closed even when the duplicate fails, once it was
  // found.
  NTSTATUS duplicate(HANDLE source_process, HANDLE source_handle, HANDLE target_process, HANDLE* target_handle,
                     ACCESS_MASK desired, ULONG attributes, ULONG options, KPROCESSOR_MODE mode);
  // The access a new handle asking for `desired` gets.
  static ACCESS_MASK granted_access(ACCESS_MASK desired, const _OBJECT_TYPE& type);

  // --- the namespace -----------------------------------------------------------------------------

  void* root_directory() const { return root_; }
  // Gives `object` the absolute name `path` (created in the directory the path's parent names,
  // following symbolic links). OBJ_CASE_INSENSITIVE makes the collision check ignore case;
  // OBJ_PERMANENT makes the name hold a reference until remove_name or make_temporary. Errors:
  // STATUS_OBJECT_PATH_SYNTAX_BAD (not absolute), STATUS_OBJECT_NAME_INVALID (an empty component),
  // STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH (a
  // parent that is not a directory).
  NTSTATUS insert_name(std::u16string_view path, void* object, ULONG attributes = 0);
  // Removes `object`'s name (nothing if it has none); a permanent name's reference is dropped,
  // which may delete the object.
  void remove_name(void* object);
  // ZwMakeTemporaryObject: a permanent object becomes temporary; its name goes (with the name's
  // reference) at once if it has no handles, else when its last handle is closed.
  void make_temporary(void* object);
  // The object's full name ("\Device\Sample"), or empty if it has none.
  std::u16string name_of(const void* object) const;
  // Looks `path` up. Case-insensitive only with OBJ_CASE_INSENSITIVE. A symbolic link that is the
  // last component is followed unless `attributes` has OBJ_OPENLINK or `open_type` is the
  // SymbolicLink type. Errors: STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_OBJECT_NAME_INVALID,
  // STATUS_OBJECT_NAME_NOT_FOUND (the last component is missing), STATUS_OBJECT_PATH_NOT_FOUND (a
  // directory on the way is), STATUS_OBJECT_TYPE_MISMATCH (a component on the way is neither a
  // directory nor parsable), STATUS_REPARSE_POINT_NOT_RESOLVED (more than kMaxReparse links).
  NTSTATUS lookup(std::u16string_view path, ULONG attributes, LookupResult& result, _OBJECT_TYPE* open_type = nullptr);
  // A permanent Directory object named `path`; `*directory` (optional) gets a reference.
  NTSTATUS create_directory(std::u16string_view path, void** directory = nullptr);
  // A symbolic link object named `path` pointing at `target` (an absolute name), with
  // `attributes` (OBJ_PERMANENT, OBJ_CASE_INSENSITIVE); `*link` (optional) gets a reference.
  NTSTATUS create_symbolic_link(std::u16string_view path, std::u16string_view target, ULONG attributes,
                                void** link = nullptr);
  // A new unnamed symbolic link object pointing at `target`, with its creation reference.
  void* new_symbolic_link(std::u16string_view target);
  // The target of a symbolic link object.
  const std::u16string& link_target(const void* link) const;

  // --- objects by name (ObInsertObject, ObOpenObjectByName) ---------------------------------------

  // Gives a new object (with its creation reference) the name in `attributes`, if any, and a
  // handle. Consumes the creation reference in every case (on failure the object is deleted).
  // With OBJ_OPENIF and an existing object of the same type the handle is to that object and the
  // status is STATUS_OBJECT_NAME_EXISTS; without it, STATUS_OBJECT_NAME_COLLISION. `referenced`
  // (optional) receives the object with one more reference.
  NTSTATUS insert_object(void* object, const OBJECT_ATTRIBUTES* attributes, ACCESS_MASK desired, KPROCESSOR_MODE mode,
                         HANDLE* handle, void** referenced = nullptr);
  // Finds the object `attributes` names (RootDirectory-relative or absolute), calling the parse
  // procedure of the object the lookup stops at; `*object` carries one reference.
  NTSTATUS reference_by_name(const OBJECT_ATTRIBUTES* attributes, _OBJECT_TYPE* type, ACCESS_MASK desired,
                             KPROCESSOR_MODE mode, void* parse_context, void** object);
  // reference_by_name, then a handle with `desired` access and the attributes' handle flags.
  NTSTATUS open_by_name(const OBJECT_ATTRIBUTES* attributes, _OBJECT_TYPE* type, ACCESS_MASK desired,
                        KPROCESSOR_MODE mode, void* parse_context, HANDLE* handle);

  std::uint64_t live_objects() const { return live_objects_; }

 private:
  struct Walk;
  HandleTable& table_for(HandleTable* process_table, HANDLE handle, KPROCESSOR_MODE mode);
  HandleTable& table_for(HANDLE handle);
  NTSTATUS walk(void* start, std::u16string path, ULONG attributes, _OBJECT_TYPE* open_type, bool for_insert,
                Walk& out);
  void* find_entry(void* directory, std::u16string_view component, bool case_insensitive) const;
  void attach_name(void* object, void* directory, std::u16string_view component);
  void detach_name(ObjectHeader& header);
  void create_standard_namespace();
  void destroy_namespace();
  void create_synchronization_types();  // sync_objects.cpp

  std::vector<std::unique_ptr<_OBJECT_TYPE>> types_;
  HandleTable kernel_handles_{true};
  std::uint64_t live_objects_ = 0;
  _OBJECT_TYPE* directory_type_ = nullptr;
  _OBJECT_TYPE* symbolic_link_type_ = nullptr;
  _OBJECT_TYPE* event_type_ = nullptr;
  _OBJECT_TYPE* semaphore_type_ = nullptr;
  _OBJECT_TYPE* mutant_type_ = nullptr;
  void* root_ = nullptr;
  ObjectHeader* newest_ = nullptr;  // live objects, newest first
  void unlink(ObjectHeader& header);
};

// Maps generic rights in `access` through `mapping`.
ACCESS_MASK map_generic(ACCESS_MASK access, const GENERIC_MAPPING& mapping);

// A counted string's characters (Length bytes). Empty for a null string.
std::u16string_view view_of(const UNICODE_STRING* string);

}  // namespace wdmlab::ob
