/*
 * test_ip_wire.c - host tests for the pure IPv4/ICMP wire code and the
 * Internet checksum: net/checksum.c, net/ip_wire.c, net/icmp_wire.c.
 *
 * Golden byte arrays come from outside this code: RFC 1071's example,
 * the IPv4 header example everyone quotes (a UDP datagram 192.168.0.1 ->
 * 192.168.0.199, checksum 0xb861), and headers and messages built by
 * scapy 2.5 (IP(...)/ICMP(...) with the options named at each array).
 * Each is parsed, checked field by field, emitted, and compared byte for
 * byte. Then every validation rule of ip_hdr_parse and the options walk
 * (RFC 791 3.1) gets a malformed case with the expected verdict and
 * problem pointer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/icmp.h>
#include <skiff/net/icmp_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>

/* ---- golden data ----------------------------------------------------------
 */

/* The commonly quoted example header: UDP, 115 bytes, DF, TTL 64. */
static const u8 ip_plain_golden[20] = {
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0x1234, flags="DF",
 * ttl=64, proto=1, options=[IPOption_NOP(), IPOption_RR(pointer=4,
 * routers=["0.0.0.0"]*9)]) / ICMP(...) / 16 bytes: `ping -R`'s header. */
static const u8 ip_rr_golden[60] = {
    0x4f, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x6a, 0x42,
    0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x01, 0x07, 0x27, 0x04,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0xbeef, flags=0,
 * frag=185, ttl=64, proto=17, len=1020): a last fragment at 1480. */
static const u8 ip_frag_last_golden[20] = {
    0x45, 0x00, 0x03, 0xfc, 0xbe, 0xef, 0x00, 0xb9, 0x40, 0x11,
    0x2b, 0x21, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
};

/* scapy: ICMP(type=8, id=0x1234, seq=1) / bytes 0..55 (ping's 56). */
static const u8 icmp_echo_golden[64] = {
    0x08, 0x00, 0xee, 0xb7, 0x12, 0x34, 0x00, 0x01, 0x00, 0x01, 0x02,
    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
    0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
    0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
    0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* scapy: IP(src="198.18.0.1", dst="198.18.0.2", id=0x4321) /
 * UDP(sport=40000, dport=9) / b"hello": UDP checksum 0x9390. */
static const u8 udp_golden[33] = {
    0x45, 0x00, 0x00, 0x21, 0x43, 0x21, 0x00, 0x00, 0x40, 0x11, 0xab,
    0x83, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40,
    0x00, 0x09, 0x00, 0x0d, 0x93, 0x90, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* ---- checksum -------------------------------------------------------------
 */

/* RFC 1071 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2. */
static void test_csum_rfc1071_example(void **state)
{
	static const u8 b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(csum_fold(csum_partial(b, 8, 0)), (u16)~0xddf2);
	assert_int_equal(ip_fast_csum(ip_plain_golden, 20), 0);
	assert_int_equal(ip_fast_csum(ip_rr_golden, 60), 0);
}

/* The obvious big-endian word loop of RFC 1071 4.1. */
static u16 ref_csum(const u8 *p, size_t len)
{
	u32 sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (u32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

/* Random lengths (odd too) at every alignment, and chaining of an even
 * first piece, against the reference. */
static void test_csum_random_against_reference(void **state)
{
	static u8 buf[4096 + 8];
	u32 seed = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (u8)(seed >> 16);
	}
	for (int iter = 0; iter < 2000; iter++) {
		seed = seed * 1103515245u + 12345u;
		size_t off = seed % 8, len = (seed >> 8) % 4096;
		const u8 *p = buf + off;
		assert_int_equal(csum_fold(csum_partial(p, len, 0)),
				 ref_csum(p, len));
		size_t cut = ((seed >> 20) % (len + 1)) & ~(size_t)1;
		u32 s = csum_partial(p, cut, 0);
		assert_int_equal(csum_fold(csum_partial(p + cut, len - cut, s)),
				 ref_csum(p, len));
	}
	/* All-ones data: the sum is 0xffff ("negative zero"), checksum 0. */
	memset(buf, 0xff, 64);
	assert_int_equal(csum_fold(csum_partial(buf, 64, 0)), 0);
}

/* The UDP checksum of scapy's datagram verifies through the pseudo-header
 * sum (RFC 768), and recomputing it gives scapy's value. */
static void test_csum_udp_pseudo_header(void **state)
{
	u8 udp[13];
	u32 saddr = IPV4(198, 18, 0, 1), daddr = IPV4(198, 18, 0, 2);

	(void)state;
	memcpy(udp, udp_golden + 20, sizeof(udp));
	u32 ph = csum_tcpudp_nofold(saddr, daddr, sizeof(udp), IPPROTO_UDP, 0);
	assert_int_equal(csum_fold(csum_partial(udp, sizeof(udp), ph)), 0);
	udp[6] = udp[7] = 0;
	assert_int_equal(csum_fold(csum_partial(udp, sizeof(udp), ph)), 0x9390);
}

/* ---- IPv4 header: golden round trips --------------------------------------
 */

static void emit_and_compare(const struct iphdr_info *h, const u8 *golden,
			     size_t len)
{
	u8 out[IP_MAX_HLEN];

	memset(out, 0xaa, sizeof(out));
	assert_int_equal(ip_hdr_emit(h, out), len);
	assert_memory_equal(out, golden, len);
}

static void test_ip_golden_plain(void **state)
{
	struct iphdr_info h;
	u8 problem = 0;
	u8 buf[0x73] = {0};

	(void)state;
	memcpy(buf, ip_plain_golden, 20);
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_OK);
	assert_int_equal(h.version, 4);
	assert_int_equal(h.ihl_bytes, 20);
	assert_int_equal(h.tos, 0);
	assert_int_equal(h.tot_len, 0x73);
	assert_int_equal(h.id, 0);
	assert_true(h.df);
	assert_false(h.mf);
	assert_int_equal(h.frag_off_bytes, 0);
	assert_int_equal(h.ttl, 64);
	assert_int_equal(h.protocol, IPPROTO_UDP);
	assert_int_equal(h.check, 0xb861);
	assert_int_equal(h.saddr, IPV4(192, 168, 0, 1));
	assert_int_equal(h.daddr, IPV4(192, 168, 0, 199));
	assert_int_equal(h.opt.optlen, 0);
	emit_and_compare(&h, ip_plain_golden, 20);
}

static void test_ip_golden_record_route(void **state)
{
	struct iphdr_info h;
	u8 buf[0x54] = {0}, problem = 0;

	(void)state;
	memcpy(buf, ip_rr_golden, 60);
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_OK);
	assert_int_equal(h.ihl_bytes, 60);
	assert_int_equal(h.opt.optlen, 40);
	assert_int_equal(h.opt.rr, 21); /* after the NOP at 20 */
	assert_int_equal(h.opt.ts, 0);
	assert_int_equal(h.opt.srr, 0);
	assert_int_equal(h.id, 0x1234);
	assert_int_equal(h.protocol, IPPROTO_ICMP);
	emit_and_compare(&h, ip_rr_golden, 60);
}

static void test_ip_golden_fragment(void **state)
{
	static u8 buf[1020];
	struct iphdr_info h;
	u8 problem = 0;

	(void)state;
	memcpy(buf, ip_frag_last_golden, 20);
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_OK);
	assert_false(h.mf);
	assert_false(h.df);
	assert_int_equal(h.frag_off_bytes, 1480);
	assert_int_equal(h.id, 0xbeef);
	emit_and_compare(&h, ip_frag_last_golden, 20);
	/* Built from scratch (not parsed) it gives the same bytes. */
	struct iphdr_info n = {.version = 4,
			       .ihl_bytes = 20,
			       .tot_len = 1020,
			       .id = 0xbeef,
			       .frag_off_bytes = 1480,
			       .ttl = 64,
			       .protocol = IPPROTO_UDP,
			       .saddr = IPV4(198, 18, 0, 1),
			       .daddr = IPV4(198, 18, 0, 2)};
	emit_and_compare(&n, ip_frag_last_golden, 20);
}

/* ---- IPv4 header: validation ----------------------------------------------
 */

/* A header of hlen bytes (options from opts, padded with EOL) inside a
 * datagram of tot bytes in buf, with a valid checksum. */
static size_t make_hdr(u8 *buf, const u8 *opts, size_t optlen, size_t tot)
{
	size_t hlen = IP_HLEN + ((optlen + 3) & ~(size_t)3);

	memset(buf, 0, tot);
	buf[0] = (u8)(0x40 | hlen / 4);
	store_be16(buf + 2, (u16)tot);
	buf[8] = 64;
	buf[9] = IPPROTO_UDP;
	store_be32(buf + 12, IPV4(198, 18, 0, 1));
	store_be32(buf + 16, IPV4(198, 18, 0, 2));
	if (optlen)
		memcpy(buf + IP_HLEN, opts, optlen);
	store_be16(buf + 10, ip_fast_csum(buf, hlen));
	return hlen;
}

static enum ip_parse_result parse_opts(const u8 *opts, size_t optlen,
				       u8 *problem)
{
	u8 buf[128];
	struct iphdr_info h;

	make_hdr(buf, opts, optlen, sizeof(buf));
	*problem = 0;
	return ip_hdr_parse(buf, sizeof(buf), &h, problem);
}

static void test_ip_parse_errors(void **state)
{
	u8 buf[100], problem;
	struct iphdr_info h;

	(void)state;
	make_hdr(buf, NULL, 0, sizeof(buf));
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_OK);
	assert_int_equal(ip_hdr_parse(buf, 19, &h, &problem), IP_PARSE_SHORT);
	assert_int_equal(ip_hdr_parse(buf, 0, &h, &problem), IP_PARSE_SHORT);
	/* Total length larger than what arrived: truncated. */
	assert_int_equal(ip_hdr_parse(buf, 99, &h, &problem),
			 IP_PARSE_TRUNCATED);
	/* More bytes than the total length (link padding) is fine. */
	make_hdr(buf, NULL, 0, 46);
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_OK);
	assert_int_equal(h.tot_len, 46);

	make_hdr(buf, NULL, 0, sizeof(buf));
	buf[0] = 0x65; /* version 6 */
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_VERSION);
	buf[0] = 0x44; /* IHL 4 */
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_IHL);
	buf[0] = 0x40; /* IHL 0 */
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_IHL);
	buf[0] = 0x4f; /* IHL 15 = 60 bytes, but only 40 present */
	assert_int_equal(ip_hdr_parse(buf, 40, &h, &problem), IP_PARSE_SHORT);

	make_hdr(buf, NULL, 0, sizeof(buf));
	buf[8] ^= 1; /* TTL changed, checksum not */
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_CSUM);

	make_hdr(buf, NULL, 0, sizeof(buf));
	store_be16(buf + 2, 19); /* total length below the header */
	store_be16(buf + 10, 0);
	store_be16(buf + 10, ip_fast_csum(buf, 20));
	assert_int_equal(ip_hdr_parse(buf, sizeof(buf), &h, &problem),
			 IP_PARSE_TOT_LEN);
}

static void test_ip_options_walk(void **state)
{
	u8 p;

	(void)state;
	/* EOL first: the rest is ignored, even garbage. */
	const u8 eol[] = {IPOPT_END, 0x99, 0x00, 0x01};
	assert_int_equal(parse_opts(eol, sizeof(eol), &p), IP_PARSE_OK);
	const u8 nops[] = {1, 1, 1, 1, 1, 1, 1, 1};
	assert_int_equal(parse_opts(nops, sizeof(nops), &p), IP_PARSE_OK);
	/* An unknown option is skipped by its length. */
	const u8 unknown[] = {0x5e, 4, 0xde, 0xad};
	assert_int_equal(parse_opts(unknown, sizeof(unknown), &p), IP_PARSE_OK);
	/* Length 0 and 1 are malformed: the pointer names the length. */
	const u8 len0[] = {0x5e, 0, 0, 0};
	assert_int_equal(parse_opts(len0, sizeof(len0), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 21);
	const u8 len1[] = {1, 0x5e, 1, 0};
	assert_int_equal(parse_opts(len1, sizeof(len1), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 22);
	/* A length past the header. */
	const u8 past[] = {1, 1, 0x5e, 3};
	assert_int_equal(parse_opts(past, sizeof(past), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 23);
	/* A type byte alone at the very end (no room for its length). */
	const u8 alone[] = {1, 1, 1, 0x5e};
	assert_int_equal(parse_opts(alone, sizeof(alone), &p),
			 IP_PARSE_OPTIONS);
	assert_int_equal(p, 23);
	/* Router alert: accepted and noted. */
	const u8 ra[] = {IPOPT_RA, 4, 0, 0};
	assert_int_equal(parse_opts(ra, sizeof(ra), &p), IP_PARSE_OK);
	const u8 ra_short[] = {IPOPT_RA, 2, 1, 1};
	assert_int_equal(parse_opts(ra_short, sizeof(ra_short), &p),
			 IP_PARSE_OPTIONS);
	assert_int_equal(p, 21);
}

static void test_ip_options_record_route(void **state)
{
	u8 p;

	(void)state;
	/* Room for two addresses, pointer at the first: fine. */
	const u8 rr[] = {IPOPT_RR, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	assert_int_equal(parse_opts(rr, sizeof(rr), &p), IP_PARSE_OK);
	/* Full (pointer past the end): still legal. */
	const u8 full[] = {IPOPT_RR, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 1};
	assert_int_equal(parse_opts(full, sizeof(full), &p), IP_PARSE_OK);
	/* Pointer below 4. */
	const u8 low[] = {IPOPT_RR, 7, 3, 0, 0, 0, 0, 1};
	assert_int_equal(parse_opts(low, sizeof(low), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 22);
	/* Pointer inside but without room for a whole address. */
	const u8 noroom[] = {IPOPT_RR, 9, 8, 0, 0, 0, 0, 0, 0, 1, 1, 1};
	assert_int_equal(parse_opts(noroom, sizeof(noroom), &p),
			 IP_PARSE_OPTIONS);
	assert_int_equal(p, 22);
	/* Too short to have a pointer. */
	const u8 tiny[] = {IPOPT_RR, 2, 1, 1};
	assert_int_equal(parse_opts(tiny, sizeof(tiny), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 21);
	/* Twice. */
	const u8 twice[] = {IPOPT_RR, 7, 4, 0, 0, 0, 0,
			    IPOPT_RR, 7, 4, 0, 0, 0, 0};
	assert_int_equal(parse_opts(twice, sizeof(twice), &p),
			 IP_PARSE_OPTIONS);
	assert_int_equal(p, 27);
}

static void test_ip_options_timestamp(void **state)
{
	u8 p;

	(void)state;
	const u8 ts[] = {IPOPT_TS, 12, 5, IPOPT_TS_TSONLY, 0, 0, 0, 0, 0,
			 0,	   0,  0};
	assert_int_equal(parse_opts(ts, sizeof(ts), &p), IP_PARSE_OK);
	/* Address and timestamp pairs: 8 bytes per entry. */
	const u8 pairs[] = {IPOPT_TS, 12, 5, IPOPT_TS_TSANDADDR, 0, 0, 0, 0, 0,
			    0,	      0,  0};
	assert_int_equal(parse_opts(pairs, sizeof(pairs), &p), IP_PARSE_OK);
	/* ... pointing where only 4 bytes are left. */
	const u8 half[] = {IPOPT_TS, 12, 9, IPOPT_TS_TSANDADDR, 0, 0, 0, 0, 0,
			   0,	     0,	 0};
	assert_int_equal(parse_opts(half, sizeof(half), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 22);
	/* Full, overflow counter 3: legal. Overflow 15: it would wrap. */
	const u8 full[] = {IPOPT_TS, 8, 9, 0x30, 0, 0, 0, 0};
	assert_int_equal(parse_opts(full, sizeof(full), &p), IP_PARSE_OK);
	const u8 ovf[] = {IPOPT_TS, 8, 9, 0xf0, 0, 0, 0, 0};
	assert_int_equal(parse_opts(ovf, sizeof(ovf), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 23);
	/* Length below 4; pointer below 5. */
	const u8 short_len[] = {IPOPT_TS, 3, 5, 1};
	assert_int_equal(parse_opts(short_len, sizeof(short_len), &p),
			 IP_PARSE_OPTIONS);
	assert_int_equal(p, 21);
	const u8 low[] = {IPOPT_TS, 8, 4, 0, 0, 0, 0, 0};
	assert_int_equal(parse_opts(low, sizeof(low), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 22);
}

static void test_ip_options_source_route(void **state)
{
	u8 p;

	(void)state;
	/* Well-formed loose and strict source routes: refused. */
	const u8 lsrr[] = {1, IPOPT_LSRR, 7, 4, 10, 0, 0, 1};
	assert_int_equal(parse_opts(lsrr, sizeof(lsrr), &p), IP_PARSE_SRCROUTE);
	const u8 ssrr[] = {1, IPOPT_SSRR, 7, 4, 10, 0, 0, 1};
	assert_int_equal(parse_opts(ssrr, sizeof(ssrr), &p), IP_PARSE_SRCROUTE);
	/* Malformed ones are malformed first. */
	const u8 bad[] = {IPOPT_LSRR, 7, 2, 0, 0, 0, 0, 1};
	assert_int_equal(parse_opts(bad, sizeof(bad), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 22);
	const u8 two[] = {IPOPT_LSRR, 3, 4, IPOPT_SSRR, 3, 4, 1, 1};
	assert_int_equal(parse_opts(two, sizeof(two), &p), IP_PARSE_OPTIONS);
	assert_int_equal(p, 23);
	/* A source route behind a malformed option: malformed wins. */
	const u8 both[] = {IPOPT_LSRR, 3, 4, 0x5e, 0, 1, 1, 1};
	assert_int_equal(parse_opts(both, sizeof(both), &p), IP_PARSE_OPTIONS);
}

/* RFC 791 3.2: fragments after the first carry only "copied" options. */
static void test_ip_options_for_fragment(void **state)
{
	/* NOP, RR (not copied), security (130, copied), then EOL. */
	const u8 opts[20] = {1,	   IPOPT_RR,  7,  4,	0,    0,	0,
			     0,	   IPOPT_SEC, 11, 0xaa, 0xbb, 0xcc,	0xdd,
			     0xee, 0xff,      1,  2,	3,    IPOPT_END};
	u8 out[IP_MAX_OPTLEN];

	(void)state;
	size_t n = ip_options_for_fragment(opts, sizeof(opts), out);
	assert_int_equal(n, 12);
	assert_memory_equal(out, opts + 8, 11);
	assert_int_equal(out[11], IPOPT_END);
	assert_int_equal(ip_options_for_fragment(opts, 8, out), 0);
}

static void test_ip_parse_quoted(void **state)
{
	struct iphdr_info h;
	u8 buf[28];

	(void)state;
	memcpy(buf, ip_plain_golden, 20);
	memset(buf + 20, 0, 8);
	/* Only 28 of 115 bytes quoted: fine for a quote. */
	assert_int_equal(ip_hdr_parse_quoted(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.daddr, IPV4(192, 168, 0, 199));
	assert_int_equal(ip_hdr_parse_quoted(buf, 19, &h), -EINVAL);
	buf[0] = 0x46; /* IHL 6 needs 24 bytes */
	assert_int_equal(ip_hdr_parse_quoted(buf, 23, &h), -EINVAL);
	buf[0] = 0x55;
	assert_int_equal(ip_hdr_parse_quoted(buf, sizeof(buf), &h), -EINVAL);
}

/* ---- ICMP -----------------------------------------------------------------
 */

static void test_icmp_golden_echo(void **state)
{
	struct icmphdr_info h;
	u8 out[64];

	(void)state;
	assert_int_equal(icmp_parse(icmp_echo_golden, 64, &h), 0);
	assert_int_equal(h.type, ICMP_ECHO);
	assert_int_equal(h.code, 0);
	assert_int_equal(h.checksum, 0xeeb7);
	assert_int_equal(icmp_echo_id(&h), 0x1234);
	assert_int_equal(icmp_echo_seq(&h), 1);
	memcpy(out + ICMP_HLEN, icmp_echo_golden + ICMP_HLEN, 56);
	memset(out, 0x55, ICMP_HLEN);
	assert_int_equal(icmp_emit(&h, out, 56), ICMP_HLEN);
	assert_memory_equal(out, icmp_echo_golden, 64);
	/* The reply differs only in type and checksum (0xf6b7, scapy). */
	h.type = ICMP_ECHOREPLY;
	icmp_emit(&h, out, 56);
	assert_int_equal(out[0], 0);
	assert_int_equal(load_be16(out + 2), 0xf6b7);
}

static void test_icmp_parse_errors(void **state)
{
	struct icmphdr_info h;
	u8 msg[64];

	(void)state;
	assert_int_equal(icmp_parse(icmp_echo_golden, 7, &h), -EINVAL);
	memcpy(msg, icmp_echo_golden, 64);
	msg[40] ^= 0x80;
	assert_int_equal(icmp_parse(msg, 64, &h), -EBADMSG);
	/* A message cut short no longer checks out either. */
	assert_int_equal(icmp_parse(icmp_echo_golden, 63, &h), -EBADMSG);
	/* Queries versus errors (RFC 1122 3.2.2). */
	assert_false(icmp_type_is_error(ICMP_ECHO));
	assert_false(icmp_type_is_error(ICMP_ECHOREPLY));
	assert_false(icmp_type_is_error(13));
	assert_true(icmp_type_is_error(ICMP_DEST_UNREACH));
	assert_true(icmp_type_is_error(ICMP_TIME_EXCEEDED));
	assert_true(icmp_type_is_error(ICMP_PARAMETERPROB));
	assert_true(icmp_type_is_error(5));
	assert_true(icmp_type_is_error(200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_rfc1071_example),
	    cmocka_unit_test(test_csum_random_against_reference),
	    cmocka_unit_test(test_csum_udp_pseudo_header),
	    cmocka_unit_test(test_ip_golden_plain),
	    cmocka_unit_test(test_ip_golden_record_route),
	    cmocka_unit_test(test_ip_golden_fragment),
	    cmocka_unit_test(test_ip_parse_errors),
	    cmocka_unit_test(test_ip_options_walk),
	    cmocka_unit_test(test_ip_options_record_route),
	    cmocka_unit_test(test_ip_options_timestamp),
	    cmocka_unit_test(test_ip_options_source_route),
	    cmocka_unit_test(test_ip_options_for_fragment),
	    cmocka_unit_test(test_ip_parse_quoted),
	    cmocka_unit_test(test_icmp_golden_echo),
	    cmocka_unit_test(test_icmp_parse_errors),
	};

	return cmocka_run_group_tests_name("ip_wire", tests, NULL, NULL);
}
