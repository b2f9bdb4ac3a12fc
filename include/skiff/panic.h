/*
 * panic.h - the last words. The first CPU to panic stops the others,
 * switches the console to polled output (no locks, no interrupts), prints
 * its report and halts, or resets the machine when panic=reboot.
 */
#ifndef SKIFF_PANIC_H
#define SKIFF_PANIC_H

#include <skiff/types.h>

extern bool panic_reboot;

void panic_begin(void);
__printf(1, 2) void panic_printf(const char *fmt, ...);
__noreturn void panic_end(const char *what);
bool panic_in_progress(void);
__noreturn void panic_stop_this_cpu(void);

#endif
