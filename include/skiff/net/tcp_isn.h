/*
 * net/tcp_isn.h - unpredictable numbers for TCP: initial sequence numbers
 * per RFC 6528 (ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4-microsecond clock, F SipHash-2-4), ephemeral port
 * selection per RFC 6056 3.3.4 (algorithm 4, "double-hash port
 * selection"), and the SipHash-2-4 keyed hash itself (Aumasson and
 * Bernstein, "SipHash: a fast short-input PRF", 2012) that SYN cookies
 * (tcp_syncookie.h) also use.
 *
 * Usage. tcp_secret_init() once at network start: it fills the secret
 * key from platform_random() (RDSEED/RDRAND, TSC-jitter fallback in the
 * kernel; a fixed stream on the host). Tests may call tcp_secret_set() for
 * a known key. Then tcp_isn_v4(saddr, sport, daddr, dport, now_ns) for
 * each active open and SYN-ACK, and tcp_ephemeral_port(&pa, laddr, faddr,
 * fport, in_use, ctx) to pick a local port for connect(): it tries ports of
 * [pa.lo, pa.hi] in the RFC 6056 order and returns the first for which
 * in_use() is false, or -EADDRNOTAVAIL. Addresses and ports host order.
 * tcp_siphash(tag, words, n) hashes n u32 words under the secret key
 * derived for `tag` (distinct tags give independent functions).
 */
#ifndef SKIFF_NET_TCP_ISN_H
#define SKIFF_NET_TCP_ISN_H

#include <skiff/types.h>

struct siphash_key {
	u64 k0;
	u64 k1;
};

/* SipHash-2-4 of len bytes at data under key. */
u64 siphash_2_4(const struct siphash_key *key, const void *data, size_t len);

/* Fill the TCP secret from platform_random(). Returns false if the
 * platform gave nothing (the key is then still set, from weaker input). */
bool tcp_secret_init(void);
/* Set the 16-byte secret (tests, fuzzers). */
void tcp_secret_set(const u8 key[16]);

/* Hash tags: each use derives its own key from the secret. */
enum tcp_hash_tag {
	TCP_HASH_ISN = 1,
	TCP_HASH_PORT_F = 2,  /* RFC 6056 F() */
	TCP_HASH_PORT_G = 3,  /* RFC 6056 G() */
	TCP_HASH_COOKIE1 = 4, /* tcp_syncookie.c */
	TCP_HASH_COOKIE2 = 5,
};
u64 tcp_siphash(enum tcp_hash_tag tag, const u32 *words, size_t n);

/* RFC 6528 3: the ISN for this 4-tuple at now_ns (M ticks every 4 us). */
u32 tcp_isn_v4(u32 saddr, u16 sport, u32 daddr, u16 dport, u64 now_ns);

#define TCP_PORT_TABLE_SIZE 256 /* RFC 6056 3.3.4: table[] */

/* RFC 6056 3.3.4 state: the ephemeral range and the perturbation table. */
struct tcp_port_alloc {
	u16 lo; /* first ephemeral port, e.g. 32768 */
	u16 hi; /* last, inclusive, e.g. 60999 */
	u16 table[TCP_PORT_TABLE_SIZE];
};

void tcp_port_alloc_init(struct tcp_port_alloc *pa, u16 lo, u16 hi);
/* A free port (> 0) or -EADDRNOTAVAIL. */
int tcp_ephemeral_port(struct tcp_port_alloc *pa, u32 laddr, u32 faddr,
		       u16 fport, bool (*in_use)(u16 port, void *ctx),
		       void *ctx);

#endif
