/*
 * test_shell_line.c - host tests for kernel/shell_line.c: typing, editing
 * keys, escape sequences (known, unknown and cut short), history, CR LF,
 * overlong lines, and a random-bytes run.
 *
 * Every feed also replays the echo on a model terminal line (printable
 * bytes overwrite, '\b' steps left, '\n' starts a new line), and checks
 * that what the terminal shows is exactly the buffer, with the terminal's
 * cursor on ->cursor. So the tests check the echo, not only the state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/shell_line.h>

#define SCREEN_COLS (SHELL_LINE_MAX * 2)

struct term {
	char row[SCREEN_COLS + 1]; /* what the terminal line shows */
	size_t col;		   /* its cursor */
	unsigned bells;
	unsigned newlines;
};

struct fixture {
	struct shell_line l;
	struct term t;
	enum shell_line_action last;
	unsigned executes, cancels, completes;
	char executed[SHELL_LINE_MAX + 1]; /* the last EXECUTE result */
};

static void term_put(struct term *t, char c)
{
	if (c == '\a') {
		t->bells++;
	} else if (c == '\b') {
		assert_true(t->col > 0); /* never backs out of the line */
		t->col--;
	} else if (c == '\n') {
		memset(t->row, ' ', SCREEN_COLS);
		t->col = 0;
		t->newlines++;
	} else {
		assert_true(c >= 0x20 && c < 0x7f);
		assert_true(t->col < SCREEN_COLS);
		t->row[t->col++] = c;
	}
}

/* The terminal shows buf followed only by blanks, cursor at ->cursor. */
static void check_screen(const struct fixture *f)
{
	const struct shell_line *l = &f->l;
	assert_int_equal(strlen(l->buf), l->len);
	assert_true(l->len <= SHELL_LINE_MAX);
	assert_true(l->cursor <= l->len);
	assert_memory_equal(f->t.row, l->buf, l->len);
	for (size_t i = l->len; i < SCREEN_COLS; i++)
		assert_int_equal(f->t.row[i], ' ');
	assert_int_equal(f->t.col, l->cursor);
}

static void apply_out(struct fixture *f)
{
	for (size_t i = 0; i < f->l.out_len; i++)
		term_put(&f->t, f->l.out[i]);
	f->l.out_len = 0;
}

static void feed_byte(struct fixture *f, u8 c)
{
	f->last = shell_line_feed(&f->l, c);
	assert_true(f->l.out_len <= SHELL_LINE_OUT_MAX);
	apply_out(f);
	if (f->last == SHELL_LINE_EXECUTE) {
		f->executes++;
		strcpy(f->executed, f->l.result);
	}
	f->cancels += f->last == SHELL_LINE_CANCEL;
	f->completes += f->last == SHELL_LINE_COMPLETE;
	check_screen(f);
}

static void feed_n(struct fixture *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		feed_byte(f, (u8)s[i]);
}

static void feed(struct fixture *f, const char *s)
{
	feed_n(f, s, strlen(s));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	shell_line_init(&f->l);
	memset(f->t.row, ' ', SCREEN_COLS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

#define LEFT "\x1b[D"
#define RIGHT "\x1b[C"
#define UP "\x1b[A"
#define DOWN "\x1b[B"

static void test_typing(void **state)
{
	struct fixture *f = *state;
	feed(f, "hello world");
	assert_string_equal(f->l.buf, "hello world");
	assert_int_equal(f->l.cursor, 11);
	assert_int_equal(f->last, SHELL_LINE_NONE);
	feed(f, "\r");
	assert_int_equal(f->last, SHELL_LINE_EXECUTE);
	assert_string_equal(f->executed, "hello world");
	assert_string_equal(f->l.buf, "");
	assert_int_equal(f->t.newlines, 1);
}

static void test_backspace(void **state)
{
	struct fixture *f = *state;
	feed(f, "\x7f\b");
	assert_string_equal(f->l.buf, "");
	assert_int_equal(f->l.cursor, 0);
	feed(f, "abcd\x7f");
	assert_string_equal(f->l.buf, "abc");
	feed(f, LEFT "\b");
	assert_string_equal(f->l.buf, "ac");
	assert_int_equal(f->l.cursor, 1);
	feed(f, "\x01\x7f"); /* at the start: nothing */
	assert_string_equal(f->l.buf, "ac");
	assert_int_equal(f->l.cursor, 0);
}

static void test_arrows_insert(void **state)
{
	struct fixture *f = *state;
	feed(f, "abc" LEFT LEFT "X");
	assert_string_equal(f->l.buf, "aXbc");
	assert_int_equal(f->l.cursor, 2);
	feed(f, LEFT LEFT LEFT LEFT); /* past the start */
	assert_int_equal(f->l.cursor, 0);
	feed(f, RIGHT RIGHT RIGHT RIGHT RIGHT RIGHT);
	assert_int_equal(f->l.cursor, 4);
	feed(f, "\x1bOD\x1bOD"); /* application mode */
	assert_int_equal(f->l.cursor, 2);
	feed(f, "\x02\x06\x06"); /* Ctrl-B, Ctrl-F */
	assert_int_equal(f->l.cursor, 3);
	feed(f, "\x1b[1;5D"); /* Ctrl-Left: a parameterised left */
	assert_int_equal(f->l.cursor, 2);
	assert_string_equal(f->l.buf, "aXbc");
}

static void test_home_end(void **state)
{
	struct fixture *f = *state;
	static const char *const home[] = {"\x1b[H", "\x1b[1~", "\x1b[7~",
					   "\x01", "\x1bOH"};
	static const char *const end[] = {"\x1b[F", "\x1b[4~", "\x1b[8~",
					  "\x05", "\x1bOF"};
	feed(f, "some text");
	for (size_t i = 0; i < 5; i++) {
		feed(f, home[i]);
		assert_int_equal(f->l.cursor, 0);
		feed(f, end[i]);
		assert_int_equal(f->l.cursor, 9);
	}
	assert_string_equal(f->l.buf, "some text");
}

static void test_kill_keys(void **state)
{
	struct fixture *f = *state;
	feed(f, "ip route show\x17"); /* Ctrl-W */
	assert_string_equal(f->l.buf, "ip route ");
	feed(f, "\x17");
	assert_string_equal(f->l.buf, "ip ");
	feed(f, "link" LEFT LEFT "\x0b"); /* Ctrl-K */
	assert_string_equal(f->l.buf, "ip li");
	feed(f, "\x01\x1b[3~\x04"); /* Delete, Ctrl-D at the start */
	assert_string_equal(f->l.buf, " li");
	feed(f, "\x15"); /* Ctrl-U */
	assert_string_equal(f->l.buf, "");
	assert_int_equal(f->l.cursor, 0);
}

static void test_ctrl_u_mid_line(void **state)
{
	struct fixture *f = *state;
	feed(f, "abcdef" LEFT LEFT LEFT "\x15");
	assert_string_equal(f->l.buf, "");
	feed(f, "x");
	assert_string_equal(f->l.buf, "x");
}

static void test_ctrl_c(void **state)
{
	struct fixture *f = *state;
	feed(f, "half typed" LEFT "\x03");
	assert_int_equal(f->last, SHELL_LINE_CANCEL);
	assert_string_equal(f->l.buf, "");
	assert_int_equal(f->l.cursor, 0);
	assert_int_equal(f->t.newlines, 1);
	assert_int_equal(f->executes, 0);
	feed(f, UP); /* a cancelled line is not history */
	assert_string_equal(f->l.buf, "");
	assert_int_equal(f->t.bells, 1);
}

static void test_ctrl_c_echo(void **state)
{
	struct fixture *f = *state;
	shell_line_feed(&f->l, 0x03);
	assert_int_equal(f->l.out_len, 3);
	assert_memory_equal(f->l.out, "^C\n", 3);
}

static void test_tab(void **state)
{
	struct fixture *f = *state;
	feed(f, "he\t");
	assert_int_equal(f->last, SHELL_LINE_COMPLETE);
	assert_string_equal(f->l.buf, "he");
	shell_line_insert(&f->l, "lp ", 3);
	apply_out(f);
	check_screen(f);
	assert_string_equal(f->l.buf, "help ");
	/* The caller printed candidates and a prompt: redraw all of it. */
	feed(f, LEFT LEFT);
	memset(f->t.row, ' ', SCREEN_COLS);
	f->t.col = 0;
	shell_line_redraw(&f->l);
	apply_out(f);
	check_screen(f);
}

static void test_history(void **state)
{
	struct fixture *f = *state;
	feed(f, UP DOWN); /* empty history: bells, nothing else */
	assert_string_equal(f->l.buf, "");
	assert_int_equal(f->t.bells, 2);
	feed(f, "one\rtwo\rone  \r\r   \r");
	assert_int_equal(f->l.hist_count, 2); /* distinct, no blanks */
	assert_string_equal(f->l.hist[0], "two");
	assert_string_equal(f->l.hist[1], "one");
	feed(f, "par");
	feed(f, UP);
	assert_string_equal(f->l.buf, "one");
	feed(f, UP);
	assert_string_equal(f->l.buf, "two");
	feed(f, UP UP); /* past the oldest */
	assert_string_equal(f->l.buf, "two");
	assert_int_equal(f->t.bells, 4);
	feed(f, DOWN "\x0e");		      /* Ctrl-N */
	assert_string_equal(f->l.buf, "par"); /* the line being typed */
	feed(f, DOWN DOWN);		      /* past the newest */
	assert_string_equal(f->l.buf, "par");
	assert_int_equal(f->t.bells, 6);
	feed(f, "\x10 x\r"); /* Ctrl-P, edit, run */
	assert_string_equal(f->executed, "one x");
	assert_string_equal(f->l.hist[2], "one x");
}

static void test_history_long_lines(void **state)
{
	struct fixture *f = *state;
	char big[SHELL_LINE_MAX + 1];
	memset(big, 'z', SHELL_LINE_MAX);
	big[SHELL_LINE_MAX] = 0;
	feed(f, big);
	feed(f, "\rs\r");
	feed(f, UP UP); /* short to full length: no overflow of ->out */
	assert_string_equal(f->l.buf, big);
	feed(f, DOWN); /* full length back to short: blanks the rest */
	assert_string_equal(f->l.buf, "s");
}

static void test_history_capacity(void **state)
{
	struct fixture *f = *state;
	char cmd[16];
	for (int i = 0; i < SHELL_HISTORY + 8; i++) {
		snprintf(cmd, sizeof(cmd), "cmd%d\r", i);
		feed(f, cmd);
	}
	assert_int_equal(f->l.hist_count, SHELL_HISTORY);
	assert_string_equal(f->l.hist[0], "cmd8");
	assert_string_equal(f->l.hist[SHELL_HISTORY - 1], "cmd39");
	for (int i = 0; i < SHELL_HISTORY + 3; i++)
		feed(f, UP);
	assert_string_equal(f->l.buf, "cmd8");
}

static void test_cr_lf(void **state)
{
	struct fixture *f = *state;
	feed(f, "a\r\n");
	assert_int_equal(f->executes, 1);
	feed(f, "b\n\n");
	assert_int_equal(f->executes, 3); /* LF LF: two lines */
	feed(f, "\r\r\n");
	assert_int_equal(f->executes, 5);
	feed(f, "c\r");
	assert_true(shell_line_eat_lf(&f->l, '\n'));
	assert_false(shell_line_eat_lf(&f->l, '\n'));
	feed(f, "d\rx\n");
	assert_int_equal(f->executes, 8);
	assert_string_equal(f->executed, "x");
}

static void test_overlong(void **state)
{
	struct fixture *f = *state;
	char big[SHELL_LINE_MAX + 45];
	memset(big, 'q', sizeof(big));
	feed_n(f, big, sizeof(big));
	assert_int_equal(f->l.len, SHELL_LINE_MAX);
	assert_int_equal(f->t.bells, 45);
	feed(f, "\x01r"); /* inserting at the start is refused too */
	assert_int_equal(f->l.buf[0], 'q');
	assert_int_equal(f->t.bells, 46);
	feed(f, "\x7f"); /* still at 0: nothing to delete */
	feed(f, "\x06\x7fr");
	assert_int_equal(f->l.buf[0], 'r');
	assert_int_equal(f->l.len, SHELL_LINE_MAX);
	shell_line_insert(&f->l, "xx", 2);
	apply_out(f);
	assert_int_equal(f->t.bells, 47);
	feed(f, "\r");
	assert_int_equal(strlen(f->executed), SHELL_LINE_MAX);
}

static void test_garbage_escapes(void **state)
{
	struct fixture *f = *state;
	feed(f, "ab\x1b[99z");		      /* unknown CSI */
	feed(f, "\x1b[12;34;56~");	      /* unknown ~ key */
	feed(f, "\x1bx");		      /* Meta-x */
	feed(f, "\x1b\x1b[Q");		      /* ESC ESC [ Q */
	feed(f, "\x1bO5");		      /* SS3 with junk */
	feed(f, "\x1b[?25h");		      /* private mode set */
	feed(f, "\x1b[999999999999999999D");  /* huge parameter */
	feed(f, "c\xff\x80\xc3\xa9");	      /* bytes >= 0x80 dropped */
	feed(f, "\x07\x1f\x0c");	      /* unbound control keys */
	assert_string_equal(f->l.buf, "acb"); /* the huge left moved one */
	assert_int_equal(f->executes, 0);
	/* A control byte cuts a sequence short and still counts. */
	feed(f, "\x1b[12\r");
	assert_int_equal(f->executes, 1);
	assert_string_equal(f->executed, "acb");
	feed(f, "d\x1b\x7f");
	assert_string_equal(f->l.buf, "");
}

static void test_escape_keeps_line(void **state)
{
	struct fixture *f = *state;
	feed(f, "abc");
	feed(f, "\x1b[");
	feed(f, "1;2;3;4;5;6;7;8;9;0;1;2;3;4;5;6;7;8;9;0");
	assert_string_equal(f->l.buf, "abc");
	feed(f, "m"); /* SGR final byte */
	feed(f, "d");
	assert_string_equal(f->l.buf, "abcd");
}

static u64 rnd_state = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Bytes with more escapes and editing keys than uniform noise has. */
static u8 random_byte(void)
{
	static const char keys[] = "\x1b[ABCDHF~0123;\x7f\b\x01\x05\x0b"
				   "\x15\x17\x04\x0e\x10O\t";
	u64 r = rnd();
	switch (r % 4) {
	case 0:
		return (u8)(r >> 8);
	case 1:
		return (u8)keys[(r >> 8) % (sizeof(keys) - 1)];
	default:
		return (u8)(0x20 + (r >> 8) % 0x5f);
	}
}

static void test_random_bytes(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 300000; i++) {
		u8 c = random_byte();
		if (c == 0x03 || c == '\r' || c == '\n')
			c = 'k'; /* keep lines long; tested above */
		if (rnd() % 2000 == 0)
			c = '\r';
		feed_byte(f, c);
		if (f->last == SHELL_LINE_EXECUTE)
			assert_true(strlen(f->executed) <= SHELL_LINE_MAX);
	}
	assert_true(f->executes > 0);
	assert_true(f->l.hist_count <= SHELL_HISTORY);
	for (size_t i = 0; i + 1 < f->l.hist_count; i++)
		for (size_t j = i + 1; j < f->l.hist_count; j++)
			assert_string_not_equal(f->l.hist[i], f->l.hist[j]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_typing),
	    T(test_backspace),
	    T(test_arrows_insert),
	    T(test_home_end),
	    T(test_kill_keys),
	    T(test_ctrl_u_mid_line),
	    T(test_ctrl_c),
	    T(test_ctrl_c_echo),
	    T(test_tab),
	    T(test_history),
	    T(test_history_long_lines),
	    T(test_history_capacity),
	    T(test_cr_lf),
	    T(test_overlong),
	    T(test_garbage_escapes),
	    T(test_escape_keeps_line),
	    T(test_random_bytes),
	};
	return cmocka_run_group_tests_name("shell_line", tests, NULL, NULL);
}
