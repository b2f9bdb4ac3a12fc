/*
 * test_icmp.c - ICMP through the whole host-built stack (net/icmp.c and
 * everything under it) with the fake device: an echo request frame in,
 * the ARP request out, the ARP reply in, the exact echo reply frame out;
 * big echoes that fragment both ways; errors generated (port and
 * protocol unreachable) with the RFC 1122 3.2.2 exceptions and the rate
 * limit; errors received and handed to the quoted protocol; the appliance's
 * own echo requests and the `ping` command.
 *
 * Golden frames were built with scapy 2.5 (the expressions are next to
 * each array) with IP id 0; ipt_assert_frame_id0 puts the id sent in.
 */
#include "ipv4_test.h"

/* Ether(dst=us, src=peer) / IP(src="198.18.0.1", dst="198.18.0.2",
 * id=0x1c46, flags="DF", ttl=64) / ICMP(type=8, id=0x1234, seq=1) /
 * bytes(range(56)) */
static const u8 echo_req_frame[98] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd,
    0xef, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x1c, 0x46, 0x40, 0x00,
    0x40, 0x01, 0x92, 0x3b, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00,
    0x02, 0x08, 0x00, 0xee, 0xb7, 0x12, 0x34, 0x00, 0x01, 0x00, 0x01,
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22,
    0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
    0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* Ether(dst=peer, src=us) / IP(src="198.18.0.2", dst="198.18.0.1", id=0,
 * flags=0, ttl=64) / ICMP(type=0, id=0x1234, seq=1) / bytes(range(56)) */
static const u8 echo_reply_frame_id0[98] = {
    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0x52, 0x54, 0x00, 0x12, 0x34,
    0x56, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x00, 0x00,
    0x40, 0x01, 0xee, 0x81, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00,
    0x01, 0x00, 0x00, 0xf6, 0xb7, 0x12, 0x34, 0x00, 0x01, 0x00, 0x01,
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22,
    0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
    0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};

/* Ether(dst=us, src=peer) / IP(src="198.18.0.1", dst="198.18.0.2",
 * id=0x4321, ttl=64) / UDP(sport=40000, dport=9) / b"hello" (47 bytes; the
 * test pads it to 60 as a NIC would) */
static const u8 udp_closed_frame[47] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x21, 0x43, 0x21, 0x00, 0x00, 0x40, 0x11,
    0xab, 0x83, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40,
    0x00, 0x09, 0x00, 0x0d, 0x93, 0x90, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* Ether(dst=peer, src=us) / IP(src="198.18.0.2", dst="198.18.0.1", id=0,
 * flags=0, ttl=64, tos=0xc0) / ICMP(type=3, code=3) / the datagram above
 * (without the Ethernet padding) */
static const u8 port_unreach_frame_id0[75] = {
    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0x52, 0x54, 0x00, 0x12, 0x34,
    0x56, 0x08, 0x00, 0x45, 0xc0, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x00,
    0x40, 0x01, 0xed, 0xd8, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00,
    0x01, 0x03, 0x03, 0x89, 0x43, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
    0x00, 0x21, 0x43, 0x21, 0x00, 0x00, 0x40, 0x11, 0xab, 0x83, 0xc6,
    0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x09,
    0x00, 0x0d, 0x93, 0x90, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* Forget the peer so the next reply needs ARP again. */
static void forget_peer(void)
{
	neigh_flush(eth0);
	host_fakedev_tx_clear(eth0);
}

/* The headline: request in -> ARP request out -> ARP reply in -> the
 * exact reply out. */
static void test_echo_exact_frame_after_arp(void **state)
{
	u8 out[2048];

	(void)state;
	forget_peer();
	ipt_rx(echo_req_frame, sizeof(echo_req_frame));
	assert_int_equal(host_fakedev_tx_pending(eth0), 1);
	assert_true(ipt_answer_arp()); /* the reply was queued behind it */
	int n = ipt_pop(out, sizeof(out));
	ipt_assert_frame_id0(out, n, echo_reply_frame_id0,
			     sizeof(echo_reply_frame_id0));
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	assert_int_equal(snmp_get(MIB_IcmpInEchos), 1);
	assert_int_equal(snmp_get(MIB_IcmpOutEchoReps), 1);
	assert_int_equal(snmp_get(MIB_IpInDelivers), 1);
	assert_int_equal(snmp_get(MIB_IpOutRequests), 1);

	/* Known neighbour: the reply goes out at once. */
	ipt_rx(echo_req_frame, sizeof(echo_req_frame));
	n = ipt_pop(out, sizeof(out));
	ipt_assert_frame_id0(out, n, echo_reply_frame_id0,
			     sizeof(echo_reply_frame_id0));
}

/* Reassemble the reply fragments popped from the device; returns the ICMP
 * message length and checks every fragment's header. */
static u32 collect_reply(u8 *msg, u32 cap, u32 mtu)
{
	static u8 f[2048];
	u32 total = 0, got = 0;
	bool last_seen = false;
	int n;

	while ((n = host_fakedev_pop_tx(eth0, f, sizeof(f))) > 0) {
		struct iphdr_info h;
		u8 problem;
		assert_true((u32)n <= ETH_HLEN + mtu);
		assert_int_equal(
		    ip_hdr_parse(f + ETH_HLEN, (u32)n - ETH_HLEN, &h, &problem),
		    IP_PARSE_OK);
		u32 plen = h.tot_len - h.ihl_bytes;
		assert_true(h.frag_off_bytes + plen <= cap);
		if (h.mf)
			assert_int_equal(plen % 8, 0);
		else {
			last_seen = true;
			total = h.frag_off_bytes + plen;
		}
		memcpy(msg + h.frag_off_bytes, f + ETH_HLEN + h.ihl_bytes,
		       plen);
		got += plen;
	}
	assert_true(last_seen);
	assert_int_equal(got, total);
	return total;
}

/* Send a request of payload_len bytes as fragments of at most 1500. */
static void send_big_echo(u16 seq, u32 payload_len)
{
	static u8 msg[70000], f[2048];
	struct icmphdr_info ih = {.type = ICMP_ECHO,
				  .rest = icmp_echo_rest(0x7777, seq)};
	u32 len = ICMP_HLEN + payload_len;

	for (u32 i = 0; i < payload_len; i++)
		msg[ICMP_HLEN + i] = (u8)(i * 7);
	icmp_emit(&ih, msg, payload_len);
	for (u32 off = 0; off < len; off += 1480) {
		struct iphdr_info h = ipt_hdr(IPPROTO_ICMP);
		u32 chunk = MIN(len - off, 1480u);
		h.id = seq;
		h.frag_off_bytes = (u16)off;
		h.mf = off + chunk < len;
		ipt_rx(f, ipt_ip_frame(f, &h, msg + off, chunk));
	}
}

static void check_big_reply(u32 payload_len)
{
	static u8 msg[70000];
	struct icmphdr_info ih;

	u32 n = collect_reply(msg, sizeof(msg), 1500);
	assert_int_equal(n, ICMP_HLEN + payload_len);
	assert_int_equal(icmp_parse(msg, n, &ih), 0);
	assert_int_equal(ih.type, ICMP_ECHOREPLY);
	for (u32 i = 0; i < payload_len; i++)
		if (msg[ICMP_HLEN + i] != (u8)(i * 7))
			fail_msg("payload byte %u differs", i);
}

/* `ping -s 8000` and `ping -s 65000` from Linux: fragments both ways. */
static void test_echo_fragmented_both_ways(void **state)
{
	(void)state;
	ipt_learn_peer();
	send_big_echo(1, 8000);
	check_big_reply(8000);
	send_big_echo(2, 65000);
	check_big_reply(65000);
	assert_int_equal(snmp_get(MIB_IpReasmOKs), 2);
	assert_int_equal(snmp_get(MIB_IpFragOKs), 2);
	assert_int_equal(snmp_get(MIB_IpFragCreates), 6 + 44);
}

/* The largest echo: 65,507 bytes of payload (65,535 in all). */
static void test_echo_max_size(void **state)
{
	(void)state;
	ipt_learn_peer();
	send_big_echo(3, ICMP_ECHO_MAX_PAYLOAD);
	check_big_reply(ICMP_ECHO_MAX_PAYLOAD);
}

/* Echo to the subnet broadcast: ignored (icmp_echo_ignore_broadcasts). */
static void test_echo_broadcast_ignored(void **state)
{
	u8 f[256];
	struct icmphdr_info ih = {.type = ICMP_ECHO, .rest = 0x00010001};
	struct iphdr_info h = ipt_hdr(IPPROTO_ICMP);
	u8 msg[16] = {0};

	(void)state;
	ipt_learn_peer();
	h.daddr = IPV4(198, 18, 0, 255);
	icmp_emit(&ih, msg, 8);
	size_t n = ipt_ip_frame(f, &h, msg, 16);
	memset(f, 0xff, ETH_ALEN);
	ipt_rx(f, n);
	assert_int_equal(snmp_get(MIB_IcmpInEchos), 1);
	assert_int_equal(snmp_get(MIB_IpExtInBcastPkts), 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
}

/* A bad ICMP checksum is counted, nothing is answered. */
static void test_icmp_bad_checksum(void **state)
{
	u8 f[128];

	(void)state;
	memcpy(f, echo_req_frame, sizeof(echo_req_frame));
	f[60] ^= 1; /* payload */
	ipt_rx(f, sizeof(echo_req_frame));
	assert_int_equal(snmp_get(MIB_IcmpInCsumErrors), 1);
	assert_int_equal(snmp_get(MIB_IcmpInErrors), 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	/* Shorter than an ICMP header. */
	struct iphdr_info h = ipt_hdr(IPPROTO_ICMP);
	ipt_rx(f, ipt_ip_frame(f, &h, "abc", 3));
	assert_int_equal(snmp_get(MIB_IcmpInErrors), 2);
}

/* The integration test's UDP probe to a closed port, padded to 60 bytes:
 * the exact port unreachable, quoting the datagram without the padding. */
static void test_port_unreachable_exact(void **state)
{
	u8 out[256];

	(void)state;
	ipt_learn_peer();
	ipt_rx(udp_closed_frame, sizeof(udp_closed_frame));
	int n = ipt_pop(out, sizeof(out));
	ipt_assert_frame_id0(out, n, port_unreach_frame_id0,
			     sizeof(port_unreach_frame_id0));
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 1);
	assert_int_equal(snmp_get(MIB_IcmpOutDestUnreachs), 1);
	assert_int_equal(snmp_get(MIB_IcmpOutMsgs), 1);
}

/* Rate limit per destination: a burst of 6, then one per second. */
static void test_error_rate_limit(void **state)
{
	(void)state;
	ipt_learn_peer();
	for (int i = 0; i < 20; i++)
		ipt_rx(udp_closed_frame, sizeof(udp_closed_frame));
	assert_int_equal(host_fakedev_tx_pending(eth0), 6);
	assert_int_equal(snmp_get(MIB_IcmpOutRateLimitHost), 14);
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 20);
	host_fakedev_tx_clear(eth0);
	host_clock_advance_ms(1000);
	for (int i = 0; i < 3; i++)
		ipt_rx(udp_closed_frame, sizeof(udp_closed_frame));
	assert_int_equal(host_fakedev_tx_pending(eth0), 1);
	/* Echo replies are never limited. */
	host_fakedev_tx_clear(eth0);
	for (int i = 0; i < 20; i++)
		ipt_rx(echo_req_frame, sizeof(echo_req_frame));
	assert_int_equal(host_fakedev_tx_pending(eth0), 20);
}

/* Unknown protocol: protocol unreachable quoting the datagram. */
static void test_protocol_unreachable(void **state)
{
	u8 f[256], out[256];
	struct iphdr_info h = ipt_hdr(200);

	(void)state;
	ipt_learn_peer();
	ipt_rx(f, ipt_ip_frame(f, &h, "0123456789abcdef", 16));
	int n = ipt_pop(out, sizeof(out));
	assert_int_equal(n, ETH_HLEN + 20 + 8 + 36);
	assert_int_equal(out[ETH_HLEN + 20], ICMP_DEST_UNREACH);
	assert_int_equal(out[ETH_HLEN + 21], ICMP_PROT_UNREACH);
	assert_memory_equal(out + ETH_HLEN + 28, f + ETH_HLEN, 36);
	assert_int_equal(snmp_get(MIB_IpInUnknownProtos), 1);
	assert_int_equal(snmp_get(MIB_IpInDelivers), 0);
}

/* RFC 1122 3.2.2: never an error about an error, a broadcast, a non-first
 * fragment or a source that is not a host. */
static void test_no_error_exceptions(void **state)
{
	u8 f[256];
	(void)state;
	ipt_learn_peer();
	/* A UDP datagram to the subnet broadcast: no port unreachable. */
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);
	u8 udp[8] = {0x9c, 0x40, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00};
	h.daddr = IPV4(198, 18, 0, 255);
	size_t n = ipt_ip_frame(f, &h, udp, 8);
	memset(f, 0xff, 6);
	ipt_rx(f, n);
	assert_int_equal(snmp_get(MIB_UdpIgnoredMulti), 1);
	/* Unicast IP inside a link broadcast frame: still no error. */
	h = ipt_hdr(200);
	n = ipt_ip_frame(f, &h, udp, 8);
	memset(f, 0xff, 6);
	ipt_rx(f, n);
	/* An unknown ICMP error type quoted: never answered (it is ICMP, so
	 * no protocol unreachable either way). An ICMP error for an
	 * unknown protocol inside, from a broadcast source... */
	h = ipt_hdr(200);
	h.saddr = IPV4(198, 18, 0, 255);
	ipt_rx(f, ipt_ip_frame(f, &h, udp, 8));
	h = ipt_hdr(200);
	h.saddr = IPV4(224, 0, 0, 1);
	ipt_rx(f, ipt_ip_frame(f, &h, udp, 8));
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	assert_int_equal(snmp_get(MIB_IcmpOutMsgs), 0);
}

/* A received port unreachable quoting one of our datagrams reaches the
 * quoted protocol's err_handler; one quoting somebody else's does not. */
static void test_error_delivered_to_protocol(void **state)
{
	u8 f[256], body[28];
	struct iphdr_info q = {.version = 4,
			       .ihl_bytes = 20,
			       .tot_len = 100,
			       .ttl = 64,
			       .protocol = SINK_PROTO,
			       .saddr = OUR_IP,
			       .daddr = IPV4(198, 18, 0, 7)};
	struct icmphdr_info ih = {.type = ICMP_DEST_UNREACH,
				  .code = ICMP_PORT_UNREACH};

	(void)state;
	ip_hdr_emit(&q, body);
	memset(body + 20, 0x11, 8);
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_int_equal(sink.errors, 1);
	assert_int_equal(sink.err_type, ICMP_DEST_UNREACH);
	assert_int_equal(sink.err_code, ICMP_PORT_UNREACH);
	assert_int_equal(sink.err_quoted_daddr, IPV4(198, 18, 0, 7));
	assert_int_equal(snmp_get(MIB_IcmpInDestUnreachs), 1);
	/* Not ours. */
	q.saddr = IPV4(198, 18, 0, 9);
	ip_hdr_emit(&q, body);
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_int_equal(sink.errors, 1);
	/* Too short a quote (header + 4 bytes): an input error. */
	q.saddr = OUR_IP;
	ip_hdr_emit(&q, body);
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, 24));
	assert_int_equal(sink.errors, 1);
	assert_int_equal(snmp_get(MIB_IcmpInErrors), 1);
	/* Time exceeded goes the same way. */
	ih.type = ICMP_TIME_EXCEEDED;
	ih.code = ICMP_EXC_TTL;
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_int_equal(sink.errors, 2);
	assert_int_equal(sink.err_type, ICMP_TIME_EXCEEDED);
}

/* Fragmentation needed (RFC 1191): learn the path MTU, hand it on; a
 * forged tiny MTU is raised to 552; 0 means the plateau below. */
static void test_frag_needed_updates_pmtu(void **state)
{
	u8 f[256], body[28];
	u32 dst = IPV4(198, 18, 0, 20);
	struct iphdr_info q = {.version = 4,
			       .ihl_bytes = 20,
			       .tot_len = 1500,
			       .df = true,
			       .ttl = 64,
			       .protocol = SINK_PROTO,
			       .saddr = OUR_IP,
			       .daddr = dst};
	struct icmphdr_info ih = {
	    .type = ICMP_DEST_UNREACH, .code = ICMP_FRAG_NEEDED, .rest = 1400};

	(void)state;
	ip_hdr_emit(&q, body);
	memset(body + 20, 0, 8);
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_int_equal(ip_pmtu_get(dst), 1400);
	assert_int_equal(sink.err_info, 1400);
	ih.rest = 100;
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_int_equal(ip_pmtu_get(dst), 552);
	q.daddr = dst + 1;
	ip_hdr_emit(&q, body);
	ih.rest = 0;
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_int_equal(ip_pmtu_get(dst + 1), 1492);
	/* It expires after 10 minutes. */
	host_clock_advance_ms(10 * 60 * 1000 + 1);
	assert_int_equal(ip_pmtu_get(dst), 0);
}

/* ---- the appliance's own echoes -------------------------------------------
 */

static struct {
	u32 calls;
	u16 id, seq;
	u32 from, len;
	u8 ttl;
} heard;

static void listener(u16 id, u16 seq, u32 from, u32 len, u8 ttl, u64 rx_ns)
{
	(void)rx_ns;
	heard.calls++;
	heard.id = id;
	heard.seq = seq;
	heard.from = from;
	heard.len = len;
	heard.ttl = ttl;
}

/* Turn a request we sent into the peer's reply (type 0, TTL 63). */
static size_t reflect(const u8 *req, int n, u8 *f)
{
	struct icmphdr_info ih;
	struct iphdr_info h = ipt_hdr(IPPROTO_ICMP);
	u32 hl = (req[ETH_HLEN] & 15) * 4, len = (u32)n - ETH_HLEN - hl;
	static u8 msg[70000];

	assert_int_equal(icmp_parse(req + ETH_HLEN + hl, len, &ih), 0);
	assert_int_equal(ih.type, ICMP_ECHO);
	ih.type = ICMP_ECHOREPLY;
	memcpy(msg, req + ETH_HLEN + hl, len);
	icmp_emit(&ih, msg, len - ICMP_HLEN);
	h.ttl = 63;
	return ipt_ip_frame(f, &h, msg, len);
}

static void test_send_echo_and_listener(void **state)
{
	u8 req[2048], f[2048];

	(void)state;
	ipt_learn_peer();
	memset(&heard, 0, sizeof(heard));
	icmp_set_echo_listener(listener);
	assert_int_equal(icmp_send_echo(PEER_IP, 0xabcd, 7, 56), 0);
	int n = ipt_pop(req, sizeof(req));
	assert_int_equal(n, ETH_HLEN + 20 + 8 + 56);
	assert_memory_equal(req, peer_mac, 6);
	assert_int_equal(req[ETH_HLEN + 6] & 0x40, 0); /* no DF */
	/* Bytes after the 8-byte timestamp count up, like iputils. */
	assert_int_equal(req[ETH_HLEN + 28 + 8], 8);
	assert_int_equal(req[ETH_HLEN + 28 + 55], 55);
	ipt_rx(f, reflect(req, n, f));
	assert_int_equal(heard.calls, 1);
	assert_int_equal(heard.id, 0xabcd);
	assert_int_equal(heard.seq, 7);
	assert_int_equal(heard.from, PEER_IP);
	assert_int_equal(heard.len, 56);
	assert_int_equal(heard.ttl, 63);
	assert_int_equal(snmp_get(MIB_IcmpOutEchos), 1);
	assert_int_equal(snmp_get(MIB_IcmpInEchoReps), 1);
	icmp_set_echo_listener(NULL);
	/* No route: an error, nothing sent. */
	assert_int_equal(icmp_send_echo(IPV4(203, 0, 113, 1), 1, 1, 56),
			 -ENETUNREACH);
	assert_int_equal(icmp_send_echo(PEER_IP, 1, 1, 65508), -EMSGSIZE);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
}

/* ---- the ping command -----------------------------------------------------
 */

/*
 * The peer, while `ping` runs: ping waits in udelay, which moves the fake
 * clock and runs timers, so the test cannot answer between two calls.
 * Instead a POST_ROUTING hook builds the peer's reply to each echo
 * request (except seq reflect_skip_seq, "lost") and a timer delivers the
 * queued replies a jiffy later, as if they came back over the wire.
 */

static struct sk_buff_head pending_replies;
static u32 reflect_count, reflect_skip_seq = 0xffff;

static unsigned int reflect_hook(unsigned int hook, struct sk_buff *skb,
				 const struct net_device *in,
				 const struct net_device *out)
{
	(void)hook, (void)in, (void)out;
	const u8 *ip = skb->data;
	u32 hl = (ip[0] & 15) * 4;
	if (ip[9] != IPPROTO_ICMP || ip[hl] != ICMP_ECHO)
		return NF_ACCEPT;
	u16 seq = load_be16(ip + hl + 6);
	if (seq == reflect_skip_seq)
		return NF_ACCEPT; /* this one is "lost" */
	/* Build the peer's reply frame now, deliver it later. */
	static u8 f[2048];
	u8 fake_req[2048];
	memcpy(fake_req + ETH_HLEN, ip, skb->len);
	size_t n = reflect(fake_req, (int)(ETH_HLEN + skb->len), f);
	struct sk_buff *r = alloc_skb((u32)n);
	memcpy(skb_put(r, (u32)n), f, n);
	skb_queue_tail(&pending_replies, r);
	reflect_count++;
	return NF_ACCEPT;
}

/* Deliver the queued replies (from the fake clock's softirq runs). */
static void deliver_replies(struct timer_list *t)
{
	struct sk_buff *r;

	while ((r = skb_dequeue(&pending_replies))) {
		host_fakedev_rx(eth0, r->data, r->len);
		kfree_skb(r);
	}
	mod_timer(t, get_jiffies() + 1);
}

static void test_ping_command(void **state)
{
	static struct timer_list t;

	(void)state;
	ipt_learn_peer();
	skb_queue_head_init(&pending_replies);
	nf_register_ipv4_hook(NF_INET_POST_ROUTING, reflect_hook);
	kernel_timer_setup(&t, deliver_replies);
	mod_timer(&t, get_jiffies() + 1);
	reflect_skip_seq = 3;
	assert_int_equal(host_shell_run("ping -c 4 -i 0.2 198.18.0.1"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, "PING 198.18.0.1 (198.18.0.1) 56(84) "
				    "bytes of data.\n"));
	assert_non_null(strstr(out, "64 bytes from 198.18.0.1: icmp_seq=1 "
				    "ttl=63 time="));
	assert_non_null(strstr(out, "icmp_seq=4 ttl=63"));
	assert_null(strstr(out, "icmp_seq=3 "));
	assert_non_null(strstr(out, "--- 198.18.0.1 ping statistics ---\n"
				    "4 packets transmitted, 3 received, 25% "
				    "packet loss, time "));
	assert_non_null(strstr(out, "rtt min/avg/max/mdev = "));
	/* -s and a key press to stop an endless ping. */
	reflect_skip_seq = 0xffff;
	host_shell_key_at_ns(host_clock_ns() + 2500ull * 1000000);
	assert_int_equal(host_shell_run("ping -s 1000 198.18.0.1"), 0);
	out = host_shell_output();
	assert_non_null(strstr(out, "1000(1028) bytes of data."));
	assert_non_null(strstr(out, "1008 bytes from 198.18.0.1: icmp_seq=3"));
	assert_non_null(strstr(out, "3 packets transmitted, 3 received, 0% "
				    "packet loss"));
	host_shell_key_at_ns(0);
	/* Bad arguments. */
	assert_int_equal(host_shell_run("ping"), -EINVAL);
	assert_int_equal(host_shell_run("ping -s 70000 198.18.0.1"), -EINVAL);
	assert_int_equal(host_shell_run("ping -c 0 198.18.0.1"), -EINVAL);
	assert_int_equal(host_shell_run("ping 1.2.3"), -EINVAL);
	/* No route. */
	assert_int_equal(host_shell_run("ping -c 1 203.0.113.9"),
			 SHELL_ERR_SHOWN);
	assert_non_null(strstr(host_shell_output(), "Network is unreachable"));
	nf_register_ipv4_hook(NF_INET_POST_ROUTING, NULL);
	del_timer(&t);
	skb_queue_purge(&pending_replies);
}

/* nstat prints what moved, in nstat's format. */
static void test_nstat(void **state)
{
	(void)state;
	ipt_learn_peer();
	host_shell_run("nstat -n");
	ipt_rx(echo_req_frame, sizeof(echo_req_frame));
	assert_int_equal(host_shell_run("nstat"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, "#kernel\n"));
	assert_non_null(strstr(out, "IpInReceives                    1  "
				    "                0.0\n"));
	assert_non_null(strstr(out, "IcmpMsgInType8                  1"));
	assert_null(strstr(out, "IpInHdrErrors"));
	assert_int_equal(host_shell_run("nstat"), 0);
	assert_null(strstr(host_shell_output(), "IpInReceives"));
	assert_int_equal(host_shell_run("nstat -az IpInHdr*"), 0);
	assert_non_null(strstr(host_shell_output(), "IpInHdrErrors"));
	assert_int_equal(host_shell_run("netstat -s"), 0);
	assert_non_null(strstr(host_shell_output(), "Icmp:\n"));
	assert_non_null(strstr(host_shell_output(), "    InEchos: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ipt_setup, ipt_teardown)
	    T(test_echo_exact_frame_after_arp),
	    T(test_echo_fragmented_both_ways),
	    T(test_echo_max_size),
	    T(test_echo_broadcast_ignored),
	    T(test_icmp_bad_checksum),
	    T(test_port_unreachable_exact),
	    T(test_error_rate_limit),
	    T(test_protocol_unreachable),
	    T(test_no_error_exceptions),
	    T(test_error_delivered_to_protocol),
	    T(test_frag_needed_updates_pmtu),
	    T(test_send_echo_and_listener),
	    T(test_ping_command),
	    T(test_nstat),
#undef T
	};

	return cmocka_run_group_tests_name("icmp", tests, NULL, NULL);
}
