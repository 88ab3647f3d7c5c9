/*
 * cancel_bench_race.c - cancel_bench with its deliberate race (see cancel_bench.h): the same source,
 * its two entry points renamed so that both drivers can be linked into one program.
 */
#define CANCEL_BENCH_RACE
#define CancelBenchRead CancelBenchRaceRead
#define CancelBenchCancel CancelBenchRaceCancel
#include "cancel_bench.c"
