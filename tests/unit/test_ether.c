/*
 * test_ether.c - Ethernet II on the host: golden byte arrays parsed and
 * emitted back (plain, 802.1Q-tagged, 802.3 length), eth_type_trans's
 * classification, eth_header's bytes, and the MAC helpers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>
#include <skiff/net/netcore.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

/* An ARP request as tcpdump -xx shows it: broadcast from 52:54:00:12:34:56,
 * "who-has 198.18.0.2 tell 198.18.0.1". */
static const u8 arp_request_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34,
    0x56, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
};

/* An 802.1Q frame: VLAN 100, PCP 5, carrying IPv4. */
static const u8 vlan_frame_hdr[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00,
    0xab, 0xcd, 0xef, 0x81, 0x00, 0xa0, 0x64, 0x08, 0x00,
};

static const u8 our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static void test_parse_golden(void **state)
{
	(void)state;
	struct eth_hdr_info h;
	assert_int_equal(
	    eth_hdr_parse(arp_request_frame, sizeof(arp_request_frame), &h), 0);
	assert_true(is_broadcast_ether_addr(h.dst));
	static const u8 src[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	assert_memory_equal(h.src, src, 6);
	assert_int_equal(h.type, ETH_P_ARP);
	assert_false(h.vlan);
	assert_int_equal(h.hdr_len, ETH_HLEN);

	u8 out[ETH_HLEN];
	assert_int_equal(eth_hdr_emit(&h, out), ETH_HLEN);
	assert_memory_equal(out, arp_request_frame, ETH_HLEN);
}

static void test_parse_vlan_golden(void **state)
{
	(void)state;
	struct eth_hdr_info h;
	assert_int_equal(
	    eth_hdr_parse(vlan_frame_hdr, sizeof(vlan_frame_hdr), &h), 0);
	assert_int_equal(h.type, ETH_P_8021Q);
	assert_true(h.vlan);
	assert_int_equal(h.vlan_tci & 0xfff, 100); /* VID */
	assert_int_equal(h.vlan_tci >> 13, 5);	   /* PCP */
	assert_int_equal(h.inner_type, ETH_P_IP);
	assert_int_equal(h.hdr_len, ETH_VLAN_HLEN);

	u8 out[ETH_VLAN_HLEN];
	assert_int_equal(eth_hdr_emit(&h, out), ETH_VLAN_HLEN);
	assert_memory_equal(out, vlan_frame_hdr, ETH_VLAN_HLEN);
}

static void test_parse_short(void **state)
{
	(void)state;
	struct eth_hdr_info h;
	assert_int_equal(eth_hdr_parse(arp_request_frame, ETH_HLEN - 1, &h),
			 -EINVAL);
	assert_int_equal(eth_hdr_parse(arp_request_frame, 0, &h), -EINVAL);
	/* A tag cut short: the outer type is read, the tag is not. */
	assert_int_equal(eth_hdr_parse(vlan_frame_hdr, 16, &h), 0);
	assert_int_equal(h.type, ETH_P_8021Q);
	assert_false(h.vlan);
}

static void test_emit_golden(void **state)
{
	(void)state;
	struct eth_hdr_info h = {.type = ETH_P_IP};
	memcpy(h.dst, our_mac, 6);
	memset(h.src, 0xee, 6);
	u8 out[ETH_HLEN];
	static const u8 want[ETH_HLEN] = {0x02, 0x00, 0x00, 0x00, 0x00,
					  0x01, 0xee, 0xee, 0xee, 0xee,
					  0xee, 0xee, 0x08, 0x00};
	assert_int_equal(eth_hdr_emit(&h, out), ETH_HLEN);
	assert_memory_equal(out, want, ETH_HLEN);
}

static struct sk_buff *frame_skb(const u8 *bytes, size_t len)
{
	struct sk_buff *skb = alloc_skb((u32)len + 64);
	skb_reserve(skb, 64);
	memcpy(skb_put(skb, (u32)len), bytes, len);
	return skb;
}

static void test_type_trans_classifies(void **state)
{
	(void)state;
	struct net_device dev = {0};
	memcpy(dev.dev_addr, our_mac, 6);
	u8 frame[60] = {0};

	/* Broadcast. */
	struct sk_buff *skb =
	    frame_skb(arp_request_frame, sizeof(arp_request_frame));
	u8 *start = skb->data;
	assert_int_equal(eth_type_trans(skb, &dev), ETH_P_ARP);
	assert_int_equal(skb->pkt_type, PACKET_BROADCAST);
	assert_int_equal(skb->protocol, ETH_P_ARP);
	assert_ptr_equal(skb->data, start + ETH_HLEN);
	assert_ptr_equal(skb_mac_header(skb), start);
	assert_int_equal(skb->len, sizeof(arp_request_frame) - ETH_HLEN);
	kfree_skb(skb);

	/* To us. */
	memcpy(frame, our_mac, 6);
	frame[12] = 0x08;
	skb = frame_skb(frame, sizeof(frame));
	assert_int_equal(eth_type_trans(skb, &dev), ETH_P_IP);
	assert_int_equal(skb->pkt_type, PACKET_HOST);
	kfree_skb(skb);

	/* IPv4 multicast 224.0.0.1 -> 01:00:5e:00:00:01. */
	static const u8 mc[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	memcpy(frame, mc, 6);
	skb = frame_skb(frame, sizeof(frame));
	eth_type_trans(skb, &dev);
	assert_int_equal(skb->pkt_type, PACKET_MULTICAST);
	kfree_skb(skb);

	/* Someone else's unicast. */
	frame[0] = 0x02;
	frame[5] = 0x02;
	skb = frame_skb(frame, sizeof(frame));
	eth_type_trans(skb, &dev);
	assert_int_equal(skb->pkt_type, PACKET_OTHERHOST);
	kfree_skb(skb);

	/* 802.3 with a length field: returned as is (no handler has it). */
	memcpy(frame, our_mac, 6);
	frame[12] = 0x00;
	frame[13] = 0x2e;
	skb = frame_skb(frame, sizeof(frame));
	assert_int_equal(eth_type_trans(skb, &dev), 0x002e);
	kfree_skb(skb);
}

static void test_eth_header_golden(void **state)
{
	(void)state;
	struct net_device dev = {0};
	static const u8 src[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	memcpy(dev.dev_addr, src, 6);
	struct sk_buff *skb = alloc_skb(128);
	skb_reserve(skb, 64);
	memcpy(skb_put(skb, 28), arp_request_frame + ETH_HLEN, 28);
	static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	assert_int_equal(eth_header(skb, &dev, ETH_P_ARP, bcast), 0);
	assert_int_equal(skb->len, sizeof(arp_request_frame));
	assert_memory_equal(skb->data, arp_request_frame,
			    sizeof(arp_request_frame));
	assert_ptr_equal(skb_mac_header(skb), skb->data);
	assert_int_equal(skb->protocol, ETH_P_ARP);
	assert_ptr_equal(skb->dev, &dev);
	kfree_skb(skb);
}

static void test_eth_header_no_headroom(void **state)
{
	(void)state;
	struct net_device dev = {0};
	struct sk_buff *skb = alloc_skb(64);
	skb_reserve(skb, ETH_HLEN - 1);
	skb_put(skb, 20);
	assert_int_equal(eth_header(skb, &dev, ETH_P_IP, dev.broadcast),
			 -ENOSPC);
	assert_int_equal(skb->len, 20);
	kfree_skb(skb);
}

static void test_mac_helpers(void **state)
{
	(void)state;
	static const u8 zero[6] = {0};
	static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const u8 mc[6] = {0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa};
	static const u8 uni[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	assert_false(is_valid_ether_addr(zero));
	assert_false(is_valid_ether_addr(bcast));
	assert_false(is_valid_ether_addr(mc));
	assert_true(is_valid_ether_addr(uni));
	assert_true(is_multicast_ether_addr(bcast));
	assert_true(is_multicast_ether_addr(mc));
	assert_false(is_multicast_ether_addr(uni));
	assert_true(is_broadcast_ether_addr(bcast));
	assert_false(is_broadcast_ether_addr(mc));

	char buf[18];
	format_mac(uni, buf);
	assert_string_equal(buf, "52:54:00:ab:cd:ef");

	u8 m[6];
	assert_int_equal(parse_mac("52:54:00:AB:cd:Ef", m), 0);
	assert_memory_equal(m, uni, 6);
	assert_int_equal(parse_mac("52:54:00:ab:cd", m), -EINVAL);
	assert_int_equal(parse_mac("52:54:00:ab:cd:ef:01", m), -EINVAL);
	assert_int_equal(parse_mac("52:54:00:ab:cd:100", m), -EINVAL);
	assert_int_equal(parse_mac("zz:54:00:ab:cd:ef", m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_golden),
	    cmocka_unit_test(test_parse_vlan_golden),
	    cmocka_unit_test(test_parse_short),
	    cmocka_unit_test(test_emit_golden),
	    cmocka_unit_test(test_type_trans_classifies),
	    cmocka_unit_test(test_eth_header_golden),
	    cmocka_unit_test(test_eth_header_no_headroom),
	    cmocka_unit_test(test_mac_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
