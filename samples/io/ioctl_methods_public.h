/*
 * ioctl_methods_public.h - what an application needs to talk to the ioctl_methods driver: the
 * names of its device and the I/O control codes it handles. Shared by the driver and its clients.
 *
 *   code                     method             access  input (lpInBuffer)          output (lpOutBuffer)
 *   IOCTL_METHODS_REVERSE    METHOD_BUFFERED    any     1 or more bytes             the input reversed
 *   IOCTL_METHODS_VERIFY     METHOD_IN_DIRECT   any     ULONG: the data's hash      1 or more bytes: the data
 *   IOCTL_METHODS_FILL       METHOD_OUT_DIRECT  any     IOCTL_METHODS_FILL_PATTERN  1 or more bytes, filled
 *   IOCTL_METHODS_UPPERCASE  METHOD_NEITHER     any     1 or more bytes             the input, ASCII uppercased
 *   IOCTL_METHODS_SET_VALUE  METHOD_BUFFERED    write   LONG                        none
 *   IOCTL_METHODS_GET_VALUE  METHOD_BUFFERED    read    none                        LONG
 *
 * REVERSE and UPPERCASE need an output at least as long as the input. VERIFY only reads its
 * "output" buffer: METHOD_IN_DIRECT hands the driver a second buffer to read, described by an MDL.
 *
 * Bytes returned: the number of output bytes written; for VERIFY, the number of bytes hashed; for
 * SET_VALUE, 0. Failures, with the Win32 error an application sees:
 *   - a required buffer is missing or empty, or the input is shorter than its structure:
 *     STATUS_INVALID_PARAMETER (ERROR_INVALID_PARAMETER);
 *   - the output is shorter than the result: STATUS_BUFFER_TOO_SMALL (ERROR_INSUFFICIENT_BUFFER);
 *   - VERIFY's hash does not match the data: STATUS_DATA_ERROR (ERROR_CRC);
 *   - UPPERCASE given an address the caller cannot read or write: STATUS_ACCESS_VIOLATION
 *     (ERROR_NOACCESS);
 *   - any other control code: STATUS_INVALID_DEVICE_REQUEST (ERROR_INVALID_FUNCTION).
 */
#ifndef IOCTL_METHODS_PUBLIC_H
#define IOCTL_METHODS_PUBLIC_H

/* Kernel names. An application opens "\\.\IoctlMethods". */
#define IOCTL_METHODS_DEVICE_NAME L"\\Device\\IoctlMethods"
#define IOCTL_METHODS_LINK_NAME L"\\??\\IoctlMethods"

/* Device types 0x8000 and above are for vendors, as are function codes 0x800 and above. Unsigned,
 * so that CTL_CODE does not shift into the sign bit of an int. */
#define FILE_DEVICE_IOCTL_METHODS 0x8000u

#define IOCTL_METHODS_REVERSE CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_METHODS_VERIFY CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x801, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_METHODS_FILL CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_METHODS_UPPERCASE CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_METHODS_SET_VALUE CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x804, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_METHODS_GET_VALUE CTL_CODE(FILE_DEVICE_IOCTL_METHODS, 0x805, METHOD_BUFFERED, FILE_READ_ACCESS)

/* IOCTL_METHODS_FILL writes First, First + Step, First + 2 * Step, ... (modulo 256). */
typedef struct _IOCTL_METHODS_FILL_PATTERN {
  UCHAR First;
  UCHAR Step;
} IOCTL_METHODS_FILL_PATTERN, *PIOCTL_METHODS_FILL_PATTERN;

/* IOCTL_METHODS_VERIFY's hash: 32-bit FNV-1a over the bytes. */
#define IOCTL_METHODS_HASH_OFFSET_BASIS 2166136261u
#define IOCTL_METHODS_HASH_PRIME 16777619u

#endif /* IOCTL_METHODS_PUBLIC_H */
