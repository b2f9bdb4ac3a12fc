/*
 * net/tcp.h - TCP (RFC 9293): the control block and what the TCP files
 * (tcp_ipv4.c, tcp_input.c, tcp_output.c, tcp_timer.c, tcp.c) share.
 *
 * Read first: RFC 9293 (3.3.2 states, 3.4 sequence numbers, 3.10 event
 * processing), RFC 6298 (RTO), RFC 5961 (blind in-window attacks),
 * RFC 1122 4.2.3 (delayed ACK, SWS avoidance), RFC 6191 (TIME_WAIT reuse).
 *
 * The paths:
 *   RX: tcp_v4_rcv (validate, checksum, demux: established hash, then
 *       listeners) -> tcp_listen_input | tcp_rcv_state_process ->
 *       tcp_ack (ACK processing) -> tcp_data_queue (in order, or into the
 *       reassembly ranges) -> tcp_fin -> tcp_sock_wake
 *   TX: tcp_send (user data into the send ring) -> tcp_push ->
 *       tcp_transmit_seg (one segment built fresh from the ring with
 *       MAX_HEADER headroom) -> ip_send_skb
 *   Timers: one timer per connection set to its earliest deadline
 *       (retransmit, loss probe, delayed ACK, keepalive, TIME_WAIT,
 *       FIN_WAIT_2, linger); tcp_timer_fire
 *       checks each one against `now`.
 *
 * Data lives in two chunked byte rings per connection (tcp_ring.h), not
 * in skb queues: the send ring holds every byte from SND.UNA on (sent and
 * unsent), so a retransmission is rebuilt from it; the receive ring holds
 * in-order bytes the app has not read, and beyond them out-of-order bytes
 * written at their offset, with the ranges held in tp->ofo (smoltcp's
 * assembler). Chunks are taken as bytes arrive and freed as they leave:
 * an idle connection holds no buffer memory. Every chunk counts against
 * the global TCP memory limit; under pressure windows stop growing, the
 * out-of-order data is pruned and listeners refuse new connections.
 *
 * Locking: one lock, tcp_lock (bottom halves off), covers every control
 * block and table; every entry point takes it, timers too.
 *
 * Sequence numbers: 32-bit, compared mod 2^32 with before/after
 * (tcp_seq.h).
 */
#ifndef SKIFF_NET_TCP_H
#define SKIFF_NET_TCP_H

#include <skiff/list.h>
#include <skiff/spinlock.h>
#include <skiff/timer.h>
#include <skiff/types.h>
#include <skiff/net/snmp.h>
#include <skiff/net/tcp_cong.h>
#include <skiff/net/tcp_rack.h>
#include <skiff/net/tcp_ring.h>
#include <skiff/net/tcp_rtt.h>
#include <skiff/net/tcp_sack.h>
#include <skiff/net/tcp_seq.h>
#include <skiff/net/tcp_wire.h>

struct sk_buff;
struct socket;

/* RFC 9293 3.3.2; the values of Linux's TCP_* states (ss prints them). */
enum tcp_state {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
};

#define TCP_DEFAULT_BUF (64 * 1024)	  /* initial SO_SNDBUF / SO_RCVBUF */
#define TCP_MIN_BUF (2 * TCP_CHUNK_BYTES) /* smallest SO_*BUF accepted */
#define TCP_PRESSURE_WND_SEGS 4 /* window growth under memory pressure */
#define TCP_OFO_RANGES 8	/* out-of-order ranges held at once */
#define TCP_SACK_RECENT 4	/* recent out-of-order segments, for SACK */
#define TCP_RETRIES2 15		/* data retransmissions, then abort */
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_DELACK_MS 40	 /* below RFC 1122's 500 ms, Linux's min */
#define TCP_TIMEWAIT_MS 60000	 /* 2 MSL, as Linux */
#define TCP_FIN_TIMEOUT_MS 60000 /* orphaned FIN_WAIT_2 */
#define TCP_MAX_TIMEWAIT 4096	 /* bounded TIME_WAIT entries */
#define TCP_KEEPIDLE_DEFAULT_MS 7200000 /* 2 h (RFC 1122 4.2.3.6) */
#define TCP_KEEPINTVL_DEFAULT_MS 75000
#define TCP_KEEPCNT_DEFAULT 9
#define TCP_CHALLENGE_ACK_LIMIT 1000 /* per second, RFC 5961 7 */
#define TCP_WCDELACK_MS 200	     /* RFC 8985 7.2 WCDelAckT */
#define TCP_PAWS_REORDER_MS 1000     /* PAWS tolerance for reordering */
#define TCP_RACK_IDLE_MS 200	     /* idle RACK state kept this long */
#define TCP_LINGER_MAX_S 3600	     /* longest SO_LINGER timeout */

/* A received range beyond RCV.NXT: [start, end) as offsets from RCV.NXT
 * at the time they are compared (stored as sequence numbers). */
struct tcp_ofo_range {
	u32 start_seq, end_seq;
};

/* What a receiver keeps while data beyond RCV.NXT waits (ofo_count
 * ranges): allocated with the first such segment, freed when the hole
 * is filled or the data pruned. */
struct tcp_ofo_queue {
	struct tcp_ofo_range range[TCP_OFO_RANGES];
	/* SACK blocks we send (RFC 2018 4): starts of the last out-of-order
	 * segments, most recent first. */
	u32 recent[TCP_SACK_RECENT];
	u8 recent_n;
};

/* A parsed segment (host order), what the input path works on. */
struct tcp_seg {
	u32 saddr, daddr;
	u16 sport, dport;
	u32 seq, ack;
	u8 flags;
	u16 wnd;	     /* unscaled, as on the wire */
	u16 urg_ptr;	     /* SEG.UP, meaningful with TCP_FLAG_URG */
	struct tcp_opts opt; /* parsed options (tcp_wire.h) */
	const u8 *data;	     /* payload */
	u32 len;	     /* payload bytes */
	u32 seg_len;	     /* len + SYN + FIN */
	u8 hdr_len;	     /* header bytes, options included */
};

/* A listener's queues (RFC 9293 3.10.7.2; Linux's request_sock_queue),
 * allocated by listen(): a connection needs none. */
struct tcp_listen_q {
	/* children in SYN_RECV, and established ones not accepted */
	struct list_head syn_q, accept_q;
	u32 syn_q_len, accept_q_len, backlog;
	u64 last_cookie_ms; /* SYN cookies were sent then (0: never) */
};

/*
 * The control block, one per connection (the tcp_sock slab cache, so its
 * size is most of an idle connection's memory): fields of a size kept
 * together so there are no holes, and what only a listener (lq), a SACK
 * loss episode (sack) or a connection with data in flight (rack) needs is
 * allocated when needed and freed after.
 */
struct tcp_sock {
	struct list_head hash; /* established/listen table chain */
	/* every control block (ss); once dead, the reaper's list */
	struct list_head all;
	enum tcp_state state;
	u32 saddr, daddr; /* host order; daddr 0 for a listener */
	u16 sport, dport;

	/* RFC 9293 3.3.1 send sequence variables */
	u32 iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2;
	u32 snd_max;	 /* highest sequence number sent + 1 */
	u16 mss;	 /* payload per segment we send: min(peer, path) */
	u16 adv_mss;	 /* the MSS we offer: route MTU - 40 */
	u32 gso_max;	 /* payload per GSO frame toward daddr; 0: one MSS */
	u8 snd_wscale;	 /* the peer's shift, applied to its window */
	u8 rcv_wscale;	 /* our shift, applied to what we advertise */
	bool fin_queued; /* the app closed the send side */
	bool fin_sent;	 /* our FIN went out at fin_seq */
	u32 fin_seq;
	bool ws_ok;	   /* both sides sent window scale (RFC 7323 2.2) */
	bool ts_ok;	   /* both sides sent timestamps (RFC 7323 3.2) */
	bool sack_ok;	   /* both sides sent SACK-permitted (RFC 2018 2) */
	bool in_recovery;  /* fast recovery: RFC 6675 with SACK, else 6582 */
	u32 ts_recent;	   /* TS.Recent: the peer's TSval to echo */
	u32 last_ack_sent; /* Last.ACK.sent (RFC 7323 4.3) */
	u32 max_window;	   /* largest window the peer offered (RFC 5961 5.2) */
	u32 dupacks;
	struct tcp_cc cc; /* congestion control (tcp_cong.h) */
	/* The SACK scoreboard (tcp_sack.h), allocated when the first SACK
	 * block arrives and freed when nothing is outstanding. */
	struct tcp_sack_board *sack;
	/* RACK (RFC 8985 6, tcp_rack.h): the transmission log of a SACK
	 * connection, allocated when data goes out; the log is emptied when
	 * nothing is outstanding (it holds the reordering timer's deadline),
	 * and TCP_RACK_IDLE_MS later its memory goes, and the rest too if it
	 * learned nothing (rack_fresh then). */
	struct tcp_rack *rack;
	u32 recover; /* SND.MAX when recovery or loss began */
	/* The tail loss probe (RFC 8985 7): PTO deadline, and the probe out. */
	bool tlp_in_flight; /* a probe was sent, its ACK not yet seen */
	bool tlp_retrans;   /* it was a retransmission (not new data) */
	bool undo_valid;    /* an undo episode is open (below) */
	bool frto;	    /* F-RTO (RFC 5682 3.1) after this RTO */
	u32 tlp_end_seq;    /* TLP.end_seq: SND.NXT after the probe */
	/* Undo of a spurious reduction (Linux's undo_marker, undo_retrans,
	 * retrans_stamp; RFC 3708, RFC 3522): valid from the start of a
	 * recovery or RTO episode at SND.UNA undo_marker until undone or
	 * replaced; undo_retrans counts its resent segments not D-SACKed;
	 * retrans_stamp is the TSval of its first resend (0: none); cwnd
	 * and ssthresh go back to undo_cwnd / undo_ssthresh. */
	u32 undo_marker, undo_retrans, retrans_stamp;
	u32 undo_cwnd, undo_ssthresh;
	u32 rcv_tsecr; /* the TSecr of the ACK being processed (0: none) */
	/* The head resent in SACK recovery: at head_rtx_seq, when SND.MAX
	 * was head_rtx_mark (a SACK above it: the resend was lost). */
	u32 head_rtx_seq, head_rtx_mark;
	bool head_rtx_valid;
	bool cwnd_limited; /* the last push stopped at cwnd */
	bool rack_fresh;   /* rack was freed idle: a fresh one comes next */
	bool fin_rcvd;	   /* the peer's FIN was consumed */
	/* receive sequence variables */
	u32 irs, rcv_nxt;
	u32 rcv_wup;	  /* RCV.NXT when the window was last sent */
	u32 rcv_wnd_sent; /* right edge advertised: rcv_wup + window */
	u32 ofo_fin_seq;
	u32 rcv_up;   /* RCV.UP (RFC 9293 3.3.1): urgent data stays inline */
	bool ofo_fin; /* a FIN beyond RCV.NXT is waiting at ofo_fin_seq */
	bool rd_shutdown;
	bool urg_seen;	    /* rcv_up is set */
	bool sndbuf_locked; /* SO_SNDBUF set: no auto-tuning */
	u32 refs;

	struct tcp_ring sndq; /* from SND.UNA: sent, then unsent bytes */
	struct tcp_ring rcvq; /* in-order unread bytes, then ofo space */
	u64 rcvq_time_ms;
	u32 rcvq_copied; /* bytes read since rcvq_time_ms (auto-tuning) */
	u32 ofo_count;	 /* out-of-order ranges held (ofo->range) */
	struct tcp_ofo_queue *ofo; /* NULL while ofo_count is 0 */
	/* A D-SACK (RFC 2883) to report once, first, on the next ACK. */
	struct tcp_sack_block dsack;

	struct tcp_rtt rtt; /* RFC 6298 estimator (tcp_rtt.h) */
	u32 total_retrans;
	u32 delack_segs; /* full segments not yet acknowledged */
	u8 retransmits;	 /* consecutive RTO expiries (TCP_RETRIES2 at most) */
	u8 quickack;	 /* segments to ACK at once */
	bool rcvbuf_locked; /* SO_RCVBUF set: no auto-tuning */
	bool dsack_pending; /* dsack (above) is to be sent */
	/* Keepalive (RFC 1122 4.2.3.6), Linux's defaults and knobs (with
	 * keep_idle_ms, keep_intvl_ms, keep_at_ms, last_rcv_ms below). */
	bool keepalive;
	u8 keep_cnt, keep_probes; /* TCP_KEEPCNT is at most 127 */
	bool dead; /* freed: waiting for the reaper (tcp_ipv4.c) */

	struct timer_list timer;
	u64 rto_at_ms, delack_at_ms, tw_at_ms, fin2_at_ms; /* 0 = unset */
	u64 keep_at_ms; /* next keepalive check, 0 = off */
	u64 tlp_at_ms;	/* the probe timeout (PTO), 0 = unset */
	u32 keep_idle_ms, keep_intvl_ms;
	u64 last_rcv_ms; /* when the last segment arrived */

	/* A child: its listener, and its place on the listener's syn_q or
	 * accept_q until accepted. A listener: its queues (lq). */
	struct tcp_sock *parent;
	struct list_head child;
	struct tcp_listen_q *lq;

	struct socket *sock; /* the socket layer's, or NULL (orphan) */
	u32 linger_ms;	     /* SO_LINGER {1, n}: n s to deliver after close */
	bool orphan;	     /* the app closed it */
	bool in_hash;
	bool nodelay;	   /* TCP_NODELAY: no Nagle */
	bool linger_abort; /* SO_LINGER {1, 0}: close sends RST */
	u64 linger_at_ms;  /* then RST if not all acknowledged (0 = unset) */
	int err;	   /* pending error for the app (negative errno) */
	int soft_err;	   /* last soft ICMP error, reported on timeout */
};

/* TCP's counters live in the stack's MIB (snmp.h), so nstat and
 * netstat -s show them: TCP_INC(TcpInSegs), TCP_INC(TcpExtTW)... */
#define TCP_INC(name) SNMP_INC(name)

extern spinlock_t tcp_lock;

/* getsockopt(IPPROTO_TCP, TCP_INFO): a snapshot in the spirit of Linux's
 * struct tcp_info (not its layout). Times in microseconds. */
struct tcp_info_snapshot {
	u8 state; /* enum tcp_state */
	u8 ca_state;
	u8 snd_wscale, rcv_wscale;
	bool ts_ok, ws_ok, nodelay;
	u32 retransmits, total_retrans;
	u32 rto_us, srtt_us, rttvar_us;
	u32 snd_mss;
	u32 snd_cwnd, snd_ssthresh; /* segments */
	u32 snd_wnd, rcv_space;	    /* bytes */
	u32 unacked_bytes, unread_bytes;
	u32 snd_buf, rcv_buf; /* SO_SNDBUF / SO_RCVBUF now (auto-tuned) */
	u32 mem_bytes;	      /* buffer chunks held, both directions */
	bool urg_seen;	      /* an urgent pointer arrived (data is inline) */
	u32 rcv_up;	      /* RCV.UP, the latest urgent pointer */
	u32 reord_seen;	      /* ACKs that showed reordering (RACK) */
	u32 reo_wnd_us;	      /* RACK's reordering window now (RFC 8985) */
	char cc_name[16];
};
void tcp_get_info(struct tcp_sock *tp, struct tcp_info_snapshot *info);

/* ---- the API below the socket layer (tcp.c wraps it as proto_ops) ------- *
 * Every function takes tcp_lock itself. Results: >= 0 or negative errno. */

/* Tables, the IPPROTO_TCP handler and SOCK_STREAM (idempotent). */
void tcp_init(void);
void tcp_socket_register(void);
struct tcp_sock *tcp_sock_create(void);
int tcp_bind(struct tcp_sock *tp, u32 addr, u16 port);
int tcp_listen(struct tcp_sock *tp, int backlog);
/* An established child, or NULL (-EAGAIN) when none is waiting. */
struct tcp_sock *tcp_accept(struct tcp_sock *tp, int *err);
int tcp_connect(struct tcp_sock *tp, u32 addr, u16 port);
long tcp_send(struct tcp_sock *tp, const void *buf, size_t len);
/* As tcp_send, but buf lives forever: whole chunks are referenced, not
 * copied (tcp_ring_append_ref), retransmissions included. */
long tcp_send_ref(struct tcp_sock *tp, const void *buf, size_t len);
long tcp_recv(struct tcp_sock *tp, void *buf, size_t len, bool peek);
int tcp_shutdown_wr(struct tcp_sock *tp);
int tcp_set_keepalive(struct tcp_sock *tp, bool on, int idle_s, int intvl_s,
		      int cnt);
/* SO_LINGER: off; {1, 0} close aborts with RST; {1, secs} close returns
 * at once and the orphan gets secs to have everything acknowledged, else
 * RST (TcpExtTCPAbortOnLinger). On: secs 0..TCP_LINGER_MAX_S, or
 * -EINVAL. */
int tcp_set_linger(struct tcp_sock *tp, bool on, int secs);
/* The app is done: FIN (or RST if unread data or abort), then orphan. */
void tcp_close(struct tcp_sock *tp, bool abort);
u32 tcp_poll(struct tcp_sock *tp); /* SOCK_EV_* */
/* Visit every control block with the lock held (ss). */
void tcp_for_each(void (*fn)(struct tcp_sock *tp, void *ctx), void *ctx);
const char *tcp_state_name(enum tcp_state s);
/* Hook for the socket layer: called (lock held) when readiness may have
 * changed. NULL until tcp.c sets it. */
extern void (*tcp_wake_hook)(struct tcp_sock *tp);

/* ---- shared among the TCP files (lock held) ----------------------------- */

/* tcp_ipv4.c */
u64 tcp_now_ms(void);
/* Our timestamp clock (RFC 7323 5.4): milliseconds. */
static inline u32 tcp_ts_now(void)
{
	return (u32)tcp_now_ms();
}
u32 tcp_send_mss(const struct tcp_sock *tp); /* payload per segment */
u16 tcp_route_mss(u32 saddr, u32 daddr);     /* route MTU - 40, or 536 */
/* Most payload in one GSO frame: its skb buffer (MAX_HEADER, headers,
 * payload, shared info) stays within 64 KiB, an order-4 allocation. */
#define TCP_GSO_MAX_PAYLOAD 65024u
/* Payload bytes one GSO frame toward daddr may carry (the route's device
 * has NETIF_F_TSO and offloads are on), else 0: one MSS per skb. */
u32 tcp_route_gso_max(u32 saddr, u32 daddr);
void tcp_hash_established(struct tcp_sock *tp);
void tcp_unhash(struct tcp_sock *tp);
void tcp_set_state(struct tcp_sock *tp, enum tcp_state st);
void tcp_done(struct tcp_sock *tp); /* to CLOSE; freed if orphaned */
void tcp_sock_put(struct tcp_sock *tp);
void tcp_wake(struct tcp_sock *tp);
struct tcp_sock *tcp_child_create(struct tcp_sock *lp, const struct tcp_seg *s);
int tcp_v4_pick_source(struct tcp_sock *tp, u32 daddr, u16 dport);
struct tcp_sock *tcp_lookup_listener(u32 laddr, u16 lport);
u32 tcp_isn(u32 saddr, u16 sport, u32 daddr, u16 dport);
int tcp_seg_parse(struct sk_buff *skb, struct tcp_seg *s);

/* tcp_input.c */
void tcp_listen_input(struct tcp_sock *lp, const struct tcp_seg *s);
void tcp_rcv_state_process(struct tcp_sock *tp, const struct tcp_seg *s);
void tcp_timewait_input(struct tcp_sock *tp, const struct tcp_seg *s);
/* RFC 8985 6.3: the RACK reordering timer fired. */
void tcp_rack_reo_timeout(struct tcp_sock *tp);
/* Linux's tcp_init_undo: a recovery or RTO episode begins (call before
 * cwnd is reduced). */
void tcp_init_undo(struct tcp_sock *tp);
/* RACK as the loss detector of SACK connections (Linux's tcp_recovery
 * sysctl, bit 1): true but in tests of the RFC 6675 fallback. */
extern bool tcp_recovery_rack;
/* Header prediction (the fast path) on: true but in tests that compare
 * the two paths on the same segments. */
extern bool tcp_header_prediction;
/* The largest receive buffer this connection may use (window scale). */
u32 tcp_rcvbuf_max(const struct tcp_sock *tp);
/* Our window scale for a receive buffer of up to buf bytes. */
u8 tcp_choose_wscale(u32 buf);

/* tcp_output.c */
void tcp_send_syn(struct tcp_sock *tp); /* SYN or SYN-ACK by state */
void tcp_send_ack(struct tcp_sock *tp);
void tcp_send_keepalive(struct tcp_sock *tp);	/* <SEQ=SND.UNA-1> */
void tcp_send_rst_for(const struct tcp_seg *s); /* RFC 9293 3.10.7.1 */
/* A stateless SYN-ACK with ISN = cookie and our MSS (SYN cookies). */
void tcp_send_synack_cookie(const struct tcp_sock *lp, const struct tcp_seg *s,
			    u32 cookie);
void tcp_send_rst(struct tcp_sock *tp); /* abort a connection */
void tcp_push(struct tcp_sock *tp);	/* send what the windows allow */
void tcp_retransmit_head(struct tcp_sock *tp);
/* Resend [seq, seq + len) (or the FIN at its sequence number); returns
 * the sequence space resent, 0 if nothing. */
u32 tcp_retransmit_range(struct tcp_sock *tp, u32 seq, u32 len);
/* RFC 6675 5 step C: while cwnd - pipe >= 1 SMSS, send what NextSeg
 * picks (retransmissions, new data, the rescue). */
void tcp_sack_xmit(struct tcp_sock *tp);
void tcp_sack_retransmit_head(struct tcp_sock *tp); /* RFC 6675 5 (4.3) */
/* The head's resend was lost: resend it again if the pipe allows. */
void tcp_sack_retransmit_lost_head(struct tcp_sock *tp);
u32 tcp_flight_pkts(const struct tcp_sock *tp);
/* RACK recovery (RFC 8985 with RFC 6675's pipe): while cwnd - pipe >= 1
 * SMSS, the lowest bytes RACK marked lost, then new data; after an RTO
 * only lost resends below SND.NXT (the go-back-N of tcp_push does the
 * rest). */
void tcp_rack_xmit(struct tcp_sock *tp);
/* Free the RACK log (nothing outstanding, or the connection ends). */
void tcp_rack_free(struct tcp_sock *tp);
/* The idle deadline passed: the log's memory goes, and the whole state
 * if it learned nothing (rack_fresh then), unless data went out since. */
void tcp_rack_trim(struct tcp_sock *tp);
void tcp_ofo_put(struct tcp_sock *tp); /* free ofo once ofo_count is 0 */
/* Linux's tcp_may_send_now: tcp_push would send a new segment now
 * (peer's window, cwnd with limited transmit, Nagle). */
bool tcp_may_send_now(const struct tcp_sock *tp);
/* RFC 8985 7.3: the probe timeout fired. */
void tcp_send_loss_probe(struct tcp_sock *tp);
u32 tcp_rcv_window(struct tcp_sock *tp); /* free space, unscaled */

/* After an RTO, until SND.UNA passes the SND.MAX it had (RFC 6582 4,
 * RFC 6675 5.1): no fast recovery, no loss probe (Linux's CA_Loss). */
static inline bool tcp_in_loss(const struct tcp_sock *tp)
{
	return !tp->in_recovery && before(tp->snd_una, tp->recover);
}

/* tcp_timer.c */
void tcp_timer_init(struct tcp_sock *tp);
void tcp_timer_update(struct tcp_sock *tp); /* re-arm to the earliest */
void tcp_rearm_rto(struct tcp_sock *tp);
/* RFC 8985 7.2: arm the probe timeout if a tail loss probe is allowed,
 * else clear it. */
void tcp_tlp_schedule(struct tcp_sock *tp);
bool tcp_tlp_allowed(const struct tcp_sock *tp);
void tcp_delack_schedule(struct tcp_sock *tp);
void tcp_enter_timewait(struct tcp_sock *tp);
void tcp_keepalive_reset(struct tcp_sock *tp); /* a segment arrived */

#endif
