// ex/kasan.hpp - the KASAN option (kVerifierKasan): AddressSanitizer findings in driver images
// built with wdmlab_add_driver(<name> KASAN ...), reported as bug check 0x1F2 KASAN_ILLEGAL_ACCESS.
//
// An instrumented image checks its own loads and stores against AddressSanitizer's shadow memory;
// the process must run the AddressSanitizer runtime (a program linked with -fsanitize=address),
// while the lab's libraries stay uninstrumented. This file is the bridge:
//
// - Reports. The image's report entry points (__asan_report_{load,store}{1,2,4,8,16,_n}_noabort,
//   defined in the image itself by the KASAN driver runtime, kasan_image.c) call report() below. It
//   lets the runtime print its report (__asan_report_error, recovering: halt_on_error=0) and reads
//   it back through the report callback and __asan_get_report_*, then raises 0x1F2 with
//   Microsoft's parameters, charged to the calling driver: a fatal finding that stops the run at
//   the faulting instruction. The runtime's locks are released by then, so the fiber can be
//   abandoned safely, and the process never dies: if the runtime would halt on the report
//   (halt_on_error is not 0), its report is skipped and the lab describes the access itself.
// - Pool. The pool's blocks are the lab's, so for a driver verified with the KASAN option the
//   bytes of a block past what the driver asked for are poisoned, and a freed block (kept in the
//   pool's quarantine) is poisoned until the pool hands its memory back.
//
// All of it is found at run time through weak symbols: without the runtime every call here
// returns at once. Threading: the lab's OS thread only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wdmlab::base {
struct DriverIdentity;
}

namespace wdmlab::ex::kasan {

// Whether the AddressSanitizer runtime is in the process.
bool runtime_present();

// Pool hooks (Pool::allocate and Pool::free): `block` of `size` bytes the driver asked for, of
// which the pool reserved `reserved` bytes.
void on_pool_allocate(void* block, std::size_t size, std::size_t reserved, const base::DriverIdentity* driver);
void on_pool_free(void* block, std::size_t reserved, const base::DriverIdentity* driver);

// Windows' KASAN shadow code for AddressSanitizer's `shadow` byte at `address`: 0x00-0x07 as they
// are, 0xF1-0xF8 stack codes as they are, and the runtime's heap, global and alloca codes mapped
// to Windows' (0x84 global redzone, 0x86 pool right redzone, 0x87 freed memory, 0x8D pool left
// redzone, 0x81/0x83 alloca redzones, 0x85 any other redzone).
std::uint8_t windows_shadow_code(std::uint8_t shadow, std::uintptr_t address);

}  // namespace wdmlab::ex::kasan

extern "C" {
// Called by an instrumented image on an access its shadow check refused: `pc` is the return
// address into the image, `frame` the frame of the image's report entry point. Raises 0x1F2 and
// does not return when the calling driver is verified with the KASAN option; returns otherwise.
void wdmlab_kasan_report(std::uintptr_t address, std::size_t size, int is_write, std::uintptr_t pc,
                         std::uintptr_t frame);
}
