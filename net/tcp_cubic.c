/*
 * tcp_cubic.c - CUBIC congestion control (RFC 9438), the default
 * algorithm ("cubic" in the tcp_cong.h registry). Read first: RFC 9438 4
 * (window increase function, Reno-friendly region, concave and convex
 * regions, multiplicative decrease, fast convergence, timeout).
 *
 * Integer arithmetic only (the kernel has no FPU context for net/):
 * windows are kept in Q16 fixed point (segments * 65536), times in
 * milliseconds for the cubic term. C = 0.4, beta_cubic = 0.7.
 *
 *   W_cubic(t) = C * (t - K)^3 + W_max              (RFC 9438 eq. 1)
 *   K = cubic_root((W_max - cwnd_epoch) / C)        (eq. 2)
 *   W_est += alpha_cubic * segments_acked / cwnd    (eq. 4)
 *
 * On each ACK in congestion avoidance the target W_cubic(t + RTT) (RTT:
 * the smallest sample seen, as Linux) is clamped to [cwnd, 1.5 cwnd]
 * (4.2) and the window grows by (target - cwnd) / cwnd per acked segment;
 * if the Reno-friendly estimate W_est is larger, it wins (4.3).
 *
 * Slow start is RFC 5681's with the delay-increase exit of HyStart++
 * (RFC 9406 4.2, its constants): per round of ACKs, once 8 RTT samples
 * are in and the round's minimum RTT exceeds the previous round's by
 * clamp(min/8, 4 ms, 16 ms), slow start ends (ssthresh = cwnd) before the
 * queue overflows. The Conservative Slow Start phase of RFC 9406 is not
 * done: CUBIC's concave growth takes over at once. Rounds are counted in
 * ACKed segments (a round ends when a cwnd's worth has been ACKed), since
 * the ops see no sequence numbers.
 */
#include <skiff/net/tcp_cong.h>

#define CUBIC_Q 16
#define CUBIC_ONE (1ull << CUBIC_Q)
/* beta_cubic = 7/10; (1 + beta) / 2 = 17/20 for fast convergence (4.7). */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10
/* alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17 (4.3), in Q16. */
#define CUBIC_ALPHA_Q16 ((3ull * 3 * CUBIC_ONE) / 17)
/* |t - K| is clamped to this many ms so the cube stays inside 64 bits;
 * 131 s past the plateau, the 1.5 cwnd cap governs anyway. */
#define CUBIC_MAX_DT_MS (1 << 17)

struct cubic {
	u64 w_max_q;	    /* W_max: window before the last reduction (Q16) */
	u64 cwnd_prior_q;   /* cwnd when ssthresh was last set (Q16) */
	u64 origin_q;	    /* plateau of this epoch: max(W_max, cwnd_epoch) */
	u64 w_est_q;	    /* Reno-friendly estimate (Q16) */
	u64 epoch_start_us; /* start of this congestion-avoidance stage */
	u32 k_ms;	    /* K of this epoch */
	u32 min_rtt_us;	    /* smallest RTT sample, 0 if none */
	u32 est_rem;	    /* remainder of the W_est division */
	bool epoch_valid;
	bool fast_convergence;
	bool hystart_done;     /* slow start ended by HyStart this time */
	u32 round_acked;       /* segments ACKed in this round */
	u32 round_len;	       /* cwnd when the round started */
	u32 round_min_us;      /* smallest RTT of this round (0: none) */
	u32 last_round_min_us; /* of the previous round (0: none) */
	u32 round_samples;     /* RTT samples in this round */
};

/* RFC 9406 4.3 constants. */
#define HYSTART_MIN_RTT_THRESH_US 4000u
#define HYSTART_MAX_RTT_THRESH_US 16000u
#define HYSTART_MIN_RTT_DIVISOR 8u
#define HYSTART_N_RTT_SAMPLE 8u
#define HYSTART_LOW_WINDOW 16u /* Linux's: too few samples below this */

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_cc *)0)->priv),
	       "struct cubic must fit in tcp_cc.priv");

static struct cubic *cubic_of(struct tcp_cc *cc)
{
	return (struct cubic *)cc->priv;
}

/* floor(cbrt(x)) by bisection (21 rounds; x < 2^63, so mid^3 fits). */
static u64 cubic_root(u64 x)
{
	u64 lo = 0, hi = 1ull << 21;

	while (lo < hi) {
		u64 mid = (lo + hi + 1) / 2;

		if (mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void cubic_init(struct tcp_cc *cc, u64 now_us)
{
	struct cubic *ca = cubic_of(cc);

	(void)now_us;
	*ca = (struct cubic){.fast_convergence = true};
	ca->round_len = cc->cwnd;
}

/* RFC 9438 4.2: a new congestion-avoidance stage starts at this ACK. */
static void cubic_epoch_start(struct tcp_cc *cc, struct cubic *ca, u64 now_us)
{
	u64 cwnd_q = (u64)cc->cwnd << CUBIC_Q;

	ca->epoch_valid = true;
	ca->epoch_start_us = now_us;
	ca->w_est_q = cwnd_q;
	ca->est_rem = 0;
	if (ca->w_max_q <= cwnd_q) { /* past the old plateau: convex now */
		ca->k_ms = 0;
		ca->origin_q = cwnd_q;
	} else {
		/* K^3 = (W_max - cwnd) / C seconds^3; in ms^3 with Q16:
		 * dq / 65536 / 0.4 * 1e9 = dq * 38147 (rounded). */
		u64 dq = ca->w_max_q - cwnd_q;

		ca->k_ms = (u32)cubic_root(dq * 38147ull);
		ca->origin_q = ca->w_max_q;
	}
}

/* W_cubic(t) in Q16 for t ms after the epoch start (eq. 1). */
static u64 cubic_w(const struct cubic *ca, u64 t_ms)
{
	s64 d = (s64)t_ms - (s64)ca->k_ms;
	u64 ad = (u64)(d < 0 ? -d : d);
	u64 delta_q;

	if (ad > CUBIC_MAX_DT_MS)
		ad = CUBIC_MAX_DT_MS;
	/* C * ad^3 / 1e9 segments in Q16 = ad^3 * 0.4 * 65536 / 1e9
	 * = (ad^3 / 1000) * 262144 / 1e7. */
	delta_q = (ad * ad * ad / 1000) * 262144ull / 10000000ull;
	if (d >= 0)
		return ca->origin_q + delta_q;
	return delta_q >= ca->origin_q ? 0 : ca->origin_q - delta_q;
}

/* Acked segments per +1 segment of cwnd toward target_q. */
static u32 cubic_cnt_toward(u64 cwnd_q, u64 target_q, u32 cwnd)
{
	u64 cnt;

	if (target_q <= cwnd_q)
		return 100 * cwnd; /* plateau: barely grow (Linux's choice) */
	cnt = cwnd_q / (target_q - cwnd_q);
	return (u32)MAX(cnt, 1ull);
}

/* RFC 9438 4.3: the Reno-friendly estimate after acked segments. */
static void cubic_update_est(struct tcp_cc *cc, struct cubic *ca, u32 acked)
{
	u64 alpha =
	    ca->w_est_q >= ca->cwnd_prior_q ? CUBIC_ONE : CUBIC_ALPHA_Q16;
	u64 num = alpha * acked + ca->est_rem;

	ca->w_est_q += num / cc->cwnd;
	ca->est_rem = (u32)(num % cc->cwnd);
}

static u32 cubic_update(struct tcp_cc *cc, u32 acked, u64 now_us)
{
	struct cubic *ca = cubic_of(cc);
	u64 cwnd_q = (u64)cc->cwnd << CUBIC_Q;
	u64 t_ms, target_q;
	u32 cnt;

	if (!ca->epoch_valid)
		cubic_epoch_start(cc, ca, now_us);
	t_ms = (now_us - ca->epoch_start_us + ca->min_rtt_us) / 1000;
	target_q = cubic_w(ca, t_ms);
	if (target_q > cwnd_q + cwnd_q / 2) /* 4.2: at most 1.5 cwnd */
		target_q = cwnd_q + cwnd_q / 2;
	cnt = cubic_cnt_toward(cwnd_q, target_q, cc->cwnd);

	cubic_update_est(cc, ca, acked);
	if (ca->w_est_q > cwnd_q) /* Reno-friendly region */
		cnt = MIN(cnt, cubic_cnt_toward(cwnd_q, ca->w_est_q, cc->cwnd));
	return cnt;
}

static void cubic_cong_avoid(struct tcp_cc *cc, u32 acked_pkts, u64 now_us)
{
	if (tcp_cc_in_slow_start(cc)) {
		acked_pkts = tcp_slow_start(cc, acked_pkts);
		if (!acked_pkts)
			return;
	}
	tcp_cong_avoid_ai(cc, cubic_update(cc, acked_pkts, now_us), acked_pkts);
}

/* RFC 9438 4.6 multiplicative decrease with 4.7 fast convergence.
 * ssthresh from cwnd (as Linux; the RFC allows flight size). */
static u32 cubic_ssthresh(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us)
{
	struct cubic *ca = cubic_of(cc);
	u64 cwnd_q = (u64)cc->cwnd << CUBIC_Q;

	(void)in_flight_pkts;
	(void)now_us;
	ca->epoch_valid = false;
	if (ca->fast_convergence && cwnd_q < ca->w_max_q)
		ca->w_max_q = cwnd_q * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
			      (2 * CUBIC_BETA_DEN);
	else
		ca->w_max_q = cwnd_q;
	ca->cwnd_prior_q = cwnd_q;
	return MAX(cc->cwnd * CUBIC_BETA_NUM / CUBIC_BETA_DEN, 2u);
}

static void hystart_new_round(struct tcp_cc *cc, struct cubic *ca)
{
	ca->last_round_min_us = ca->round_min_us;
	ca->round_min_us = 0;
	ca->round_samples = 0;
	ca->round_acked = 0;
	ca->round_len = cc->cwnd;
}

/* RFC 9406 4.2: the delay-increase test at the end of each sample. */
static void hystart_sample(struct tcp_cc *cc, struct cubic *ca, u32 rtt_us)
{
	u32 thresh;

	if (ca->round_min_us == 0 || rtt_us < ca->round_min_us)
		ca->round_min_us = rtt_us;
	ca->round_samples++;
	if (ca->round_samples < HYSTART_N_RTT_SAMPLE || !ca->last_round_min_us)
		return;
	thresh = ca->last_round_min_us / HYSTART_MIN_RTT_DIVISOR;
	thresh = MAX(thresh, HYSTART_MIN_RTT_THRESH_US);
	thresh = MIN(thresh, HYSTART_MAX_RTT_THRESH_US);
	if (ca->round_min_us >= ca->last_round_min_us + thresh) {
		cc->ssthresh = cc->cwnd;
		ca->hystart_done = true;
	}
}

static void hystart_update(struct tcp_cc *cc, struct cubic *ca, u32 acked,
			   u32 rtt_us)
{
	if (ca->hystart_done || !tcp_cc_in_slow_start(cc) ||
	    cc->ca_state != TCP_CA_Open)
		return;
	ca->round_acked += acked;
	if (ca->round_acked >= ca->round_len)
		hystart_new_round(cc, ca);
	if (rtt_us && cc->cwnd >= HYSTART_LOW_WINDOW)
		hystart_sample(cc, ca, rtt_us);
}

static void cubic_pkts_acked(struct tcp_cc *cc, u32 acked_pkts, u32 rtt_us,
			     u64 now_us)
{
	struct cubic *ca = cubic_of(cc);

	(void)now_us;
	if (rtt_us && (ca->min_rtt_us == 0 || rtt_us < ca->min_rtt_us))
		ca->min_rtt_us = rtt_us;
	hystart_update(cc, ca, acked_pkts, rtt_us);
}

/* RFC 9438 4.8: after an RTO, slow start and then a new epoch; W_max
 * keeps what ssthresh() recorded. */
static void cubic_set_state(struct tcp_cc *cc, u8 new_state, u64 now_us)
{
	struct cubic *ca = cubic_of(cc);

	(void)now_us;
	if (new_state == TCP_CA_Loss) {
		ca->epoch_valid = false;
		/* A new slow start after the RTO: HyStart may end it again. */
		ca->hystart_done = false;
		ca->last_round_min_us = 0;
		hystart_new_round(cc, ca);
	}
}

/* An idle sender restarts its epoch so the idle time does not count as
 * growth time (Linux does the same on CA_EVENT_TX_START). */
static void cubic_cwnd_event(struct tcp_cc *cc, enum tcp_ca_event ev,
			     u64 now_us)
{
	(void)now_us;
	if (ev == CA_EVENT_TX_START || ev == CA_EVENT_CWND_RESTART)
		cubic_of(cc)->epoch_valid = false;
}

const struct tcp_cong_ops tcp_cubic_ops = {
    .name = "cubic",
    .init = cubic_init,
    .ssthresh = cubic_ssthresh,
    .cong_avoid = cubic_cong_avoid,
    .pkts_acked = cubic_pkts_acked,
    .set_state = cubic_set_state,
    .cwnd_event = cubic_cwnd_event,
};
