/*
 * cancel_bench.h - the cancel_bench driver, for the race explorer's benchmarks (bench/explore_bench.cpp).
 *
 * One device. A read (IRP_MJ_READ) is never completed by its dispatch routine: the routine sets a
 * cancel routine, keeps the IRP as the pending one, queues a DPC (KeInsertQueueDpc) and returns
 * STATUS_PENDING; the DPC completes the IRP with STATUS_SUCCESS unless it is being cancelled. A read
 * that is already cancelled when it arrives is completed with STATUS_CANCELLED at once.
 *
 * The scenario is two system threads: CancelBenchRead issues the read and CancelBenchCancel cancels
 * it (IoCancelIrp), racing the DPC. The driver built from cancel_bench.c settles the race correctly
 * (whoever clears the cancel routine owns the IRP); the one built from cancel_bench_race.c (the
 * same source with CANCEL_BENCH_RACE defined) completes the IRP in its DPC without checking that it
 * took the cancel routine back, so a cancel that lands between the dispatch routine and the DPC
 * completes the IRP twice. The second completion finds the IRP already given back to
 * CancelBenchRead by its completion routine: bug check 0x1E with an access violation in the
 * driver's IoCompleteRequest call (0x44 MULTIPLE_IRP_COMPLETE_REQUESTS where the IRP's state says
 * so first).
 */
#ifndef CANCEL_BENCH_H
#define CANCEL_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

/* PASSIVE_LEVEL, at most once per DriverEntry, concurrently with CancelBenchCancel. Allocates an
 * IRP, makes it the target of CancelBenchCancel, sends a read to the device, waits until it is
 * completed and until CancelBenchCancel is done with it, frees it. Returns the read's status. */
NTSTATUS CancelBenchRead(void);

/* PASSIVE_LEVEL, once per CancelBenchRead. Waits until the read's IRP exists, then waits
 * DelayMicroseconds of virtual time (0: no wait) and cancels it. Returns IoCancelIrp's result. */
BOOLEAN CancelBenchCancel(ULONG DelayMicroseconds);

/* The same two for the driver with the race (cancel_bench_race.c). */
NTSTATUS CancelBenchRaceRead(void);
BOOLEAN CancelBenchRaceCancel(ULONG DelayMicroseconds);

#ifdef __cplusplus
}
#endif

#endif
