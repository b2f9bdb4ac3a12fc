/*
 * console.h - where kernel text goes: the serial port always, and the
 * framebuffer when the firmware gave us one (console=both, the default).
 */
#ifndef SKIFF_CONSOLE_H
#define SKIFF_CONSOLE_H

#include <skiff/types.h>

extern int console_loglevel;

void console_write(const char *s, size_t n);
void console_write_polled(const char *s, size_t n); /* panic path */
void console_set_fb(bool on);

void log_for_each(int min_level, unsigned last,
		  void (*fn)(void *ctx, const char *text, size_t len,
			     int level),
		  void *ctx);
/* From record seq on (log -f); returns the seq to continue from. */
u64 log_for_each_from(u64 from_seq, int min_level,
		      void (*fn)(void *ctx, const char *text, size_t len,
				 int level),
		      void *ctx);
u64 log_next_seq(void);

#endif
