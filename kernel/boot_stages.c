/*
 * boot_stages.c - the boot time of each init stage, from TSC marks
 * (include/skiff/boot_stages.h). Pure: the caller passes the TSC values
 * and the rate, so the host tests feed them directly.
 */
#include <skiff/boot_stages.h>
#include <stdio.h>

void boot_stages_start(struct boot_stages *b, u64 tsc)
{
	b->tsc_start = tsc;
	b->n = 0;
}

void boot_stages_mark(struct boot_stages *b, const char *name, u64 tsc)
{
	if (b->n == BOOT_STAGES_MAX)
		return;
	b->stage[b->n].name = name;
	b->stage[b->n].tsc_end = tsc;
	b->n++;
}

/* Tenths of a millisecond between two TSC values, rounded. */
static u64 tenths_ms(u64 from, u64 to, u64 tsc_khz)
{
	u64 ticks = to > from ? to - from : 0;
	return (ticks * 10 + tsc_khz / 2) / tsc_khz;
}

size_t boot_stages_format(const struct boot_stages *b, u64 tsc_khz, char *buf,
			  size_t cap)
{
	size_t len = 0;
	if (!tsc_khz || !buf || !cap)
		return 0;
	buf[0] = '\0';
	u64 from = b->tsc_start;
	for (u32 i = 0; i < b->n && len < cap; i++) {
		u64 t = tenths_ms(from, b->stage[i].tsc_end, tsc_khz);
		int w = snprintf(buf + len, cap - len, "%s%s %llu.%llu",
				 i ? ", " : "", b->stage[i].name,
				 (unsigned long long)(t / 10),
				 (unsigned long long)(t % 10));
		if (w < 0)
			break;
		len += (size_t)w;
		from = b->stage[i].tsc_end;
	}
	return len < cap ? len : cap - 1;
}
