/*
 * tcp_ring.c - chunked byte rings for TCP's send and receive data, and
 * the global TCP memory limit they are accounted against (tcp_ring.h has
 * the picture).
 *
 *   tcp_ring_append / tcp_ring_write_at -> tcp_ring_chunk (take a chunk
 *   for a position: tcp_chunk_alloc, charged to tcp_mem) -> memcpy
 *   tcp_ring_drop -> head advances -> tcp_ring_free_below (chunks wholly
 *   before head go back to the cache) -> the slot array goes with the last
 */
#include <errno.h>
#include <skiff/mm.h>
#include <skiff/net/tcp.h>
#include <skiff/net/tcp_ring.h>

#include <stdlib.h>
#include <string.h>

/* ---- global accounting ----------------------------------------------------
 */

static struct kcache *tcp_chunk_cache;
static u64 tcp_mem_chunks;     /* chunks held by all rings */
static u64 tcp_mem_limit_cfg;  /* bytes, 0 = automatic */
static u64 tcp_mem_limit_auto; /* bytes, computed once */
static bool tcp_mem_pressure;

void tcp_mem_set_limit(u64 bytes)
{
	tcp_mem_limit_cfg = bytes;
}

/* Linux sizes tcp_mem from RAM too; an eighth leaves room for the rest.
 * RAM does not change after boot, so it is read once (mm_get_stats takes
 * the page allocator's lock). */
u64 tcp_mem_limit_bytes(void)
{
	if (tcp_mem_limit_cfg)
		return tcp_mem_limit_cfg;
	if (!tcp_mem_limit_auto) {
		struct mm_stats st;
		mm_get_stats(&st);
		u64 bytes = st.total_pages * 4096 / 8;
		tcp_mem_limit_auto = bytes ? bytes : 64ull << 20;
	}
	return tcp_mem_limit_auto;
}

u64 tcp_mem_used_bytes(void)
{
	return tcp_mem_chunks * TCP_CHUNK_BYTES;
}

static u64 tcp_mem_limit_chunks(void)
{
	return tcp_mem_limit_bytes() / TCP_CHUNK_BYTES;
}

/* Enter pressure past 3/4 of the limit, leave below 1/2 (hysteresis, so
 * a connection at the edge does not flap). */
static void tcp_mem_update_pressure(void)
{
	u64 limit = tcp_mem_limit_chunks();
	if (!tcp_mem_pressure && tcp_mem_chunks * 4 > limit * 3) {
		tcp_mem_pressure = true;
		TCP_INC(TcpExtTCPMemoryPressures);
	} else if (tcp_mem_pressure && tcp_mem_chunks * 2 < limit)
		tcp_mem_pressure = false;
}

bool tcp_mem_under_pressure(void)
{
	return tcp_mem_pressure;
}

bool tcp_mem_can_grow(void)
{
	return tcp_mem_chunks < tcp_mem_limit_chunks();
}

/* A chunk, charged; `minimum`: the ring holds none (always allowed). */
static u8 *tcp_chunk_alloc(bool minimum)
{
	if (!minimum && !tcp_mem_can_grow())
		return NULL;
	if (!tcp_chunk_cache) {
		tcp_chunk_cache =
		    kcache_create("tcp_chunk", TCP_CHUNK_BYTES, 64);
		if (!tcp_chunk_cache)
			return NULL;
	}
	u8 *c = kcache_alloc(tcp_chunk_cache);
	if (!c)
		return NULL;
	tcp_mem_chunks++;
	tcp_mem_update_pressure();
	return c;
}

static void tcp_chunk_free(u8 *c)
{
	kcache_free(tcp_chunk_cache, c);
	tcp_mem_chunks--;
	tcp_mem_update_pressure();
}

/* ---- rings ----------------------------------------------------------------
 */

void tcp_ring_init(struct tcp_ring *r, u32 size)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
}

static u16 tcp_ring_nslots(u32 size)
{
	return (u16)(size / TCP_CHUNK_BYTES + 2);
}

static u8 **tcp_ring_slotp(const struct tcp_ring *r, u64 chunk)
{
	return &r->slot[chunk % r->nslots];
}

/* One flag per slot after the pointers: the chunk is external. */
static u8 *tcp_ring_extp(const struct tcp_ring *r, u64 chunk)
{
	return (u8 *)(r->slot + r->nslots) + chunk % r->nslots;
}

static u8 **tcp_slots_alloc(u16 n)
{
	return calloc(n, sizeof(u8 *) + 1);
}

/* The chunk holding absolute position pos, taken if absent; NULL when
 * no memory may be taken. */
static u8 *tcp_ring_chunk(struct tcp_ring *r, u64 pos)
{
	if (!r->slot) {
		u16 n = tcp_ring_nslots(r->size);
		r->slot = tcp_slots_alloc(n);
		if (!r->slot)
			return NULL;
		r->nslots = n;
	}
	u8 **sp = tcp_ring_slotp(r, pos / TCP_CHUNK_BYTES);
	if (!*sp) {
		*sp = tcp_chunk_alloc(r->nchunks == r->next);
		if (!*sp)
			return NULL;
		r->nchunks++;
	}
	return *sp;
}

/* Let go of chunk k: back to the cache, or forgotten if external. */
static void tcp_ring_put_chunk(struct tcp_ring *r, u64 k)
{
	u8 **sp = tcp_ring_slotp(r, k);
	u8 *ext = tcp_ring_extp(r, k);
	if (!*sp)
		return;
	if (*ext) {
		*ext = 0;
		r->next--;
	} else
		tcp_chunk_free(*sp);
	*sp = NULL;
	r->nchunks--;
}

/* Free the held chunks numbered [from, to). */
static void tcp_ring_free_range(struct tcp_ring *r, u64 from, u64 to)
{
	for (u64 k = from; k < to && r->nchunks; k++)
		tcp_ring_put_chunk(r, k);
}

static u64 tcp_chunk_of(u64 pos)
{
	return pos / TCP_CHUNK_BYTES;
}

static u64 tcp_chunk_after(u64 pos) /* first chunk wholly at or after pos */
{
	return (pos + TCP_CHUNK_BYTES - 1) / TCP_CHUNK_BYTES;
}

/* Free the chunks wholly before the first live byte (all of them when
 * nothing is live), and the slot array with the last one. */
static void tcp_ring_free_below(struct tcp_ring *r, u64 old_head)
{
	if (!r->slot)
		return;
	if (r->span == 0)
		tcp_ring_free_range(r, tcp_chunk_of(old_head),
				    tcp_chunk_of(old_head) + r->nslots);
	else
		tcp_ring_free_range(r, tcp_chunk_of(old_head),
				    tcp_chunk_of(r->head));
	if (r->nchunks == 0) {
		free(r->slot);
		r->slot = NULL;
		r->nslots = 0;
	}
}

void tcp_ring_release(struct tcp_ring *r)
{
	for (u32 i = 0; r->slot && i < r->nslots; i++)
		tcp_ring_put_chunk(r, i);
	free(r->slot);
	r->slot = NULL;
	r->nslots = r->nchunks = r->next = 0;
	r->len = r->span = 0;
}

/* Copy n bytes to absolute position pos, taking chunks; returns the
 * bytes copied (short when a chunk cannot be had). */
static u32 tcp_ring_copy_in(struct tcp_ring *r, u64 pos, const u8 *src, u32 n)
{
	u32 done = 0;
	while (done < n) {
		u8 *c = tcp_ring_chunk(r, pos + done);
		if (!c)
			break;
		u32 in = (u32)((pos + done) % TCP_CHUNK_BYTES);
		u32 k = MIN(n - done, TCP_CHUNK_BYTES - in);
		memcpy(c + in, src + done, k);
		done += k;
	}
	return done;
}

u32 tcp_ring_append(struct tcp_ring *r, const u8 *src, u32 n)
{
	n = MIN(n, tcp_ring_free(r));
	u32 done = tcp_ring_copy_in(r, r->head + r->len, src, n);
	r->len += done;
	r->span = MAX(r->span, r->len);
	return done;
}

/* Chunk k points into the app's memory (k is not held yet). */
static bool tcp_ring_ref_chunk(struct tcp_ring *r, u64 k, const u8 *mem)
{
	if (!r->slot) {
		r->slot = tcp_slots_alloc(tcp_ring_nslots(r->size));
		if (!r->slot)
			return false;
		r->nslots = tcp_ring_nslots(r->size);
	}
	*tcp_ring_slotp(r, k) = (u8 *)mem;
	*tcp_ring_extp(r, k) = 1;
	r->nchunks++;
	r->next++;
	return true;
}

u32 tcp_ring_append_ref(struct tcp_ring *r, const u8 *buf, u32 n)
{
	n = MIN(n, tcp_ring_free(r));
	u64 tail = r->head + r->len;
	u32 lead =
	    (u32)((TCP_CHUNK_BYTES - tail % TCP_CHUNK_BYTES) % TCP_CHUNK_BYTES);
	u32 done = tcp_ring_append(r, buf, MIN(n, lead));
	if (done < MIN(n, lead))
		return done;
	while (n - done >= TCP_CHUNK_BYTES &&
	       tcp_ring_ref_chunk(r, (r->head + r->len) / TCP_CHUNK_BYTES,
				  buf + done)) {
		r->len += TCP_CHUNK_BYTES;
		r->span = MAX(r->span, r->len);
		done += TCP_CHUNK_BYTES;
	}
	if (n - done < TCP_CHUNK_BYTES) /* the tail: copied */
		done += tcp_ring_append(r, buf + done, n - done);
	return done;
}

/* The chunks [pos, pos + n) needs, all taken up front. */
static bool tcp_ring_reserve(struct tcp_ring *r, u64 pos, u32 n)
{
	for (u64 p = pos - pos % TCP_CHUNK_BYTES; p < pos + n;
	     p += TCP_CHUNK_BYTES)
		if (!tcp_ring_chunk(r, p))
			return false;
	return true;
}

int tcp_ring_write_at(struct tcp_ring *r, u32 off, const u8 *src, u32 n)
{
	if ((u64)r->len + off + n > r->size)
		return -ENOSPC;
	u64 pos = r->head + r->len + off;
	if (!tcp_ring_reserve(r, pos, n)) {
		/* Give back what was taken past the live bytes. */
		u64 live_end = tcp_chunk_after(r->head + r->span);
		tcp_ring_free_range(r, MAX(live_end, tcp_chunk_of(pos)),
				    tcp_chunk_after(pos + n));
		tcp_ring_free_below(r, r->head);
		return -ENOMEM;
	}
	tcp_ring_copy_in(r, pos, src, n);
	r->span = MAX(r->span, r->len + off + n);
	return 0;
}

void tcp_ring_copy_out(const struct tcp_ring *r, u32 off, u8 *dst, u32 n)
{
	u64 pos = r->head + off;
	u32 done = 0;
	while (done < n) {
		const u8 *c =
		    *tcp_ring_slotp(r, (pos + done) / TCP_CHUNK_BYTES);
		u32 in = (u32)((pos + done) % TCP_CHUNK_BYTES);
		u32 k = MIN(n - done, TCP_CHUNK_BYTES - in);
		memcpy(dst + done, c + in, k);
		done += k;
	}
}

void tcp_ring_drop(struct tcp_ring *r, u32 n)
{
	n = MIN(n, r->len);
	u64 old = r->head;
	r->head += n;
	r->len -= n;
	r->span -= n;
	tcp_ring_free_below(r, old);
}

/* Free chunks holding only bytes past len. */
void tcp_ring_trim_span(struct tcp_ring *r)
{
	if (!r->slot || r->span == r->len)
		return;
	u64 from = tcp_chunk_after(r->head + r->len);
	r->span = r->len;
	tcp_ring_free_range(r, from, tcp_chunk_of(r->head) + r->nslots);
	tcp_ring_free_below(r, r->head);
}

/* Move every held chunk to its slot in an array of n slots. */
static int tcp_ring_reslot(struct tcp_ring *r, u16 n)
{
	u8 **slot = tcp_slots_alloc(n);
	if (!slot)
		return -ENOMEM;
	u8 *ext = (u8 *)(slot + n);
	u64 first = r->head / TCP_CHUNK_BYTES;
	u64 end = (r->head + r->span + TCP_CHUNK_BYTES - 1) / TCP_CHUNK_BYTES;
	for (u64 k = first; k < end; k++) {
		slot[k % n] = *tcp_ring_slotp(r, k);
		ext[k % n] = *tcp_ring_extp(r, k);
	}
	free(r->slot);
	r->slot = slot;
	r->nslots = n;
	return 0;
}

int tcp_ring_resize(struct tcp_ring *r, u32 size)
{
	if (size < r->span)
		return -EBUSY;
	if (r->slot && tcp_ring_nslots(size) != r->nslots) {
		int err = tcp_ring_reslot(r, tcp_ring_nslots(size));
		if (err)
			return err;
	}
	r->size = size;
	return 0;
}

u32 tcp_ring_room(const struct tcp_ring *r)
{
	u32 free = tcp_ring_free(r);
	if (r->nchunks == r->next || tcp_mem_can_grow())
		return free;
	u32 in_tail =
	    TCP_CHUNK_BYTES - (u32)((r->head + r->len) % TCP_CHUNK_BYTES);
	if ((r->head + r->len) % TCP_CHUNK_BYTES == 0)
		in_tail = 0; /* the next byte needs a new chunk */
	return MIN(free, in_tail);
}
