/*
 * nf_filter.c - the packet filter on the IPv4 hooks: chain INPUT on
 * LOCAL_IN (after reassembly), chain OUTPUT on LOCAL_OUT (before
 * fragmentation), the REJECT and LOG targets, rules from the
 * configuration, and the `filter` and `conntrack` console commands.
 *
 *   nf_filter_hook: nf_pkt_parse -> [lock] nf_ct_lookup -> nf_table_eval
 *     -> nf_ct_confirm if accepted [unlock] -> REJECT: nf_reject_send
 *
 * REJECT replies are sent after the lock is dropped: they go out through
 * ip_send_skb, whose LOCAL_OUT hook comes back here. A REJECT in OUTPUT
 * only drops (the sender sees -EPERM), as there is no peer to tell.
 * Read first: RFC 9293 3.10.7.1 (the reset for a segment to a closed
 * port), RFC 1812 5.2.7.1 (administratively prohibited, code 13).
 */
#include <skiff/config.h>
#include <skiff/mm.h>
#include <skiff/net/icmp.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/netfilter.h>
#include <skiff/net/nf_hooks.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF_MAX_WORDS 40
#define NF_LINE_MAX 512
/* The whole table is walked every 8 s, in small steps: a walk of an
 * eighth of the 65,536 buckets (-m 512M) once a second held the TIMER
 * softirq, and the packets behind it, for up to 500 us under QEMU; an
 * eightieth every 100 ms takes a tenth of that. */
#define NF_GC_INTERVAL_MS 100
#define NF_GC_ROUNDS 80 /* runs to walk the whole table: 8 s */
/* LOG: a token bucket of 10 lines, refilled at 5 per second. */
#define NF_LOG_BURST 10
#define NF_LOG_NS_PER_TOKEN 200000000ULL

static DEFINE_SPINLOCK(nf_lock, "netfilter");
static struct timer_list nf_gc_timer;
static struct {
	u64 last_ns;
	u32 tokens;
	u32 suppressed;
} nf_log_bucket = {.tokens = NF_LOG_BURST};
static u64 nf_unparsed; /* datagrams the filter could not read: dropped */
static bool nf_booting; /* messages go to the log, not the console */

/* A message about a command: to the console, or while loading the boot
 * rules to the kernel log as a warning. */
__printf(1, 2) static void nf_msg(const char *fmt, ...)
{
	char buf[NF_LINE_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (nf_booting)
		pr_warn("%s", buf);
	else
		shell_printf("%s", buf);
}

/* ---- LOG ---------------------------------------------------------------- */

static bool nf_log_allowed(u64 now)
{
	u64 earned = (now - nf_log_bucket.last_ns) / NF_LOG_NS_PER_TOKEN;

	if (earned) {
		u64 t = nf_log_bucket.tokens + earned;
		nf_log_bucket.tokens = t > NF_LOG_BURST ? NF_LOG_BURST : (u32)t;
		nf_log_bucket.last_ns = now;
	}
	if (!nf_log_bucket.tokens) {
		nf_log_bucket.suppressed++;
		return false;
	}
	nf_log_bucket.tokens--;
	return true;
}

static void ip_str(char *buf, u32 a)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255);
}

/* The transport part of a LOG line, as Linux's nf_log_ipv4 prints it. */
static void nf_log_l4(char *buf, size_t n, const struct nf_pkt *p)
{
	static const char *const flag_names[] = {"FIN", "SYN", "RST",
						 "PSH", "ACK", "URG"};
	size_t len;

	buf[0] = '\0';
	if (!p->l4)
		return;
	if (p->t.proto == IPPROTO_ICMP) {
		snprintf(buf, n, " TYPE=%u CODE=%u", p->icmp_type,
			 p->icmp_code);
		return;
	}
	snprintf(buf, n, " SPT=%u DPT=%u", p->t.sport, p->t.dport);
	if (p->t.proto != IPPROTO_TCP)
		return;
	for (int i = 0; i < 6; i++) {
		len = strlen(buf);
		if (p->tcp_flags & (1 << i))
			snprintf(buf + len, n - len, " %s", flag_names[i]);
	}
}

static void nf_log(const struct nf_rule *r, const struct nf_pkt *p,
		   unsigned int chain)
{
	char src[16], dst[16], l4[64], proto[8];
	u32 suppressed = nf_log_bucket.suppressed;

	(void)chain;
	if (!nf_log_allowed(ktime_get_ns()))
		return;
	nf_log_bucket.suppressed = 0;
	if (suppressed)
		pr_info("filter: %u LOG lines suppressed\n", suppressed);
	ip_str(src, p->t.saddr);
	ip_str(dst, p->t.daddr);
	nf_log_l4(l4, sizeof(l4), p);
	if (p->t.proto == IPPROTO_TCP || p->t.proto == IPPROTO_UDP ||
	    p->t.proto == IPPROTO_ICMP)
		snprintf(proto, sizeof(proto), "%s",
			 p->t.proto == IPPROTO_TCP   ? "TCP"
			 : p->t.proto == IPPROTO_UDP ? "UDP"
						     : "ICMP");
	else
		snprintf(proto, sizeof(proto), "%u", p->t.proto);
	pr_info("%sIN=%s OUT=%s SRC=%s DST=%s LEN=%u TOS=0x%02x TTL=%u "
		"ID=%u PROTO=%s%s\n",
		r->log_prefix, p->in ? p->in : "", p->out ? p->out : "", src,
		dst, p->len, p->tos, p->ttl, p->ip_id, proto, l4);
}

/* ---- REJECT ----------------------------------------------------------------
 */

/*
 * The reset for a refused segment, RFC 9293 3.10.7.1: if it had an ACK,
 * <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>, where SEG.LEN counts SYN and FIN. Never for a reset.
 */
static void nf_send_reset(const struct nf_pkt *p)
{
	if (p->tcp_flags & NF_TCP_RST)
		return;
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 20);
	if (!skb)
		return;
	skb_reserve(skb, MAX_HEADER);
	u8 *th = skb_put(skb, 20);
	memset(th, 0, 20);
	store_be16(th, p->t.dport);
	store_be16(th + 2, p->t.sport);
	if (p->tcp_flags & NF_TCP_ACK) {
		store_be32(th + 4, p->tcp_ack);
		th[13] = NF_TCP_RST;
	} else {
		u32 seg_len = p->l4_payload + !!(p->tcp_flags & NF_TCP_SYN) +
			      !!(p->tcp_flags & NF_TCP_FIN);
		store_be32(th + 8, p->tcp_seq + seg_len);
		th[13] = NF_TCP_RST | NF_TCP_ACK;
	}
	th[12] = 5 << 4;
	u32 sum =
	    csum_tcpudp_nofold(p->t.daddr, p->t.saddr, 20, IPPROTO_TCP, 0);
	store_be16(th + 16, csum_fold(csum_partial(th, 20, sum)));
	struct ip_out out = {
	    .saddr = p->t.daddr, .daddr = p->t.saddr, .protocol = IPPROTO_TCP};
	ip_send_skb(skb, &out);
}

static const u8 reject_icmp_code[] = {
    [NF_REJ_PORT_UNREACH] = ICMP_PORT_UNREACH,
    [NF_REJ_NET_UNREACH] = ICMP_NET_UNREACH,
    [NF_REJ_HOST_UNREACH] = ICMP_HOST_UNREACH,
    [NF_REJ_PROTO_UNREACH] = ICMP_PROT_UNREACH,
    [NF_REJ_ADMIN_PROHIB] = ICMP_PKT_FILTERED,
};

static void nf_reject_send(struct sk_buff *skb, const struct nf_pkt *p, u8 with)
{
	/* Not to a broadcast (RFC 1122 3.2.2, 4.2.3.10); icmp_send checks
	 * that for the ICMP kinds itself. */
	if (with == NF_REJ_TCP_RESET) {
		if (p->t.proto == IPPROTO_TCP && p->l4 &&
		    !(IPCB(skb)->flags & IPSKB_BROADCAST))
			nf_send_reset(p);
		return;
	}
	if (with < sizeof(reject_icmp_code))
		icmp_send(skb, ICMP_DEST_UNREACH, reject_icmp_code[with], 0);
}

/* ---- the hooks --------------------------------------------------------------
 */

static unsigned int nf_filter_hook(unsigned int hook, struct sk_buff *skb,
				   const struct net_device *in,
				   const struct net_device *out)
{
	unsigned int chain =
	    hook == NF_INET_LOCAL_IN ? NF_CHAIN_INPUT : NF_CHAIN_OUTPUT;
	struct nf_pkt p;
	struct nf_ct_ref ref;
	struct nf_verdict v;

	if (nf_pkt_parse(skb->data, skb->len, &p)) {
		nf_unparsed++;
		return NF_DROP;
	}
	p.in = in ? in->name : NULL;
	p.out = out ? out->name : NULL;
	u64 now = ktime_get_ns();
	spin_lock_bh(&nf_lock);
	nf_ct_lookup(&p, now, &ref);
	nf_table_eval(chain, &p, &v, nf_log);
	bool pass = v.target == NF_T_ACCEPT && nf_ct_confirm(&p, &ref, now);
	spin_unlock_bh(&nf_lock);
	if (v.target == NF_T_REJECT && chain == NF_CHAIN_INPUT)
		nf_reject_send(skb, &p, v.reject_with);
	return pass ? NF_ACCEPT : NF_DROP;
}

static void nf_gc_run(struct timer_list *t)
{
	spin_lock_bh(&nf_lock);
	nf_ct_gc(ktime_get_ns(), MAX(nf_ct_buckets() / NF_GC_ROUNDS, 1));
	spin_unlock_bh(&nf_lock);
	mod_timer(t, get_jiffies() + msecs_to_jiffies(NF_GC_INTERVAL_MS));
}

/* ---- commands -------------------------------------------------------------
 */

/* Show where a command went wrong: the words, and a caret line under the
 * bad one ("filter: bad rule: ..." then "   ^^^^ unknown protocol"). */
static void nf_show_error(int argc, char *const argv[],
			  const struct nf_parse_error *e, const char *origin)
{
	char line[NF_LINE_MAX], mark[NF_LINE_MAX];
	size_t len = 0;

	line[0] = mark[0] = '\0';
	for (int i = 0; i < argc && len + 2 < sizeof(line); i++) {
		size_t w = strlen(argv[i]);
		if (len + w + 2 >= sizeof(line))
			break;
		memset(mark + len, i == e->word ? '^' : ' ', w + 1);
		if (i == e->word)
			mark[len + w] = ' ';
		memcpy(line + len, argv[i], w);
		line[len + w] = ' ';
		len += w + 1;
		line[len] = mark[len] = '\0';
	}
	if (e->word >= argc && len + 2 < sizeof(mark)) {
		mark[len] = '^';
		mark[len + 1] = '\0';
	}
	const char *bad = e->word >= 0 && e->word < argc ? argv[e->word] : "";
	nf_msg("filter: %s: bad rule at word %d '%s': %s\n", origin,
	       e->word + 1, bad, e->msg);
	/* One message per line: in the log each gets the same timestamp
	 * width, so the carets stay under the word. */
	nf_msg("  %s\n", line);
	nf_msg("  %s\n", mark);
}

static int nf_apply_locked(const struct nf_cmd *cmd)
{
	spin_lock_bh(&nf_lock);
	int err = nf_table_apply(cmd);
	spin_unlock_bh(&nf_lock);
	return err;
}

/* -L: copy each chain under the lock, print it without. */
static int nf_list(const struct nf_cmd *cmd)
{
	bool first = true;

	for (unsigned int c = 0; c < NF_CHAINS; c++) {
		struct nf_chain_snapshot snap;
		if (cmd->chain >= 0 && (unsigned int)cmd->chain != c)
			continue;
		spin_lock_bh(&nf_lock);
		bool ok = nf_table_snapshot(c, &snap);
		spin_unlock_bh(&nf_lock);
		if (!ok) {
			nf_msg("filter: no memory to list %s\n",
			       nf_chain_name(c));
			return SHELL_ERR_SHOWN;
		}
		if (!first && !cmd->specs)
			shell_printf("\n");
		first = false;
		nf_table_print(cmd, c, &snap);
		free(snap.rules);
	}
	return 0;
}

static int nf_run_argv(int argc, char **argv, const char *origin)
{
	struct nf_cmd cmd;
	struct nf_parse_error e;

	if (nf_parse_cmd(argc, argv, &cmd, &e)) {
		nf_show_error(argc, argv, &e, origin);
		return SHELL_ERR_SHOWN;
	}
	if (cmd.op == NF_OP_LIST)
		return nf_list(&cmd);
	int err = nf_apply_locked(&cmd);
	if (err == -ENOENT)
		nf_msg("filter: %s: no such rule in %s\n", origin,
		       nf_chain_name((unsigned)cmd.chain));
	else if (err == -ERANGE)
		nf_msg("filter: %s: %s has no position %u\n", origin,
		       nf_chain_name((unsigned)cmd.chain), cmd.num);
	else if (err == -ENOSPC)
		nf_msg("filter: %s: table full (%u rules)\n", origin,
		       NF_MAX_RULES);
	else if (err)
		nf_msg("filter: %s: error %d\n", origin, err);
	return err ? SHELL_ERR_SHOWN : 0;
}

int nf_run_line(const char *line, const char *origin)
{
	char buf[NF_LINE_MAX];
	char *argv[NF_MAX_WORDS];

	if (strlen(line) >= sizeof(buf)) {
		nf_msg("filter: %s: line too long\n", origin);
		return SHELL_ERR_SHOWN;
	}
	strcpy(buf, line);
	int argc = nf_split_words(buf, argv, NF_MAX_WORDS);
	if (argc < 0) {
		nf_msg("filter: %s: %s\n", origin,
		       argc == -E2BIG ? "too many words"
				      : "unterminated quote");
		return SHELL_ERR_SHOWN;
	}
	if (argc == 0)
		return 0; /* blank or comment */
	return nf_run_argv(argc, argv, origin);
}

static int filter_cmd(int argc, char **argv)
{
	if (argc < 2)
		return -EINVAL;
	return nf_run_argv(argc - 1, argv + 1, "console");
}
SHELL_CMD("filter", filter_cmd,
	  "filter -A|-I|-D CHAIN [N] RULE | -F [CHAIN] | -Z [CHAIN] | "
	  "-P CHAIN ACCEPT|DROP | -L [CHAIN] [-v] [-n] [--line-numbers] | "
	  "-S [CHAIN]",
	  "packet filter rules (iptables syntax)");

/* conntrack -L: rows copied under the lock, printed without it. */
struct ct_row {
	struct nf_tuple t;
	char state[12];
	bool replied;
	u64 expires_in_ns;
};

struct ct_rows {
	struct ct_row *rows;
	u32 n, cap;
};

static void ct_collect(void *ctx, const struct nf_tuple *o, const char *state,
		       bool replied, u64 expires_in_ns)
{
	struct ct_rows *rs = ctx;

	if (rs->n >= rs->cap)
		return;
	struct ct_row *r = &rs->rows[rs->n++];
	r->t = *o;
	snprintf(r->state, sizeof(r->state), "%s", state);
	r->replied = replied;
	r->expires_in_ns = expires_in_ns;
}

static void ct_show(const struct ct_row *r)
{
	char src[16], dst[16];
	const struct nf_tuple *o = &r->t;

	ip_str(src, o->saddr);
	ip_str(dst, o->daddr);
	shell_printf("%-4s %3u %6llu %-11s src=%s dst=%s sport=%u dport=%u "
		     "%s\n",
		     o->proto == IPPROTO_TCP	? "tcp"
		     : o->proto == IPPROTO_UDP	? "udp"
		     : o->proto == IPPROTO_ICMP ? "icmp"
						: "ip",
		     o->proto,
		     (unsigned long long)(r->expires_in_ns / 1000000000),
		     r->state, src, dst, o->sport, o->dport,
		     r->replied ? "[ASSURED]" : "[UNREPLIED]");
}

static int conntrack_list(void)
{
	struct nf_ct_stats s;
	struct ct_rows rs = {.n = 0};

	spin_lock_bh(&nf_lock);
	nf_ct_get_stats(&s);
	spin_unlock_bh(&nf_lock);
	rs.cap = s.max;
	rs.rows = malloc((size_t)rs.cap * sizeof(*rs.rows) + 1);
	if (!rs.rows) {
		shell_printf("conntrack: no memory\n");
		return SHELL_ERR_SHOWN;
	}
	spin_lock_bh(&nf_lock);
	nf_ct_for_each(ktime_get_ns(), ct_collect, &rs);
	spin_unlock_bh(&nf_lock);
	for (u32 i = 0; i < rs.n; i++)
		ct_show(&rs.rows[i]);
	free(rs.rows);
	shell_printf("conntrack: %u flow entries have been shown.\n", rs.n);
	return 0;
}

static int conntrack_cmd(int argc, char **argv)
{
	struct nf_ct_stats s;

	if (argc == 2 && !strcmp(argv[1], "-F")) {
		spin_lock_bh(&nf_lock);
		nf_ct_flush();
		spin_unlock_bh(&nf_lock);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "-S")) {
		spin_lock_bh(&nf_lock);
		nf_ct_get_stats(&s);
		spin_unlock_bh(&nf_lock);
		shell_printf("entries %u max %u found %llu new %llu invalid "
			     "%llu drop %llu early_drop %llu expired %llu "
			     "unparsed %llu\n",
			     s.count, s.max, (unsigned long long)s.found,
			     (unsigned long long)s.new_flows,
			     (unsigned long long)s.invalid,
			     (unsigned long long)s.drop,
			     (unsigned long long)s.early_drop,
			     (unsigned long long)s.expired,
			     (unsigned long long)nf_unparsed);
		return 0;
	}
	if (argc != 1 && !(argc == 2 && !strcmp(argv[1], "-L")))
		return -EINVAL;
	return conntrack_list();
}
SHELL_CMD("conntrack", conntrack_cmd, "conntrack [-L | -S | -F]",
	  "connection tracking table (list, statistics, flush)");

/* ---- boot ------------------------------------------------------------------
 */

/* skiff.rules: one rule per line; a line that does not parse is reported
 * with its number and skipped. */
static void nf_load_file(const char *text, size_t len)
{
	char line[NF_LINE_MAX], origin[32];
	u32 lineno = 0;
	size_t i = 0;

	while (i < len && text[i]) {
		size_t n = 0;
		lineno++;
		while (i < len && text[i] && text[i] != '\n') {
			if (n + 1 < sizeof(line))
				line[n++] = text[i];
			i++;
		}
		i++;
		line[n] = '\0';
		snprintf(origin, sizeof(origin), "skiff.rules:%u", lineno);
		nf_run_line(line, origin);
	}
}

/* conntrack.max, or auto: a flow per 4 KiB page the page allocator holds
 * (about 1.5 % of it for the table), at least NF_CT_DEFAULT_MAX; with
 * -m 512M: 112,360. */
static u32 conntrack_max(const struct skiff_config *cfg)
{
	struct mm_stats m;

	if (cfg && cfg->conntrack_max)
		return cfg->conntrack_max;
	mm_get_stats(&m);
	return (u32)MIN(MAX(m.total_pages, NF_CT_DEFAULT_MAX), 1ULL << 22);
}

void netfilter_init(const struct skiff_config *cfg, const char *rules_file,
		    size_t len)
{
	char origin[24];

	u32 ct_max = conntrack_max(cfg);
	if (nf_ct_init(ct_max))
		pr_err("filter: no memory for conntrack.max=%u flows\n",
		       ct_max);
	nf_booting = true;
	for (u32 i = 0; cfg && i < cfg->filter_count && i < CFG_MAX_FILTERS;
	     i++) {
		snprintf(origin, sizeof(origin), "filter=%u", i + 1);
		nf_run_line(cfg->filter[i], origin);
	}
	if (rules_file)
		nf_load_file(rules_file, len);
	nf_booting = false;
	nf_register_ipv4_hook(NF_INET_LOCAL_IN, nf_filter_hook);
	nf_register_ipv4_hook(NF_INET_LOCAL_OUT, nf_filter_hook);
	kernel_timer_setup(&nf_gc_timer, nf_gc_run);
	mod_timer(&nf_gc_timer,
		  get_jiffies() + msecs_to_jiffies(NF_GC_INTERVAL_MS));
	pr_info("filter: %u INPUT, %u OUTPUT, %u FORWARD rules; conntrack "
		"max %u\n",
		nf_table_count(NF_CHAIN_INPUT), nf_table_count(NF_CHAIN_OUTPUT),
		nf_table_count(NF_CHAIN_FORWARD), ct_max);
}
