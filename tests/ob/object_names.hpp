// object_names.hpp - helpers the object manager's tests share: counted strings and
// OBJECT_ATTRIBUTES for a name, and object counts.
#pragma once

#include <wdm.h>

#include <string>
#include <string_view>

#include "ob/object.hpp"

namespace wdmlab::test {

// A UNICODE_STRING over `text` (which must outlive it).
inline UNICODE_STRING counted(std::u16string_view text) {
  UNICODE_STRING string;
  string.Buffer = const_cast<PWCH>(reinterpret_cast<const WCHAR*>(text.data()));
  string.Length = static_cast<USHORT>(text.size() * sizeof(WCHAR));
  string.MaximumLength = string.Length;
  return string;
}

// OBJECT_ATTRIBUTES naming `text` with `flags`; keeps its own copy of the name.
class ObjectName {
 public:
  explicit ObjectName(std::u16string text, ULONG flags = 0, HANDLE root = nullptr) : text_(std::move(text)) {
    string_ = counted(text_);
    InitializeObjectAttributes(&attributes_, &string_, flags, root, nullptr);
  }
  ObjectName(const ObjectName&) = delete;
  ObjectName& operator=(const ObjectName&) = delete;
  POBJECT_ATTRIBUTES get() { return &attributes_; }
  PUNICODE_STRING string() { return &string_; }

 private:
  std::u16string text_;
  UNICODE_STRING string_{};
  OBJECT_ATTRIBUTES attributes_{};
};

inline std::int64_t pointer_count(const void* object) { return ob::header_of(object)->pointer_count; }
inline std::int64_t handle_count(const void* object) { return ob::header_of(object)->handle_count; }

}  // namespace wdmlab::test
