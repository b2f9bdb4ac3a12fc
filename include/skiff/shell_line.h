/*
 * shell_line.h - the shell's line editor, as pure data: no I/O, no kernel
 * calls, so the host unit tests drive it byte by byte.
 *
 * The caller feeds one input byte at a time to shell_line_feed(), writes
 * out the echo bytes the editor left in `out`, and acts on the returned
 * action. The echo uses only printable characters, spaces, '\b', '\a' and
 * '\n' (no escape sequences), so it draws the same on a serial terminal
 * and on the framebuffer console. The prompt is the caller's business: the
 * editor only ever moves the cursor within the line it owns.
 *
 * Keys understood:
 *   printable      insert at the cursor (bell when the line is full)
 *   BS, DEL        delete before the cursor        Ctrl-D, ESC [ 3 ~  at it
 *   ESC [ D / C    left / right (also Ctrl-B / Ctrl-F, ESC O D / C)
 *   ESC [ H / F    home / end (also ESC [ 1 ~ / 4 ~, 7 ~ / 8 ~, Ctrl-A / E)
 *   ESC [ A / B    history older / newer (also Ctrl-P / Ctrl-N)
 *   Ctrl-U         clear the line           Ctrl-K  clear to its end
 *   Ctrl-W         delete the word before the cursor
 *   Ctrl-C         SHELL_LINE_CANCEL        Tab     SHELL_LINE_COMPLETE
 *   CR or LF       SHELL_LINE_EXECUTE (a LF right after a CR is ignored)
 * Any other escape sequence is read to its end and dropped; other control
 * bytes and bytes >= 0x80 are dropped.
 */
#ifndef SKIFF_SHELL_LINE_H
#define SKIFF_SHELL_LINE_H

#include <skiff/types.h>

#define SHELL_LINE_MAX 256 /* characters in a line, not counting the NUL */
#define SHELL_HISTORY 32   /* distinct lines remembered */
/* Worst case echo for one byte: erase a full line, draw another. */
#define SHELL_LINE_OUT_MAX (4 * SHELL_LINE_MAX + 16)

enum shell_line_action {
	SHELL_LINE_NONE,     /* keep feeding */
	SHELL_LINE_EXECUTE,  /* Enter: the line is in ->result */
	SHELL_LINE_COMPLETE, /* Tab: complete ->buf[0..cursor) */
	SHELL_LINE_CANCEL,   /* Ctrl-C: the line was dropped */
};

/* Where the escape-sequence reader is. */
enum shell_esc_state {
	ESC_NONE, /* ordinary input */
	ESC_SEEN, /* got ESC */
	ESC_CSI,  /* got ESC [, reading parameters up to the final byte */
	ESC_SS3,  /* got ESC O, one more byte names the key */
};

struct shell_line {
	char buf[SHELL_LINE_MAX + 1]; /* the line being edited, NUL ended */
	size_t len;		      /* characters in buf */
	size_t cursor;		      /* 0..len: insert position */

	/* Oldest first; every entry distinct, non-empty. */
	char hist[SHELL_HISTORY][SHELL_LINE_MAX + 1];
	size_t hist_count;
	size_t hist_pos; /* entry shown; hist_count = the new line */
	char saved[SHELL_LINE_MAX + 1]; /* new line while browsing history */

	enum shell_esc_state esc;
	unsigned esc_param; /* first numeric CSI parameter, capped */
	bool esc_param_end; /* got ';': later parameters are ignored */
	bool last_cr;	    /* the previous byte was CR: ignore one LF */

	char result[SHELL_LINE_MAX + 1]; /* the line EXECUTE handed back */

	char out[SHELL_LINE_OUT_MAX]; /* echo of the last call, to write out */
	size_t out_len;
};

void shell_line_init(struct shell_line *l);
/* Clears ->out, then edits. ->out holds the echo to write afterwards. */
enum shell_line_action shell_line_feed(struct shell_line *l, u8 c);
/* Insert text at the cursor (tab completion); bell if it does not fit.
 * Appends to ->out without clearing it. */
void shell_line_insert(struct shell_line *l, const char *s, size_t n);
/* Draw the whole line after the caller printed a fresh prompt, leaving
 * the terminal cursor at ->cursor. Appends to ->out. */
void shell_line_redraw(struct shell_line *l);
/* True when the caller should drop a LF that completes a CR LF pair; a
 * command reading keys uses this for the LF its own Enter left behind. */
bool shell_line_eat_lf(struct shell_line *l, u8 c);

#endif
