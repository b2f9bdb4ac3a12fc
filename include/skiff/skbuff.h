/*
 * skbuff.h - the one packet buffer of the whole stack (Linux's sk_buff).
 *
 *   head          data                      tail              end
 *    |<-headroom-->|<---------- len --------->|<--tailroom---->|
 *    +-------------+--------------------------+----------------+
 *    |             | eth | ip | tcp | payload |                |
 *    +-------------+--------------------------+----------------+
 *                   ^mac  ^network ^transport   (header offsets)
 *
 *   skb_reserve(n)  data += n, tail += n   (on an empty skb: make headroom)
 *   skb_put(n)      tail += n, len += n    (append; returns the old tail)
 *   skb_push(n)     data -= n, len += n    (prepend a header)
 *   skb_pull(n)     data += n, len -= n    (strip a header)
 *   skb_trim(n)     len = n                (drop trailing bytes, e.g. padding)
 *
 * The data buffer may be shared: skb_clone() makes a second sk_buff on the
 * same bytes (the buffer's dataref counts both); a shared buffer must not
 * be written (skb_cloned() tells). kfree_skb drops the sk_buff's own
 * reference (users); the buffer is freed with its last sk_buff.
 *
 * Buffers are identity-mapped memory, so skb->data is also its DMA
 * address: a driver posts fresh skbs to its RX ring and hands the same skb
 * up the stack when the NIC has filled it (no copy).
 */
#ifndef SKIFF_SKBUFF_H
#define SKIFF_SKBUFF_H

#include <skiff/list.h>
#include <skiff/types.h>

struct net_device;

/* The default headroom (the virtio header, Ethernet, IP and TCP fit in
 * MAX_HEADER), and the headroom TCP/UDP/ICMP reserve for every header. */
#define NET_SKB_PAD 64
#define MAX_HEADER 128

enum { PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST };
enum { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_PARTIAL };

/* The data buffer, shared by clones. Lives at the end of the buffer. */
struct skb_shared_info {
	u32 dataref;  /* sk_buffs pointing at this buffer */
	u32 buf_size; /* bytes from head to end, as allocated */
	u8 buf_kind;  /* which allocator it came from (skbuff.c) */
};

struct sk_buff {
	struct list_head list; /* on a queue (struct sk_buff_head) */
	struct net_device *dev;
	u8 *head;	/* start of the buffer */
	u8 *data;	/* first byte of the packet */
	u32 len;	/* bytes from data */
	u32 tail;	/* offset of the end of data from head */
	u32 end;	/* offset of the end of usable buffer from head */
	u32 users;	/* references to this sk_buff */
	u16 protocol;	/* EtherType, host order (eth_type_trans) */
	u16 mac_header; /* offsets from head, 0xffff = unset */
	u16 network_header;
	u16 transport_header;
	u8 pkt_type;  /* PACKET_* */
	u8 ip_summed; /* CHECKSUM_* */
	/* CHECKSUM_PARTIAL (TX offload): the checksum field already holds the
	 * folded, NOT complemented pseudo-header sum; the NIC (or software)
	 * sums from csum_start (counted from head) to the end and stores the
	 * complement at csum_start + csum_offset. */
	u16 csum_start;
	u16 csum_offset;
	/* GSO (net/gso.h): a TCP/IPv4 frame larger than the MTU that the NIC
	 * (TSO) or validate_xmit_skb cuts into gso_size-byte payloads; 0 for
	 * an ordinary frame. Always with CHECKSUM_PARTIAL. */
	u16 gso_size;
	u64 tstamp_ns;
	void *sk; /* owning socket, if any */
	void (*destructor)(struct sk_buff *skb);
	u8 cb[48] __aligned(8); /* scratch for the layer holding the skb */
};

struct sk_buff_head {
	struct list_head list;
	u32 qlen;
	u64 bytes;
};

/* alloc_skb: an empty skb with at least `size` bytes of buffer, no
 * headroom reserved (call skb_reserve). netdev_alloc_skb: room for `size`
 * bytes after NET_SKB_PAD + dev->needed_headroom of headroom, for RX rings.
 * Both return NULL (counted in alloc_failures) when memory runs out, and
 * may be called from any context. */
struct sk_buff *alloc_skb(u32 size);
struct sk_buff *netdev_alloc_skb(struct net_device *dev, u32 size);
void kfree_skb(struct sk_buff *skb);   /* dropped: counts as a drop */
void consume_skb(struct sk_buff *skb); /* done with it normally */
struct sk_buff *skb_get(struct sk_buff *skb);
struct sk_buff *skb_clone(struct sk_buff *skb);
struct sk_buff *skb_copy(const struct sk_buff *skb); /* private copy */
/* Make the buffer private and writable (copies if cloned). 0 or -ENOMEM. */
int skb_unshare(struct sk_buff *skb);

static inline u8 *skb_tail_pointer(const struct sk_buff *skb)
{
	return skb->head + skb->tail;
}
static inline u32 skb_headroom(const struct sk_buff *skb)
{
	return (u32)(skb->data - skb->head);
}
static inline u32 skb_tailroom(const struct sk_buff *skb)
{
	return skb->end - skb->tail;
}
bool skb_cloned(const struct sk_buff *skb);
static inline bool skb_is_gso(const struct sk_buff *skb)
{
	return skb->gso_size != 0;
}

void skb_reserve(struct sk_buff *skb, u32 len);
u8 *skb_put(struct sk_buff *skb, u32 len);   /* BUG if no tailroom */
u8 *skb_push(struct sk_buff *skb, u32 len);  /* BUG if no headroom */
u8 *skb_pull(struct sk_buff *skb, u32 len);  /* NULL if len > skb->len */
void skb_trim(struct sk_buff *skb, u32 len); /* no-op if len >= skb->len */
/* true if at least len bytes are at data (linear skbs: len <= skb->len) */
static inline bool pskb_may_pull(const struct sk_buff *skb, u32 len)
{
	return len <= skb->len;
}

static inline void skb_reset_mac_header(struct sk_buff *skb)
{
	skb->mac_header = (u16)(skb->data - skb->head);
}
static inline void skb_reset_network_header(struct sk_buff *skb)
{
	skb->network_header = (u16)(skb->data - skb->head);
}
static inline void skb_reset_transport_header(struct sk_buff *skb)
{
	skb->transport_header = (u16)(skb->data - skb->head);
}
static inline u8 *skb_mac_header(const struct sk_buff *skb)
{
	return skb->head + skb->mac_header;
}
static inline u8 *skb_network_header(const struct sk_buff *skb)
{
	return skb->head + skb->network_header;
}
static inline u8 *skb_transport_header(const struct sk_buff *skb)
{
	return skb->head + skb->transport_header;
}

void skb_queue_head_init(struct sk_buff_head *q);
void skb_queue_tail(struct sk_buff_head *q, struct sk_buff *skb);
void skb_queue_head(struct sk_buff_head *q, struct sk_buff *skb);
struct sk_buff *skb_dequeue(struct sk_buff_head *q);
struct sk_buff *skb_peek(const struct sk_buff_head *q);
void skb_unlink(struct sk_buff *skb, struct sk_buff_head *q);
void skb_queue_purge(struct sk_buff_head *q);
static inline u32 skb_queue_len(const struct sk_buff_head *q)
{
	return q->qlen;
}

struct skb_stats {
	u64 allocated, freed, alloc_failures, clones, copies, dropped;
	u64 live; /* sk_buffs in existence now */
};
void skb_get_stats(struct skb_stats *s);
void skb_init(void);

#endif
