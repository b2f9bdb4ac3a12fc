/*
 * console.c - fan kernel text out to the serial port and the framebuffer.
 */
#include <skiff/console.h>
#include <skiff/fbcon.h>
#include <skiff/uart.h>

static bool fb_on;

void console_set_fb(bool on)
{
	fb_on = on && fbcon_available();
}

void console_write(const char *s, size_t n)
{
	uart_write(s, n);
	if (fb_on)
		fbcon_write(s, n);
}

void console_write_polled(const char *s, size_t n)
{
	uart_write_polled(s, n);
	if (fb_on)
		fbcon_write(s, n);
}
