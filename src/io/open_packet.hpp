// io/open_packet.hpp - what an open (NtCreateFile, NtOpenFile, IoGetDeviceObjectPointer) hands
// through the object manager's name lookup to the Device type's parse procedure, and what it gets
// back.
#pragma once

#include <wdm.h>

#include <cstdint>

namespace wdmlab::io {

struct OpenPacket {
  static constexpr std::uint32_t kMagic = 0x4E45504F;  // "OPEN"
  std::uint32_t magic = kMagic;
  // The request.
  ULONG disposition = FILE_OPEN;
  ULONG create_options = 0;
  ULONG share_access = 0;
  ULONG file_attributes = 0;
  LARGE_INTEGER allocation_size{};
  PVOID ea_buffer = nullptr;
  ULONG ea_length = 0;
  // The result: whether a device's parse procedure handled the open, and the create IRP's
  // IoStatus.Information (FILE_OPENED, ...).
  bool parsed = false;
  ULONG_PTR information = 0;
  // What the create IRP's stack location points at while it is in progress.
  IO_SECURITY_CONTEXT security_context{};
  ACCESS_STATE access_state{};
};

}  // namespace wdmlab::io
