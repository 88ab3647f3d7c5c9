// ke/dpc_probe.hpp - a DPC routine that records where, when and with what it ran.
#pragma once

#include <wdm.h>

#include <vector>

namespace wdmlab::test {

struct DpcProbe {
  int runs = 0;
  KIRQL irql = 0xFF;
  ULONG processor = 0xFFFFFFFF;
  BOOLEAN executing_dpc = FALSE;
  PVOID argument1 = nullptr;
  PVOID argument2 = nullptr;
  std::vector<int>* order = nullptr;  // when set, the probe appends its id here
  int id = 0;

  static void Routine(PKDPC, PVOID context, PVOID argument1, PVOID argument2) {
    auto* probe = static_cast<DpcProbe*>(context);
    ++probe->runs;
    probe->irql = KeGetCurrentIrql();
    probe->processor = KeGetCurrentProcessorNumber();
    probe->executing_dpc = KeIsExecutingDpc();
    probe->argument1 = argument1;
    probe->argument2 = argument2;
    if (probe->order != nullptr) probe->order->push_back(probe->id);
  }
};

}  // namespace wdmlab::test
