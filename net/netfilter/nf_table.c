/*
 * nf_table.c - the chains: rules in order, a policy, counters, and the
 * pre-dispatch index that keeps evaluation short with hundreds of rules.
 *
 * Pre-dispatch: after every edit, each chain gets, per protocol class
 * (TCP, UDP, ICMP, other) and for TCP/UDP per destination-port bucket
 * (port mod 64), the ordered list of the rules that could match such a
 * packet: a rule for another protocol, or for a destination port in
 * another bucket, is not in the list. A packet walks only its list, in
 * the chain's order, so verdicts are exactly those of a linear walk
 * (nf_table_set_dispatch(false) does the linear walk, for comparison).
 * A rule set of "one port per rule" lines therefore costs a few rules per
 * packet instead of hundreds. Edits are rare (console, boot) and rebuild
 * the lists of the chain they touch.
 *
 * The caller (nf_filter.c) holds the filter lock around every function.
 */
#include <skiff/net/ip.h>
#include <skiff/net/netfilter.h>
#include <skiff/strbuf.h>
#include <skiff/shell.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define NF_CLASSES 4 /* TCP, UDP, ICMP, other */
#define NF_CLASS_TCP 0
#define NF_CLASS_UDP 1
#define NF_CLASS_ICMP 2
#define NF_CLASS_OTHER 3
#define NF_PORT_BUCKETS 64
/* Lists per chain: 64 for TCP, 64 for UDP, 1 for ICMP, 1 for others. */
#define NF_LISTS (2 * NF_PORT_BUCKETS + 2)

struct nf_chain_tab {
	struct nf_rule *rules; /* [n], in order */
	u32 n, cap;
	u8 policy;		       /* NF_T_ACCEPT or NF_T_DROP */
	u64 policy_pkts, policy_bytes; /* packets the policy decided */
	u16 *index;		       /* the lists, back to back */
	u32 list_start[NF_LISTS], list_len[NF_LISTS];
};

static struct nf_chain_tab chains[NF_CHAINS];
static bool dispatch_on = true;

static u32 total_rules(void)
{
	u32 n = 0;

	for (int c = 0; c < NF_CHAINS; c++)
		n += chains[c].n;
	return n;
}

/* ---- the pre-dispatch index ------------------------------------------- */

static int list_of(int class, u16 dport)
{
	if (class == NF_CLASS_TCP || class == NF_CLASS_UDP)
		return class * NF_PORT_BUCKETS + dport % NF_PORT_BUCKETS;
	return 2 * NF_PORT_BUCKETS + (class - NF_CLASS_ICMP);
}

static bool rule_may_match_class(const struct nf_rule *r, int class)
{
	static const u8 class_proto[] = {IPPROTO_TCP, IPPROTO_UDP,
					 IPPROTO_ICMP};

	if (!(r->match & NF_M_PROTO) || (r->invert & NF_M_PROTO))
		return true;
	if (class == NF_CLASS_OTHER)
		return r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP &&
		       r->proto != IPPROTO_ICMP;
	return r->proto == class_proto[class];
}

/* Whether r may match a TCP/UDP packet whose port falls in bucket b. */
static bool rule_may_match_bucket(const struct nf_rule *r, u32 b)
{
	if (!(r->match & NF_M_DPORT) || (r->invert & NF_M_DPORT))
		return true;
	if ((u32)r->dport_hi - r->dport_lo + 1 >= NF_PORT_BUCKETS)
		return true;
	for (u32 p = r->dport_lo; p <= r->dport_hi; p++)
		if (p % NF_PORT_BUCKETS == b)
			return true;
	return false;
}

static bool rule_in_list(const struct nf_rule *r, int list)
{
	if (list >= 2 * NF_PORT_BUCKETS)
		return rule_may_match_class(
		    r, NF_CLASS_ICMP + (list - 2 * NF_PORT_BUCKETS));
	int class = list / NF_PORT_BUCKETS;
	return rule_may_match_class(r, class) &&
	       rule_may_match_bucket(r, (u32)list % NF_PORT_BUCKETS);
}

/* Rebuild ch's lists. Counting first, then filling, so one allocation
 * holds them all. On -ENOMEM the chain falls back to the linear walk. */
static void nf_rebuild_index(struct nf_chain_tab *ch)
{
	u32 total = 0;

	free(ch->index);
	ch->index = NULL;
	for (int l = 0; l < NF_LISTS; l++) {
		ch->list_start[l] = total;
		ch->list_len[l] = 0;
		for (u32 i = 0; i < ch->n; i++)
			if (rule_in_list(&ch->rules[i], l))
				ch->list_len[l]++;
		total += ch->list_len[l];
	}
	if (!total)
		return;
	ch->index = malloc(total * sizeof(u16));
	if (!ch->index)
		return;
	for (int l = 0; l < NF_LISTS; l++) {
		u16 *out = ch->index + ch->list_start[l];
		for (u32 i = 0; i < ch->n; i++)
			if (rule_in_list(&ch->rules[i], l))
				*out++ = (u16)i;
	}
}

/* ---- edits ----------------------------------------------------------------
 */

static bool rule_same(const struct nf_rule *a, const struct nf_rule *b)
{
	struct nf_rule x = *a, y = *b;

	/* Counters are not part of a rule's identity. */
	x.pkts = x.bytes = y.pkts = y.bytes = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static int chain_insert(struct nf_chain_tab *ch, u32 pos,
			const struct nf_rule *r)
{
	if (pos > ch->n)
		return -ERANGE;
	if (total_rules() >= NF_MAX_RULES)
		return -ENOSPC;
	if (ch->n == ch->cap) {
		u32 cap = ch->cap ? ch->cap * 2 : 16;
		struct nf_rule *nr = realloc(ch->rules, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		ch->rules = nr;
		ch->cap = cap;
	}
	memmove(&ch->rules[pos + 1], &ch->rules[pos],
		(ch->n - pos) * sizeof(*r));
	ch->rules[pos] = *r;
	ch->rules[pos].pkts = ch->rules[pos].bytes = 0;
	ch->n++;
	return 0;
}

static int chain_delete(struct nf_chain_tab *ch, u32 pos)
{
	if (pos >= ch->n)
		return -ERANGE;
	memmove(&ch->rules[pos], &ch->rules[pos + 1],
		(ch->n - pos - 1) * sizeof(ch->rules[0]));
	ch->n--;
	return 0;
}

static int chain_delete_spec(struct nf_chain_tab *ch, const struct nf_rule *r)
{
	for (u32 i = 0; i < ch->n; i++)
		if (rule_same(&ch->rules[i], r))
			return chain_delete(ch, i);
	return -ENOENT;
}

static void chain_zero(struct nf_chain_tab *ch)
{
	for (u32 i = 0; i < ch->n; i++)
		ch->rules[i].pkts = ch->rules[i].bytes = 0;
	ch->policy_pkts = ch->policy_bytes = 0;
}

/* -F and -Z apply to one chain or (chain -1) all of them. */
static int apply_all(const struct nf_cmd *cmd)
{
	for (int c = 0; c < NF_CHAINS; c++) {
		if (cmd->chain >= 0 && cmd->chain != c)
			continue;
		if (cmd->op == NF_OP_FLUSH) {
			chains[c].n = 0;
			nf_rebuild_index(&chains[c]);
		} else {
			chain_zero(&chains[c]);
		}
	}
	return 0;
}

int nf_table_apply(const struct nf_cmd *cmd)
{
	if (cmd->op == NF_OP_FLUSH || cmd->op == NF_OP_ZERO)
		return apply_all(cmd);
	if (cmd->chain < 0 || cmd->chain >= NF_CHAINS)
		return -EINVAL;
	struct nf_chain_tab *ch = &chains[cmd->chain];
	int err;
	switch (cmd->op) {
	case NF_OP_APPEND:
		err = chain_insert(ch, ch->n, &cmd->rule);
		break;
	case NF_OP_INSERT:
		err = chain_insert(ch, cmd->num - 1, &cmd->rule);
		break;
	case NF_OP_DELETE:
		err = chain_delete_spec(ch, &cmd->rule);
		break;
	case NF_OP_DELETE_NUM:
		err = chain_delete(ch, cmd->num - 1);
		break;
	case NF_OP_POLICY:
		ch->policy = cmd->policy;
		return 0;
	default:
		return -EINVAL;
	}
	if (!err)
		nf_rebuild_index(ch);
	return err;
}

void nf_table_reset(void)
{
	for (int c = 0; c < NF_CHAINS; c++) {
		chains[c].n = 0;
		chains[c].policy = NF_T_ACCEPT;
		chain_zero(&chains[c]);
		nf_rebuild_index(&chains[c]);
	}
}

void nf_table_set_dispatch(bool on)
{
	dispatch_on = on;
}

u32 nf_table_count(unsigned int chain)
{
	return chain < NF_CHAINS ? chains[chain].n : 0;
}

bool nf_table_get(unsigned int chain, u32 n, struct nf_rule *out)
{
	if (chain >= NF_CHAINS || n >= chains[chain].n)
		return false;
	*out = chains[chain].rules[n];
	return true;
}

void nf_table_policy_counters(unsigned int chain, u64 *pkts, u64 *bytes)
{
	*pkts = chain < NF_CHAINS ? chains[chain].policy_pkts : 0;
	*bytes = chain < NF_CHAINS ? chains[chain].policy_bytes : 0;
}

/* ---- evaluation ------------------------------------------------------------
 */

static int packet_class(const struct nf_pkt *p)
{
	switch (p->t.proto) {
	case IPPROTO_TCP:
		return NF_CLASS_TCP;
	case IPPROTO_UDP:
		return NF_CLASS_UDP;
	case IPPROTO_ICMP:
		return NF_CLASS_ICMP;
	}
	return NF_CLASS_OTHER;
}

/* A rule matched: count it; true if its target ends the walk. */
static bool hit(struct nf_rule *r, const struct nf_pkt *p, unsigned int chain,
		struct nf_verdict *v, s32 idx,
		void (*log_fn)(const struct nf_rule *, const struct nf_pkt *,
			       unsigned int))
{
	r->pkts++;
	r->bytes += p->len;
	if (r->target == NF_T_LOG) {
		if (log_fn)
			log_fn(r, p, chain);
		return false;
	}
	v->target = r->target;
	v->reject_with = r->reject_with;
	v->rule = idx;
	return true;
}

void nf_table_eval(unsigned int chain, const struct nf_pkt *p,
		   struct nf_verdict *v,
		   void (*log_fn)(const struct nf_rule *r,
				  const struct nf_pkt *p, unsigned int chain))
{
	struct nf_chain_tab *ch = &chains[chain];

	/* Without the transport header the port buckets do not apply (a
	 * fragment): walk every rule. */
	bool linear = !dispatch_on || !ch->index ||
		      (packet_class(p) <= NF_CLASS_UDP && !p->l4);
	if (linear) {
		for (u32 i = 0; i < ch->n; i++)
			if (nf_rule_match(&ch->rules[i], p) &&
			    hit(&ch->rules[i], p, chain, v, (s32)i, log_fn))
				return;
	} else {
		int l = list_of(packet_class(p), p->t.dport);
		const u16 *idx = ch->index + ch->list_start[l];
		for (u32 k = 0; k < ch->list_len[l]; k++) {
			struct nf_rule *r = &ch->rules[idx[k]];
			if (nf_rule_match(r, p) &&
			    hit(r, p, chain, v, idx[k], log_fn))
				return;
		}
	}
	v->target = ch->policy;
	v->reject_with = 0;
	v->rule = -1;
	ch->policy_pkts++;
	ch->policy_bytes += p->len;
}

/* ---- listing (iptables -L) -------------------------------------------------
 */

static const char *proto_name(const struct nf_rule *r, char *buf)
{
	if (!(r->match & NF_M_PROTO))
		return "all";
	switch (r->proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	}
	snprintf(buf, 8, "%u", r->proto);
	return buf;
}

static void fmt_addr(char *buf, size_t n, const struct nf_rule *r, bool src,
		     bool numeric)
{
	u16 flag = src ? NF_M_SRC : NF_M_DST;
	u32 a = src ? r->src : r->dst, m = src ? r->src_mask : r->dst_mask;
	const char *neg = (r->invert & flag) ? "!" : "";

	if (!(r->match & flag) || (!m && !(r->invert & flag))) {
		snprintf(buf, n, "%s", numeric ? "0.0.0.0/0" : "anywhere");
		return;
	}
	int len = m ? 32 - __builtin_ctz(m) : 0;
	snprintf(buf, n, "%s%u.%u.%u.%u/%d", neg, a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255, len);
}

/* "dpt:22", "dpts:1000:2000", "dpt:!22" as iptables -L prints them. */
static void xports(struct strbuf *b, const char *name, bool inv, u16 lo, u16 hi)
{
	if (lo == hi)
		strbuf_printf(b, " %s:%s%u", name, inv ? "!" : "", lo);
	else
		strbuf_printf(b, " %ss:%s%u:%u", name, inv ? "!" : "", lo, hi);
}

static void xstates(struct strbuf *b, u8 states)
{
	static const char *const names[] = {"NEW", "ESTABLISHED", "RELATED",
					    "INVALID"};
	bool first = true;

	for (int i = 0; i < 4; i++) {
		if (states & (1 << i)) {
			strbuf_printf(b, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
	}
}

/* The match summary after the addresses, in iptables -L's words:
 * "tcp dpt:22", "state RELATED,ESTABLISHED", "icmptype 8",
 * "reject-with tcp-reset". */
static void fmt_extra(char *buf, size_t n, const struct nf_rule *r)
{
	struct strbuf b = {.p = buf, .n = n, .len = 0};
	char pbuf[8];
	u16 m = r->match, inv = r->invert;

	buf[0] = '\0';
	if (m & (NF_M_SPORT | NF_M_DPORT | NF_M_TCPFLAGS))
		strbuf_printf(&b, " %s", proto_name(r, pbuf));
	if (m & NF_M_SPORT)
		xports(&b, "spt", inv & NF_M_SPORT, r->sport_lo, r->sport_hi);
	if (m & NF_M_DPORT)
		xports(&b, "dpt", inv & NF_M_DPORT, r->dport_lo, r->dport_hi);
	if (m & NF_M_TCPFLAGS)
		strbuf_printf(&b, " flags:%s0x%02X/0x%02X",
			      (inv & NF_M_TCPFLAGS) ? "!" : "", r->tcp_mask,
			      r->tcp_val);
	if (m & NF_M_ICMP) {
		strbuf_printf(&b, " icmptype %s%u",
			      (inv & NF_M_ICMP) ? "!" : "", r->icmp_type);
		if (r->icmp_code != NF_ICMP_ANY_CODE)
			strbuf_printf(&b, " code %u", r->icmp_code);
	}
	if (m & NF_M_STATE) {
		strbuf_printf(&b, " %sstate ", (inv & NF_M_STATE) ? "! " : "");
		xstates(&b, r->ct_states);
	}
	if (r->target == NF_T_REJECT) {
		char spec[96];
		nf_format_rule(r, spec, sizeof(spec));
		const char *w = strstr(spec, "--reject-with ");
		if (w)
			strbuf_printf(&b, " reject-with %s", w + 14);
	}
	if (r->target == NF_T_LOG && r->log_prefix[0])
		strbuf_printf(&b, " LOG prefix \"%s\"", r->log_prefix);
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

static void list_rule(const struct nf_cmd *cmd, const struct nf_rule *r,
		      u32 num)
{
	char src[24], dst[24], extra[256], pbuf[8];
	const char *in = (r->match & NF_M_IN) ? r->in_dev : "*";
	const char *out = (r->match & NF_M_OUT) ? r->out_dev : "*";

	fmt_addr(src, sizeof(src), r, true, cmd->numeric);
	fmt_addr(dst, sizeof(dst), r, false, cmd->numeric);
	fmt_extra(extra, sizeof(extra), r);
	if (cmd->line_numbers)
		shell_printf("%-4u ", num);
	if (cmd->verbose)
		shell_printf("%8llu %8llu ", (unsigned long long)r->pkts,
			     (unsigned long long)r->bytes);
	shell_printf("%-10s %-4s %-3s ", nf_target_name(r->target),
		     proto_name(r, pbuf),
		     (r->invert & NF_M_PROTO) ? "!" : "--");
	if (cmd->verbose)
		shell_printf("%-6s %-6s ", in, out);
	shell_printf("%-20s %-20s %s\n", src, dst, extra);
}

bool nf_table_snapshot(unsigned int chain, struct nf_chain_snapshot *snap)
{
	const struct nf_chain_tab *ch = &chains[chain];

	snap->n = ch->n;
	snap->policy = ch->policy;
	snap->policy_pkts = ch->policy_pkts;
	snap->policy_bytes = ch->policy_bytes;
	snap->rules = NULL;
	if (!ch->n)
		return true;
	snap->rules = malloc(ch->n * sizeof(*snap->rules));
	if (!snap->rules)
		return false;
	memcpy(snap->rules, ch->rules, ch->n * sizeof(*snap->rules));
	return true;
}

/* -S: the chain as the commands that rebuild it (for skiff.rules). */
static void print_specs(unsigned int chain,
			const struct nf_chain_snapshot *snap)
{
	char spec[256];

	shell_printf("-P %s %s\n", nf_chain_name(chain),
		     nf_target_name(snap->policy));
	for (u32 i = 0; i < snap->n; i++) {
		nf_format_rule(&snap->rules[i], spec, sizeof(spec));
		shell_printf("-A %s %s\n", nf_chain_name(chain), spec);
	}
}

void nf_table_print(const struct nf_cmd *cmd, unsigned int chain,
		    const struct nf_chain_snapshot *snap)
{
	if (cmd->specs) {
		print_specs(chain, snap);
		return;
	}
	if (cmd->verbose)
		shell_printf("Chain %s (policy %s %llu packets, %llu bytes)\n",
			     nf_chain_name(chain), nf_target_name(snap->policy),
			     (unsigned long long)snap->policy_pkts,
			     (unsigned long long)snap->policy_bytes);
	else
		shell_printf("Chain %s (policy %s)\n", nf_chain_name(chain),
			     nf_target_name(snap->policy));
	if (cmd->line_numbers)
		shell_printf("num  ");
	if (cmd->verbose)
		shell_printf("    pkts    bytes ");
	shell_printf("target     prot opt ");
	if (cmd->verbose)
		shell_printf("in     out    ");
	shell_printf("source               destination\n");
	for (u32 i = 0; i < snap->n; i++)
		list_rule(cmd, &snap->rules[i], i + 1);
}
