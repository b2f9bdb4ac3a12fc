/*
 * strbuf.h - append formatted text to a fixed buffer, never past its end.
 * Output that does not fit is cut; len stops at the buffer size.
 *
 *	char text[256];
 *	struct strbuf b = {text, sizeof(text), 0};
 *	strbuf_printf(&b, "%u rules", n);
 */
#ifndef SKIFF_STRBUF_H
#define SKIFF_STRBUF_H

#include <skiff/types.h>
#include <stdarg.h>
#include <stdio.h>

struct strbuf {
	char *p;    /* the buffer */
	size_t n;   /* its size */
	size_t len; /* bytes written so far, at most n */
};

__printf(2, 3) static inline void strbuf_printf(struct strbuf *b,
						const char *fmt, ...)
{
	va_list ap;

	if (b->len >= b->n)
		return;
	va_start(ap, fmt);
	int w = vsnprintf(b->p + b->len, b->n - b->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->len = MIN(b->len + (size_t)w, b->n);
}

#endif
