/*
 * ioctl_methods - a legacy (non-PnP) driver with one I/O control code per buffering method, and
 * the checks a driver owes each of them (see ioctl_methods_public.h for the codes).
 *
 *   METHOD_BUFFERED    the I/O manager copies the input into Irp->AssociatedIrp.SystemBuffer and,
 *                      when the request succeeds, Information bytes of it back to the output.
 *   METHOD_IN_DIRECT   input in the SystemBuffer; the output buffer is probed for reading and
 *   METHOD_OUT_DIRECT  locked, described by Irp->MdlAddress (for writing with OUT_DIRECT). Nothing is
 *                      copied back from the SystemBuffer.
 *   METHOD_NEITHER     the caller's raw pointers: Type3InputBuffer and Irp->UserBuffer. Valid only in
 *                      the caller's context, so the driver must probe them when the request came
 *                      from user mode and touch them only inside __try/__except.
 *
 * The access bits of a control code are checked by the I/O manager against the handle before the
 * driver sees the request: SET_VALUE needs a handle opened for writing, GET_VALUE one opened for
 * reading. Every dispatch routine logs one line, so a test can tell which requests reached it.
 */
#include <ntddk.h>

#include "ioctl_methods_public.h"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD IoctlMethodsUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH IoctlMethodsCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH IoctlMethodsDeviceControl;

typedef struct _IOCTL_METHODS_EXTENSION {
  LONG Value; /* set by IOCTL_METHODS_SET_VALUE; read and written with interlocked operations */
} IOCTL_METHODS_EXTENSION, *PIOCTL_METHODS_EXTENSION;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, IoctlMethodsUnload)
#pragma alloc_text(PAGE, IoctlMethodsCreateClose)
#pragma alloc_text(PAGE, IoctlMethodsDeviceControl)
#endif

/* REVERSE and UPPERCASE write one output byte per input byte: a non-empty input, and room for it. */
static NTSTATUS IoctlMethodsCheckTransform(_In_ PIO_STACK_LOCATION Stack, _In_opt_ const volatile VOID *Input) {
  ULONG in = Stack->Parameters.DeviceIoControl.InputBufferLength;

  if (in == 0 || Input == NULL) {
    return STATUS_INVALID_PARAMETER;
  }
  if (Stack->Parameters.DeviceIoControl.OutputBufferLength < in) {
    return STATUS_BUFFER_TOO_SMALL;
  }
  return STATUS_SUCCESS;
}

/*
 * VERIFY and FILL: the input structure of `InputSize` bytes, copied out of the system buffer, and
 * the locked user buffer mapped into system space, with its length.
 */
static NTSTATUS IoctlMethodsDirectBuffers(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _In_ ULONG InputSize,
                                          _Out_writes_bytes_(InputSize) PVOID Input, _Outptr_ PUCHAR *Data,
                                          _Out_ PULONG Length) {
  *Data = NULL;
  *Length = 0;
  if (Stack->Parameters.DeviceIoControl.InputBufferLength < InputSize || Irp->MdlAddress == NULL) {
    return STATUS_INVALID_PARAMETER;
  }
  RtlCopyMemory(Input, Irp->AssociatedIrp.SystemBuffer, InputSize);
  *Data = (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
  if (*Data == NULL) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *Length = MmGetMdlByteCount(Irp->MdlAddress);
  return STATUS_SUCCESS;
}

/* METHOD_BUFFERED: the bytes of the input, in reverse order, in place in the system buffer. */
static NTSTATUS IoctlMethodsReverse(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _Out_ PULONG_PTR Written) {
  ULONG in = Stack->Parameters.DeviceIoControl.InputBufferLength;
  PUCHAR buffer = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
  NTSTATUS status;
  ULONG i;
  UCHAR swap;

  *Written = 0;
  status = IoctlMethodsCheckTransform(Stack, buffer);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  for (i = 0; i < in / 2; ++i) {
    swap = buffer[i];
    buffer[i] = buffer[in - 1 - i];
    buffer[in - 1 - i] = swap;
  }
  *Written = in;
  return STATUS_SUCCESS;
}

/* METHOD_IN_DIRECT: hashes the locked output buffer and compares with the hash in the input. */
static NTSTATUS IoctlMethodsVerify(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _Out_ PULONG_PTR Hashed) {
  ULONG expected;
  ULONG hash = IOCTL_METHODS_HASH_OFFSET_BASIS;
  PUCHAR data;
  ULONG length;
  NTSTATUS status;
  ULONG i;

  *Hashed = 0;
  status = IoctlMethodsDirectBuffers(Irp, Stack, sizeof(expected), &expected, &data, &length);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  for (i = 0; i < length; ++i) {
    hash = (hash ^ data[i]) * IOCTL_METHODS_HASH_PRIME;
  }
  if (hash != expected) {
    DbgPrint("ioctl_methods: hash %08lx of %lu bytes, expected %08lx\n", hash, length, expected);
    return STATUS_DATA_ERROR;
  }
  *Hashed = length;
  return STATUS_SUCCESS;
}

/* METHOD_OUT_DIRECT: fills the locked output buffer with the pattern the input describes. */
static NTSTATUS IoctlMethodsFill(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _Out_ PULONG_PTR Written) {
  IOCTL_METHODS_FILL_PATTERN pattern;
  PUCHAR data;
  ULONG length;
  NTSTATUS status;
  ULONG i;

  *Written = 0;
  status = IoctlMethodsDirectBuffers(Irp, Stack, sizeof(pattern), &pattern, &data, &length);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  for (i = 0; i < length; ++i) {
    data[i] = (UCHAR)(pattern.First + i * pattern.Step);
  }
  *Written = length;
  return STATUS_SUCCESS;
}

/*
 * METHOD_NEITHER: copies the caller's input to its output, uppercasing ASCII letters. Runs in the
 * caller's context (this driver is the top of its stack, or below filters that pass requests down
 * synchronously). A user-mode caller's pointers are probed first; every access is inside
 * __try/__except, since the caller can free or protect the memory at any moment.
 */
static NTSTATUS IoctlMethodsUppercase(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _Out_ PULONG_PTR Written) {
  ULONG in = Stack->Parameters.DeviceIoControl.InputBufferLength;
  const volatile UCHAR *input = (const volatile UCHAR *)Stack->Parameters.DeviceIoControl.Type3InputBuffer;
  volatile UCHAR *output = (volatile UCHAR *)Irp->UserBuffer;
  NTSTATUS status;
  ULONG i;
  UCHAR c;

  *Written = 0;
  status = IoctlMethodsCheckTransform(Stack, input);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  __try {
    if (Irp->RequestorMode != KernelMode) {
      ProbeForRead((volatile VOID *)input, in, sizeof(UCHAR));
      ProbeForWrite((volatile VOID *)output, in, sizeof(UCHAR));
    }
    for (i = 0; i < in; ++i) {
      c = input[i];
      output[i] = (c >= 'a' && c <= 'z') ? (UCHAR)(c - 'a' + 'A') : c;
    }
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  }
  if (NT_SUCCESS(status)) {
    *Written = in;
  }
  return status;
}

static NTSTATUS IoctlMethodsSetValue(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _In_ PIOCTL_METHODS_EXTENSION Ext) {
  if (Stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(LONG)) {
    return STATUS_INVALID_PARAMETER;
  }
  InterlockedExchange(&Ext->Value, *(const LONG *)Irp->AssociatedIrp.SystemBuffer);
  return STATUS_SUCCESS;
}

static NTSTATUS IoctlMethodsGetValue(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION Stack, _In_ PIOCTL_METHODS_EXTENSION Ext,
                                     _Out_ PULONG_PTR Written) {
  *Written = 0;
  if (Stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(LONG)) {
    return STATUS_BUFFER_TOO_SMALL;
  }
  *(LONG *)Irp->AssociatedIrp.SystemBuffer = InterlockedCompareExchange(&Ext->Value, 0, 0);
  *Written = sizeof(LONG);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS IoctlMethodsDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
  PIOCTL_METHODS_EXTENSION extension = (PIOCTL_METHODS_EXTENSION)DeviceObject->DeviceExtension;
  ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
  ULONG_PTR information = 0;
  NTSTATUS status;

  PAGED_CODE();
  DbgPrint("ioctl_methods: device control %08lx in %lu out %lu\n", code,
           stack->Parameters.DeviceIoControl.InputBufferLength, stack->Parameters.DeviceIoControl.OutputBufferLength);
  switch (code) {
    case IOCTL_METHODS_REVERSE:
      status = IoctlMethodsReverse(Irp, stack, &information);
      break;
    case IOCTL_METHODS_VERIFY:
      status = IoctlMethodsVerify(Irp, stack, &information);
      break;
    case IOCTL_METHODS_FILL:
      status = IoctlMethodsFill(Irp, stack, &information);
      break;
    case IOCTL_METHODS_UPPERCASE:
      status = IoctlMethodsUppercase(Irp, stack, &information);
      break;
    case IOCTL_METHODS_SET_VALUE:
      status = IoctlMethodsSetValue(Irp, stack, extension);
      break;
    case IOCTL_METHODS_GET_VALUE:
      status = IoctlMethodsGetValue(Irp, stack, extension, &information);
      break;
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

_Use_decl_annotations_ NTSTATUS IoctlMethodsCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UCHAR major = IoGetCurrentIrpStackLocation(Irp)->MajorFunction;
  UNREFERENCED_PARAMETER(DeviceObject);

  PAGED_CODE();
  DbgPrint("ioctl_methods: %s\n",
           major == IRP_MJ_CREATE ? "create" : major == IRP_MJ_CLEANUP ? "cleanup" : "close");
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_ VOID IoctlMethodsUnload(PDRIVER_OBJECT DriverObject) {
  UNICODE_STRING link = RTL_CONSTANT_STRING(IOCTL_METHODS_LINK_NAME);

  PAGED_CODE();
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(DriverObject->DeviceObject);
  DbgPrint("ioctl_methods: unloaded\n");
}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = RTL_CONSTANT_STRING(IOCTL_METHODS_DEVICE_NAME);
  UNICODE_STRING link = RTL_CONSTANT_STRING(IOCTL_METHODS_LINK_NAME);
  PDEVICE_OBJECT device;
  NTSTATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);

  PAGED_CODE();
  status = IoCreateDevice(DriverObject, sizeof(IOCTL_METHODS_EXTENSION), &name, FILE_DEVICE_IOCTL_METHODS,
                          FILE_DEVICE_SECURE_OPEN, FALSE, &device);
  if (!NT_SUCCESS(status)) {
    return status;
  }
  status = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(device);
    return status;
  }
  ((PIOCTL_METHODS_EXTENSION)device->DeviceExtension)->Value = 0;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = IoctlMethodsCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = IoctlMethodsCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = IoctlMethodsCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IoctlMethodsDeviceControl;
  DriverObject->DriverUnload = IoctlMethodsUnload;
  device->Flags &= ~DO_DEVICE_INITIALIZING;
  DbgPrint("ioctl_methods: loaded\n");
  return STATUS_SUCCESS;
}
