// Events, waits, sleeping and handles, as kernel32 implements them over NtCreateEvent, NtSetEvent,
// NtWaitForSingleObject, NtDelayExecution, NtDuplicateObject and NtClose.
#include <string>

#include "ke/dispatcher.hpp"
#include "ob/object.hpp"
#include "ob/sync_objects.hpp"
#include "user/teb.hpp"

namespace wdmlab::win32 {

namespace {

using user::system_call;
using user::succeeded;
using user::Teb;


// Win32's named objects live in \BaseNamedObjects (one session).
void named_object_attributes(Teb& teb, LPCWSTR name, LPSECURITY_ATTRIBUTES security) {
  const ULONG attributes = OBJ_OPENIF | (security != nullptr && security->bInheritHandle ? OBJ_INHERIT : 0);
  if (name == nullptr) {
    InitializeObjectAttributes(&teb.attributes, nullptr, attributes, nullptr, nullptr);
    return;
  }
  std::u16string path = u"\\BaseNamedObjects\\";
  path += reinterpret_cast<const char16_t*>(name);
  const std::size_t length = std::min(path.size(), user::kMaxPathChars);
  std::copy_n(path.begin(), length, teb.name_buffer);
  teb.name.Buffer = teb.name_buffer;
  teb.name.Length = static_cast<USHORT>(std::min<std::size_t>(length * sizeof(WCHAR), 0xFFFE));
  teb.name.MaximumLength = teb.name.Length;
  InitializeObjectAttributes(&teb.attributes, &teb.name, attributes, nullptr, nullptr);
}

DWORD wait_result(Teb& teb, NTSTATUS status) {
  user::return_to_user_mode(status);
  switch (status) {
    case STATUS_WAIT_0: return WAIT_OBJECT_0;
    case STATUS_ABANDONED_WAIT_0: return WAIT_ABANDONED;
    case STATUS_TIMEOUT: return WAIT_TIMEOUT;
    case STATUS_USER_APC: return WAIT_IO_COMPLETION;
    default: break;
  }
  user::set_last_status(teb, status);
  return WAIT_FAILED;
}

}  // namespace

HANDLE CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState, LPCWSTR lpName) {
  Teb& teb = user::enter("CreateEventW");
  named_object_attributes(teb, lpName, lpEventAttributes);
  const NTSTATUS status = system_call(&CreateEventW, "NtCreateEvent", [&] {
    return ob::create_event(&teb.handle, EVENT_ALL_ACCESS, &teb.attributes,
                            bManualReset ? NotificationEvent : SynchronizationEvent, bInitialState != FALSE);
  });
  if (!NT_SUCCESS(status)) {
    user::set_last_status(teb, status);
    return nullptr;
  }
  teb.last_error = status == STATUS_OBJECT_NAME_EXISTS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS;
  return teb.handle;
}

BOOL SetEvent(HANDLE hEvent) {
  Teb& teb = user::enter("SetEvent");
  return succeeded(teb, system_call(&SetEvent, "NtSetEvent", [&] { return ob::set_event(hEvent, nullptr); }));
}

BOOL ResetEvent(HANDLE hEvent) {
  Teb& teb = user::enter("ResetEvent");
  return succeeded(teb, system_call(&ResetEvent, "NtClearEvent", [&] { return ob::clear_event(hEvent); }));
}

DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds) {
  return WaitForSingleObjectEx(hHandle, dwMilliseconds, FALSE);
}

DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable) {
  Teb& teb = user::enter("WaitForSingleObjectEx");
  const NTSTATUS status = system_call(&WaitForSingleObjectEx, "NtWaitForSingleObject", [&] {
    return ob::wait_for_single_object(hHandle, bAlertable != FALSE, user::timeout_of(teb, dwMilliseconds));
  });
  return wait_result(teb, status);
}

DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable) {
  (void)user::enter("SleepEx");
  const NTSTATUS status = system_call(&SleepEx, "NtDelayExecution", [&] {
    ke::Kernel& kernel = ke::Kernel::require();
    const sched::Time due = dwMilliseconds == INFINITE
                                ? sched::kNever
                                : kernel.scheduler().now() + static_cast<sched::Time>(dwMilliseconds) * 10'000;
    return ke::delay_execution(UserMode, bAlertable ? TRUE : FALSE, due);
  });
  user::return_to_user_mode(status);
  return status == STATUS_USER_APC ? WAIT_IO_COMPLETION : 0;
}

void Sleep(DWORD dwMilliseconds) { (void)SleepEx(dwMilliseconds, FALSE); }

BOOL DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle, HANDLE hTargetProcessHandle,
                     HANDLE* lpTargetHandle, DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwOptions) {
  Teb& teb = user::enter("DuplicateHandle");
  const NTSTATUS status = system_call(&DuplicateHandle, "NtDuplicateObject", [&] {
    return ob::ObjectManager::require().duplicate(hSourceProcessHandle, hSourceHandle, hTargetProcessHandle,
                                                  lpTargetHandle != nullptr ? &teb.handle : nullptr, dwDesiredAccess,
                                                  bInheritHandle ? OBJ_INHERIT : 0, dwOptions, UserMode);
  });
  if (NT_SUCCESS(status)) user::store(lpTargetHandle, teb.handle);
  return succeeded(teb, status);
}

BOOL CloseHandle(HANDLE hObject) {
  Teb& teb = user::enter("CloseHandle");
  return succeeded(teb, system_call(&CloseHandle, "NtClose", [&] {
                     return ob::ObjectManager::require().close(hObject, UserMode);
                   }));
}

}  // namespace wdmlab::win32
