/*
 * capture_filter.c - tcpdump's filter language, the subset that an
 * appliance operator needs (pcap-filter(7)): compile an expression into a
 * tree of cf_nodes, then match frames against it.
 *
 * cf_compile -> parse_or -> parse_and -> parse_not -> parse_primitive
 *            (recursive descent over words; tokens come from next_token)
 * cf_match   -> cf_pkt_parse (Ethernet, IPv4 or ARP, TCP/UDP ports)
 *            -> eval (walks the tree; depth is bounded by CF_MAX_DEPTH)
 */
#include <skiff/net/capture_filter.h>
#include <errno.h>
#include <string.h>

enum tok_type { T_END, T_WORD, T_LPAREN, T_RPAREN, T_NOT, T_AND, T_OR };

struct token {
	enum tok_type type;
	int start, len;
};

/* What a primitive says besides its value (tcpdump's qualifiers). */
enum cf_kind { K_NONE, K_HOST, K_NET, K_PORT, K_PORTRANGE };
struct qual {
	u8 proto, dir, kind;
};

struct parser {
	const char *text;
	int pos; /* where the next token starts looking */
	struct token tok;
	struct capture_filter *f;
	struct cf_error *err;
	int depth;
	struct qual last; /* the previous primitive's, for bare values */
	bool have_last;
};

static const struct {
	u16 port;
	const char *name;
} services[] = {
    {7, "echo"},      {9, "discard"}, {13, "daytime"}, {19, "chargen"},
    {20, "ftp-data"}, {21, "ftp"},    {22, "ssh"},     {23, "telnet"},
    {25, "smtp"},     {53, "domain"}, {67, "bootps"},  {68, "bootpc"},
    {69, "tftp"},     {80, "http"},   {123, "ntp"},    {161, "snmp"},
    {443, "https"},
};

const char *cf_port_name(u16 port)
{
	for (size_t i = 0; i < ARRAY_SIZE(services); i++)
		if (services[i].port == port)
			return services[i].name;
	return NULL;
}

/* ---- tokens ---------------------------------------------------------- */

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '(' || c == ')' || c == '!' ||
	       c == '&' || c == '|' || c == 0;
}

static void next_token(struct parser *p)
{
	const char *s = p->text;
	while (s[p->pos] == ' ' || s[p->pos] == '\t')
		p->pos++;
	struct token *t = &p->tok;
	t->start = p->pos;
	t->len = 1;
	char c = s[p->pos];
	if (c == 0) {
		t->type = T_END;
		t->len = 0;
	} else if (c == '(' || c == ')') {
		t->type = c == '(' ? T_LPAREN : T_RPAREN;
	} else if (c == '!') {
		t->type = T_NOT;
	} else if ((c == '&' || c == '|') && s[p->pos + 1] == c) {
		t->type = c == '&' ? T_AND : T_OR;
		t->len = 2;
	} else if (c == '&' || c == '|') {
		t->type = T_WORD; /* a lone & or |: reported as a bad word */
	} else {
		t->type = T_WORD;
		t->len = 0;
		while (!is_sep(s[p->pos + t->len]))
			t->len++;
	}
	p->pos += t->len;
}

static bool tok_is(const struct parser *p, const char *word)
{
	size_t n = strlen(word);
	return p->tok.type == T_WORD && (size_t)p->tok.len == n &&
	       strncmp(p->text + p->tok.start, word, n) == 0;
}

static void fold_keywords(struct parser *p)
{
	if (tok_is(p, "and"))
		p->tok.type = T_AND;
	else if (tok_is(p, "or"))
		p->tok.type = T_OR;
	else if (tok_is(p, "not"))
		p->tok.type = T_NOT;
}

static void advance(struct parser *p)
{
	next_token(p);
	fold_keywords(p);
}

static int fail(struct parser *p, const char *msg)
{
	struct cf_error *e = p->err;
	e->pos = p->tok.start;
	e->msg = msg;
	size_t n = MIN((size_t)p->tok.len, sizeof(e->word) - 1);
	memcpy(e->word, p->text + p->tok.start, n);
	e->word[n] = 0;
	return -1;
}

/* ---- values ------------------------------------------------------------ */

/* The current word as a NUL-ended string (cut to fit). */
static void tok_text(const struct parser *p, char *buf, size_t n)
{
	size_t len = MIN((size_t)p->tok.len, n - 1);
	memcpy(buf, p->text + p->tok.start, len);
	buf[len] = 0;
}

/* Decimal 0..max; false on anything else. */
static bool parse_uint(const char *s, const char **end, u32 max, u32 *out)
{
	u32 v = 0;
	const char *q = s;
	for (; *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (u32)(*q - '0');
		if (v > max)
			return false;
	}
	if (q == s)
		return false;
	*out = v;
	*end = q;
	return true;
}

/* A.B.C.D with 1..4 parts; *parts says how many. Stops at '/' or NUL. */
static bool parse_quad(const char *s, const char **end, u32 *addr, int *parts)
{
	u32 a = 0, b;
	int n = 0;
	for (;;) {
		if (!parse_uint(s, &s, 255, &b))
			return false;
		a |= b << (24 - 8 * n++);
		if (*s != '.' || n == 4)
			break;
		s++;
	}
	*addr = a;
	*parts = n;
	*end = s;
	return true;
}

static u32 prefix_mask(u32 len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static int parse_host_value(struct parser *p, struct cf_node *n)
{
	char w[32];
	const char *end;
	int parts;
	tok_text(p, w, sizeof(w));
	if (!parse_quad(w, &end, &n->addr, &parts) || *end || parts != 4)
		return fail(p, "expected an IPv4 address A.B.C.D (no names)");
	n->mask = 0xffffffffu;
	return 0;
}

/* "mask M" after a net: a contiguous netmask. */
static int parse_net_mask(struct parser *p, struct cf_node *n)
{
	char w[32];
	const char *end;
	int parts;
	tok_text(p, w, sizeof(w));
	if (p->tok.type != T_WORD || !parse_quad(w, &end, &n->mask, &parts) ||
	    *end || parts != 4 || (~n->mask & (~n->mask + 1)) != 0)
		return fail(p, "expected a netmask A.B.C.D");
	return 0;
}

static int parse_net_value(struct parser *p, struct cf_node *n)
{
	char w[32];
	const char *end;
	int parts;
	u32 len;
	tok_text(p, w, sizeof(w));
	if (!parse_quad(w, &end, &n->addr, &parts))
		return fail(p, "expected a network A.B.C.D/N");
	len = (u32)parts * 8; /* "net 10" is 10.0.0.0/8, as tcpdump */
	if (*end == '/' && !parse_uint(end + 1, &end, 32, &len))
		return fail(p, "bad prefix length (0..32)");
	if (*end)
		return fail(p, "expected a network A.B.C.D/N");
	n->mask = prefix_mask(len);
	return 0;
}

static bool parse_port_word(const char *w, u32 *port)
{
	const char *end;
	if (parse_uint(w, &end, 65535, port) && *end == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(services); i++)
		if (strcmp(w, services[i].name) == 0) {
			*port = services[i].port;
			return true;
		}
	return false;
}

static int parse_port_value(struct parser *p, struct cf_node *n, bool range)
{
	char w[32], *dash;
	u32 lo, hi;
	tok_text(p, w, sizeof(w));
	dash = range ? strchr(w, '-') : NULL;
	if (dash)
		*dash = 0;
	if (range && !dash)
		return fail(p, "expected a port range P1-P2");
	if (!parse_port_word(w, &lo) ||
	    (dash && !parse_port_word(dash + 1, &hi)))
		return fail(p, "expected a port number or service name");
	if (!dash)
		hi = lo;
	if (lo > hi)
		return fail(p, "port range goes backwards");
	n->port_lo = (u16)lo;
	n->port_hi = (u16)hi;
	return 0;
}

/* ---- the tree ------------------------------------------------------------ */

static int new_node(struct parser *p, enum cf_op op)
{
	struct capture_filter *f = p->f;
	if (f->count >= CF_MAX_NODES)
		return fail(p, "expression too long");
	struct cf_node *n = &f->nodes[f->count];
	memset(n, 0, sizeof(*n));
	n->op = (u8)op;
	return f->count++;
}

static int new_binary(struct parser *p, enum cf_op op, int lhs, int rhs)
{
	int i = new_node(p, op);
	if (i >= 0) {
		p->f->nodes[i].lhs = (u16)lhs;
		p->f->nodes[i].rhs = (u16)rhs;
	}
	return i;
}

static int new_proto(struct parser *p, u8 proto)
{
	int i = new_node(p, CF_PROTO);
	if (i >= 0)
		p->f->nodes[i].proto = proto;
	return i;
}

/* ---- primitives ---------------------------------------------------------- */

static bool take_proto(struct parser *p, struct qual *q)
{
	static const char *const names[] = {
	    [CF_P_IP] = "ip",	[CF_P_ARP] = "arp",   [CF_P_TCP] = "tcp",
	    [CF_P_UDP] = "udp", [CF_P_ICMP] = "icmp",
	};
	for (u8 i = CF_P_IP; i <= CF_P_ICMP; i++)
		if (tok_is(p, names[i])) {
			q->proto = i;
			advance(p);
			return true;
		}
	return false;
}

/* src, dst, "src or dst", "src and dst". The two-word forms need a look
 * at the word after "or"/"and", so the parser state is saved first. */
static bool take_dir(struct parser *p, struct qual *q)
{
	bool src = tok_is(p, "src");
	if (!src && !tok_is(p, "dst"))
		return false;
	q->dir = src ? CF_DIR_SRC : CF_DIR_DST;
	advance(p);
	if (p->tok.type != T_AND && p->tok.type != T_OR)
		return true;
	struct parser saved = *p;
	enum tok_type conj = p->tok.type;
	advance(p);
	if (tok_is(p, src ? "dst" : "src")) {
		q->dir = conj == T_AND ? CF_DIR_BOTH : CF_DIR_ANY;
		advance(p);
	} else {
		*p = saved; /* "src host A or ..." read on as an operator */
	}
	return true;
}

static bool take_kind(struct parser *p, struct qual *q)
{
	static const char *const names[] = {[K_HOST] = "host",
					    [K_NET] = "net",
					    [K_PORT] = "port",
					    [K_PORTRANGE] = "portrange"};
	for (u8 i = K_HOST; i <= K_PORTRANGE; i++)
		if (tok_is(p, names[i])) {
			q->kind = i;
			advance(p);
			return true;
		}
	return false;
}

static bool is_keyword(const struct parser *p)
{
	static const char *const words[] = {
	    "ip",  "arp",  "tcp", "udp",  "icmp",      "src",
	    "dst", "host", "net", "port", "portrange", "mask"};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (tok_is(p, words[i]))
			return true;
	return false;
}

/* The value of a host/net/port primitive; the node is filled in. */
static int parse_value(struct parser *p, const struct qual *q)
{
	if (p->tok.type != T_WORD || is_keyword(p))
		return fail(p, q->kind == K_PORT || q->kind == K_PORTRANGE
				   ? "expected a port"
				   : "expected an address");
	static const u8 ops[] = {[K_HOST] = CF_HOST,
				 [K_NET] = CF_NET,
				 [K_PORT] = CF_PORT,
				 [K_PORTRANGE] = CF_PORT};
	int i = new_node(p, ops[q->kind]);
	if (i < 0)
		return -1;
	struct cf_node *n = &p->f->nodes[i];
	struct token value = p->tok;
	n->dir = q->dir;
	int err = q->kind == K_HOST ? parse_host_value(p, n)
		  : q->kind == K_NET
		      ? parse_net_value(p, n)
		      : parse_port_value(p, n, q->kind == K_PORTRANGE);
	if (err < 0)
		return -1;
	advance(p);
	if (q->kind == K_NET && tok_is(p, "mask")) {
		advance(p);
		if (parse_net_mask(p, n) < 0)
			return -1;
		advance(p);
	}
	if (q->kind == K_NET && (n->addr & ~n->mask)) {
		p->tok = value;
		return fail(p, "non-network bits set in the net address");
	}
	return i;
}

/* A port primitive carries its protocol; host and net get an AND. */
static int qualify(struct parser *p, const struct qual *q, int node)
{
	if (q->kind == K_PORT || q->kind == K_PORTRANGE) {
		p->f->nodes[node].proto = q->proto;
		return node;
	}
	if (q->proto == CF_P_NONE)
		return node;
	int proto = new_proto(p, q->proto);
	return proto < 0 ? -1 : new_binary(p, CF_AND, proto, node);
}

static int parse_primitive(struct parser *p)
{
	struct qual q = {0};
	struct token first = p->tok;
	bool any = take_proto(p, &q);
	any |= take_dir(p, &q);
	any |= take_kind(p, &q);
	if (!any && p->tok.type == T_WORD && !is_keyword(p))
		q = p->have_last ? p->last : (struct qual){.kind = K_HOST};
	else if (!any)
		return fail(p, "expected a primitive (host, net, port, tcp, "
			       "udp, icmp, arp, ip)");
	if (q.proto && !q.dir && !q.kind)
		return new_proto(p, q.proto);
	if (!q.kind)
		q.kind = K_HOST; /* "src 1.2.3.4" */
	if ((q.kind == K_PORT || q.kind == K_PORTRANGE) && q.proto &&
	    q.proto != CF_P_TCP && q.proto != CF_P_UDP) {
		p->tok = first;
		return fail(p, "port needs tcp, udp or no protocol");
	}
	int node = parse_value(p, &q);
	if (node < 0)
		return -1;
	p->last = q;
	p->have_last = true;
	return qualify(p, &q, node);
}

/* ---- operators ------------------------------------------------------------
 */

static int parse_or(struct parser *p);

static int parse_not(struct parser *p)
{
	if (++p->depth > CF_MAX_DEPTH)
		return fail(p, "nested too deeply");
	int node;
	if (p->tok.type == T_NOT) {
		advance(p);
		int inner = parse_not(p);
		node = inner < 0 ? -1 : new_binary(p, CF_NOT, inner, 0);
	} else if (p->tok.type == T_LPAREN) {
		advance(p);
		node = parse_or(p);
		if (node >= 0 && p->tok.type != T_RPAREN)
			node = fail(p, "expected ')'");
		else if (node >= 0)
			advance(p);
	} else {
		node = parse_primitive(p);
	}
	p->depth--;
	return node;
}

static int parse_and(struct parser *p)
{
	int lhs = parse_not(p);
	while (lhs >= 0 && p->tok.type == T_AND) {
		advance(p);
		int rhs = parse_not(p);
		lhs = rhs < 0 ? -1 : new_binary(p, CF_AND, lhs, rhs);
	}
	return lhs;
}

static int parse_or(struct parser *p)
{
	int lhs = parse_and(p);
	while (lhs >= 0 && p->tok.type == T_OR) {
		advance(p);
		int rhs = parse_and(p);
		lhs = rhs < 0 ? -1 : new_binary(p, CF_OR, lhs, rhs);
	}
	return lhs;
}

int cf_compile(struct capture_filter *f, const char *expr, struct cf_error *err)
{
	struct parser p = {.text = expr ? expr : "", .f = f, .err = err};
	memset(err, 0, sizeof(*err));
	f->count = 0;
	f->root = 0;
	if (strlen(p.text) > CF_MAX_TEXT) {
		err->msg = "expression too long";
		return -EINVAL;
	}
	advance(&p);
	if (p.tok.type == T_END) {
		new_node(&p, CF_TRUE);
		return 0;
	}
	int root = parse_or(&p);
	if (root >= 0 && p.tok.type != T_END)
		root =
		    fail(&p, p.tok.type == T_RPAREN ? "unbalanced ')'"
						    : "expected 'and' or 'or'");
	if (root < 0) {
		f->count = 0;
		return -EINVAL;
	}
	f->root = (u16)root;
	return 0;
}

/* ---- matching --------------------------------------------------------------
 */

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP_ 0x0806

static u16 get16(const u8 *b)
{
	return (u16)(b[0] << 8 | b[1]);
}

static u32 get32(const u8 *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static void parse_ipv4(const u8 *ip, u32 len, struct cf_pkt *p)
{
	if (len < 20 || ip[0] >> 4 != 4 || (ip[0] & 15) < 5)
		return;
	u32 ihl = (ip[0] & 15) * 4u;
	p->ip = true;
	p->ip_proto = ip[9];
	p->saddr = get32(ip + 12);
	p->daddr = get32(ip + 16);
	p->first_frag = (get16(ip + 6) & 0x1fff) == 0;
	bool ports = p->ip_proto == 6 || p->ip_proto == 17;
	if (ports && p->first_frag && len >= ihl + 4) {
		p->has_ports = true;
		p->sport = get16(ip + ihl);
		p->dport = get16(ip + ihl + 2);
	}
}

/* RFC 826: Ethernet/IPv4 ARP only (htype 1, ptype 0x0800, 6 and 4). */
static void parse_arp(const u8 *a, u32 len, struct cf_pkt *p)
{
	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IPV4 ||
	    a[4] != 6 || a[5] != 4)
		return;
	p->arp = true;
	p->saddr = get32(a + 14);
	p->daddr = get32(a + 24);
}

void cf_pkt_parse(const u8 *frame, u32 caplen, struct cf_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (caplen < 14)
		return;
	u16 type = get16(frame + 12);
	if (type == ETH_P_IPV4)
		parse_ipv4(frame + 14, caplen - 14, p);
	else if (type == ETH_P_ARP_)
		parse_arp(frame + 14, caplen - 14, p);
}

static bool dir_match(u8 dir, bool s, bool d)
{
	switch (dir) {
	case CF_DIR_SRC:
		return s;
	case CF_DIR_DST:
		return d;
	case CF_DIR_BOTH:
		return s && d;
	default:
		return s || d;
	}
}

static bool proto_match(u8 proto, const struct cf_pkt *p)
{
	switch (proto) {
	case CF_P_IP:
		return p->ip;
	case CF_P_ARP:
		return p->arp;
	case CF_P_TCP:
		return p->ip && p->ip_proto == 6;
	case CF_P_UDP:
		return p->ip && p->ip_proto == 17;
	case CF_P_ICMP:
		return p->ip && p->ip_proto == 1;
	default:
		return false;
	}
}

static bool port_match(const struct cf_node *n, const struct cf_pkt *p)
{
	if (!p->has_ports || (n->proto && !proto_match(n->proto, p)))
		return false;
	return dir_match(n->dir,
			 p->sport >= n->port_lo && p->sport <= n->port_hi,
			 p->dport >= n->port_lo && p->dport <= n->port_hi);
}

static bool eval(const struct capture_filter *f, u16 i, const struct cf_pkt *p)
{
	const struct cf_node *n = &f->nodes[i];
	switch (n->op) {
	case CF_TRUE:
		return true;
	case CF_AND:
		return eval(f, n->lhs, p) && eval(f, n->rhs, p);
	case CF_OR:
		return eval(f, n->lhs, p) || eval(f, n->rhs, p);
	case CF_NOT:
		return !eval(f, n->lhs, p);
	case CF_PROTO:
		return proto_match(n->proto, p);
	case CF_HOST:
	case CF_NET:
		return (p->ip || p->arp) &&
		       dir_match(n->dir, (p->saddr & n->mask) == n->addr,
				 (p->daddr & n->mask) == n->addr);
	case CF_PORT:
		return port_match(n, p);
	default:
		return false;
	}
}

bool cf_match_pkt(const struct capture_filter *f, const struct cf_pkt *p)
{
	return f->count == 0 || eval(f, f->root, p);
}

bool cf_match(const struct capture_filter *f, const u8 *frame, u32 caplen)
{
	struct cf_pkt p;
	cf_pkt_parse(frame, caplen, &p);
	return cf_match_pkt(f, &p);
}
