/*
 * shell_line.c - the line editor behind the `skiff> ` prompt. Pure: the
 * caller hands in bytes and writes out the echo this file produces.
 *
 * shell_line_feed -> escape reader (esc_feed -> csi_key / ss3_key)
 *                 -> key_feed -> one editing function per key
 *
 * Every editing function keeps the terminal's cursor where ->cursor says:
 * it moves left with '\b', right by re-printing characters, and repaints
 * the tail of the line after the edit point (refresh_from).
 */
#include <skiff/shell_line.h>
#include <string.h>

#define BEL '\a'
#define ESC 0x1b
#define CSI_PARAM_CAP 1000 /* parameters past this are garbage anyway */

static void out_put(struct shell_line *l, char c)
{
	if (l->out_len < sizeof(l->out))
		l->out[l->out_len++] = c;
}

static void out_str(struct shell_line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_put(l, s[i]);
}

static void out_rep(struct shell_line *l, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_put(l, c);
}

/*
 * The terminal cursor stands at column `from` of the line, which shows
 * `shown_len` characters. Repaint from there with the buffer, blank what
 * is left of a longer old line, and step back to ->cursor.
 */
static void refresh_from(struct shell_line *l, size_t from, size_t shown_len)
{
	out_str(l, l->buf + from, l->len - from);
	size_t end = l->len;
	if (shown_len > end) {
		out_rep(l, ' ', shown_len - end);
		end = shown_len;
	}
	out_rep(l, '\b', end - l->cursor);
}

static void line_clear(struct shell_line *l)
{
	l->len = 0;
	l->cursor = 0;
	l->buf[0] = 0;
	l->hist_pos = l->hist_count;
}

void shell_line_init(struct shell_line *l)
{
	memset(l, 0, sizeof(*l));
	line_clear(l);
}

/* Replace the whole line with s (history), cursor at its end. */
static void set_line(struct shell_line *l, const char *s)
{
	size_t shown = l->len;
	out_rep(l, '\b', l->cursor);
	l->len = strnlen(s, SHELL_LINE_MAX);
	memcpy(l->buf, s, l->len);
	l->buf[l->len] = 0;
	l->cursor = l->len;
	refresh_from(l, 0, shown);
}

static void insert_text(struct shell_line *l, const char *s, size_t n)
{
	if (n > SHELL_LINE_MAX - l->len) {
		out_put(l, BEL);
		return;
	}
	size_t at = l->cursor;
	memmove(l->buf + at + n, l->buf + at, l->len - at + 1);
	memcpy(l->buf + at, s, n);
	l->len += n;
	l->cursor += n;
	refresh_from(l, at, l->len);
}

void shell_line_insert(struct shell_line *l, const char *s, size_t n)
{
	if (n > 0)
		insert_text(l, s, n);
}

void shell_line_redraw(struct shell_line *l)
{
	refresh_from(l, 0, l->len);
}

/* Remove buf[from, to) where from <= cursor <= to; cursor ends at from. */
static void erase_range(struct shell_line *l, size_t from, size_t to)
{
	size_t shown = l->len;
	out_rep(l, '\b', l->cursor - from);
	memmove(l->buf + from, l->buf + to, l->len - to + 1);
	l->len -= to - from;
	l->cursor = from;
	refresh_from(l, from, shown);
}

static void key_backspace(struct shell_line *l)
{
	if (l->cursor > 0)
		erase_range(l, l->cursor - 1, l->cursor);
}

static void key_delete(struct shell_line *l)
{
	if (l->cursor < l->len)
		erase_range(l, l->cursor, l->cursor + 1);
}

static void key_kill_line(struct shell_line *l)
{
	erase_range(l, 0, l->len);
}

static void key_kill_to_end(struct shell_line *l)
{
	erase_range(l, l->cursor, l->len);
}

/* Ctrl-W: the spaces before the cursor, then the word before them. */
static void key_kill_word(struct shell_line *l)
{
	size_t from = l->cursor;
	while (from > 0 && l->buf[from - 1] == ' ')
		from--;
	while (from > 0 && l->buf[from - 1] != ' ')
		from--;
	erase_range(l, from, l->cursor);
}

static void key_left(struct shell_line *l)
{
	if (l->cursor > 0) {
		out_put(l, '\b');
		l->cursor--;
	}
}

static void key_right(struct shell_line *l)
{
	if (l->cursor < l->len)
		out_put(l, l->buf[l->cursor++]);
}

static void key_home(struct shell_line *l)
{
	out_rep(l, '\b', l->cursor);
	l->cursor = 0;
}

static void key_end(struct shell_line *l)
{
	out_str(l, l->buf + l->cursor, l->len - l->cursor);
	l->cursor = l->len;
}

static void key_history_older(struct shell_line *l)
{
	if (l->hist_pos == 0) {
		out_put(l, BEL);
		return;
	}
	if (l->hist_pos == l->hist_count)
		memcpy(l->saved, l->buf, l->len + 1);
	l->hist_pos--;
	set_line(l, l->hist[l->hist_pos]);
}

static void key_history_newer(struct shell_line *l)
{
	if (l->hist_pos >= l->hist_count) {
		out_put(l, BEL);
		return;
	}
	l->hist_pos++;
	set_line(l, l->hist_pos == l->hist_count ? l->saved
						 : l->hist[l->hist_pos]);
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

static void history_remove(struct shell_line *l, size_t i)
{
	memmove(l->hist[i], l->hist[i + 1],
		(l->hist_count - i - 1) * sizeof(l->hist[0]));
	l->hist_count--;
}

/* Append s, less trailing blanks, as the newest entry; an equal older
 * entry moves up instead. */
static void history_add(struct shell_line *l, const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (blank(s))
		return;
	for (size_t i = 0; i < l->hist_count; i++)
		if (strncmp(l->hist[i], s, n) == 0 && l->hist[i][n] == 0) {
			history_remove(l, i);
			break;
		}
	if (l->hist_count == SHELL_HISTORY)
		history_remove(l, 0);
	memcpy(l->hist[l->hist_count], s, n);
	l->hist[l->hist_count++][n] = 0;
}

static enum shell_line_action key_enter(struct shell_line *l)
{
	out_put(l, '\n');
	memcpy(l->result, l->buf, l->len + 1);
	history_add(l, l->result);
	line_clear(l);
	return SHELL_LINE_EXECUTE;
}

static enum shell_line_action key_cancel(struct shell_line *l)
{
	out_str(l, "^C\n", 3);
	line_clear(l);
	return SHELL_LINE_CANCEL;
}

/* ESC [ <param> <final>: cursor keys and the VT220 editing keypad. */
static void csi_key(struct shell_line *l, u8 final, unsigned param)
{
	switch (final) {
	case 'A':
		return key_history_older(l);
	case 'B':
		return key_history_newer(l);
	case 'C':
		return key_right(l);
	case 'D':
		return key_left(l);
	case 'H':
		return key_home(l);
	case 'F':
		return key_end(l);
	case '~':
		if (param == 1 || param == 7)
			return key_home(l);
		if (param == 4 || param == 8)
			return key_end(l);
		if (param == 3)
			return key_delete(l);
		return;
	}
}

static void csi_param(struct shell_line *l, u8 c)
{
	if (c == ';')
		l->esc_param_end = true;
	if (c < '0' || c > '9' || l->esc_param_end)
		return;
	l->esc_param = l->esc_param * 10 + (c - '0');
	if (l->esc_param > CSI_PARAM_CAP)
		l->esc_param = CSI_PARAM_CAP;
}

/* After ESC: a sequence opener, or a two-byte sequence (Meta-key). */
static bool esc_seen(struct shell_line *l, u8 c)
{
	l->esc = ESC_NONE;
	if (c == '[' || c == 'O') {
		l->esc = c == '[' ? ESC_CSI : ESC_SS3;
		l->esc_param = 0;
		l->esc_param_end = false;
		return true;
	}
	return c >= 0x20 && c < 0x7f; /* control bytes still count */
}

/* ECMA-48 CSI: parameter bytes 0x30-0x3f, intermediates 0x20-0x2f, then
 * one final byte 0x40-0x7e. Anything else aborts the sequence. */
static bool esc_csi(struct shell_line *l, u8 c)
{
	if (c >= 0x20 && c <= 0x3f) {
		csi_param(l, c);
		return true;
	}
	l->esc = ESC_NONE;
	if (c >= 0x40 && c <= 0x7e) {
		csi_key(l, c, l->esc_param ? l->esc_param : 1);
		return true;
	}
	return false;
}

/* ESC O <key>: cursor keys in application mode. */
static bool esc_ss3(struct shell_line *l, u8 c)
{
	l->esc = ESC_NONE;
	if (c >= 0x40 && c <= 0x7e) {
		csi_key(l, c, 1);
		return true;
	}
	return c >= 0x20 && c < 0x7f;
}

/* True when c belonged to an escape sequence; false to treat c as a key
 * (the sequence was cut short by a control byte). */
static bool esc_feed(struct shell_line *l, u8 c)
{
	if (c == ESC) {
		l->esc = ESC_SEEN;
		return true;
	}
	switch (l->esc) {
	case ESC_SEEN:
		return esc_seen(l, c);
	case ESC_CSI:
		return esc_csi(l, c);
	case ESC_SS3:
		return esc_ss3(l, c);
	default:
		return false;
	}
}

#define CTRL(c) ((c)&0x1f)

/* Control keys that only edit; Enter, Tab, Ctrl-C and ESC return actions
 * or start a sequence, and are handled in key_feed. */
static void (*const ctrl_keys[32])(struct shell_line *l) = {
    [CTRL('A')] = key_home,	     [CTRL('B')] = key_left,
    [CTRL('D')] = key_delete,	     [CTRL('E')] = key_end,
    [CTRL('F')] = key_right,	     [CTRL('H')] = key_backspace,
    [CTRL('K')] = key_kill_to_end,   [CTRL('N')] = key_history_newer,
    [CTRL('P')] = key_history_older, [CTRL('U')] = key_kill_line,
    [CTRL('W')] = key_kill_word,
};

static enum shell_line_action key_feed(struct shell_line *l, u8 c)
{
	if (c == '\r' || c == '\n') {
		l->last_cr = c == '\r';
		return key_enter(l);
	}
	if (c == CTRL('C'))
		return key_cancel(l);
	if (c == '\t')
		return SHELL_LINE_COMPLETE;
	if (c == ESC) {
		l->esc = ESC_SEEN;
	} else if (c == 0x7f) {
		key_backspace(l);
	} else if (c < 0x20) {
		if (ctrl_keys[c])
			ctrl_keys[c](l);
	} else if (c < 0x7f) {
		char ch = (char)c;
		insert_text(l, &ch, 1);
	}
	return SHELL_LINE_NONE;
}

enum shell_line_action shell_line_feed(struct shell_line *l, u8 c)
{
	bool after_cr = l->last_cr;

	l->out_len = 0;
	l->last_cr = false;
	if (l->esc != ESC_NONE && esc_feed(l, c))
		return SHELL_LINE_NONE;
	if (c == '\n' && after_cr)
		return SHELL_LINE_NONE;
	return key_feed(l, c);
}

bool shell_line_eat_lf(struct shell_line *l, u8 c)
{
	bool eat = c == '\n' && l->last_cr;
	l->last_cr = false;
	return eat;
}
