/*
 * capture.c - the capture sessions behind `tcpdump`, `capture` and
 * /debug/pcap: the tap, the rings, and the pcap file.
 *
 * netif_receive_skb / qdisc_run_locked -> dev_tap -> capture_tap
 *   -> per running session: device, filter (cf_match), ring_put
 * readers: capture_pop (tcpdump, oldest first, consuming),
 *          capture_for_each (a snapshot: capture dump, the pcap file)
 *
 * A ring is one byte array holding records back to back: a struct
 * capture_rec, then caplen bytes padded to 8. head and tail are byte
 * counts that only grow; a record may wrap around the end of the array.
 * Writers (the tap, any CPU, softirq context) and readers take the
 * session's lock with interrupts off; a session's filter and ring only
 * change under it, so a tap never sees half a session.
 */
#include <skiff/net/capture.h>
#include <skiff/net/gso.h>
#include <skiff/net/ip_wire.h>
#include <skiff/netdevice.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cap_session {
	spinlock_t lock;
	bool active;
	int ifindex;
	u32 snaplen;
	struct capture_filter filter;
	u8 *buf;
	u32 size;
	u64 head, tail; /* bytes written / consumed, monotonic */
	u64 records, matched, stored, dropped;
	u64 start_ns, stop_ns;
	char expr[CF_MAX_TEXT + 1];
};

static struct cap_session sessions[CAPTURE_SESSIONS] = {
    [CAPTURE_LIVE] = {.lock = SPIN_LOCK_INIT("capture_live")},
    [CAPTURE_RING] = {.lock = SPIN_LOCK_INIT("capture_ring")},
};

/* Serializes capture_start (the static filter it compiles into). */
static DEFINE_SPINLOCK(start_lock, "capture_start");

#define REC_HDR sizeof(struct capture_rec)

static u32 rec_bytes(u32 caplen)
{
	return (u32)(REC_HDR + ALIGN_UP(caplen, 8u));
}

u64 capture_wall_ns(u64 ts_ns)
{
	return boot_epoch_sec * NSEC_PER_SEC + ts_ns;
}

/* ---- the ring ---------------------------------------------------------- */

static void ring_write(struct cap_session *s, u64 off, const void *src, u32 n)
{
	u32 at = (u32)(off % s->size), first = MIN(n, s->size - at);
	memcpy(s->buf + at, src, first);
	memcpy(s->buf, (const u8 *)src + first, n - first);
}

static void ring_read(const struct cap_session *s, u64 off, void *dst, u32 n)
{
	u32 at = (u32)(off % s->size), first = MIN(n, s->size - at);
	memcpy(dst, s->buf + at, first);
	memcpy((u8 *)dst + first, s->buf, n - first);
}

static void ring_drop_oldest(struct cap_session *s)
{
	struct capture_rec r;
	ring_read(s, s->tail, &r, REC_HDR);
	s->tail += rec_bytes(r.caplen);
	s->records--;
	s->dropped++;
}

/*
 * A frame leaving with its checksum left to the NIC (CHECKSUM_PARTIAL,
 * net/gso.h) holds only the pseudo-header sum: the copy gets the checksum
 * the wire will carry, so tcpdump and pcap readers see a valid packet. A
 * GSO frame is kept whole, as Linux's tcpdump shows it (one packet of up
 * to 64 KiB; the NIC sends MSS-sized segments).
 */
static void ring_fix_csum(struct cap_session *s, u64 off,
			  const struct sk_buff *skb, u32 caplen)
{
	u32 at = skb->csum_start - skb_headroom(skb) + skb->csum_offset;
	u8 sum[2];

	if (skb->ip_summed != CHECKSUM_PARTIAL ||
	    skb->csum_start < skb_headroom(skb) || at + 2 > caplen)
		return;
	store_be16(sum, skb_partial_csum(skb));
	ring_write(s, off + at, sum, 2);
}

static void ring_put(struct cap_session *s, const struct sk_buff *skb,
		     bool outgoing)
{
	struct capture_rec r = {
	    .ts_ns =
		outgoing || !skb->tstamp_ns ? ktime_get_ns() : skb->tstamp_ns,
	    .caplen = MIN(skb->len, s->snaplen),
	    .len = skb->len,
	    .ifindex = (u16)skb->dev->ifindex,
	    .outgoing = outgoing,
	};
	u32 need = rec_bytes(r.caplen);
	if (need > s->size) { /* a frame bigger than the whole ring */
		s->dropped++;
		return;
	}
	while (s->head + need - s->tail > s->size)
		ring_drop_oldest(s);
	ring_write(s, s->head, &r, REC_HDR);
	ring_write(s, s->head + REC_HDR, skb->data, r.caplen);
	ring_fix_csum(s, s->head + REC_HDR, skb, r.caplen);
	s->head += need;
	s->records++;
	s->stored++;
}

/* ---- the tap ------------------------------------------------------------ */

static void session_tap(struct cap_session *s, const struct sk_buff *skb,
			bool outgoing)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	if (s->active && (!s->ifindex || s->ifindex == skb->dev->ifindex) &&
	    cf_match(&s->filter, skb->data, MIN(skb->len, s->snaplen))) {
		s->matched++;
		ring_put(s, skb, outgoing);
	}
	spin_unlock_irqrestore(&s->lock, flags);
}

static void capture_tap(const struct sk_buff *skb, bool outgoing)
{
	for (int i = 0; i < CAPTURE_SESSIONS; i++)
		if (READ_ONCE(sessions[i].active))
			session_tap(&sessions[i], skb, outgoing);
}

/* The tap is installed while any session runs, and only then. */
static void update_tap(void)
{
	bool any = false;
	for (int i = 0; i < CAPTURE_SESSIONS; i++)
		any |= READ_ONCE(sessions[i].active);
	dev_set_tap(any ? capture_tap : NULL);
}

/* ---- sessions -------------------------------------------------------------
 */

static int check_opts(const struct capture_opts *o)
{
	if (o->snaplen < 14 || o->snaplen > CAPTURE_SNAPLEN_MAX)
		return -EINVAL;
	if (o->ring_bytes < CAPTURE_RING_MIN ||
	    o->ring_bytes > CAPTURE_RING_MAX)
		return -EINVAL;
	return 0;
}

/* Swap in a new ring and settings; the old ring is returned to free. */
static u8 *install(struct cap_session *s, const struct capture_opts *o,
		   const struct capture_filter *f, u8 *buf)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	u8 *old = s->buf;
	s->buf = buf;
	s->size = o->ring_bytes;
	s->head = s->tail = 0;
	s->records = s->matched = s->stored = s->dropped = 0;
	s->filter = *f;
	s->ifindex = o->ifindex;
	s->snaplen = o->snaplen;
	snprintf(s->expr, sizeof(s->expr), "%s", o->expr ? o->expr : "");
	s->start_ns = ktime_get_ns();
	s->stop_ns = 0;
	s->active = true;
	spin_unlock_irqrestore(&s->lock, flags);
	return old;
}

int capture_start(enum capture_session_id id, const struct capture_opts *o,
		  struct cf_error *err)
{
	static struct capture_filter f; /* too big for a small stack */
	BUG_ON(id >= CAPTURE_SESSIONS);
	memset(err, 0, sizeof(*err));
	if (check_opts(o))
		return -EINVAL;
	u8 *buf = malloc(o->ring_bytes);
	if (!buf)
		return -ENOMEM;
	spin_lock(&start_lock);
	int rc = cf_compile(&f, o->expr, err);
	u8 *old = rc ? buf : install(&sessions[id], o, &f, buf);
	spin_unlock(&start_lock);
	free(old);
	if (!rc)
		update_tap();
	return rc;
}

void capture_stop(enum capture_session_id id)
{
	struct cap_session *s = &sessions[id];
	unsigned long flags = spin_lock_irqsave(&s->lock);
	if (s->active)
		s->stop_ns = ktime_get_ns();
	s->active = false;
	spin_unlock_irqrestore(&s->lock, flags);
	update_tap();
}

void capture_get_stats(enum capture_session_id id, struct capture_stats *st)
{
	struct cap_session *s = &sessions[id];
	unsigned long flags = spin_lock_irqsave(&s->lock);
	st->active = s->active;
	st->ifindex = s->ifindex;
	st->snaplen = s->snaplen;
	st->ring_bytes = s->size;
	st->matched = s->matched;
	st->stored = s->stored;
	st->dropped = s->dropped;
	st->records = s->records;
	st->used_bytes = s->head - s->tail;
	st->start_ns = s->start_ns;
	st->stop_ns = s->stop_ns;
	memcpy(st->expr, s->expr, sizeof(st->expr));
	spin_unlock_irqrestore(&s->lock, flags);
}

int capture_pop(enum capture_session_id id, struct capture_rec *r, u8 *data,
		u32 max)
{
	struct cap_session *s = &sessions[id];
	int got = 0;
	unsigned long flags = spin_lock_irqsave(&s->lock);
	if (s->records) {
		ring_read(s, s->tail, r, REC_HDR);
		ring_read(s, s->tail + REC_HDR, data, MIN(r->caplen, max));
		s->tail += rec_bytes(r->caplen);
		s->records--;
		got = 1;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return got;
}

/* ---- snapshots -------------------------------------------------------------
 */

struct snapshot {
	u8 *bytes; /* the records, unwrapped */
	u64 used;
	u32 snaplen;
};

/* Copy the ring's records out. The buffer is sized before the lock (the
 * ring may grow meanwhile; then what fits is taken, newest dropped). */
static int snapshot_take(struct cap_session *s, struct snapshot *snap)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	u64 want = s->head - s->tail;
	spin_unlock_irqrestore(&s->lock, flags);
	if (!want)
		return -ENOENT;
	snap->bytes = malloc(want);
	if (!snap->bytes)
		return -ENOMEM;
	flags = spin_lock_irqsave(&s->lock);
	u64 off = s->tail, used = 0;
	while (off < s->head) {
		struct capture_rec r;
		ring_read(s, off, &r, REC_HDR);
		u32 n = rec_bytes(r.caplen);
		if (used + n > want)
			break;
		ring_read(s, off, snap->bytes + used, n);
		used += n;
		off += n;
	}
	snap->used = used;
	snap->snaplen = s->snaplen;
	spin_unlock_irqrestore(&s->lock, flags);
	if (used)
		return 0;
	free(snap->bytes);
	return -ENOENT;
}

int capture_for_each(enum capture_session_id id,
		     void (*fn)(void *ctx, const struct capture_rec *r,
				const u8 *data),
		     void *ctx)
{
	struct snapshot snap;
	int rc = snapshot_take(&sessions[id], &snap);
	if (rc)
		return rc;
	for (u64 off = 0; off < snap.used;) {
		struct capture_rec r;
		memcpy(&r, snap.bytes + off, REC_HDR);
		fn(ctx, &r, snap.bytes + off + REC_HDR);
		off += rec_bytes(r.caplen);
	}
	free(snap.bytes);
	return 0;
}

/* ---- pcap (the libpcap file format, draft-ietf-opsawg-pcap) -------------- */

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define LINKTYPE_ETHERNET 1

struct pcap_writer {
	u8 *p;
	size_t len;
};

static void put_le(struct pcap_writer *w, u64 v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		w->p[w->len++] = (u8)(v >> (8 * i));
}

/* The file header: magic, version 2.4, thiszone, sigfigs, snaplen,
 * link type. */
static void pcap_header(struct pcap_writer *w, u32 snaplen)
{
	put_le(w, PCAP_MAGIC_US, 4);
	put_le(w, 2, 2);
	put_le(w, 4, 2);
	put_le(w, 0, 4);
	put_le(w, 0, 4);
	put_le(w, snaplen, 4);
	put_le(w, LINKTYPE_ETHERNET, 4);
}

static void pcap_record(void *ctx, const struct capture_rec *r, const u8 *data)
{
	struct pcap_writer *w = ctx;
	u64 wall = capture_wall_ns(r->ts_ns);
	put_le(w, wall / NSEC_PER_SEC, 4);
	put_le(w, wall / 1000 % 1000000, 4);
	put_le(w, r->caplen, 4);
	put_le(w, r->len, 4);
	memcpy(w->p + w->len, data, r->caplen);
	w->len += r->caplen;
}

int capture_pcap_dump(void **buf, size_t *len)
{
	struct snapshot snap;
	int rc = snapshot_take(&sessions[CAPTURE_RING], &snap);
	if (rc)
		return rc;
	/* A pcap record header (16) is smaller than ours: used bytes bound
	 * the records. */
	struct pcap_writer w = {.p = malloc(24 + snap.used)};
	if (!w.p) {
		free(snap.bytes);
		return -ENOMEM;
	}
	pcap_header(&w, snap.snaplen);
	for (u64 off = 0; off < snap.used;) {
		struct capture_rec r;
		memcpy(&r, snap.bytes + off, REC_HDR);
		pcap_record(&w, &r, snap.bytes + off + REC_HDR);
		off += rec_bytes(r.caplen);
	}
	free(snap.bytes);
	*buf = w.p;
	*len = w.len;
	return 0;
}
