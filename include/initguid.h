/*
 * initguid.h - include before the headers whose DEFINE_GUID lines this translation unit should
 * define (not just declare). Every later DEFINE_GUID in the file then emits the GUID's storage.
 */
#ifndef INITGUID
#define INITGUID
#endif
#include <guiddef.h>
