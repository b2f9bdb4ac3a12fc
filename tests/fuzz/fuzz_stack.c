/*
 * fuzz_stack.c - libFuzzer target for the whole appliance on the host:
 * the host-built stack with the HTTP server on TCP port 80 and the echo
 * app on UDP and TCP port 7 (tests/host/httpd_host.h), fed a sequence of
 * frames with the fake clock moving between them.
 *
 * The server runs with http.max_conns=4, http.pcap=on and log=debug, so
 * the 503 path, /debug/pcap and the access log are in reach.
 *
 * Each input starts with one established connection 198.18.0.1:40000 ->
 * 198.18.0.2:80 made by the harness (a scripted handshake, peer ISN
 * HARNESS_ISS, tests/host/tcp_peer.h), whose peer ACKs what the server
 * sends and follows the server's ACKs (so data the input sends on that
 * connection moves its sequence numbers on). Then the input, as records:
 *
 *   [delay: u16 ms, big-endian] [length: u16, big-endian] [frame bytes]
 *
 * The clock moves by delay (timers, softirqs and the apps run on the way,
 * at least once a second), then the frame goes in, then everything runs
 * until quiet. The length's low 12 bits are the frame's length (a record
 * cut short ends the input); bit 15 sends the frame raw. Otherwise the
 * harness fixes what random bytes rarely get right, so the input reaches
 * the code behind the checks:
 *   - an IPv4 frame gets its header checksum recomputed, and its TCP or
 *     UDP checksum when the total length fits the frame;
 *   - a TCP segment from a peer port that the server answered with a
 *     SYN-ACK (the harness's connection included) has its ACK number
 *     taken as relative to the server's ISN: ack 1 acknowledges the SYN,
 *     and ack 0 stands for all the server has sent (its SND.NXT). The
 *     server's ISN depends on the clock, so this is how a recorded
 *     exchange replays at all.
 * A segment on the harness's connection also sets the window the
 * harness's peer advertises from then on (a zero window stays shut).
 *
 * After the input the peer goes silent and the clock runs TAIL_S seconds
 * (every HTTP timeout, TIME_WAIT, every retransmission limit). Then the
 * checks, which abort (a crash for libFuzzer) when they fail:
 *   - no lock held; the HTTP server has no connection left (its gauges
 *     are 0);
 *   - as many sockets and TCP control blocks as before the input (the
 *     listeners);
 *   - every slab cache (kcache) has as many objects in use as after the
 *     warm-up: nothing leaked where LeakSanitizer cannot see (the
 *     neighbour table only stays within its bound: entries for the
 *     addresses an input made up are not timed out below gc_thresh1);
 *   - the echo app's connections are the exception to "everything
 *     times out": RFC 862 has no idle timeout, so the peer resets them
 *     after the tail.
 *
 * Seeds: tests/fuzz/corpus/stack/, made by tests/fuzz/mkseed_stack.py
 * (a GET on the harness's connection, pipelining, a second connection's
 * handshake, echo, FIN and RST closes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/mm.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/net.h>
#include <skiff/net/netcore.h>
#include <skiff/net/socket.h>
#include <skiff/net/tcp.h>
#include <skiff/net/tcp_wire.h>
#include <skiff/netdevice.h>
#include <skiff/slab.h>

#include "../../apps/httpd/httpd.h"
#include "../host/host.h"
#include "../host/httpd_host.h"
#include "../host/tcp_peer.h"

#define OUR_IP IPV4(198, 18, 0, 2)
#define PEER_IP IPV4(198, 18, 0, 1)
#define HARNESS_PORT 40000
#define HARNESS_ISS 0x01000000u
#define TAIL_S 2400 /* > 1 h of RTO backoff is not needed: ~18 min */
#define TAIL_STEP_MS 10000
#define LEN_RAW 0x8000
#define LEN_MASK 0x0fff
#define ISN_SLOTS 16
#define MAX_CACHES 64

static const u8 our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 peer_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static struct net_device *eth0;
static struct tcp_peer harness;

/* ---- the server's ISNs, learned from its SYN-ACKs ------------------------ */

static struct {
	u16 peer_port, our_port;
	u32 iss;
	bool used;
} isns[ISN_SLOTS];
static u32 isn_next;

static void observe(const u8 *f, size_t len)
{
	if (len < 14 + 40 || load_be16(f + 12) != 0x0800 || f[23] != 6)
		return;
	u32 ihl = (u32)(f[14] & 0xf) * 4;
	if (ihl < 20 || len < 14 + ihl + 20)
		return;
	const u8 *t = f + 14 + ihl;
	if ((t[13] & (TCP_FLAG_SYN | TCP_FLAG_ACK)) !=
	    (TCP_FLAG_SYN | TCP_FLAG_ACK))
		return;
	u16 ours = load_be16(t), theirs = load_be16(t + 2);
	u32 slot = isn_next;
	for (u32 i = 0; i < ISN_SLOTS; i++)
		if (isns[i].used && isns[i].peer_port == theirs &&
		    isns[i].our_port == ours)
			slot = i;
	if (slot == isn_next)
		isn_next = (isn_next + 1) % ISN_SLOTS;
	isns[slot].peer_port = theirs;
	isns[slot].our_port = ours;
	isns[slot].iss = load_be32(t + 4);
	isns[slot].used = true;
}

static bool isn_of(u16 peer_port, u16 our_port, u32 *iss)
{
	for (u32 i = 0; i < ISN_SLOTS; i++)
		if (isns[i].used && isns[i].peer_port == peer_port &&
		    isns[i].our_port == our_port) {
			*iss = isns[i].iss;
			return true;
		}
	return false;
}

/* ---- fixing frames up ------------------------------------------------------
 */

static u32 fz_csum_add(u32 sum, const u8 *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += load_be16(p + i);
	if (n & 1)
		sum += (u32)p[n - 1] << 8;
	return sum;
}

static u16 fz_csum_fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

static void fix_udp(u8 *u, u32 len, u32 saddr, u32 daddr)
{
	if (len < 8)
		return;
	u8 ph[12];
	store_be32(ph, saddr);
	store_be32(ph + 4, daddr);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	store_be16(ph + 10, (u16)len);
	store_be16(u + 6, 0);
	u16 c = fz_csum_fold(fz_csum_add(fz_csum_add(0, ph, 12), u, len));
	store_be16(u + 6, c ? c : 0xffff);
}

struct find_tcb {
	u16 peer_port, our_port;
	u32 snd_nxt;
	bool found;
};

static void find_tcb(struct tcp_sock *tp, void *ctx)
{
	struct find_tcb *f = ctx;
	if (tp->daddr == PEER_IP && tp->dport == f->peer_port &&
	    tp->sport == f->our_port && tp->state != TCP_LISTEN) {
		f->snd_nxt = tp->snd_nxt;
		f->found = true;
	}
}

/* A relative ACK: 0 means all the server has sent (SND.NXT), n the
 * server's ISN + n. */
static void fix_tcp_ack(u8 *t)
{
	u32 iss, rel = load_be32(t + 8);
	struct find_tcb f = {.peer_port = load_be16(t),
			     .our_port = load_be16(t + 2)};
	if (!isn_of(f.peer_port, f.our_port, &iss))
		return;
	if (rel == 0) {
		tcp_for_each(find_tcb, &f);
		if (f.found)
			store_be32(t + 8, f.snd_nxt);
	} else {
		store_be32(t + 8, rel + iss);
	}
}

static void fix_tcp(u8 *t, u32 len, u32 saddr, u32 daddr)
{
	if (len < 20)
		return;
	if (saddr == PEER_IP && daddr == OUR_IP)
		fix_tcp_ack(t);
	tcp_v4_csum_set(t, len, saddr, daddr);
}

static void fix_frame(u8 *f, u32 len)
{
	if (len < 14 + 20 || load_be16(f + 12) != 0x0800)
		return;
	u8 *ip = f + 14;
	u32 ihl = (u32)(ip[0] & 0xf) * 4;
	u32 tot = load_be16(ip + 2);
	if (ihl < 20 || 14 + ihl > len)
		return;
	if (tot >= ihl && 14 + tot <= len &&
	    (load_be16(ip + 6) & 0x3fff) == 0) { /* not a fragment */
		u32 s = load_be32(ip + 12), d = load_be32(ip + 16);
		if (ip[9] == IPPROTO_TCP)
			fix_tcp(ip + ihl, tot - ihl, s, d);
		else if (ip[9] == IPPROTO_UDP)
			fix_udp(ip + ihl, tot - ihl, s, d);
	}
	store_be16(ip + 10, 0);
	store_be16(ip + 10, fz_csum_fold(fz_csum_add(0, ip, ihl)));
}

/* ---- what must come back to where it was --------------------------------- */

struct census {
	u32 socks, tcbs, ncaches;
	u64 active[MAX_CACHES];
	const char *names[MAX_CACHES];
};

static void count_sock(struct socket *s, void *ctx)
{
	(void)s;
	((struct census *)ctx)->socks++;
}

static void count_tcb(struct tcp_sock *tp, void *ctx)
{
	(void)tp;
	((struct census *)ctx)->tcbs++;
}

static void count_cache(void *ctx, const struct kmem_cache *c)
{
	struct census *n = ctx;
	if (n->ncaches < MAX_CACHES) {
		n->names[n->ncaches] = c->name;
		n->active[n->ncaches++] = c->active_objs;
	}
}

static void take_census(struct census *n)
{
	memset(n, 0, sizeof(*n));
	sock_for_each(count_sock, n);
	tcp_for_each(count_tcb, n);
	kcache_for_each(count_cache, n);
}

static struct census baseline;

static void print_tcb(struct tcp_sock *tp, void *ctx)
{
	(void)ctx;
	fprintf(stderr,
		"  tcb :%u -> :%u %s snd_una %u snd_nxt %u rcv_nxt %u\n",
		tp->sport, tp->dport, tcp_state_name(tp->state), tp->snd_una,
		tp->snd_nxt, tp->rcv_nxt);
}

static void check(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_stack: invariant broken: %s\n", what);
	tcp_for_each(print_tcb, NULL);
	fprintf(stderr, "httpd: %llu active, %llu idle; timers pending %u\n",
		(unsigned long long)httpd_stats.conns_active,
		(unsigned long long)httpd_stats.conns_idle,
		host_timers_pending());
	abort();
}

static void check_census(void)
{
	struct census now;
	take_census(&now);
	check(host_locks_held() == 0, "a lock is held");
	check(httpd_stats.conns_active == 0, "httpd conns_active != 0");
	check(httpd_stats.conns_idle == 0, "httpd conns_idle != 0");
	check(now.socks == baseline.socks, "socket count != baseline");
	check(now.tcbs == baseline.tcbs, "TCP control blocks != baseline");
	check(now.ncaches >= baseline.ncaches, "a slab cache disappeared");
	for (u32 i = 0; i < baseline.ncaches; i++) {
		/* kcache_for_each lists the newest cache first. */
		u32 k = i + now.ncaches - baseline.ncaches;
		/* Neighbour entries are bounded, not timed: as in Linux,
		 * no periodic GC below gc_thresh1 (net/arp.c). */
		if (strcmp(now.names[k], "neighbour") == 0) {
			check(now.active[k] <= NEIGH_TABLE_MAX,
			      "neighbour table over its bound");
			continue;
		}
		if (now.active[k] != baseline.active[i]) {
			fprintf(stderr,
				"fuzz_stack: cache %s: %llu in use, "
				"%llu before\n",
				now.names[k], (unsigned long long)now.active[k],
				(unsigned long long)baseline.active[i]);
			check(false, "slab objects leaked");
		}
	}
}

/* ---- one input -------------------------------------------------------------
 */

static void open_harness(void)
{
	tcp_peer_connect(&harness, HARNESS_PORT, 80, HARNESS_ISS);
	harness.follow = true;
	tcp_peer_run(1, 1);
	check(harness.established, "the scripted handshake failed");
}

/* Echo connections (RFC 862) have no timeout: an idle one lives as long
 * as its peer does. After the tail the peer resets them (in window). */
struct echo_conns {
	u32 n;
	u16 port[ISN_SLOTS];
	u32 rcv_nxt[ISN_SLOTS];
};

static void find_echo(struct tcp_sock *tp, void *ctx)
{
	struct echo_conns *e = ctx;
	if (tp->sport == 7 && tp->state != TCP_LISTEN && e->n < ISN_SLOTS) {
		e->port[e->n] = tp->dport;
		e->rcv_nxt[e->n++] = tp->rcv_nxt;
	}
}

static void reset_echo(void)
{
	struct echo_conns e = {0};
	tcp_for_each(find_echo, &e);
	for (u32 i = 0; i < e.n; i++) {
		struct tcp_peer p = {
		    .sport = e.port[i], .dport = 7, .snd_nxt = e.rcv_nxt[i]};
		tcp_peer_rst(&p);
	}
	if (e.n)
		tcp_peer_run(1000, 100);
}

/* The peer goes silent; every timeout runs out. */
static void tail(void)
{
	harness.silent = true;
	tcp_peer_run(TAIL_S * 1000ull, TAIL_STEP_MS);
	tcp_peer_forget(&harness);
	reset_echo();
	host_fakedev_tx_clear(eth0);
}

static void setup_once(void)
{
	static bool up;
	if (up)
		return;
	up = true;
	host_init();
	net_init();
	eth0 = host_fakedev_create("eth%d", our_mac);
	inet_addr_add(eth0, OUR_IP, 24);
	host_clock_advance_ms(10000);
	host_fakedev_tx_clear(eth0);
	/* Open what the defaults keep shut: 503 within a few SYNs,
	 * /debug/pcap (404 here: no capture ring), the access log and its
	 * rate limit. */
	kcfg.http_max_conns = 4;
	kcfg.http_pcap = true;
	kcfg.log_level = CFG_LOG_DEBUG;
	check(host_httpd_start(80, 7) == 0, "httpd did not start");
	tcp_peer_observer = observe;
	tcp_peer_net(eth0, PEER_IP, peer_mac, OUR_IP, our_mac);
	/* Warm-up: one request and the tail, so what stays for good (the
	 * peer's neighbour entry, route caches) is in the baseline. */
	open_harness();
	tcp_peer_send_str(&harness, "GET / HTTP/1.1\r\nHost: skiff\r\n\r\n");
	tcp_peer_run(10, 1);
	tail();
	take_census(&baseline);
	host_log_reset();
}

/* A segment the input sends on the harness's connection sets the window
 * the harness's peer advertises from then on (it is the same client). */
static void adopt_window(const u8 *f, u32 len)
{
	if (len < 14 + 20 + 20 || load_be16(f + 12) != 0x0800 ||
	    f[14 + 9] != IPPROTO_TCP || load_be32(f + 14 + 12) != PEER_IP)
		return;
	u32 ihl = (u32)(f[14] & 0xf) * 4;
	if (ihl < 20 || len < 14 + ihl + 20)
		return;
	const u8 *t = f + 14 + ihl;
	if (load_be16(t) == HARNESS_PORT && load_be16(t + 2) == 80)
		harness.wnd = load_be16(t + 14);
}

static void one_record(u16 delay, const u8 *frame, u32 len, bool raw)
{
	static u8 f[LEN_MASK + 1];
	tcp_peer_run(delay, 1000);
	memcpy(f, frame, len);
	if (!raw)
		fix_frame(f, len);
	adopt_window(f, len);
	host_fakedev_rx(eth0, f, len);
	tcp_peer_settle();
}

/* SKIFF_FUZZ_STACK_VERBOSE=1: what the server answered, per input (to
 * see what a seed reaches). */
static void report(void)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("SKIFF_FUZZ_STACK_VERBOSE") != NULL;
	if (!verbose)
		return;
	fprintf(stderr,
		"fuzz_stack: accepted %llu, bytes in %llu out %llu, "
		"timeouts %llu/%llu/%llu, responses:",
		(unsigned long long)httpd_stats.conns_accepted,
		(unsigned long long)httpd_stats.bytes_in,
		(unsigned long long)httpd_stats.bytes_out,
		(unsigned long long)httpd_stats.timeouts_header,
		(unsigned long long)httpd_stats.timeouts_idle,
		(unsigned long long)httpd_stats.timeouts_write);
	for (int i = 0; i < HTTPD_NCODES; i++)
		if (httpd_stats.requests[i])
			fprintf(stderr, " %u=%llu",
				httpd_code((enum httpd_code_idx)i),
				(unsigned long long)httpd_stats.requests[i]);
	fprintf(stderr, "\n");
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	setup_once();
	memset(isns, 0, sizeof(isns)); /* each input learns its own */
	isn_next = 0;
	open_harness();
	while (size >= 4) {
		u16 delay = load_be16(data);
		u16 lf = load_be16(data + 2);
		u32 len = lf & LEN_MASK;
		if (size - 4 < len)
			break;
		one_record(delay, data + 4, len, lf & LEN_RAW);
		data += 4 + len;
		size -= 4 + len;
	}
	tail();
	check_census();
	report();
	host_log_reset();
	return 0;
}
