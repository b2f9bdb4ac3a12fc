/*
 * tcp_rtt.c - RFC 6298 round-trip estimation and retransmission timeout
 * (tcp_rtt.h says how a connection uses it). Read first: RFC 6298 2-5,
 * RFC 7323 4 (timestamps give unambiguous samples).
 *
 * Integer arithmetic in microseconds: alpha = 1/8, beta = 1/4, K = 4.
 * The floor is applied to the whole RTO (RFC 6298 2.4 with Linux's
 * 200 ms instead of 1 s), the ceiling to the backed-off value (2.5).
 */
#include <skiff/net/tcp_rtt.h>
#include <skiff/net/tcp_seq.h>
#include <string.h>

void tcp_rtt_init(struct tcp_rtt *r)
{
	memset(r, 0, sizeof(*r));
	r->min_rto_us = TCP_RTO_MIN_US;
	r->max_rto_us = TCP_RTO_MAX_US;
	r->rto_base_us = TCP_RTO_INIT_US; /* RFC 6298 2.1 */
}

static u32 clamp_rto(const struct tcp_rtt *r, u64 rto_us)
{
	if (rto_us < r->min_rto_us)
		rto_us = r->min_rto_us;
	if (rto_us > r->max_rto_us)
		rto_us = r->max_rto_us;
	return (u32)rto_us;
}

static u32 abs_diff(u32 a, u32 b)
{
	return a > b ? a - b : b - a;
}

void tcp_rtt_sample(struct tcp_rtt *r, u32 rtt_us)
{
	u64 var4;

	if (rtt_us == 0)
		rtt_us = 1;
	if (r->srtt_us == 0) { /* RFC 6298 2.2: the first measurement */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else { /* 2.3: RTTVAR first, with the old SRTT */
		r->rttvar_us = (u32)(((u64)r->rttvar_us * 3 +
				      abs_diff(r->srtt_us, rtt_us)) /
				     4);
		r->srtt_us = (u32)(((u64)r->srtt_us * 7 + rtt_us) / 8);
		if (r->srtt_us == 0)
			r->srtt_us = 1;
	}
	/* RFC 6298 2.3 has SRTT + max(G, 4 RTTVAR), floored at RTO.min; as
	 * Linux (tcp_set_rto) the floor applies to the variance term: a
	 * peer's delayed ACK (up to 200 ms on Linux) of a lone segment
	 * then never looks like a loss (a spurious RTO) however steady the
	 * RTT has been. */
	var4 = (u64)r->rttvar_us * 4;
	r->rto_base_us =
	    clamp_rto(r, r->srtt_us + MAX((u64)r->min_rto_us, var4));
	r->last_rtt_us = rtt_us;
	if (r->min_rtt_us == 0 || rtt_us < r->min_rtt_us)
		r->min_rtt_us = rtt_us;
	r->backoff = 0;
	r->samples++;
}

u32 tcp_rtt_rto_us(const struct tcp_rtt *r)
{
	u64 rto = r->rto_base_us;

	for (u8 i = 0; i < r->backoff && rto < r->max_rto_us; i++)
		rto <<= 1;
	return clamp_rto(r, rto);
}

/* RFC 6298 5.5: back off the timer. The exponent stops growing once the
 * ceiling is reached, so it cannot overflow however long the outage. */
void tcp_rtt_backoff(struct tcp_rtt *r)
{
	if (tcp_rtt_rto_us(r) < r->max_rto_us)
		r->backoff++;
	r->timing = false; /* whatever was timed will be retransmitted */
}

void tcp_rtt_reset_backoff(struct tcp_rtt *r)
{
	r->backoff = 0;
}

void tcp_rtt_time_seg(struct tcp_rtt *r, u32 end_seq, u64 now_us)
{
	if (r->timing)
		return;
	r->timing = true;
	r->rtt_seq = end_seq;
	r->rtt_start_us = now_us;
}

/* Karn's rule (RFC 6298 3): never sample a retransmitted segment. */
void tcp_rtt_on_retransmit(struct tcp_rtt *r)
{
	r->timing = false;
}

bool tcp_rtt_on_ack(struct tcp_rtt *r, u32 ack, u64 now_us)
{
	u64 rtt;

	if (!r->timing || before(ack, r->rtt_seq))
		return false;
	r->timing = false;
	rtt = now_us > r->rtt_start_us ? now_us - r->rtt_start_us : 1;
	tcp_rtt_sample(r, (u32)MIN(rtt, (u64)0xffffffffu));
	return true;
}
