/*
 * boot_stages.h - where the kernel's boot time goes. kmain marks the end
 * of each init stage with the TSC (the clock runs before it is
 * calibrated); once the TSC's rate is known the stages are printed in one
 * line, "boot: stages ms: mm 3.1, paging 0.4, ...", before the ready line.
 */
#ifndef SKIFF_BOOT_STAGES_H
#define SKIFF_BOOT_STAGES_H

#include <skiff/types.h>
#include <stddef.h>

#define BOOT_STAGES_MAX 16

struct boot_stages {
	u64 tsc_start; /* kernel entry */
	u32 n;	       /* stages marked; later marks past the max are lost */
	struct {
		const char *name; /* a string literal: the stage just ended */
		u64 tsc_end;	  /* TSC when it ended */
	} stage[BOOT_STAGES_MAX];
};

void boot_stages_start(struct boot_stages *b, u64 tsc);
/* The stage `name` ended at `tsc`; it began where the previous one ended. */
void boot_stages_mark(struct boot_stages *b, const char *name, u64 tsc);
/* "name ms, name ms, ..." with 0.1 ms resolution from the TSC's rate;
 * returns the length written (truncated to fit cap), or 0 without a
 * rate or a buffer. */
size_t boot_stages_format(const struct boot_stages *b, u64 tsc_khz, char *buf,
			  size_t cap);

#endif
