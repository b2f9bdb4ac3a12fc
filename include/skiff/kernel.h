/*
 * kernel.h - facts about the running kernel that several subsystems read.
 */
#ifndef SKIFF_KERNEL_H
#define SKIFF_KERNEL_H

#include <skiff/config.h>

extern struct skiff_config kcfg; /* merged configuration */
extern const char skiff_version[];
extern const char skiff_build[];
extern const struct boot_info *boot_info;

/* Apply the settings that can change at run time (log level, panic). */
void config_apply_runtime(void);

#endif
