/*
 * wdk/compiler.h - the Microsoft compiler spellings a WDK driver uses, mapped onto gcc and clang.
 *
 * Included first by ntdef.h. Drivers are compiled as gnu17 / gnu++17 with -fshort-wchar and
 * -fms-extensions (see cmake/WdmlabDriver.cmake); the lab's own C++ includes the same headers
 * without -fshort-wchar, where WCHAR becomes char16_t.
 *
 * Not supported: __declspec attributes other than the ones listed below expand to nothing;
 * __fastcall/__stdcall/__cdecl are ignored (x64 has one calling convention).
 */
#ifndef WDMLAB_WDK_COMPILER_H
#define WDMLAB_WDK_COMPILER_H

#if !defined(__x86_64__)
#error "The wdmlab WDK headers model Windows x64; compile for x86-64."
#endif

#if !defined(__cplusplus) && __SIZEOF_WCHAR_T__ != 2
#error "Windows drivers need a 16-bit wchar_t: compile C driver sources with -fshort-wchar."
#endif

#ifdef __cplusplus
#define WDMLAB_EXTERN_C extern "C"
#define WDMLAB_EXTERN_C_START extern "C" {
#define WDMLAB_EXTERN_C_END }
#else
#define WDMLAB_EXTERN_C extern
#define WDMLAB_EXTERN_C_START
#define WDMLAB_EXTERN_C_END
#endif

#ifndef EXTERN_C
#ifdef __cplusplus
#define EXTERN_C extern "C"
#define EXTERN_C_START extern "C" {
#define EXTERN_C_END }
#else
#define EXTERN_C extern
#define EXTERN_C_START
#define EXTERN_C_END
#endif
#endif

/* Calling conventions: x64 has a single one. */
#define __stdcall
#define __cdecl
#define __fastcall
#define __thiscall
#define __vectorcall
#define _stdcall
#define _cdecl
#define _fastcall
#define NTAPI
#define NTAPI_INLINE
#define WINAPI
#define APIENTRY
#define CALLBACK
#define FASTCALL
#define STDMETHODCALLTYPE
#define STDAPICALLTYPE

/* Microsoft integer keywords (clang provides them under -fms-extensions, gcc does not). */
#if !defined(__clang__)
#define __int8 char
#define __int16 short
#define __int32 int
#define __int64 long long
#endif

/* __declspec(x) becomes the gcc attribute with the same meaning, or nothing. */
#define __declspec(x) WDMLAB_DECLSPEC_##x
#define WDMLAB_DECLSPEC_noinline __attribute__((__noinline__))
#define WDMLAB_DECLSPEC_noreturn __attribute__((__noreturn__))
#define WDMLAB_DECLSPEC_nothrow
#define WDMLAB_DECLSPEC_novtable
#define WDMLAB_DECLSPEC_restrict
#define WDMLAB_DECLSPEC_noalias
#define WDMLAB_DECLSPEC_allocator
#define WDMLAB_DECLSPEC_safebuffers
#define WDMLAB_DECLSPEC_dllimport
#define WDMLAB_DECLSPEC_dllexport __attribute__((__visibility__("default")))
#define WDMLAB_DECLSPEC_selectany __attribute__((__weak__))
#define WDMLAB_DECLSPEC_naked __attribute__((__naked__))
#define WDMLAB_DECLSPEC_thread __thread
#define WDMLAB_DECLSPEC_align(n) __attribute__((__aligned__(n)))
#define WDMLAB_DECLSPEC_deprecated __attribute__((__deprecated__))
#define WDMLAB_DECLSPEC_uuid(x)
#define WDMLAB_DECLSPEC_code_seg(x)
#define WDMLAB_DECLSPEC_guard(x)

#if !defined(__clang__)
#define __forceinline __inline__ __attribute__((__always_inline__))
#endif
#ifndef __inline
#define __inline __inline__
#endif
#define FORCEINLINE static __inline__ __attribute__((__always_inline__, __unused__))
#define NTSYSAPI
#define NTSYSCALLAPI
#define NTKERNELAPI
#define NTHALAPI
#define NTSTRSAFEDDI WDMLAB_EXTERN_C NTSTATUS
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT __attribute__((__visibility__("default")))
#define DECLSPEC_NORETURN __attribute__((__noreturn__))
#define DECLSPEC_NOINLINE __attribute__((__noinline__))
#define DECLSPEC_ALIGN(x) __attribute__((__aligned__(x)))
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#define DECLSPEC_NOTHROW
#define DECLSPEC_NOVTABLE
#define DECLSPEC_RESTRICT
#define DECLSPEC_SELECTANY __attribute__((__weak__))
#define DECLSPEC_DEPRECATED __attribute__((__deprecated__))
#define DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_DEPRECATED_DDK_WINXP
#define DECLSPEC_DEPRECATED_DDK_WIN2K
#define DECLSPEC_SAFEBUFFERS
#define DECLSPEC_GUARDNOCF
#define DECLSPEC_GUARD_SUPPRESS
#define DECLSPEC_ADDRSAFE
#define DECLSPEC_NOSANITIZE_ADDRESS __attribute__((__no_sanitize_address__))
#define DECLSPEC_CHPE_GUEST
#define DECLSPEC_UUID(x)
#define DEPRECATED
#define PRAGMA_DEPRECATED_DDK 0
#define __drv_deprecated(x)

#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))

#ifdef __cplusplus
#define C_ASSERT(e) static_assert(e, #e)
#else
#define C_ASSERT(e) _Static_assert(e, #e)
#endif

#ifdef __cplusplus
/* RTL_CONSTANT_STRING points a UNICODE_STRING or STRING at a literal; C++ needs the cast. */
template <class T> inline T *wdmlab_remove_const(const T *p) { return const_cast<T *>(p); }
#define WDMLAB_REMOVE_CONST(s) (wdmlab_remove_const(s))
#else
#define WDMLAB_REMOVE_CONST(s) (s)
#endif

#ifndef NULL
#ifdef __cplusplus
#define NULL 0
#else
#define NULL ((void *)0)
#endif
#endif

/* Compiler intrinsics drivers call directly. */
#define __debugbreak() __asm__ __volatile__("int3")
#define _ReturnAddress() __builtin_return_address(0)
#define _AddressOfReturnAddress() ((void *)((char *)__builtin_frame_address(0) + sizeof(void *)))
#define _ReadWriteBarrier() __asm__ __volatile__("" ::: "memory")
#define _ReadBarrier() _ReadWriteBarrier()
#define _WriteBarrier() _ReadWriteBarrier()
#define __noop(...) ((void)0)
#ifndef __pragma
#define __pragma(x) _Pragma(#x)
#endif
#define __assume(e) ((void)0)
#define _Analysis_assume_(e)
#define __analysis_assume(e)

#endif /* WDMLAB_WDK_COMPILER_H */
