// Processes, threads, the last error and virtual memory.
#include "base/address_space.hpp"
#include "ob/object.hpp"
#include "ps/process.hpp"
#include "user/teb.hpp"
#include "user/user_process.hpp"

namespace wdmlab::win32 {

namespace {

using user::system_call;
using user::Teb;

_ETHREAD& current_thread() { return *ps::ProcessManager::require().current_thread(); }

bool access_of(DWORD protect, base::AddressSpace::Access& access) {
  switch (protect) {
    case PAGE_NOACCESS: access = base::AddressSpace::Access::None; return true;
    case PAGE_READONLY: access = base::AddressSpace::Access::Read; return true;
    case PAGE_READWRITE: access = base::AddressSpace::Access::ReadWrite; return true;
    default: return false;
  }
}

DWORD protect_of(base::AddressSpace::Access access) {
  switch (access) {
    case base::AddressSpace::Access::None: return PAGE_NOACCESS;
    case base::AddressSpace::Access::Read: return PAGE_READONLY;
    case base::AddressSpace::Access::ReadWrite: return PAGE_READWRITE;
  }
  return PAGE_NOACCESS;
}

// True if every page of [address, address + size) is memory of the calling process.
bool own_pages(const void* address, SIZE_T size) {
  base::AddressSpace& space = *base::AddressSpace::current();
  const auto start = reinterpret_cast<std::uintptr_t>(address);
  if (!current_thread().process->user_range.contains(start) || size == 0) return false;
  for (std::uintptr_t page = start & ~(base::AddressSpace::kPageSize - 1); page < start + size;
       page += base::AddressSpace::kPageSize) {
    if (!space.access_at(page)) return false;
  }
  return true;
}

}  // namespace

HANDLE GetCurrentProcess() { return NtCurrentProcess(); }
HANDLE GetCurrentThread() { return NtCurrentThread(); }

DWORD GetCurrentProcessId() {
  (void)user::enter("GetCurrentProcessId");
  return static_cast<DWORD>(reinterpret_cast<ULONG_PTR>(current_thread().Cid.UniqueProcess));
}

DWORD GetCurrentThreadId() {
  (void)user::enter("GetCurrentThreadId");
  return static_cast<DWORD>(reinterpret_cast<ULONG_PTR>(current_thread().Cid.UniqueThread));
}

HANDLE OpenThread(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwThreadId) {
  Teb& teb = user::enter("OpenThread");
  ps::ProcessManager& processes = ps::ProcessManager::require();
  const NTSTATUS status = system_call(&OpenThread, "NtOpenThread", [&] {
    _ETHREAD* thread = processes.find_thread(reinterpret_cast<HANDLE>(static_cast<ULONG_PTR>(dwThreadId)));
    if (thread == nullptr) return STATUS_INVALID_CID;
    return ob::ObjectManager::require().open_object(thread, bInheritHandle ? OBJ_INHERIT : 0, dwDesiredAccess,
                                                    processes.thread_type(), UserMode, &teb.handle);
  });
  return user::succeeded(teb, status) ? teb.handle : nullptr;
}

BOOL TerminateThread(HANDLE hThread, DWORD dwExitCode) {
  Teb& teb = user::enter("TerminateThread");
  ps::ProcessManager& processes = ps::ProcessManager::require();
  const auto exit_status = static_cast<NTSTATUS>(dwExitCode);
  return user::succeeded(teb, system_call(&TerminateThread, "NtTerminateThread", [&] {
    _ETHREAD* thread = nullptr;
    ob::ObjectManager& objects = ob::ObjectManager::require();
    NTSTATUS status = objects.reference_by_handle(hThread, THREAD_TERMINATE, processes.thread_type(), UserMode,
                                                  reinterpret_cast<void**>(&thread), nullptr);
    if (!NT_SUCCESS(status)) return status;
    const bool self = thread == &current_thread();
    if (!self) status = processes.terminate_thread(*thread, exit_status);
    objects.dereference(thread);
    if (self) processes.exit_current_thread(exit_status);
    return status;
  }));
}

BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode) {
  Teb& teb = user::enter("GetExitCodeThread");
  ps::ProcessManager& processes = ps::ProcessManager::require();
  DWORD code = 0;
  const NTSTATUS status = system_call(&GetExitCodeThread, "NtQueryInformationThread", [&] {
    _ETHREAD* thread = nullptr;
    OBJECT_HANDLE_INFORMATION information{};
    ob::ObjectManager& objects = ob::ObjectManager::require();
    NTSTATUS result = objects.reference_by_handle(hThread, 0, processes.thread_type(), UserMode,
                                                  reinterpret_cast<void**>(&thread), &information);
    if (!NT_SUCCESS(result)) return result;
    if ((information.GrantedAccess & (THREAD_QUERY_INFORMATION | THREAD_QUERY_LIMITED_INFORMATION)) == 0) {
      result = STATUS_ACCESS_DENIED;
    } else {
      code = thread->Tcb.terminated ? static_cast<DWORD>(thread->Tcb.ExitStatus) : STILL_ACTIVE;
    }
    objects.dereference(thread);
    return result;
  });
  if (!user::succeeded(teb, status)) return FALSE;
  if (lpExitCode == nullptr) {
    teb.last_error = ERROR_NOACCESS;
    return FALSE;
  }
  *lpExitCode = code;
  return TRUE;
}

void ExitProcess(UINT uExitCode) {
  (void)user::enter("ExitProcess");
  user::exit_process(reinterpret_cast<const void*>(&ExitProcess), uExitCode);
}

DWORD GetLastError() { return user::enter("GetLastError").last_error; }

void SetLastError(DWORD dwErrCode) { user::enter("SetLastError").last_error = dwErrCode; }

LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect) {
  Teb& teb = user::enter("VirtualAlloc");
  base::AddressSpace::Access access{};
  if (dwSize == 0 || (flAllocationType & (MEM_COMMIT | MEM_RESERVE)) == 0 ||
      (flAllocationType & ~(MEM_COMMIT | MEM_RESERVE)) != 0 || !access_of(flProtect, access)) {
    teb.last_error = ERROR_INVALID_PARAMETER;
    return nullptr;
  }
  if (lpAddress != nullptr) {
    // Committing inside an earlier reservation: the lab commits whole allocations at once.
    if ((flAllocationType & MEM_COMMIT) != 0 && own_pages(lpAddress, dwSize)) {
      base::AddressSpace::current()->protect(lpAddress, dwSize, access);
      return lpAddress;
    }
    teb.last_error = ERROR_INVALID_ADDRESS;
    return nullptr;
  }
  void* memory = ps::ProcessManager::require().map_user(*current_thread().process, dwSize);
  if ((flAllocationType & MEM_COMMIT) == 0) access = base::AddressSpace::Access::None;  // reserved only
  if (access != base::AddressSpace::Access::ReadWrite) base::AddressSpace::current()->protect(memory, dwSize, access);
  return memory;
}

BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType) {
  Teb& teb = user::enter("VirtualFree");
  base::AddressSpace& space = *base::AddressSpace::current();
  if (dwFreeType == MEM_RELEASE) {
    if (dwSize != 0) {
      teb.last_error = ERROR_INVALID_PARAMETER;
      return FALSE;
    }
    const auto base = reinterpret_cast<std::uintptr_t>(lpAddress);
    const std::size_t extent = current_thread().process->user_range.contains(base) ? space.mapping_extent(base) : 0;
    if (extent == 0) {
      teb.last_error = ERROR_INVALID_ADDRESS;
      return FALSE;
    }
    space.unmap_user(lpAddress, extent);
    return TRUE;
  }
  if (dwFreeType == MEM_DECOMMIT) {
    if (!own_pages(lpAddress, dwSize)) {
      teb.last_error = ERROR_INVALID_ADDRESS;
      return FALSE;
    }
    space.protect(lpAddress, dwSize, base::AddressSpace::Access::None);
    return TRUE;
  }
  teb.last_error = ERROR_INVALID_PARAMETER;
  return FALSE;
}

BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect) {
  Teb& teb = user::enter("VirtualProtect");
  base::AddressSpace::Access access{};
  if (!access_of(flNewProtect, access)) {
    teb.last_error = ERROR_INVALID_PARAMETER;
    return FALSE;
  }
  if (lpflOldProtect == nullptr) {
    teb.last_error = ERROR_NOACCESS;
    return FALSE;
  }
  if (!own_pages(lpAddress, dwSize)) {
    teb.last_error = ERROR_INVALID_ADDRESS;
    return FALSE;
  }
  base::AddressSpace& space = *base::AddressSpace::current();
  *lpflOldProtect = protect_of(*space.access_at(reinterpret_cast<std::uintptr_t>(lpAddress)));
  space.protect(lpAddress, dwSize, access);
  return TRUE;
}

}  // namespace wdmlab::win32
