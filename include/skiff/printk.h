/*
 * printk.h - kernel logging. Every message gets a level and a timestamp,
 * goes into the log ring (the `log` command, like dmesg) and, at or above
 * the console level (config key log=), onto the consoles.
 */
#ifndef SKIFF_PRINTK_H
#define SKIFF_PRINTK_H

#include <skiff/types.h>
#include <stdarg.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERR = 3 };

__printf(2, 3) void printk(int level, const char *fmt, ...);
void vprintk(int level, const char *fmt, va_list ap);

#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)

/* A broken invariant is a bug: report with the function's name and stop. */
__noreturn __printf(1, 2) void panic(const char *fmt, ...);
#define BUG() panic("BUG in %s (%s:%d)", __func__, __FILE__, __LINE__)
#define BUG_ON(cond)                                                           \
	do {                                                                   \
		if (unlikely(cond))                                            \
			panic("BUG_ON(%s) in %s (%s:%d)", #cond, __func__,     \
			      __FILE__, __LINE__);                             \
	} while (0)

#endif
