/*
 * test_ipv4.c - IPv4 input and output through the whole host-built stack
 * with the fake device (net/ipv4.c, net/ip_output.c, fragmentation in
 * net/ip_fragment.c, net/udp.c).
 *
 * Input: every malformed case the integration test sends with scapy (bad
 * checksum, IHL < 5, total length beyond the frame, truncated header)
 * and the rest of RFC 1122 3.2.1 is fed as a frame and must be dropped
 * with the counter Linux uses, sending nothing; good datagrams reach the
 * sink protocol with IPCB filled and the link padding trimmed.
 * Output: header fields, identification, routing (on-link, gateway, no
 * route), fragmentation to the device MTU and to a learned path MTU,
 * DF refused, the netfilter call points.
 */
#include "ipv4_test.h"

static size_t sink_frame(u8 *f, struct iphdr_info *h, size_t len)
{
	static u8 payload[2048];

	for (size_t i = 0; i < len; i++)
		payload[i] = (u8)(i + 1);
	return ipt_ip_frame(f, h, payload, len);
}

/* ---- input: good ----------------------------------------------------------
 */

static void test_deliver_to_protocol(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	h.tos = 0x10;
	h.ttl = 17;
	h.id = 0x4242;
	ipt_rx(f, sink_frame(f, &h, 10)); /* padded to 60 on the wire */
	assert_int_equal(sink.delivered, 1);
	assert_int_equal(sink.len, 10); /* padding trimmed */
	assert_int_equal(sink.data[9], 10);
	assert_int_equal(sink.cb.saddr, PEER_IP);
	assert_int_equal(sink.cb.daddr, OUR_IP);
	assert_int_equal(sink.cb.tot_len, 30);
	assert_int_equal(sink.cb.id, 0x4242);
	assert_int_equal(sink.cb.ttl, 17);
	assert_int_equal(sink.cb.tos, 0x10);
	assert_int_equal(sink.cb.protocol, SINK_PROTO);
	assert_int_equal(sink.cb.ihl_bytes, 20);
	assert_int_equal(sink.cb.flags, 0);
	assert_int_equal(snmp_get(MIB_IpInReceives), 1);
	assert_int_equal(snmp_get(MIB_IpInDelivers), 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
}

/* Record route and timestamp options are accepted (`ping -R` works). */
static void test_options_accepted(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);
	const u8 rr[12] = {IPOPT_NOOP, IPOPT_RR, 11, 4};

	(void)state;
	h.ihl_bytes = 32;
	h.opt.optlen = 12;
	memcpy(h.options, rr, sizeof(rr));
	ipt_rx(f, sink_frame(f, &h, 4));
	assert_int_equal(sink.delivered, 1);
	assert_int_equal(sink.cb.ihl_bytes, 32);
	assert_int_equal(sink.len, 4);
	const u8 ts[12] = {IPOPT_TS, 12, 5, IPOPT_TS_TSONLY};
	memcpy(h.options, ts, sizeof(ts));
	ipt_rx(f, sink_frame(f, &h, 4));
	assert_int_equal(sink.delivered, 2);
}

/* Broadcasts (limited and subnet) are local, flagged. */
static void test_broadcast_delivered(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	h.daddr = INADDR_BROADCAST;
	size_t n = sink_frame(f, &h, 8);
	memset(f, 0xff, 6);
	ipt_rx(f, n);
	assert_int_equal(sink.delivered, 1);
	assert_true(sink.cb.flags & IPSKB_BROADCAST);
	h.daddr = IPV4(198, 18, 0, 255);
	n = sink_frame(f, &h, 8);
	memset(f, 0xff, 6);
	ipt_rx(f, n);
	assert_int_equal(sink.delivered, 2);
	assert_int_equal(snmp_get(MIB_IpExtInBcastPkts), 2);
}

/* ---- input: refused -------------------------------------------------------
 */

/* Feed frame, expect nothing delivered or sent and one of counter. */
static void expect_dropped(const u8 *f, size_t n, enum snmp_mib counter)
{
	u32 before = sink.delivered;
	u64 c = snmp_get(counter);

	ipt_rx(f, n);
	assert_int_equal(sink.delivered, before);
	assert_int_equal(snmp_get(counter), c + 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
}

static void test_bad_checksum(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	size_t n = sink_frame(f, &h, 20);
	f[ETH_HLEN + 10] ^= 0x01;
	expect_dropped(f, n, MIB_IpInHdrErrors);
	assert_int_equal(snmp_get(MIB_IpExtInCsumErrors), 1);
}

/* Fix the header checksum after the test changed a field. */
static void refix(u8 *f)
{
	u32 hl = (f[ETH_HLEN] & 15) * 4;

	store_be16(f + ETH_HLEN + 10, 0);
	store_be16(f + ETH_HLEN + 10, ip_fast_csum(f + ETH_HLEN, hl));
}

static void test_bad_version_and_ihl(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	size_t n = sink_frame(f, &h, 20);
	for (u8 ihl = 0; ihl < 5; ihl++) {
		f[ETH_HLEN] = (u8)(0x40 | ihl);
		refix(f);
		expect_dropped(f, n, MIB_IpInHdrErrors);
	}
	f[ETH_HLEN] = 0x65; /* version 6 in an IPv4 EtherType */
	refix(f);
	expect_dropped(f, n, MIB_IpInHdrErrors);
}

static void test_total_length(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	/* Larger than the frame (which is 70 bytes of IP). */
	size_t n = sink_frame(f, &h, 50);
	store_be16(f + ETH_HLEN + 2, 71);
	refix(f);
	expect_dropped(f, n, MIB_IpExtInTruncatedPkts);
	/* Smaller than the header. */
	store_be16(f + ETH_HLEN + 2, 19);
	refix(f);
	expect_dropped(f, n, MIB_IpInHdrErrors);
	/* Smaller than the frame: the rest is padding, trimmed. */
	store_be16(f + ETH_HLEN + 2, 30);
	refix(f);
	ipt_rx(f, n);
	assert_int_equal(sink.delivered, 1);
	assert_int_equal(sink.len, 10);
}

static void test_truncated_header(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	sink_frame(f, &h, 20);
	/* 10 bytes of IP header only: no padding may rescue it, so hand the
	 * device the short frame itself (below ETH_ZLEN). */
	host_fakedev_rx(eth0, f, ETH_HLEN + 10);
	host_run_softirqs();
	assert_int_equal(snmp_get(MIB_IpInHdrErrors), 1);
	/* IHL 6 but only 20 bytes of header arrived. */
	f[ETH_HLEN] = 0x46;
	store_be16(f + ETH_HLEN + 2, 24);
	host_fakedev_rx(eth0, f, ETH_HLEN + 20);
	host_run_softirqs();
	assert_int_equal(snmp_get(MIB_IpInHdrErrors), 2);
	assert_int_equal(sink.delivered, 0);
}

/* Malformed options: dropped, and a parameter problem points at the byte
 * (RFC 1122 3.2.2.5). */
static void test_bad_options_parameter_problem(void **state)
{
	u8 f[256], out[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);
	/* The pointer (5) leaves 3 bytes, not a whole address. */
	const u8 bad[8] = {IPOPT_RR, 7, 5, 0, 0, 0, 0, IPOPT_END};

	(void)state;
	ipt_learn_peer();
	h.ihl_bytes = 28;
	h.opt.optlen = 8;
	memcpy(h.options, bad, 8);
	size_t n = sink_frame(f, &h, 8);
	ipt_rx(f, n);
	assert_int_equal(sink.delivered, 0);
	assert_int_equal(snmp_get(MIB_IpInHdrErrors), 1);
	int m = ipt_pop(out, sizeof(out));
	assert_int_equal(m, ETH_HLEN + 20 + 8 + (n - ETH_HLEN));
	assert_int_equal(out[ETH_HLEN + 20], ICMP_PARAMETERPROB);
	assert_int_equal(out[ETH_HLEN + 21], 0);
	assert_int_equal(out[ETH_HLEN + 24], 22); /* pointer: the RR pointer */
}

/* Source routes are refused without an answer (RFC 1122 3.3.5). */
static void test_source_route_refused(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);
	const u8 lsrr[8] = {IPOPT_NOOP, IPOPT_LSRR, 7, 4, 198, 18, 0, 9};

	(void)state;
	h.ihl_bytes = 28;
	h.opt.optlen = 8;
	memcpy(h.options, lsrr, 8);
	expect_dropped(f, sink_frame(f, &h, 8), MIB_IpInDiscards);
	h.options[1] = IPOPT_SSRR;
	expect_dropped(f, sink_frame(f, &h, 8), MIB_IpInDiscards);
}

/* Not for us (no forwarding), multicast, and martian sources. */
static void test_address_errors(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	h.daddr = IPV4(198, 18, 0, 3);
	expect_dropped(f, sink_frame(f, &h, 8), MIB_IpInAddrErrors);
	h.daddr = IPV4(203, 0, 113, 1);
	expect_dropped(f, sink_frame(f, &h, 8), MIB_IpInAddrErrors);
	h.daddr = IPV4(224, 0, 0, 1);
	expect_dropped(f, sink_frame(f, &h, 8), MIB_IpInAddrErrors);
	h.daddr = OUR_IP;
	/* The last: our own address, from the wire (LAND); only the
	 * loopback path may carry it (test_loopback). */
	const u32 martians[] = {IPV4(224, 0, 0, 5), INADDR_BROADCAST,
				IPV4(127, 0, 0, 1), 0, OUR_IP};
	for (size_t i = 0; i < ARRAY_SIZE(martians); i++) {
		h.saddr = martians[i];
		expect_dropped(f, sink_frame(f, &h, 8), MIB_IpInAddrErrors);
	}
	/* A frame for another MAC (promiscuous): dropped by the device
	 * layer, never seen by IP. */
	h = ipt_hdr(SINK_PROTO);
	size_t n = sink_frame(f, &h, 8);
	f[5] ^= 1;
	ipt_rx(f, n);
	assert_int_equal(sink.delivered, 0);
}

/* ---- UDP (the minimal one) ------------------------------------------------
 */

static size_t udp_frame(u8 *f, u16 ulen_field, size_t len, bool csum)
{
	u8 udp[64] = {0x9c, 0x40, 0x00, 0x35};
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);

	store_be16(udp + 4, ulen_field);
	for (size_t i = 8; i < len; i++)
		udp[i] = (u8)i;
	if (csum) {
		u32 s = csum_tcpudp_nofold(PEER_IP, OUR_IP, (u16)len,
					   IPPROTO_UDP, 0);
		store_be16(udp + 6, csum_fold(csum_partial(udp, len, s)));
	}
	return ipt_ip_frame(f, &h, udp, len);
}

static void test_udp_checks(void **state)
{
	u8 f[256];

	(void)state;
	ipt_learn_peer();
	/* Good, with a checksum and without one: port unreachable. */
	ipt_rx(f, udp_frame(f, 20, 20, true));
	ipt_rx(f, udp_frame(f, 20, 20, false));
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 2);
	assert_int_equal(host_fakedev_tx_pending(eth0), 2);
	host_fakedev_tx_clear(eth0);
	/* Bad checksum. */
	size_t n = udp_frame(f, 20, 20, true);
	f[n - 1] ^= 0xff;
	ipt_rx(f, n);
	assert_int_equal(snmp_get(MIB_UdpInCsumErrors), 1);
	assert_int_equal(snmp_get(MIB_UdpInErrors), 1);
	/* Length field past the IP payload, and below 8. */
	ipt_rx(f, udp_frame(f, 21, 20, false));
	ipt_rx(f, udp_frame(f, 7, 20, false));
	/* Shorter than a UDP header. */
	ipt_rx(f, udp_frame(f, 8, 6, false));
	assert_int_equal(snmp_get(MIB_UdpInErrors), 4);
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 2);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	/* A length field shorter than the payload: the rest is ignored. */
	ipt_rx(f, udp_frame(f, 12, 20, false));
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 3);
}

/* ---- netfilter call points ------------------------------------------------
 */

static u32 hook_calls[NF_INET_NUMHOOKS];
static unsigned int hook_verdict = NF_ACCEPT;

static unsigned int count_hook(unsigned int hook, struct sk_buff *skb,
			       const struct net_device *in,
			       const struct net_device *out)
{
	(void)skb;
	hook_calls[hook]++;
	if (hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_IN)
		assert_true(in == eth0 && out == NULL);
	else
		assert_true(in == NULL && out == eth0);
	return hook_verdict;
}

static void test_netfilter_hooks(void **state)
{
	u8 f[256];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	ipt_learn_peer();
	memset(hook_calls, 0, sizeof(hook_calls));
	for (unsigned int k = 0; k < NF_INET_NUMHOOKS; k++)
		assert_int_equal(nf_register_ipv4_hook(k, count_hook), 0);
	assert_int_equal(nf_register_ipv4_hook(NF_INET_NUMHOOKS, count_hook),
			 -EINVAL);
	ipt_rx(f, sink_frame(f, &h, 8));
	assert_int_equal(hook_calls[NF_INET_PRE_ROUTING], 1);
	assert_int_equal(hook_calls[NF_INET_LOCAL_IN], 1);
	assert_int_equal(sink.delivered, 1);
	/* An echo: in through PRE_ROUTING/LOCAL_IN, out through LOCAL_OUT
	 * and POST_ROUTING. */
	struct icmphdr_info ih = {.type = ICMP_ECHO, .rest = 1};
	ipt_rx(f, ipt_icmp_frame(f, &ih, "ping", 4));
	assert_int_equal(hook_calls[NF_INET_LOCAL_OUT], 1);
	assert_int_equal(hook_calls[NF_INET_POST_ROUTING], 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 1);
	assert_int_equal(hook_calls[NF_INET_FORWARD], 0);
	/* DROP stops the packet. */
	hook_verdict = NF_DROP;
	ipt_rx(f, sink_frame(f, &h, 8));
	assert_int_equal(sink.delivered, 1);
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 8);
	skb_reserve(skb, MAX_HEADER);
	skb_put(skb, 8);
	struct ip_out out = {.daddr = PEER_IP, .protocol = SINK_PROTO};
	assert_int_equal(ip_send_skb(skb, &out), -EPERM);
	hook_verdict = NF_ACCEPT;
	for (unsigned int k = 0; k < NF_INET_NUMHOOKS; k++)
		nf_register_ipv4_hook(k, NULL);
}

/* ---- output ---------------------------------------------------------------
 */

static int send_sink(u32 daddr, u32 len, bool df)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + len);

	assert_non_null(skb);
	skb_reserve(skb, MAX_HEADER);
	u8 *p = skb_put(skb, len);
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(i * 3);
	struct ip_out out = {.daddr = daddr, .protocol = SINK_PROTO, .df = df};
	return ip_send_skb(skb, &out);
}

static void test_output_header(void **state)
{
	u8 out[2048];
	struct iphdr_info h;
	u8 problem;

	(void)state;
	ipt_learn_peer();
	u64 requests = snmp_get(MIB_IpOutRequests);
	assert_int_equal(send_sink(PEER_IP, 100, true), 0);
	int n = ipt_pop(out, sizeof(out));
	assert_int_equal(n, ETH_HLEN + 120);
	assert_memory_equal(out, peer_mac, 6);
	assert_memory_equal(out + 6, our_mac, 6);
	assert_int_equal(load_be16(out + 12), ETH_P_IP);
	assert_int_equal(ip_hdr_parse(out + ETH_HLEN, 120, &h, &problem),
			 IP_PARSE_OK);
	assert_int_equal(h.ihl_bytes, 20);
	assert_int_equal(h.ttl, IP_DEFAULT_TTL);
	assert_true(h.df);
	assert_false(h.mf);
	assert_int_equal(h.protocol, SINK_PROTO);
	assert_int_equal(h.saddr, OUR_IP);
	assert_int_equal(h.daddr, PEER_IP);
	/* The identification counts up per destination. */
	u16 id0 = h.id;
	assert_int_equal(send_sink(PEER_IP, 10, false), 0);
	ipt_pop(out, sizeof(out));
	assert_int_equal(load_be16(out + ETH_HLEN + 4), (u16)(id0 + 1));
	assert_int_equal(snmp_get(MIB_IpOutRequests), requests + 2);
	/* No route. */
	assert_int_equal(send_sink(IPV4(203, 0, 113, 5), 10, false),
			 -ENETUNREACH);
	assert_int_equal(snmp_get(MIB_IpOutNoRoutes), 1);
}

/* Via a gateway: the frame goes to the gateway's MAC. */
static void test_output_via_gateway(void **state)
{
	u8 out[256];

	(void)state;
	ipt_learn_peer();
	assert_int_equal(
	    fib_add(IPV4(203, 0, 113, 0), 24, PEER_IP, NULL, RT_STATIC), 0);
	assert_int_equal(send_sink(IPV4(203, 0, 113, 5), 10, false), 0);
	int n = ipt_pop(out, sizeof(out));
	assert_int_equal(n, ETH_HLEN + 30);
	assert_memory_equal(out, peer_mac, 6);
	assert_int_equal(load_be32(out + ETH_HLEN + 16), IPV4(203, 0, 113, 5));
	assert_int_equal(fib_del(IPV4(203, 0, 113, 0), 24), 0);
	/* The limited broadcast: to ff:ff:ff:ff:ff:ff, no ARP. */
	assert_int_equal(send_sink(INADDR_BROADCAST, 10, false), 0);
	n = ipt_pop(out, sizeof(out));
	assert_int_equal(out[0] & out[1] & out[2] & out[5], 0xff);
	assert_int_equal(snmp_get(MIB_IpExtOutBcastPkts), 1);
}

/* Split a 4000-byte datagram on a 1500 MTU: 1480 + 1480 + 1040. */
static void test_output_fragments(void **state)
{
	u8 out[2048], whole[4000];
	const u32 want_off[] = {0, 1480, 2960}, want_len[] = {1480, 1480, 1040};

	(void)state;
	ipt_learn_peer();
	assert_int_equal(send_sink(PEER_IP, 4000, false), 0);
	u16 id = 0;
	for (int i = 0; i < 3; i++) {
		struct iphdr_info h;
		u8 problem;
		int n = ipt_pop(out, sizeof(out));
		assert_int_equal(ip_hdr_parse(out + ETH_HLEN, (u32)n - ETH_HLEN,
					      &h, &problem),
				 IP_PARSE_OK);
		assert_int_equal(h.frag_off_bytes, want_off[i]);
		assert_int_equal(h.tot_len - 20, want_len[i]);
		assert_int_equal(h.mf, i < 2);
		if (i == 0)
			id = h.id;
		assert_int_equal(h.id, id);
		memcpy(whole + h.frag_off_bytes, out + ETH_HLEN + 20,
		       want_len[i]);
	}
	for (u32 i = 0; i < 4000; i++)
		assert_int_equal(whole[i], (u8)(i * 3));
	assert_int_equal(snmp_get(MIB_IpFragOKs), 1);
	assert_int_equal(snmp_get(MIB_IpFragCreates), 3);
	/* DF and too big: refused locally. */
	assert_int_equal(send_sink(PEER_IP, 1481, true), -EMSGSIZE);
	assert_int_equal(snmp_get(MIB_IpFragFails), 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	/* Exactly the MTU with DF: fine. */
	assert_int_equal(send_sink(PEER_IP, 1480, true), 0);
	assert_int_equal(host_fakedev_tx_pending(eth0), 1);
	/* Past 65,535 bytes in all: refused. */
	assert_int_equal(send_sink(PEER_IP, 65516, false), -EMSGSIZE);
}

/* A learned path MTU (RFC 1191) shrinks the fragments. */
static void test_output_path_mtu(void **state)
{
	u8 out[2048];
	u32 dst = IPV4(198, 18, 0, 1);

	(void)state;
	ipt_learn_peer();
	ip_pmtu_update(dst, 1000);
	assert_int_equal(send_sink(dst, 1500, false), 0);
	assert_int_equal(ipt_pop(out, sizeof(out)), ETH_HLEN + 20 + 976);
	assert_int_equal(ipt_pop(out, sizeof(out)), ETH_HLEN + 20 + 524);
	fib_flush_all(); /* also forgets the path MTU */
	fib_add(IPV4(198, 18, 0, 0), 24, 0, eth0, RT_CONNECTED);
}

/* To our own address: turned around inside, never on the wire. */
static void test_loopback(void **state)
{
	(void)state;
	assert_int_equal(send_sink(OUR_IP, 3000, false), 0);
	host_run_softirqs();
	assert_int_equal(sink.delivered, 1);
	assert_int_equal(sink.len, 3000);
	assert_int_equal(sink.data[2999], (u8)(2999 * 3));
	assert_int_equal(sink.cb.saddr, OUR_IP);
	assert_int_equal(sink.cb.daddr, OUR_IP);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	assert_int_equal(snmp_get(MIB_IpFragCreates), 0); /* no MTU inside */
	/* An echo to ourselves comes back to the listener. */
	assert_int_equal(host_shell_run("ping -c 2 -i 0.01 198.18.0.2"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "64 bytes from 198.18.0.2: icmp_seq=2 ttl=64"));
	assert_non_null(strstr(host_shell_output(), "2 received, 0%"));
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ipt_setup, ipt_teardown)
	    T(test_deliver_to_protocol),
	    T(test_options_accepted),
	    T(test_broadcast_delivered),
	    T(test_bad_checksum),
	    T(test_bad_version_and_ihl),
	    T(test_total_length),
	    T(test_truncated_header),
	    T(test_bad_options_parameter_problem),
	    T(test_source_route_refused),
	    T(test_address_errors),
	    T(test_udp_checks),
	    T(test_netfilter_hooks),
	    T(test_output_header),
	    T(test_output_via_gateway),
	    T(test_output_fragments),
	    T(test_output_path_mtu),
	    T(test_loopback),
#undef T
	};

	return cmocka_run_group_tests_name("ipv4", tests, NULL, NULL);
}
