// The object namespace: Directory and SymbolicLink objects, names, lookups, and objects created or
// opened by name.
#include <algorithm>
#include <new>

#include "base/check.hpp"
#include "ob/object.hpp"
#include "rtl/charset.hpp"

namespace wdmlab::ob {

namespace {

// The named objects in a directory, in the order they were named.
struct DirectoryBody {
  std::vector<void*> entries;
};

struct SymbolicLinkBody {
  std::u16string target;
};

constexpr GENERIC_MAPPING kDirectoryMapping = {
    STANDARD_RIGHTS_READ | DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
    STANDARD_RIGHTS_WRITE | DIRECTORY_CREATE_OBJECT | DIRECTORY_CREATE_SUBDIRECTORY,
    STANDARD_RIGHTS_EXECUTE | DIRECTORY_QUERY | DIRECTORY_TRAVERSE, DIRECTORY_ALL_ACCESS};
constexpr GENERIC_MAPPING kSymbolicLinkMapping = {STANDARD_RIGHTS_READ | SYMBOLIC_LINK_QUERY, STANDARD_RIGHTS_WRITE,
                                                  STANDARD_RIGHTS_EXECUTE | SYMBOLIC_LINK_QUERY,
                                                  SYMBOLIC_LINK_ALL_ACCESS};

void delete_directory(void* body) { static_cast<DirectoryBody*>(body)->~DirectoryBody(); }
void delete_symbolic_link(void* body) { static_cast<SymbolicLinkBody*>(body)->~SymbolicLinkBody(); }

DirectoryBody& directory_body(void* directory) { return *static_cast<DirectoryBody*>(directory); }

bool same_name(std::u16string_view a, std::u16string_view b, bool case_insensitive) {
  if (a.size() != b.size()) return false;
  if (!case_insensitive) return a == b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (rtl::charset::upcase(a[i]) != rtl::charset::upcase(b[i])) return false;
  }
  return true;
}

}  // namespace

// Where a walk ended. `object` (when set) carries a reference.
struct ObjectManager::Walk {
  void* object = nullptr;
  void* directory = nullptr;  // for an insert: where the last component goes
  std::u16string component;   // for an insert: the last component
  std::u16string remaining;
  std::u16string complete_name;
};

void ObjectManager::create_standard_namespace() {
  directory_type_ = create_type("Directory", &delete_directory, kDirectoryMapping, DIRECTORY_ALL_ACCESS);
  symbolic_link_type_ =
      create_type("SymbolicLink", &delete_symbolic_link, kSymbolicLinkMapping, SYMBOLIC_LINK_ALL_ACCESS);
  root_ = new (create_object(directory_type_, sizeof(DirectoryBody))) DirectoryBody{};
  constexpr ULONG kStandard = OBJ_PERMANENT | OBJ_CASE_INSENSITIVE;
  for (std::u16string_view directory : {u"\\Device", u"\\Driver", u"\\??", u"\\BaseNamedObjects", u"\\KernelObjects"}) {
    const NTSTATUS status = create_directory(directory);
    WDMLAB_CHECK(NT_SUCCESS(status), "cannot create a standard directory: 0x{:08X}", static_cast<unsigned>(status));
  }
  for (std::u16string_view link : {u"\\GLOBAL??", u"\\DosDevices"}) {
    const NTSTATUS status = create_symbolic_link(link, u"\\??", kStandard);
    WDMLAB_CHECK(NT_SUCCESS(status), "cannot create a standard link: 0x{:08X}", static_cast<unsigned>(status));
  }
}

void ObjectManager::destroy_namespace() {
  if (root_ == nullptr) return;
  // Unname everything (so no object refers to a directory any more) and drop the references the
  // namespace itself holds on its directories and links; other objects belong to their layers.
  auto clear = [this](auto& self, void* directory) -> void {
    DirectoryBody& body = directory_body(directory);
    while (!body.entries.empty()) {
      void* child = body.entries.back();
      ObjectHeader& header = *header_of(child);
      const bool ours = header.type == directory_type_ || header.type == symbolic_link_type_;
      if (header.type == directory_type_) self(self, child);
      const bool drop = ours && header.permanent;
      header.permanent = false;
      detach_name(header);
      if (drop) dereference(child);
    }
  };
  clear(clear, root_);
  dereference(root_);
  root_ = nullptr;
}

void* ObjectManager::find_entry(void* directory, std::u16string_view component, bool case_insensitive) const {
  for (void* entry : directory_body(directory).entries) {
    if (same_name(header_of(entry)->name, component, case_insensitive)) return entry;
  }
  return nullptr;
}

void ObjectManager::attach_name(void* object, void* directory, std::u16string_view component) {
  ObjectHeader& header = *header_of(object);
  header.name.assign(component.begin(), component.end());
  header.directory = directory;
  reference(directory);
  directory_body(directory).entries.push_back(object);
}

void ObjectManager::detach_name(ObjectHeader& header) {
  void* directory = header.directory;
  if (directory == nullptr) return;
  auto& entries = directory_body(directory).entries;
  void* object = body_of(header);
  entries.erase(std::remove(entries.begin(), entries.end(), object), entries.end());
  header.name.clear();
  header.directory = nullptr;
  header.temporary_name = false;
  dereference(directory);
}

NTSTATUS ObjectManager::walk(void* start, std::u16string path, ULONG attributes, _OBJECT_TYPE* open_type,
                             bool for_insert, Walk& out) {
  const bool case_insensitive = (attributes & OBJ_CASE_INSENSITIVE) != 0;
  std::u16string current = std::move(path);
  void* directory = start;
  int reparses = 0;
  for (;;) {
    std::size_t position = 0;
    if (directory == nullptr) {
      if (current.empty() || current[0] != u'\\') return STATUS_OBJECT_PATH_SYNTAX_BAD;
      directory = root_;
      position = 1;
    } else if (!current.empty() && current[0] == u'\\') {
      return STATUS_OBJECT_PATH_SYNTAX_BAD;  // relative to a directory, a name cannot be absolute
    }
    if (position == current.size()) {
      // The whole name is the directory itself ("\", or an empty name relative to a directory).
      out.complete_name = current;
      reference(directory);
      out.object = directory;
      return for_insert ? STATUS_OBJECT_NAME_COLLISION : STATUS_SUCCESS;
    }
    bool reparse = false;
    while (!reparse) {
      std::size_t end = current.find(u'\\', position);
      if (end == std::u16string::npos) end = current.size();
      const std::u16string_view component(current.data() + position, end - position);
      const bool last = end == current.size();
      if (component.empty()) return STATUS_OBJECT_NAME_INVALID;
      void* found = find_entry(directory, component, case_insensitive);
      if (found == nullptr) {
        if (!last) return STATUS_OBJECT_PATH_NOT_FOUND;
        if (!for_insert) return STATUS_OBJECT_NAME_NOT_FOUND;
        out.directory = directory;
        out.component = std::u16string(component);
        out.complete_name = current;
        return STATUS_SUCCESS;
      }
      _OBJECT_TYPE* type = header_of(found)->type;
      if (type == symbolic_link_type_) {
        const bool the_link_itself =
            last && (for_insert || (attributes & OBJ_OPENLINK) != 0 || open_type == symbolic_link_type_);
        if (!the_link_itself) {
          if (++reparses > kMaxReparse) return STATUS_REPARSE_POINT_NOT_RESOLVED;
          std::u16string substituted = link_target(found) + current.substr(end);
          current = std::move(substituted);
          directory = nullptr;
          reparse = true;
          continue;
        }
      } else if (type->parse_procedure != nullptr && !for_insert) {
        reference(found);
        out.object = found;
        out.remaining = current.substr(end);
        out.complete_name = current;
        return STATUS_SUCCESS;
      }
      if (last) {
        reference(found);
        out.object = found;
        out.complete_name = current;
        return for_insert ? STATUS_OBJECT_NAME_COLLISION : STATUS_SUCCESS;
      }
      if (type != directory_type_) return STATUS_OBJECT_TYPE_MISMATCH;
      directory = found;
      position = end + 1;
    }
  }
}

NTSTATUS ObjectManager::lookup(std::u16string_view path, ULONG attributes, LookupResult& result,
                               _OBJECT_TYPE* open_type) {
  result = LookupResult{};
  Walk walked;
  const NTSTATUS status = walk(nullptr, std::u16string(path), attributes, open_type, false, walked);
  if (!NT_SUCCESS(status)) return status;
  result.object = walked.object;
  result.remaining = std::move(walked.remaining);
  result.complete_name = std::move(walked.complete_name);
  return STATUS_SUCCESS;
}

NTSTATUS ObjectManager::insert_name(std::u16string_view path, void* object, ULONG attributes) {
  ObjectHeader* header = header_of(object);
  WDMLAB_CHECK(header != nullptr, "insert_name: {} is not an object", object);
  WDMLAB_CHECK(header->directory == nullptr && object != root_, "insert_name: the object already has a name");
  Walk walked;
  const NTSTATUS status = walk(nullptr, std::u16string(path), attributes, nullptr, true, walked);
  if (walked.object != nullptr) dereference(walked.object);
  if (!NT_SUCCESS(status)) return status;
  attach_name(object, walked.directory, walked.component);
  if ((attributes & OBJ_PERMANENT) != 0) {
    header->permanent = true;
    reference(object);
  }
  return STATUS_SUCCESS;
}

void ObjectManager::remove_name(void* object) {
  ObjectHeader* header = header_of(object);
  WDMLAB_CHECK(header != nullptr, "remove_name: {} is not an object", object);
  if (header->directory == nullptr) return;
  const bool permanent = header->permanent;
  header->permanent = false;
  detach_name(*header);
  if (permanent) dereference(object);
}

void ObjectManager::make_temporary(void* object) {
  ObjectHeader* header = header_of(object);
  WDMLAB_CHECK(header != nullptr, "make_temporary: {} is not an object", object);
  const bool was_permanent = header->permanent;
  header->permanent = false;
  if (header->directory != nullptr) {
    header->temporary_name = true;
    if (header->handle_count == 0) detach_name(*header);
  }
  if (was_permanent) dereference(object);
}

std::u16string ObjectManager::name_of(const void* object) const {
  const ObjectHeader* header = header_of(object);
  if (header == nullptr) return {};
  if (header->type->query_name_procedure != nullptr) return header->type->query_name_procedure(object);
  if (object == root_) return u"\\";
  if (header->directory == nullptr) return {};
  std::u16string name;
  for (const ObjectHeader* at = header; at != nullptr && at->directory != nullptr;
       at = at->directory == root_ ? nullptr : header_of(at->directory)) {
    name.insert(0, at->name);
    name.insert(0, 1, u'\\');
  }
  return name;
}

NTSTATUS ObjectManager::create_directory(std::u16string_view path, void** directory) {
  void* object = new (create_object(directory_type_, sizeof(DirectoryBody))) DirectoryBody{};
  const NTSTATUS status = insert_name(path, object, OBJ_PERMANENT | OBJ_CASE_INSENSITIVE);
  if (NT_SUCCESS(status) && directory != nullptr) {
    reference(object);
    *directory = object;
  }
  dereference(object);  // the creation reference; a permanent name holds one
  return status;
}

NTSTATUS ObjectManager::create_symbolic_link(std::u16string_view path, std::u16string_view target, ULONG attributes,
                                             void** link) {
  void* object = new_symbolic_link(target);
  const NTSTATUS status = insert_name(path, object, attributes & (OBJ_PERMANENT | OBJ_CASE_INSENSITIVE));
  if (NT_SUCCESS(status) && link != nullptr) {
    reference(object);
    *link = object;
  }
  dereference(object);
  return status;
}

void* ObjectManager::new_symbolic_link(std::u16string_view target) {
  return new (create_object(symbolic_link_type_, sizeof(SymbolicLinkBody))) SymbolicLinkBody{std::u16string(target)};
}

const std::u16string& ObjectManager::link_target(const void* link) const {
  WDMLAB_CHECK(header_of(link) != nullptr && header_of(link)->type == symbolic_link_type_,
               "link_target: {} is not a symbolic link", link);
  return static_cast<const SymbolicLinkBody*>(link)->target;
}

// --- objects by name ----------------------------------------------------------------------------------

namespace {

NTSTATUS check_attributes(const OBJECT_ATTRIBUTES& attributes) {
  if (attributes.Length != sizeof(OBJECT_ATTRIBUTES)) return STATUS_INVALID_PARAMETER;
  if ((attributes.Attributes & ~OBJ_VALID_ATTRIBUTES) != 0) return STATUS_INVALID_PARAMETER;
  const UNICODE_STRING* name = attributes.ObjectName;
  if (name != nullptr && (name->Length % sizeof(WCHAR) != 0 || name->Length > name->MaximumLength)) {
    return STATUS_OBJECT_NAME_INVALID;
  }
  return STATUS_SUCCESS;
}

}  // namespace

NTSTATUS ObjectManager::insert_object(void* object, const OBJECT_ATTRIBUTES* attributes, ACCESS_MASK desired,
                                      KPROCESSOR_MODE mode, HANDLE* handle, void** referenced) {
  *handle = nullptr;
  if (referenced != nullptr) *referenced = nullptr;
  ULONG flags = 0;
  std::u16string_view name;
  if (attributes != nullptr) {
    const NTSTATUS status = check_attributes(*attributes);
    if (!NT_SUCCESS(status)) {
      dereference(object);
      return status;
    }
    flags = attributes->Attributes;
    name = view_of(attributes->ObjectName);
  }
  if (mode == UserMode) {
    flags &= ~OBJ_KERNEL_HANDLE;  // user mode cannot make kernel handles
    if ((flags & OBJ_PERMANENT) != 0) {
      dereference(object);
      return STATUS_PRIVILEGE_NOT_HELD;  // SeCreatePermanentPrivilege
    }
  }
  void* target = object;
  NTSTATUS result = STATUS_SUCCESS;
  if (!name.empty()) {
    void* start = nullptr;
    if (attributes->RootDirectory != nullptr) {
      const NTSTATUS status = reference_by_handle(attributes->RootDirectory, DIRECTORY_CREATE_OBJECT, directory_type_,
                                                  mode, &start, nullptr);
      if (!NT_SUCCESS(status)) {
        dereference(object);
        return status;
      }
    }
    Walk walked;
    const NTSTATUS status = walk(start, std::u16string(name), flags, nullptr, true, walked);
    if (start != nullptr) dereference(start);
    if (status == STATUS_OBJECT_NAME_COLLISION && (flags & OBJ_OPENIF) != 0) {
      const bool same_type = header_of(walked.object)->type == header_of(object)->type;
      dereference(object);
      if (!same_type) {
        dereference(walked.object);
        return STATUS_OBJECT_TYPE_MISMATCH;
      }
      target = walked.object;  // the walk's reference stands in for the creation reference
      result = STATUS_OBJECT_NAME_EXISTS;
    } else if (!NT_SUCCESS(status)) {
      if (walked.object != nullptr) dereference(walked.object);
      dereference(object);
      return status;
    } else {
      attach_name(object, walked.directory, walked.component);
      ObjectHeader* header = header_of(object);
      if ((flags & OBJ_PERMANENT) != 0) {
        header->permanent = true;
        reference(object);
      } else {
        header->temporary_name = true;
      }
    }
  }
  *handle = create_handle(target, granted_access(desired, *header_of(target)->type), flags);
  if (referenced != nullptr) {
    reference(target);
    *referenced = target;
  }
  dereference(target);
  return result;
}

NTSTATUS ObjectManager::reference_by_name(const OBJECT_ATTRIBUTES* attributes, _OBJECT_TYPE* type, ACCESS_MASK desired,
                                          KPROCESSOR_MODE mode, void* parse_context, void** object) {
  *object = nullptr;
  if (attributes == nullptr) return STATUS_INVALID_PARAMETER;
  NTSTATUS status = check_attributes(*attributes);
  if (!NT_SUCCESS(status)) return status;
  const ULONG flags = attributes->Attributes;
  std::u16string name(view_of(attributes->ObjectName));

  Walk walked;
  if (attributes->RootDirectory != nullptr) {
    void* root = nullptr;
    status = reference_by_handle(attributes->RootDirectory, 0, nullptr, mode, &root, nullptr);
    if (!NT_SUCCESS(status)) return status;
    _OBJECT_TYPE* root_type = header_of(root)->type;
    if (root_type == directory_type_) {
      status = walk(root, std::move(name), flags, type, false, walked);
      dereference(root);
    } else if (root_type->parse_procedure != nullptr) {
      walked.object = root;  // the name is relative to an object that parses it itself
      walked.remaining = name;
      walked.complete_name = std::move(name);
      status = STATUS_SUCCESS;
    } else {
      dereference(root);
      return STATUS_INVALID_HANDLE;
    }
  } else {
    status = walk(nullptr, std::move(name), flags, type, false, walked);
  }

  for (int reparses = 0;;) {
    if (!NT_SUCCESS(status)) return status;
    void* found = walked.object;
    ParseProcedure parse = header_of(found)->type->parse_procedure;
    if (parse != nullptr) {
      ParseRequest request;
      request.complete_name = walked.complete_name;
      request.remaining = walked.remaining;
      request.attributes = flags;
      request.desired_access = desired;
      request.access_mode = mode;
      request.context = parse_context;
      ParseOutcome outcome;
      status = parse(found, request, outcome);
      dereference(found);
      if (status == STATUS_REPARSE) {
        if (++reparses > kMaxReparse) return STATUS_REPARSE_POINT_NOT_RESOLVED;
        walked = Walk{};
        status = walk(nullptr, std::move(outcome.reparse_name), flags, type, false, walked);
        continue;
      }
      if (!NT_SUCCESS(status)) return status;
      if (outcome.object == nullptr) return STATUS_OBJECT_NAME_NOT_FOUND;
      found = outcome.object;
    }
    if (type != nullptr && header_of(found)->type != type) {
      dereference(found);
      return STATUS_OBJECT_TYPE_MISMATCH;
    }
    *object = found;
    return STATUS_SUCCESS;
  }
}

NTSTATUS ObjectManager::open_by_name(const OBJECT_ATTRIBUTES* attributes, _OBJECT_TYPE* type, ACCESS_MASK desired,
                                     KPROCESSOR_MODE mode, void* parse_context, HANDLE* handle) {
  *handle = nullptr;
  void* object = nullptr;
  const NTSTATUS status = reference_by_name(attributes, type, desired, mode, parse_context, &object);
  if (!NT_SUCCESS(status)) return status;
  ULONG flags = attributes->Attributes;
  if (mode == UserMode) flags &= ~OBJ_KERNEL_HANDLE;
  *handle = create_handle(object, granted_access(desired, *header_of(object)->type), flags);
  dereference(object);
  return STATUS_SUCCESS;
}

}  // namespace wdmlab::ob
