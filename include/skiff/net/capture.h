/*
 * net/capture.h - packet capture: taps on every device's receive path
 * (before the stack sees the frame) and transmit path (at the hand-off to
 * the driver), feeding two independent sessions:
 *
 *   CAPTURE_LIVE  `tcpdump`: a small ring the console drains and prints
 *   CAPTURE_RING  `capture start`: a bounded ring (default 4 MiB) kept
 *                 after `capture stop`, dumped as text (`capture dump`,
 *                 for text2pcap) or as a pcap file (capture_pcap_dump,
 *                 served by httpd at /debug/pcap)
 *
 * Each session has a device (or all), a snap length and a filter
 * (net/capture_filter.h). A full ring overwrites its oldest records and
 * counts them in ->dropped. With no session running the taps cost one
 * predictable branch per frame (dev_tap, netdevice.h).
 */
#ifndef SKIFF_NET_CAPTURE_H
#define SKIFF_NET_CAPTURE_H

#include <skiff/types.h>
#include <skiff/net/capture_filter.h>

enum capture_session_id { CAPTURE_LIVE, CAPTURE_RING, CAPTURE_SESSIONS };

#define CAPTURE_RING_DEFAULT (4u << 20) /* capture start */
#define CAPTURE_LIVE_RING (256u << 10)	/* tcpdump */
#define CAPTURE_RING_MIN (64u << 10)
#define CAPTURE_RING_MAX (64u << 20)
#define CAPTURE_SNAPLEN_MAX 65535 /* -s 0 means this */
#define CAPTURE_LIVE_SNAPLEN 256  /* enough for every header tcpdump shows */

struct capture_opts {
	int ifindex;	  /* 0: every device */
	u32 snaplen;	  /* bytes kept per frame, 14..CAPTURE_SNAPLEN_MAX */
	u32 ring_bytes;	  /* CAPTURE_RING_MIN..CAPTURE_RING_MAX */
	const char *expr; /* filter, "" for all */
};

/* One captured frame, as stored in a ring and handed to readers. */
struct capture_rec {
	u64 ts_ns;  /* ktime (since boot) when the tap saw it */
	u32 caplen; /* bytes kept */
	u32 len;    /* bytes on the wire (Ethernet header on, no FCS) */
	u16 ifindex;
	u8 outgoing;
	u8 pad[5];
};

struct capture_stats {
	bool active;
	int ifindex;
	u32 snaplen, ring_bytes;
	u64 matched; /* frames that passed the filter */
	u64 stored;  /* records written */
	u64 dropped; /* records overwritten before they were read */
	u64 records; /* records in the ring now */
	u64 used_bytes;
	u64 start_ns, stop_ns; /* ktime; stop_ns 0 while running */
	char expr[CF_MAX_TEXT + 1];
};

/* Start a session (a running one is restarted; its ring is emptied).
 * 0, -EINVAL (bad option or filter: *err says where), -ENOMEM. */
int capture_start(enum capture_session_id id, const struct capture_opts *o,
		  struct cf_error *err);
void capture_stop(enum capture_session_id id);
void capture_get_stats(enum capture_session_id id, struct capture_stats *s);

/* Take the oldest record of a session: copies at most max bytes of it to
 * data. 1 if one was taken, 0 if the ring is empty. */
int capture_pop(enum capture_session_id id, struct capture_rec *r, u8 *data,
		u32 max);

/* Visit a snapshot of the ring's records, oldest first (fn runs without
 * locks). 0, -ENOENT (nothing captured), -ENOMEM. */
int capture_for_each(enum capture_session_id id,
		     void (*fn)(void *ctx, const struct capture_rec *r,
				const u8 *data),
		     void *ctx);

/* Wall-clock time of a capture_rec timestamp, ns since the epoch. */
u64 capture_wall_ns(u64 ts_ns);

/*
 * The CAPTURE_RING session as a complete pcap file (global header with
 * its snap length, LINKTYPE_ETHERNET, microsecond records), malloc'ed:
 * the caller free()s *buf. 0, -ENOENT when nothing was captured, -ENOMEM.
 */
int capture_pcap_dump(void **buf, size_t *len);

#endif
