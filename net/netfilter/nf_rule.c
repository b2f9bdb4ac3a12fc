/*
 * nf_rule.c - the rule language: iptables words into a struct nf_cmd, and
 * a rule back into words (for -L and -D by specification).
 *
 *   nf_parse_cmd: the command (-A/-I/-D/-F/-Z/-P/-L) and its chain, then
 *     nf_parse_spec: one option at a time (parse_option), each taking its
 *     value words; then the cross checks iptables makes (ports need -p tcp
 *     or udp, --tcp-flags needs -p tcp, tcp-reset needs -p tcp).
 *
 * Every error names the word that caused it. No state, no allocation.
 */
#include <skiff/net/ip.h>
#include <skiff/net/netfilter.h>
#include <skiff/strbuf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const chain_names[NF_CHAINS] = {"INPUT", "OUTPUT",
						   "FORWARD"};
static const char *const target_names[] = {"ACCEPT", "DROP", "REJECT", "LOG"};

struct name_val {
	const char *name;
	u32 val;
};

static const struct name_val reject_names[] = {
    {"icmp-port-unreachable", NF_REJ_PORT_UNREACH},
    {"icmp-net-unreachable", NF_REJ_NET_UNREACH},
    {"icmp-host-unreachable", NF_REJ_HOST_UNREACH},
    {"icmp-proto-unreachable", NF_REJ_PROTO_UNREACH},
    {"icmp-admin-prohibited", NF_REJ_ADMIN_PROHIB},
    {"tcp-reset", NF_REJ_TCP_RESET},
    {NULL, 0}};

static const struct name_val proto_names[] = {{"tcp", IPPROTO_TCP},
					      {"udp", IPPROTO_UDP},
					      {"icmp", IPPROTO_ICMP},
					      {NULL, 0}};

static const struct name_val tcp_flag_names[] = {
    {"FIN", NF_TCP_FIN}, {"SYN", NF_TCP_SYN}, {"RST", NF_TCP_RST},
    {"PSH", NF_TCP_PSH}, {"ACK", NF_TCP_ACK}, {"URG", NF_TCP_URG},
    {"ALL", 0x3f},	 {"NONE", 0},	      {NULL, 0}};

static const struct name_val state_names[] = {
    {"NEW", NF_CT_NEW},
    {"ESTABLISHED", NF_CT_ESTABLISHED},
    {"RELATED", NF_CT_RELATED},
    {"INVALID", NF_CT_INVALID},
    {NULL, 0}};

/* ICMP types by iptables' names; code NF_ICMP_ANY_CODE = the whole type. */
static const struct {
	const char *name;
	u8 type;
	u16 code;
} icmp_names[] = {
    {"any", 255, NF_ICMP_ANY_CODE},
    {"echo-reply", 0, NF_ICMP_ANY_CODE},
    {"destination-unreachable", 3, NF_ICMP_ANY_CODE},
    {"network-unreachable", 3, 0},
    {"host-unreachable", 3, 1},
    {"protocol-unreachable", 3, 2},
    {"port-unreachable", 3, 3},
    {"fragmentation-needed", 3, 4},
    {"communication-prohibited", 3, 13},
    {"source-quench", 4, NF_ICMP_ANY_CODE},
    {"redirect", 5, NF_ICMP_ANY_CODE},
    {"echo-request", 8, NF_ICMP_ANY_CODE},
    {"time-exceeded", 11, NF_ICMP_ANY_CODE},
    {"parameter-problem", 12, NF_ICMP_ANY_CODE},
    {"timestamp-request", 13, NF_ICMP_ANY_CODE},
    {"timestamp-reply", 14, NF_ICMP_ANY_CODE},
};

const char *nf_chain_name(unsigned int chain)
{
	return chain < NF_CHAINS ? chain_names[chain] : "?";
}

const char *nf_target_name(unsigned int target)
{
	return target <= NF_T_LOG ? target_names[target] : "?";
}

static bool lookup(const struct name_val *t, const char *s, bool nocase,
		   u32 *val)
{
	for (; t->name; t++) {
		if (nocase ? strcasecmp(t->name, s) == 0
			   : strcmp(t->name, s) == 0) {
			*val = t->val;
			return true;
		}
	}
	return false;
}

static const char *name_of(const struct name_val *t, u32 val)
{
	for (; t->name; t++)
		if (t->val == val)
			return t->name;
	return "?";
}

static int parse_chain(const char *s)
{
	for (int i = 0; i < NF_CHAINS; i++)
		if (strcmp(s, chain_names[i]) == 0)
			return i;
	return -1;
}

/* A decimal number in [lo, hi], the whole word. */
static bool parse_uint(const char *s, u32 lo, u32 hi, u32 *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = (u32)v;
	return true;
}

/* Dotted quad A.B.C.D (exactly four decimal parts, each <= 255). */
static bool parse_addr(const char *s, u32 *addr)
{
	u32 a = 0;

	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return false;
		u32 part = 0;
		int digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			part = part * 10 + (u32)(*s++ - '0');
			digits++;
		}
		if (part > 255 || digits > 3)
			return false;
		a = (a << 8) | part;
		if (i < 3 && *s++ != '.')
			return false;
	}
	*addr = a;
	return *s == '\0';
}

/* A.B.C.D[/N]: the prefix length N in 0..32. */
static bool parse_prefix(const char *s, u32 *addr, u32 *mask)
{
	char buf[24];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	u32 len = 32;

	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (!parse_addr(buf, addr))
		return false;
	if (slash && !parse_uint(slash + 1, 0, 32, &len))
		return false;
	*mask = len ? 0xffffffffu << (32 - len) : 0;
	*addr &= *mask;
	return true;
}

/* N or N:M (either side may be empty, as in iptables: ":1024"). */
static bool parse_ports(const char *s, u16 *lo, u16 *hi)
{
	char buf[16];
	const char *colon = strchr(s, ':');
	u32 a = 0, b = 65535;

	if (!colon) {
		if (!parse_uint(s, 0, 65535, &a))
			return false;
		*lo = *hi = (u16)a;
		return true;
	}
	size_t n = (size_t)(colon - s);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n && !parse_uint(buf, 0, 65535, &a))
		return false;
	if (colon[1] && !parse_uint(colon + 1, 0, 65535, &b))
		return false;
	if (a > b)
		return false;
	*lo = (u16)a;
	*hi = (u16)b;
	return true;
}

/* A comma-separated list of names from t, or'ed together. */
static bool parse_list(const struct name_val *t, const char *s, u32 *out)
{
	char buf[64];
	u32 v = 0;

	if (strlen(s) >= sizeof(buf) || !*s)
		return false;
	strcpy(buf, s);
	bool any = false;
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		u32 bit;
		if (!lookup(t, tok, true, &bit))
			return false;
		v |= bit;
		any = true;
	}
	*out = v;
	return any;
}

static bool parse_icmp_type(const char *s, struct nf_rule *r)
{
	u32 type, code;
	char buf[16];
	const char *slash = strchr(s, '/');

	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]);
	     i++) {
		if (strcmp(s, icmp_names[i].name) == 0) {
			r->icmp_type = icmp_names[i].type;
			r->icmp_code = icmp_names[i].code;
			return true;
		}
	}
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!parse_uint(buf, 0, 255, &type))
		return false;
	r->icmp_type = (u8)type;
	r->icmp_code = NF_ICMP_ANY_CODE;
	if (slash) {
		if (!parse_uint(slash + 1, 0, 255, &code))
			return false;
		r->icmp_code = (u16)code;
	}
	return true;
}

/* Letters, digits, '.', '_', '-', and '+' (a wildcard) last. */
static bool parse_ifname(const char *s, char *out)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') ||
			  (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
			  ch == '-' || (ch == '+' && i == n - 1);
		if (!ok)
			return false;
	}
	memcpy(out, s, n + 1);
	return true;
}

static bool parse_target(const char *s, struct nf_rule *r)
{
	for (u8 t = 0; t <= NF_T_LOG; t++) {
		if (strcmp(s, target_names[t]) == 0) {
			r->target = t;
			return true;
		}
	}
	return false;
}

/* The cursor over argv while parsing one command. */
struct cursor {
	int argc, i;
	char *const *argv;
	struct nf_parse_error *err;
};

static int fail(struct cursor *c, int word, const char *msg)
{
	c->err->word = word;
	c->err->msg = msg;
	return -EINVAL;
}

/* The value word of the option at c->i (advances past it). */
static const char *value(struct cursor *c)
{
	if (c->i + 1 >= c->argc)
		return NULL;
	return c->argv[++c->i];
}

/* Options that take one value, as a table: name, flag, parser id. */
enum opt_kind {
	OPT_PROTO,
	OPT_SRC,
	OPT_DST,
	OPT_IN,
	OPT_OUT,
	OPT_SPORT,
	OPT_DPORT,
	OPT_ICMP,
	OPT_STATE,
	OPT_JUMP,
	OPT_REJECT,
	OPT_PREFIX,
	OPT_MODULE,
};

static const struct {
	const char *name;
	u8 kind;
} options[] = {
    {"-p", OPT_PROTO},
    {"--protocol", OPT_PROTO},
    {"-s", OPT_SRC},
    {"--source", OPT_SRC},
    {"--src", OPT_SRC},
    {"-d", OPT_DST},
    {"--destination", OPT_DST},
    {"--dst", OPT_DST},
    {"-i", OPT_IN},
    {"--in-interface", OPT_IN},
    {"-o", OPT_OUT},
    {"--out-interface", OPT_OUT},
    {"--sport", OPT_SPORT},
    {"--source-port", OPT_SPORT},
    {"--dport", OPT_DPORT},
    {"--destination-port", OPT_DPORT},
    {"--icmp-type", OPT_ICMP},
    {"--state", OPT_STATE},
    {"--ctstate", OPT_STATE},
    {"-j", OPT_JUMP},
    {"--jump", OPT_JUMP},
    {"--reject-with", OPT_REJECT},
    {"--log-prefix", OPT_PREFIX},
    {"-m", OPT_MODULE},
    {"--match", OPT_MODULE},
};

static const u16 kind_flag[] = {
    [OPT_PROTO] = NF_M_PROTO, [OPT_SRC] = NF_M_SRC,   [OPT_DST] = NF_M_DST,
    [OPT_IN] = NF_M_IN,	      [OPT_OUT] = NF_M_OUT,   [OPT_SPORT] = NF_M_SPORT,
    [OPT_DPORT] = NF_M_DPORT, [OPT_ICMP] = NF_M_ICMP, [OPT_STATE] = NF_M_STATE,
};

static int find_option(const char *s)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strcmp(s, options[i].name) == 0)
			return options[i].kind;
	return -1;
}

/* Store one option's value v into r. false: v is bad. */
static bool apply_value(int kind, const char *v, struct nf_rule *r)
{
	u32 x;

	switch (kind) {
	case OPT_PROTO:
		if (strcmp(v, "all") == 0) {
			r->match &= (u16)~NF_M_PROTO;
			return true;
		}
		if (!lookup(proto_names, v, true, &x) &&
		    !parse_uint(v, 1, 255, &x))
			return false;
		r->proto = (u8)x;
		return true;
	case OPT_SRC:
		return parse_prefix(v, &r->src, &r->src_mask);
	case OPT_DST:
		return parse_prefix(v, &r->dst, &r->dst_mask);
	case OPT_IN:
		return parse_ifname(v, r->in_dev);
	case OPT_OUT:
		return parse_ifname(v, r->out_dev);
	case OPT_SPORT:
		return parse_ports(v, &r->sport_lo, &r->sport_hi);
	case OPT_DPORT:
		return parse_ports(v, &r->dport_lo, &r->dport_hi);
	case OPT_ICMP:
		return parse_icmp_type(v, r);
	case OPT_STATE:
		if (!parse_list(state_names, v, &x) || !x)
			return false;
		r->ct_states = (u8)x;
		return true;
	case OPT_JUMP:
		return parse_target(v, r);
	case OPT_REJECT:
		if (!lookup(reject_names, v, false, &x))
			return false;
		r->reject_with = (u8)x;
		return true;
	case OPT_PREFIX:
		if (strlen(v) >= NF_LOG_PREFIX_LEN)
			return false;
		strcpy(r->log_prefix, v);
		return true;
	case OPT_MODULE:
		/* -m tcp/udp/icmp/state/conntrack only name where the
		 * options come from; any of ours is accepted. */
		return strcmp(v, "tcp") == 0 || strcmp(v, "udp") == 0 ||
		       strcmp(v, "icmp") == 0 || strcmp(v, "state") == 0 ||
		       strcmp(v, "conntrack") == 0;
	}
	return false;
}

static const char *const value_errors[] = {
    [OPT_PROTO] = "unknown protocol (tcp, udp, icmp, all or 1-255)",
    [OPT_SRC] = "bad address (A.B.C.D[/N])",
    [OPT_DST] = "bad address (A.B.C.D[/N])",
    [OPT_IN] = "bad interface name",
    [OPT_OUT] = "bad interface name",
    [OPT_SPORT] = "bad port or range (N or N:M, 0-65535)",
    [OPT_DPORT] = "bad port or range (N or N:M, 0-65535)",
    [OPT_ICMP] = "unknown ICMP type (a name, TYPE or TYPE/CODE)",
    [OPT_STATE] = "bad state list (NEW,ESTABLISHED,RELATED,INVALID)",
    [OPT_JUMP] = "unknown target (ACCEPT, DROP, REJECT, LOG)",
    [OPT_REJECT] = "unknown reject type",
    [OPT_PREFIX] = "log prefix longer than 31 characters",
    [OPT_MODULE] = "unknown match module",
};

/* --tcp-flags MASK COMP (two words) and --syn. */
static int parse_tcp_flags(struct cursor *c, struct nf_rule *r)
{
	u32 mask, comp;
	int at = c->i;

	if (strcmp(c->argv[at], "--syn") == 0) {
		r->tcp_mask = NF_TCP_SYN | NF_TCP_RST | NF_TCP_ACK | NF_TCP_FIN;
		r->tcp_val = NF_TCP_SYN;
		return 0;
	}
	const char *m = value(c);
	if (!m)
		return fail(c, c->argc, "--tcp-flags needs MASK and COMP");
	if (!parse_list(tcp_flag_names, m, &mask))
		return fail(c, c->i, "bad TCP flag list (SYN,ACK,FIN,...)");
	const char *v = value(c);
	if (!v)
		return fail(c, c->argc, "--tcp-flags needs MASK and COMP");
	if (!parse_list(tcp_flag_names, v, &comp))
		return fail(c, c->i, "bad TCP flag list (SYN,ACK,FIN,...)");
	r->tcp_mask = (u8)mask;
	r->tcp_val = (u8)(comp & mask);
	return 0;
}

/* One option at c->i, possibly preceded by '!' (invert). */
static int parse_option(struct cursor *c, struct nf_rule *r, u16 *seen,
			u32 *seen_kinds)
{
	bool inv = false;
	int at = c->i;

	if (strcmp(c->argv[at], "!") == 0) {
		inv = true;
		if (++c->i >= c->argc)
			return fail(c, c->argc, "'!' needs an option after it");
		at = c->i;
	}
	const char *opt = c->argv[at];
	if (strcmp(opt, "--syn") == 0 || strcmp(opt, "--tcp-flags") == 0) {
		if (*seen & NF_M_TCPFLAGS)
			return fail(c, at, "option given twice");
		*seen |= NF_M_TCPFLAGS;
		r->match |= NF_M_TCPFLAGS;
		if (inv)
			r->invert |= NF_M_TCPFLAGS;
		return parse_tcp_flags(c, r);
	}
	int kind = find_option(opt);
	if (kind < 0)
		return fail(c, at, "unknown option");
	u16 flag = kind < (int)(sizeof(kind_flag) / sizeof(kind_flag[0]))
		       ? kind_flag[kind]
		       : 0;
	if (inv && !flag)
		return fail(c, at - 1, "this option cannot be inverted");
	if (kind != OPT_MODULE && (*seen_kinds & (1u << kind)))
		return fail(c, at, "option given twice");
	*seen_kinds |= 1u << kind;
	const char *v = value(c);
	if (!v)
		return fail(c, c->argc, "option needs a value");
	*seen |= flag;
	r->match |= flag;
	if (!apply_value(kind, v, r))
		return fail(c, c->i, value_errors[kind]);
	if (inv)
		r->invert |= flag;
	return 0;
}

/* Rules iptables refuses even though each option parsed. */
static int check_rule(struct cursor *c, struct nf_rule *r, int start)
{
	bool tcp = (r->match & NF_M_PROTO) && r->proto == IPPROTO_TCP &&
		   !(r->invert & NF_M_PROTO);
	bool udp = (r->match & NF_M_PROTO) && r->proto == IPPROTO_UDP &&
		   !(r->invert & NF_M_PROTO);
	bool icmp = (r->match & NF_M_PROTO) && r->proto == IPPROTO_ICMP &&
		    !(r->invert & NF_M_PROTO);

	if ((r->match & (NF_M_SPORT | NF_M_DPORT)) && !tcp && !udp)
		return fail(c, start, "ports need -p tcp or -p udp");
	if ((r->match & NF_M_TCPFLAGS) && !tcp)
		return fail(c, start, "--tcp-flags/--syn need -p tcp");
	if ((r->match & NF_M_ICMP) && !icmp)
		return fail(c, start, "--icmp-type needs -p icmp");
	if (r->target == NF_T_REJECT && r->reject_with == NF_REJ_TCP_RESET &&
	    !tcp)
		return fail(c, start, "tcp-reset needs -p tcp");
	if ((r->match & NF_M_ICMP) && r->icmp_type == 255) {
		r->match &= (u16)~NF_M_ICMP; /* "any" */
		r->icmp_type = 0;
	}
	r->invert &= r->match; /* "! -p all" means nothing */
	return 0;
}

/* A rule specification: options from c->i to the end; -j is required. */
static int nf_parse_spec(struct cursor *c, struct nf_rule *r)
{
	u16 seen = 0;
	u32 seen_kinds = 0;
	bool jump = false, reject_with = false, prefix = false;
	int start = c->i;

	memset(r, 0, sizeof(*r));
	r->icmp_code = NF_ICMP_ANY_CODE;
	r->target = 0xff;
	for (; c->i < c->argc; c->i++) {
		const char *w = c->argv[c->i];
		jump |= !strcmp(w, "-j") || !strcmp(w, "--jump");
		reject_with |= !strcmp(w, "--reject-with");
		prefix |= !strcmp(w, "--log-prefix");
		int err = parse_option(c, r, &seen, &seen_kinds);
		if (err)
			return err;
	}
	if (!jump)
		return fail(c, c->argc, "missing -j TARGET");
	if (reject_with && r->target != NF_T_REJECT)
		return fail(c, start, "--reject-with needs -j REJECT");
	if (prefix && r->target != NF_T_LOG)
		return fail(c, start, "--log-prefix needs -j LOG");
	return check_rule(c, r, start);
}

/* The chain word after the command; optional for -F, -Z and -L. */
static int parse_chain_arg(struct cursor *c, struct nf_cmd *cmd, bool optional)
{
	if (c->i + 1 >= c->argc || c->argv[c->i + 1][0] == '-') {
		if (optional) {
			cmd->chain = -1;
			return 0;
		}
		return fail(c, c->i + 1,
			    "missing chain (INPUT, OUTPUT, "
			    "FORWARD)");
	}
	int ch = parse_chain(c->argv[++c->i]);
	if (ch < 0)
		return fail(c, c->i, "unknown chain (INPUT, OUTPUT, FORWARD)");
	cmd->chain = (s8)ch;
	return 0;
}

static int parse_list_flags(struct cursor *c, struct nf_cmd *cmd)
{
	for (c->i++; c->i < c->argc; c->i++) {
		const char *w = c->argv[c->i];
		if (!strcmp(w, "-v") || !strcmp(w, "--verbose"))
			cmd->verbose = true;
		else if (!strcmp(w, "-n") || !strcmp(w, "--numeric"))
			cmd->numeric = true;
		else if (!strcmp(w, "--line-numbers"))
			cmd->line_numbers = true;
		else if (!strcmp(w, "-vn") || !strcmp(w, "-nv"))
			cmd->verbose = cmd->numeric = true;
		else
			return fail(c, c->i, "unknown -L option");
	}
	return 0;
}

/* -A CHAIN spec, -I CHAIN [N] spec, -D CHAIN (N | spec). */
static int parse_rule_cmd(struct cursor *c, struct nf_cmd *cmd)
{
	u32 n = 0;

	if (parse_chain_arg(c, cmd, false))
		return -EINVAL;
	bool has_num = c->i + 1 < c->argc &&
		       parse_uint(c->argv[c->i + 1], 1, NF_MAX_RULES, &n);
	if (cmd->op == NF_OP_INSERT) {
		cmd->num = has_num ? n : 1;
		c->i += has_num;
	} else if (cmd->op == NF_OP_DELETE && c->i + 2 == c->argc &&
		   c->argv[c->i + 1][0] != '-') {
		if (!has_num)
			return fail(c, c->i + 1, "bad rule number");
		cmd->num = n;
		cmd->op = NF_OP_DELETE_NUM;
		return 0;
	}
	c->i++;
	return nf_parse_spec(c, &cmd->rule);
}

/* -P CHAIN ACCEPT|DROP */
static int parse_policy(struct cursor *c, struct nf_cmd *cmd)
{
	if (parse_chain_arg(c, cmd, false))
		return -EINVAL;
	const char *t = value(c);
	if (!t)
		return fail(c, c->argc, "missing policy (ACCEPT, DROP)");
	if (strcmp(t, "ACCEPT") && strcmp(t, "DROP"))
		return fail(c, c->i, "a policy is ACCEPT or DROP");
	cmd->policy = strcmp(t, "ACCEPT") ? NF_T_DROP : NF_T_ACCEPT;
	if (c->i + 1 < c->argc)
		return fail(c, c->i + 1, "unexpected word");
	return 0;
}

/* -F, -Z, -S [CHAIN]; -L [CHAIN] [flags]. */
static int parse_chain_cmd(struct cursor *c, struct nf_cmd *cmd)
{
	if (parse_chain_arg(c, cmd, true))
		return -EINVAL;
	if (cmd->op == NF_OP_LIST && !cmd->specs)
		return parse_list_flags(c, cmd);
	if (c->i + 1 < c->argc)
		return fail(c, c->i + 1, "unexpected word");
	return 0;
}

static const struct {
	const char *short_name, *long_name;
	u8 op;
	bool specs;
	int (*parse)(struct cursor *c, struct nf_cmd *cmd);
} commands[] = {
    {"-A", "--append", NF_OP_APPEND, false, parse_rule_cmd},
    {"-I", "--insert", NF_OP_INSERT, false, parse_rule_cmd},
    {"-D", "--delete", NF_OP_DELETE, false, parse_rule_cmd},
    {"-P", "--policy", NF_OP_POLICY, false, parse_policy},
    {"-F", "--flush", NF_OP_FLUSH, false, parse_chain_cmd},
    {"-Z", "--zero", NF_OP_ZERO, false, parse_chain_cmd},
    {"-L", "--list", NF_OP_LIST, false, parse_chain_cmd},
    {"-S", "--list-rules", NF_OP_LIST, true, parse_chain_cmd},
};

static int parse_command(struct cursor *c, struct nf_cmd *cmd)
{
	const char *w = c->argv[c->i];

	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(w, commands[k].short_name) &&
		    strcmp(w, commands[k].long_name))
			continue;
		cmd->op = commands[k].op;
		cmd->specs = commands[k].specs;
		return commands[k].parse(c, cmd);
	}
	return fail(c, c->i,
		    "unknown command (-A, -I, -D, -F, -Z, -P, -L, -S)");
}

int nf_parse_cmd(int argc, char *const argv[], struct nf_cmd *cmd,
		 struct nf_parse_error *err)
{
	struct cursor c = {.argc = argc, .i = 0, .argv = argv, .err = err};
	bool verbose = false, numeric = false;

	memset(cmd, 0, sizeof(*cmd));
	err->word = -1;
	err->msg = NULL;
	/* "-v -n -L" as well as "-L -v -n". */
	for (; c.i < argc; c.i++) {
		if (!strcmp(argv[c.i], "-v"))
			verbose = true;
		else if (!strcmp(argv[c.i], "-n"))
			numeric = true;
		else
			break;
	}
	if (c.i >= argc)
		return fail(&c, argc,
			    "missing command (-A, -I, -D, -F, -Z, "
			    "-P, -L)");
	int r = parse_command(&c, cmd);
	if (r)
		return r;
	if ((verbose || numeric) && cmd->op != NF_OP_LIST)
		return fail(&c, 0, "-v and -n go with -L");
	cmd->verbose |= verbose;
	cmd->numeric |= numeric;
	return 0;
}

int nf_split_words(char *line, char **argv, int max)
{
	int n = 0;
	char *r = line;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r || *r == '#')
			return n;
		if (n >= max)
			return -E2BIG;
		char *w = r, *out = r;
		argv[n++] = w;
		bool quoted = false;
		while (*r && (quoted || (*r != ' ' && *r != '\t' &&
					 *r != '\r' && *r != '\n'))) {
			if (*r == '"')
				quoted = !quoted;
			else
				*out++ = *r;
			r++;
		}
		if (quoted)
			return -EINVAL;
		bool end = *r == '\0';
		*out = '\0';
		if (end)
			return n;
		r++;
	}
}

/* ---- formatting -----------------------------------------------------------
 */

static const char *inv(const struct nf_rule *r, u16 flag)
{
	return (r->invert & flag) ? "! " : "";
}

static void put_prefix(struct strbuf *b, const char *opt, const char *neg,
		       u32 addr, u32 mask)
{
	int len = mask ? 32 - __builtin_ctz(mask) : 0;

	strbuf_printf(b, " %s%s %u.%u.%u.%u/%d", neg, opt, addr >> 24,
		      (addr >> 16) & 255, (addr >> 8) & 255, addr & 255, len);
}

static void put_ports(struct strbuf *b, const char *opt, const char *neg,
		      u16 lo, u16 hi)
{
	if (lo == hi)
		strbuf_printf(b, " %s%s %u", neg, opt, lo);
	else
		strbuf_printf(b, " %s%s %u:%u", neg, opt, lo, hi);
}

static void put_flags(struct strbuf *b, const struct name_val *t, u32 v)
{
	bool first = true;

	if (!v) {
		strbuf_printf(b, "NONE");
		return;
	}
	for (; t->name && t->val != 0x3f; t++) {
		if (v & t->val) {
			strbuf_printf(b, "%s%s", first ? "" : ",", t->name);
			first = false;
		}
	}
}

static void format_matches(struct strbuf *b, const struct nf_rule *r)
{
	if (r->match & NF_M_SRC)
		put_prefix(b, "-s", inv(r, NF_M_SRC), r->src, r->src_mask);
	if (r->match & NF_M_DST)
		put_prefix(b, "-d", inv(r, NF_M_DST), r->dst, r->dst_mask);
	if (r->match & NF_M_IN)
		strbuf_printf(b, " %s-i %s", inv(r, NF_M_IN), r->in_dev);
	if (r->match & NF_M_OUT)
		strbuf_printf(b, " %s-o %s", inv(r, NF_M_OUT), r->out_dev);
	if (r->match & NF_M_PROTO) {
		const char *name = name_of(proto_names, r->proto);
		if (strcmp(name, "?"))
			strbuf_printf(b, " %s-p %s", inv(r, NF_M_PROTO), name);
		else
			strbuf_printf(b, " %s-p %u", inv(r, NF_M_PROTO),
				      r->proto);
	}
	if (r->match & NF_M_SPORT)
		put_ports(b, "--sport", inv(r, NF_M_SPORT), r->sport_lo,
			  r->sport_hi);
	if (r->match & NF_M_DPORT)
		put_ports(b, "--dport", inv(r, NF_M_DPORT), r->dport_lo,
			  r->dport_hi);
	if (r->match & NF_M_TCPFLAGS) {
		strbuf_printf(b, " %s--tcp-flags ", inv(r, NF_M_TCPFLAGS));
		put_flags(b, tcp_flag_names, r->tcp_mask);
		strbuf_printf(b, " ");
		put_flags(b, tcp_flag_names, r->tcp_val);
	}
	if (r->match & NF_M_ICMP) {
		strbuf_printf(b, " %s--icmp-type %u", inv(r, NF_M_ICMP),
			      r->icmp_type);
		if (r->icmp_code != NF_ICMP_ANY_CODE)
			strbuf_printf(b, "/%u", r->icmp_code);
	}
	if (r->match & NF_M_STATE) {
		strbuf_printf(b, " %s--state ", inv(r, NF_M_STATE));
		put_flags(b, state_names, r->ct_states);
	}
}

void nf_format_rule(const struct nf_rule *r, char *buf, size_t n)
{
	struct strbuf b = {.p = buf, .n = n, .len = 0};

	if (!n)
		return;
	buf[0] = '\0';
	format_matches(&b, r);
	strbuf_printf(&b, " -j %s", nf_target_name(r->target));
	if (r->target == NF_T_REJECT)
		strbuf_printf(&b, " --reject-with %s",
			      name_of(reject_names, r->reject_with));
	if (r->target == NF_T_LOG && r->log_prefix[0])
		strbuf_printf(&b, " --log-prefix \"%s\"", r->log_prefix);
	/* Drop the leading blank. */
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}
