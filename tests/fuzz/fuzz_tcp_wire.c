/*
 * fuzz_tcp_wire.c - one TCP segment of arbitrary bytes into tcp_hdr_parse
 * (net/tcp_wire.c); a header that parses is emitted again and re-parsed,
 * and the options that the emit layout carries must come back equal. The
 * segment's SACK blocks then go through a SACK scoreboard
 * (net/tcp_sack.c) whose window is taken from the segment's own seq/ack,
 * so hostile blocks meet the validation, merging and NextSeg code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/tcp_sack.h>
#include <skiff/net/tcp_wire.h>

static void check_round_trip(const struct tcp_hdr_info *h)
{
	struct tcp_hdr_info back;
	u8 out[TCP_MAX_HDR_LEN];
	int n = tcp_hdr_emit(h, out, sizeof(out));
	bool syn = h->flags & TCP_FLAG_SYN;
	u32 keep = syn ? (TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_SACK_PERM |
			  TCP_OPT_TS)
		       : (TCP_OPT_TS | TCP_OPT_SACK);

	if (n < 0)
		abort(); /* 60 bytes always suffice */
	if (tcp_hdr_parse(out, (size_t)n, &back) != n)
		abort();
	if (back.seq != h->seq || back.ack != h->ack ||
	    back.flags != h->flags || back.window != h->window)
		abort();
	if (syn && (h->opt.present & TCP_OPT_SACK)) /* not emitted on SYN */
		keep &= ~TCP_OPT_SACK;
	if ((back.opt.present & keep) != (h->opt.present & keep))
		abort();
	if ((keep & h->opt.present & TCP_OPT_MSS) && back.opt.mss != h->opt.mss)
		abort();
	if ((keep & h->opt.present & TCP_OPT_TS) &&
	    (back.opt.tsval != h->opt.tsval || back.opt.tsecr != h->opt.tsecr))
		abort();
}

static void feed_scoreboard(const struct tcp_hdr_info *h)
{
	struct tcp_sack_board sb;
	struct tcp_sack_result res;
	struct tcp_nextseg ns;

	tcp_sack_init(&sb, h->ack - (h->window << 8), (h->urg_ptr & 0x7ff) + 1);
	tcp_sack_on_send(&sb, h->ack + (h->window << 8));
	tcp_sack_update(&sb, h->ack, h->opt.sack, h->opt.nr_sack, &res);
	tcp_sack_enter_recovery(&sb);
	for (int i = 0; i < 64; i++)
		if (tcp_sack_next_seg(&sb, false, &ns) == TCP_NEXTSEG_NONE)
			break;
	(void)tcp_sack_pipe(&sb);
	if (sb.nr_ranges > TCP_SACK_MAX_RANGES)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_hdr_info h;

	if (tcp_hdr_parse(data, size, &h) < 0)
		return 0;
	if (h.opt.nr_sack > TCP_MAX_SACK_BLOCKS ||
	    h.opt.wscale > TCP_MAX_WSCALE)
		abort();
	check_round_trip(&h);
	feed_scoreboard(&h);
	return 0;
}
