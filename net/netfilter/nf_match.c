/*
 * nf_match.c - a datagram's fields for the filter (nf_pkt_parse) and the
 * test of one rule against them (nf_rule_match).
 *
 * nf_pkt_parse reads the IP header (RFC 791 3.1), then the first bytes of
 * TCP (RFC 9293 3.1), UDP (RFC 768) or ICMP (RFC 792); for an ICMP error
 * also the quoted datagram's addresses and ports, which conntrack uses to
 * find the flow the error is RELATED to. Every length is checked before
 * it is read; a later fragment or a short header has no transport fields
 * (p->l4 false) and fails every port, flag or type match, as in Linux.
 */
#include <skiff/net/ip.h>
#include <skiff/net/netfilter.h>
#include <errno.h>
#include <string.h>

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static bool icmp_is_error(u8 type)
{
	/* RFC 1122 3.2.2: the messages that quote a datagram. */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool icmp_is_query(u8 type)
{
	/* Echo and timestamp carry an identifier (RFC 792): conntrack keys
	 * the flow on it. */
	return type == 0 || type == 8 || type == 13 || type == 14;
}

/* The quoted datagram of an ICMP error: addresses and the first 8 bytes
 * (ports, or ICMP echo id), as conntrack's tuple. */
static void parse_inner(const u8 *q, u32 len, struct nf_pkt *p)
{
	if (len < 20 || (q[0] >> 4) != 4)
		return;
	u32 ihl = (u32)(q[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 8)
		return;
	struct nf_tuple *in = &p->inner;
	in->saddr = be32(q + 12);
	in->daddr = be32(q + 16);
	in->proto = q[9];
	const u8 *l4 = q + ihl;
	if (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) {
		in->sport = be16(l4);
		in->dport = be16(l4 + 2);
	} else if (in->proto == IPPROTO_ICMP && icmp_is_query(l4[0])) {
		in->sport = in->dport = be16(l4 + 4);
	} else if (in->proto == IPPROTO_ICMP) {
		return; /* an error about an error: nothing to relate */
	}
	p->icmp_err = true;
}

static void parse_l4(const u8 *l4, u32 len, struct nf_pkt *p)
{
	switch (p->t.proto) {
	case IPPROTO_TCP:
		if (len < 20)
			return;
		p->t.sport = be16(l4);
		p->t.dport = be16(l4 + 2);
		p->tcp_seq = be32(l4 + 4);
		p->tcp_ack = be32(l4 + 8);
		p->tcp_flags = l4[13] & 0x3f;
		u32 doff = (u32)(l4[12] >> 4) * 4;
		p->l4_payload = doff >= 20 && doff <= len ? len - doff : 0;
		p->l4 = true;
		return;
	case IPPROTO_UDP:
		if (len < 8)
			return;
		p->t.sport = be16(l4);
		p->t.dport = be16(l4 + 2);
		p->l4 = true;
		return;
	case IPPROTO_ICMP:
		if (len < 8)
			return;
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		if (icmp_is_query(p->icmp_type))
			p->t.sport = p->t.dport = be16(l4 + 4);
		else if (icmp_is_error(p->icmp_type))
			parse_inner(l4 + 8, len - 8, p);
		p->l4 = true;
		return;
	}
}

int nf_pkt_parse(const u8 *iph, u32 len, struct nf_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len < 20 || (iph[0] >> 4) != 4)
		return -EINVAL;
	u32 ihl = (u32)(iph[0] & 15) * 4;
	u32 tot = be16(iph + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return -EINVAL;
	p->tos = iph[1];
	p->len = tot;
	p->ip_id = be16(iph + 4);
	p->ttl = iph[8];
	p->t.proto = iph[9];
	p->t.saddr = be32(iph + 12);
	p->t.daddr = be32(iph + 16);
	/* A fragment other than the first has no transport header. */
	if (be16(iph + 6) & 0x1fff)
		return 0;
	parse_l4(iph + ihl, tot - ihl, p);
	return 0;
}

/* iptables' interface match: exact, or a prefix when the name ends in
 * '+' ("eth+"). A packet without that device never matches. */
static bool match_dev(const char *want, const char *have)
{
	if (!have)
		return false;
	size_t n = strlen(want);
	if (n && want[n - 1] == '+')
		return strncmp(want, have, n - 1) == 0;
	return strcmp(want, have) == 0;
}

static bool match_icmp(const struct nf_rule *r, const struct nf_pkt *p)
{
	if (p->icmp_type != r->icmp_type)
		return false;
	return r->icmp_code == NF_ICMP_ANY_CODE || p->icmp_code == r->icmp_code;
}

/* One match by flag; the caller applies '!'. */
static bool match_one(const struct nf_rule *r, const struct nf_pkt *p, u16 flag)
{
	switch (flag) {
	case NF_M_PROTO:
		return p->t.proto == r->proto;
	case NF_M_IN:
		return match_dev(r->in_dev, p->in);
	case NF_M_OUT:
		return match_dev(r->out_dev, p->out);
	case NF_M_SRC:
		return (p->t.saddr & r->src_mask) == r->src;
	case NF_M_DST:
		return (p->t.daddr & r->dst_mask) == r->dst;
	case NF_M_SPORT:
		return p->t.sport >= r->sport_lo && p->t.sport <= r->sport_hi;
	case NF_M_DPORT:
		return p->t.dport >= r->dport_lo && p->t.dport <= r->dport_hi;
	case NF_M_TCPFLAGS:
		return (p->tcp_flags & r->tcp_mask) == r->tcp_val;
	case NF_M_ICMP:
		return match_icmp(r, p);
	case NF_M_STATE:
		return (p->ct_state & r->ct_states) != 0;
	}
	return false;
}

/* Matches that read the transport header: without one they fail, even
 * inverted (Linux's xt_tcpudp drops the "hotdrop" case the same way). */
#define NF_M_L4 (NF_M_SPORT | NF_M_DPORT | NF_M_TCPFLAGS | NF_M_ICMP)

bool nf_rule_match(const struct nf_rule *r, const struct nf_pkt *p)
{
	u16 m = r->match;

	if ((m & NF_M_L4) && !p->l4)
		return false;
	/* The common refusal first: another protocol. */
	if ((m & NF_M_PROTO) && !(r->invert & NF_M_PROTO) &&
	    p->t.proto != r->proto)
		return false;
	/* The protocol first: the port, flag and type matches only mean
	 * something for the protocol the parser checked they came with. */
	for (u16 flag = NF_M_PROTO; flag <= NF_M_STATE; flag <<= 1) {
		if (!(m & flag))
			continue;
		bool hit = match_one(r, p, flag);
		if (hit == !!(r->invert & flag))
			return false;
	}
	return true;
}
