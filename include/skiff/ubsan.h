/*
 * ubsan.h - the kernel's UndefinedBehaviorSanitizer runtime (kernel/
 * ubsan.c). Built-in always; the compiler calls it from code built with
 * -fsanitize=... (`make UBSAN=1`, and kernel/crash.c for its test).
 */
#ifndef SKIFF_UBSAN_H
#define SKIFF_UBSAN_H

#include <skiff/types.h>

/* Findings reported since boot (each source site counts once). */
u32 ubsan_count(void);

#endif
