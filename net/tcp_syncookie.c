/*
 * tcp_syncookie.c - stateless SYN-ACKs (tcp_syncookie.h has the layout
 * and the usage). Read first: D. J. Bernstein's SYN cookie description
 * (cr.yp.to/syncookies.html), RFC 4987 3.6, and RFC 7323 for the echoed
 * TSval that carries the other options.
 *
 * The top 8 bits of (cookie - H1 - peer_isn) are the minute counter, the
 * low 24 bits are H2(minute) + mss_index; an attacker who does not know
 * the secret hits a valid cookie with probability 4 / 2^24 per guess.
 */
#include <skiff/net/tcp_isn.h>
#include <skiff/net/tcp_syncookie.h>
#include <skiff/net/tcp_wire.h>
#include <skiff/net/tcp_seq.h>

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define TS_WSCALE_NONE 0xfu
#define TS_SACK_BIT (1u << 4)
#define TS_ECN_BIT (1u << 5)

/* The values Linux uses: common MSSs (536 the default, 1300 tunnels,
 * 1440/1460 Ethernet with and without timestamps). */
const u16 tcp_syncookie_mss_table[4] = {536, 1300, 1440, 1460};

static u32 cookie_minute(u64 now_ns)
{
	return (u32)(now_ns / TCP_SYNCOOKIE_PERIOD_NS);
}

static u32 cookie_h1(u32 saddr, u16 sport, u32 daddr, u16 dport)
{
	u32 w[3] = {saddr, daddr, ((u32)sport << 16) | dport};

	return (u32)tcp_siphash(TCP_HASH_COOKIE1, w, 3);
}

static u32 cookie_h2(u32 saddr, u16 sport, u32 daddr, u16 dport, u32 minute)
{
	u32 w[4] = {saddr, daddr, ((u32)sport << 16) | dport, minute};

	return (u32)tcp_siphash(TCP_HASH_COOKIE2, w, 4);
}

/* The largest table entry not above mss (entry 0 if none is). */
static u32 cookie_mss_index(u16 mss)
{
	u32 idx = 0;

	for (u32 i = 0; i < ARRAY_SIZE(tcp_syncookie_mss_table); i++)
		if (tcp_syncookie_mss_table[i] <= mss)
			idx = i;
	return idx;
}

u32 tcp_syncookie_make(u32 saddr, u16 sport, u32 daddr, u16 dport, u32 peer_isn,
		       u16 *mss, u64 now_ns)
{
	u32 minute = cookie_minute(now_ns);
	u32 idx = cookie_mss_index(*mss);

	*mss = tcp_syncookie_mss_table[idx];
	return cookie_h1(saddr, sport, daddr, dport) + peer_isn +
	       (minute << COOKIE_BITS) +
	       ((cookie_h2(saddr, sport, daddr, dport, minute) + idx) &
		COOKIE_MASK);
}

u16 tcp_syncookie_check(u32 saddr, u16 sport, u32 daddr, u16 dport,
			u32 peer_isn, u32 cookie, u64 now_ns)
{
	u32 minute = cookie_minute(now_ns);
	u32 c = cookie - cookie_h1(saddr, sport, daddr, dport) - peer_isn;
	u32 age = (minute - (c >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);
	u32 idx;

	if (age >= TCP_SYNCOOKIE_MAX_AGE)
		return 0;
	idx = (c - cookie_h2(saddr, sport, daddr, dport, minute - age)) &
	      COOKIE_MASK;
	if (idx >= ARRAY_SIZE(tcp_syncookie_mss_table))
		return 0;
	return tcp_syncookie_mss_table[idx];
}

u32 tcp_syncookie_tsval(u32 ts_now, const struct tcp_syncookie_opts *opts)
{
	u32 bits = opts->wscale_ok ? MIN(opts->wscale, (u8)TCP_MAX_WSCALE)
				   : TS_WSCALE_NONE;
	u32 tsval;

	if (opts->sack_ok)
		bits |= TS_SACK_BIT;
	if (opts->ecn_ok)
		bits |= TS_ECN_BIT;
	tsval = (ts_now & ~TCP_SYNCOOKIE_TS_MASK) | bits;
	if (after(tsval, ts_now)) /* never a clock from the future */
		tsval -= TCP_SYNCOOKIE_TS_MASK + 1;
	return tsval;
}

bool tcp_syncookie_tsecr_decode(u32 tsecr, struct tcp_syncookie_opts *opts)
{
	u32 ws = tsecr & 0xfu;

	if (ws != TS_WSCALE_NONE && ws > TCP_MAX_WSCALE)
		return false;
	opts->wscale_ok = ws != TS_WSCALE_NONE;
	opts->wscale = opts->wscale_ok ? (u8)ws : 0;
	opts->sack_ok = tsecr & TS_SACK_BIT;
	opts->ecn_ok = tsecr & TS_ECN_BIT;
	return true;
}
