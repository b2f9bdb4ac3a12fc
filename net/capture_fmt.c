/*
 * capture_fmt.c - tcpdump-style one-line summaries of captured frames.
 *
 * capture_format -> timestamp -> Ethernet type
 *   -> fmt_ipv4 -> fmt_tcp (flags, seq/ack, window, options) | fmt_udp
 *               | fmt_icmp (echo, unreachable, time exceeded) | protocol
 *   -> fmt_arp (RFC 826 request/reply)
 * Every header is length-checked against caplen before it is read; a
 * short capture ends the line with tcpdump's "[|proto]" marker. Lengths
 * printed come from the headers (IP total length), as tcpdump's do.
 */
#include <skiff/net/capture_fmt.h>
#include <skiff/net/capture_filter.h>
#include <skiff/strbuf.h>
#include <string.h>

struct fmt {
	struct strbuf b;
	unsigned flags;
};

static u16 get16(const u8 *b)
{
	return (u16)(b[0] << 8 | b[1]);
}

static u32 get32(const u8 *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static void put_addr(struct fmt *f, const u8 *a)
{
	strbuf_printf(&f->b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void put_mac(struct fmt *f, const u8 *m)
{
	strbuf_printf(&f->b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		      m[3], m[4], m[5]);
}

static void put_port(struct fmt *f, u16 port)
{
	const char *name =
	    (f->flags & CAPFMT_NUMERIC) ? NULL : cf_port_name(port);
	if (name)
		strbuf_printf(&f->b, "%s", name);
	else
		strbuf_printf(&f->b, "%u", port);
}

/* "A.p > B.q: " */
static void put_endpoints(struct fmt *f, const u8 *ip, const u8 *l4)
{
	strbuf_printf(&f->b, "IP ");
	put_addr(f, ip + 12);
	strbuf_printf(&f->b, ".");
	put_port(f, get16(l4));
	strbuf_printf(&f->b, " > ");
	put_addr(f, ip + 16);
	strbuf_printf(&f->b, ".");
	put_port(f, get16(l4 + 2));
	strbuf_printf(&f->b, ": ");
}

/* ---- TCP (RFC 9293 3.1; options RFC 7323, 2018) ------------------------ */

/* tcpdump's order: FIN SYN RST PSH ACK URG ECE CWR. */
static void put_tcp_flags(struct fmt *f, u8 flags)
{
	static const struct {
		u8 bit;
		char c;
	} names[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
		     {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
	strbuf_printf(&f->b, "Flags [");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & names[i].bit)
			strbuf_printf(&f->b, "%c", names[i].c);
	if (!flags)
		strbuf_printf(&f->b, "none");
	strbuf_printf(&f->b, "]");
}

/* One option at o (n bytes left); its length, or 0 to stop. */
static u32 put_tcp_option(struct fmt *f, const u8 *o, u32 n)
{
	if (o[0] == 0) {
		strbuf_printf(&f->b, "eol");
		return 0;
	}
	if (o[0] == 1) {
		strbuf_printf(&f->b, "nop");
		return 1;
	}
	u32 len = n >= 2 ? o[1] : 0;
	if (len < 2 || len > n) {
		strbuf_printf(&f->b, "bad opt");
		return 0;
	}
	if (o[0] == 2 && len == 4)
		strbuf_printf(&f->b, "mss %u", get16(o + 2));
	else if (o[0] == 3 && len == 3)
		strbuf_printf(&f->b, "wscale %u", o[2]);
	else if (o[0] == 4 && len == 2)
		strbuf_printf(&f->b, "sackOK");
	else if (o[0] == 8 && len == 10)
		strbuf_printf(&f->b, "TS val %u ecr %u", get32(o + 2),
			      get32(o + 6));
	else if (o[0] == 5 && (len - 2) % 8 == 0) {
		strbuf_printf(&f->b, "sack %u", (len - 2) / 8);
		for (u32 i = 2; i < len; i += 8)
			strbuf_printf(&f->b, " {%u:%u}", get32(o + i),
				      get32(o + i + 4));
	} else {
		strbuf_printf(&f->b, "unknown-%u", o[0]);
	}
	return len;
}

static void put_tcp_options(struct fmt *f, const u8 *o, u32 n)
{
	strbuf_printf(&f->b, ", options [");
	for (u32 i = 0; i < n;) {
		if (i)
			strbuf_printf(&f->b, ",");
		u32 used = put_tcp_option(f, o + i, n - i);
		if (!used)
			break;
		i += used;
	}
	strbuf_printf(&f->b, "]");
}

/* th: the TCP header, avail bytes captured from it, seg_len from IP. */
static void fmt_tcp(struct fmt *f, const u8 *ip, const u8 *th, u32 avail,
		    u32 seg_len)
{
	if (avail < 20 || seg_len < 20) {
		strbuf_printf(&f->b, "IP ");
		put_addr(f, ip + 12);
		strbuf_printf(&f->b, " > ");
		put_addr(f, ip + 16);
		strbuf_printf(&f->b, ": [|tcp]");
		return;
	}
	u32 doff = (th[12] >> 4) * 4u;
	u8 flags = th[13];
	put_endpoints(f, ip, th);
	put_tcp_flags(f, flags);
	if (doff < 20 || doff > seg_len) {
		strbuf_printf(&f->b, ", bad hdr length %u", doff);
		return;
	}
	u32 data = seg_len - doff, seq = get32(th + 4);
	if (data || (flags & 0x07)) {
		strbuf_printf(&f->b, ", seq %u", seq);
		if (data)
			strbuf_printf(&f->b, ":%u", seq + data);
	}
	if (flags & 0x10)
		strbuf_printf(&f->b, ", ack %u", get32(th + 8));
	strbuf_printf(&f->b, ", win %u", get16(th + 14));
	if (flags & 0x20)
		strbuf_printf(&f->b, ", urg %u", get16(th + 18));
	if (doff > 20 && avail >= doff)
		put_tcp_options(f, th + 20, doff - 20);
	else if (doff > 20)
		strbuf_printf(&f->b, ", options [|tcp]");
	strbuf_printf(&f->b, ", length %u", data);
}

/* ---- UDP (RFC 768) ------------------------------------------------------- */

static void fmt_udp(struct fmt *f, const u8 *ip, const u8 *uh, u32 avail)
{
	if (avail < 8) {
		strbuf_printf(&f->b, "IP ");
		put_addr(f, ip + 12);
		strbuf_printf(&f->b, " > ");
		put_addr(f, ip + 16);
		strbuf_printf(&f->b, ": [|udp]");
		return;
	}
	put_endpoints(f, ip, uh);
	u16 ulen = get16(uh + 4);
	if (ulen < 8)
		strbuf_printf(&f->b, "UDP, bad length %u", ulen);
	else
		strbuf_printf(&f->b, "UDP, length %u", ulen - 8u);
}

/* ---- ICMP (RFC 792) ------------------------------------------------------ */

/* Destination unreachable: name what the quoted datagram could not reach. */
static void fmt_unreach(struct fmt *f, const u8 *ic, u32 avail)
{
	const u8 *inner = ic + 8;
	u32 ihl = avail >= 28 ? (inner[0] & 15) * 4u : 0;
	u8 code = ic[1];
	if (ihl < 20) {
		strbuf_printf(&f->b, "ICMP unreachable, code %u", code);
		return;
	}
	if (code == 3 && avail >= 8 + ihl + 4 &&
	    (inner[9] == 6 || inner[9] == 17)) {
		strbuf_printf(&f->b, "ICMP ");
		put_addr(f, inner + 16);
		strbuf_printf(&f->b, " %s port ",
			      inner[9] == 6 ? "tcp" : "udp");
		put_port(f, get16(inner + ihl + 2));
		strbuf_printf(&f->b, " unreachable");
	} else if (code == 0 || code == 1) {
		strbuf_printf(&f->b, "ICMP %s ", code ? "host" : "net");
		put_addr(f, inner + 16);
		strbuf_printf(&f->b, " unreachable");
	} else if (code == 2) {
		strbuf_printf(&f->b, "ICMP ");
		put_addr(f, inner + 16);
		strbuf_printf(&f->b, " protocol %u unreachable", inner[9]);
	} else if (code == 4) {
		strbuf_printf(&f->b, "ICMP ");
		put_addr(f, inner + 16);
		strbuf_printf(&f->b, " unreachable - need to frag (mtu %u)",
			      get16(ic + 6));
	} else {
		strbuf_printf(&f->b, "ICMP ");
		put_addr(f, inner + 16);
		strbuf_printf(&f->b, " unreachable - code %u", code);
	}
}

static void fmt_icmp_body(struct fmt *f, const u8 *ic, u32 avail)
{
	u8 type = ic[0];
	if ((type == 8 || type == 0) && avail >= 8)
		strbuf_printf(&f->b, "ICMP echo %s, id %u, seq %u",
			      type == 8 ? "request" : "reply", get16(ic + 4),
			      get16(ic + 6));
	else if (type == 3 && avail >= 8)
		fmt_unreach(f, ic, avail);
	else if (type == 11)
		strbuf_printf(&f->b, "ICMP %s",
			      ic[1] == 0 ? "time exceeded in-transit"
					 : "ip reassembly time exceeded");
	else
		strbuf_printf(&f->b, "ICMP type-#%u", type);
}

static void fmt_icmp(struct fmt *f, const u8 *ip, const u8 *ic, u32 avail,
		     u32 icmp_len)
{
	strbuf_printf(&f->b, "IP ");
	put_addr(f, ip + 12);
	strbuf_printf(&f->b, " > ");
	put_addr(f, ip + 16);
	strbuf_printf(&f->b, ": ");
	if (avail < 4) {
		strbuf_printf(&f->b, "[|icmp]");
		return;
	}
	fmt_icmp_body(f, ic, avail);
	strbuf_printf(&f->b, ", length %u", icmp_len);
}

/* ---- IPv4 (RFC 791) ------------------------------------------------------ */

static const char *ip_proto_name(u8 proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	default:
		return NULL;
	}
}

/* A later fragment, or a protocol without a printer. */
static void fmt_ip_other(struct fmt *f, const u8 *ip, bool frag, u32 len)
{
	const char *name =
	    (f->flags & CAPFMT_NUMERIC) ? NULL : ip_proto_name(ip[9]);
	strbuf_printf(&f->b, "IP ");
	put_addr(f, ip + 12);
	strbuf_printf(&f->b, " > ");
	put_addr(f, ip + 16);
	if (name)
		strbuf_printf(&f->b, ": %s", name);
	else
		strbuf_printf(&f->b, ": ip-proto-%u", ip[9]);
	if (!frag)
		strbuf_printf(&f->b, " %u", len);
}

static void fmt_ipv4(struct fmt *f, const u8 *ip, u32 avail)
{
	if (avail < 20 || ip[0] >> 4 != 4) {
		strbuf_printf(&f->b, "IP [|ip]");
		return;
	}
	u32 ihl = (ip[0] & 15) * 4u, tot = get16(ip + 2);
	if (ihl < 20 || tot < ihl) {
		strbuf_printf(&f->b, "IP bad-hlen %u", ihl);
		return;
	}
	bool later_frag = (get16(ip + 6) & 0x1fff) != 0;
	const u8 *l4 = ip + ihl;
	u32 l4_avail = avail > ihl ? MIN(avail, tot) - MIN(ihl, avail) : 0;
	if (later_frag)
		fmt_ip_other(f, ip, true, 0);
	else if (ip[9] == 6)
		fmt_tcp(f, ip, l4, l4_avail, tot - ihl);
	else if (ip[9] == 17)
		fmt_udp(f, ip, l4, l4_avail);
	else if (ip[9] == 1)
		fmt_icmp(f, ip, l4, l4_avail, tot - ihl);
	else
		fmt_ip_other(f, ip, false, tot - ihl);
}

/* ---- ARP (RFC 826) ------------------------------------------------------- */

static bool nonzero(const u8 *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return true;
	return false;
}

static void fmt_arp(struct fmt *f, const u8 *a, u32 avail, u32 len)
{
	if (avail < 8) {
		strbuf_printf(&f->b, "ARP, [|arp]");
		return;
	}
	u16 op = get16(a + 6);
	if (get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
	    avail < 28) {
		strbuf_printf(&f->b,
			      "ARP, hardware type %u, protocol 0x%04x, "
			      "opcode %u, length %u",
			      get16(a), get16(a + 2), op, len);
		return;
	}
	if (op == 1) {
		strbuf_printf(&f->b, "ARP, Request who-has ");
		put_addr(f, a + 24);
		if (nonzero(a + 18, 6)) {
			strbuf_printf(&f->b, " (");
			put_mac(f, a + 18);
			strbuf_printf(&f->b, ")");
		}
		strbuf_printf(&f->b, " tell ");
		put_addr(f, a + 14);
	} else if (op == 2) {
		strbuf_printf(&f->b, "ARP, Reply ");
		put_addr(f, a + 14);
		strbuf_printf(&f->b, " is-at ");
		put_mac(f, a + 8);
	} else {
		strbuf_printf(&f->b, "ARP, opcode %u", op);
	}
	strbuf_printf(&f->b, ", length %u", len);
}

size_t capture_format(char *out, size_t size, const u8 *frame, u32 caplen,
		      u32 len, u64 wall_ns, unsigned flags)
{
	struct fmt f = {.b = {out, size, 0}, .flags = flags};
	u64 day_s = wall_ns / 1000000000ULL % 86400;
	if (!size)
		return 0;
	out[0] = 0;
	strbuf_printf(&f.b, "%02llu:%02llu:%02llu.%06llu ", day_s / 3600,
		      day_s / 60 % 60, day_s % 60, wall_ns / 1000 % 1000000);
	if (caplen < 14) {
		strbuf_printf(&f.b, "[|ether]");
	} else {
		u16 type = get16(frame + 12);
		if (type == 0x0800)
			fmt_ipv4(&f, frame + 14, caplen - 14);
		else if (type == 0x0806)
			fmt_arp(&f, frame + 14, caplen - 14,
				len > 14 ? len - 14 : 0);
		else
			strbuf_printf(&f.b, "ethertype 0x%04x, length %u", type,
				      len);
	}
	return MIN(f.b.len, size - 1);
}
