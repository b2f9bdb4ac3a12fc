/*
 * diag.c - console views that cut across subsystems: `irq` (interrupt
 * counts per vector and CPU, like /proc/interrupts) and `top` (a view
 * refreshed every second: CPU time by softirq, apps and idle; packets
 * and bytes per second per NIC; connections).
 *
 * top: snapshot -> shell_wait_us for the interval (a key stops it) ->
 *      snapshot -> print the differences; at most -n rounds.
 */
#include <skiff/irq.h>
#include <skiff/netdevice.h>
#include <skiff/net/netcore.h>
#include <skiff/net/socket.h>
#include <skiff/net/tcp.h>
#include <skiff/percpu.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- irq -------------------------------------------------------------- */

static bool cpu_shown(u32 i)
{
	return cpus[i] && cpus[i]->online;
}

static void irq_row(int v)
{
	const char *name = irq_name(v);
	u64 total = 0;
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpu_shown(i))
			total += cpus[i]->irq_count[v];
	if (!name && !total)
		return;
	shell_printf("%4d:", v);
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpu_shown(i))
			shell_printf(" %10llu",
				     (unsigned long long)cpus[i]->irq_count[v]);
	shell_printf("  %s\n", name ? name : "(no handler)");
}

static int cmd_irq(int argc, char **argv)
{
	if (argc != 1)
		return -EINVAL;
	shell_printf("     ");
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpu_shown(i))
			shell_printf(" %7s%-3u", "CPU", i);
	shell_printf("\n");
	for (int v = 0; v < NR_VECTORS; v++)
		irq_row(v);
	shell_printf(" ERR: %10llu  (vectors without a handler)\n",
		     (unsigned long long)irq_unexpected_count());
	return 0;
}
SHELL_CMD("irq", cmd_irq, "irq",
	  "interrupts per vector and CPU, like /proc/interrupts");

/* ---- top ------------------------------------------------------------------
 */

#define TOP_NICS 8
#define TOP_POLL_US 20000

struct top_cpu {
	u64 softirq_ns, app_ns, idle_ns, halt_softirq_ns, irqs;
};

struct top_nic {
	char name[IFNAMSIZ];
	u64 rx_packets, rx_bytes, tx_packets, tx_bytes, drops;
};

struct top_snap {
	u64 t_ns;
	struct top_cpu cpu[NR_CPUS];
	struct top_nic nic[TOP_NICS];
	int nics;
};

static void snap_cpu(struct top_cpu *s, const struct cpu *c)
{
	memset(s, 0, sizeof(*s));
	for (int n = 0; n < NR_SOFTIRQS; n++)
		s->softirq_ns += READ_ONCE(c->softirq_ns[n]);
	for (int v = 0; v < NR_VECTORS; v++)
		s->irqs += READ_ONCE(c->irq_count[v]);
	s->app_ns = READ_ONCE(c->app_ns);
	s->idle_ns = READ_ONCE(c->idle_ns);
	s->halt_softirq_ns = READ_ONCE(c->softirq_halt_ns);
}

static void snap_nic(struct net_device *dev, void *ctx)
{
	struct top_snap *s = ctx;
	if (s->nics == TOP_NICS)
		return;
	struct top_nic *n = &s->nic[s->nics++];
	const struct net_device_stats *st = &dev->stats;
	memcpy(n->name, dev->name, IFNAMSIZ);
	n->rx_packets = st->rx_packets;
	n->rx_bytes = st->rx_bytes;
	n->tx_packets = st->tx_packets;
	n->tx_bytes = st->tx_bytes;
	n->drops = st->rx_dropped + st->rx_missed + st->tx_dropped;
}

static void snapshot(struct top_snap *s)
{
	s->t_ns = ktime_get_ns();
	for (u32 i = 0; i < NR_CPUS; i++)
		if (cpu_shown(i))
			snap_cpu(&s->cpu[i], cpus[i]);
	s->nics = 0;
	for_each_netdev(snap_nic, s);
}

/* Tenths of a percent of dt, clamped to 0..1000. */
static u64 permille(u64 part, u64 dt)
{
	return dt ? MIN(part * 1000 / dt, 1000ULL) : 0;
}

static void print_pct(u64 pm)
{
	shell_printf(" %5llu.%llu", pm / 10, pm % 10);
}

static void top_cpus(const struct top_snap *a, const struct top_snap *b)
{
	u64 dt = b->t_ns - a->t_ns;
	shell_printf("CPU   softirq%%   app%%  other%%   idle%%   irqs/s\n");
	for (u32 i = 0; i < NR_CPUS; i++) {
		if (!cpu_shown(i))
			continue;
		const struct top_cpu *x = &a->cpu[i], *y = &b->cpu[i];
		u64 soft = permille(y->softirq_ns - x->softirq_ns, dt);
		u64 app = permille(y->app_ns - x->app_ns, dt);
		u64 idle_ns = y->idle_ns - x->idle_ns,
		    woke = y->halt_softirq_ns - x->halt_softirq_ns;
		u64 idle = permille(idle_ns > woke ? idle_ns - woke : 0, dt);
		u64 used = soft + app + idle;
		shell_printf("cpu%-2u  ", i);
		print_pct(soft);
		print_pct(app);
		print_pct(used < 1000 ? 1000 - used : 0);
		print_pct(idle);
		shell_printf(" %8llu\n", (y->irqs - x->irqs) * NSEC_PER_SEC /
					     (dt ? dt : 1));
	}
}

static u64 per_sec(u64 from, u64 to, u64 dt)
{
	return dt ? (to - from) * NSEC_PER_SEC / dt : 0;
}

static void top_nics(const struct top_snap *a, const struct top_snap *b)
{
	u64 dt = b->t_ns - a->t_ns;
	shell_printf("NIC      rx pkt/s   rx bytes/s   tx pkt/s   tx bytes/s  "
		     "drops/s\n");
	for (int i = 0; i < b->nics && i < a->nics; i++) {
		const struct top_nic *x = &a->nic[i], *y = &b->nic[i];
		shell_printf("%-6s %10llu %12llu %10llu %12llu %8llu\n",
			     y->name, per_sec(x->rx_packets, y->rx_packets, dt),
			     per_sec(x->rx_bytes, y->rx_bytes, dt),
			     per_sec(x->tx_packets, y->tx_packets, dt),
			     per_sec(x->tx_bytes, y->tx_bytes, dt),
			     per_sec(x->drops, y->drops, dt));
	}
}

struct conn_count {
	u32 estab, listen, time_wait, other;
};

static void count_tcp(struct tcp_sock *tp, void *ctx)
{
	struct conn_count *c = ctx;
	if (tp->state == TCP_ESTABLISHED)
		c->estab++;
	else if (tp->state == TCP_LISTEN)
		c->listen++;
	else if (tp->state == TCP_TIME_WAIT)
		c->time_wait++;
	else
		c->other++;
}

static void count_sock(struct socket *s, void *ctx)
{
	(*(u32 *)ctx)++;
}

static void top_conns(void)
{
	struct conn_count c = {0};
	u32 socks = 0;
	tcp_for_each(count_tcp, &c);
	sock_for_each(count_sock, &socks);
	shell_printf("TCP: %u established, %u listening, %u time-wait, %u "
		     "other; sockets: %u\n",
		     c.estab, c.listen, c.time_wait, c.other, socks);
}

/* Wait for the interval; false if a key stopped it. */
static bool top_wait(u64 interval_ns)
{
	u64 end = ktime_get_ns() + interval_ns;
	while (ktime_get_ns() < end) {
		if (shell_key_pressed())
			return false;
		shell_wait_us(TOP_POLL_US);
	}
	return true;
}

static int top_parse(int argc, char **argv, u64 *interval_s, u64 *rounds)
{
	for (int i = 1; i < argc; i++) {
		char *end;
		if (i + 1 >= argc)
			return -EINVAL;
		unsigned long v = strtoul(argv[i + 1], &end, 10);
		if (*end || argv[i + 1][0] == '-' || v == 0 || v > 3600)
			return -EINVAL;
		if (strcmp(argv[i], "-d") == 0)
			*interval_s = v;
		else if (strcmp(argv[i], "-n") == 0)
			*rounds = v;
		else
			return -EINVAL;
		i++;
	}
	return 0;
}

static int cmd_top(int argc, char **argv)
{
	static struct top_snap snaps[2];
	u64 interval_s = 1, rounds = 0;
	if (top_parse(argc, argv, &interval_s, &rounds))
		return -EINVAL;
	snapshot(&snaps[0]);
	for (u64 n = 0; !rounds || n < rounds; n++) {
		if (!top_wait(interval_s * NSEC_PER_SEC))
			break;
		struct top_snap *a = &snaps[n & 1], *b = &snaps[(n + 1) & 1];
		snapshot(b);
		u64 up = b->t_ns / NSEC_PER_SEC;
		shell_printf(
		    "\ntop - up %llu s, %u CPUs, every %llu s (any key "
		    "stops)\n",
		    up, nr_cpus_online, interval_s);
		top_cpus(a, b);
		top_nics(a, b);
		top_conns();
	}
	return 0;
}
SHELL_CMD("top", cmd_top, "top [-d SEC] [-n ROUNDS]",
	  "CPU by softirq/app/idle, packets and bytes/s per NIC, connections "
	  "(any key stops)");
