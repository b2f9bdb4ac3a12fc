/*
 * fuzz_tcp_rack.c - RACK's transmission log (net/tcp_rack.c) driven by
 * arbitrary bytes: each 12-byte record is one event (send new data,
 * resend a range, an ACK with up to two SACK blocks and a D-SACK flag,
 * the reordering timer, an RTO, an undo, reneging, idle), with the clock
 * stepping forward. SACK blocks come from the network, so they are taken
 * as they come (below SND.UNA, past SND.NXT, reversed, wrapping). After
 * every event the log must be one contiguous run from snd_una to snd_nxt
 * of non-empty entries, within its bound, and the pipe, lost and resent
 * sums within the outstanding bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/tcp_rack.h>
#include <skiff/net/tcp_seq.h>

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void check(const struct tcp_rack *r)
{
	u32 at = r->snd_una, out = r->snd_nxt - r->snd_una;
	if (r->nr > r->cap || r->cap > TCP_RACK_MAX_SEGS)
		abort();
	for (u32 i = 0; i < r->nr; i++) {
		if (r->segs[i].start != at || !after(r->segs[i].end, at))
			abort();
		at = r->segs[i].end;
	}
	if (r->nr && at != r->snd_nxt)
		abort();
	if (tcp_rack_pipe(r) > out || tcp_rack_lost_out(r) > out ||
	    tcp_rack_retrans_out(r) > out)
		abort();
}

static void ack_event(struct tcp_rack *r, const u8 *p, u64 now_us)
{
	struct tcp_sack_block b[2];
	struct tcp_rack_in in = {.now_us = now_us,
				 .min_rtt_us = (u32)p[1] * 1000,
				 .srtt_us = (u32)p[2] * 2000,
				 .recovering = p[0] & 0x10,
				 .dsack = p[0] & 0x20,
				 .ts = p[0] & 0x40,
				 .sacked_pkts = p[3] & 7,
				 .high_seq = r->snd_nxt};
	struct tcp_rack_out o;
	u32 span = r->snd_nxt - r->snd_una + 1;
	in.ack = r->snd_una + rd32(p + 4) % span;
	if (p[3] & 0x80) /* now and then an ACK from anywhere */
		in.ack = rd32(p + 4);
	in.tsecr = (u32)(now_us / 1000) - p[8];
	b[0].start = r->snd_una + (u32)(p[8] | p[9] << 8) * 8 - 4096;
	b[0].end = b[0].start + (u32)p[10] * 64;
	b[1].start = r->snd_una + (u32)p[11] * 256;
	b[1].end = b[1].start + (u32)p[9] * 32 - 512;
	in.blocks = b;
	in.nr_blocks = ((p[3] >> 4) & 3) > 2 ? 2 : ((p[3] >> 4) & 3);
	tcp_rack_on_ack(r, &in, &o);
}

static void event(struct tcp_rack *r, const u8 *p, u64 now_us)
{
	u32 len = (u32)(p[1] | p[2] << 8) % 70000 + 1;
	struct tcp_rack_in in = {.now_us = now_us, .min_rtt_us = 20000};
	struct tcp_rack_out o;
	u32 seq;
	switch (p[0] & 7) {
	case 0: /* new data */
		tcp_rack_on_xmit(r, r->snd_nxt, r->snd_nxt + len, now_us);
		break;
	case 1: /* a resend inside (or around) what was sent */
		seq = r->snd_una + rd32(p + 4) % (r->snd_nxt - r->snd_una + 1);
		tcp_rack_on_xmit(r, seq, seq + len, now_us);
		break;
	case 2:
	case 3:
		ack_event(r, p, now_us);
		break;
	case 4:
		tcp_rack_detect_loss(r, &in, &o);
		break;
	case 5:
		tcp_rack_on_rto(r);
		break;
	case 6:
		if (p[1] & 1)
			tcp_rack_unmark_lost(r);
		else
			tcp_rack_forget_sacked(r);
		tcp_rack_recovery_done(r);
		tcp_rack_spurious(r);
		break;
	default:
		if (r->snd_una == r->snd_nxt) {
			tcp_rack_idle(r, r->snd_una);
			if (p[1] & 2) /* idle long enough: the trim */
				tcp_rack_release(r);
		} else if (tcp_rack_next_lost(r, p[1] & 1, 1448, &seq, &len) &&
			   (before(seq, r->snd_una) ||
			    after(seq + len, r->snd_nxt)))
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_rack r;
	u64 now_us = 1000000;
	if (size < 4 || tcp_rack_init(&r, rd32(data)) < 0)
		return 0;
	for (size_t off = 4; off + 12 <= size; off += 12) {
		now_us += (u64)data[off + 3] * 97;
		event(&r, data + off, now_us);
		check(&r);
	}
	tcp_rack_release(&r);
	return 0;
}
