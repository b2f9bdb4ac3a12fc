/*
 * test_udp.c - UDP (net/udp.c, net/udp_wire.c), the socket layer
 * (net/socket.c: dispatch, event loops, apps, ss) and the echo app
 * (apps/echo/echo.c), through the whole host-built stack with the fake
 * device. Golden frames were built with scapy.
 */
#include "ipv4_test.h"

#include <skiff/apps.h>
#include <skiff/net/sock_internal.h>
#include <skiff/net/socket.h>
#include <skiff/net/udp_wire.h>

#define PEER_PORT 40000

/* scapy: raw(IP(src="198.18.0.1", dst="198.18.0.2") /
 *            UDP(sport=40000, dport=7) / b"hello")[20:] */
static const u8 golden_udp_in[13] = {0x9c, 0x40, 0x00, 0x07, 0x00, 0x0d, 0x93,
				     0x92, 0x68, 0x65, 0x6c, 0x6c, 0x6f};

/* scapy: Ether(src=us, dst=peer) / IP(src="198.18.0.2",
 * dst="198.18.0.1", id=0, ttl=64) / UDP(sport=7, dport=40000) / b"hello" */
static const u8 golden_echo_out[47] = {
    0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11,
    0xee, 0xa4, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x07,
    0x9c, 0x40, 0x00, 0x0d, 0x93, 0x92, 0x68, 0x65, 0x6c, 0x6c, 0x6f};

/* A datagram peer:sport -> us:dport with payload, checksum computed
 * (csum false: zero checksum). Returns the frame length. */
static size_t udp_in(u8 *f, u16 sport, u16 dport, const void *payload,
		     size_t len, bool csum)
{
	static u8 d[2048];
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);
	struct udp_hdr uh = {sport, dport, (u16)(UDP_HLEN + len), 0};

	udp_emit(&uh, d);
	memcpy(d + UDP_HLEN, payload, len);
	if (csum)
		store_be16(d + 6, udp_csum(PEER_IP, OUR_IP, d, uh.len));
	return ipt_ip_frame(f, &h, d, UDP_HLEN + len);
}

static void rx_udp(u16 sport, u16 dport, const void *payload, size_t len)
{
	u8 f[2100];
	ipt_rx(f, udp_in(f, sport, dport, payload, len, true));
}

static struct socket *udp_bound(u32 addr, u16 port)
{
	struct socket *s;
	assert_int_equal(sock_create(SOCK_DGRAM, &s), 0);
	assert_int_equal(sock_bind(s, addr, port), 0);
	return s;
}

/* ---- wire ------------------------------------------------------------- */

static void test_wire_golden(void **state)
{
	struct udp_hdr h;
	u8 out[13];

	(void)state;
	assert_int_equal(udp_parse(golden_udp_in, 13, &h), 0);
	assert_int_equal(h.sport, 40000);
	assert_int_equal(h.dport, 7);
	assert_int_equal(h.len, 13);
	assert_int_equal(h.check, 0x9392);
	assert_true(udp_csum_ok(PEER_IP, OUR_IP, golden_udp_in, 13));
	/* Emit and checksum give the same bytes back. */
	struct udp_hdr e = {40000, 7, 13, 0};
	udp_emit(&e, out);
	memcpy(out + 8, "hello", 5);
	store_be16(out + 6, udp_csum(PEER_IP, OUR_IP, out, 13));
	assert_memory_equal(out, golden_udp_in, 13);
	/* A wrong address breaks the pseudo-header sum. */
	assert_false(udp_csum_ok(PEER_IP + 1, OUR_IP, golden_udp_in, 13));
}

static void test_wire_malformed(void **state)
{
	struct udp_hdr h;
	u8 b[16] = {0, 1, 0, 2, 0, 8, 0, 0};

	(void)state;
	assert_int_equal(udp_parse(b, 7, &h), -EINVAL); /* short */
	assert_int_equal(udp_parse(b, 8, &h), 0);	/* empty payload */
	store_be16(b + 4, 7);
	assert_int_equal(udp_parse(b, 16, &h), -EINVAL); /* len < 8 */
	store_be16(b + 4, 17);
	assert_int_equal(udp_parse(b, 16, &h), -EINVAL); /* len > avail */
	store_be16(b + 4, 12);
	assert_int_equal(udp_parse(b, 16, &h), 0); /* padding after */
	/* A zero checksum is "none" (RFC 768); a computed 0 is sent as
	 * 0xffff, found by trying payloads until the sum folds to 0. */
	assert_true(udp_csum_ok(1, 2, b, 12));
	bool seen = false;
	for (u32 v = 0; v < 0x10000 && !seen; v++) {
		u8 d[10] = {0, 1, 0, 2, 0, 10, 0, 0, (u8)(v >> 8), (u8)v};
		u16 c = udp_csum(1, 2, d, 10);
		assert_int_not_equal(c, 0);
		seen = c == 0xffff;
		if (seen) {
			store_be16(d + 6, c);
			assert_true(udp_csum_ok(1, 2, d, 10));
		}
	}
	assert_true(seen);
}

/* ---- receive and send -------------------------------------------------- */

static void test_recv_send(void **state)
{
	u8 buf[64], f[128];
	u32 addr;
	u16 port;

	(void)state;
	ipt_learn_peer();
	struct socket *s = udp_bound(INADDR_ANY, 5001);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	rx_udp(PEER_PORT, 5001, "hello", 5);
	assert_int_equal(snmp_get(MIB_UdpInDatagrams), 1);
	assert_true(sock_poll(s) & SOCK_EV_IN);
	/* MSG_PEEK leaves it; a short buffer truncates (the rest is lost). */
	assert_int_equal(sock_recvfrom(s, buf, 3, MSG_PEEK, &addr, &port), 3);
	assert_int_equal(sock_recvfrom(s, buf, sizeof(buf), 0, &addr, &port),
			 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(addr, PEER_IP);
	assert_int_equal(port, PEER_PORT);
	assert_false(sock_poll(s) & SOCK_EV_IN);
	assert_true(sock_poll(s) & SOCK_EV_OUT);
	/* Send: one frame with a valid checksum. */
	assert_int_equal(sock_sendto(s, "abc", 3, 0, PEER_IP, PEER_PORT), 3);
	int n = ipt_pop(f, sizeof(f));
	assert_int_equal(n, 14 + 20 + 8 + 3); /* the NIC pads, not us */
	assert_int_equal(load_be16(f + 34), 5001);
	assert_int_equal(load_be16(f + 36), PEER_PORT);
	assert_true(udp_csum_ok(OUR_IP, PEER_IP, f + 34, 11));
	assert_int_equal(snmp_get(MIB_UdpOutDatagrams), 1);
	/* Errors of the arguments. */
	assert_int_equal(sock_send(s, "x", 1, 0), -EDESTADDRREQ);
	assert_int_equal(sock_sendto(s, "x", 1, 0, PEER_IP, 0), -EINVAL);
	assert_int_equal(sock_sendto(s, buf, 65508, 0, PEER_IP, 9), -EMSGSIZE);
	assert_int_equal(sock_listen(s, 1), -EOPNOTSUPP);
	assert_int_equal(sock_close(s), 0);
}

static void test_zero_checksum_and_bad(void **state)
{
	u8 f[256], buf[16];

	(void)state;
	struct socket *s = udp_bound(OUR_IP, 5002);
	ipt_rx(f, udp_in(f, PEER_PORT, 5002, "zz", 2, false)); /* no sum */
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0), 2);
	size_t n = udp_in(f, PEER_PORT, 5002, "zz", 2, true);
	f[n - 1] ^= 0x55;
	ipt_rx(f, n);
	assert_int_equal(snmp_get(MIB_UdpInCsumErrors), 1);
	assert_int_equal(snmp_get(MIB_UdpInErrors), 1);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* Length field past the IP payload. */
	n = udp_in(f, PEER_PORT, 5002, "zz", 2, false);
	store_be16(f + 38, 11);
	ipt_rx(f, n);
	assert_int_equal(snmp_get(MIB_UdpInErrors), 2);
	assert_int_equal(snmp_get(MIB_UdpInDatagrams), 1);
	sock_close(s);
}

static void test_closed_port_unreachable(void **state)
{
	u8 f[256];

	(void)state;
	ipt_learn_peer();
	rx_udp(PEER_PORT, 5999, "hi", 2);
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 1);
	int n = ipt_pop(f, sizeof(f));
	assert_true(n >= 14 + 20 + 8 + 28);
	assert_int_equal(f[23], IPPROTO_ICMP);
	assert_int_equal(f[34], ICMP_DEST_UNREACH);
	assert_int_equal(f[35], ICMP_PORT_UNREACH);
	/* It quotes our datagram's header: destination port 5999. */
	assert_int_equal(load_be16(f + 42 + 20 + 2), 5999);
}

static void test_bind_rules(void **state)
{
	struct socket *a, *b, *c;
	int one = 1;

	(void)state;
	a = udp_bound(INADDR_ANY, 5003);
	assert_int_equal(sock_create(SOCK_DGRAM, &b), 0);
	assert_int_equal(sock_bind(b, OUR_IP, 5003), -EADDRINUSE);
	assert_int_equal(sock_bind(b, IPV4(10, 9, 9, 9), 5004), -EADDRNOTAVAIL);
	/* SO_REUSEADDR on both: allowed. */
	sock_close(a);
	a = NULL;
	assert_int_equal(sock_create(SOCK_DGRAM, &a), 0);
	assert_int_equal(
	    sock_setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(
	    sock_setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(sock_bind(a, INADDR_ANY, 5003), 0);
	assert_int_equal(sock_bind(b, INADDR_ANY, 5003), 0);
	assert_int_equal(sock_bind(b, INADDR_ANY, 5005), -EINVAL); /* again */
	/* Autobind on connect: an ephemeral port from Linux's range. */
	assert_int_equal(sock_create(SOCK_DGRAM, &c), 0);
	assert_int_equal(sock_connect(c, PEER_IP, 53), 0);
	u32 la, ra;
	u16 lp, rp;
	c->ops->names(c, &la, &lp, &ra, &rp);
	assert_true(lp >= 32768 && lp <= 60999);
	assert_int_equal(ra, PEER_IP);
	assert_int_equal(rp, 53);
	assert_int_equal(sock_connect(c, PEER_IP, 0), -EINVAL);
	/* SO_RCVBUF doubles like Linux, clamped; SO_ERROR reads 0. */
	int v = 4096, got = 0;
	size_t len = sizeof(got);
	assert_int_equal(sock_setsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, 4), 0);
	assert_int_equal(sock_getsockopt(c, SOL_SOCKET, SO_RCVBUF, &got, &len),
			 0);
	assert_int_equal(got, 8192);
	assert_int_equal(sock_getsockopt(c, SOL_SOCKET, SO_ERROR, &got, &len),
			 0);
	assert_int_equal(got, 0);
	assert_int_equal(sock_create(SOCK_STREAM + 40, &c), -EPROTONOSUPPORT);
	sock_close(a);
	sock_close(b);
	/* The port is free again after close. */
	a = udp_bound(OUR_IP, 5003);
	sock_close(a);
}

static void test_connected_filter(void **state)
{
	u8 buf[16];
	u32 addr;
	u16 port;

	(void)state;
	ipt_learn_peer();
	struct socket *wild = udp_bound(INADDR_ANY, 5006);
	struct socket *conn;
	assert_int_equal(sock_create(SOCK_DGRAM, &conn), 0);
	int one = 1;
	sock_setsockopt(wild, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sock_setsockopt(conn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(sock_bind(conn, INADDR_ANY, 5006), 0);
	assert_int_equal(sock_connect(conn, PEER_IP, 6000), 0);
	/* From the connected peer: the connected socket (the better match);
	 * from another port: the wildcard one. */
	rx_udp(6000, 5006, "c", 1);
	rx_udp(6001, 5006, "w", 1);
	assert_int_equal(sock_recvfrom(conn, buf, 16, 0, &addr, &port), 1);
	assert_int_equal(buf[0], 'c');
	assert_int_equal(sock_recv(conn, buf, 16, 0), -EAGAIN);
	assert_int_equal(sock_recvfrom(wild, buf, 16, 0, &addr, &port), 1);
	assert_int_equal(buf[0], 'w');
	assert_int_equal(port, 6001);
	/* send() goes to the connected peer. */
	host_fakedev_tx_clear(eth0);
	assert_int_equal(sock_send(conn, "x", 1, 0), 1);
	u8 f[128];
	ipt_pop(f, sizeof(f));
	assert_int_equal(load_be16(f + 36), 6000);
	/* shutdown: reads give EOF, writes EPIPE. */
	assert_int_equal(sock_shutdown(wild, SHUT_RD), -ENOTCONN);
	assert_int_equal(sock_shutdown(conn, SHUT_RDWR), 0);
	assert_int_equal(sock_recv(conn, buf, 16, 0), 0);
	assert_int_equal(sock_send(conn, "x", 1, 0), -EPIPE);
	assert_true(sock_poll(conn) & SOCK_EV_HUP);
	sock_close(conn);
	sock_close(wild);
}

/* Our datagram 198.18.0.2:lport -> 198.18.0.1:rport quoted in an ICMP
 * destination unreachable (code) from the peer. */
static void rx_icmp_unreach(u8 code, u16 lport, u16 rport)
{
	u8 quote[28], f[256];
	struct iphdr_info qh = {.version = 4,
				.ihl_bytes = 20,
				.tot_len = 28,
				.ttl = 64,
				.protocol = IPPROTO_UDP,
				.saddr = OUR_IP,
				.daddr = PEER_IP};
	ip_hdr_emit(&qh, quote);
	struct udp_hdr uh = {lport, rport, 8, 0};
	udp_emit(&uh, quote + 20);
	struct icmphdr_info ih = {.type = ICMP_DEST_UNREACH, .code = code};
	ipt_rx(f, ipt_icmp_frame(f, &ih, quote, sizeof(quote)));
}

static void test_icmp_error_to_connected(void **state)
{
	u8 buf[8];
	int err;
	size_t len = sizeof(err);

	(void)state;
	ipt_learn_peer();
	struct socket *s = udp_bound(INADDR_ANY, 5007);
	struct socket *u = udp_bound(INADDR_ANY, 5008); /* not connected */
	assert_int_equal(sock_connect(s, PEER_IP, 9), 0);
	rx_icmp_unreach(ICMP_PORT_UNREACH, 5007, 9);
	rx_icmp_unreach(ICMP_PORT_UNREACH, 5008, 9);
	assert_true(sock_poll(s) & SOCK_EV_ERR);
	assert_false(sock_poll(u) & SOCK_EV_ERR);
	assert_int_equal(sock_recv(s, buf, 8, 0), -ECONNREFUSED);
	assert_int_equal(sock_recv(s, buf, 8, 0), -EAGAIN); /* once */
	/* A quote for another peer port does not match. */
	rx_icmp_unreach(ICMP_HOST_UNREACH, 5007, 10);
	assert_false(sock_poll(s) & SOCK_EV_ERR);
	rx_icmp_unreach(ICMP_HOST_UNREACH, 5007, 9);
	assert_int_equal(sock_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len),
			 0);
	assert_int_equal(err, EHOSTUNREACH);
	assert_false(sock_poll(s) & SOCK_EV_ERR);
	sock_close(s);
	sock_close(u);
}

static void test_rcvbuf_limit(void **state)
{
	u8 payload[1000] = {0}, buf[1000];
	int v = 4096; /* doubled: 8 KiB, a few 2 KiB buffers */

	(void)state;
	struct socket *s = udp_bound(INADDR_ANY, 5009);
	assert_int_equal(sock_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, 4), 0);
	for (int i = 0; i < 40; i++)
		rx_udp(PEER_PORT, 5009, payload, sizeof(payload));
	u64 queued = snmp_get(MIB_UdpInDatagrams);
	assert_true(queued > 0 && queued < 40);
	assert_int_equal(snmp_get(MIB_UdpRcvbufErrors), 40 - queued);
	assert_int_equal(snmp_get(MIB_UdpInErrors), 40 - queued);
	for (u64 i = 0; i < queued; i++)
		assert_int_equal(sock_recv(s, buf, sizeof(buf), 0), 1000);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* Space again: the next one is queued. */
	rx_udp(PEER_PORT, 5009, payload, 10);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0), 10);
	sock_close(s); /* with nothing queued; close with data is below */
	s = udp_bound(INADDR_ANY, 5009);
	rx_udp(PEER_PORT, 5009, payload, 10);
	sock_close(s); /* frees the queued skb (ASan checks) */
}

static struct {
	u32 calls, saddr, daddr;
	u16 sport;
	u8 data[16];
	u32 len;
} klisten;

static void klisten_rcv(struct sk_buff *skb, u32 saddr, u16 sport, u32 daddr,
			void *arg)
{
	assert_ptr_equal(arg, &klisten);
	klisten.calls++;
	klisten.saddr = saddr;
	klisten.sport = sport;
	klisten.daddr = daddr;
	klisten.len = skb->len;
	memcpy(klisten.data, skb->data, MIN(skb->len, 16u));
	consume_skb(skb);
}

static void test_kernel_listener(void **state)
{
	u8 f[256];
	struct socket *s;

	(void)state;
	assert_int_equal(udp_kernel_listen(68, klisten_rcv, &klisten), 0);
	assert_int_equal(udp_kernel_listen(68, klisten_rcv, &klisten),
			 -EADDRINUSE);
	assert_int_equal(sock_create(SOCK_DGRAM, &s), 0);
	assert_int_equal(sock_bind(s, INADDR_ANY, 68), -EADDRINUSE);
	sock_close(s);
	/* A broadcast to 255.255.255.255 reaches it (DHCP before an
	 * address: here the device has one, which does not matter). */
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);
	h.daddr = INADDR_BROADCAST;
	u8 d[12] = {0, 67, 0, 68, 0, 12, 0, 0, 'o', 'f', 'f', 'r'};
	size_t n = ipt_ip_frame(f, &h, d, sizeof(d));
	memset(f, 0xff, 6);
	ipt_rx(f, n);
	assert_int_equal(klisten.calls, 1);
	assert_int_equal(klisten.saddr, PEER_IP);
	assert_int_equal(klisten.daddr, INADDR_BROADCAST);
	assert_int_equal(klisten.sport, 67);
	assert_int_equal(klisten.len, 4);
	assert_memory_equal(klisten.data, "offr", 4);
	assert_int_equal(snmp_get(MIB_UdpInDatagrams), 1);
}

static void test_broadcast_no_port_is_silent(void **state)
{
	u8 f[256];

	(void)state;
	ipt_learn_peer();
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);
	h.daddr = IPV4(198, 18, 0, 255);
	u8 d[8] = {0, 1, 0x17, 0x71, 0, 8, 0, 0};
	size_t n = ipt_ip_frame(f, &h, d, sizeof(d));
	memset(f, 0xff, 6);
	ipt_rx(f, n);
	assert_int_equal(snmp_get(MIB_UdpIgnoredMulti), 1);
	assert_int_equal(snmp_get(MIB_UdpNoPorts), 0);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
}

/* ---- event loops and apps ---------------------------------------------- */

static struct {
	u32 turns, events;
	struct sock_event last;
} app;

static void test_app_fn(struct sock_loop *l, struct sock_event *ev, int n,
			void *arg)
{
	(void)l;
	assert_ptr_equal(arg, &app);
	app.turns++;
	app.events += (u32)n;
	if (n)
		app.last = ev[0];
}

static void test_event_loop(void **state)
{
	struct sock_event ev[4];
	u8 buf[8];
	int cookie;

	(void)state;
	struct sock_loop *l = sock_loop_create();
	struct socket *s = udp_bound(INADDR_ANY, 5010);
	assert_int_equal(sock_loop_add(l, s, SOCK_EV_IN, &cookie), 0);
	assert_int_equal(sock_loop_add(l, s, SOCK_EV_IN, &cookie), -EEXIST);
	assert_int_equal(sock_loop_poll(l, ev, 4), 0); /* nothing yet */
	rx_udp(PEER_PORT, 5010, "a", 1);
	rx_udp(PEER_PORT, 5010, "b", 1);
	assert_int_equal(sock_loop_poll(l, ev, 4), 1);
	assert_int_equal(ev[0].events, SOCK_EV_IN);
	assert_ptr_equal(ev[0].cookie, &cookie);
	assert_ptr_equal(ev[0].sock, s);
	/* Level-triggered: reported again while data is there. */
	assert_int_equal(sock_recv(s, buf, 8, 0), 1);
	assert_int_equal(sock_loop_poll(l, ev, 4), 1);
	assert_int_equal(sock_recv(s, buf, 8, 0), 1);
	assert_int_equal(sock_loop_poll(l, ev, 4), 0);
	assert_int_equal(sock_loop_poll(l, ev, 4), 0);
	/* Interest OUT: writable at once. */
	assert_int_equal(sock_loop_mod(l, s, SOCK_EV_OUT), 0);
	assert_int_equal(sock_loop_poll(l, ev, 4), 1);
	assert_int_equal(ev[0].events, SOCK_EV_OUT);
	assert_int_equal(sock_loop_mod(l, s, SOCK_EV_IN), 0);
	assert_int_equal(sock_loop_poll(l, ev, 4), 0);
	/* An app runs from apps_poll only with events (timeout 0). */
	assert_int_equal(app_register("t", l, test_app_fn, &app, 0, 0), 0);
	assert_int_equal(app_register("t", l, test_app_fn, &app, 7, 0),
			 -EINVAL);
	apps_poll();
	assert_int_equal(app.turns, 0);
	rx_udp(PEER_PORT, 5010, "c", 1);
	apps_poll();
	assert_int_equal(app.turns, 1);
	assert_int_equal(app.last.events, SOCK_EV_IN);
	/* Deleted from the loop (and closed with data queued): no more. */
	assert_int_equal(sock_loop_del(l, s), 0);
	assert_int_equal(sock_loop_del(l, s), -ENOENT);
	apps_poll();
	assert_int_equal(app.turns, 1);
	assert_int_equal(sock_loop_add(l, s, SOCK_EV_IN, NULL), 0);
	sock_close(s); /* leaves the loop itself */
	apps_poll();
	assert_int_equal(app.turns, 1);
}

static struct {
	u32 turns;
} tick;

static void tick_fn(struct sock_loop *l, struct sock_event *ev, int n,
		    void *arg)
{
	(void)l;
	(void)ev;
	(void)arg;
	assert_int_equal(n, 0);
	tick.turns++;
}

static void test_app_timeout(void **state)
{
	(void)state;
	struct sock_loop *l = sock_loop_create();
	assert_int_equal(app_register("tick", l, tick_fn, NULL, 0, 100), 0);
	apps_poll();
	assert_int_equal(tick.turns, 0);
	host_clock_advance_ms(100);
	apps_poll();
	apps_poll();
	assert_int_equal(tick.turns, 1);
	host_clock_advance_ms(250);
	apps_poll();
	assert_int_equal(tick.turns, 2);
}

/* ---- ss ----------------------------------------------------------------- */

static void test_ss(void **state)
{
	(void)state;
	struct socket *s = udp_bound(INADDR_ANY, 5011);
	struct socket *c = udp_bound(OUR_IP, 5012);
	assert_int_equal(sock_connect(c, PEER_IP, 53), 0);
	rx_udp(53, 5012, "12345", 5);
	assert_int_equal(host_shell_run("ss -uan"), 0);
	const char *o = host_shell_output();
	assert_non_null(strstr(o, "State"));
	assert_null(strstr(o, "Netid")); /* one family selected */
	assert_non_null(strstr(o, "UNCONN"));
	assert_non_null(strstr(o, "0.0.0.0:5011"));
	assert_non_null(strstr(o, "0.0.0.0:*"));
	assert_non_null(strstr(o, "ESTAB"));
	assert_non_null(strstr(o, "198.18.0.2:5012"));
	assert_non_null(strstr(o, "198.18.0.1:53"));
	/* Without -a: only the connected (non-listening) one. */
	assert_int_equal(host_shell_run("ss -u"), 0);
	o = host_shell_output();
	assert_null(strstr(o, ":5011"));
	assert_non_null(strstr(o, ":5012"));
	/* -l: the unconnected ones; -i adds skmem; no family: Netid. */
	assert_int_equal(host_shell_run("ss -uln"), 0);
	assert_non_null(strstr(host_shell_output(), ":5011"));
	assert_null(strstr(host_shell_output(), ":5012"));
	assert_int_equal(host_shell_run("ss -ai"), 0);
	assert_non_null(strstr(host_shell_output(), "Netid"));
	assert_non_null(strstr(host_shell_output(), "udp"));
	assert_non_null(strstr(host_shell_output(), "skmem:("));
	assert_int_equal(host_shell_run("ss -x"), -EINVAL);
	/* State filters: closed is UNCONN, established the connected one. */
	assert_int_equal(host_shell_run("ss -un state closed"), 0);
	assert_non_null(strstr(host_shell_output(), ":5011"));
	assert_null(strstr(host_shell_output(), ":5012"));
	assert_int_equal(host_shell_run("ss -un exclude closed"), 0);
	assert_null(strstr(host_shell_output(), ":5011"));
	assert_non_null(strstr(host_shell_output(), ":5012"));
	sock_close(s);
	sock_close(c);
}

/* ---- the echo app -------------------------------------------------------- */

static void test_echo_app(void **state)
{
	u8 f[128];

	(void)state;
	ipt_learn_peer();
	assert_int_equal(echo_start(7), 0);
	assert_int_equal(echo_start(7), -EALREADY);
	struct socket *t;
	if (sock_create(SOCK_STREAM, &t) == -EPROTONOSUPPORT)
		assert_true(host_log_contains("echo: TCP not available"));
	else
		sock_close(t);
	host_fakedev_tx_clear(eth0);
	rx_udp(PEER_PORT, 7, "hello", 5);
	apps_poll();
	int n = ipt_pop(f, sizeof(f));
	ipt_assert_frame_id0(f, n, golden_echo_out, sizeof(golden_echo_out));
	/* Loops with other reflectors are refused (chargen 19). */
	rx_udp(19, 7, "x", 1);
	apps_poll();
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	/* An empty datagram is echoed too. */
	rx_udp(PEER_PORT, 7, "", 0);
	apps_poll();
	assert_int_equal(host_fakedev_tx_pending(eth0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_golden),
	    cmocka_unit_test(test_wire_malformed),
	    cmocka_unit_test_setup_teardown(test_recv_send, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_zero_checksum_and_bad,
					    ipt_setup, ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_closed_port_unreachable,
					    ipt_setup, ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_bind_rules, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_connected_filter, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_icmp_error_to_connected,
					    ipt_setup, ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_rcvbuf_limit, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_listener, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_broadcast_no_port_is_silent,
					    ipt_setup, ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_event_loop, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_app_timeout, ipt_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_ss, ipt_setup, ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_echo_app, ipt_setup,
					    ipt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
