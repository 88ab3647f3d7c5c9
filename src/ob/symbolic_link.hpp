// ob/symbolic_link.hpp - symbolic link objects (type "SymbolicLink") by OBJECT_ATTRIBUTES: the
// native services behind ZwCreateSymbolicLinkObject, ZwOpenSymbolicLinkObject and
// ZwQuerySymbolicLinkObject, for the DDI shims and for the user-mode layer (DefineDosDeviceW,
// QueryDosDeviceW). `mode` is the caller's previous mode, as in sync_objects.hpp.
//
// A lookup follows a link wherever it appears in a name; opening a link itself needs the
// SymbolicLink type (these routines pass it) or OBJ_OPENLINK.
#pragma once

#include <wdm.h>

#include <string_view>

#include "ob/previous_mode.hpp"

namespace wdmlab::ob {

NTSTATUS create_symbolic_link_object(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                                     std::u16string_view target, KPROCESSOR_MODE mode = previous_mode());
NTSTATUS open_symbolic_link_object(HANDLE* handle, ACCESS_MASK desired, const OBJECT_ATTRIBUTES* attributes,
                                   KPROCESSOR_MODE mode = previous_mode());
// SYMBOLIC_LINK_QUERY. Copies the target into `target` (null-terminated when MaximumLength leaves
// room); STATUS_BUFFER_TOO_SMALL, copying nothing, when MaximumLength is shorter than the target.
// `returned_length` (optional) receives the bytes the target takes with its terminating null.
NTSTATUS query_symbolic_link(HANDLE handle, UNICODE_STRING* target, ULONG* returned_length,
                             KPROCESSOR_MODE mode = previous_mode());

}  // namespace wdmlab::ob
