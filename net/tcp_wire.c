/*
 * tcp_wire.c - the TCP header and options between bytes and struct
 * tcp_hdr_info (tcp_wire.h says how to use it). Read first: RFC 9293 3.1
 * (header format, option rules), RFC 9293 3.7.1 (MSS), RFC 7323 2-3
 * (window scale, timestamps), RFC 2018 2-3 (SACK), RFC 1071 (checksum).
 *
 * The options walk trusts nothing: every length is checked against what
 * is left before a byte is read, a length below 2 or past the end stops
 * the walk (RFC 9293 3.1 says an option's length counts its kind and
 * length bytes, so 0 or 1 cannot be right and would loop), and a known
 * kind with the wrong size is skipped whole. Either sets opt.malformed.
 */
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/tcp_wire.h>
#include <errno.h>
#include <string.h>

/* ---- options: parse ------------------------------------------------------ */

static void opt_mss(const u8 *p, u8 size, struct tcp_opts *o)
{
	u16 mss;

	if (size != TCPOLEN_MSS) {
		o->malformed = true;
		return;
	}
	mss = load_be16(p + 2);
	if (mss == 0) { /* meaningless; Linux ignores it too */
		o->malformed = true;
		return;
	}
	o->mss = mss;
	o->present |= TCP_OPT_MSS;
}

/* RFC 7323 2.3: a shift above 14 is used as 14. */
static void opt_wscale(const u8 *p, u8 size, struct tcp_opts *o)
{
	if (size != TCPOLEN_WSCALE) {
		o->malformed = true;
		return;
	}
	o->wscale = MIN(p[2], (u8)TCP_MAX_WSCALE);
	o->present |= TCP_OPT_WSCALE;
}

static void opt_sack_perm(u8 size, struct tcp_opts *o)
{
	if (size != TCPOLEN_SACK_PERM) {
		o->malformed = true;
		return;
	}
	o->present |= TCP_OPT_SACK_PERM;
}

/* RFC 2018 3: 2 + 8n bytes, n >= 1; at most 4 fit in the option space. */
static void opt_sack(const u8 *p, u8 size, struct tcp_opts *o)
{
	unsigned n;

	if (size < TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK ||
	    (size - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK != 0 ||
	    (size - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK >
		TCP_MAX_SACK_BLOCKS) {
		o->malformed = true;
		return;
	}
	n = (size - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;
	for (unsigned i = 0; i < n; i++) {
		const u8 *b = p + TCPOLEN_SACK_BASE + i * TCPOLEN_SACK_PERBLOCK;

		o->sack[i].start = load_be32(b);
		o->sack[i].end = load_be32(b + 4);
	}
	o->nr_sack = (u8)n;
	o->present |= TCP_OPT_SACK;
}

static void opt_timestamp(const u8 *p, u8 size, struct tcp_opts *o)
{
	if (size != TCPOLEN_TIMESTAMP) {
		o->malformed = true;
		return;
	}
	o->tsval = load_be32(p + 2);
	o->tsecr = load_be32(p + 6);
	o->present |= TCP_OPT_TS;
}

/* One option of `size` bytes (already checked to lie inside the area). */
static void opt_one(const u8 *p, u8 size, struct tcp_opts *o)
{
	switch (p[0]) {
	case TCPOPT_MSS:
		opt_mss(p, size, o);
		break;
	case TCPOPT_WSCALE:
		opt_wscale(p, size, o);
		break;
	case TCPOPT_SACK_PERM:
		opt_sack_perm(size, o);
		break;
	case TCPOPT_SACK:
		opt_sack(p, size, o);
		break;
	case TCPOPT_TIMESTAMP:
		opt_timestamp(p, size, o);
		break;
	default: /* RFC 9293 3.1: unknown kinds are skipped by length */
		break;
	}
}

int tcp_opts_parse(const u8 *opts, size_t len, struct tcp_opts *o)
{
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	while (off < len) {
		u8 kind = opts[off];
		u8 size;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			off++;
			continue;
		}
		if (len - off < 2) { /* no room for the length byte */
			o->malformed = true;
			break;
		}
		size = opts[off + 1];
		if (size < 2 || size > len - off) {
			o->malformed = true;
			break;
		}
		opt_one(opts + off, size, o);
		off += size;
	}
	return o->malformed ? -EBADMSG : 0;
}

/* ---- header: parse ------------------------------------------------------- */

int tcp_hdr_parse(const void *seg, size_t seg_len, struct tcp_hdr_info *h)
{
	const u8 *b = seg;
	size_t hlen;

	if (seg_len < TCP_HDR_LEN)
		return -EBADMSG;
	hlen = (size_t)(b[12] >> 4) * 4;
	if (hlen < TCP_HDR_LEN || hlen > seg_len)
		return -EBADMSG;
	h->sport = load_be16(b);
	h->dport = load_be16(b + 2);
	h->seq = load_be32(b + 4);
	h->ack = load_be32(b + 8);
	h->hdr_len = (u8)hlen;
	h->flags = b[13];
	h->window = load_be16(b + 14);
	h->csum = load_be16(b + 16);
	h->urg_ptr = load_be16(b + 18);
	tcp_opts_parse(b + TCP_HDR_LEN, hlen - TCP_HDR_LEN, &h->opt);
	return (int)hlen;
}

/* ---- options: emit ------------------------------------------------------- */

/* A cursor that writes when buf is set and only counts otherwise, so
 * tcp_opts_len and tcp_opts_emit share one layout. */
struct opt_out {
	u8 *buf;
	size_t len;
};

static void put_u8(struct opt_out *w, u8 v)
{
	if (w->buf)
		w->buf[w->len] = v;
	w->len++;
}

static void put_be16(struct opt_out *w, u16 v)
{
	put_u8(w, (u8)(v >> 8));
	put_u8(w, (u8)v);
}

static void put_be32(struct opt_out *w, u32 v)
{
	put_be16(w, (u16)(v >> 16));
	put_be16(w, (u16)v);
}

static void put_timestamp(struct opt_out *w, const struct tcp_opts *o)
{
	put_u8(w, TCPOPT_TIMESTAMP);
	put_u8(w, TCPOLEN_TIMESTAMP);
	put_be32(w, o->tsval);
	put_be32(w, o->tsecr);
}

/* SYN / SYN-ACK: MSS, SACK-permitted + timestamps, NOP + window scale. */
static void layout_syn(struct opt_out *w, const struct tcp_opts *o)
{
	bool sp = o->present & TCP_OPT_SACK_PERM;
	bool ts = o->present & TCP_OPT_TS;

	if (o->present & TCP_OPT_MSS) {
		put_u8(w, TCPOPT_MSS);
		put_u8(w, TCPOLEN_MSS);
		put_be16(w, o->mss);
	}
	if (sp && ts) {
		put_u8(w, TCPOPT_SACK_PERM);
		put_u8(w, TCPOLEN_SACK_PERM);
		put_timestamp(w, o);
	} else if (ts) {
		put_be16(w, (TCPOPT_NOP << 8) | TCPOPT_NOP);
		put_timestamp(w, o);
	} else if (sp) {
		put_be16(w, (TCPOPT_NOP << 8) | TCPOPT_NOP);
		put_u8(w, TCPOPT_SACK_PERM);
		put_u8(w, TCPOLEN_SACK_PERM);
	}
	if (o->present & TCP_OPT_WSCALE) {
		put_u8(w, TCPOPT_NOP);
		put_u8(w, TCPOPT_WSCALE);
		put_u8(w, TCPOLEN_WSCALE);
		put_u8(w, MIN(o->wscale, (u8)TCP_MAX_WSCALE));
	}
}

/* Other segments: NOP NOP timestamps, NOP NOP SACK blocks (as many as
 * fit in what is left of the 40 bytes). */
static void layout_data(struct opt_out *w, const struct tcp_opts *o)
{
	if (o->present & TCP_OPT_TS) {
		put_be16(w, (TCPOPT_NOP << 8) | TCPOPT_NOP);
		put_timestamp(w, o);
	}
	if ((o->present & TCP_OPT_SACK) && o->nr_sack) {
		size_t room =
		    (TCP_MAX_OPT_LEN - w->len - 4) / TCPOLEN_SACK_PERBLOCK;
		unsigned n = (unsigned)MIN((size_t)o->nr_sack, room);

		n = MIN(n, (unsigned)TCP_MAX_SACK_BLOCKS);
		if (n == 0)
			return;
		put_be16(w, (TCPOPT_NOP << 8) | TCPOPT_NOP);
		put_u8(w, TCPOPT_SACK);
		put_u8(w, (u8)(TCPOLEN_SACK_BASE + n * TCPOLEN_SACK_PERBLOCK));
		for (unsigned i = 0; i < n; i++) {
			put_be32(w, o->sack[i].start);
			put_be32(w, o->sack[i].end);
		}
	}
}

static size_t opts_layout(const struct tcp_opts *o, bool syn, u8 *buf)
{
	struct opt_out w = {.buf = buf, .len = 0};

	if (syn)
		layout_syn(&w, o);
	else
		layout_data(&w, o);
	return w.len; /* every block above is a multiple of 4 */
}

size_t tcp_opts_len(const struct tcp_opts *o, bool syn)
{
	return opts_layout(o, syn, NULL);
}

int tcp_opts_emit(const struct tcp_opts *o, bool syn, u8 *buf, size_t cap)
{
	size_t len = tcp_opts_len(o, syn);

	if (len > cap)
		return -ENOSPC;
	return (int)opts_layout(o, syn, buf);
}

/* ---- header: emit -------------------------------------------------------- */

size_t tcp_hdr_len(const struct tcp_hdr_info *h)
{
	return TCP_HDR_LEN + tcp_opts_len(&h->opt, h->flags & TCP_FLAG_SYN);
}

int tcp_hdr_emit(const struct tcp_hdr_info *h, void *buf, size_t cap)
{
	u8 *b = buf;
	size_t hlen = tcp_hdr_len(h);

	if (hlen > cap)
		return -ENOSPC;
	store_be16(b, h->sport);
	store_be16(b + 2, h->dport);
	store_be32(b + 4, h->seq);
	store_be32(b + 8, h->ack);
	b[12] = (u8)((hlen / 4) << 4);
	b[13] = h->flags;
	store_be16(b + 14, h->window);
	store_be16(b + 16, h->csum);
	store_be16(b + 18, h->urg_ptr);
	opts_layout(&h->opt, h->flags & TCP_FLAG_SYN, b + TCP_HDR_LEN);
	return (int)hlen;
}

/* ---- checksum (RFC 9293 3.1, the pseudo-header) ------------------------- */

static u16 tcp_v4_csum(const void *seg, size_t len, u32 saddr, u32 daddr)
{
	u32 sum = csum_partial(seg, len, 0);

	return csum_fold(
	    csum_tcpudp_nofold(saddr, daddr, (u16)len, IPPROTO_TCP, sum));
}

void tcp_v4_csum_set(void *seg, size_t len, u32 saddr, u32 daddr)
{
	u8 *b = seg;

	store_be16(b + 16, 0);
	store_be16(b + 16, tcp_v4_csum(seg, len, saddr, daddr));
}

bool tcp_v4_csum_ok(const void *seg, size_t len, u32 saddr, u32 daddr)
{
	return len >= TCP_HDR_LEN && tcp_v4_csum(seg, len, saddr, daddr) == 0;
}
