/*
 * fbcon.h - a text console drawn on the UEFI GOP framebuffer, so a bare
 * machine without a serial cable still shows what happened.
 */
#ifndef SKIFF_FBCON_H
#define SKIFF_FBCON_H

#include <skiff/types.h>

struct boot_framebuffer;

/* Map the framebuffer and clear it; false if there is none or no font. */
bool fbcon_init(const struct boot_framebuffer *fb);
bool fbcon_available(void);
void fbcon_write(const char *s, size_t n);

#endif
