/*
 * net/tcp_rtt.h - the retransmission timer's estimator of RFC 6298 (with
 * Linux's floor on the variance term: RTO = SRTT + max(4 RTTVAR, RTO.min)):
 * SRTT, RTTVAR, RTO with Karn's rule and exponential backoff, Linux's
 * 200 ms minimum and 120 s maximum. A pure struct: time is passed in (in
 * microseconds) and nothing is scheduled here.
 *
 * Usage. tcp_rtt_init(&r) once (RTO 1 s, RFC 6298 2.1). Each valid RTT
 * sample goes to tcp_rtt_sample(&r, rtt_us): a timestamp echo (RFC 7323
 * 4.1, unambiguous) or the timing of one segment. For the latter the
 * helpers do Karn's rule (RFC 6298 3): tcp_rtt_time_seg(&r, end_seq, now)
 * when sending new data and not already timing one; tcp_rtt_on_retransmit()
 * cancels the timing (a retransmitted segment is never sampled);
 * tcp_rtt_on_ack(&r, ack, now) returns true and feeds the sample when ack
 * covers the timed segment. The RTO to arm is tcp_rtt_rto_us(&r) (base RTO
 * << backoff, capped at max). On timer expiry call tcp_rtt_backoff()
 * (RFC 6298 5.5); a new sample clears the backoff (5.7 spirit, as Linux
 * does on new data acked). All times are microseconds.
 */
#ifndef SKIFF_NET_TCP_RTT_H
#define SKIFF_NET_TCP_RTT_H

#include <skiff/types.h>

#define TCP_RTO_INIT_US 1000000u  /* RFC 6298 2.1 */
#define TCP_RTO_MIN_US 200000u	  /* Linux's TCP_RTO_MIN */
#define TCP_RTO_MAX_US 120000000u /* Linux's TCP_RTO_MAX */
#define TCP_RTT_G_US 1000u	  /* clock granularity G of RFC 6298 2.2 */

struct tcp_rtt {
	u32 srtt_us;	  /* smoothed RTT; 0 until the first sample */
	u32 rttvar_us;	  /* RTT variation */
	u32 rto_base_us;  /* RTO before backoff, within [min, max] */
	u32 min_rto_us;	  /* floor, default TCP_RTO_MIN_US */
	u32 max_rto_us;	  /* ceiling, default TCP_RTO_MAX_US */
	u32 last_rtt_us;  /* the latest sample */
	u32 min_rtt_us;	  /* the smallest sample seen (0: none) */
	u32 rtt_seq;	  /* timed segment's end sequence */
	u64 rtt_start_us; /* when it was sent */
	u32 samples;	  /* number of samples taken */
	u8 backoff;	  /* RTO expiries since the last sample */
	bool timing;	  /* a segment is being timed (Karn) */
};

void tcp_rtt_init(struct tcp_rtt *r);
/* Feed one valid measurement (0 is taken as 1 us). */
void tcp_rtt_sample(struct tcp_rtt *r, u32 rtt_us);
/* The timeout to arm now: base << backoff, at most max_rto_us. */
u32 tcp_rtt_rto_us(const struct tcp_rtt *r);
/* The retransmission timer expired: double the RTO (RFC 6298 5.5). */
void tcp_rtt_backoff(struct tcp_rtt *r);
void tcp_rtt_reset_backoff(struct tcp_rtt *r);

/* Karn's rule helpers (segment timing without timestamps). */
void tcp_rtt_time_seg(struct tcp_rtt *r, u32 end_seq, u64 now_us);
void tcp_rtt_on_retransmit(struct tcp_rtt *r);
/* ack acknowledges up to (not incl.) ack: samples if it covers the timed
 * segment; returns whether a sample was taken. */
bool tcp_rtt_on_ack(struct tcp_rtt *r, u32 ack, u64 now_us);

#endif
