/*
 * config.c - the key=value configuration parser (syntax in config.h).
 *
 *   config_parse -> lex_word -> apply_word -> find_key -> row's parse
 *                                          -> report_* on any problem
 *   config_format_key -> row's format
 *
 * Every key is a row of cfg_keys[]: its name, a parse function that
 * validates the value and stores it (or returns CFG_EBAD and stores
 * nothing), a format function that prints the value back in a form parse
 * accepts, and the words that say what a good value looks like. Generic
 * rows (numbers in a range, one of a few words) find their field through
 * offsetof, so most new keys need no new code.
 *
 * Pure and bounded: no allocation, no globals with state, every copy
 * checked against its buffer, and every message built in a CFG_MSG_MAX
 * buffer with the user's bytes escaped and truncated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <skiff/config.h>

#define CFG_EBAD (-1)  /* value does not validate */
#define CFG_EFULL (-2) /* repeatable key has no room left */
#define ECHO_MAX 48    /* longest echo of the user's bytes in a message */

/* A bounded string builder; like snprintf, len counts past the end. */
struct sbuf {
	char *buf;
	size_t size, len;
};

static void sb_init(struct sbuf *sb, char *buf, size_t size)
{
	sb->buf = buf;
	sb->size = size;
	sb->len = 0;
	if (size)
		buf[0] = '\0';
}

static void sb_putc(struct sbuf *sb, char ch)
{
	if (sb->len + 1 < sb->size) {
		sb->buf[sb->len] = ch;
		sb->buf[sb->len + 1] = '\0';
	}
	sb->len++;
}

static void sb_put(struct sbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_putc(sb, s[i]);
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

/* At most 63 characters (sb_puts for longer text). */
static __printf(2, 3) void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_puts(sb, tmp);
}

/*
 * Append untrusted bytes for a message: printable ASCII as is, anything
 * else (and \ and ') as \xHH, at most max characters, then "...".
 */
static void sb_escaped(struct sbuf *sb, const char *s, size_t len, size_t max)
{
	size_t used = 0;

	for (size_t i = 0; i < len; i++) {
		u8 ch = (u8)s[i];
		bool plain =
		    ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'';
		size_t need = plain ? 1 : 4;

		if (used + need > max) {
			sb_puts(sb, "...");
			return;
		}
		if (plain)
			sb_putc(sb, (char)ch);
		else
			sb_printf(sb, "\\x%02x", ch);
		used += need;
	}
}

/* ---- Small parsers shared by the rows ------------------------------------ */

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_alnum(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z');
}

static bool word_is(const char *v, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(v, w, len) == 0;
}

/* Decimal, 1..10 digits, fits in 32 bits. */
static int parse_uint(const char *s, size_t len, u32 *out)
{
	u64 v = 0;

	if (len == 0 || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (u64)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (u32)v;
	return 0;
}

int parse_ipv4(const char *s, size_t len, u32 *out)
{
	u32 addr = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0 && (i >= len || s[i++] != '.'))
			return -1;
		while (i < len && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 ||
		    (digits > 1 && s[i - digits] == '0'))
			return -1;
		addr = addr << 8 | v;
	}
	if (i != len)
		return -1;
	*out = addr;
	return 0;
}

int format_ipv4(u32 addr, char *buf, size_t n)
{
	return snprintf(buf, n, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255,
			(addr >> 8) & 255, addr & 255);
}

static void sb_ipv4(struct sbuf *sb, u32 addr)
{
	char tmp[16];

	format_ipv4(addr, tmp, sizeof(tmp));
	sb_puts(sb, tmp);
}

/* A.B.C.D/N with N in 0..32. */
static int parse_cidr(const char *v, size_t len, u32 *addr, u8 *prefix)
{
	const char *slash = memchr(v, '/', len);
	size_t alen;
	u32 p;

	if (!slash)
		return -1;
	alen = (size_t)(slash - v);
	if (parse_ipv4(v, alen, addr) ||
	    parse_uint(slash + 1, len - alen - 1, &p) || p > 32)
		return -1;
	*prefix = (u8)p;
	return 0;
}

static u32 prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : ~0U << (32 - prefix);
}

/* Not 0.0.0.0, not multicast, not class E or broadcast. */
static bool unicast(u32 addr)
{
	return addr != 0 && addr < 0xe0000000U;
}

/* ---- The key table ------------------------------------------------------- */

struct cfg_key {
	const char *name;
	int (*parse)(const struct cfg_key *k, struct skiff_config *c,
		     const char *v, size_t len);
	void (*format)(const struct cfg_key *k, const struct skiff_config *c,
		       struct sbuf *sb);
	size_t off, size;	    /* the field, for generic rows */
	u32 min, max;		    /* range; max values if repeatable */
	const char *const *choices; /* NULL-terminated, for word rows */
	const char *want;	    /* what a good value looks like */
	bool repeat;		    /* each word adds a value */
};

static void *field(const struct cfg_key *k, struct skiff_config *c)
{
	return (char *)c + k->off;
}

static const void *cfield(const struct cfg_key *k, const struct skiff_config *c)
{
	return (const char *)c + k->off;
}

/* Number rows: a u8, u16 or u32 field in [min, max]. */
static int parse_num(const struct cfg_key *k, struct skiff_config *c,
		     const char *v, size_t len)
{
	u32 x;

	if (parse_uint(v, len, &x) || x < k->min || x > k->max)
		return CFG_EBAD;
	if (k->size == 1)
		*(u8 *)field(k, c) = (u8)x;
	else if (k->size == 2)
		*(u16 *)field(k, c) = (u16)x;
	else
		*(u32 *)field(k, c) = x;
	return 0;
}

static void format_num(const struct cfg_key *k, const struct skiff_config *c,
		       struct sbuf *sb)
{
	u32 x;

	if (k->size == 1)
		x = *(const u8 *)cfield(k, c);
	else if (k->size == 2)
		x = *(const u16 *)cfield(k, c);
	else
		x = *(const u32 *)cfield(k, c);
	sb_printf(sb, "%u", x);
}

static int choice_index(const struct cfg_key *k, const char *v, size_t len)
{
	for (int i = 0; k->choices[i]; i++)
		if (word_is(v, len, k->choices[i]))
			return i;
	return -1;
}

/* Word rows stored as an index (u8 or bool field). */
static int parse_index(const struct cfg_key *k, struct skiff_config *c,
		       const char *v, size_t len)
{
	int i = choice_index(k, v, len);

	if (i < 0)
		return CFG_EBAD;
	*(u8 *)field(k, c) = (u8)i;
	return 0;
}

static void format_index(const struct cfg_key *k, const struct skiff_config *c,
			 struct sbuf *sb)
{
	u8 idx = *(const u8 *)cfield(k, c);

	for (int i = 0; k->choices[i]; i++)
		if (i == idx) {
			sb_puts(sb, k->choices[i]);
			return;
		}
	sb_printf(sb, "%u", idx);
}

/* Word rows stored as the word itself in a char array. */
static int parse_word(const struct cfg_key *k, struct skiff_config *c,
		      const char *v, size_t len)
{
	int i = choice_index(k, v, len);

	if (i < 0 || strlen(k->choices[i]) >= k->size)
		return CFG_EBAD;
	memcpy(field(k, c), k->choices[i], strlen(k->choices[i]) + 1);
	return 0;
}

static void format_word(const struct cfg_key *k, const struct skiff_config *c,
			struct sbuf *sb)
{
	const char *s = cfield(k, c);

	sb_put(sb, s, strnlen(s, k->size));
}

static int parse_ip(const struct cfg_key *k, struct skiff_config *c,
		    const char *v, size_t len)
{
	u32 addr;
	u8 prefix;

	(void)k;
	if (word_is(v, len, "dhcp")) {
		c->ip_dhcp = true;
		return 0;
	}
	if (parse_cidr(v, len, &addr, &prefix) || !unicast(addr))
		return CFG_EBAD;
	c->ip_dhcp = false;
	c->ip_addr = addr;
	c->ip_prefix = prefix;
	return 0;
}

static void format_ip(const struct cfg_key *k, const struct skiff_config *c,
		      struct sbuf *sb)
{
	(void)k;
	if (c->ip_dhcp) {
		sb_puts(sb, "dhcp");
		return;
	}
	sb_ipv4(sb, c->ip_addr);
	sb_printf(sb, "/%u", c->ip_prefix);
}

static int parse_gw(const struct cfg_key *k, struct skiff_config *c,
		    const char *v, size_t len)
{
	u32 addr;

	(void)k;
	if (word_is(v, len, "none")) {
		c->gw = 0;
		return 0;
	}
	if (parse_ipv4(v, len, &addr) || (addr && !unicast(addr)))
		return CFG_EBAD;
	c->gw = addr;
	return 0;
}

static void format_gw(const struct cfg_key *k, const struct skiff_config *c,
		      struct sbuf *sb)
{
	(void)k;
	if (c->gw == 0)
		sb_puts(sb, "none");
	else
		sb_ipv4(sb, c->gw);
}

/* dns=A.B.C.D[,A.B.C.D...]; none (or nothing) clears the list. */
static int parse_dns(const struct cfg_key *k, struct skiff_config *c,
		     const char *v, size_t len)
{
	u32 addrs[CFG_MAX_DNS];
	unsigned n = 0;
	size_t i = 0;

	(void)k;
	if (word_is(v, len, "none"))
		len = 0;
	while (len > 0) {
		const char *comma = memchr(v + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - v) : len;

		if (n == CFG_MAX_DNS || parse_ipv4(v + i, end - i, &addrs[n]) ||
		    !unicast(addrs[n]))
			return CFG_EBAD;
		n++;
		if (!comma)
			break;
		i = end + 1;
	}
	memcpy(c->dns, addrs, n * sizeof(addrs[0]));
	c->dns_count = (u8)n;
	return 0;
}

static void format_dns(const struct cfg_key *k, const struct skiff_config *c,
		       struct sbuf *sb)
{
	(void)k;
	if (c->dns_count == 0)
		sb_puts(sb, "none");
	for (unsigned i = 0; i < c->dns_count && i < CFG_MAX_DNS; i++) {
		if (i)
			sb_putc(sb, ',');
		sb_ipv4(sb, c->dns[i]);
	}
}

/* RFC 1123 2.1: labels of letters, digits and '-', not at either end. */
static bool hostname_ok(const char *v, size_t len)
{
	size_t label = 0;

	if (len == 0 || len >= sizeof(((struct skiff_config *)0)->hostname))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '.') {
			if (label == 0 || v[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(v[i]) || (v[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return label > 0 && v[len - 1] != '-';
}

static int parse_hostname(const struct cfg_key *k, struct skiff_config *c,
			  const char *v, size_t len)
{
	(void)k;
	if (!hostname_ok(v, len))
		return CFG_EBAD;
	memcpy(c->hostname, v, len);
	c->hostname[len] = '\0';
	return 0;
}

static int hexval(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* XX:XX:XX:XX:XX:XX (or with '-'). */
static int parse_mac_addr(const char *v, size_t len, u8 mac[6])
{
	if (len != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(v[3 * i]), lo = hexval(v[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		if (i < 5 && v[3 * i + 2] != ':' && v[3 * i + 2] != '-')
			return -1;
		mac[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}

static int parse_mac(const struct cfg_key *k, struct skiff_config *c,
		     const char *v, size_t len)
{
	static const u8 zero[6];
	u8 mac[6];

	(void)k;
	if (word_is(v, len, "auto")) {
		c->mac_set = false;
		return 0;
	}
	if (parse_mac_addr(v, len, mac) || (mac[0] & 1) ||
	    memcmp(mac, zero, 6) == 0)
		return CFG_EBAD;
	memcpy(c->mac, mac, 6);
	c->mac_set = true;
	return 0;
}

static void format_mac(const struct cfg_key *k, const struct skiff_config *c,
		       struct sbuf *sb)
{
	(void)k;
	if (!c->mac_set) {
		sb_puts(sb, "auto");
		return;
	}
	for (int i = 0; i < 6; i++)
		sb_printf(sb, i ? ":%02x" : "%02x", c->mac[i]);
}

static int parse_smp(const struct cfg_key *k, struct skiff_config *c,
		     const char *v, size_t len)
{
	if (word_is(v, len, "all")) {
		c->smp = 0;
		return 0;
	}
	return parse_num(k, c, v, len);
}

static void format_smp(const struct cfg_key *k, const struct skiff_config *c,
		       struct sbuf *sb)
{
	if (c->smp == 0)
		sb_puts(sb, "all");
	else
		format_num(k, c, sb);
}

/* tcp.mem=auto (0) or a number of MiB. */
/* A number, or "auto" stored as 0 (u32 fields: tcp.mem, conntrack.max). */
static int parse_auto_num(const struct cfg_key *k, struct skiff_config *c,
			  const char *v, size_t len)
{
	if (word_is(v, len, "auto")) {
		*(u32 *)field(k, c) = 0;
		return 0;
	}
	return parse_num(k, c, v, len);
}

static void format_auto_num(const struct cfg_key *k,
			    const struct skiff_config *c, struct sbuf *sb)
{
	if (*(const u32 *)cfield(k, c) == 0)
		sb_puts(sb, "auto");
	else
		format_num(k, c, sb);
}

/* Append "name=value" for each of count values, quoting as needed. */
static void format_list(const struct cfg_key *k, struct sbuf *sb,
			const char *items, size_t stride, unsigned count)
{
	if (count == 0) {
		sb_puts(sb, k->name);
		sb_putc(sb, '=');
	}
	for (unsigned i = 0; i < count; i++) {
		const char *v = items + i * stride;
		size_t len = strnlen(v, stride);
		bool quote = memchr(v, ' ', len) || memchr(v, '#', len);

		if (i)
			sb_putc(sb, ' ');
		sb_puts(sb, k->name);
		sb_putc(sb, '=');
		if (quote)
			sb_putc(sb, '"');
		sb_put(sb, v, len);
		if (quote)
			sb_putc(sb, '"');
	}
}

/* A rule: printable ASCII, not only spaces. Its grammar is netfilter's. */
static int parse_filter(const struct cfg_key *k, struct skiff_config *c,
			const char *v, size_t len)
{
	bool blank = true;

	(void)k;
	if (len == 0) {
		c->filter_count = 0;
		return 0;
	}
	if (len >= CFG_FILTER_LEN)
		return CFG_EBAD;
	for (size_t i = 0; i < len; i++) {
		if ((u8)v[i] < 0x20 || (u8)v[i] >= 0x7f)
			return CFG_EBAD;
		blank = blank && v[i] == ' ';
	}
	if (blank)
		return CFG_EBAD;
	if (c->filter_count >= CFG_MAX_FILTERS)
		return CFG_EFULL;
	memcpy(c->filter[c->filter_count], v, len);
	c->filter[c->filter_count++][len] = '\0';
	return 0;
}

static void format_filter(const struct cfg_key *k, const struct skiff_config *c,
			  struct sbuf *sb)
{
	format_list(k, sb, c->filter[0], CFG_FILTER_LEN,
		    MIN(c->filter_count, CFG_MAX_FILTERS));
}

/* ---- rates and sizes (tbf.*, and the tc command) ------------------------ */

static bool suffix_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

/* Digits, then a unit from units[] (its multiplier in mult[]). */
static int parse_scaled(const char *s, size_t len, const char *const units[],
			const u64 mult[], u64 max, u64 *out)
{
	size_t d = 0;
	u64 v = 0;
	while (d < len && is_digit(s[d])) {
		v = v * 10 + (u64)(s[d] - '0');
		if (++d > 13)
			return -1;
	}
	if (d == 0)
		return -1;
	for (int i = 0; units[i]; i++) {
		if (suffix_is(s + d, len - d, units[i])) {
			if (v > max / mult[i])
				return -1;
			*out = v * mult[i];
			return 0;
		}
	}
	return -1;
}

#define RATE_MAX (1ULL << 40)

int parse_rate(const char *s, size_t len, u64 *bits)
{
	static const char *const units[] = {"",	    "bit",  "kbit",
					    "mbit", "gbit", NULL};
	static const u64 mult[] = {1, 1, 1000, 1000000, 1000000000};
	return parse_scaled(s, len, units, mult, RATE_MAX, bits);
}

int parse_size(const char *s, size_t len, u32 *bytes)
{
	static const char *const units[] = {"",	 "b",  "k", "kb",
					    "m", "mb", NULL};
	static const u64 mult[] = {1, 1, 1024, 1024, 1 << 20, 1 << 20};
	u64 v;
	if (parse_scaled(s, len, units, mult, UINT32_MAX, &v))
		return -1;
	*bytes = (u32)v;
	return 0;
}

int format_rate(u64 bits, char *buf, size_t n)
{
	static const struct {
		u64 mult;
		const char *unit;
	} units[] = {{1000000000, "Gbit"}, {1000000, "Mbit"}, {1000, "Kbit"}};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (bits >= units[i].mult && bits % units[i].mult == 0)
			return snprintf(
			    buf, n, "%llu%s",
			    (unsigned long long)(bits / units[i].mult),
			    units[i].unit);
	return snprintf(buf, n, "%llubit", (unsigned long long)bits);
}

/* tbf.rate=off|RATE, 8kbit..1Tbit. */
static int parse_tbf_rate(const struct cfg_key *k, struct skiff_config *c,
			  const char *v, size_t len)
{
	u64 bits;
	(void)k;
	if (word_is(v, len, "off")) {
		c->tbf_rate = 0;
		return 0;
	}
	if (parse_rate(v, len, &bits) || bits < TBF_RATE_MIN_BITS)
		return CFG_EBAD;
	c->tbf_rate = bits;
	return 0;
}

static void format_tbf_rate(const struct cfg_key *k,
			    const struct skiff_config *c, struct sbuf *sb)
{
	char r[32];
	(void)k;
	if (!c->tbf_rate) {
		sb_puts(sb, "off");
		return;
	}
	format_rate(c->tbf_rate, r, sizeof(r));
	sb_puts(sb, r);
}

/* tbf.burst=auto|SIZE, 1514 bytes..64 MiB (checked against the rate and
 * the MTU when the shaper is set up). */
static int parse_tbf_burst(const struct cfg_key *k, struct skiff_config *c,
			   const char *v, size_t len)
{
	u32 b;
	if (word_is(v, len, "auto")) {
		c->tbf_burst = 0;
		return 0;
	}
	if (parse_size(v, len, &b) || b < k->min || b > k->max)
		return CFG_EBAD;
	c->tbf_burst = b;
	return 0;
}

/* NET/LEN,GW with no host bits set in NET; stored in canonical form. */
static int parse_route(const struct cfg_key *k, struct skiff_config *c,
		       const char *v, size_t len)
{
	const char *comma = memchr(v, ',', len);
	u32 net, gw;
	u8 plen;
	size_t nlen;
	struct sbuf sb;

	(void)k;
	if (len == 0) {
		c->route_count = 0;
		return 0;
	}
	if (!comma)
		return CFG_EBAD;
	nlen = (size_t)(comma - v);
	if (parse_cidr(v, nlen, &net, &plen) ||
	    parse_ipv4(comma + 1, len - nlen - 1, &gw) ||
	    (net & ~prefix_mask(plen)) || !unicast(gw))
		return CFG_EBAD;
	if (c->route_count >= CFG_MAX_ROUTES)
		return CFG_EFULL;
	sb_init(&sb, c->route[c->route_count++], CFG_ROUTE_LEN);
	sb_ipv4(&sb, net);
	sb_printf(&sb, "/%u,", plen);
	sb_ipv4(&sb, gw);
	return 0;
}

static void format_route(const struct cfg_key *k, const struct skiff_config *c,
			 struct sbuf *sb)
{
	format_list(k, sb, c->route[0], CFG_ROUTE_LEN,
		    MIN(c->route_count, CFG_MAX_ROUTES));
}

#define FIELD(f)                                                               \
	.off = offsetof(struct skiff_config, f),                               \
	.size = sizeof(((struct skiff_config *)0)->f)
#define NUM(f, lo, hi)                                                         \
	.parse = parse_num, .format = format_num, FIELD(f), .min = lo,         \
	.max = hi, .want = #lo ".." #hi

static const char *const log_words[] = {"debug", "info", "warn", "error", NULL};
static const char *const panic_words[] = {"halt", "reboot", NULL};
static const char *const console_words[] = {"serial", "both", NULL};
static const char *const app_words[] = {"http", "reflect", NULL};
static const char *const onoff_words[] = {"off", "on", NULL};
static const char *const cc_words[] = {"cubic", "newreno", NULL};

static const struct cfg_key cfg_keys[CFG_NKEYS] = {
    [CFG_IP] = {"ip", parse_ip, format_ip, .want = "dhcp or A.B.C.D/N"},
    [CFG_GW] = {"gw", parse_gw, format_gw, .want = "A.B.C.D or none"},
    [CFG_DNS] = {"dns", parse_dns, format_dns,
		 .want = "up to 3 of A.B.C.D, comma-separated, or none"},
    [CFG_HOSTNAME] = {"hostname", parse_hostname, format_word, FIELD(hostname),
		      .want = "letters, digits, '-' and '.', up to 63"},
    [CFG_MAC] = {"mac", parse_mac, format_mac,
		 .want = "unicast XX:XX:XX:XX:XX:XX or auto"},
    [CFG_MTU] = {"mtu", NUM(mtu, 576, 9000)},
    [CFG_HTTP_PORT] = {"http.port", NUM(http_port, 1, 65535)},
    [CFG_HTTP_MAX_CONNS] = {"http.max_conns", NUM(http_max_conns, 1, 1000000)},
    [CFG_HTTP_HEADER_TIMEOUT] = {"http.header_timeout",
				 NUM(http_header_timeout, 1, 3600)},
    [CFG_HTTP_IDLE_TIMEOUT] = {"http.idle_timeout",
			       NUM(http_idle_timeout, 1, 86400)},
    [CFG_HTTP_WRITE_TIMEOUT] = {"http.write_timeout",
				NUM(http_write_timeout, 1, 3600)},
    [CFG_HTTP_BODY_MAX] = {"http.body_max", NUM(http_body_max, 0, 1073741824)},
    [CFG_HTTP_PCAP] = {"http.pcap", parse_index, format_index, FIELD(http_pcap),
		       .choices = onoff_words, .want = "off|on"},
    [CFG_ECHO_PORT] = {"echo.port", NUM(echo_port, 1, 65535)},
    [CFG_ECHO_IDLE_TIMEOUT] = {"echo.idle_timeout",
			       NUM(echo_idle_timeout, 0, 86400)},
    [CFG_LOG] = {"log", parse_index, format_index, FIELD(log_level),
		 .choices = log_words, .want = "debug|info|warn|error"},
    [CFG_PANIC] = {"panic", parse_index, format_index, FIELD(panic_reboot),
		   .choices = panic_words, .want = "halt|reboot"},
    [CFG_CONSOLE] = {"console", parse_word, format_word, FIELD(console),
		     .choices = console_words, .want = "serial|both"},
    [CFG_FILTER] = {"filter", parse_filter, format_filter,
		    .max = CFG_MAX_FILTERS, .repeat = true,
		    .want = "a rule of 1..159 printable characters"},
    [CFG_ROUTE] = {"route", parse_route, format_route, .max = CFG_MAX_ROUTES,
		   .repeat = true,
		   .want = "NET/LEN,GW like 10.0.0.0/8,192.0.2.1"},
    [CFG_APP] = {"app", parse_word, format_word, FIELD(app),
		 .choices = app_words, .want = "http|reflect"},
    [CFG_TCP_CC] = {"tcp.cc", parse_word, format_word, FIELD(tcp_cc),
		    .choices = cc_words, .want = "cubic|newreno"},
    [CFG_SMP] = {"smp", parse_smp, format_smp, FIELD(smp), .min = 1, .max = 256,
		 .want = "1..256 or all"},
    [CFG_TCP_MEM] = {"tcp.mem", parse_auto_num, format_auto_num,
		     FIELD(tcp_mem_mb), .min = 4, .max = 65536,
		     .want = "auto or 4..65536 (MiB)"},
    [CFG_NIC_OFFLOAD] = {"nic.offload", parse_index, format_index,
			 FIELD(nic_offload), .choices = onoff_words,
			 .want = "off|on"},
    [CFG_CONNTRACK_MAX] = {"conntrack.max", parse_auto_num, format_auto_num,
			   FIELD(conntrack_max), .min = 64, .max = 4194304,
			   .want = "auto or 64..4194304 (flows)"},
    [CFG_NET_BUSY_POLL_US] = {"net.busy_poll_us",
			      NUM(net_busy_poll_us, 0, 10000)},
    [CFG_NOHZ] = {"nohz", parse_index, format_index, FIELD(nohz),
		  .choices = onoff_words, .want = "off|on"},
    [CFG_TBF_RATE] = {"tbf.rate", parse_tbf_rate, format_tbf_rate,
		      .want = "off or a rate of at least 8kbit, like 10mbit "
			      "(bit, kbit, mbit, gbit)"},
    [CFG_TBF_BURST] = {"tbf.burst", parse_tbf_burst, format_auto_num,
		       FIELD(tbf_burst), .min = 1514, .max = 64 << 20,
		       .want = "auto or 1514..64m bytes (k, m: 1024s)"},
    [CFG_TBF_LATENCY] = {"tbf.latency", NUM(tbf_latency_ms, 1, 10000)},
};

/* ---- Defaults, names ----------------------------------------------------- */

void config_defaults(struct skiff_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ip_dhcp = true;
	strcpy(c->hostname, "skiff");
	c->mtu = 1500;
	c->http_port = 80;
	c->http_max_conns = 10000;
	c->http_header_timeout = 10;
	c->http_idle_timeout = 60;
	c->http_write_timeout = 30;
	c->http_body_max = 1 << 20;
	c->echo_port = 7;
	c->echo_idle_timeout = 300;
	c->log_level = CFG_LOG_INFO;
	c->panic_reboot = false;
	strcpy(c->console, "both");
	strcpy(c->app, "http");
	strcpy(c->tcp_cc, "cubic");
	c->smp = 0;
	c->nic_offload = true;
	c->net_busy_poll_us = NET_BUSY_POLL_US_DEFAULT;
	c->nohz = true;
	c->tbf_latency_ms = TBF_LATENCY_DEFAULT_MS;
	memset(c->src, CFG_SRC_DEFAULT, sizeof(c->src));
}

const char *config_source_name(enum cfg_source s)
{
	static const char *const names[CFG_NSOURCES] = {
	    "default", "skiff.cfg", "fw_cfg", "loadopt", "console"};

	return (unsigned)s < CFG_NSOURCES ? names[s] : "?";
}

const char *config_key_name(unsigned i)
{
	return i < CFG_NKEYS ? cfg_keys[i].name : NULL;
}

static const struct cfg_key *find_key(const char *name, size_t len)
{
	for (unsigned i = 0; i < CFG_NKEYS; i++)
		if (word_is(name, len, cfg_keys[i].name))
			return &cfg_keys[i];
	return NULL;
}

/* ---- Messages ------------------------------------------------------------ */

/* One parse run: where words come from and where problems go. */
struct cfg_run {
	struct skiff_config *c;
	enum cfg_source src;
	cfg_report_fn report;
	void *ctx;
};

static void msg_begin(struct sbuf *sb, char *buf, const struct cfg_run *r)
{
	sb_init(sb, buf, CFG_MSG_MAX);
	sb_puts(sb, "config: ");
	sb_puts(sb, config_source_name(r->src));
	sb_puts(sb, ": ");
}

static void msg_send(const struct cfg_run *r, const struct sbuf *sb)
{
	if (r->report)
		r->report(r->ctx, sb->buf);
}

/* "; keeping VALUE)" or, for a repeatable key, "; not added)". */
static void msg_keeping(struct sbuf *sb, const struct cfg_key *k,
			const struct skiff_config *c)
{
	char cur[ECHO_MAX + 1];
	struct sbuf v;

	if (k->repeat) {
		sb_puts(sb, "; not added)");
		return;
	}
	sb_init(&v, cur, sizeof(cur));
	k->format(k, c, &v);
	sb_puts(sb, "; keeping ");
	sb_escaped(sb, cur, strlen(cur), ECHO_MAX);
	if (v.len > ECHO_MAX)
		sb_puts(sb, "...");
	sb_putc(sb, ')');
}

static void report_unknown(const struct cfg_run *r, const char *key,
			   size_t klen)
{
	char buf[CFG_MSG_MAX];
	struct sbuf sb;

	msg_begin(&sb, buf, r);
	sb_puts(&sb, "unknown key '");
	sb_escaped(&sb, key, klen, ECHO_MAX);
	sb_puts(&sb, "' (ignored)");
	msg_send(r, &sb);
}

static void report_bad(const struct cfg_run *r, const struct cfg_key *k,
		       const char *v, size_t len)
{
	char buf[CFG_MSG_MAX];
	struct sbuf sb;

	msg_begin(&sb, buf, r);
	sb_printf(&sb, "bad value for '%s': '", k->name);
	sb_escaped(&sb, v, len, ECHO_MAX);
	sb_puts(&sb, "' (want "); /* not sb_printf: it stops at 63 */
	sb_puts(&sb, k->want);
	msg_keeping(&sb, k, r->c);
	msg_send(r, &sb);
}

static void report_missing(const struct cfg_run *r, const struct cfg_key *k)
{
	char buf[CFG_MSG_MAX];
	struct sbuf sb;

	msg_begin(&sb, buf, r);
	sb_printf(&sb, "missing value for '%s' (want %s=", k->name, k->name);
	sb_puts(&sb, k->want);
	msg_keeping(&sb, k, r->c);
	msg_send(r, &sb);
}

static void report_full(const struct cfg_run *r, const struct cfg_key *k,
			const char *v, size_t len)
{
	char buf[CFG_MSG_MAX];
	struct sbuf sb;

	msg_begin(&sb, buf, r);
	sb_printf(&sb, "too many '%s' values (max %u; ignored '", k->name,
		  k->max);
	sb_escaped(&sb, v, len, ECHO_MAX);
	sb_puts(&sb, "')");
	msg_send(r, &sb);
}

/*
 * A word the lexer could not take whole (too_long, or an unterminated
 * quote): name its key, or show its start if it has no '='.
 */
static void report_word(const struct cfg_run *r, bool too_long,
			const char *word, size_t wlen)
{
	const char *eq = memchr(word, '=', wlen);
	char buf[CFG_MSG_MAX];
	struct sbuf sb;

	msg_begin(&sb, buf, r);
	if (too_long)
		sb_puts(&sb, eq ? "value for '" : "word '");
	else
		sb_puts(&sb, eq ? "unterminated quote in value for '"
				: "unterminated quote in '");
	sb_escaped(&sb, word, eq ? (size_t)(eq - word) : wlen, ECHO_MAX);
	if (too_long)
		sb_printf(&sb, "' too long (max %d bytes; ignored)",
			  CFG_WORD_MAX - 1);
	else
		sb_puts(&sb, "' (ignored)");
	msg_send(r, &sb);
}

/* ---- Words --------------------------------------------------------------- */

/* Apply one key=value word. Returns the number of problems (0 or 1). */
static int apply_word(const struct cfg_run *r, const char *word, size_t wlen)
{
	const char *eq = memchr(word, '=', wlen);
	size_t klen = eq ? (size_t)(eq - word) : wlen;
	const struct cfg_key *k = find_key(word, klen);
	const char *v = word + klen + 1;
	size_t vlen = eq ? wlen - klen - 1 : 0;
	int err;

	if (!k) {
		report_unknown(r, word, klen);
		return 1;
	}
	if (!eq) {
		report_missing(r, k);
		return 1;
	}
	err = k->parse(k, r->c, v, vlen);
	if (err == CFG_EFULL)
		report_full(r, k, v, vlen);
	else if (err)
		report_bad(r, k, v, vlen);
	else
		r->c->src[k - cfg_keys] = (u8)r->src;
	return err ? 1 : 0;
}

enum lex { LEX_END, LEX_WORD, LEX_TOO_LONG, LEX_UNTERMINATED };

struct lexer {
	const char *p, *end;
};

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f' || ch == '\0';
}

/* Skip blanks and '#' comments. */
static void skip_blank(struct lexer *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (is_blank(*lx->p)) {
			lx->p++;
		} else {
			break;
		}
	}
}

/*
 * Next word into w (CFG_WORD_MAX bytes, NUL-terminated, quotes removed).
 * On LEX_TOO_LONG w holds the start of the word; on LEX_UNTERMINATED the
 * word up to the end of its line.
 */
static enum lex lex_word(struct lexer *lx, char *w, size_t *wlen)
{
	bool quoted = false, overflow = false;
	size_t n = 0;

	skip_blank(lx);
	if (lx->p >= lx->end)
		return LEX_END;
	for (; lx->p < lx->end; lx->p++) {
		char ch = *lx->p;

		if (ch == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted ? ch == '\n' : (is_blank(ch) || ch == '#'))
			break;
		if (n < CFG_WORD_MAX - 1)
			w[n++] = ch;
		else
			overflow = true;
	}
	w[n] = '\0';
	*wlen = n;
	if (quoted)
		return LEX_UNTERMINATED;
	return overflow ? LEX_TOO_LONG : LEX_WORD;
}

static int apply_lexed(const struct cfg_run *r, enum lex st, const char *w,
		       size_t wlen)
{
	if (st == LEX_WORD)
		return apply_word(r, w, wlen);
	report_word(r, st == LEX_TOO_LONG, w, wlen);
	return 1;
}

int config_parse(struct skiff_config *c, const char *text, size_t len,
		 enum cfg_source src, cfg_report_fn report, void *ctx)
{
	struct cfg_run r = {c, src, report, ctx};
	struct lexer lx = {text, text ? text + len : text};
	char word[CFG_WORD_MAX];
	enum lex st;
	size_t wlen;
	int problems = 0;

	while ((st = lex_word(&lx, word, &wlen)) != LEX_END)
		problems += apply_lexed(&r, st, word, wlen);
	return problems;
}

int config_set(struct skiff_config *c, const char *word, enum cfg_source src,
	       cfg_report_fn report, void *ctx)
{
	struct cfg_run r = {c, src, report, ctx};
	const char *end;
	char w[CFG_WORD_MAX];
	size_t n = 0;

	if (!word)
		word = "";
	end = word + strlen(word);
	while (word < end && is_blank(*word))
		word++;
	while (end > word && is_blank(end[-1]))
		end--;
	for (; word < end; word++) {
		if (*word == '"')
			continue;
		if (n == CFG_WORD_MAX - 1)
			return -apply_lexed(&r, LEX_TOO_LONG, w, n);
		w[n++] = *word;
	}
	w[n] = '\0';
	return -apply_lexed(&r, LEX_WORD, w, n);
}

int config_format_key(const struct skiff_config *c, unsigned i, char *buf,
		      size_t n)
{
	const struct cfg_key *k;
	struct sbuf sb;

	if (i >= CFG_NKEYS)
		return -1;
	k = &cfg_keys[i];
	sb_init(&sb, buf, n);
	if (!k->repeat) {
		sb_puts(&sb, k->name);
		sb_putc(&sb, '=');
	}
	k->format(k, c, &sb);
	return c->src[i];
}
