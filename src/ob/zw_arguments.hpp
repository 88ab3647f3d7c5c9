// ob/zw_arguments.hpp - Security Checks (/flags 0x100) on the arguments a verified driver passes
// to a Zw routine.
//
// A Zw routine runs with PreviousMode KernelMode, so nothing it is given is probed: a user-mode
// address among its arguments lets the caller's user process choose what the kernel reads or
// writes. check_zw_arguments() reports, before the routine does anything:
//   0xC4/0xE3 [0xE3, user-mode address, caller, 0]: the OBJECT_ATTRIBUTES, its ObjectName, the
//             name's Buffer, or any pointer argument (IO_STATUS_BLOCK, handle out, data buffers)
//             is a user-mode address;
//   0xC4/0xE4 [0xE4, UNICODE_STRING, caller, 0]: the ObjectName (or another UNICODE_STRING
//             argument) is malformed: odd Length or MaximumLength, or Length > MaximumLength.
// Fatal; unverified (or with 0x100 off) the routine carries on as the kernel would. Costs one
// flags lookup when the check is off.
#pragma once

#include <wdm.h>

#include <initializer_list>

namespace wdmlab::ob {

void check_zw_arguments(const char* routine, const OBJECT_ATTRIBUTES* attributes,
                        std::initializer_list<const void*> pointers, const void* caller,
                        const UNICODE_STRING* string = nullptr);

}  // namespace wdmlab::ob
