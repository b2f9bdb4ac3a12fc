/*
 * skbuff.c - socket buffers (the diagram is in include/skiff/skbuff.h).
 *
 *   alloc_skb -> skb_head_cache (the sk_buff) + buf_alloc (the data)
 *   kfree_skb / consume_skb -> skb_release: users == 0 -> destructor,
 *                              buf_put (dataref == 0 -> buf_free)
 *   skb_clone -> a new sk_buff on the same buffer (dataref + 1)
 *   skb_copy / skb_unshare -> a private copy of the buffer
 *
 * A data buffer holds the packet area followed by struct skb_shared_info,
 * which counts the sk_buffs on it. Buffers up to SKB_SMALL_BUF and
 * SKB_MEDIUM_BUF bytes (the medium size fits a 2 KiB RX buffer plus
 * headroom) come from two slab caches; larger ones (reassembled datagrams
 * of up to 64 KiB, big ping replies) from whole pages.
 */
#include <errno.h>
#include <string.h>

#include <skiff/mm.h>
#include <skiff/netdevice.h>
#include <skiff/printk.h>
#include <skiff/skbuff.h>

#define SKB_SMALL_BUF 512   /* ARP, ACKs, small ICMP */
#define SKB_MEDIUM_BUF 2304 /* 2048 + NET_SKB_PAD + headroom + shinfo */
#define SKB_DATA_ALIGN 64   /* the shared info starts a cache line */
#define SKB_MAX_ORDER 10    /* 4 MiB: far above any 64 KiB datagram */
#define SKB_HEADER_UNSET 0xffff

enum { SKB_BUF_SMALL, SKB_BUF_MEDIUM, SKB_BUF_PAGES };

static struct kcache *skb_head_cache;
static struct kcache *buf_cache[2]; /* SKB_BUF_SMALL, SKB_BUF_MEDIUM */
static const u32 buf_cache_size[2] = {SKB_SMALL_BUF, SKB_MEDIUM_BUF};

/* Updated from any CPU with relaxed atomics; read as a snapshot. */
static struct skb_stats stats;

#define STAT_INC(field) __atomic_fetch_add(&stats.field, 1, __ATOMIC_RELAXED)

static inline u32 shinfo_bytes(void)
{
	return ALIGN_UP((u32)sizeof(struct skb_shared_info), SKB_DATA_ALIGN);
}

static inline struct skb_shared_info *skb_shinfo(const struct sk_buff *skb)
{
	return (struct skb_shared_info *)(skb->head + skb->end);
}

void skb_init(void)
{
	if (skb_head_cache)
		return;
	skb_head_cache =
	    kcache_create("skbuff_head", sizeof(struct sk_buff), 64);
	buf_cache[SKB_BUF_SMALL] =
	    kcache_create("skbuff_small", SKB_SMALL_BUF, SKB_DATA_ALIGN);
	buf_cache[SKB_BUF_MEDIUM] =
	    kcache_create("skbuff_medium", SKB_MEDIUM_BUF, SKB_DATA_ALIGN);
	BUG_ON(!skb_head_cache || !buf_cache[0] || !buf_cache[1]);
}

static unsigned pages_order(u32 bytes)
{
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/*
 * A buffer with at least `size` bytes of packet area. Returns its start
 * and sets *end to the usable packet area (which may exceed size: the
 * rest of the block becomes tailroom); the shared info follows it.
 */
static u8 *buf_alloc(u32 size, u32 *end)
{
	u32 need = ALIGN_UP(size, SKB_DATA_ALIGN) + shinfo_bytes();
	u8 *head = NULL;
	u32 total;
	u8 kind;

	if (size > (PAGE_SIZE << SKB_MAX_ORDER) - shinfo_bytes())
		return NULL;
	if (need <= SKB_MEDIUM_BUF) {
		kind = need <= SKB_SMALL_BUF ? SKB_BUF_SMALL : SKB_BUF_MEDIUM;
		total = buf_cache_size[kind];
		head = kcache_alloc(buf_cache[kind]);
	} else {
		kind = SKB_BUF_PAGES;
		total = (u32)(PAGE_SIZE << pages_order(need));
		head = alloc_pages(pages_order(need));
	}
	if (!head)
		return NULL;
	*end = total - shinfo_bytes();
	struct skb_shared_info *sh = (struct skb_shared_info *)(head + *end);
	sh->dataref = 1;
	sh->buf_size = total;
	sh->buf_kind = kind;
	return head;
}

static void buf_free(u8 *head, const struct skb_shared_info *sh)
{
	if (sh->buf_kind == SKB_BUF_PAGES)
		free_pages(head, pages_order(sh->buf_size));
	else
		kcache_free(buf_cache[sh->buf_kind], head);
}

/* Drop one sk_buff's hold on its buffer; free it with the last. */
static void buf_put(struct sk_buff *skb)
{
	struct skb_shared_info *sh = skb_shinfo(skb);
	if (__atomic_sub_fetch(&sh->dataref, 1, __ATOMIC_ACQ_REL) == 0)
		buf_free(skb->head, sh);
}

/* The sk_buff fields of a fresh, empty skb over buffer head. */
static void skb_init_fields(struct sk_buff *skb, u8 *head, u32 end)
{
	memset(skb, 0, offsetof(struct sk_buff, cb));
	memset(skb->cb, 0, sizeof(skb->cb));
	skb->head = head;
	skb->data = head;
	skb->end = end;
	skb->users = 1;
	skb->mac_header = SKB_HEADER_UNSET;
	skb->network_header = SKB_HEADER_UNSET;
	skb->transport_header = SKB_HEADER_UNSET;
}

struct sk_buff *alloc_skb(u32 size)
{
	skb_init();
	struct sk_buff *skb = kcache_alloc(skb_head_cache);
	u32 end = 0;
	u8 *head = skb ? buf_alloc(size, &end) : NULL;
	if (!head) {
		if (skb)
			kcache_free(skb_head_cache, skb);
		STAT_INC(alloc_failures);
		return NULL;
	}
	skb_init_fields(skb, head, end);
	STAT_INC(allocated);
	STAT_INC(live);
	return skb;
}

struct sk_buff *netdev_alloc_skb(struct net_device *dev, u32 size)
{
	u32 headroom = NET_SKB_PAD + (dev ? dev->needed_headroom : 0);
	struct sk_buff *skb = alloc_skb(size + headroom);
	if (!skb)
		return NULL;
	skb_reserve(skb, headroom);
	skb->dev = dev;
	return skb;
}

/* The last reference is gone: run the destructor, free buffer and head. */
static void skb_release(struct sk_buff *skb, bool dropped)
{
	BUG_ON(list_node_linked(&skb->list)); /* freed while on a queue */
	if (skb->destructor)
		skb->destructor(skb);
	buf_put(skb);
	kcache_free(skb_head_cache, skb);
	STAT_INC(freed);
	if (dropped)
		STAT_INC(dropped);
	__atomic_fetch_sub(&stats.live, 1, __ATOMIC_RELAXED);
}

static void skb_unref(struct sk_buff *skb, bool dropped)
{
	if (!skb)
		return;
	BUG_ON(skb->users == 0);
	if (__atomic_sub_fetch(&skb->users, 1, __ATOMIC_ACQ_REL) == 0)
		skb_release(skb, dropped);
}

void kfree_skb(struct sk_buff *skb)
{
	skb_unref(skb, true);
}

void consume_skb(struct sk_buff *skb)
{
	skb_unref(skb, false);
}

struct sk_buff *skb_get(struct sk_buff *skb)
{
	__atomic_fetch_add(&skb->users, 1, __ATOMIC_RELAXED);
	return skb;
}

bool skb_cloned(const struct sk_buff *skb)
{
	return __atomic_load_n(&skb_shinfo(skb)->dataref, __ATOMIC_ACQUIRE) > 1;
}

/* Copy the metadata (not the list link, owner or reference counts). */
static void skb_copy_header(struct sk_buff *n, const struct sk_buff *o)
{
	n->dev = o->dev;
	n->protocol = o->protocol;
	n->mac_header = o->mac_header;
	n->network_header = o->network_header;
	n->transport_header = o->transport_header;
	n->pkt_type = o->pkt_type;
	n->ip_summed = o->ip_summed;
	n->csum_start = o->csum_start;
	n->csum_offset = o->csum_offset;
	n->gso_size = o->gso_size;
	n->tstamp_ns = o->tstamp_ns;
	memcpy(n->cb, o->cb, sizeof(n->cb));
}

struct sk_buff *skb_clone(struct sk_buff *skb)
{
	struct sk_buff *n = kcache_alloc(skb_head_cache);
	if (!n) {
		STAT_INC(alloc_failures);
		return NULL;
	}
	skb_init_fields(n, skb->head, skb->end);
	skb_copy_header(n, skb);
	n->data = skb->data;
	n->len = skb->len;
	n->tail = skb->tail;
	__atomic_fetch_add(&skb_shinfo(skb)->dataref, 1, __ATOMIC_RELAXED);
	STAT_INC(clones);
	STAT_INC(live);
	STAT_INC(allocated);
	return n;
}

struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	struct sk_buff *n = alloc_skb(skb->end);
	if (!n)
		return NULL;
	memcpy(n->head, skb->head, skb->tail);
	skb_copy_header(n, skb);
	n->data = n->head + skb_headroom(skb);
	n->len = skb->len;
	n->tail = skb->tail;
	STAT_INC(copies);
	return n;
}

int skb_unshare(struct sk_buff *skb)
{
	if (!skb_cloned(skb))
		return 0;
	u32 end = 0;
	u8 *head = buf_alloc(skb->end, &end);
	if (!head) {
		STAT_INC(alloc_failures);
		return -ENOMEM;
	}
	u32 headroom = skb_headroom(skb);
	memcpy(head, skb->head, skb->tail);
	buf_put(skb);
	skb->head = head;
	skb->data = head + headroom;
	skb->end = end;
	STAT_INC(copies);
	return 0;
}

void skb_reserve(struct sk_buff *skb, u32 len)
{
	BUG_ON(len > skb_tailroom(skb));
	skb->data += len;
	skb->tail += len;
}

u8 *skb_put(struct sk_buff *skb, u32 len)
{
	u8 *old_tail = skb_tail_pointer(skb);
	if (unlikely(len > skb_tailroom(skb)))
		panic("skb_put: %u bytes with %u of tailroom (len %u)", len,
		      skb_tailroom(skb), skb->len);
	skb->tail += len;
	skb->len += len;
	return old_tail;
}

u8 *skb_push(struct sk_buff *skb, u32 len)
{
	if (unlikely(len > skb_headroom(skb)))
		panic("skb_push: %u bytes with %u of headroom (len %u)", len,
		      skb_headroom(skb), skb->len);
	skb->data -= len;
	skb->len += len;
	return skb->data;
}

u8 *skb_pull(struct sk_buff *skb, u32 len)
{
	if (len > skb->len)
		return NULL;
	skb->data += len;
	skb->len -= len;
	return skb->data;
}

void skb_trim(struct sk_buff *skb, u32 len)
{
	if (len >= skb->len)
		return;
	skb->len = len;
	skb->tail = skb_headroom(skb) + len;
}

/* ---- queues: the caller holds whatever lock protects q -------------- */

void skb_queue_head_init(struct sk_buff_head *q)
{
	INIT_LIST_HEAD(&q->list);
	q->qlen = 0;
	q->bytes = 0;
}

static void queue_account_add(struct sk_buff_head *q, const struct sk_buff *s)
{
	q->qlen++;
	q->bytes += s->len;
}

void skb_queue_tail(struct sk_buff_head *q, struct sk_buff *skb)
{
	BUG_ON(list_node_linked(&skb->list));
	list_add_tail(&skb->list, &q->list);
	queue_account_add(q, skb);
}

void skb_queue_head(struct sk_buff_head *q, struct sk_buff *skb)
{
	BUG_ON(list_node_linked(&skb->list));
	list_add(&skb->list, &q->list);
	queue_account_add(q, skb);
}

void skb_unlink(struct sk_buff *skb, struct sk_buff_head *q)
{
	list_del(&skb->list);
	q->qlen--;
	/* len may have changed while queued: never let bytes wrap. */
	q->bytes -= MIN(q->bytes, (u64)skb->len);
	if (q->qlen == 0)
		q->bytes = 0;
}

struct sk_buff *skb_peek(const struct sk_buff_head *q)
{
	if (list_empty(&q->list))
		return NULL;
	return list_first_entry(&q->list, struct sk_buff, list);
}

struct sk_buff *skb_dequeue(struct sk_buff_head *q)
{
	struct sk_buff *skb = skb_peek(q);
	if (skb)
		skb_unlink(skb, q);
	return skb;
}

void skb_queue_purge(struct sk_buff_head *q)
{
	struct sk_buff *skb;
	while ((skb = skb_dequeue(q)))
		kfree_skb(skb);
}

void skb_get_stats(struct skb_stats *s)
{
	s->allocated = __atomic_load_n(&stats.allocated, __ATOMIC_RELAXED);
	s->freed = __atomic_load_n(&stats.freed, __ATOMIC_RELAXED);
	s->alloc_failures =
	    __atomic_load_n(&stats.alloc_failures, __ATOMIC_RELAXED);
	s->clones = __atomic_load_n(&stats.clones, __ATOMIC_RELAXED);
	s->copies = __atomic_load_n(&stats.copies, __ATOMIC_RELAXED);
	s->dropped = __atomic_load_n(&stats.dropped, __ATOMIC_RELAXED);
	s->live = __atomic_load_n(&stats.live, __ATOMIC_RELAXED);
}
