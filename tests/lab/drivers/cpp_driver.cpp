// cpp_driver - a small C++ driver: classes, a RAII spin lock guard, SEH in C++, L"" literals with
// -fshort-wchar, no C++ standard library (as in the WDK).
#include <ntddk.h>

namespace cpp_driver {

class SpinLockGuard {
 public:
  explicit SpinLockGuard(PKSPIN_LOCK lock) : lock_(lock) { KeAcquireSpinLock(lock_, &old_irql_); }
  ~SpinLockGuard() { KeReleaseSpinLock(lock_, old_irql_); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  PKSPIN_LOCK lock_;
  KIRQL old_irql_ = PASSIVE_LEVEL;
};

class Counter {
 public:
  Counter() { KeInitializeSpinLock(&lock_); }
  ULONG Increment() {
    SpinLockGuard guard(&lock_);
    return ++value_;
  }
  KIRQL IrqlInsideLock() {
    SpinLockGuard guard(&lock_);
    return KeGetCurrentIrql();
  }

 private:
  KSPIN_LOCK lock_;
  ULONG value_ = 0;
};

NTSTATUS ReadUser(const volatile ULONG* address, ULONG* value) {
  NTSTATUS status = STATUS_SUCCESS;
  __try {
    *value = *address;
  } __except (EXCEPTION_EXECUTE_HANDLER) {
    status = GetExceptionCode();
  }
  return status;
}

}  // namespace cpp_driver

extern "C" {

ULONG cpp_driver_count = 0;
KIRQL cpp_driver_irql_inside_lock = PASSIVE_LEVEL;
NTSTATUS cpp_driver_probe_status = STATUS_PENDING;
USHORT cpp_driver_name_length = 0;

DRIVER_INITIALIZE DriverEntry;

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNREFERENCED_PARAMETER(DriverObject);
  UNREFERENCED_PARAMETER(RegistryPath);
  static const UNICODE_STRING name = RTL_CONSTANT_STRING(L"cpp_driver");
  cpp_driver::Counter counter;
  counter.Increment();
  cpp_driver_count = counter.Increment();
  cpp_driver_irql_inside_lock = counter.IrqlInsideLock();
  ULONG value = 0;
  cpp_driver_probe_status = cpp_driver::ReadUser(reinterpret_cast<const volatile ULONG*>(ULONG_PTR{0x2000}), &value);
  cpp_driver_name_length = name.Length;
  return STATUS_SUCCESS;
}

}  // extern "C"
