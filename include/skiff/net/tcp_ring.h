/*
 * net/tcp_ring.h - a connection's send or receive bytes, held in 2 KiB
 * chunks from one slab cache that are taken as data arrives and given
 * back as it leaves, so an idle connection holds no buffer memory at all.
 *
 * Positions are absolute byte counts (u64, never wrap). Chunk k holds the
 * bytes [k * TCP_CHUNK_BYTES, (k + 1) * TCP_CHUNK_BYTES) and sits in slot
 * k % nslots of a small pointer array, itself allocated with the first
 * chunk and freed with the last:
 *
 *        head                  head+len            head+span
 *         |<------- len -------->|<- (ofo bytes) ->|
 *   ...[chunk k ][chunk k+1][chunk k+2 ][chunk k+3 ]...
 *    freed once head passes them       not yet taken
 *
 *   len    in-order bytes from head (send: sent and unsent from SND.UNA;
 *          receive: unread bytes up to RCV.NXT)
 *   span   bytes from head that chunks may hold: len, plus out-of-order
 *          bytes written beyond it (receive only)
 *   size   the limit on span: SO_SNDBUF / SO_RCVBUF (or auto-tuned)
 *
 * Memory is accounted globally (tcp_mem_*): every chunk counts against
 * the TCP memory limit (config tcp.mem=, or 1/8 of RAM). Past 3/4 of it
 * TCP is under pressure (until usage is back below 1/2); at the limit a
 * ring gets a chunk only if it holds none (each ring may always hold one,
 * as Linux's tcp_rmem[0]/tcp_wmem[0] minimum), so a connection can
 * always make progress and nothing crashes.
 *
 * Callers hold tcp_lock.
 */
#ifndef SKIFF_NET_TCP_RING_H
#define SKIFF_NET_TCP_RING_H

#include <skiff/types.h>

#define TCP_CHUNK_BYTES 2048u
#define TCP_RING_MAX_BYTES (4u << 20) /* largest SO_*BUF / auto-tuned size */

struct tcp_ring {
	u8 **slot;   /* nslots chunk pointers (NULL: none), or NULL */
	u64 head;    /* absolute position of the first byte */
	u32 len;     /* in-order bytes from head */
	u32 span;    /* bytes from head chunks may hold (>= len) */
	u32 size;    /* limit on span, bytes */
	u16 nslots;  /* size / TCP_CHUNK_BYTES + 1 while slot is allocated */
	u16 nchunks; /* chunks held, external ones included */
	u16 next;    /* external chunks: the app's memory (append_ref) */
};

/* An empty ring with a limit of size bytes (no memory taken). */
void tcp_ring_init(struct tcp_ring *r, u32 size);
/* Give back every chunk (the connection is freed). */
void tcp_ring_release(struct tcp_ring *r);
static inline u32 tcp_ring_free(const struct tcp_ring *r)
{
	return r->size - r->len;
}
/* Append up to n bytes after len (send ring). Returns bytes appended:
 * fewer than n when the limit or TCP memory runs out. */
u32 tcp_ring_append(struct tcp_ring *r, const u8 *src, u32 n);
/* Append up to n bytes of memory that lives forever (send ring): whole
 * chunks in the middle are not copied, their slots point into buf (an
 * external chunk, not charged to TCP memory); the part before the next
 * chunk boundary and the tail under a chunk are copied. Returns bytes
 * appended (short as tcp_ring_append). */
u32 tcp_ring_append_ref(struct tcp_ring *r, const u8 *buf, u32 n);
/* Write n bytes at offset off past len (receive ring, in order at 0 or
 * out of order beyond). All or nothing: 0, or -ENOMEM (no chunk) or
 * -ENOSPC (past size). Does not change len. */
int tcp_ring_write_at(struct tcp_ring *r, u32 off, const u8 *src, u32 n);
/* Copy n bytes at offset off from head (off + n <= span). */
void tcp_ring_copy_out(const struct tcp_ring *r, u32 off, u8 *dst, u32 n);
/* Drop n bytes from the head (read or acknowledged), freeing chunks. */
void tcp_ring_drop(struct tcp_ring *r, u32 n);
/* Forget bytes beyond len (out-of-order data pruned), freeing chunks. */
void tcp_ring_trim_span(struct tcp_ring *r);
/* Change the limit. -EBUSY if span does not fit in size. */
int tcp_ring_resize(struct tcp_ring *r, u32 size);
/* Bytes of chunk memory the ring holds (truesize). */
static inline u32 tcp_ring_mem(const struct tcp_ring *r)
{
	return (u32)(r->nchunks - r->next) * TCP_CHUNK_BYTES;
}
/* Room for appending without taking a chunk beyond the global limit. */
u32 tcp_ring_room(const struct tcp_ring *r);

/* ---- global TCP memory (tcp_mem) ---------------------------------------- */

/* The limit in bytes; 0 = automatic (1/8 of RAM). */
void tcp_mem_set_limit(u64 bytes);
u64 tcp_mem_limit_bytes(void);
u64 tcp_mem_used_bytes(void);
/* Usage went past 3/4 of the limit and not yet back below 1/2. */
bool tcp_mem_under_pressure(void);
/* Whether one more chunk may be taken by a ring that already has some. */
bool tcp_mem_can_grow(void);

#endif
