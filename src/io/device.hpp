// io/device.hpp - device objects and device stacks.
//
// A device object is an object of type "Device" whose body is laid out as Windows lays it out:
// the DEVICE_OBJECT, then the driver's device extension (DeviceExtensionSize bytes, 16-byte
// aligned), then the I/O manager's private DEVOBJ_EXTENSION (DeviceNode below), which starts with
// the public DEVOBJ_EXTENSION fields (Type, Size, DeviceObject).
//
// Stacks: a device attached above another is its lower device's AttachedDevice; the upper device
// remembers what it is attached to in DeviceNode::attached_to (AttachedTo on Windows). IRPs sent to
// a device's name go to the top of its stack (IoGetAttachedDevice).
//
// Life cycle: IoCreateDevice makes the object with its creation reference and links it at the head
// of its driver's DeviceObject list. IoDeleteDevice removes the name at once (new opens fail) and
// marks the device delete-pending; the device leaves its driver's list and loses its creation
// reference when it also has no open file objects (ReferenceCount == 0) - at once, or when the last
// file object on it is closed.
#pragma once

#include <wdm.h>

#include <cstdint>

#include "io/driver.hpp"

namespace wdmlab::io {

// DOE_* extension flags, as Windows names them.
inline constexpr ULONG kDoeUnloadPending = 0x00000001;
inline constexpr ULONG kDoeDeletePending = 0x00000002;
inline constexpr ULONG kDoeRemovePending = 0x00000004;
inline constexpr ULONG kDoeRemoveProcessed = 0x00000008;
inline constexpr ULONG kDoeStartPending = 0x00000010;

// StartIo attributes (IoSetStartIoAttributes) and state.
inline constexpr ULONG kDoeSioDeferred = 0x00000001;
inline constexpr ULONG kDoeSioNoCancel = 0x00000002;
// The lab's: IoSetStartIoAttributes was called with NonCancelable FALSE (DDI rule StartIoCancel).
inline constexpr ULONG kDoeSioCancelableSet = 0x00000004;

struct DeviceNode {
  DEVOBJ_EXTENSION header;      // Type = IO_TYPE_DEVICE_OBJECT_EXTENSION, Size, DeviceObject
  PDEVICE_OBJECT attached_to;   // the device this one is attached above, or null
  ULONG extension_flags;        // DOE_*
  ULONG start_io_flags;         // DOE_SIO_*
  LONG start_io_count;          // nesting of IoStartNextPacket within StartIo (deferred StartIo)
  ULONG start_io_key;
  BOOLEAN start_io_pending;     // a deferred IoStartNextPacket is owed
  BOOLEAN start_io_cancelable;
};

// True if `object` is a device object the I/O manager made (and has not freed).
inline bool is_device(const DEVICE_OBJECT* object) {
  if (object == nullptr || object->Type != IO_TYPE_DEVICE) return false;
  const ob::ObjectHeader* header = ob::header_of(object);
  return header != nullptr && header->type == IoManager::require().device_type();
}
DeviceNode& node_of(PDEVICE_OBJECT device);

// The top of `device`'s stack.
PDEVICE_OBJECT top_of_stack(PDEVICE_OBJECT device);

// Called when a file object on `device` goes away (its IRP_MJ_CLOSE is done): drops the open
// count and finishes a pending delete.
void release_open(PDEVICE_OBJECT device);

}  // namespace wdmlab::io
