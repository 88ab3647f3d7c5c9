/*
 * startio_rw_public.h - what an application needs to use the startio_rw driver: the names of its
 * device and the size of its store. Shared by the driver and its clients.
 *
 * The device is a first-in, first-out byte store of STARTIO_RW_CAPACITY bytes, served one request
 * at a time in the order requests arrive:
 *   - WriteFile appends all of its bytes, or none: a write longer than the free space fails with
 *     STATUS_DISK_FULL (ERROR_DISK_FULL) and stores nothing;
 *   - ReadFile removes and returns up to the requested number of bytes from the front; an empty
 *     store returns 0 bytes, successfully;
 *   - a read or write of zero bytes succeeds at once with 0 bytes transferred.
 * Byte offsets are ignored. Each request takes STARTIO_RW_LATENCY_MS of simulated device time.
 */
#ifndef STARTIO_RW_PUBLIC_H
#define STARTIO_RW_PUBLIC_H

/* Kernel names. An application opens "\\.\StartIoRw". */
#define STARTIO_RW_DEVICE_NAME L"\\Device\\StartIoRw"
#define STARTIO_RW_LINK_NAME L"\\??\\StartIoRw"

#define STARTIO_RW_CAPACITY 64
#define STARTIO_RW_LATENCY_MS 1

#endif /* STARTIO_RW_PUBLIC_H */
