#include "base/finding_parameters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace wdmlab::base {

namespace {

// Shorthands for the rows. A row whose first meaning names the subcode is keyed by it.
constexpr ParameterMeanings any(std::uint32_t code, const char* p1, const char* p2, const char* p3, const char* p4) {
  return {code, 0, false, {p1, p2, p3, p4}};
}
constexpr ParameterMeanings sub(std::uint32_t code, std::uint64_t subcode, const char* p2, const char* p3,
                                const char* p4) {
  return {code, subcode, true, {"subcode", p2, p3, p4}};
}

constexpr std::uint32_t kC2 = 0xC2;  // BAD_POOL_CALLER
constexpr std::uint32_t kC4 = 0xC4;  // DRIVER_VERIFIER_DETECTED_VIOLATION
constexpr std::uint32_t kC9 = 0xC9;  // DRIVER_VERIFIER_IOMANAGER_VIOLATION
constexpr std::uint32_t kE4 = 0xE4;  // WORKER_INVALID

constexpr const char* kIrql = "current IRQL";
constexpr const char* kPoolType = "pool type";
constexpr const char* kBytes = "number of bytes requested";
constexpr const char* kCaller = "address of the call in the driver";
constexpr const char* kNone = "";

// Sorted by (code, keyed, subcode): the unkeyed row of a code comes first and is its fallback.
constexpr ParameterMeanings kMeanings[] = {
    any(0x1, "address of the system service or worker routine", "thread's APC index (the lab: 0)",
        "thread's CombinedApcDisable (special count in the high 16 bits, kernel count in the low)", kNone),
    any(0x9, kIrql, "IRQL required or requested", "object involved (a spin lock), or 0", kCaller),
    any(0xA, "memory or object referenced", "IRQL at the time",
        "0 = read, 1 = write, 8 = execute, or the IRQL requested", "address of the instruction or call"),
    any(0xC, "number of objects waited on", kNone, kNone, kNone),
    any(0x10, "address of the spin lock", kNone, kNone, kNone),
    any(0x18, "object type (the lab: 0)", "address of the object", "reference count", kNone),
    any(0x1E, "exception code", "address where the exception occurred", "exception parameter 0",
        "exception parameter 1"),
    any(0x20, "address of the APC found pending", "thread's APC disable count", "IRQL", kNone),
    any(0x35, "address of the IRP", kNone, kNone, kNone),
    any(0x39, "address of the worker routine", "its parameter", "work item", kNone),
    any(0x3B, "exception code", "address of the instruction", "address of the context record", kNone),
    any(0x3F, "0 = system PTEs", "number of pages requested", "free PTEs (the lab: 0)", "total PTEs (the lab: 0)"),
    any(0x44, "address of the IRP", kNone, kNone, kNone),
    any(0x48, "address of the IRP", "cancel routine set on it", kNone, kNone),
    any(0x4A, "address of the system service", "IRQL on return to user mode", kNone, kNone),
    any(0x50, "memory referenced", "0 = read, 2 = write, 10 = execute", "address of the instruction", "2 (reserved)"),
    any(0x7E, "exception code", "address where the exception occurred", "address of the exception record",
        "address of the context record"),
    any(0x7F, "trap number (8 = double fault: a stack overflow)", kNone, kNone, kNone),
    any(0x93, "the handle", "0 = protected handle closed, 1 = invalid handle", kNone, "1 = bad handle detection is on"),
    any(0xB8, kNone, kNone, kNone, kNone),
    any(0xC1, "address of the block", "size, or the byte found", "expected value, or reserved",
        "subtype: 0x20 never allocated, 0x21/0x22 bad address, 0x23 bytes near the block, 0x24 bytes after "
        "the end, 0x30/0x31 bad IRQL, 0x32 single-bit corruption"),
    any(kC2, "subtype", "depends on the subtype", "depends on the subtype", "depends on the subtype"),
    sub(kC2, 0x00, kNone, kPoolType, "pool tag"),
    sub(kC2, 0x07, "reserved", "pool header contents", "address of the block"),
    sub(kC2, 0x08, kIrql, kPoolType, kBytes),
    sub(kC2, 0x09, kIrql, kPoolType, "address of the block"),
    sub(kC2, 0x0A, "address of the block", "tag it was allocated with", "tag passed to the free"),
    sub(kC2, 0x40, "address being freed", "start of system address space", kNone),
    sub(kC2, 0x42, "address being freed", kNone, kNone),
    sub(kC2, 0x43, "address being freed", kNone, kNone),
    sub(kC2, 0x99, "address being freed", kNone, kNone),
    sub(kC2, 0x9A, kPoolType, kBytes, "pool tag"),
    sub(kC2, 0x9B, kPoolType, kBytes, kCaller),
    sub(kC2, 0x9C, kPoolType, kBytes, kCaller),
    sub(kC2, 0x9D, "pool tag", kPoolType, kCaller),
    any(kC4, "subcode: the rule broken", "depends on the subcode", "depends on the subcode", "depends on the subcode"),
    sub(kC4, 0x00, kIrql, kPoolType, kBytes),
    sub(kC4, 0x01, kIrql, kPoolType, kBytes),
    sub(kC4, 0x02, kIrql, kPoolType, kBytes),
    sub(kC4, 0x03, kIrql, kPoolType, kBytes),
    sub(kC4, 0x10, "address being freed", kNone, kNone),
    sub(kC4, 0x11, kIrql, kPoolType, "address of the block"),
    sub(kC4, 0x12, kIrql, kPoolType, "address of the block"),
    sub(kC4, 0x13, "reserved", "address of the block", "pool header contents"),
    sub(kC4, 0x14, "reserved", "address of the block", "pool header contents"),
    sub(kC4, 0x15, "address of the timer", "start of the block being freed", "size of the block"),
    sub(kC4, 0x16, "address being freed", kNone, kNone),
    sub(kC4, 0x17, "address of the ERESOURCE", "start of the block being freed", "size of the block"),
    sub(kC4, 0x30, kIrql, "IRQL requested", kNone),
    sub(kC4, 0x31, kIrql, "IRQL requested", kNone),
    sub(kC4, 0x32, kIrql, "address of the spin lock", kNone),
    sub(kC4, 0x33, kIrql, "address of the fast mutex", kNone),
    sub(kC4, 0x34, kIrql, "thread's APC disable count", "address of the fast mutex"),
    sub(kC4, 0x35, kIrql, "address of the spin lock", "IRQL to return to"),
    sub(kC4, 0x36, kIrql, "queued spin lock number", "IRQL to return to"),
    sub(kC4, 0x37, kIrql, "thread's APC disable count", "address of the resource"),
    sub(kC4, 0x38, kIrql, "thread's APC disable count", "address of the resource"),
    sub(kC4, 0x39, kIrql, "thread's APC disable count", "address of the fast mutex"),
    sub(kC4, 0x3A, kIrql, "thread's APC disable count", "address of the fast mutex"),
    sub(kC4, 0x3B, kIrql, "object waited on", "timeout"),
    sub(kC4, 0x3C, "the handle", "object type", kNone),
    sub(kC4, 0x3D, kNone, kNone, "address of the resource"),
    sub(kC4, 0x3E, kNone, kNone, kNone),
    sub(kC4, 0x3F, "address of the object", "new reference count", kNone),
    sub(kC4, 0x40, kIrql, "address of the spin lock", kNone),
    sub(kC4, 0x41, kIrql, "address of the spin lock", kNone),
    sub(kC4, 0x42, kIrql, "address of the spin lock", kNone),
    sub(kC4, 0x60, "bytes of paged pool outstanding", "bytes of nonpaged pool outstanding", "allocations outstanding"),
    sub(kC4, 0x61, "bytes of paged pool", "bytes of nonpaged pool", "allocations"),
    sub(kC4, 0x62, "name of the driver", "reserved (the lab: the first leaked block)",
        "allocations outstanding, paged and nonpaged"),
    sub(kC4, 0xC0, "address of the IRP", "address of the device object", kNone),
    sub(kC4, 0xC1, "address of the dispatch routine", "address of the IRP", "address of the device object"),
    sub(kC4, 0xC5, "address of the dispatch routine", "APC disable count before", "APC disable count after"),
    sub(kC4, 0xCA, "address of the lookaside list", kNone, kNone),
    sub(kC4, 0xCB, "address of the lookaside list", kNone, kNone),
    sub(kC4, 0xCC, "address of the lookaside list", "start of the block being freed", "size of the block"),
    sub(kC4, 0xCD, "address of the lookaside list", "block size requested", "minimum block size"),
    sub(kC4, 0xD0, "address of the ERESOURCE", kNone, kNone),
    sub(kC4, 0xD1, "address of the ERESOURCE", kNone, kNone),
    sub(kC4, 0xD2, "address of the ERESOURCE", "start of the block being freed", "size of the block"),
    sub(kC4, 0xD5, "address of the remove lock", "tag passed", kNone),
    sub(kC4, 0xD6, "address of the remove lock", "tag passed", kNone),
    sub(kC4, 0xD7, "address of the remove lock", kNone, kNone),
    sub(kC4, 0xE2, "address of the IRP", "user-mode address it carries", kNone),
    sub(kC4, 0xE3, "user-mode address passed", kNone, kNone),
    sub(kC4, 0xE4, "address of the UNICODE_STRING", kNone, kNone),
    sub(kC4, 0xF5, "the handle (0)", kNone, kNone),
    sub(kC4, 0xF6, "the handle", "address of the current process", "address of the reference in the driver"),
    sub(kC4, 0xF7, "the handle", "address of the current process", "address of the reference in the driver"),
    sub(kC4, 0xFA, "address of the completion routine", "IRQL before", "IRQL after"),
    sub(kC4, 0xFB, "address of the completion routine", "APC disable count before", "APC disable count after"),
    sub(kC4, 0x105, "address of the IRP", kNone, kNone),
    sub(kC4, 0x10A, "address of the process charged", kNone, kNone),
    sub(kC4, 0x10B, kNone, kNone, kNone),
    sub(kC4, 0x11A, kIrql, kNone, kNone),
    sub(kC4, 0x11B, kIrql, kNone, kNone),
    sub(kC4, 0x120, "object waited on", kIrql, kNone),
    sub(kC4, 0x121, "object waited on", kIrql, kNone),
    sub(kC4, 0x122, "object waited on", kIrql, "timeout"),
    sub(kC4, 0x135, "address of the IRP", "milliseconds allowed", kNone),
    sub(kC4, 0x1000, "address of the lock", kNone, kNone),
    sub(kC4, 0x1001, "address of the lock being acquired", "address of the lock held, taken after it elsewhere",
        kNone),
    sub(kC4, 0x1002, "address of the lock", kNone, kNone),
    sub(kC4, 0x1003, "address of the lock released", "address of the lock expected", kNone),
    sub(kC4, 0x1004, "address of the lock", "owning thread", "releasing thread"),
    sub(kC4, 0x1005, "address of the lock", kNone, kNone),
    sub(kC4, 0x1007, "address of the lock", kNone, kNone),
    sub(kC4, 0x1008, "address of the lock", kNone, kNone),
    sub(kC4, 0x1009, "address of the lock", kNone, kNone),
    sub(kC4, 0x100A, "address of a lock it owns", "address of the thread", kNone),
    sub(kC4, 0x100B, "address of the lock", kNone, kNone),
    any(0xC7, "0 = timer, 1 = DPC, 2 = DPC routine found in the range", "address of the object",
        "start of the range being freed or unloaded", "end of the range"),
    any(0xC8, "(current IRQL << 16) | (expected IRQL << 8) | APC disable count", "address of the DPC routine", kNone,
        kNone),
    any(kC9, "subcode: the I/O error", "depends on the subcode", "depends on the subcode", "depends on the subcode"),
    sub(kC9, 0x01, "address of the object freed", kNone, kNone),
    sub(kC9, 0x02, "address of the IRP", kNone, kNone),
    sub(kC9, 0x03, "address passed as the IRP", kNone, kNone),
    sub(kC9, 0x04, "address passed as the device object", kNone, kNone),
    sub(kC9, 0x05, "address of the device object", "IRQL before the call", "IRQL after"),
    sub(kC9, 0x06, "status the IRP was completed with", "address of the IRP", kNone),
    sub(kC9, 0x07, "address of the cancel routine", "address of the IRP", kNone),
    sub(kC9, 0x08, "major function", "buffer address", kNone),
    sub(kC9, 0x09, "I/O control code", "buffer address", kNone),
    sub(kC9, 0x0A, "address of the device object", kNone, kNone),
    sub(kC9, 0x0C, "address of the I/O status block", kNone, kNone),
    sub(kC9, 0x0D, "address of the user event", kNone, kNone),
    sub(kC9, 0x0E, kIrql, "address of the IRP", kNone),
    sub(kC9, 0x0F, "address of the device object", "address of the file object", kNone),
    sub(kC9, 0x10, kIrql, kNone, kNone),
    sub(kC9, 0x11, "address of the fast I/O routine", "IRQL before", "IRQL after"),
    sub(kC9, 0x12, "address of the dispatch routine", "IRQL before", "IRQL after"),
    sub(kC9, 0x200, kCaller, "address of the IRP", "size, or 0"),
    sub(kC9, 0x201, kCaller, "address of the device object", kNone),
    sub(kC9, 0x202, kCaller, "address of the device object", kNone),
    sub(kC9, 0x204, kCaller, kNone, "address of the device object"),
    sub(kC9, 0x20A, kCaller, "address of the IRP", kNone),
    sub(kC9, 0x226, kNone, "address of the IRP", "status returned"),
    sub(kC9, 0x23D, kCaller, "address of the IRP", "status returned"),
    sub(kC9, 0x23E, kCaller, "address of the IRP", "status returned"),
    sub(kC9, 0x240, kCaller, kNone, "address of the device object"),
    sub(kC9, 0x24C, kCaller, "address of the IRP", "status returned"),
    sub(kC9, 0x310, kCaller, "address of the IRP", kNone),
    sub(kC9, 0x312, kCaller, "address of the IRP", "IoStatus.Information"),
    any(0xCB, "address of the call that locked the pages", "its caller", "address of the MDL",
        "number of pages left locked"),
    any(0xCC, "memory referenced", "0 = read, 1 = write", "address of the instruction, if known", "reserved"),
    any(0xCD, "memory referenced", "0 = read, 1 = write", "address of the instruction, if known", "reserved"),
    any(0xCE, "memory referenced", "0 = read, 1 = write", "address of the instruction", "reserved"),
    any(0xD1, "memory referenced", "IRQL at the time", "0 = read, 1 = write, 8 = execute",
        "address of the instruction"),
    any(0xD5, "memory referenced", "0 = read, 1 = write", "address of the instruction, if known", "reserved"),
    any(0xD6, "memory referenced", "0 = read, 1 = write", "address of the instruction, if known", "reserved"),
    any(0xE3, "address of the resource", "address of the thread", "address of the owner table", kNone),
    any(kE4, "subtype", "depends on the subtype", "depends on the subtype", "depends on the subtype"),
    sub(kE4, 0x0, "address of the work item", "start of the block being freed", "end of the block"),
    sub(kE4, 0x6, "address of the work item", "queue type", kNone),
    sub(kE4, 0x7, "address of the work item", "queue type", kNone),
    any(0x11B, "address of the IRP", "address of the cancel routine", kNone, kNone),
    any(0x133, "0 = one DPC or ISR ran too long, 1 = too long at DISPATCH_LEVEL in total", "depends on P1",
        "depends on P1", kNone),
    {0x133,
     0,
     true,
     {"0: one DPC or ISR ran too long", "time it ran (the lab: CPU ms)", "time allowed (the lab: ms)", "reserved"}},
    {0x133,
     1,
     true,
     {"1: too long at DISPATCH_LEVEL or above in total", "the watchdog period, in clock ticks", "reserved",
      "reserved"}},
    any(0x139, "type of corruption (3 = a LIST_ENTRY)", "address of the trap frame", "address of the exception record",
        "reserved"),
    any(0x1F2, "address accessed illegally", "size of the access", "address of the instruction that made it",
        "bits 0-7: KASAN shadow code of the memory; bit 8: 1 = write, 0 = read"),
    any(0x4000008A, "address of the thread", "address of the mutex it owns", kNone, kNone),
    any(0x574C0001, "contexts in the cycle", "first object waited on", kNone, kNone),
    any(0x574C0002, "blocked contexts the test waits for", "first object waited on",
        "0 = nothing can wake them, 1 = still blocked after the longest idle wait", kNone),
    any(0x574C0003, "CPU time without a kernel call (ms)", "address of the instruction", kNone, kNone),
    any(0x574C0004, "1 = EXCEPTION_CONTINUE_EXECUTION for a fault, 2 = routine not implemented", kNone, kNone, kNone),
    any(0x574C0005, "scheduling decisions taken", "virtual time (100 ns units)", kNone, kNone),
    any(0x574C0006, "0", "object the rule tracks", "address in the driver", "rule-specific"),
    any(0x574C0007, "scheduling choices of the schedule", "preemptions of the schedule", kNone, kNone),
};

bool before(const ParameterMeanings& row, std::tuple<std::uint32_t, bool, std::uint64_t> key) {
  return std::tuple(row.code, row.keyed, row.subcode) < key;
}

const ParameterMeanings* lookup(std::uint32_t code, bool keyed, std::uint64_t subcode) {
  auto it = std::lower_bound(std::begin(kMeanings), std::end(kMeanings), std::tuple(code, keyed, subcode), before);
  return it != std::end(kMeanings) && it->code == code && it->keyed == keyed && it->subcode == subcode ? &*it : nullptr;
}

// DDI compliance rule IDs (0x0002xxxx, 0x0004xxxx): one layout for every rule.
constexpr ParameterMeanings kDdiRule = {kC4,
                                        0,
                                        true,
                                        {"rule ID", "the rule's condition (the lab: the object the rule tracks)",
                                         "the rule's state (the lab: the address in the driver)", "rule-specific"}};

// I/O verification errors 0x2xx and 0x3xx without a row of their own.
constexpr ParameterMeanings kIoError = {
    kC9, 0, true, {"I/O error code", kCaller, "the IRP or device object concerned", "depends on the error"}};

}  // namespace

const ParameterMeanings* parameter_meanings(std::uint32_t code, std::uint64_t p1) {
  if (const ParameterMeanings* row = lookup(code, true, p1)) return row;
  if (code == kC4 && (p1 >> 16) != 0 && (p1 >> 16) <= 0x4) return &kDdiRule;
  if (code == kC9 && p1 >= 0x200 && p1 < 0x400) return &kIoError;
  return lookup(code, false, 0);
}

std::span<const ParameterMeanings> all_parameter_meanings() { return kMeanings; }

std::string bug_check_help_uri(std::uint32_t code, std::string_view name) {
  if (name.empty() || (code >> 16) == 0x574C) return {};
  std::string page = fmt::format("bug-check-0x{:x}--", code);
  for (char c : name) page += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "https://learn.microsoft.com/windows-hardware/drivers/debugger/" + page;
}

}  // namespace wdmlab::base
