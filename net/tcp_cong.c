/*
 * tcp_cong.c - the congestion-control framework (tcp_cong.h): the
 * registry of algorithms, the generic driver that calls an algorithm's
 * ops at the right moments, the Reno building blocks both algorithms use,
 * and NewReno itself. Read first: RFC 5681 3 (slow start, congestion
 * avoidance, fast retransmit/recovery), RFC 6582 3 (NewReno partial
 * ACKs), RFC 6928 (initial window), RFC 9438 (CUBIC, in tcp_cubic.c).
 *
 *   connection ACK path -> tcp_cc_on_ack -> ops->pkts_acked
 *                                        -> ops->cong_avoid (if cwnd-limited)
 *   3 dupacks / IsLost  -> tcp_cc_enter_recovery -> ops->ssthresh, set_state
 *   RTO                 -> tcp_cc_on_rto -> ops->ssthresh, set_state(Loss)
 */
#include <skiff/net/tcp_cong.h>
#include <errno.h>
#include <string.h>

static const struct tcp_cong_ops *const tcp_cong_list[] = {
    &tcp_cubic_ops,
    &tcp_reno_ops,
};

static const struct tcp_cong_ops *tcp_cong_dflt = &tcp_cubic_ops;

const struct tcp_cong_ops *tcp_cong_find(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "newreno") == 0)
		name = "reno";
	for (size_t i = 0; i < ARRAY_SIZE(tcp_cong_list); i++)
		if (strcmp(tcp_cong_list[i]->name, name) == 0)
			return tcp_cong_list[i];
	return NULL;
}

const struct tcp_cong_ops *tcp_cong_default(void)
{
	return READ_ONCE(tcp_cong_dflt);
}

int tcp_cong_set_default(const char *name)
{
	const struct tcp_cong_ops *ops = tcp_cong_find(name);

	if (!ops)
		return -ENOENT;
	WRITE_ONCE(tcp_cong_dflt, ops);
	return 0;
}

const char *tcp_cong_available(void)
{
	return "cubic reno";
}

/* ---- the generic driver ------------------------------------------------- */

void tcp_cc_init(struct tcp_cc *cc, const struct tcp_cong_ops *ops, u64 now_us)
{
	memset(cc, 0, sizeof(*cc));
	cc->ops = ops ? ops : tcp_cong_default();
	cc->cwnd = TCP_INIT_CWND;
	cc->ssthresh = TCP_INFINITE_SSTHRESH; /* RFC 5681 3.1 */
	cc->cwnd_clamp = 0xffffu * 16;	      /* far beyond any real window */
	cc->prior_cwnd = cc->cwnd;
	cc->ca_state = TCP_CA_Open;
	if (cc->ops->init)
		cc->ops->init(cc, now_us);
}

void tcp_cc_set_ops(struct tcp_cc *cc, const struct tcp_cong_ops *ops,
		    u64 now_us)
{
	if (!ops || ops == cc->ops)
		return;
	cc->ops = ops;
	memset(cc->priv, 0, sizeof(cc->priv));
	cc->cwnd_cnt = 0;
	if (ops->init)
		ops->init(cc, now_us);
}

void tcp_cc_on_ack(struct tcp_cc *cc, u32 acked_pkts, u32 rtt_us,
		   bool cwnd_limited, u64 now_us)
{
	if (cc->ops->pkts_acked)
		cc->ops->pkts_acked(cc, acked_pkts, rtt_us, now_us);
	if (!cwnd_limited || acked_pkts == 0)
		return;
	/* Only Open/Disorder grow the window (RFC 5681 3.2 step 6 and RFC
	 * 6675 5: recovery sets cwnd explicitly). */
	if (cc->ca_state > TCP_CA_Disorder)
		return;
	cc->ops->cong_avoid(cc, acked_pkts, now_us);
	if (cc->cwnd > cc->cwnd_clamp)
		cc->cwnd = cc->cwnd_clamp;
}

void tcp_cc_set_state(struct tcp_cc *cc, u8 new_state, u64 now_us)
{
	if (cc->ops->set_state)
		cc->ops->set_state(cc, new_state, now_us);
	cc->ca_state = new_state;
}

static void tcp_cc_reduce(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us)
{
	cc->prior_cwnd = cc->cwnd;
	cc->ssthresh = cc->ops->ssthresh(cc, in_flight_pkts, now_us);
	if (cc->ssthresh < 2)
		cc->ssthresh = 2;
	cc->cwnd_cnt = 0;
	cc->last_event_us = now_us;
}

void tcp_cc_enter_recovery(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us)
{
	tcp_cc_reduce(cc, in_flight_pkts, now_us);
	cc->cwnd = cc->ssthresh; /* RFC 6675 5 step 4.2 */
	tcp_cc_set_state(cc, TCP_CA_Recovery, now_us);
}

/* RFC 5681 3.1 eq. (4) for ssthresh; cwnd = 1 segment (the loss window). */
void tcp_cc_on_rto(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us)
{
	/* A second RTO in a row keeps the ssthresh of the first (RFC 5681
	 * 3.1: retransmitting the same segment does not halve it again). */
	if (cc->ca_state != TCP_CA_Loss)
		tcp_cc_reduce(cc, in_flight_pkts, now_us);
	cc->cwnd = 1;
	cc->cwnd_cnt = 0;
	tcp_cc_set_state(cc, TCP_CA_Loss, now_us);
	tcp_cc_event(cc, CA_EVENT_LOSS, now_us);
}

void tcp_cc_exit_recovery(struct tcp_cc *cc, u32 flight_pkts, u64 now_us)
{
	if (cc->ca_state == TCP_CA_Recovery) {
		/* RFC 6582 3.2 step 3, full acknowledgment, option (1). */
		u32 w = MAX(flight_pkts, 1u) + 1;

		cc->cwnd = MIN(cc->ssthresh, w);
		if (cc->cwnd < 1)
			cc->cwnd = 1;
	}
	/* After Loss, slow start continues from where it is. */
	cc->cwnd_cnt = 0;
	tcp_cc_set_state(cc, TCP_CA_Open, now_us);
	tcp_cc_event(cc, CA_EVENT_COMPLETE_CWR, now_us);
}

void tcp_cc_event(struct tcp_cc *cc, enum tcp_ca_event ev, u64 now_us)
{
	if (cc->ops->cwnd_event)
		cc->ops->cwnd_event(cc, ev, now_us);
}

/* RFC 5681 4.1: after an idle period longer than an RTO, restart from
 * the restart window (min(IW, cwnd)). */
void tcp_cc_idle_restart(struct tcp_cc *cc, u64 now_us)
{
	if (cc->cwnd > TCP_INIT_CWND)
		cc->cwnd = TCP_INIT_CWND;
	cc->cwnd_cnt = 0;
	tcp_cc_event(cc, CA_EVENT_CWND_RESTART, now_us);
}

/* ---- Reno building blocks ----------------------------------------------- */

/* RFC 5681 3.1: cwnd += acked while below ssthresh (RFC 3465 byte
 * counting with L = the whole ACK, as Linux). */
u32 tcp_slow_start(struct tcp_cc *cc, u32 acked_pkts)
{
	u32 cwnd = MIN(cc->cwnd + acked_pkts, cc->ssthresh);

	if (cwnd < cc->cwnd) /* ssthresh below cwnd: nothing to do */
		return acked_pkts;
	acked_pkts -= cwnd - cc->cwnd;
	cc->cwnd = MIN(cwnd, cc->cwnd_clamp);
	return acked_pkts;
}

/* RFC 5681 3.1 congestion avoidance: one segment per w segments acked
 * (w = cwnd gives one per RTT). */
void tcp_cong_avoid_ai(struct tcp_cc *cc, u32 w, u32 acked_pkts)
{
	if (w == 0)
		w = 1;
	if (cc->cwnd_cnt >= w) { /* w shrank since the count started */
		cc->cwnd_cnt = 0;
		cc->cwnd++;
	}
	cc->cwnd_cnt += acked_pkts;
	if (cc->cwnd_cnt >= w) {
		u32 delta = cc->cwnd_cnt / w;

		cc->cwnd_cnt -= delta * w;
		cc->cwnd += delta;
	}
	if (cc->cwnd > cc->cwnd_clamp)
		cc->cwnd = cc->cwnd_clamp;
}

/* ---- NewReno ------------------------------------------------------------ */

static void reno_cong_avoid(struct tcp_cc *cc, u32 acked_pkts, u64 now_us)
{
	(void)now_us;
	if (tcp_cc_in_slow_start(cc)) {
		acked_pkts = tcp_slow_start(cc, acked_pkts);
		if (!acked_pkts)
			return;
	}
	tcp_cong_avoid_ai(cc, cc->cwnd, acked_pkts);
}

/* RFC 5681 3.1 eq. (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static u32 reno_ssthresh(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us)
{
	(void)cc;
	(void)now_us;
	return MAX(in_flight_pkts / 2, 2u);
}

const struct tcp_cong_ops tcp_reno_ops = {
    .name = "reno",
    .ssthresh = reno_ssthresh,
    .cong_avoid = reno_cong_avoid,
};

/* RFC 5681 3.2 steps 2-3 (the algorithm's ssthresh, so CUBIC's beta
 * applies under CUBIC), cwnd inflated by the three dupacks. */
void tcp_newreno_enter_recovery(struct tcp_cc *cc, u32 in_flight_pkts,
				u64 now_us)
{
	tcp_cc_enter_recovery(cc, in_flight_pkts, now_us);
	cc->cwnd = cc->ssthresh + TCP_DUPTHRESH_PKTS;
}

void tcp_newreno_dupack(struct tcp_cc *cc)
{
	if (cc->ca_state == TCP_CA_Recovery && cc->cwnd < cc->cwnd_clamp)
		cc->cwnd++;
}

/* RFC 6582 3.2 step 3, partial acknowledgment: deflate by the amount acked, add
 * back one SMSS if that amount was at least one SMSS, so about ssthresh remain
 * in flight when recovery ends. */
void tcp_newreno_partial_ack(struct tcp_cc *cc, u32 acked_pkts)
{
	if (acked_pkts >= cc->cwnd)
		cc->cwnd = 1;
	else
		cc->cwnd -= acked_pkts;
	if (acked_pkts >= 1)
		cc->cwnd++;
}
