/*
 * ping.c - `ping [-c N] [-s SIZE] [-i SEC] [-W SEC] ADDR`, printing what
 * iputils ping prints:
 *
 *   PING 198.18.0.1 (198.18.0.1) 56(84) bytes of data.
 *   64 bytes from 198.18.0.1: icmp_seq=1 ttl=64 time=0.512 ms
 *
 *   --- 198.18.0.1 ping statistics ---
 *   4 packets transmitted, 4 received, 0% packet loss, time 3004ms
 *   rtt min/avg/max/mdev = 0.412/0.512/0.612/0.070 ms
 *
 * The command sends with icmp_send_echo and waits with shell_wait_us (the idle
 * loop's work goes on), checking for a key press (which stops it, as Ctrl-C
 * stops ping). Replies arrive in softirq context through the ICMP echo
 * listener, which only records them in a ring; the command prints them. All
 * arithmetic is integer (microseconds), as the kernel does not use the FPU.
 */
#include <skiff/net/icmp.h>
#include <skiff/net/icmp_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/route.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PING_RING 64	/* replies between two looks of the command */
#define PING_TRACK 1024 /* send times kept, by sequence number */
#define PING_WAIT_STEP_US 200
#define PING_DEFAULT_LINGER_S 10 /* iputils: -W default with -c */

struct ping_reply {
	u16 seq;
	u32 from, len;
	u8 ttl;
	u64 rx_ns;
};

/* Shared between the command and the listener (softirq). */
static struct {
	spinlock_t lock;
	bool active;
	u16 id;
	u32 head, tail; /* ring indices, head - tail replies waiting */
	struct ping_reply ring[PING_RING];
} pinger = {.lock = SPIN_LOCK_INIT("ping")};

/* The command's own state. */
struct ping_run {
	u32 daddr;
	u32 count; /* 0 = until a key */
	u32 size;  /* payload bytes */
	u64 interval_us, linger_us;
	u32 sent, received, dups;
	u64 sent_ns[PING_TRACK];
	u8 seen[PING_TRACK];
	u64 rtt_min_us, rtt_max_us, rtt_sum_us, rtt_sum2_us;
	u64 start_ns;
};

static void ping_listener(u16 id, u16 seq, u32 from, u32 len, u8 ttl, u64 rx_ns)
{
	spin_lock_bh(&pinger.lock);
	if (pinger.active && id == pinger.id &&
	    pinger.head - pinger.tail < PING_RING) {
		struct ping_reply *r = &pinger.ring[pinger.head++ % PING_RING];
		r->seq = seq;
		r->from = from;
		r->len = len;
		r->ttl = ttl;
		r->rx_ns = rx_ns;
	}
	spin_unlock_bh(&pinger.lock);
}

static bool ping_pop(struct ping_reply *r)
{
	bool got = false;

	spin_lock_bh(&pinger.lock);
	if (pinger.head != pinger.tail) {
		*r = pinger.ring[pinger.tail++ % PING_RING];
		got = true;
	}
	spin_unlock_bh(&pinger.lock);
	return got;
}

/* "1.5" -> 1500000 us; up to 3 decimals, no sign. */
static int parse_seconds_us(const char *s, u64 *us)
{
	u64 whole = 0, frac = 0, scale = 1000000;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && whole < 100000)
		whole = whole * 10 + (u64)(*p++ - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1000) { /* keep milliseconds */
				scale /= 10;
				frac += (u64)(*p - '0') * scale;
			}
		}
	}
	if (*p != '\0' || p == s)
		return -EINVAL;
	*us = whole * 1000000 + frac;
	return 0;
}

static int parse_u32(const char *s, u32 max, u32 *v)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*s == '\0' || *s == '-' || *end != '\0' || n > max)
		return -EINVAL;
	*v = (u32)n;
	return 0;
}

static int ping_parse(struct ping_run *r, int argc, char **argv)
{
	r->size = 56;
	r->interval_us = 1000000;
	r->linger_us = PING_DEFAULT_LINGER_S * 1000000ull;
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		int err = -EINVAL;
		if (strcmp(o, "-c") == 0)
			err = parse_u32(v, 1000000000, &r->count);
		else if (strcmp(o, "-s") == 0)
			err = parse_u32(v, ICMP_ECHO_MAX_PAYLOAD, &r->size);
		else if (strcmp(o, "-i") == 0)
			err = parse_seconds_us(v, &r->interval_us);
		else if (strcmp(o, "-W") == 0)
			err = parse_seconds_us(v, &r->linger_us);
		if (err)
			return err;
		if (strcmp(o, "-c") == 0 && r->count == 0)
			return -EINVAL;
	}
	if (i != argc - 1 || inet_parse_addr(argv[i], &r->daddr) != 0)
		return -EINVAL;
	if (r->interval_us < 1000)
		return -EINVAL; /* at most 1000 per second from the console */
	return 0;
}

/* iputils' layout: 3 decimals under 1 ms ... none from 100 ms. */
static void print_ms(u64 us)
{
	if (us >= 100000 - 50)
		shell_printf("%llu", (us + 500) / 1000);
	else if (us >= 10000 - 5)
		shell_printf("%llu.%01llu", (us + 50) / 1000,
			     ((us + 50) % 1000) / 100);
	else if (us >= 1000)
		shell_printf("%llu.%02llu", (us + 5) / 1000,
			     ((us + 5) % 1000) / 10);
	else
		shell_printf("%llu.%03llu", us / 1000, us % 1000);
}

static void ping_print_reply(struct ping_run *r, const struct ping_reply *p)
{
	char from[16];
	u32 slot = p->seq % PING_TRACK;
	u64 rtt_us = (p->rx_ns - r->sent_ns[slot]) / 1000;
	bool dup = r->seen[slot];

	if (dup) {
		r->dups++;
	} else {
		r->seen[slot] = 1;
		r->received++;
		r->rtt_min_us =
		    r->received == 1 ? rtt_us : MIN(r->rtt_min_us, rtt_us);
		r->rtt_max_us = MAX(r->rtt_max_us, rtt_us);
		r->rtt_sum_us += rtt_us;
		r->rtt_sum2_us += rtt_us * rtt_us;
	}
	shell_printf("%u bytes from %s: icmp_seq=%u ttl=%u time=",
		     p->len + ICMP_HLEN, ip_str(p->from, from), p->seq, p->ttl);
	print_ms(rtt_us);
	shell_printf(" ms%s\n", dup ? " (DUP!)" : "");
}

/* Print what arrived; true once every request sent has its reply. */
static bool ping_drain(struct ping_run *r)
{
	struct ping_reply p;

	while (ping_pop(&p)) {
		u16 since = (u16)((u16)r->sent - p.seq);
		if (since >= PING_TRACK)
			continue; /* not one we sent (or too old to time) */
		ping_print_reply(r, &p);
	}
	return r->received >= r->sent;
}

static u64 isqrt(u64 n)
{
	u64 x = n, y = (x + 1) / 2;

	while (y < x) {
		x = y;
		y = (x + n / x) / 2;
	}
	return x;
}

/* iputils prints the loss with %g; integers and up to 4 decimals here. */
static void print_loss(const struct ping_run *r)
{
	u64 lost = r->sent - MIN(r->received, r->sent);
	u64 scaled = lost * 100 * 10000 / (r->sent ? r->sent : 1);
	u64 whole = scaled / 10000, frac = scaled % 10000;
	int digits = 4;

	while (frac && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (frac)
		shell_printf("%llu.%0*llu%%", whole, digits, frac);
	else
		shell_printf("%llu%%", whole);
}

static void ping_summary(const struct ping_run *r)
{
	char a[16];
	u64 elapsed_ms = (ktime_get_ns() - r->start_ns) / 1000000;

	shell_printf("\n--- %s ping statistics ---\n", ip_str(r->daddr, a));
	shell_printf("%u packets transmitted, %u received, ", r->sent,
		     r->received);
	if (r->dups)
		shell_printf("+%u duplicates, ", r->dups);
	print_loss(r);
	shell_printf(" packet loss, time %llums\n", elapsed_ms);
	if (!r->received)
		return;
	u64 avg = r->rtt_sum_us / r->received;
	u64 mean2 = r->rtt_sum2_us / r->received;
	u64 mdev = isqrt(mean2 > avg * avg ? mean2 - avg * avg : 0);
	u64 v[4] = {r->rtt_min_us, avg, r->rtt_max_us, mdev};
	shell_printf("rtt min/avg/max/mdev = ");
	for (int i = 0; i < 4; i++)
		shell_printf("%llu.%03llu%s", v[i] / 1000, v[i] % 1000,
			     i < 3 ? "/" : " ms\n");
}

/* Wait until deadline_ns, printing replies; false if a key stopped us. */
static bool ping_wait(struct ping_run *r, u64 deadline_ns, bool until_all)
{
	while (ktime_get_ns() < deadline_ns) {
		if (ping_drain(r) && until_all)
			return true;
		if (shell_key_pressed())
			return false;
		shell_wait_us(PING_WAIT_STEP_US);
	}
	ping_drain(r);
	return true;
}

/* One request; false (message printed) if the first cannot be sent. */
static bool ping_send_one(struct ping_run *r)
{
	u16 seq = (u16)(r->sent + 1);
	r->sent_ns[seq % PING_TRACK] = ktime_get_ns();
	r->seen[seq % PING_TRACK] = 0;
	int err = icmp_send_echo(r->daddr, pinger.id, seq, r->size);
	if (err == -ENETUNREACH && r->sent == 0) {
		shell_printf("ping: connect: Network is unreachable\n");
		return false;
	}
	if (err)
		shell_printf("ping: sendmsg: %s\n",
			     err == -ENOBUFS ? "No buffer space available"
					     : "Message too long");
	r->sent++;
	return true;
}

static void ping_loop(struct ping_run *r)
{
	bool go = true;

	while (go && (r->count == 0 || r->sent < r->count)) {
		if (!ping_send_one(r)) {
			r->sent = 0;
			return;
		}
		if (r->count && r->sent == r->count)
			break;
		go =
		    ping_wait(r, ktime_get_ns() + r->interval_us * 1000, false);
	}
	/* iputils: after the last request, wait for the stragglers: twice
	 * the worst round trip if something came back, else -W. */
	u64 linger =
	    r->received ? MAX(2 * r->rtt_max_us, (u64)10000) : r->linger_us;
	if (go)
		ping_wait(r, ktime_get_ns() + linger * 1000, true);
}

static int cmd_ping(int argc, char **argv)
{
	static struct ping_run r;
	static u16 next_id = 1;
	struct fib_result res;
	char a[16];

	memset(&r, 0, sizeof(r));
	if (ping_parse(&r, argc, argv) != 0)
		return -EINVAL;
	if (r.daddr != INADDR_BROADCAST && fib_lookup(r.daddr, &res) != 0) {
		/* iputils connects first and says this before anything. */
		shell_printf("ping: connect: Network is unreachable\n");
		return SHELL_ERR_SHOWN;
	}
	spin_lock_bh(&pinger.lock);
	pinger.id = (u16)(next_id++ ^ (ktime_get_ns() >> 10));
	pinger.head = pinger.tail = 0;
	pinger.active = true;
	spin_unlock_bh(&pinger.lock);
	icmp_set_echo_listener(ping_listener);
	shell_printf("PING %s (%s) %u(%u) bytes of data.\n", ip_str(r.daddr, a),
		     a, r.size, r.size + 28);
	r.start_ns = ktime_get_ns();
	ping_loop(&r);
	icmp_set_echo_listener(NULL);
	spin_lock_bh(&pinger.lock);
	pinger.active = false;
	spin_unlock_bh(&pinger.lock);
	if (r.sent == 0)
		return SHELL_ERR_SHOWN;
	ping_summary(&r);
	return 0;
}
SHELL_CMD("ping", cmd_ping, "ping [-c N] [-s SIZE] [-i SEC] [-W SEC] ADDR",
	  "send ICMP echo requests and print the replies (any key stops)");
