/*
 * shell.c - the operator shell on the serial console.
 *
 * shell_poll -> uart_getc -> shell_line_feed (kernel/shell_line.c)
 *   Enter -> run_line -> split_args -> shell_find -> cmd->fn -> report
 *   Tab   -> complete -> shell_complete (kernel/shell_complete.c) with
 *            the command's spec from completion_specs: command names,
 *            sub-commands, options, device names
 *
 * A command returns 0 on success, a negative errno for the shell to
 * explain ("CMD: error: ..."; -EINVAL prints "CMD: usage: ..."), or
 * SHELL_ERR_SHOWN (1) when it failed and already said why.
 *
 * The table of commands is the linker section .shell_cmds. It lives in
 * read-only memory, so `help` and completion walk it in name order by
 * repeatedly picking the next name up (next_cmd) instead of sorting it.
 */
#include <skiff/shell.h>
#include <skiff/shell_line.h>
#include <skiff/shell_complete.h>
#include <skiff/netdevice.h>
#include <skiff/console.h>
#include <skiff/fbcon.h>
#include <skiff/mm.h>
#include <skiff/uart.h>
#include <skiff/spinlock.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <skiff/net/socket.h>
#include <asm/cpu.h>
#include <skiff/percpu.h>
#include <skiff/smp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHELL_PROMPT "skiff> "
#define PRINTF_SMALL 512   /* shell_printf stack buffer; longer: malloc */
#define LIST_WIDTH_COLS 78 /* completion candidates wrap here */

extern const struct shell_cmd __shell_cmds_start[], __shell_cmds_end[];

static struct shell_line line;
static bool shell_ready; /* shell_init ran: the prompt is up */
static bool shell_busy;	 /* a command is running: no nested polling */

void shell_write(const char *s, size_t n)
{
	console_write(s, n);
}

size_t shell_out_room(void)
{
	return uart_tx_room();
}

/* Output longer than the stack buffer: format again into the heap. */
static void printf_long(const char *small, int n, const char *fmt, va_list ap)
{
	char *big = malloc((size_t)n + 1);
	if (!big) {
		shell_write(small, PRINTF_SMALL - 1);
		shell_write("...[out of memory: truncated]\n", 30);
		return;
	}
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	shell_write(big, (size_t)n);
	free(big);
}

int shell_printf(const char *fmt, ...)
{
	char small[PRINTF_SMALL];
	va_list ap, again;

	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small))
		printf_long(small, n, fmt, again);
	else if (n > 0)
		shell_write(small, (size_t)n);
	va_end(again);
	return n;
}

static void prompt(void)
{
	shell_write(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
}

static void flush_echo(void)
{
	if (line.out_len)
		shell_write(line.out, line.out_len);
	line.out_len = 0;
}

/* ---- the command table ---- */

const struct shell_cmd *shell_find(const char *name)
{
	for (const struct shell_cmd *c = __shell_cmds_start;
	     c < __shell_cmds_end; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Name order, with the table position breaking ties between equal names. */
static bool cmd_before(const struct shell_cmd *a, const struct shell_cmd *b)
{
	int d = strcmp(a->name, b->name);
	return d < 0 || (d == 0 && a < b);
}

/* The command after prev in name order (the first if prev is NULL). */
static const struct shell_cmd *next_cmd(const struct shell_cmd *prev)
{
	const struct shell_cmd *best = NULL;
	for (const struct shell_cmd *c = __shell_cmds_start;
	     c < __shell_cmds_end; c++) {
		if (prev && !cmd_before(prev, c))
			continue;
		if (!best || cmd_before(c, best))
			best = c;
	}
	return best;
}

/* ---- running a line ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Copy one word from *srcp to *dstp (in place: dst never passes src),
 * dropping double quotes and keeping the spaces between them. Leaves src
 * past the separator. -EINVAL for an unterminated quote.
 */
static int copy_word(char **srcp, char **dstp)
{
	char *src = *srcp, *dst = *dstp;
	bool quoted = false;

	for (; *src && (quoted || !is_space(*src)); src++) {
		if (*src == '"')
			quoted = !quoted;
		else
			*dst++ = *src;
	}
	if (quoted)
		return -EINVAL;
	if (*src)
		src++; /* before the NUL below, which may land on it */
	*dst++ = 0;
	*srcp = src;
	*dstp = dst;
	return 0;
}

/* Split s in place into argv; the word count, or -E2BIG / -EINVAL. */
static int split_args(char *s, char **argv)
{
	char *src = s, *dst = s;
	int argc = 0;

	for (;;) {
		while (is_space(*src))
			src++;
		if (!*src)
			return argc;
		if (argc == SHELL_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = dst;
		if (copy_word(&src, &dst) < 0)
			return -EINVAL;
	}
}

static const char *errno_text(int err)
{
	static char unknown[24];
	const char *s = strerror(err);
	if (s && *s)
		return s;
	snprintf(unknown, sizeof(unknown), "errno %d", err);
	return unknown;
}

static void report(const struct shell_cmd *cmd, int ret)
{
	if (ret == -EINVAL)
		shell_printf("%s: usage: %s\n", cmd->name,
			     cmd->usage ? cmd->usage : cmd->name);
	else if (ret < 0)
		shell_printf("%s: error: %s\n", cmd->name, errno_text(-ret));
}

static void run_line(const char *text)
{
	char work[SHELL_LINE_MAX + 1];
	char *argv[SHELL_MAX_ARGS + 1];

	snprintf(work, sizeof(work), "%s", text);
	const char *first = work + strspn(work, " \t");
	if (*first == '#')
		return; /* a comment */
	int argc = split_args(work, argv);
	if (argc == -E2BIG)
		shell_printf("shell: too many words (at most %d)\n",
			     SHELL_MAX_ARGS);
	else if (argc < 0)
		shell_printf("shell: unterminated quote\n");
	if (argc <= 0)
		return;
	argv[argc] = NULL;
	const struct shell_cmd *cmd = shell_find(argv[0]);
	if (!cmd) {
		shell_printf("%s: command not found (try 'help')\n", argv[0]);
		return;
	}
	report(cmd, cmd->fn(argc, argv));
}

/* ---- tab completion ----
 * The engine is pure (kernel/shell_complete.c); here are the specs, one
 * per command (the language is in shell_complete.h), and the sources of
 * command and device names. A command without a spec completes nothing
 * after its name.
 */
#define FILTER_WORDS                                                           \
	"icmp tcp udp arp ip host net port portrange src dst and or not"
#define CHAINS "(INPUT OUTPUT FORWARD)"

static const struct {
	const char *cmd;
	const char *spec;
} completion_specs[] = {
    {"help", "$cmd"},
    {"ip", "addr(show add del dev($dev)) link(show set($dev(up down mtu "
	   "address)) dev) route(show get add del default via dev) "
	   "neigh(show flush) -s"},
    {"ss", "-t -u -a -l -n -i -tan -uan -tani"},
    {"nstat", "-a -z -r -n -s"},
    {"netstat", "-s"},
    {"ethtool", "-S($dev) -i($dev) $dev"},
    {"ping", "-c -s -i -W"},
    {"arping", "-c -I($dev)"},
    {"filter", "-A" CHAINS " -I" CHAINS " -D" CHAINS " -F" CHAINS " -Z" CHAINS
	       " -P" CHAINS " -L" CHAINS " -S" CHAINS
	       " -v -n --line-numbers -p(tcp udp icmp) -s -d -i($dev) "
	       "-o($dev) --sport --dport --syn -m(state) --state -j(ACCEPT "
	       "DROP REJECT LOG)"},
    {"conntrack", "-L -S -F"},
    {"tcpdump", "-i($dev) -c -n " FILTER_WORDS},
    {"capture", "start(-i($dev) -s -b " FILTER_WORDS ") stop status dump"},
    {"trace", "list on(drivers ip tcp timers all) off(drivers ip tcp "
	      "timers all)"},
    {"log", "-f -l(debug info warn error) -n"},
    {"top", "-d -n"},
    {"selftest", "spinlock timers softirq-budget alloc wx"},
    {"lspci", "-v"},
    {"set", "log= panic= filter="},
    {"crash", "panic null overflow lock-recursion lock-unowned lock-wait "
	      "softlockup hardlockup"},
};

static const char *spec_of(void *env, const char *cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(completion_specs); i++)
		if (strcmp(completion_specs[i].cmd, cmd) == 0)
			return completion_specs[i].spec;
	return NULL;
}

static void each_command(void *env, complete_emit_fn emit, void *ctx)
{
	for (const struct shell_cmd *c = next_cmd(NULL); c; c = next_cmd(c))
		emit(ctx, c->name);
}

struct dev_emit {
	complete_emit_fn emit;
	void *ctx;
};

static void emit_dev(struct net_device *dev, void *ctx)
{
	struct dev_emit *d = ctx;
	d->emit(d->ctx, dev->name);
}

static void each_device(void *env, complete_emit_fn emit, void *ctx)
{
	struct dev_emit d = {emit, ctx};
	for_each_netdev(emit_dev, &d);
}

static const struct complete_env shell_env = {
    .commands = each_command,
    .devices = each_device,
    .spec = spec_of,
};

struct lister {
	size_t col;
};

static void list_one(void *ctx, const char *word)
{
	struct lister *l = ctx;
	size_t w = strlen(word) + 2;
	if (l->col && l->col + w > LIST_WIDTH_COLS) {
		shell_write("\n", 1);
		l->col = 0;
	}
	shell_printf("%s  ", word);
	l->col += w;
}

static void list_matches(void)
{
	struct lister l = {0};
	shell_write("\n", 1);
	shell_complete_each(line.buf, line.cursor, &shell_env, list_one, &l);
	shell_write("\n", 1);
	prompt();
	shell_line_redraw(&line);
}

static void complete(void)
{
	struct completion m;
	shell_complete(line.buf, line.cursor, &shell_env, &m);
	if (m.count == 0) {
		shell_write("\a", 1);
		return;
	}
	if (m.common_len > m.prefix_len)
		shell_line_insert(&line, m.common + m.prefix_len,
				  m.common_len - m.prefix_len);
	/* A unique word is done: a space, unless one follows or it ends in
	 * '=' (set log=). */
	if (m.count == 1 && !is_space(line.buf[line.cursor]) &&
	    m.common[m.common_len - 1] != '=')
		shell_line_insert(&line, " ", 1);
	flush_echo();
	if (m.count > 1)
		list_matches();
	flush_echo();
}

/* ---- the polling loop ---- */

/* True when a command ran (shell_poll then returns). */
static bool act(enum shell_line_action a)
{
	switch (a) {
	case SHELL_LINE_EXECUTE:
		shell_busy = true;
		run_line(line.result);
		shell_busy = false;
		prompt();
		return true;
	case SHELL_LINE_COMPLETE:
		complete();
		return false;
	case SHELL_LINE_CANCEL:
		prompt();
		return false;
	default:
		return false;
	}
}

/* ---- announcements ----
 * Lines that appear on their own (the ready line, link changes) are queued
 * by shell_announce from any context and printed here, in the shell's own
 * context: the prompt line is cleared, the text printed, and the prompt and
 * the half-typed line drawn again below it.
 */
#define ANNOUNCE_MAX 1024
static DEFINE_SPINLOCK(announce_lock, "shell_announce");
static char announce_buf[ANNOUNCE_MAX];
static size_t announce_len;

void shell_announce(const char *text, size_t n)
{
	if (!shell_ready) {
		console_write(text, n);
		return;
	}
	unsigned long flags = spin_lock_irqsave(&announce_lock);
	n = MIN(n, ANNOUNCE_MAX - announce_len);
	memcpy(announce_buf + announce_len, text, n);
	announce_len += n;
	spin_unlock_irqrestore(&announce_lock, flags);
}

static void flush_announcements(void)
{
	static char text[ANNOUNCE_MAX];
	unsigned long flags = spin_lock_irqsave(&announce_lock);
	size_t n = announce_len;
	memcpy(text, announce_buf, n);
	announce_len = 0;
	spin_unlock_irqrestore(&announce_lock, flags);
	if (!n)
		return;
	shell_write("\r\x1b[K", 4); /* column 0, clear the prompt line */
	shell_write(text, n);
	prompt();
	shell_line_redraw(&line);
	flush_echo();
}

bool shell_poll(void)
{
	flush_announcements();
	bool more = fbcon_flush_deferred(); /* the screen, a few rows */
	more |= mm_scrub_step(); /* firmware code pages, one at a time */
	int c;

	if (!shell_ready || shell_busy)
		return more;
	while ((c = uart_getc()) >= 0) {
		enum shell_line_action a = shell_line_feed(&line, (u8)c);
		flush_echo();
		if (act(a))
			return more;
	}
	return more;
}

/* Until the next interrupt (a tick, or with the tick stopped a timer
 * or wake_by_ns, at the latest), unless work is pending; the time counts
 * as idle, as in cpu_idle_loop. */
static void wait_halt(struct cpu *c, u64 wake_by_ns)
{
	if (idle_busy_poll(c))
		return;
	u64 t = ktime_get_ns();
	local_irq_disable();
	if (!c->softirq_pending && !apps_pending()) {
		tick_nohz_idle_enter(c, wake_by_ns);
		c->halted = true;
		safe_halt();
		c->halted = false;
		tick_nohz_idle_exit(c);
		c->idle_ns += ktime_get_ns() - t;
	} else {
		local_irq_enable();
	}
}

void shell_wait_us(u64 us)
{
	u64 end = ktime_get_ns() + us * 1000;
	struct cpu *c = this_cpu();
	do {
		do_softirq();
		u64 ta = ktime_get_ns();
		apps_poll();
		c->app_ns += ktime_get_ns() - ta;
		fbcon_flush_deferred();
		wait_halt(c, end);
	} while (ktime_get_ns() < end);
}

bool shell_key_pressed(void)
{
	int c;

	while ((c = uart_getc()) >= 0)
		if (!shell_line_eat_lf(&line, (u8)c))
			return true;
	return false;
}

void shell_init(void)
{
	shell_line_init(&line);
	shell_ready = true;
	prompt();
}

/* ---- help ---- */

static int help_one(const char *name)
{
	const struct shell_cmd *c = shell_find(name);
	if (!c) {
		shell_printf("help: no command '%s' (try 'help')\n", name);
		return SHELL_ERR_SHOWN;
	}
	shell_printf("usage: %s\n  %s\n", c->usage ? c->usage : c->name,
		     c->help ? c->help : "");
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	int width = 0;

	if (argc > 2)
		return -EINVAL;
	if (argc == 2)
		return help_one(argv[1]);
	for (const struct shell_cmd *c = next_cmd(NULL); c; c = next_cmd(c))
		width = MAX(width, (int)strlen(c->name));
	for (const struct shell_cmd *c = next_cmd(NULL); c; c = next_cmd(c))
		shell_printf("  %-*s  %s\n", width, c->name,
			     c->help ? c->help : "");
	return 0;
}
SHELL_CMD("help", cmd_help, "help [CMD]",
	  "list the commands, or show how to use one");
