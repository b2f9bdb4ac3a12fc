/*
 * ksyms.h - the kernel's own symbol table (handed over by the boot stage
 * from the ELF image), for symbolized backtraces.
 */
#ifndef SKIFF_KSYMS_H
#define SKIFF_KSYMS_H

#include <skiff/types.h>

struct boot_info;

void ksyms_init(const struct boot_info *bi);
/* Name of the function containing addr, with *offset from its start;
 * NULL if unknown. */
const char *ksym_lookup(u64 addr, u64 *offset);
u64 ksym_address(const char *name); /* 0 if not found */
u32 ksym_count(void);

#endif
