/*
 * www.h - the default site, compiled into the kernel image.
 *
 * scripts/www2c.py turns every file under the repo's www/ into one
 * struct www_builtin in the linker section .www_builtin; the HTTP server
 * (apps/httpd/content.c) walks __www_builtin_start..__www_builtin_end and
 * then lets the files read from the boot volume's \www override and extend
 * them.
 */
#ifndef SKIFF_WWW_H
#define SKIFF_WWW_H

#include <skiff/types.h>

struct www_builtin {
	const char *path; /* "/index.html": '/' separated, from the www root */
	const u8 *data;
	u64 size;  /* bytes */
	s64 mtime; /* Unix seconds: the file's last commit (or its mtime) */
};

extern const struct www_builtin __www_builtin_start[], __www_builtin_end[];

#endif
