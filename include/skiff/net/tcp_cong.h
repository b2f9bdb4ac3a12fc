/*
 * net/tcp_cong.h - pluggable congestion control behind an ops table like
 * Linux's tcp_congestion_ops: NewReno ("reno", RFC 5681 + RFC 6582) and
 * CUBIC ("cubic", RFC 9438, the default, whose slow start ends early on
 * an RTT rise as in HyStart++, RFC 9406). Pure: the connection owns a
 * struct tcp_cc, passes the time in, and reads cwnd/ssthresh back.
 *
 * Units: cwnd and ssthresh count SEGMENTS (of the connection's MSS, like
 * Linux's snd_cwnd); the connection may send while
 * packets_in_flight < cc.cwnd (or, with SACK, pipe_bytes < cwnd * mss).
 *
 * Usage. tcp_cc_init(&cc, tcp_cong_find("cubic") or tcp_cong_default(),
 * now_us) at connection setup (cwnd = TCP_INIT_CWND, ssthresh infinite).
 * On every ACK that acknowledges new data in the Open state:
 * tcp_cc_on_ack(&cc, acked_pkts, rtt_us (0 = none), cwnd_limited, now_us)
 * (calls pkts_acked, then cong_avoid when cwnd_limited: the sender was
 * limited by cwnd, RFC 7661 spirit). Fast retransmit:
 * tcp_cc_enter_recovery(&cc, in_flight_pkts, now_us) sets ssthresh
 * (ops->ssthresh) and cwnd (RFC 6675: cwnd = ssthresh; for classic NewReno
 * without SACK use tcp_newreno_enter_recovery, which adds the 3 dupacks
 * (RFC 5681 3.2 step 4) and tcp_newreno_dupack for each further dupack;
 * partial/full ACKs with tcp_newreno_partial_ack / tcp_cc_exit_recovery).
 * RTO: tcp_cc_on_rto(&cc, in_flight_pkts, now_us) (cwnd = 1, state Loss).
 * Leaving recovery/loss: tcp_cc_exit_recovery(&cc, flight_pkts). Idle
 * restart: tcp_cc_event(&cc, CA_EVENT_TX_START, now_us) when sending after
 * idle. Algorithms are registered statically; tcp_cong_find(name) looks
 * them up for tcp.cc= and TCP_CONGESTION; tcp_cong_set_default(name).
 */
#ifndef SKIFF_NET_TCP_CONG_H
#define SKIFF_NET_TCP_CONG_H

#include <skiff/types.h>

#define TCP_INIT_CWND 10 /* RFC 6928 */
#define TCP_INFINITE_SSTHRESH 0x7fffffffu
#define TCP_DUPTHRESH_PKTS 3 /* RFC 5681 3.2 */
#define TCP_CA_NAME_MAX 16
#define TCP_CA_PRIV_U64 10 /* private state of an algorithm (CUBIC: 80 B) */

/* Congestion states, Linux's names and meanings. */
enum tcp_ca_state {
	TCP_CA_Open = 0,     /* normal */
	TCP_CA_Disorder = 1, /* dupacks/SACKs seen, no recovery yet */
	TCP_CA_CWR = 2,	     /* cwnd reduced for ECN/local congestion */
	TCP_CA_Recovery = 3, /* fast recovery */
	TCP_CA_Loss = 4,     /* after an RTO */
};

enum tcp_ca_event {
	CA_EVENT_TX_START,     /* first transmit when no packets in flight */
	CA_EVENT_CWND_RESTART, /* congestion window restart after idle */
	CA_EVENT_COMPLETE_CWR, /* end of congestion recovery */
	CA_EVENT_LOSS,	       /* loss timeout */
	CA_EVENT_ECN_IS_CE,
};

struct tcp_cong_ops;

/* Per-connection congestion state. */
struct tcp_cc {
	const struct tcp_cong_ops *ops;
	u32 cwnd;	   /* congestion window, segments, >= 1 */
	u32 ssthresh;	   /* slow-start threshold, segments */
	u32 cwnd_cnt;	   /* linear increase counter (segments acked) */
	u32 cwnd_clamp;	   /* upper bound for cwnd, segments */
	u32 prior_cwnd;	   /* cwnd before the last reduction */
	u8 ca_state;	   /* enum tcp_ca_state */
	u64 last_event_us; /* time of the last loss/RTO reduction */
	u64 priv[TCP_CA_PRIV_U64]; /* the algorithm's own state */
};

struct tcp_cong_ops {
	char name[TCP_CA_NAME_MAX];
	/* Set up priv after cwnd/ssthresh have their initial values. */
	void (*init)(struct tcp_cc *cc, u64 now_us);
	/* New ssthresh on a loss (fast retransmit or RTO). */
	u32 (*ssthresh)(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us);
	/* Grow cwnd for acked_pkts newly acknowledged segments. */
	void (*cong_avoid)(struct tcp_cc *cc, u32 acked_pkts, u64 now_us);
	/* Every ACK of new data: rtt_us is a sample or 0. Optional. */
	void (*pkts_acked)(struct tcp_cc *cc, u32 acked_pkts, u32 rtt_us,
			   u64 now_us);
	/* ca_state changes to new_state (called before it is stored). Optional.
	 */
	void (*set_state)(struct tcp_cc *cc, u8 new_state, u64 now_us);
	/* Optional. */
	void (*cwnd_event)(struct tcp_cc *cc, enum tcp_ca_event ev, u64 now_us);
};

extern const struct tcp_cong_ops tcp_reno_ops;	/* "reno" (NewReno) */
extern const struct tcp_cong_ops tcp_cubic_ops; /* "cubic" */

/* Registry: "reno" (alias "newreno") and "cubic". NULL if unknown. */
const struct tcp_cong_ops *tcp_cong_find(const char *name);
/* The default for new connections (cubic until set). */
const struct tcp_cong_ops *tcp_cong_default(void);
/* 0 or -ENOENT. */
int tcp_cong_set_default(const char *name);
/* Names of all algorithms, space separated, for messages. */
const char *tcp_cong_available(void);

/* ---- generic driver (calls into ops) ---------------------------------- */

void tcp_cc_init(struct tcp_cc *cc, const struct tcp_cong_ops *ops, u64 now_us);
/* Switch algorithm (TCP_CONGESTION): keeps cwnd/ssthresh, re-inits priv. */
void tcp_cc_set_ops(struct tcp_cc *cc, const struct tcp_cong_ops *ops,
		    u64 now_us);
void tcp_cc_on_ack(struct tcp_cc *cc, u32 acked_pkts, u32 rtt_us,
		   bool cwnd_limited, u64 now_us);
void tcp_cc_set_state(struct tcp_cc *cc, u8 new_state, u64 now_us);
/* Fast retransmit (RFC 5681 3.2 / RFC 6675 5): ssthresh from ops,
 * cwnd = ssthresh, state Recovery. */
void tcp_cc_enter_recovery(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us);
/* RTO (RFC 5681 3.1, eq. 4; cwnd = 1 loss window), state Loss. */
void tcp_cc_on_rto(struct tcp_cc *cc, u32 in_flight_pkts, u64 now_us);
/* Recovery done (full ACK, RFC 6582 3.2 step 3 option (1)); after Loss
 * cwnd is kept (slow start goes on):
 * cwnd = min(ssthresh, max(flight_pkts, 1) + 1), state Open. */
void tcp_cc_exit_recovery(struct tcp_cc *cc, u32 flight_pkts, u64 now_us);
void tcp_cc_event(struct tcp_cc *cc, enum tcp_ca_event ev, u64 now_us);
/* RFC 5681 4.1 restart after idle: cwnd = min(cwnd, TCP_INIT_CWND). */
void tcp_cc_idle_restart(struct tcp_cc *cc, u64 now_us);
static inline bool tcp_cc_in_slow_start(const struct tcp_cc *cc)
{
	return cc->cwnd < cc->ssthresh;
}

/* ---- Reno building blocks (used by both algorithms) ------------------- */

/* RFC 5681 3.1 slow start: grow by up to acked; returns the acked
 * segments left over once cwnd reaches ssthresh. */
u32 tcp_slow_start(struct tcp_cc *cc, u32 acked_pkts);
/* Congestion avoidance: +1 segment every w segments acked. */
void tcp_cong_avoid_ai(struct tcp_cc *cc, u32 w, u32 acked_pkts);

/* ---- NewReno without SACK (RFC 5681 3.2 + RFC 6582) ------------------- */

/* Third dupack: ssthresh = max(flight/2, 2), cwnd = ssthresh + 3. */
void tcp_newreno_enter_recovery(struct tcp_cc *cc, u32 in_flight_pkts,
				u64 now_us);
/* Each further dupack in recovery: cwnd += 1 (RFC 5681 3.2 step 4). */
void tcp_newreno_dupack(struct tcp_cc *cc);
/* RFC 6582 3.2 step 3, partial ACK: deflate cwnd by the newly acked
 * segments, then add back one if at least one segment was acked. */
void tcp_newreno_partial_ack(struct tcp_cc *cc, u32 acked_pkts);

#endif
