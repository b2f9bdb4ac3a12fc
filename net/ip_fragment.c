/*
 * ip_fragment.c - IPv4 fragmentation on output and reassembly on input
 * (RFC 791 3.2 "Fragmentation and Reassembly", RFC 815, RFC 1122 3.3.2).
 *
 * Reassembly:
 *   ip_defrag -> evict if over the memory cap -> ipq_find (hash of src,
 *   dst, id, protocol; a new queue arms a 30 s timer) -> ipq_queue
 *   (bounds, overlap check, sorted insert) -> all there? ipq_reasm builds
 *   one linear skb and frees the fragments.
 *   ipq_expire (timer): ICMP time exceeded, code 1, if fragment zero had
 *   arrived (RFC 792, RFC 1122 3.3.2), then drop the queue.
 *
 * Policy, and why:
 * - Overlap: any fragment that overlaps another discards the whole
 *   datagram (counted IpExtReasmOverlaps + IpReasmFails), as Linux does
 *   since 2018 and RFC 5722 requires for IPv6: overlaps have no innocent
 *   use and are how reassembly-ambiguity attacks (teardrop, IDS evasion)
 *   work. An EXACT duplicate (same offset, length and bytes) is dropped on
 *   its own and the queue kept: the network may duplicate a packet, and
 *   RFC 5722 (errata 3089) says duplicates should be ignored. A duplicate
 *   whose bytes differ is an overlap.
 * - Size: a datagram may not grow past 65,535 bytes (ping of death); such
 *   a fragment kills its queue (IpReasmFails).
 * - Memory: fragments are charged their buffer size. Above 4 MiB the
 *   oldest queues are evicted until 3 MiB (Linux's ipfrag_high_thresh /
 *   ipfrag_low_thresh); at most IPFRAG_MAX_QUEUES queues exist (the
 *   oldest makes room) and a queue holds at most IPFRAG_MAX_FRAGS_PER_QUEUE
 *   fragments.
 * - A non-last fragment whose payload is not a multiple of 8 is trimmed
 *   down to one (as Linux): the bytes past it cannot be placed anyway.
 *
 * Fragmentation (ip_fragment): RFC 791 3.2 "An Example Fragmentation
 * Procedure": payload in multiples of 8 bytes per fragment, MF on all but
 * the last, the first fragment keeps every option and the others only
 * the options whose copied bit is set.
 */
#include <skiff/net/icmp.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/snmp.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IPQ_HASH_SIZE 64

/* What a queued fragment keeps in skb->cb: IPCB, then its place. */
struct ipfrag_cb {
	struct inet_skb_parm h;
	u16 offset; /* payload offset in the datagram, bytes */
	u16 len;    /* payload bytes (after the fragment's own header) */
};
#define FRAG_CB(skb) ((struct ipfrag_cb *)(skb)->cb)
_Static_assert(sizeof(struct ipfrag_cb) <= sizeof(((struct sk_buff *)0)->cb),
	       "ipfrag_cb must fit in skb->cb");

#define IPQ_FIRST_IN 0x1 /* fragment zero is here */
#define IPQ_LAST_IN 0x2	 /* the fragment without MF is here: len is known */
#define IPQ_DEAD 0x4	 /* unhashed; only its references keep it */

/* One datagram being reassembled. */
struct ipq {
	struct list_head hash; /* on ipq_hash[bucket] */
	struct list_head lru;  /* on ipq_lru, oldest first */
	struct timer_list timer;
	u32 refcnt; /* the hash table's, the pending timer's */
	u32 saddr, daddr;
	u16 id;
	u8 protocol;
	u8 flags; /* IPQ_* */
	u32 len;  /* payload length: exact once LAST_IN, else max end */
	u32 meat; /* payload bytes received */
	u32 nfrags;
	u64 mem;		/* buffer bytes of the fragments held */
	struct list_head frags; /* skbs by offset (skb->list), no overlaps */
};

static struct list_head ipq_hash[IPQ_HASH_SIZE];
static LIST_HEAD(ipq_lru);
static u32 ipq_count;
static u64 ipfrag_mem;
static u64 ipfrag_evicted;
static DEFINE_SPINLOCK(ipfrag_lock, "ipfrag");

/* What a fragment costs: its whole buffer, however little it carries. */
static u64 frag_truesize(const struct sk_buff *skb)
{
	return skb->end + sizeof(struct sk_buff);
}

static u32 ipq_bucket(u32 saddr, u32 daddr, u16 id, u8 protocol)
{
	u32 h = saddr ^ (daddr * 0x9e3779b1u) ^ ((u32)id << 8) ^ protocol;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h % IPQ_HASH_SIZE;
}

static void ipq_put(struct ipq *q)
{
	struct sk_buff *f, *n;

	if (--q->refcnt != 0)
		return;
	list_for_each_entry_safe (f, n, &q->frags, list) {
		list_del(&f->list);
		kfree_skb(f);
	}
	free(q);
}

/* Unhash q and give back its memory; the fragments go with the last
 * reference. Caller holds ipfrag_lock. */
static void ipq_kill(struct ipq *q)
{
	if (q->flags & IPQ_DEAD)
		return;
	q->flags |= IPQ_DEAD;
	list_del(&q->hash);
	list_del(&q->lru);
	ipq_count--;
	ipfrag_mem -= q->mem;
	q->mem = 0;
	if (del_timer(&q->timer))
		q->refcnt--; /* the timer's reference; the hash's is below */
	ipq_put(q);
}

/* Kill q as a failed reassembly. Caller holds ipfrag_lock. */
static void ipq_fail(struct ipq *q)
{
	SNMP_INC(IpReasmFails);
	ipq_kill(q);
}

/* Evict the oldest queues until memory is at the low threshold. */
static void ipfrag_evict(u64 low)
{
	while (ipfrag_mem > low && !list_empty(&ipq_lru)) {
		ipfrag_evicted++;
		ipq_fail(list_first_entry(&ipq_lru, struct ipq, lru));
	}
}

/* The 30 s reassembly timer (RFC 1122 3.3.2: 60 to 120 s recommended;
 * Linux, and Skiff, use 30 s). */
static void ipq_expire(struct timer_list *t)
{
	struct ipq *q = container_of(t, struct ipq, timer);
	struct sk_buff *first = NULL;

	spin_lock_bh(&ipfrag_lock);
	if (!(q->flags & IPQ_DEAD)) {
		SNMP_INC(IpReasmFails);
		if (q->flags & IPQ_FIRST_IN) {
			SNMP_INC(IpReasmTimeout);
			/* Sorted by offset: fragment zero is the head. */
			first =
			    list_first_entry(&q->frags, struct sk_buff, list);
			list_del(&first->list);
		}
		ipq_kill(q); /* drops the hash table's reference */
	}
	ipq_put(q); /* the timer's: q is freed now unless still hashed */
	spin_unlock_bh(&ipfrag_lock);
	if (first) {
		/* RFC 792: time exceeded, code 1 "fragment reassembly time
		 * exceeded", quoting fragment zero. */
		icmp_send(first, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
		kfree_skb(first);
	}
}

static struct ipq *ipq_create(u32 saddr, u32 daddr, u16 id, u8 protocol,
			      u32 bucket)
{
	if (ipq_count >= IPFRAG_MAX_QUEUES && !list_empty(&ipq_lru)) {
		ipfrag_evicted++;
		ipq_fail(list_first_entry(&ipq_lru, struct ipq, lru));
	}
	struct ipq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->saddr = saddr;
	q->daddr = daddr;
	q->id = id;
	q->protocol = protocol;
	q->refcnt = 2; /* the hash table and the timer */
	INIT_LIST_HEAD(&q->frags);
	list_add_tail(&q->hash, &ipq_hash[bucket]);
	list_add_tail(&q->lru, &ipq_lru);
	ipq_count++;
	kernel_timer_setup(&q->timer, ipq_expire);
	mod_timer(&q->timer,
		  get_jiffies() + msecs_to_jiffies(IPFRAG_TIMEOUT_MS));
	return q;
}

/* The queue of this fragment's datagram, made if new. Caller locks. */
static struct ipq *ipq_find(const struct inet_skb_parm *h)
{
	u32 b = ipq_bucket(h->saddr, h->daddr, h->id, h->protocol);
	struct ipq *q;

	list_for_each_entry (q, &ipq_hash[b], hash) {
		if (q->saddr == h->saddr && q->daddr == h->daddr &&
		    q->id == h->id && q->protocol == h->protocol)
			return q;
	}
	return ipq_create(h->saddr, h->daddr, h->id, h->protocol, b);
}

/* ---- queueing one fragment ----------------------------------------------- */

enum frag_verdict {
	FRAG_QUEUED,  /* kept */
	FRAG_DUP,     /* an exact duplicate: drop it, keep the queue */
	FRAG_OVERLAP, /* overlaps: drop the datagram */
	FRAG_CORRUPT, /* inconsistent lengths: drop the datagram */
	FRAG_TOO_BIG, /* past 65,535 bytes: drop the datagram */
};

static const u8 *frag_payload(const struct sk_buff *skb)
{
	return skb->data + FRAG_CB(skb)->h.ihl_bytes;
}

/* Exactly the same bytes at the same place as f? */
static bool frag_same(const struct sk_buff *f, const struct sk_buff *skb)
{
	const struct ipfrag_cb *a = FRAG_CB(f), *b = FRAG_CB(skb);

	return a->offset == b->offset && a->len == b->len &&
	       memcmp(frag_payload(f), frag_payload(skb), a->len) == 0;
}

/*
 * Where skb goes in q->frags (sorted by offset): the fragment to insert
 * before (NULL = at the tail), or a verdict if it overlaps one. In-order
 * and reverse-order arrivals are found at the tail and head at once.
 */
static enum frag_verdict frag_place(struct ipq *q, struct sk_buff *skb,
				    struct sk_buff **before)
{
	u32 off = FRAG_CB(skb)->offset, end = off + FRAG_CB(skb)->len;
	struct sk_buff *f;

	*before = NULL;
	if (list_empty(&q->frags))
		return FRAG_QUEUED;
	f = list_entry(q->frags.prev, struct sk_buff, list);
	if (off >= FRAG_CB(f)->offset + FRAG_CB(f)->len)
		return FRAG_QUEUED; /* after the last one: the common case */
	list_for_each_entry (f, &q->frags, list) {
		u32 foff = FRAG_CB(f)->offset, fend = foff + FRAG_CB(f)->len;
		if (end <= foff) {
			*before = f;
			return FRAG_QUEUED;
		}
		if (off < fend) /* [off, end) and [foff, fend) intersect */
			return frag_same(f, skb) ? FRAG_DUP : FRAG_OVERLAP;
	}
	return FRAG_QUEUED;
}

/*
 * Length rules (RFC 791 3.2, Linux ip_frag_queue): the last fragment fixes
 * the length and nothing may end past it; a datagram never exceeds 65,535
 * bytes. Updates q->len/flags. Trims a non-last fragment to 8 bytes.
 */
static enum frag_verdict frag_check_len(struct ipq *q, struct sk_buff *skb,
					bool mf)
{
	struct ipfrag_cb *cb = FRAG_CB(skb);
	u32 end = cb->offset + cb->len;

	if (end + cb->h.ihl_bytes > IP_MAX_TOT_LEN)
		return FRAG_TOO_BIG;
	if (!mf) {
		if (end < q->len || ((q->flags & IPQ_LAST_IN) && end != q->len))
			return FRAG_CORRUPT;
		q->flags |= IPQ_LAST_IN;
		q->len = end;
	} else {
		if (end & 7) {
			end &= ~7u;
			cb->len = (u16)(end - cb->offset);
			skb_trim(skb, cb->h.ihl_bytes + cb->len);
		}
		if (end > q->len) {
			if (q->flags & IPQ_LAST_IN)
				return FRAG_CORRUPT;
			q->len = end;
		}
	}
	return end == cb->offset ? FRAG_CORRUPT : FRAG_QUEUED;
}

static enum frag_verdict ipq_queue(struct ipq *q, struct sk_buff *skb, bool mf)
{
	struct sk_buff *before;

	if (q->nfrags >= IPFRAG_MAX_FRAGS_PER_QUEUE)
		return FRAG_CORRUPT;
	enum frag_verdict v = frag_check_len(q, skb, mf);
	if (v != FRAG_QUEUED)
		return v;
	v = frag_place(q, skb, &before);
	if (v != FRAG_QUEUED)
		return v;
	/* Before `before`, or at the tail: list_add_tail on a node inserts
	 * in front of it. */
	list_add_tail(&skb->list, before ? &before->list : &q->frags);
	q->nfrags++;
	q->meat += FRAG_CB(skb)->len;
	q->mem += frag_truesize(skb);
	ipfrag_mem += frag_truesize(skb);
	if (FRAG_CB(skb)->offset == 0)
		q->flags |= IPQ_FIRST_IN;
	/* The most recently active queue is the last to be evicted. */
	list_del(&q->lru);
	list_add_tail(&q->lru, &ipq_lru);
	return FRAG_QUEUED;
}

/* ---- reassembly ---------------------------------------------------------- */

/*
 * All fragments are here: one linear skb with fragment zero's header
 * (options included), the payloads in order, total length and offset
 * fixed, checksum recomputed. NULL if memory ran out.
 */
static struct sk_buff *ipq_reasm(struct ipq *q)
{
	struct sk_buff *first =
	    list_first_entry(&q->frags, struct sk_buff, list);
	struct sk_buff *last = list_entry(q->frags.prev, struct sk_buff, list);
	struct sk_buff *f;
	u32 ihl = FRAG_CB(first)->h.ihl_bytes, total = ihl + q->len;
	struct sk_buff *skb = alloc_skb(NET_SKB_PAD + total);

	if (!skb)
		return NULL;
	skb_reserve(skb, NET_SKB_PAD);
	u8 *iph = skb_put(skb, total);
	memcpy(iph, first->data, ihl);
	list_for_each_entry (f, &q->frags, list)
		memcpy(iph + ihl + FRAG_CB(f)->offset, frag_payload(f),
		       FRAG_CB(f)->len);
	store_be16(iph + 2, (u16)total);
	store_be16(iph + 6, load_be16(iph + 6) & IP_DF); /* offset 0, no MF */
	store_be16(iph + 10, 0);
	store_be16(iph + 10, ip_fast_csum(iph, ihl));
	skb->dev = first->dev;
	skb->pkt_type = first->pkt_type;
	skb->protocol = first->protocol;
	skb->tstamp_ns = last->tstamp_ns;
	skb_reset_network_header(skb);
	memcpy(IPCB(skb), &FRAG_CB(first)->h, sizeof(struct inet_skb_parm));
	IPCB(skb)->tot_len = (u16)total;
	IPCB(skb)->flags |= IPSKB_FRAGMENTED;
	return skb;
}

static bool ipq_complete(const struct ipq *q)
{
	return (q->flags & (IPQ_FIRST_IN | IPQ_LAST_IN)) ==
		   (IPQ_FIRST_IN | IPQ_LAST_IN) &&
	       q->meat == q->len;
}

/* Fill FRAG_CB from the header; false if the fragment is unusable. */
static bool frag_init_cb(struct sk_buff *skb, bool *mf)
{
	struct ipfrag_cb *cb = FRAG_CB(skb);
	u16 frag = load_be16(skb_network_header(skb) + 6);

	*mf = (frag & IP_MF) != 0;
	cb->offset = (u16)((frag & IP_OFFSET) * 8);
	cb->len = (u16)(cb->h.tot_len - cb->h.ihl_bytes);
	return skb->data == skb_network_header(skb) &&
	       skb->len == cb->h.tot_len;
}

/* Queue skb on its datagram; the datagram if now complete. Locked. */
static struct sk_buff *ip_defrag_locked(struct sk_buff *skb, bool mf)
{
	struct ipq *q = ipq_find(IPCB(skb));

	if (!q) {
		SNMP_INC(IpReasmFails);
		kfree_skb(skb);
		return NULL;
	}
	enum frag_verdict v = ipq_queue(q, skb, mf);
	if (v == FRAG_DUP) {
		kfree_skb(skb);
		return NULL;
	}
	if (v != FRAG_QUEUED) {
		if (v == FRAG_OVERLAP)
			SNMP_INC(IpExtReasmOverlaps);
		ipq_fail(q);
		kfree_skb(skb);
		return NULL;
	}
	if (!ipq_complete(q))
		return NULL;
	struct sk_buff *whole = ipq_reasm(q);
	if (whole)
		SNMP_INC(IpReasmOKs);
	else
		SNMP_INC(IpReasmFails);
	ipq_kill(q);
	return whole;
}

struct sk_buff *ip_defrag(struct sk_buff *skb)
{
	bool mf;

	SNMP_INC(IpReasmReqds);
	if (!frag_init_cb(skb, &mf)) {
		SNMP_INC(IpReasmFails);
		kfree_skb(skb);
		return NULL;
	}
	spin_lock_bh(&ipfrag_lock);
	if (ipfrag_mem > IPFRAG_HIGH_THRESH)
		ipfrag_evict(IPFRAG_LOW_THRESH);
	struct sk_buff *whole = ip_defrag_locked(skb, mf);
	spin_unlock_bh(&ipfrag_lock);
	return whole;
}

void ipfrag_get_stats(struct ipfrag_stats *s)
{
	spin_lock_bh(&ipfrag_lock);
	s->queues = ipq_count;
	s->mem_bytes = ipfrag_mem;
	s->evicted = ipfrag_evicted;
	spin_unlock_bh(&ipfrag_lock);
}

void ipfrag_flush(void)
{
	spin_lock_bh(&ipfrag_lock);
	while (!list_empty(&ipq_lru))
		ipq_kill(list_first_entry(&ipq_lru, struct ipq, lru));
	ipfrag_evicted = 0;
	spin_unlock_bh(&ipfrag_lock);
}

/* `ipfrag`: the reassembly state, like the FRAG: line of Linux's
 * /proc/net/sockstat with the ipfrag_* sysctls it is bounded by. */
static int cmd_ipfrag(int argc, char **argv)
{
	struct ipfrag_stats s;

	(void)argv;
	if (argc > 1)
		return -EINVAL;
	ipfrag_get_stats(&s);
	shell_printf("FRAG: inuse %u memory %llu evicted %llu\n", s.queues,
		     (unsigned long long)s.mem_bytes,
		     (unsigned long long)s.evicted);
	shell_printf("limits: high_thresh %u low_thresh %u max_queues %u "
		     "max_frags %u time %u s\n",
		     IPFRAG_HIGH_THRESH, IPFRAG_LOW_THRESH, IPFRAG_MAX_QUEUES,
		     IPFRAG_MAX_FRAGS_PER_QUEUE, IPFRAG_TIMEOUT_MS / 1000);
	return 0;
}
SHELL_CMD("ipfrag", cmd_ipfrag, "ipfrag",
	  "IPv4 reassembly: queues, memory, evictions and their limits");

void ipfrag_init(void)
{
	for (u32 i = 0; i < IPQ_HASH_SIZE; i++)
		INIT_LIST_HEAD(&ipq_hash[i]);
}

/* ---- fragmentation on output --------------------------------------------- */

/*
 * A checksum left to the NIC (CHECKSUM_PARTIAL) cannot be done by it once
 * the datagram is cut: compute it here. The field holds the pseudo-header
 * sum, so summing from csum_start over the field gives the full sum.
 */
static void ip_checksum_help(struct sk_buff *skb)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return;
	u8 *start = skb->head + skb->csum_start;
	u32 len = (u32)(skb_tail_pointer(skb) - start);
	store_be16(start + skb->csum_offset,
		   csum_fold(csum_partial(start, len, 0)));
	skb->ip_summed = CHECKSUM_NONE;
}

/* One fragment: header h (its ihl/options already chosen) and len bytes
 * of payload from data. NULL without memory. */
static struct sk_buff *frag_build(const struct iphdr_info *h, const u8 *data,
				  u32 len, const struct sk_buff *orig)
{
	struct sk_buff *f = alloc_skb(MAX_HEADER + h->ihl_bytes + len);

	if (!f)
		return NULL;
	skb_reserve(f, MAX_HEADER);
	ip_hdr_emit(h, skb_put(f, h->ihl_bytes));
	memcpy(skb_put(f, len), data, len);
	skb_reset_network_header(f);
	f->tstamp_ns = orig->tstamp_ns;
	f->sk = orig->sk;
	return f;
}

int ip_fragment(struct sk_buff *skb, const struct ip_route_out *rt)
{
	struct iphdr_info h, fh;
	u8 later_opts[IP_MAX_OPTLEN];
	int err = 0;

	ip_checksum_help(skb);
	if (ip_hdr_parse_quoted(skb->data, skb->len, &h) != 0 ||
	    rt->mtu < (u32)h.ihl_bytes + 8 || rt->mtu < IP_MIN_MTU) {
		SNMP_INC(IpFragFails);
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	size_t later_optlen =
	    ip_options_for_fragment(h.options, h.opt.optlen, later_opts);
	const u8 *payload = skb->data + h.ihl_bytes;
	u32 total = skb->len - h.ihl_bytes, off = 0;

	fh = h;
	while (off < total && err == 0) {
		if (off > 0) { /* RFC 791 3.2: only copied options */
			fh.opt.optlen = (u8)later_optlen;
			fh.ihl_bytes = (u8)(IP_HLEN + later_optlen);
			memcpy(fh.options, later_opts, later_optlen);
		}
		u32 chunk = MIN(total - off, (rt->mtu - fh.ihl_bytes) & ~7u);
		fh.tot_len = (u16)(fh.ihl_bytes + chunk);
		fh.frag_off_bytes = (u16)(h.frag_off_bytes + off);
		fh.mf = off + chunk < total || h.mf;
		struct sk_buff *f = frag_build(&fh, payload + off, chunk, skb);
		if (!f) {
			err = -ENOBUFS;
			break;
		}
		SNMP_INC(IpFragCreates);
		err = ip_output_one(f, rt);
		off += chunk;
	}
	if (err)
		SNMP_INC(IpFragFails);
	else
		SNMP_INC(IpFragOKs);
	consume_skb(skb);
	return err;
}
