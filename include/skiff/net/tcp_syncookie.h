/*
 * net/tcp_syncookie.h - SYN cookies the way Linux makes them, so a
 * listener whose SYN queue is full can answer a SYN without keeping
 * state and rebuild the connection from the final ACK.
 *
 * The cookie is the server's ISN:
 *   isn = H1(4-tuple) + peer_isn + (minute << 24)
 *         + ((H2(4-tuple, minute) + mss_index) mod 2^24)
 * with H1, H2 SipHash-2-4 under the TCP secret (tcp_isn.h), `minute` a
 * counter of 60-second periods of now_ns, and mss_index into
 * tcp_syncookie_mss_table[] (536, 1300, 1440, 1460). A cookie is valid
 * for the minute it was made and the next (TCP_SYNCOOKIE_MAX_AGE).
 * If the SYN had timestamps, the other options are kept in the low 6
 * bits of the SYN-ACK's TSval (Linux's layout): bits 0-3 the peer's
 * window scale (0xf: none), bit 4 SACK-permitted, bit 5 ECN; the peer
 * echoes it in TSecr of the ACK. Without timestamps only the MSS
 * survives.
 *
 * Usage. Listener, SYN queue full: isn = tcp_syncookie_make(saddr, sport,
 * daddr, dport, syn.seq, &mss, now_ns) (mss in: the peer's MSS clamped to
 * ours; out: the table value encoded, use it); if the SYN had timestamps,
 * tsval = tcp_syncookie_tsval(ts_now, &opts). On a bare ACK for a listener:
 * mss = tcp_syncookie_check(saddr, sport, daddr, dport, ack.seq - 1,
 * ack.ack - 1, now_ns); 0 means not a valid cookie; else build the
 * connection, and if the ACK has timestamps tcp_syncookie_tsecr_decode(
 * tsecr, &opts) gives back wscale/SACK/ECN. Addresses are the listener's
 * view: saddr/sport the PEER (source of the SYN), daddr/dport ours. Host
 * order.
 */
#ifndef SKIFF_NET_TCP_SYNCOOKIE_H
#define SKIFF_NET_TCP_SYNCOOKIE_H

#include <skiff/types.h>

#define TCP_SYNCOOKIE_MAX_AGE 2 /* minutes: this one and the previous */
#define TCP_SYNCOOKIE_PERIOD_NS (60ull * 1000000000ull)
#define TCP_SYNCOOKIE_TS_BITS 6
#define TCP_SYNCOOKIE_TS_MASK 0x3fu

extern const u16 tcp_syncookie_mss_table[4];

struct tcp_syncookie_opts {
	bool wscale_ok; /* the SYN carried window scale */
	u8 wscale;	/* its shift (0..14) */
	bool sack_ok;
	bool ecn_ok;
};

/* The cookie ISN for a SYN with sequence peer_isn; *mss is rounded down to
 * a table value (at least 536). */
u32 tcp_syncookie_make(u32 saddr, u16 sport, u32 daddr, u16 dport, u32 peer_isn,
		       u16 *mss, u64 now_ns);
/* The MSS encoded in cookie (the ACK's ack - 1), 0 if invalid or expired.
 * peer_isn is the ACK's seq - 1. */
u16 tcp_syncookie_check(u32 saddr, u16 sport, u32 daddr, u16 dport,
			u32 peer_isn, u32 cookie, u64 now_ns);
/* TSval for the SYN-ACK: ts_now with its low 6 bits replaced by opts,
 * never later than ts_now (64 ticks are subtracted when needed). */
u32 tcp_syncookie_tsval(u32 ts_now, const struct tcp_syncookie_opts *opts);
/* Decode the low bits of the echoed TSecr; false if they are not a valid
 * encoding (window scale above 14 and not 0xf). */
bool tcp_syncookie_tsecr_decode(u32 tsecr, struct tcp_syncookie_opts *opts);

#endif
