/*
 * net/capture_fmt.h - one line per frame in tcpdump's style:
 *
 *   12:00:01.123456 IP 198.18.0.1.40000 > 198.18.0.2.7: Flags [S], seq 1,
 *     win 64240, options [mss 1460,nop,wscale 7], length 0
 *   12:00:01.200000 IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 7,
 *     seq 1, length 64
 *   12:00:01.300000 ARP, Request who-has 198.18.0.2 tell 198.18.0.1,
 *     length 28
 *
 * (each on one line). Pure: no clock (the time is an argument), no state.
 * Sequence numbers are absolute (tcpdump -S); without CAPFMT_NUMERIC
 * well-known ports print as service names (7 -> echo), as tcpdump does
 * without -n; addresses are always numeric (there is no resolver).
 */
#ifndef SKIFF_NET_CAPTURE_FMT_H
#define SKIFF_NET_CAPTURE_FMT_H

#include <skiff/types.h>

#define CAPFMT_NUMERIC 0x1 /* tcpdump -n: ports as numbers */

/*
 * Format the frame (caplen bytes present of len on the wire), stamped
 * wall_ns (UTC, ns since the epoch; only the time of day is printed),
 * into out (NUL-ended, cut to size). Returns the line's length, without
 * a newline.
 */
size_t capture_format(char *out, size_t size, const u8 *frame, u32 caplen,
		      u32 len, u64 wall_ns, unsigned flags);

#endif
