/*
 * Trampolines the signal handler redirects a faulting fiber to. On entry the stack holds the
 * faulting instruction's address as if that instruction had called us; .cfi_signal_frame tells
 * unwinders it is the exact address of the faulting instruction, not a return address.
 */
        .text

.macro WDMLAB_TRAMPOLINE name, target
        .globl \name
        .type \name, @function
        .hidden \name
\name:
        .cfi_startproc
        .cfi_signal_frame
        pushq %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_offset %rbp, -16
        movq %rsp, %rbp
        .cfi_def_cfa_register %rbp
        andq $-16, %rsp
        call \target@PLT
        ud2
        .cfi_endproc
        .size \name, .-\name
.endm

        WDMLAB_TRAMPOLINE wdmlab_fault_entry, wdmlab_fault_dispatch
        WDMLAB_TRAMPOLINE wdmlab_watchdog_entry, wdmlab_watchdog_dispatch

        .section .note.GNU-stack,"",@progbits
