/*
 * capture_cmd.c - the console side of packet capture: `tcpdump` (live
 * lines) and `capture start|stop|status|dump` (the ring, dumped for
 * text2pcap). The sessions themselves are net/capture.c.
 *
 * tcpdump: capture_start(LIVE) -> loop { key? stop; capture_pop ->
 *          capture_format -> print if the console has room, else count
 *          the line as not printed } -> capture_stop -> summary
 * The console is never waited on: a flood fills the live ring (oldest
 * overwritten, counted as dropped by kernel), and lines the serial port
 * cannot take at once are counted, not queued, so the shell stays live.
 */
#include <skiff/net/capture.h>
#include <skiff/net/capture_fmt.h>
#include <skiff/netdevice.h>
#include <skiff/shell.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPR_MAX CF_MAX_TEXT
#define LIVE_POLL_US 1000 /* pause when the live ring is empty */
#define LINE_MAX_CHARS 400

struct cap_args {
	struct capture_opts o;
	const char *dev;
	u64 count; /* tcpdump -c; 0 = until a key */
	unsigned fmt_flags;
	char expr[EXPR_MAX + 1];
};

/* Join the words from argv[i] on into one expression. */
static int join_expr(struct cap_args *a, int argc, char **argv, int i)
{
	size_t used = 0;
	a->expr[0] = 0;
	for (; i < argc; i++) {
		int n = snprintf(a->expr + used, sizeof(a->expr) - used, "%s%s",
				 used ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(a->expr) - used)
			return -E2BIG;
		used += (size_t)n;
	}
	a->o.expr = a->expr;
	return 0;
}

static bool parse_u64(const char *s, u64 min, u64 max, u64 *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* -c N (tcpdump), -s SNAPLEN, -b KIB: a number in range, or a message. */
static int number_opt(const char *cmd, struct cap_args *a, const char *opt,
		      const char *val)
{
	u64 v = 0;
	bool ok;
	if (strcmp(opt, "-c") == 0) {
		ok = parse_u64(val, 1, 1000000000, &a->count);
	} else if (strcmp(opt, "-s") == 0) {
		ok = parse_u64(val, 0, CAPTURE_SNAPLEN_MAX, &v);
		a->o.snaplen = v ? (u32)MAX(v, 14u) : CAPTURE_SNAPLEN_MAX;
	} else {
		ok = parse_u64(val, CAPTURE_RING_MIN >> 10,
			       CAPTURE_RING_MAX >> 10, &v);
		a->o.ring_bytes = (u32)(v << 10);
	}
	if (ok)
		return 0;
	shell_printf("%s: bad value '%s' for %s\n", cmd, val, opt);
	return SHELL_ERR_SHOWN;
}

/* The option at argv[*i] (and its value); -EINVAL prints the usage. */
static int parse_opt(const char *cmd, struct cap_args *a, int argc, char **argv,
		     int *i)
{
	const char *opt = argv[*i];
	bool live = strcmp(cmd, "tcpdump") == 0;
	if (strcmp(opt, "-n") == 0 || strcmp(opt, "-nn") == 0) {
		a->fmt_flags |= CAPFMT_NUMERIC;
		return 0;
	}
	if (*i + 1 >= argc)
		return -EINVAL;
	const char *val = argv[++*i];
	if (strcmp(opt, "-i") == 0) {
		a->dev = val;
		return 0;
	}
	if ((live && strcmp(opt, "-c") == 0) ||
	    (!live && (strcmp(opt, "-s") == 0 || strcmp(opt, "-b") == 0)))
		return number_opt(cmd, a, opt, val);
	return -EINVAL;
}

static int parse_args(const char *cmd, struct cap_args *a, int argc,
		      char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		int rc = parse_opt(cmd, a, argc, argv, &i);
		if (rc)
			return rc;
	}
	if (a->dev) {
		struct net_device *dev = dev_get_by_name(a->dev);
		if (!dev) {
			shell_printf("%s: %s: No such device exists\n", cmd,
				     a->dev);
			return SHELL_ERR_SHOWN;
		}
		a->o.ifindex = dev->ifindex;
	}
	if (join_expr(a, argc, argv, i)) {
		shell_printf("%s: filter longer than %d characters\n", cmd,
			     EXPR_MAX);
		return SHELL_ERR_SHOWN;
	}
	return 0;
}

/* Start a session; explain a refused filter with a caret under it. */
static int start_or_say(const char *cmd, enum capture_session_id id,
			const struct cap_args *a)
{
	struct cf_error err;
	int rc = capture_start(id, &a->o, &err);
	if (rc == -EINVAL && err.msg) {
		shell_printf("%s: filter: %s at column %d%s%s%s\n", cmd,
			     err.msg, err.pos + 1, err.word[0] ? " ('" : "",
			     err.word, err.word[0] ? "')" : "");
		shell_printf("  %s\n  %*s^\n", a->expr, err.pos, "");
		return SHELL_ERR_SHOWN;
	}
	if (rc == -ENOMEM)
		shell_printf("%s: cannot allocate a %u KiB ring\n", cmd,
			     a->o.ring_bytes >> 10);
	return rc == -ENOMEM ? SHELL_ERR_SHOWN : rc;
}

static const char *dev_name(int ifindex)
{
	struct net_device *dev = ifindex ? dev_get_by_index(ifindex) : NULL;
	return dev ? dev->name : "any";
}

/* ---- tcpdump ------------------------------------------------------------ */

struct live_run {
	u64 handled, printed, not_printed;
};

/* Format one record and print it if the console can take it now. */
static void live_print(struct live_run *run, const struct cap_args *a,
		       const struct capture_rec *r, const u8 *data)
{
	char line[LINE_MAX_CHARS];
	size_t n =
	    capture_format(line, sizeof(line) - 1, data, r->caplen, r->len,
			   capture_wall_ns(r->ts_ns), a->fmt_flags);
	line[n++] = '\n';
	run->handled++;
	if (shell_out_room() < n + 2) { /* + the CR of the newline */
		run->not_printed++;
		return;
	}
	shell_write(line, n);
	run->printed++;
}

static void live_loop(struct live_run *run, const struct cap_args *a)
{
	static u8 data[CAPTURE_LIVE_SNAPLEN];
	struct capture_rec r;
	while (!a->count || run->handled < a->count) {
		if (shell_key_pressed())
			break;
		if (capture_pop(CAPTURE_LIVE, &r, data, sizeof(data)))
			live_print(run, a, &r, data);
		else
			shell_wait_us(LIVE_POLL_US);
	}
}

static int cmd_tcpdump(int argc, char **argv)
{
	static struct cap_args a;
	struct live_run run = {0};
	struct capture_stats st;

	memset(&a, 0, sizeof(a));
	a.o.snaplen = CAPTURE_LIVE_SNAPLEN;
	a.o.ring_bytes = CAPTURE_LIVE_RING;
	int rc = parse_args("tcpdump", &a, argc, argv);
	if (!rc)
		rc = start_or_say("tcpdump", CAPTURE_LIVE, &a);
	if (rc)
		return rc;
	shell_printf("tcpdump: listening on %s, link-type EN10MB (Ethernet), "
		     "snapshot length %u bytes\n",
		     dev_name(a.o.ifindex), a.o.snaplen);
	live_loop(&run, &a);
	capture_stop(CAPTURE_LIVE);
	capture_get_stats(CAPTURE_LIVE, &st);
	shell_printf("\n%llu packets captured\n%llu packets received by "
		     "filter\n%llu packets dropped by kernel\n%llu lines not "
		     "printed (console busy)\n",
		     run.handled, st.matched, st.dropped, run.not_printed);
	return 0;
}
SHELL_CMD("tcpdump", cmd_tcpdump, "tcpdump [-i DEV] [-c N] [-n] [EXPR]",
	  "print packets in and out as they pass, like tcpdump (any key "
	  "stops)");

/* ---- capture ------------------------------------------------------------ */

static int capture_start_cmd(int argc, char **argv)
{
	static struct cap_args a;
	memset(&a, 0, sizeof(a));
	a.o.snaplen = CAPTURE_SNAPLEN_MAX;
	a.o.ring_bytes = CAPTURE_RING_DEFAULT;
	int rc = parse_args("capture", &a, argc, argv);
	if (!rc)
		rc = start_or_say("capture", CAPTURE_RING, &a);
	if (rc)
		return rc;
	shell_printf("capture: recording on %s, snaplen %u, ring %u KiB, "
		     "filter \"%s\"\n",
		     dev_name(a.o.ifindex), a.o.snaplen, a.o.ring_bytes >> 10,
		     a.expr);
	return 0;
}

static void print_status(void)
{
	struct capture_stats st;
	capture_get_stats(CAPTURE_RING, &st);
	if (!st.ring_bytes) {
		shell_printf("capture: never started\n");
		return;
	}
	u64 end = st.stop_ns ? st.stop_ns : ktime_get_ns();
	shell_printf("capture: %s on %s for %llu.%03llu s, snaplen %u, filter "
		     "\"%s\"\n",
		     st.active ? "running" : "stopped", dev_name(st.ifindex),
		     (end - st.start_ns) / NSEC_PER_SEC,
		     (end - st.start_ns) / 1000000 % 1000, st.snaplen, st.expr);
	shell_printf("ring: %llu packets, %llu of %u KiB used; %llu matched, "
		     "%llu overwritten\n",
		     st.records, st.used_bytes >> 10, st.ring_bytes >> 10,
		     st.matched, st.dropped);
}

/* text2pcap's input: a preamble line with the time (-t ISO), then the
 * bytes as "OFFSET HEX..." lines, 16 per line. */
static void dump_one(void *ctx, const struct capture_rec *r, const u8 *data)
{
	u64 *n = ctx, wall = capture_wall_ns(r->ts_ns);
	time_t secs = (time_t)(wall / NSEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	shell_printf("# %llu %s %s len %u\n", ++*n, dev_name(r->ifindex),
		     r->outgoing ? "Out" : "In", r->len);
	shell_printf("%04d-%02d-%02dT%02d:%02d:%02d.%06lluZ\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, wall / 1000 % 1000000);
	for (u32 off = 0; off < r->caplen; off += 16) {
		char hex[16 * 3 + 1];
		u32 k = 0;
		for (u32 i = off; i < r->caplen && i < off + 16; i++)
			k += (u32)snprintf(hex + k, sizeof(hex) - k, " %02x",
					   data[i]);
		shell_printf("%06x%s\n", off, hex);
	}
}

static int capture_dump_cmd(void)
{
	struct capture_stats st;
	u64 n = 0;
	capture_get_stats(CAPTURE_RING, &st);
	shell_printf("# skiff capture: %llu packets, snaplen %u, link-type "
		     "EN10MB\n# read with: text2pcap -t ISO -l 1 FILE "
		     "OUT.pcap\n",
		     st.records, st.snaplen);
	int rc = capture_for_each(CAPTURE_RING, dump_one, &n);
	if (rc == -ENOENT) {
		shell_printf("capture: nothing captured\n");
		return SHELL_ERR_SHOWN;
	}
	shell_printf("# end of capture: %llu packets\n", n);
	return rc;
}

static int cmd_capture(int argc, char **argv)
{
	if (argc < 2)
		return -EINVAL;
	if (strcmp(argv[1], "start") == 0)
		return capture_start_cmd(argc - 1, argv + 1);
	if (argc != 2)
		return -EINVAL;
	if (strcmp(argv[1], "stop") == 0) {
		capture_stop(CAPTURE_RING);
		print_status();
		return 0;
	}
	if (strcmp(argv[1], "status") == 0) {
		print_status();
		return 0;
	}
	if (strcmp(argv[1], "dump") == 0)
		return capture_dump_cmd();
	return -EINVAL;
}
SHELL_CMD("capture", cmd_capture,
	  "capture start [-i DEV] [-s SNAPLEN] [-b KIB] [EXPR] | stop | status "
	  "| dump",
	  "record packets into a ring (/debug/pcap); dump for text2pcap");
