/*
 * net/tcp_sack.h - the sender's SACK scoreboard and the loss-recovery
 * rules of RFC 6675 (IsLost, SetPipe, NextSeg, rescue retransmission),
 * with D-SACK detection (RFC 2883). Pure: sequence numbers in, decisions
 * out; all arithmetic mod 2^32 (tcp_seq.h). Byte granularity: the
 * scoreboard keeps the SACKed ranges of [snd_una, snd_nxt) sorted and
 * merged; a gap's "lost" status is decided as IsLost decides it for every
 * byte of the gap (the SACKed bytes and ranges above are the same for all
 * of them). At most TCP_SACK_MAX_RANGES ranges are kept: when a new range
 * does not fit, the highest range is forgotten (safe: its data is just
 * not treated as SACKed, as after reneging).
 *
 * Usage. tcp_sack_init(&sb, iss + 1, mss) when the connection is set up
 * (snd_una = snd_nxt = that). tcp_sack_on_send(&sb, snd_nxt) after sending
 * new data. For every ACK: tcp_sack_update(&sb, ack, blocks, n, &res) with
 * the blocks of the segment's SACK option (n may be 0): it moves snd_una,
 * drops what is covered, validates and records blocks, and reports newly
 * acked/SACKed bytes and whether the first block was a D-SACK.
 * Entering recovery (RFC 6675 5: DupAcks >= DupThresh or
 * tcp_sack_is_lost(&sb, snd_una)): tcp_sack_enter_recovery(&sb) records
 * RecoveryPoint = snd_nxt. While in recovery and cwnd - pipe >= 1 MSS
 * (pipe = tcp_sack_pipe(&sb)), ask tcp_sack_next_seg(&sb, new_data_ok,
 * &seg): it returns what to send (a retransmission, new data, or a rescue
 * retransmission) and, for retransmissions, marks it (HighRxt/RescueRxt)
 * as if it were sent, so the caller must send it. tcp_sack_update reports
 * res.recovery_done when ack passes RecoveryPoint (RFC 6675 5 step C is
 * over; the caller calls tcp_sack_exit_recovery). On RTO:
 * tcp_sack_on_rto(&sb) (RFC 6675 5.1: recovery ends; the SACKed ranges
 * are kept, RFC 2018 Errata 1610, and the caller forgets them
 * (tcp_sack_forget) when tcp_sack_reneged says the receiver reneged).
 */
#ifndef SKIFF_NET_TCP_SACK_H
#define SKIFF_NET_TCP_SACK_H

#include <skiff/net/tcp_wire.h>
#include <skiff/types.h>

#define TCP_SACK_MAX_RANGES 32
#define TCP_DUPTHRESH 3

struct tcp_sack_board {
	u32 snd_una;	    /* HighACK: all below is cumulatively acked */
	u32 snd_nxt;	    /* HighData + 1: one past the highest byte sent */
	u32 mss;	    /* SMSS in bytes, >= 1 */
	u32 high_rxt;	    /* HighRxt + 1: one past the highest byte
			     * retransmitted in this recovery (== snd_una if none) */
	u32 rescue_rxt;	    /* RescueRxt, valid when rescue_valid */
	u32 recovery_point; /* RecoveryPoint (snd_nxt at entry) */
	bool in_recovery;
	bool rescue_valid;
	u8 nr_ranges;
	/* SACKed ranges, ascending, disjoint and not touching, each inside
	 * [snd_una, snd_nxt] and non-empty. */
	struct tcp_sack_block ranges[TCP_SACK_MAX_RANGES];
	u32 sacked_bytes;   /* sum of the ranges' lengths */
	u32 dsacks;	    /* D-SACKs seen (RFC 2883) */
	u32 dropped_ranges; /* ranges forgotten for lack of room */
};

struct tcp_sack_result {
	u32 acked_bytes;	/* snd_una advance */
	u32 newly_sacked_bytes; /* bytes SACKed for the first time */
	u8 invalid_blocks;	/* blocks ignored: outside [snd_una, snd_nxt],
				 * empty or reversed */
	bool dsack;		/* the first block was a D-SACK */
	bool recovery_done;	/* in recovery and ack >= RecoveryPoint */
};

enum tcp_nextseg_kind {
	TCP_NEXTSEG_NONE,    /* nothing may be sent */
	TCP_NEXTSEG_RETRANS, /* rule 1 or 3: retransmit [seq, seq+len) */
	TCP_NEXTSEG_NEW,     /* rule 2: send up to len bytes of new data */
	TCP_NEXTSEG_RESCUE,  /* rule 4: rescue retransmission */
};

struct tcp_nextseg {
	enum tcp_nextseg_kind kind;
	u32 seq;
	u32 len; /* <= mss; for NEW, len = mss (caller trims) */
};

void tcp_sack_init(struct tcp_sack_board *sb, u32 snd_una, u32 mss);
void tcp_sack_set_mss(struct tcp_sack_board *sb, u32 mss);
/* New data was sent up to (not including) snd_nxt. */
void tcp_sack_on_send(struct tcp_sack_board *sb, u32 snd_nxt);
/* Process one ACK: cumulative ack, then n (<= 4) SACK blocks. An ack
 * outside [snd_una, snd_nxt] is not applied (res->acked_bytes 0).
 * Returns 0. */
int tcp_sack_update(struct tcp_sack_board *sb, u32 ack,
		    const struct tcp_sack_block *blocks, unsigned n,
		    struct tcp_sack_result *res);
/* Whether byte seq is SACKed. */
bool tcp_sack_is_sacked(const struct tcp_sack_board *sb, u32 seq);
/* RFC 6675 4, IsLost(seq): DupThresh discontiguous SACKed ranges above
 * seq, or more than (DupThresh - 1) * SMSS bytes SACKed above it. */
bool tcp_sack_is_lost(const struct tcp_sack_board *sb, u32 seq);
/* RFC 6675 4, SetPipe: bytes estimated in the network. */
u32 tcp_sack_pipe(const struct tcp_sack_board *sb);
/* The highest SACKed byte + 1 (snd_una if none). */
u32 tcp_sack_high_sacked(const struct tcp_sack_board *sb);

void tcp_sack_enter_recovery(struct tcp_sack_board *sb);
void tcp_sack_exit_recovery(struct tcp_sack_board *sb);
/* RFC 6675 4, NextSeg. new_data_ok: there is unsent data and the
 * receive window allows one more segment (rule 2). Returns seg->kind. */
enum tcp_nextseg_kind tcp_sack_next_seg(struct tcp_sack_board *sb,
					bool new_data_ok,
					struct tcp_nextseg *seg);
/* RTO: leave recovery and forget HighRxt; the SACKed ranges stay. */
void tcp_sack_on_rto(struct tcp_sack_board *sb);
/* A range begins at HighACK: a receiver that held it would have ACKed
 * past it, so it dropped it (reneging, RFC 2018 8). */
bool tcp_sack_reneged(const struct tcp_sack_board *sb);
void tcp_sack_forget(struct tcp_sack_board *sb); /* every range */
/* The lowest range that ends after seq (it may hold seq), or NULL. */
const struct tcp_sack_block *
tcp_sack_next_range(const struct tcp_sack_board *sb, u32 seq);
/* Bytes SACKed in [snd_una, seq). */
u32 tcp_sack_sacked_below(const struct tcp_sack_board *sb, u32 seq);

#endif
