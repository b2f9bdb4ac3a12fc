/*
 * power.h - turning the machine off and resetting it.
 */
#ifndef SKIFF_POWER_H
#define SKIFF_POWER_H

#include <skiff/types.h>

__noreturn void machine_poweroff(void);
__noreturn void machine_reboot(void);
/* QEMU's isa-debug-exit device: QEMU exits with status (code << 1) | 1. */
void qemu_debug_exit(u8 code);

#endif
