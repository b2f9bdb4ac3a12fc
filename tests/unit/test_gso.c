/*
 * test_gso.c - host tests for net/gso.c: the TCP/IPv4 GSO header math
 * (parse, segment count and lengths, per-segment IP length/ID/checksum,
 * sequence numbers, FIN/PSH/CWR placement, pseudo-header sums), software
 * segmentation (payload slices reassemble to the original, every segment
 * a valid packet once its checksum is completed), checksum completion,
 * and validate_xmit_skb for a device with TSO, with checksum offload
 * only, and with neither. Nothing leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/gso.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

#include "../host/host.h"
#include "skb_fixture.h"

#define SADDR 0xc6120002u /* 198.18.0.2 */
#define DADDR 0xc6120001u /* 198.18.0.1 */
#define TCP_OFF (ETH_HLEN + 20)
#define TCP_HLEN 32 /* 12 bytes of timestamp options */
#define HDR_LEN (TCP_OFF + TCP_HLEN)
#define SEQ 0x10000000u
#define MSS 1448u
#define HEADROOM 128

/* Payload byte i: a pattern that shows a misplaced slice. */
static u8 pattern(u32 i)
{
	return (u8)(i * 7 + (i >> 8));
}

/* A TCP/IPv4 frame as TCP leaves it: CHECKSUM_PARTIAL, the field holding
 * the pseudo-header sum, flags given, payload bytes of the pattern. */
static struct sk_buff *make_frame(u32 payload, u8 flags, u16 gso_size)
{
	struct sk_buff *skb = alloc_skb(HEADROOM + HDR_LEN + payload);
	assert_non_null(skb);
	skb_reserve(skb, HEADROOM);
	u8 *p = skb_put(skb, HDR_LEN + payload);
	memset(p, 0, HDR_LEN);
	memset(p, 0x02, 6);
	store_be16(p + 12, 0x0800);
	u8 *ip = p + ETH_HLEN;
	ip[0] = 0x45;
	store_be16(ip + 2, (u16)(20 + TCP_HLEN + payload));
	store_be16(ip + 4, 0x1234);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	store_be32(ip + 12, SADDR);
	store_be32(ip + 16, DADDR);
	store_be16(ip + 10, ip_fast_csum(ip, 20));
	u8 *tcp = p + TCP_OFF;
	store_be16(tcp, 80);
	store_be16(tcp + 2, 40000);
	store_be32(tcp + 4, SEQ);
	store_be32(tcp + 8, 0x55555555);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = flags;
	store_be16(tcp + 14, 512);
	memset(tcp + 20, 1, 12); /* NOPs */
	for (u32 i = 0; i < payload; i++)
		p[HDR_LEN + i] = pattern(i);
	store_be16(tcp + 16, (u16)csum_tcpudp_nofold(SADDR, DADDR,
						     (u16)(TCP_HLEN + payload),
						     IPPROTO_TCP, 0));
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)(HEADROOM + TCP_OFF);
	skb->csum_offset = 16;
	skb->gso_size = gso_size;
	return skb;
}

/* The TCP checksum of a finished segment verifies (RFC 9293 3.1). */
static bool tcp_csum_valid(const u8 *frame, u32 len)
{
	u32 tcp_len = len - TCP_OFF;
	u32 sum = csum_partial(frame + TCP_OFF, tcp_len, 0);
	return csum_fold(csum_tcpudp_nofold(load_be32(frame + ETH_HLEN + 12),
					    load_be32(frame + ETH_HLEN + 16),
					    (u16)tcp_len, IPPROTO_TCP, sum)) ==
	       0;
}

static void test_parse(void **state)
{
	(void)state;
	struct sk_buff *skb = make_frame(3000, 0x18, MSS);
	struct gso_tcp4 g;
	assert_int_equal(gso_tcp4_parse(skb->data, skb->len, MSS, &g), 0);
	assert_int_equal(g.ip_off, ETH_HLEN);
	assert_int_equal(g.ip_hlen, 20);
	assert_int_equal(g.tcp_off, TCP_OFF);
	assert_int_equal(g.tcp_hlen, TCP_HLEN);
	assert_int_equal(g.hdr_len, HDR_LEN);
	assert_int_equal(g.payload, 3000);
	assert_int_equal(gso_tcp4_segs(&g), 3);
	assert_int_equal(gso_tcp4_seg_len(&g, 0), MSS);
	assert_int_equal(gso_tcp4_seg_len(&g, 1), MSS);
	assert_int_equal(gso_tcp4_seg_len(&g, 2), 3000 - 2 * MSS);
	assert_int_equal(gso_tcp4_seg_len(&g, 3), 0);
	assert_int_equal(g.saddr, SADDR);
	assert_int_equal(g.daddr, DADDR);
	kfree_skb(skb);
}

static void test_parse_rejects(void **state)
{
	(void)state;
	struct sk_buff *skb = make_frame(3000, 0x10, MSS);
	struct gso_tcp4 g;
	u8 *p = skb->data;
	assert_int_equal(gso_tcp4_parse(p, skb->len, 0, &g), -EINVAL);
	assert_int_equal(gso_tcp4_parse(p, 30, MSS, &g), -EINVAL);
	/* IP total length must match the frame exactly */
	assert_int_equal(gso_tcp4_parse(p, skb->len - 1, MSS, &g), -EINVAL);
	p[ETH_HLEN + 9] = IPPROTO_UDP;
	assert_int_equal(gso_tcp4_parse(p, skb->len, MSS, &g), -EINVAL);
	p[ETH_HLEN + 9] = IPPROTO_TCP;
	p[ETH_HLEN] = 0x65; /* version 6 */
	assert_int_equal(gso_tcp4_parse(p, skb->len, MSS, &g), -EINVAL);
	p[ETH_HLEN] = 0x45;
	p[TCP_OFF + 12] = 0x40; /* data offset 16 bytes */
	assert_int_equal(gso_tcp4_parse(p, skb->len, MSS, &g), -EINVAL);
	p[TCP_OFF + 12] = (TCP_HLEN / 4) << 4;
	store_be16(p + 12, 0x86dd);
	assert_int_equal(gso_tcp4_parse(p, skb->len, MSS, &g), -EINVAL);
	kfree_skb(skb);
}

/* Segment i's headers, fixed from a copy of the frame's. */
static void test_fix_headers(void **state)
{
	(void)state;
	struct sk_buff *skb = make_frame(3000, 0x80 | 0x18 | 0x01, MSS);
	struct gso_tcp4 g;
	u8 hdr[HDR_LEN];
	assert_int_equal(gso_tcp4_parse(skb->data, skb->len, MSS, &g), 0);
	for (u32 i = 0; i < 3; i++) {
		memcpy(hdr, skb->data, HDR_LEN);
		gso_tcp4_fix(hdr, &g, i);
		u8 *ip = hdr + ETH_HLEN, *tcp = hdr + TCP_OFF;
		u32 seg = gso_tcp4_seg_len(&g, i);
		assert_int_equal(load_be16(ip + 2), 20 + TCP_HLEN + seg);
		assert_int_equal(load_be16(ip + 4), 0x1234 + i);
		assert_int_equal(ip_fast_csum(ip, 20), 0);
		assert_int_equal(load_be32(tcp + 4), SEQ + i * MSS);
		/* FIN and PSH on the last, CWR on the first only; ACK on all */
		assert_int_equal(tcp[13] & 0x09, i == 2 ? 0x09 : 0);
		assert_int_equal(tcp[13] & 0x80, i == 0 ? 0x80 : 0);
		assert_int_equal(tcp[13] & 0x10, 0x10);
		assert_int_equal(load_be16(tcp + 16),
				 (u16)csum_tcpudp_nofold(SADDR, DADDR,
							 (u16)(TCP_HLEN + seg),
							 IPPROTO_TCP, 0));
	}
	kfree_skb(skb);
}

/* Software GSO: the segments carry the payload in order, and each is a
 * valid TCP/IPv4 packet once the device (here: software) sums it. */
static void test_segment(void **state)
{
	(void)state;
	struct sk_buff *skb = make_frame(5000, 0x18, MSS);
	struct sk_buff_head out;
	struct sk_buff *seg;
	u32 off = 0, n = 0;
	skb_queue_head_init(&out);
	assert_int_equal(skb_gso_segment(skb, &out), 0);
	assert_int_equal(skb_queue_len(&out), 4);
	while ((seg = skb_dequeue(&out)) != NULL) {
		u32 plen = seg->len - HDR_LEN;
		assert_int_equal(seg->ip_summed, CHECKSUM_PARTIAL);
		assert_int_equal(seg->gso_size, 0);
		assert_int_equal(plen, n < 3 ? MSS : 5000 - 3 * MSS);
		for (u32 i = 0; i < plen; i++)
			assert_int_equal(seg->data[HDR_LEN + i],
					 pattern(off + i));
		assert_int_equal(skb_checksum_help(seg), 0);
		assert_int_equal(seg->ip_summed, CHECKSUM_NONE);
		assert_true(tcp_csum_valid(seg->data, seg->len));
		off += plen;
		n++;
		consume_skb(seg);
	}
	assert_int_equal(off, 5000);
}

static void test_segment_bad_frame(void **state)
{
	(void)state;
	struct sk_buff *skb = make_frame(3000, 0x10, MSS);
	struct sk_buff_head out;
	skb_queue_head_init(&out);
	store_be16(skb->data + ETH_HLEN + 2, 99); /* lies about its length */
	assert_int_equal(skb_gso_segment(skb, &out), -EINVAL);
	assert_int_equal(skb_queue_len(&out), 0);
}

static void test_checksum_help(void **state)
{
	(void)state;
	struct sk_buff *skb = make_frame(777, 0x18, 0);
	u16 want = skb_partial_csum(skb);
	assert_int_equal(skb->ip_summed, CHECKSUM_PARTIAL); /* untouched */
	assert_int_equal(skb_checksum_help(skb), 0);
	assert_int_equal(load_be16(skb->data + TCP_OFF + 16), want);
	assert_true(tcp_csum_valid(skb->data, skb->len));
	assert_int_equal(skb_checksum_help(skb), 0); /* done: no-op */
	kfree_skb(skb);
	skb = make_frame(10, 0x18, 0);
	skb->csum_offset = 200; /* past the end */
	assert_int_equal(skb_checksum_help(skb), -EINVAL);
	skb->csum_offset = 16;
	skb->csum_start = 4; /* inside the headroom */
	assert_int_equal(skb_checksum_help(skb), -EINVAL);
	kfree_skb(skb);
}

static u32 validate(u32 features, u32 payload, u16 gso, struct sk_buff_head *q)
{
	struct net_device dev;
	memset(&dev, 0, sizeof(dev));
	dev.features = features;
	dev.gso_max_size = 65536;
	skb_queue_head_init(q);
	assert_int_equal(
	    validate_xmit_skb(&dev, make_frame(payload, 0x18, gso), q), 0);
	return skb_queue_len(q);
}

static void test_validate_xmit(void **state)
{
	(void)state;
	struct sk_buff_head q;
	struct sk_buff *skb;
	/* TSO device: the frame goes whole, still GSO and partial */
	assert_int_equal(validate(NETIF_F_TSO | NETIF_F_IP_CSUM, 4000, MSS, &q),
			 1);
	skb = skb_dequeue(&q);
	assert_int_equal(skb->gso_size, MSS);
	assert_int_equal(skb->ip_summed, CHECKSUM_PARTIAL);
	consume_skb(skb);
	/* checksum offload only: segments, left partial for the NIC */
	assert_int_equal(validate(NETIF_F_IP_CSUM, 4000, MSS, &q), 3);
	while ((skb = skb_dequeue(&q)) != NULL) {
		assert_int_equal(skb->ip_summed, CHECKSUM_PARTIAL);
		consume_skb(skb);
	}
	/* neither: segments with their checksums done here */
	assert_int_equal(validate(0, 4000, MSS, &q), 3);
	while ((skb = skb_dequeue(&q)) != NULL) {
		assert_int_equal(skb->ip_summed, CHECKSUM_NONE);
		assert_true(tcp_csum_valid(skb->data, skb->len));
		consume_skb(skb);
	}
	/* an ordinary frame to a device without offloads: summed here */
	assert_int_equal(validate(0, 100, 0, &q), 1);
	skb = skb_dequeue(&q);
	assert_true(tcp_csum_valid(skb->data, skb->len));
	consume_skb(skb);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, skb_setup, skb_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_parse),
	    T(test_parse_rejects),
	    T(test_fix_headers),
	    T(test_segment),
	    T(test_segment_bad_frame),
	    T(test_checksum_help),
	    T(test_validate_xmit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
