/*
 * ip_wire.c - the IPv4 header and options (RFC 791 3.1) between bytes
 * and struct iphdr_info. Validation follows RFC 1122 3.2.1 (version,
 * checksum, lengths) and RFC 791 3.1 / Linux's ip_options_compile for the
 * options walk. Read first: RFC 791 3.1, RFC 1122 3.2.1 and 3.3.5.
 */
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <errno.h>
#include <string.h>

/* The fixed 20 bytes, no checks beyond what decoding needs. */
static void ip_hdr_decode(const u8 *b, struct iphdr_info *h)
{
	u16 frag = load_be16(b + 6);

	h->version = b[0] >> 4;
	h->ihl_bytes = (u8)((b[0] & 0x0f) * 4);
	h->tos = b[1];
	h->tot_len = load_be16(b + 2);
	h->id = load_be16(b + 4);
	h->reserved_flag = (frag & IP_CE) != 0;
	h->df = (frag & IP_DF) != 0;
	h->mf = (frag & IP_MF) != 0;
	h->frag_off_bytes = (u16)((frag & IP_OFFSET) * 8);
	h->ttl = b[8];
	h->protocol = b[9];
	h->check = load_be16(b + 10);
	h->saddr = load_be32(b + 12);
	h->daddr = load_be32(b + 16);
}

/* Copy the option bytes into h once the header is known to be there. */
static void ip_hdr_take_options(const u8 *b, struct iphdr_info *h)
{
	memset(&h->opt, 0, sizeof(h->opt));
	h->opt.optlen = (u8)(h->ihl_bytes - IP_HLEN);
	memcpy(h->options, b + IP_HLEN, h->opt.optlen);
}

enum ip_parse_result ip_hdr_parse(const u8 *buf, size_t len,
				  struct iphdr_info *h, u8 *problem)
{
	memset(h, 0, sizeof(*h));
	if (len < IP_HLEN)
		return IP_PARSE_SHORT;
	ip_hdr_decode(buf, h);
	/* RFC 1122 3.2.1.1: silently discard a version other than 4. */
	if (h->version != 4)
		return IP_PARSE_VERSION;
	if (h->ihl_bytes < IP_HLEN)
		return IP_PARSE_IHL;
	if (len < h->ihl_bytes)
		return IP_PARSE_SHORT;
	ip_hdr_take_options(buf, h);
	/* RFC 1122 3.2.1.2: verify the checksum, discard on failure. */
	if (ip_fast_csum(buf, h->ihl_bytes) != 0)
		return IP_PARSE_CSUM;
	if (h->tot_len > len)
		return IP_PARSE_TRUNCATED;
	if (h->tot_len < h->ihl_bytes)
		return IP_PARSE_TOT_LEN;
	return ip_options_parse(buf, h->ihl_bytes, &h->opt, problem);
}

int ip_hdr_parse_quoted(const u8 *buf, size_t len, struct iphdr_info *h)
{
	memset(h, 0, sizeof(*h));
	if (len < IP_HLEN)
		return -EINVAL;
	ip_hdr_decode(buf, h);
	if (h->version != 4 || h->ihl_bytes < IP_HLEN || len < h->ihl_bytes)
		return -EINVAL;
	ip_hdr_take_options(buf, h);
	return 0;
}

/* ---- options ------------------------------------------------------------- */

/* One option's checks: hdr is the header, at is the option's offset, optlen
 * its length byte (already known to be >= 2 and inside the header). */
struct opt_ctx {
	const u8 *hdr;
	struct ip_options *o;
	u8 *problem;
};

static enum ip_parse_result opt_bad(struct opt_ctx *c, u32 at)
{
	*c->problem = (u8)at;
	return IP_PARSE_OPTIONS;
}

/*
 * Record route (RFC 791 3.1): length >= 3, pointer >= 4; while the pointer
 * is inside the option it must leave room for a whole address. A pointer
 * past the end means the route is full, which is legal.
 */
static enum ip_parse_result opt_rr(struct opt_ctx *c, u32 at, u8 optlen)
{
	const u8 *p = c->hdr + at;

	if (c->o->rr)
		return opt_bad(c, at); /* twice in one header */
	if (optlen < 3)
		return opt_bad(c, at + 1);
	if (p[2] < IPOPT_MINOFF)
		return opt_bad(c, at + 2);
	if (p[2] <= optlen && p[2] + 3 > optlen)
		return opt_bad(c, at + 2);
	c->o->rr = (u8)at;
	return IP_PARSE_OK;
}

/*
 * Internet timestamp (RFC 791 3.1): length >= 4, pointer >= 5. With room
 * left, the pointer must leave room for one entry (4 bytes, or 8 with
 * addresses). When full, the 4-bit overflow counter must not have
 * overflowed itself (15 means it would wrap).
 */
static enum ip_parse_result opt_ts(struct opt_ctx *c, u32 at, u8 optlen)
{
	const u8 *p = c->hdr + at;

	if (c->o->ts)
		return opt_bad(c, at);
	if (optlen < 4)
		return opt_bad(c, at + 1);
	if (p[2] < IPOPT_TS_MINOFF)
		return opt_bad(c, at + 2);
	if (p[2] <= optlen) {
		u8 flags = p[3] & 0x0f;
		u32 entry = flags == IPOPT_TS_TSONLY ? 4 : 8;
		if (p[2] + entry - 1 > optlen)
			return opt_bad(c, at + 2);
	} else if ((p[3] & 0xf0) == 0xf0) {
		return opt_bad(c, at + 3);
	}
	c->o->ts = (u8)at;
	return IP_PARSE_OK;
}

/* Loose/strict source route (RFC 791 3.1): checked like record route so a
 * malformed one is reported as such; a good one is refused later. */
static enum ip_parse_result opt_srr(struct opt_ctx *c, u32 at, u8 optlen)
{
	const u8 *p = c->hdr + at;

	if (c->o->srr)
		return opt_bad(c, at);
	if (optlen < 3)
		return opt_bad(c, at + 1);
	if (p[2] < IPOPT_MINOFF)
		return opt_bad(c, at + 2);
	c->o->srr = (u8)at;
	c->o->srr_is_strict = p[0] == IPOPT_SSRR;
	return IP_PARSE_OK;
}

/* Router alert (RFC 2113): four bytes, value 0 = "examine packet". */
static enum ip_parse_result opt_ra(struct opt_ctx *c, u32 at, u8 optlen)
{
	const u8 *p = c->hdr + at;

	if (optlen < 4)
		return opt_bad(c, at + 1);
	if (p[2] == 0 && p[3] == 0)
		c->o->router_alert = (u8)at;
	return IP_PARSE_OK;
}

static enum ip_parse_result opt_one(struct opt_ctx *c, u32 at, u8 optlen)
{
	switch (c->hdr[at]) {
	case IPOPT_RR:
		return opt_rr(c, at, optlen);
	case IPOPT_TS:
		return opt_ts(c, at, optlen);
	case IPOPT_LSRR:
	case IPOPT_SSRR:
		return opt_srr(c, at, optlen);
	case IPOPT_RA:
		return opt_ra(c, at, optlen);
	default:
		return IP_PARSE_OK; /* unknown options are skipped (RFC
				       1122 3.2.1.8) */
	}
}

enum ip_parse_result ip_options_parse(const u8 *hdr, size_t hdr_len,
				      struct ip_options *o, u8 *problem)
{
	struct opt_ctx c = {.hdr = hdr, .o = o, .problem = problem};
	u32 at = IP_HLEN;

	memset(o, 0, sizeof(*o));
	o->optlen = (u8)(hdr_len - IP_HLEN);
	while (at < hdr_len) {
		u32 left = (u32)hdr_len - at;
		if (hdr[at] == IPOPT_END)
			break; /* the rest is padding */
		if (hdr[at] == IPOPT_NOOP) {
			at++;
			continue;
		}
		/* Every other option has a length byte: 2..what is left. */
		if (left < 2 || hdr[at + 1] < 2 || hdr[at + 1] > left)
			return opt_bad(&c, left < 2 ? at : at + 1);
		enum ip_parse_result r = opt_one(&c, at, hdr[at + 1]);
		if (r != IP_PARSE_OK)
			return r;
		at += hdr[at + 1];
	}
	/* RFC 1122 3.3.5: a host may refuse source-routed datagrams; Skiff
	 * does not forward, so it refuses them all. */
	return o->srr ? IP_PARSE_SRCROUTE : IP_PARSE_OK;
}

size_t ip_options_for_fragment(const u8 *opts, size_t len, u8 *out)
{
	size_t at = 0, n = 0;

	while (at < len && opts[at] != IPOPT_END) {
		size_t olen = opts[at] == IPOPT_NOOP ? 1 : opts[at + 1];
		if (IPOPT_COPIED(opts[at])) {
			memcpy(out + n, opts + at, olen);
			n += olen;
		}
		at += olen;
	}
	while (n & 3)
		out[n++] = IPOPT_END;
	return n;
}

/* ---- emit ---------------------------------------------------------------- */

size_t ip_hdr_emit(const struct iphdr_info *h, u8 *buf)
{
	u16 frag = (u16)(h->frag_off_bytes / 8) & IP_OFFSET;
	size_t hlen = h->ihl_bytes;

	frag |= (h->reserved_flag ? IP_CE : 0) | (h->df ? IP_DF : 0) |
		(h->mf ? IP_MF : 0);
	buf[0] = (u8)(0x40 | (hlen / 4));
	buf[1] = h->tos;
	store_be16(buf + 2, h->tot_len);
	store_be16(buf + 4, h->id);
	store_be16(buf + 6, frag);
	buf[8] = h->ttl;
	buf[9] = h->protocol;
	store_be16(buf + 10, 0);
	store_be32(buf + 12, h->saddr);
	store_be32(buf + 16, h->daddr);
	memcpy(buf + IP_HLEN, h->options, h->opt.optlen);
	memset(buf + IP_HLEN + h->opt.optlen, IPOPT_END,
	       hlen - IP_HLEN - h->opt.optlen);
	store_be16(buf + 10, ip_fast_csum(buf, hlen));
	return hlen;
}
