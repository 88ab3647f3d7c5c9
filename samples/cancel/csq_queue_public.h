/*
 * csq_queue_public.h - what an application needs to use the csq_queue driver: the names of its
 * device and its one I/O control code. Shared by the driver and its clients. The cancel_spinlock
 * driver speaks the same protocol (cancel_spinlock_public.h); only the names differ.
 *
 * The device passes messages from writers to waiting readers; it stores nothing:
 *   - ReadFile waits (the request pends) until a write, the timer, cancellation or cleanup ends
 *     it. A read of zero bytes completes at once with 0 bytes.
 *   - WriteFile hands its bytes to the oldest pending read (of any handle): the read gets
 *     min(write length, read length) bytes and completes with that count; the write completes
 *     with its full length, even if the read was shorter (the rest is dropped). If no read is
 *     pending, the write succeeds with 0 bytes transferred and its bytes are dropped: a writer
 *     can tell from the count whether anyone received the message. A write of zero bytes
 *     completes at once with 0 bytes and ends no read.
 *   - IOCTL_CSQ_QUEUE_ARM_TIMER (input: a ULONG, milliseconds) sets the device's one-shot timer,
 *     replacing any earlier setting, and completes at once. When it expires, every read pending
 *     at that moment completes successfully with 0 bytes: an empty message, not an error. A
 *     shorter input fails with STATUS_INVALID_PARAMETER (ERROR_INVALID_PARAMETER).
 *   - A pending read that is cancelled (CancelIo, CancelIoEx, CancelSynchronousIo, the issuing
 *     thread ending) completes with STATUS_CANCELLED (ERROR_OPERATION_ABORTED) and 0 bytes.
 *   - Closing the last handle to an open (IRP_MJ_CLEANUP) completes that open's pending reads
 *     with STATUS_CANCELLED; a read on that open that arrives after the cleanup (a thread racing
 *     the close) is completed the same way at once.
 *   - Any other control code fails with STATUS_INVALID_DEVICE_REQUEST (ERROR_INVALID_FUNCTION).
 * Byte offsets are ignored. The device uses buffered I/O.
 */
#ifndef CSQ_QUEUE_PUBLIC_H
#define CSQ_QUEUE_PUBLIC_H

/* Kernel names. An application opens "\\.\CsqQueue". */
#define CSQ_QUEUE_DEVICE_NAME L"\\Device\\CsqQueue"
#define CSQ_QUEUE_LINK_NAME L"\\DosDevices\\CsqQueue"

/* Device types 0x8000 and above are for vendors, as are function codes 0x800 and above. */
#define FILE_DEVICE_CSQ_QUEUE 0x8000u

#define IOCTL_CSQ_QUEUE_ARM_TIMER CTL_CODE(FILE_DEVICE_CSQ_QUEUE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

#endif /* CSQ_QUEUE_PUBLIC_H */
