/*
 * io_bench.h - the io_bench driver, for the I/O benchmarks (bench/io_bench.cpp).
 *
 * DriverEntry builds one device stack of IO_BENCH_MAX_DEPTH unnamed devices, each attached above
 * the previous one with IoAttachDeviceToDeviceStack. IoBenchDevice(Depth) is the device with
 * Depth devices at and below it, so an IRP sent to it passes through exactly Depth devices.
 * It also creates \Device\IoBench (buffered I/O, a stack of its own) with the symbolic link
 * \DosDevices\IoBench, for user-mode requests (CreateFileW on \\.\IoBench).
 *
 * IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE: completed with STATUS_SUCCESS.
 * IRP_MJ_DEVICE_CONTROL and IRP_MJ_INTERNAL_DEVICE_CONTROL (all completions IO_NO_INCREMENT):
 *   IOCTL_IO_BENCH_SKIP  an upper device passes the IRP down with IoSkipCurrentIrpStackLocation;
 *                        the bottom device completes it with STATUS_SUCCESS;
 *   IOCTL_IO_BENCH_COPY  an upper device passes it down with IoCopyCurrentIrpStackLocationToNext
 *                        and a completion routine that propagates pending and continues completion;
 *                        the bottom device completes it with STATUS_SUCCESS;
 *   IOCTL_IO_BENCH_ECHO  METHOD_BUFFERED: the device that receives it completes it with the input as
 *                        output (Information = input length), or STATUS_BUFFER_TOO_SMALL;
 *   any other code is completed with STATUS_INVALID_DEVICE_REQUEST by the device that sees it.
 */
#ifndef IO_BENCH_H
#define IO_BENCH_H

#define IO_BENCH_MAX_DEPTH 8

#define IOCTL_IO_BENCH_SKIP CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_IO_BENCH_COPY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_IO_BENCH_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Passed down like IOCTL_IO_BENCH_COPY; the bottom device allocates 64 bytes of nonpaged pool,
 * fills them under a spin lock and frees them before completing: a request's typical work. */
#define IOCTL_IO_BENCH_POOL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS)

#ifdef __cplusplus
extern "C" {
#endif

/* The device with Depth (1..IO_BENCH_MAX_DEPTH) devices at and below it; NULL for any other Depth
 * or before DriverEntry ran. */
PDEVICE_OBJECT IoBenchDevice(ULONG Depth);

/* One request the way a driver issues an IRP it allocates: IoAllocateIrp(Target->StackSize),
 * MajorFunction and IoControlCode in the next stack location, a completion routine that returns
 * STATUS_MORE_PROCESSING_REQUIRED so the IRP comes back to the caller, IoCallDriver, a wait if the
 * stack returned STATUS_PENDING, IoFreeIrp. Returns the IRP's final status. PASSIVE_LEVEL. */
NTSTATUS IoBenchRoundTrip(PDEVICE_OBJECT Target, UCHAR MajorFunction, ULONG IoControlCode);

#ifdef __cplusplus
}
#endif

#endif
