/*
 * fbcon.h - a text console drawn on the UEFI GOP framebuffer, so a bare
 * machine without a serial cable still shows what happened.
 */
#ifndef SKIFF_FBCON_H
#define SKIFF_FBCON_H

#include <skiff/types.h>

struct boot_framebuffer;

/* Map the framebuffer (cleared at the first flush); false if there is
 * none or no font. */
bool fbcon_init(const struct boot_framebuffer *fb);
bool fbcon_available(void);
/* Text into the grid; the pixels follow at fbcon_flush_deferred (at once
 * during a panic). */
void fbcon_write(const char *s, size_t n);
/* Draw a bounded step of what changed (the boot CPU's idle loop calls it);
 * true while more is left. */
bool fbcon_flush_deferred(void);

#endif
