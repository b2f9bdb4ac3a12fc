/*
 * fbcon.c - a text console on the UEFI GOP framebuffer.
 *
 * fbcon_write -> fb_putc (text[] and the cursor; ANSI sequences read and
 *                mostly dropped); the pixels are left for later, except
 *                during a panic (fb_flush at once)
 * idle loop -> fbcon_flush_deferred -> fb_flush_rows: clear the screen
 *              once, then draw every cell whose text[] differs from
 *              shown[], then the cursor; at most FLUSH_ROWS text rows a
 *              call, so interrupts are never off for long.
 *
 * Drawing is deferred to the idle loop (like the damage worker of Linux's
 * deferred-I/O framebuffers): under QEMU each pixel store is emulated, so
 * clearing the screen took 5 ms of boot and every console line a redraw
 * of the rows it scrolled; now a burst of lines is drawn once, after it,
 * and none of it delays the boot or the network.
 *
 * Two character grids stand between the text and the pixels: text[] is
 * what the screen should show, shown[] what the pixels show. Scrolling
 * moves text[] only; the flush then repaints the cells that changed,
 * which skips the blank right-hand side of most lines and never reads the
 * write-combining framebuffer (reads from it are very slow).
 *
 * Glyphs are 8x16 pixels, one byte per row with the leftmost pixel in the
 * most significant bit, generated at build time from a PSF console font
 * (scripts/mkfont.py, drivers/fbcon.mk). Only 32-bit pixels are drawn.
 *
 * Locking: the panic path calls fbcon_write with other CPUs stopped and
 * possibly one of them holding the lock mid-draw. So the lock is taken
 * with trylock; once a panic is under way the writer draws without it.
 * Every index is kept in range at each step, so a half-done update from
 * an interrupted writer can garble text but never write outside the grid.
 */
#include <skiff/fbcon.h>
#include <skiff/boot_info.h>
#include <skiff/panic.h>
#include <skiff/spinlock.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <string.h>

#define FONT_W 8
#define FONT_H 16
#define FONT_FIRST 0x20 /* fbcon_font[0] is ' ' */
#define FONT_LAST 0x7e
#define MAX_COLS 480 /* 3840 pixels */
#define MAX_ROWS 135 /* 2160 pixels */
#define MAX_CELLS (MAX_COLS * MAX_ROWS)
#define TAB_COLS 8
#define CSI_PARAMS 2
#define CSI_PARAM_CAP 9999
#define LOCK_SPINS (1u << 26) /* then drop the text rather than hang */
#define NO_CELL 0xffffffffu
#define FLUSH_ROWS 4 /* text rows (or 64 scanlines of clearing) a call */

/* Generated from a PSF font; fbcon_font_glyphs is 0 when none was found. */
extern const u8 fbcon_font[FONT_LAST - FONT_FIRST + 1][FONT_H];
extern const unsigned fbcon_font_glyphs;

enum fb_esc {
	FB_ESC_NONE, /* ordinary text */
	FB_ESC_SEEN, /* got ESC: one more byte, '[' opens a CSI */
	FB_ESC_CSI,  /* in ESC [ ... up to a final byte 0x40-0x7e */
};

static struct {
	spinlock_t lock;
	bool ready;
	volatile u32 *fb;  /* write-combining map of the framebuffer */
	u32 width, height; /* visible pixels */
	u32 pitch_px;	   /* pixels from one scanline to the next */
	u32 cols, rows;	   /* the text grid */
	u32 col, row;	   /* cursor; col == cols: wrap before next char */
	u32 fg, bg;	   /* pixel values in the framebuffer's format */
	u32 dirty_lo;	   /* rows [dirty_lo, dirty_hi) may differ */
	u32 dirty_hi;
	u32 cursor_drawn; /* cell drawn as the cursor, or NO_CELL */
	u32 cleared_y;	  /* scanlines cleared to bg so far (height: all) */
	bool pending;	  /* text[] or the cursor changed since the flush */
	enum fb_esc esc;
	u32 csi_param[CSI_PARAMS]; /* numeric CSI parameters seen so far */
	u32 csi_count;		   /* parameters started (';' + 1) */
	char text[MAX_CELLS];	   /* wanted, row-major, ' ' when blank */
	char shown[MAX_CELLS];	   /* on the pixels; 0 = must redraw */
} fbc = {.lock = SPIN_LOCK_INIT("fbcon"), .cursor_drawn = NO_CELL};

/* ---- pixel formats ---- */

struct channel {
	u32 shift, bits;
};

static bool mask_channel(u32 mask, struct channel *ch)
{
	if (!mask)
		return false;
	ch->shift = (u32)__builtin_ctz(mask);
	u32 run = mask >> ch->shift;
	if (run & (run + 1))
		return false; /* not one contiguous run of bits */
	ch->bits = (u32)__builtin_popcount(mask);
	return true;
}

static u32 channel_value(const struct channel *ch, u8 v)
{
	u32 scaled =
	    ch->bits >= 8 ? (u32)v << (ch->bits - 8) : (u32)v >> (8 - ch->bits);
	return scaled << ch->shift;
}

/* An 8:8:8 color as a pixel of format fb->format; false if unsupported. */
static bool pack_rgb(const struct boot_framebuffer *fb, u8 r, u8 g, u8 b,
		     u32 *px)
{
	struct channel cr, cg, cb;

	switch (fb->format) {
	case 0: /* RGBx: red in the lowest byte */
		*px = r | (u32)g << 8 | (u32)b << 16;
		return true;
	case 1: /* BGRx: blue in the lowest byte */
		*px = b | (u32)g << 8 | (u32)r << 16;
		return true;
	case 2:
		if (!mask_channel(fb->red_mask, &cr) ||
		    !mask_channel(fb->green_mask, &cg) ||
		    !mask_channel(fb->blue_mask, &cb))
			return false;
		if ((fb->red_mask & fb->green_mask) |
		    (fb->red_mask & fb->blue_mask) |
		    (fb->green_mask & fb->blue_mask))
			return false; /* channels overlap */
		*px = channel_value(&cr, r) | channel_value(&cg, g) |
		      channel_value(&cb, b);
		return true;
	default: /* 3 = blit only: no linear framebuffer */
		return false;
	}
}

/* ---- drawing ---- */

static const u8 *glyph_of(char c)
{
	u8 u = (u8)c;
	if (u < FONT_FIRST || u > FONT_LAST)
		u = '?';
	return fbcon_font[u - FONT_FIRST];
}

static void draw_cell(u32 cell, bool inverse)
{
	u32 x0 = cell % fbc.cols * FONT_W, y0 = cell / fbc.cols * FONT_H;
	const u8 *glyph = glyph_of(fbc.text[cell]);
	u32 on = inverse ? fbc.bg : fbc.fg, off = inverse ? fbc.fg : fbc.bg;

	for (u32 y = 0; y < FONT_H; y++) {
		volatile u32 *p = fbc.fb + (u64)(y0 + y) * fbc.pitch_px + x0;
		u8 bits = glyph[y];
		for (u32 x = 0; x < FONT_W; x++)
			p[x] = bits & (0x80 >> x) ? on : off;
	}
}

/* Clear scanlines [from, to) to the background. */
static void clear_scanlines(u32 from, u32 to)
{
	for (u32 y = from; y < to && y < fbc.height; y++)
		for (u32 x = 0; x < fbc.width; x++)
			fbc.fb[(u64)y * fbc.pitch_px + x] = fbc.bg;
}

/* Clear the next `max_rows` text rows' worth of the screen (the
 * firmware's leftovers); true once all of it is clear. */
static bool clear_some(u32 max_rows)
{
	u32 to = MIN(fbc.height, fbc.cleared_y + max_rows * FONT_H);
	clear_scanlines(fbc.cleared_y, to);
	fbc.cleared_y = to;
	return to == fbc.height;
}

static u32 cursor_cell(void)
{
	u32 col = MIN(fbc.col, fbc.cols - 1), row = MIN(fbc.row, fbc.rows - 1);
	return row * fbc.cols + col;
}

static void mark_dirty(u32 row)
{
	fbc.dirty_lo = MIN(fbc.dirty_lo, row);
	fbc.dirty_hi = MAX(fbc.dirty_hi, row + 1);
}

/* Force a redraw of one cell (the cursor's old and new places). */
static void invalidate_cell(u32 cell)
{
	if (cell >= fbc.cols * fbc.rows)
		return;
	fbc.shown[cell] = 0;
	mark_dirty(cell / fbc.cols);
}

/* Draw the dirty rows, at most max_rows of them, from the top; true when
 * none is left. The cursor's old and new cells count as dirty. */
static bool fb_flush_rows(u32 max_rows)
{
	u32 cursor = cursor_cell();
	if (fbc.cursor_drawn != cursor) {
		invalidate_cell(fbc.cursor_drawn);
		invalidate_cell(cursor);
		fbc.cursor_drawn = cursor;
	}
	u32 hi = MIN(fbc.dirty_hi, fbc.rows);
	u32 stop = MIN(hi, fbc.dirty_lo + max_rows);
	for (u32 cell = fbc.dirty_lo * fbc.cols; cell < stop * fbc.cols;
	     cell++) {
		if (fbc.text[cell] == fbc.shown[cell])
			continue;
		draw_cell(cell, cell == cursor);
		fbc.shown[cell] = fbc.text[cell];
	}
	if (stop < hi) {
		fbc.dirty_lo = stop;
		return false;
	}
	fbc.dirty_lo = fbc.rows;
	fbc.dirty_hi = 0;
	return true;
}

/* Everything at once: the panic path, which must not wait for idle. */
static void fb_flush(void)
{
	clear_some(fbc.rows + 1);
	fb_flush_rows(fbc.rows);
	fbc.pending = false;
}

/* ---- the text grid ---- */

static void clear_cells(u32 from, u32 to)
{
	to = MIN(to, fbc.cols * fbc.rows);
	if (from >= to)
		return;
	memset(fbc.text + from, ' ', to - from);
	mark_dirty(from / fbc.cols);
	mark_dirty((to - 1) / fbc.cols);
}

static void scroll_up(void)
{
	u32 keep = (fbc.rows - 1) * fbc.cols;
	memmove(fbc.text, fbc.text + fbc.cols, keep);
	memset(fbc.text + keep, ' ', fbc.cols);
	fbc.dirty_lo = 0;
	fbc.dirty_hi = fbc.rows;
}

static void newline(void)
{
	fbc.col = 0;
	if (fbc.row + 1 < fbc.rows)
		fbc.row++;
	else
		scroll_up();
}

static void put_glyph(char c)
{
	if (fbc.col >= fbc.cols)
		newline();
	u32 row = MIN(fbc.row, fbc.rows - 1);
	fbc.text[row * fbc.cols + fbc.col] = c;
	mark_dirty(row);
	fbc.col++;
}

/* '\b' steps back onto the previous row too, so a shell line that
 * wrapped can be edited on screen. It does not erase. */
static void backspace(void)
{
	if (fbc.col > 0) {
		fbc.col--;
	} else if (fbc.row > 0) {
		fbc.row--;
		fbc.col = fbc.cols - 1;
	}
}

static void tab(void)
{
	fbc.col = MIN((fbc.col / TAB_COLS + 1) * TAB_COLS, fbc.cols - 1);
}

static void control(char c)
{
	switch (c) {
	case '\n': /* the serial console turns it into CR LF; so do we */
		newline();
		break;
	case '\r':
		fbc.col = 0;
		break;
	case '\b':
		backspace();
		break;
	case '\t':
		tab();
		break;
	case 0x1b:
		fbc.esc = FB_ESC_SEEN;
		break;
	default: /* BEL and the rest draw nothing */
		break;
	}
}

/* ---- ANSI sequences: the few the shell uses, the rest skipped ---- */

/* CSI n J: 0 = from the cursor on, 1 = up to it, 2 or 3 = all. */
static void erase_display(u32 mode)
{
	u32 cur = fbc.row * fbc.cols + MIN(fbc.col, fbc.cols);
	if (mode == 0)
		clear_cells(cur, fbc.cols * fbc.rows);
	else if (mode == 1)
		clear_cells(0, cur + 1);
	else
		clear_cells(0, fbc.cols * fbc.rows);
}

/* CSI n K: the same, within the cursor's row. */
static void erase_line(u32 mode)
{
	u32 start = fbc.row * fbc.cols;
	u32 cur = start + MIN(fbc.col, fbc.cols);
	if (mode == 0)
		clear_cells(cur, start + fbc.cols);
	else if (mode == 1)
		clear_cells(start, cur + 1);
	else
		clear_cells(start, start + fbc.cols);
}

/* CSI row ; col H, 1-based, clamped to the grid. */
static void cursor_to(u32 row, u32 col)
{
	fbc.row = MIN(MAX(row, 1u), fbc.rows) - 1;
	fbc.col = MIN(MAX(col, 1u), fbc.cols) - 1;
}

static void csi_final(char final)
{
	u32 p0 = fbc.csi_param[0], p1 = fbc.csi_param[1];
	u32 n = MAX(p0, 1u);

	switch (final) {
	case 'J':
		return erase_display(p0);
	case 'K':
		return erase_line(p0);
	case 'H':
	case 'f':
		return cursor_to(p0, p1);
	case 'A':
		fbc.row -= MIN(n, fbc.row);
		return;
	case 'B':
		fbc.row = MIN(fbc.row + n, fbc.rows - 1);
		return;
	case 'C':
		fbc.col = MIN(fbc.col + n, fbc.cols - 1);
		return;
	case 'D':
		fbc.col -= MIN(n, fbc.col);
		return;
	default: /* colors (m) and everything else: ignored */
		return;
	}
}

static void csi_byte(char c)
{
	u32 i = fbc.csi_count ? fbc.csi_count - 1 : 0;
	if (c >= '0' && c <= '9') {
		if (!fbc.csi_count)
			fbc.csi_count = 1;
		if (i < CSI_PARAMS)
			fbc.csi_param[i] =
			    MIN(fbc.csi_param[i] * 10 + (u32)(c - '0'),
				(u32)CSI_PARAM_CAP);
	} else if (c == ';') {
		fbc.csi_count = MAX(fbc.csi_count, 1u) + 1;
	} else if (c >= 0x40 && c <= 0x7e) {
		fbc.esc = FB_ESC_NONE;
		csi_final(c);
	} else if (c < 0x20 || c > 0x7e) {
		fbc.esc = FB_ESC_NONE; /* cut short: the byte counts as text */
		control(c);
	}
}

static void esc_byte(char c)
{
	fbc.esc = FB_ESC_NONE;
	if (c == '[') {
		fbc.esc = FB_ESC_CSI;
		fbc.csi_count = 0;
		memset(fbc.csi_param, 0, sizeof(fbc.csi_param));
	} else if ((u8)c < 0x20) {
		control(c);
	}
}

static void fb_putc(char c)
{
	u8 u = (u8)c;

	if (fbc.esc == FB_ESC_SEEN)
		esc_byte(c);
	else if (fbc.esc == FB_ESC_CSI)
		csi_byte(c);
	else if (u < 0x20 || u == 0x7f)
		control(c);
	else if (u < 0x80)
		put_glyph(c);
	else if (u >= 0xc0)
		put_glyph('?'); /* one per UTF-8 character: lead bytes only */
}

/* ---- the interface ---- */

enum fb_lock_result { FB_LOCKED, FB_UNLOCKED_PANIC, FB_BUSY };

static enum fb_lock_result fb_lock(void)
{
	for (u32 spins = 0; !spin_trylock(&fbc.lock); spins++) {
		if (panic_in_progress())
			return FB_UNLOCKED_PANIC;
		if (spins == LOCK_SPINS)
			return FB_BUSY;
		cpu_relax();
	}
	return FB_LOCKED;
}

void fbcon_write(const char *s, size_t n)
{
	if (!READ_ONCE(fbc.ready))
		return;
	unsigned long flags = local_irq_save();
	enum fb_lock_result lock = fb_lock();
	if (lock != FB_BUSY) {
		for (size_t i = 0; i < n; i++)
			fb_putc(s[i]);
		if (lock == FB_UNLOCKED_PANIC || panic_in_progress())
			fb_flush();
		else
			fbc.pending = true;
	}
	if (lock == FB_LOCKED)
		spin_unlock(&fbc.lock);
	local_irq_restore(flags);
}

/* One step of drawing: some clearing first, then dirty rows. Called from
 * the boot CPU's idle loop; a writer holding the lock (another CPU) makes
 * it try again next time. Returns true while more is left to draw. */
bool fbcon_flush_deferred(void)
{
	if (!READ_ONCE(fbc.ready) || !READ_ONCE(fbc.pending))
		return false;
	unsigned long flags = local_irq_save();
	if (!spin_trylock(&fbc.lock)) {
		local_irq_restore(flags);
		return true;
	}
	bool done =
	    fbc.cleared_y == fbc.height ? fb_flush_rows(FLUSH_ROWS) : false;
	if (fbc.cleared_y < fbc.height && clear_some(FLUSH_ROWS))
		fbc.cursor_drawn = NO_CELL; /* its pixels were cleared */
	if (done)
		fbc.pending = false;
	spin_unlock(&fbc.lock);
	local_irq_restore(flags);
	return !done;
}

bool fbcon_available(void)
{
	return READ_ONCE(fbc.ready);
}

static bool fb_geometry_ok(const struct boot_framebuffer *fb)
{
	u64 need = (u64)fb->pixels_per_scanline * fb->height * 4;
	if (!fb->base || !fb->width || !fb->height)
		return false;
	if (fb->pixels_per_scanline < fb->width)
		return false;
	return fb->size >= need; /* smaller: fewer than 32 bits a pixel */
}

bool fbcon_init(const struct boot_framebuffer *fb)
{
	if (fbcon_font_glyphs == 0 || !fb || !fb_geometry_ok(fb))
		return false;
	if (fb->width < FONT_W || fb->height < FONT_H)
		return false;
	if (!pack_rgb(fb, 0xc0, 0xc0, 0xc0, &fbc.fg) ||
	    !pack_rgb(fb, 0x00, 0x00, 0x00, &fbc.bg))
		return false;
	u64 bytes = (u64)fb->pixels_per_scanline * fb->height * 4;
	fbc.fb = ioremap_wc(fb->base, bytes);
	if (!fbc.fb)
		return false;
	fbc.width = fb->width;
	fbc.height = fb->height;
	fbc.pitch_px = fb->pixels_per_scanline;
	fbc.cols = MIN(fb->width / FONT_W, (u32)MAX_COLS);
	fbc.rows = MIN(fb->height / FONT_H, (u32)MAX_ROWS);
	memset(fbc.text, ' ', sizeof(fbc.text));
	memset(fbc.shown, ' ', sizeof(fbc.shown)); /* true once cleared */
	fbc.dirty_lo = 0; /* the first flush clears, then draws it all */
	fbc.dirty_hi = fbc.rows;
	fbc.cleared_y = 0;
	fbc.pending = true;
	WRITE_ONCE(fbc.ready, true);
	return true;
}
