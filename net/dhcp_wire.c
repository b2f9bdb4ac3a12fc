/*
 * dhcp_wire.c - DHCP messages to and from bytes (RFC 2131 2, RFC 2132).
 *
 *   dhcp_parse: fixed header -> magic -> options field -> (option 52)
 *               file, then sname -> each option through dhcp_opt_apply
 *   dhcp_emit:  fixed header -> magic -> our options -> END -> padding
 *
 * The layout (RFC 2131 figure 1), offsets in bytes:
 *   0 op, 1 htype, 2 hlen, 3 hops, 4 xid, 8 secs, 10 flags, 12 ciaddr,
 *   16 yiaddr, 20 siaddr, 24 giaddr, 28 chaddr[16], 44 sname[64],
 *   108 file[128], 236 magic cookie, 240 options.
 */
#include <skiff/net/dhcp_wire.h>
#include <errno.h>
#include <string.h>

#define OFF_SNAME 44
#define SNAME_LEN 64
#define OFF_FILE 108
#define FILE_LEN 128

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static void put32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

int dhcp_mask_prefix(u32 mask)
{
	int n = 0;
	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	/* Contiguous: nothing set below the leading ones. */
	if (n < 32 && (mask << n) != 0)
		return -1;
	return n;
}

/* A list of addresses: a non-zero multiple of 4 bytes; extras dropped. */
static int opt_addr_list(const u8 *v, u8 len, u32 *out, u8 *count, u8 max)
{
	if (len == 0 || len % 4)
		return -EBADMSG;
	*count = 0;
	for (u8 i = 0; i < len / 4 && *count < max; i++)
		out[(*count)++] = get32(v + 4 * i);
	return 0;
}

/* Printable text of 1..cap-1 bytes (hostname, message); NUL ends early. */
static int opt_text(const u8 *v, u8 len, char *out, size_t cap)
{
	size_t n = 0;
	while (n < len && v[n])
		n++;
	if (n == 0 || n >= cap)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return -EBADMSG;
	memcpy(out, v, n);
	out[n] = 0;
	return 0;
}

/* A 4-byte option: its value and its DHCP_HAS_ bit. */
static int opt_u32(const u8 *v, u8 len, u32 *out, u16 *has, u16 bit)
{
	if (len != 4)
		return -EBADMSG;
	*out = get32(v);
	*has |= bit;
	return 0;
}

/* One option whose code and length are known to lie inside the buffer. */
static int dhcp_opt_apply(struct dhcp_msg *m, u8 code, const u8 *v, u8 len)
{
	switch (code) {
	case DHO_MSG_TYPE:
		if (len != 1 || v[0] < DHCPDISCOVER || v[0] > DHCPINFORM)
			return -EBADMSG;
		m->type = v[0];
		return 0;
	case DHO_SUBNET_MASK:
		if (opt_u32(v, len, &m->subnet_mask, &m->has, DHCP_HAS_MASK))
			return -EBADMSG;
		return dhcp_mask_prefix(m->subnet_mask) < 0 ? -EBADMSG : 0;
	case DHO_ROUTERS:
		return opt_addr_list(v, len, m->routers, &m->router_count,
				     DHCP_MAX_ROUTERS);
	case DHO_DNS:
		return opt_addr_list(v, len, m->dns, &m->dns_count,
				     DHCP_MAX_DNS);
	case DHO_HOSTNAME:
		return opt_text(v, len, m->hostname, sizeof(m->hostname));
	case DHO_MESSAGE:
		return opt_text(v, len, m->message, sizeof(m->message));
	case DHO_MTU:
		/* RFC 2132 5.1: the minimum legal value is 68. */
		if (len != 2 || get16(v) < 68)
			return -EBADMSG;
		m->mtu = get16(v);
		m->has |= DHCP_HAS_MTU;
		return 0;
	case DHO_LEASE_TIME:
		return opt_u32(v, len, &m->lease_s, &m->has, DHCP_HAS_LEASE);
	case DHO_T1:
		return opt_u32(v, len, &m->t1_s, &m->has, DHCP_HAS_T1);
	case DHO_T2:
		return opt_u32(v, len, &m->t2_s, &m->has, DHCP_HAS_T2);
	case DHO_SERVER_ID:
		return opt_u32(v, len, &m->server_id, &m->has,
			       DHCP_HAS_SERVER_ID);
	case DHO_REQUESTED_IP:
		return opt_u32(v, len, &m->requested_ip, &m->has,
			       DHCP_HAS_REQUESTED_IP);
	default:
		return 0; /* not ours: skipped */
	}
}

/*
 * Walk one options area of len bytes. It must end with END (RFC 2131 4.1:
 * "the options field ... terminated by END"; the same in an overloaded
 * file or sname). *overload gets option 52 when allowed (the main field
 * only, RFC 2132 9.3), else it is ignored.
 */
static int dhcp_opts_walk(struct dhcp_msg *m, const u8 *p, size_t len,
			  u8 *overload)
{
	size_t i = 0;
	while (i < len) {
		u8 code = p[i];
		if (code == DHO_END)
			return 0;
		if (code == DHO_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || p[i + 1] > len - i - 2)
			return -EBADMSG; /* length past the area */
		u8 olen = p[i + 1];
		const u8 *v = p + i + 2;
		if (code == DHO_OVERLOAD) {
			if (olen != 1 || v[0] < 1 || v[0] > 3)
				return -EBADMSG;
			if (overload)
				*overload = v[0];
		} else if (dhcp_opt_apply(m, code, v, olen)) {
			return -EBADMSG;
		}
		i += 2 + (size_t)olen;
	}
	return -EBADMSG; /* no END */
}

static void dhcp_parse_fixed(const u8 *b, struct dhcp_msg *m)
{
	m->op = b[0];
	m->xid = get32(b + 4);
	m->secs = get16(b + 8);
	m->flags = get16(b + 10);
	m->ciaddr = get32(b + 12);
	m->yiaddr = get32(b + 16);
	m->siaddr = get32(b + 20);
	m->giaddr = get32(b + 24);
	memcpy(m->chaddr, b + 28, 6);
}

int dhcp_parse(const u8 *buf, size_t len, struct dhcp_msg *m)
{
	u8 overload = 0;

	memset(m, 0, sizeof(*m));
	if (!buf || len < DHCP_MIN_LEN)
		return -EBADMSG;
	/* Ethernet only (RFC 1700 htype 1, hlen 6). */
	if ((buf[0] != BOOTREQUEST && buf[0] != BOOTREPLY) || buf[1] != 1 ||
	    buf[2] != 6 || get32(buf + DHCP_FIXED_LEN) != DHCP_MAGIC)
		return -EBADMSG;
	dhcp_parse_fixed(buf, m);
	if (dhcp_opts_walk(m, buf + DHCP_MIN_LEN, len - DHCP_MIN_LEN,
			   &overload))
		return -EBADMSG;
	/* RFC 2131 4.1: with overload, file's options first, then sname's. */
	if ((overload & 1) && dhcp_opts_walk(m, buf + OFF_FILE, FILE_LEN, NULL))
		return -EBADMSG;
	if ((overload & 2) &&
	    dhcp_opts_walk(m, buf + OFF_SNAME, SNAME_LEN, NULL))
		return -EBADMSG;
	return 0;
}

/* ---- emit ---------------------------------------------------------------- */

struct opt_writer {
	u8 *p;
	size_t off, cap;
	bool overflow;
};

static void opt_put(struct opt_writer *w, u8 code, const void *v, u8 len)
{
	if (w->off + 2 + len > w->cap) {
		w->overflow = true;
		return;
	}
	w->p[w->off] = code;
	w->p[w->off + 1] = len;
	memcpy(w->p + w->off + 2, v, len);
	w->off += 2 + (size_t)len;
}

static void opt_put32(struct opt_writer *w, u8 code, u32 v)
{
	u8 b[4];
	put32(b, v);
	opt_put(w, code, b, 4);
}

static void dhcp_emit_fixed(const struct dhcp_msg *m, u8 *b)
{
	memset(b, 0, DHCP_MIN_LEN);
	b[0] = m->op ? m->op : BOOTREQUEST;
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	put32(b + 4, m->xid);
	put16(b + 8, m->secs);
	put16(b + 10, m->flags);
	put32(b + 12, m->ciaddr);
	put32(b + 16, m->yiaddr);
	put32(b + 20, m->siaddr);
	put32(b + 24, m->giaddr);
	memcpy(b + 28, m->chaddr, 6);
	put32(b + DHCP_FIXED_LEN, DHCP_MAGIC);
}

static void dhcp_emit_options(const struct dhcp_msg *m, struct opt_writer *w)
{
	/* What we apply (RFC 2132 9.8), in the order of the request. */
	static const u8 params[] = {
	    DHO_SUBNET_MASK, DHO_ROUTERS,    DHO_DNS, DHO_HOSTNAME,
	    DHO_MTU,	     DHO_LEASE_TIME, DHO_T1,  DHO_T2};
	u8 client_id[7] = {1};
	u8 max_size[2];

	opt_put(w, DHO_MSG_TYPE, &m->type, 1);
	memcpy(client_id + 1, m->chaddr, 6);
	opt_put(w, DHO_CLIENT_ID, client_id, sizeof(client_id));
	if (m->has & DHCP_HAS_REQUESTED_IP)
		opt_put32(w, DHO_REQUESTED_IP, m->requested_ip);
	if (m->has & DHCP_HAS_SERVER_ID)
		opt_put32(w, DHO_SERVER_ID, m->server_id);
	if (m->type == DHCPDECLINE || m->type == DHCPRELEASE)
		return;	      /* RFC 2131 table 5: nothing more in these two */
	put16(max_size, 576); /* RFC 2131 2: what every client must take */
	opt_put(w, DHO_MAX_MSG_SIZE, max_size, 2);
	opt_put(w, DHO_PARAM_LIST, params, sizeof(params));
	size_t hl = strnlen(m->hostname, sizeof(m->hostname) - 1);
	if (hl)
		opt_put(w, DHO_HOSTNAME, m->hostname, (u8)hl);
}

int dhcp_emit(const struct dhcp_msg *m, u8 *buf, size_t cap)
{
	if (cap < DHCP_EMIT_LEN)
		return -ENOSPC;
	dhcp_emit_fixed(m, buf);
	/* One byte kept for END. */
	struct opt_writer w = {.p = buf, .off = DHCP_MIN_LEN, .cap = cap - 1};
	dhcp_emit_options(m, &w);
	if (w.overflow)
		return -ENOSPC;
	buf[w.off++] = DHO_END;
	if (w.off < DHCP_EMIT_LEN) {
		memset(buf + w.off, 0, DHCP_EMIT_LEN - w.off);
		w.off = DHCP_EMIT_LEN;
	}
	return (int)w.off;
}
