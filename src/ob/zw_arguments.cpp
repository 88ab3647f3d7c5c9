#include "ob/zw_arguments.hpp"

#include <fmt/format.h>

#include "base/address_space.hpp"
#include "verifier/verifier.hpp"

namespace wdmlab::ob {

namespace {

std::uint64_t number(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

bool user_address(const void* pointer) {
  const base::AddressSpace* space = base::AddressSpace::current();
  return pointer != nullptr && space != nullptr && space->is_user(number(pointer));
}

// Reports the first user-mode address among `pointers`; true if one was found.
bool check_pointer(const char* routine, const char* what, const void* pointer, const void* caller) {
  if (!user_address(pointer)) return false;
  verifier::violation({.parameters = {0xE3, number(pointer), number(caller), 0},
                       .description = fmt::format("{} was given the user-mode address {} as {}: a Zw routine "
                                                  "trusts its arguments (PreviousMode is KernelMode), so user mode "
                                                  "would choose what the kernel reads or writes.",
                                                  routine, pointer, what)});
  return true;
}

void check_string(const char* routine, const UNICODE_STRING* string, const void* caller) {
  if (string == nullptr || check_pointer(routine, "a UNICODE_STRING", string, caller)) return;
  const bool malformed = string->Length % sizeof(WCHAR) != 0 || string->MaximumLength % sizeof(WCHAR) != 0 ||
                         string->Length > string->MaximumLength;
  if (malformed) {
    verifier::violation(
        {.parameters = {0xE4, number(string), number(caller), 0},
         .description = fmt::format("{} was given a malformed UNICODE_STRING at {} (Length {}, "
                                    "MaximumLength {}): lengths are even byte counts and Length "
                                    "cannot exceed MaximumLength.",
                                    routine, static_cast<const void*>(string), string->Length, string->MaximumLength)});
    return;
  }
  check_pointer(routine, "a UNICODE_STRING's Buffer", string->Buffer, caller);
}

}  // namespace

void check_zw_arguments(const char* routine, const OBJECT_ATTRIBUTES* attributes,
                        std::initializer_list<const void*> pointers, const void* caller, const UNICODE_STRING* string) {
  if (!verifier::active(kVerifierSecurityChecks)) return;
  if (attributes != nullptr && !check_pointer(routine, "its OBJECT_ATTRIBUTES", attributes, caller)) {
    check_string(routine, attributes->ObjectName, caller);
  }
  for (const void* pointer : pointers) check_pointer(routine, "an argument", pointer, caller);
  check_string(routine, string, caller);
}

}  // namespace wdmlab::ob
