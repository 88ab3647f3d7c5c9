/*
 * kasan_image.c - the part of the KASAN option that lives in a driver image built with
 * wdmlab_add_driver(<name> KASAN ...) (cmake/WdmlabDriver.cmake). Not instrumented itself.
 *
 * An image compiled with -fsanitize=address -fsanitize-recover=address calls
 * __asan_report_<load|store><size>_noabort when a shadow check refuses an access. The image
 * defines them here, hidden, so its calls bind to these definitions and never to the runtime's:
 * each passes the access and its own return address (the instruction in the driver after the
 * check) to the lab, which raises bug check 0x1F2 KASAN_ILLEGAL_ACCESS (ex/kasan.hpp). Handling
 * the report in a frame of the image's own, rather than inside the runtime's report, is what lets
 * the lab stop the run there: the runtime has finished reporting and holds no lock.
 */
#include <stddef.h>
#include <stdint.h>

void wdmlab_kasan_report(uintptr_t address, size_t size, int is_write, uintptr_t pc, uintptr_t frame);

#define WDMLAB_KASAN_REPORT(kind, bytes, write)                                                     \
  __attribute__((visibility("hidden"), noinline)) void __asan_report_##kind##bytes##_noabort(     \
      uintptr_t address);                                                                          \
  void __asan_report_##kind##bytes##_noabort(uintptr_t address) {                                  \
    wdmlab_kasan_report(address, bytes, write, (uintptr_t)__builtin_return_address(0),            \
                        (uintptr_t)__builtin_frame_address(0));                                    \
  }

WDMLAB_KASAN_REPORT(load, 1, 0)
WDMLAB_KASAN_REPORT(load, 2, 0)
WDMLAB_KASAN_REPORT(load, 4, 0)
WDMLAB_KASAN_REPORT(load, 8, 0)
WDMLAB_KASAN_REPORT(load, 16, 0)
WDMLAB_KASAN_REPORT(store, 1, 1)
WDMLAB_KASAN_REPORT(store, 2, 1)
WDMLAB_KASAN_REPORT(store, 4, 1)
WDMLAB_KASAN_REPORT(store, 8, 1)
WDMLAB_KASAN_REPORT(store, 16, 1)

__attribute__((visibility("hidden"), noinline)) void __asan_report_load_n_noabort(uintptr_t address, size_t size);
void __asan_report_load_n_noabort(uintptr_t address, size_t size) {
  wdmlab_kasan_report(address, size, 0, (uintptr_t)__builtin_return_address(0), (uintptr_t)__builtin_frame_address(0));
}

__attribute__((visibility("hidden"), noinline)) void __asan_report_store_n_noabort(uintptr_t address, size_t size);
void __asan_report_store_n_noabort(uintptr_t address, size_t size) {
  wdmlab_kasan_report(address, size, 1, (uintptr_t)__builtin_return_address(0), (uintptr_t)__builtin_frame_address(0));
}
