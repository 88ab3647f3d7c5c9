// CreateFile, DeviceIoControl, ReadFile, WriteFile and their overlapped forms, and I/O completion
// ports, as kernel32 implements them over NtCreateFile, NtDeviceIoControlFile, NtReadFile,
// NtWriteFile, NtWaitForSingleObject and the NtXxxIoCompletion services.
#include <bit>
#include <string>

#include "io/completion_port.hpp"
#include "io/file_services.hpp"
#include "ob/sync_objects.hpp"
#include "user/teb.hpp"

namespace wdmlab::win32 {

namespace {

using user::store;
using user::system_call;
using user::Teb;

constexpr ULONG kFileAttributeValidFlags = 0x00007FB7;

bool starts_with(std::u16string_view text, std::u16string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// kernel32's path translation, for what the lab has (devices, no file systems): \\.\Name and
// \\?\Name name \??\Name; \\?\GLOBALROOT\ reaches the root of the namespace; anything else is a
// file-system path on the current drive C:, which the lab's namespace does not have.
std::u16string nt_path(std::u16string_view path) {
  if (starts_with(path, u"\\\\.\\") || starts_with(path, u"\\\\?\\")) {
    std::u16string result = u"\\??\\";
    result += path.substr(4);
    if (starts_with(result, u"\\??\\GLOBALROOT\\")) return result.substr(14);
    return result;
  }
  if (path.size() >= 2 && path[1] == u':') return u"\\??\\" + std::u16string(path);
  if (starts_with(path, u"\\")) return u"\\??\\C:" + std::u16string(path);
  return u"\\??\\C:\\" + std::u16string(path);
}

bool nt_disposition(DWORD disposition, ULONG& result) {
  switch (disposition) {
    case CREATE_NEW: result = FILE_CREATE; return true;
    case CREATE_ALWAYS: result = FILE_OVERWRITE_IF; return true;
    case OPEN_EXISTING: result = FILE_OPEN; return true;
    case OPEN_ALWAYS: result = FILE_OPEN_IF; return true;
    case TRUNCATE_EXISTING: result = FILE_OVERWRITE; return true;
    default: return false;
  }
}

ULONG create_options(DWORD flags) {
  ULONG options = FILE_NON_DIRECTORY_FILE;
  if ((flags & FILE_FLAG_OVERLAPPED) == 0) options |= FILE_SYNCHRONOUS_IO_NONALERT;
  if ((flags & FILE_FLAG_WRITE_THROUGH) != 0) options |= FILE_WRITE_THROUGH;
  if ((flags & FILE_FLAG_NO_BUFFERING) != 0) options |= FILE_NO_INTERMEDIATE_BUFFERING;
  if ((flags & FILE_FLAG_RANDOM_ACCESS) != 0) options |= FILE_RANDOM_ACCESS;
  if ((flags & FILE_FLAG_SEQUENTIAL_SCAN) != 0) options |= FILE_SEQUENTIAL_ONLY;
  return options;
}

HANDLE fail(Teb& teb, DWORD error) {
  teb.last_error = error;
  return INVALID_HANDLE_VALUE;
}

HANDLE create_file(Teb& teb, std::u16string_view name, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES security,
                   DWORD disposition, DWORD flags) {
  ULONG nt_create = 0;
  if (!nt_disposition(disposition, nt_create)) return fail(teb, ERROR_INVALID_PARAMETER);
  if (disposition == TRUNCATE_EXISTING && (access & GENERIC_WRITE) == 0) return fail(teb, ERROR_INVALID_PARAMETER);
  if (name.empty()) return fail(teb, ERROR_PATH_NOT_FOUND);
  const std::u16string path = nt_path(name);
  if (path.size() > user::kMaxPathChars) return fail(teb, ERROR_FILENAME_EXCED_RANGE);
  std::copy(path.begin(), path.end(), teb.name_buffer);
  teb.name.Buffer = teb.name_buffer;
  teb.name.Length = static_cast<USHORT>(path.size() * sizeof(WCHAR));
  teb.name.MaximumLength = teb.name.Length;
  const ULONG attributes =
      OBJ_CASE_INSENSITIVE | (security != nullptr && security->bInheritHandle ? OBJ_INHERIT : 0);
  InitializeObjectAttributes(&teb.attributes, &teb.name, attributes, nullptr, nullptr);
  teb.io_status = {};
  const NTSTATUS status = system_call(&CreateFileW, "NtCreateFile", [&] {
    return io::create_file(&teb.handle, access | SYNCHRONIZE | FILE_READ_ATTRIBUTES, &teb.attributes, &teb.io_status,
                           nullptr, flags & kFileAttributeValidFlags, share, nt_create, create_options(flags), nullptr,
                           0);
  });
  if (!NT_SUCCESS(status)) {
    if (status == STATUS_OBJECT_NAME_COLLISION && disposition == CREATE_NEW) return fail(teb, ERROR_FILE_EXISTS);
    user::set_last_status(teb, status);
    return INVALID_HANDLE_VALUE;
  }
  const bool existed = teb.io_status.Information == FILE_OPENED || teb.io_status.Information == FILE_OVERWRITTEN;
  teb.last_error = (disposition == CREATE_ALWAYS || disposition == OPEN_ALWAYS) && existed ? ERROR_ALREADY_EXISTS : 0;
  return teb.handle;
}

// The service arguments an overlapped or synchronous transfer passes.
struct Transfer {
  HANDLE event;
  PVOID apc_context;
  PIO_STATUS_BLOCK io_status;
  PLARGE_INTEGER byte_offset;
};

NTSTATUS status_of(const OVERLAPPED& overlapped) { return static_cast<NTSTATUS>(static_cast<ULONG>(overlapped.Internal)); }

PIO_STATUS_BLOCK status_block_of(LPOVERLAPPED overlapped) { return reinterpret_cast<PIO_STATUS_BLOCK>(&overlapped->Internal); }

PLARGE_INTEGER offset_of(Teb& teb, const OVERLAPPED& overlapped) {
  teb.byte_offset.LowPart = overlapped.Offset;
  teb.byte_offset.HighPart = static_cast<LONG>(overlapped.OffsetHigh);
  return &teb.byte_offset;
}

// An overlapped request's service arguments: Internal becomes STATUS_PENDING and is the status
// block, the byte offset comes from Offset/OffsetHigh.
Transfer overlapped_request(Teb& teb, const char* service_name, LPOVERLAPPED overlapped, HANDLE event,
                            PVOID apc_context) {
  user::note_if_not_user(service_name, "lpOverlapped", overlapped, sizeof(OVERLAPPED));
  overlapped->Internal = static_cast<ULONG>(STATUS_PENDING);
  return Transfer{event, apc_context, status_block_of(overlapped), offset_of(teb, *overlapped)};
}

// kernel32's answer for a request that is over: success reports the bytes; a warning reports them
// and fails; an error fails. A read at the end of the file succeeds with 0 bytes when it was
// synchronous and fails with ERROR_HANDLE_EOF when it was overlapped.
BOOL result_of(Teb& teb, NTSTATUS status, ULONG_PTR information, LPDWORD transferred, bool read, bool synchronous) {
  if (NT_SUCCESS(status)) {
    store(transferred, information);
    return TRUE;
  }
  if (status == STATUS_END_OF_FILE && read) {
    if (synchronous) {
      store(transferred, 0);
      return TRUE;
    }
    teb.last_error = ERROR_HANDLE_EOF;
    return FALSE;
  }
  if (NT_WARNING(status)) store(transferred, information);
  user::set_last_status(teb, status);
  return FALSE;
}

// The part ReadFile, WriteFile and DeviceIoControl share: the request is synchronous (the status
// block in the Teb; a pending request on an asynchronous handle is waited for on the handle) or
// overlapped (the event is hEvent without its low bit, which when set keeps the completion off the
// handle's completion port; a pending request fails with ERROR_IO_PENDING).
template <class Api, class Service>
BOOL transfer(Teb& teb, Api* api, const char* service_name, HANDLE file, LPOVERLAPPED overlapped,
              LPDWORD transferred, bool read, Service&& service) {
  if (overlapped != nullptr) {
    const auto event_value = reinterpret_cast<ULONG_PTR>(overlapped->hEvent);
    const Transfer request =
        overlapped_request(teb, service_name, overlapped, reinterpret_cast<HANDLE>(event_value & ~ULONG_PTR{1}),
                           (event_value & 1) != 0 ? nullptr : overlapped);
    const NTSTATUS status = system_call(api, service_name, [&] { return service(request); });
    if (status == STATUS_PENDING) {
      user::set_last_status(teb, status);
      return FALSE;
    }
    return result_of(teb, status, overlapped->InternalHigh, transferred, read, false);
  }
  teb.io_status = {};
  NTSTATUS status = system_call(api, service_name, [&] { return service(Transfer{nullptr, nullptr, &teb.io_status, nullptr}); });
  if (status == STATUS_PENDING) {
    status = system_call(api, "NtWaitForSingleObject", [&] { return ob::wait_for_single_object(file, false, nullptr); });
    if (NT_SUCCESS(status)) status = teb.io_status.Status;
  }
  return result_of(teb, status, teb.io_status.Information, transferred, read, true);
}

// kernel32's APC routine for ReadFileEx and WriteFileEx: calls the caller's completion routine
// with the Win32 error, the bytes transferred and the OVERLAPPED the status block lives in.
VOID NTAPI io_completion_apc(PVOID context, PIO_STATUS_BLOCK io_status, ULONG /*reserved*/) {
  auto routine = std::bit_cast<LPOVERLAPPED_COMPLETION_ROUTINE>(context);
  auto* overlapped = CONTAINING_RECORD(reinterpret_cast<ULONG_PTR*>(io_status), OVERLAPPED, Internal);
  const DWORD error = NT_ERROR(io_status->Status) ? RtlNtStatusToDosError(io_status->Status) : ERROR_SUCCESS;
  routine(error, static_cast<DWORD>(io_status->Information), overlapped);
}

template <class Api, class Service>
BOOL transfer_with_apc(Teb& teb, Api* api, const char* service_name, LPOVERLAPPED overlapped,
                       LPOVERLAPPED_COMPLETION_ROUTINE routine, Service&& service) {
  if (overlapped == nullptr || routine == nullptr) {
    teb.last_error = ERROR_INVALID_PARAMETER;
    return FALSE;
  }
  const Transfer request = overlapped_request(teb, service_name, overlapped, nullptr, std::bit_cast<PVOID>(routine));
  const NTSTATUS status = system_call(api, service_name, [&] { return service(request); });
  if (NT_ERROR(status)) {
    user::set_last_status(teb, status);
    return FALSE;
  }
  return TRUE;
}

// ReadFile and WriteFile, ReadFileEx and WriteFileEx: the same path over NtReadFile or NtWriteFile.
using FileService = NTSTATUS (*)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID, PIO_STATUS_BLOCK, PVOID, ULONG,
                                 PLARGE_INTEGER, PULONG);
struct Direction {
  const char* function;
  const void* api;
  const char* service_name;
  FileService service;
  bool read;
};

BOOL read_or_write(const Direction& direction, HANDLE file, PVOID buffer, DWORD length, LPDWORD transferred,
                   LPOVERLAPPED overlapped) {
  Teb& teb = user::enter(direction.function);
  store(transferred, 0);  // before any work, as the documentation says
  user::note_if_not_user(direction.function, "lpBuffer", buffer, length);
  return transfer(teb, direction.api, direction.service_name, file, overlapped, transferred, direction.read,
                  [&](const Transfer& t) {
                    return direction.service(file, t.event, nullptr, t.apc_context, t.io_status, buffer, length,
                                             t.byte_offset, nullptr);
                  });
}

BOOL read_or_write_ex(const Direction& direction, HANDLE file, PVOID buffer, DWORD length, LPOVERLAPPED overlapped,
                      LPOVERLAPPED_COMPLETION_ROUTINE routine) {
  Teb& teb = user::enter(direction.function);
  user::note_if_not_user(direction.function, "lpBuffer", buffer, length);
  return transfer_with_apc(teb, direction.api, direction.service_name, overlapped, routine, [&](const Transfer& t) {
    return direction.service(file, nullptr, &io_completion_apc, t.apc_context, t.io_status, buffer, length,
                             t.byte_offset, nullptr);
  });
}

}  // namespace

namespace {
const Direction kRead{"ReadFile", reinterpret_cast<const void*>(&ReadFile), "NtReadFile", &io::read_file, true};
const Direction kWrite{"WriteFile", reinterpret_cast<const void*>(&WriteFile), "NtWriteFile", &io::write_file, false};
const Direction kReadEx{"ReadFileEx", reinterpret_cast<const void*>(&ReadFileEx), "NtReadFile", &io::read_file, true};
const Direction kWriteEx{"WriteFileEx", reinterpret_cast<const void*>(&WriteFileEx), "NtWriteFile", &io::write_file,
                         false};
}  // namespace

HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE /*hTemplateFile*/) {
  Teb& teb = user::enter("CreateFileW");
  if (lpFileName == nullptr) return fail(teb, ERROR_INVALID_PARAMETER);
  return create_file(teb, std::u16string_view(reinterpret_cast<const char16_t*>(lpFileName)), dwDesiredAccess,
                     dwShareMode, lpSecurityAttributes, dwCreationDisposition, dwFlagsAndAttributes);
}

HANDLE CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                   LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                   DWORD dwFlagsAndAttributes, HANDLE /*hTemplateFile*/) {
  Teb& teb = user::enter("CreateFileA");
  if (lpFileName == nullptr) return fail(teb, ERROR_INVALID_PARAMETER);
  // The ANSI code page is taken as Latin-1 (device names are ASCII).
  std::u16string name;
  for (const char* c = lpFileName; *c != '\0'; ++c) name.push_back(static_cast<char16_t>(static_cast<unsigned char>(*c)));
  return create_file(teb, name, dwDesiredAccess, dwShareMode, lpSecurityAttributes, dwCreationDisposition,
                     dwFlagsAndAttributes);
}

BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD nInBufferSize,
                     LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped) {
  Teb& teb = user::enter("DeviceIoControl");
  user::note_if_not_user("DeviceIoControl", "lpInBuffer", lpInBuffer, nInBufferSize);
  user::note_if_not_user("DeviceIoControl", "lpOutBuffer", lpOutBuffer, nOutBufferSize);
  return transfer(teb, &DeviceIoControl, "NtDeviceIoControlFile", hDevice, lpOverlapped, lpBytesReturned, false,
                  [&](const Transfer& t) {
                    return io::device_io_control_file(hDevice, t.event, nullptr, t.apc_context, t.io_status,
                                                      dwIoControlCode, lpInBuffer, nInBufferSize, lpOutBuffer,
                                                      nOutBufferSize);
                  });
}

BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead,
              LPOVERLAPPED lpOverlapped) {
  return read_or_write(kRead, hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead, lpOverlapped);
}

BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD lpNumberOfBytesWritten,
               LPOVERLAPPED lpOverlapped) {
  return read_or_write(kWrite, hFile, const_cast<PVOID>(lpBuffer), nNumberOfBytesToWrite, lpNumberOfBytesWritten,
                       lpOverlapped);
}

BOOL ReadFileEx(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPOVERLAPPED lpOverlapped,
                LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  return read_or_write_ex(kReadEx, hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped, lpCompletionRoutine);
}

BOOL WriteFileEx(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPOVERLAPPED lpOverlapped,
                 LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  return read_or_write_ex(kWriteEx, hFile, const_cast<PVOID>(lpBuffer), nNumberOfBytesToWrite, lpOverlapped,
                          lpCompletionRoutine);
}

BOOL GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred, BOOL bWait) {
  return GetOverlappedResultEx(hFile, lpOverlapped, lpNumberOfBytesTransferred, bWait ? INFINITE : 0, FALSE);
}

BOOL GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                           DWORD dwMilliseconds, BOOL bAlertable) {
  Teb& teb = user::enter("GetOverlappedResultEx");
  if (status_of(*lpOverlapped) == STATUS_PENDING) {
    if (dwMilliseconds == 0) {
      teb.last_error = ERROR_IO_INCOMPLETE;
      return FALSE;
    }
    const auto event = reinterpret_cast<HANDLE>(reinterpret_cast<ULONG_PTR>(lpOverlapped->hEvent) & ~ULONG_PTR{1});
    const DWORD waited = WaitForSingleObjectEx(event != nullptr ? event : hFile, dwMilliseconds, bAlertable);
    if (waited == WAIT_FAILED) return FALSE;
    if (waited != WAIT_OBJECT_0) {
      teb.last_error = waited;  // WAIT_TIMEOUT or WAIT_IO_COMPLETION
      return FALSE;
    }
  }
  store(lpNumberOfBytesTransferred, lpOverlapped->InternalHigh);
  return user::succeeded(teb, status_of(*lpOverlapped));
}

// --- cancelling I/O --------------------------------------------------------------------------------

BOOL CancelIo(HANDLE hFile) {
  Teb& teb = user::enter("CancelIo");
  return user::succeeded(teb, system_call(&CancelIo, "NtCancelIoFile", [&] {
                     return io::cancel_io_file(hFile, nullptr, false, &teb.io_status);
                   }));
}

BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped) {
  Teb& teb = user::enter("CancelIoEx");
  PIO_STATUS_BLOCK request = lpOverlapped != nullptr ? status_block_of(lpOverlapped) : nullptr;
  return user::succeeded(teb, system_call(&CancelIoEx, "NtCancelIoFileEx", [&] {
                     return io::cancel_io_file(hFile, request, true, &teb.io_status);
                   }));
}

BOOL CancelSynchronousIo(HANDLE hThread) {
  Teb& teb = user::enter("CancelSynchronousIo");
  return user::succeeded(teb, system_call(&CancelSynchronousIo, "NtCancelSynchronousIoFile", [&] {
                     return io::cancel_synchronous_io_file(hThread, nullptr, &teb.io_status);
                   }));
}

// --- I/O completion ports ---------------------------------------------------------------------------

HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey,
                              DWORD NumberOfConcurrentThreads) {
  Teb& teb = user::enter("CreateIoCompletionPort");
  if (FileHandle == INVALID_HANDLE_VALUE && ExistingCompletionPort != nullptr) {
    teb.last_error = ERROR_INVALID_PARAMETER;
    return nullptr;
  }
  HANDLE port = ExistingCompletionPort;
  if (port == nullptr) {
    const NTSTATUS status = system_call(&CreateIoCompletionPort, "NtCreateIoCompletion", [&] {
      return io::create_io_completion(&teb.handle, io::kIoCompletionAllAccess, NumberOfConcurrentThreads);
    });
    if (!NT_SUCCESS(status)) {
      user::set_last_status(teb, status);
      return nullptr;
    }
    port = teb.handle;
  }
  if (FileHandle != INVALID_HANDLE_VALUE) {
    const NTSTATUS status = system_call(&CreateIoCompletionPort, "NtSetInformationFile", [&] {
      return io::associate_completion_port(FileHandle, port, reinterpret_cast<PVOID>(CompletionKey));
    });
    if (!NT_SUCCESS(status)) {
      if (port != ExistingCompletionPort) CloseHandle(port);
      user::set_last_status(teb, status);
      return nullptr;
    }
  }
  return port;
}

BOOL GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred, PULONG_PTR lpCompletionKey,
                               LPOVERLAPPED* lpOverlapped, DWORD dwMilliseconds) {
  Teb& teb = user::enter("GetQueuedCompletionStatus");
  const NTSTATUS status = system_call(&GetQueuedCompletionStatus, "NtRemoveIoCompletion", [&] {
    return io::remove_io_completion(CompletionPort, &teb.key, &teb.apc_context, &teb.io_status,
                                    user::timeout_of(teb, dwMilliseconds), FALSE);
  });
  if (!NT_SUCCESS(status) || status == STATUS_TIMEOUT) {
    store(lpOverlapped, nullptr);
    if (status == STATUS_TIMEOUT) {
      teb.last_error = WAIT_TIMEOUT;
    } else {
      user::set_last_status(teb, status);
    }
    return FALSE;
  }
  store(lpOverlapped, static_cast<LPOVERLAPPED>(teb.apc_context));
  store(lpCompletionKey, reinterpret_cast<ULONG_PTR>(teb.key));
  store(lpNumberOfBytesTransferred, teb.io_status.Information);
  if (!NT_SUCCESS(teb.io_status.Status)) {
    user::set_last_status(teb, teb.io_status.Status);
    return FALSE;
  }
  return TRUE;
}

BOOL PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred, ULONG_PTR dwCompletionKey,
                                LPOVERLAPPED lpOverlapped) {
  Teb& teb = user::enter("PostQueuedCompletionStatus");
  const NTSTATUS status = system_call(&PostQueuedCompletionStatus, "NtSetIoCompletion", [&] {
    return io::set_io_completion(CompletionPort, reinterpret_cast<PVOID>(dwCompletionKey), lpOverlapped,
                                 STATUS_SUCCESS, dwNumberOfBytesTransferred);
  });
  if (!NT_SUCCESS(status)) {
    user::set_last_status(teb, status);
    return FALSE;
  }
  return TRUE;
}

}  // namespace wdmlab::win32
