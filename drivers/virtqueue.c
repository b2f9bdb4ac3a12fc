/*
 * virtqueue.c - split virtqueues (virtio 1.2, section 2.7), driver side.
 *
 * Read first: spec 2.7.5 (descriptor table), 2.7.6 (available ring), 2.7.8
 * (used ring), 2.7.7 and 2.7.10 (notification suppression, EVENT_IDX),
 * 2.7.13 (supplying buffers), 2.7.14 (receiving used buffers).
 *
 *   add_buf:  take descriptors off the free list, fill them, put the head
 *             in avail->ring, barrier, publish avail->idx.
 *   kick:     full barrier, then ask used->flags / avail_event whether
 *             the device wants to hear about it, then notify (once per
 *             batch).
 *   get_buf:  used->idx moved? barrier, read used->ring entry, give the
 *             chain back to the free list, return its token.
 *
 * Pure memory logic: no device access but the notify callback, no locks
 * (the caller serializes use of one queue), so tests/unit/test_virtqueue.c
 * runs it on the host with the test playing the device.
 */
#include <skiff/virtio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Barriers between the driver and the device. On x86 with write-back
 * memory only the full barrier is a real instruction (mfence): stores may
 * pass later loads. The acquire/release fences keep the compiler from
 * reordering.
 */
#define virtio_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define virtio_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define virtio_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#define USED_ALIGN 64 /* spec asks for 4; a cache line keeps sides apart */

static size_t avail_bytes(u16 num)
{
	/* flags, idx, ring[num], used_event */
	return sizeof(struct vring_avail) + sizeof(u16) * num + sizeof(u16);
}

static size_t used_offset(u16 num)
{
	return ALIGN_UP(sizeof(struct vring_desc) * num + avail_bytes(num),
			(size_t)USED_ALIGN);
}

size_t vring_size(u16 num)
{
	/* flags, idx, ring[num], avail_event */
	return used_offset(num) + sizeof(struct vring_used) +
	       sizeof(struct vring_used_elem) * num + sizeof(u16);
}

static bool valid_size(u16 num)
{
	return num != 0 && (num & (num - 1)) == 0 && num <= VIRTQ_MAX_SIZE;
}

struct virtqueue *virtqueue_create(u16 index, u16 num, void *ring,
				   bool event_idx,
				   void (*notify)(struct virtqueue *vq))
{
	struct virtqueue *vq;
	u8 *base = ring;

	if (!valid_size(num) || !ring || !IS_ALIGNED((uintptr_t)ring, 16))
		return NULL;
	vq = calloc(1, sizeof(*vq) + sizeof(vq->state[0]) * num);
	if (!vq)
		return NULL;
	vq->desc = (struct vring_desc *)base;
	vq->avail = (struct vring_avail *)(base + sizeof(*vq->desc) * num);
	vq->used = (struct vring_used *)(base + used_offset(num));
	vq->used_event = &vq->avail->ring[num];
	vq->avail_event = (u16 *)&vq->used->ring[num];
	vq->num = num;
	vq->index = index;
	vq->event_idx = event_idx;
	vq->notify = notify;
	/* Every descriptor on the free list, in order. */
	vq->num_free = num;
	for (u16 i = 0; i < num; i++)
		vq->state[i].next = (u16)(i + 1);
	return vq;
}

void virtqueue_free(struct virtqueue *vq)
{
	free(vq);
}

/* Fill the chain's descriptors from the free list; returns its head. */
static u16 fill_descs(struct virtqueue *vq, const struct vq_buf *bufs,
		      unsigned out, unsigned total)
{
	u16 head = vq->free_head, i = head, last = head;

	for (unsigned n = 0; n < total; n++) {
		struct vring_desc *d = &vq->desc[i];

		d->addr = bufs[n].addr;
		d->len = bufs[n].len;
		d->flags = n >= out ? VRING_DESC_F_WRITE : 0;
		if (n + 1 < total) {
			d->flags |= VRING_DESC_F_NEXT;
			d->next = vq->state[i].next;
		}
		last = i;
		i = vq->state[i].next;
	}
	vq->free_head = vq->state[last].next;
	return head;
}

int virtqueue_add_buf(struct virtqueue *vq, const struct vq_buf *bufs,
		      unsigned out, unsigned in, void *token)
{
	unsigned total = out + in;
	u16 head;

	if (vq->broken)
		return -EIO;
	if (total == 0 || !token)
		return -EINVAL;
	if (total > vq->num_free) {
		vq->stats.full++;
		return -ENOSPC;
	}
	head = fill_descs(vq, bufs, out, total);
	vq->num_free -= (u16)total;
	vq->state[head].token = token;
	vq->state[head].ndescs = (u16)total;

	/* 2.7.13.2: the head goes in the next available slot. */
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	/* 2.7.13.3: descriptors and ring entry visible before idx. */
	virtio_wmb();
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	vq->stats.added++;
	return 0;
}

bool virtqueue_kick_prepare(struct virtqueue *vq)
{
	u16 old = vq->kicked_idx, new_idx = vq->avail_idx;
	bool needed;

	/* 2.7.13.4: expose avail->idx before reading the device's flags or
	 * avail_event, or a device going to sleep would be missed. */
	virtio_mb();
	vq->kicked_idx = new_idx;
	if (old == new_idx)
		return false;
	if (vq->event_idx)
		needed =
		    vring_need_event(READ_ONCE(*vq->avail_event), new_idx, old);
	else
		needed = !(READ_ONCE(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	if (!needed)
		vq->stats.kicks_suppressed++;
	return needed;
}

void virtqueue_notify(struct virtqueue *vq)
{
	vq->stats.kicks++;
	if (vq->notify)
		vq->notify(vq);
}

bool virtqueue_kick(struct virtqueue *vq)
{
	if (!virtqueue_kick_prepare(vq))
		return false;
	virtqueue_notify(vq);
	return true;
}

bool virtqueue_more_used(const struct virtqueue *vq)
{
	return vq->last_used_idx != READ_ONCE(vq->used->idx);
}

/* Give the chain at head back to the free list; returns its token. */
static void *detach_chain(struct virtqueue *vq, u16 head)
{
	struct vq_desc_state *st = &vq->state[head];
	void *token = st->token;
	u16 last = head;

	for (u16 n = 1; n < st->ndescs; n++)
		last = vq->state[last].next;
	vq->state[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += st->ndescs;
	st->token = NULL;
	st->ndescs = 0;
	return token;
}

/* A device that reports more entries than the ring holds, or an id that
 * is not a chain in flight, is broken: stop using the queue. */
static bool used_entry_valid(struct virtqueue *vq, u16 used_idx, u32 id)
{
	if ((u16)(used_idx - vq->last_used_idx) > vq->num || id >= vq->num ||
	    !vq->state[id].token) {
		vq->stats.bad_used++;
		vq->broken = true;
		return false;
	}
	return true;
}

void *virtqueue_get_buf(struct virtqueue *vq, u32 *len)
{
	const struct vring_used_elem *e;
	u16 used_idx;
	u32 id;
	void *token;

	if (vq->broken)
		return NULL;
	used_idx = READ_ONCE(vq->used->idx);
	if (used_idx == vq->last_used_idx)
		return NULL;
	/* 2.7.14: read idx before the entries it covers. */
	virtio_rmb();
	e = &vq->used->ring[vq->last_used_idx & (vq->num - 1)];
	id = READ_ONCE(e->id);
	if (!used_entry_valid(vq, used_idx, id))
		return NULL;
	if (len)
		*len = READ_ONCE(e->len);
	token = detach_chain(vq, (u16)id);
	vq->last_used_idx++;
	vq->stats.completed++;
	/* With callbacks on, keep used_event just behind us so the device
	 * interrupts for the next entry (2.7.7); flush it before the next
	 * read of used->idx. */
	if (vq->event_idx && !(vq->avail_flags & VRING_AVAIL_F_NO_INTERRUPT)) {
		WRITE_ONCE(*vq->used_event, vq->last_used_idx);
		virtio_mb();
	}
	return token;
}

void virtqueue_disable_cb(struct virtqueue *vq)
{
	if (vq->avail_flags & VRING_AVAIL_F_NO_INTERRUPT)
		return;
	vq->avail_flags |= VRING_AVAIL_F_NO_INTERRUPT;
	if (vq->event_idx) {
		/* 2.7.7: with EVENT_IDX flags must stay 0. Point used_event
		 * just behind us: the device would have to fill the whole
		 * 65536-entry index space to reach it, and the ring (at most
		 * 32768) cannot hold that much unconsumed. */
		WRITE_ONCE(*vq->used_event, (u16)(vq->last_used_idx - 1));
	} else {
		WRITE_ONCE(vq->avail->flags, vq->avail_flags);
	}
}

u16 virtqueue_enable_cb_prepare(struct virtqueue *vq)
{
	vq->avail_flags &= (u16)~VRING_AVAIL_F_NO_INTERRUPT;
	if (vq->event_idx)
		WRITE_ONCE(*vq->used_event, vq->last_used_idx);
	else
		WRITE_ONCE(vq->avail->flags, vq->avail_flags);
	return vq->last_used_idx;
}

bool virtqueue_poll(struct virtqueue *vq, u16 snapshot)
{
	/* The re-check of 2.7.14: our used_event/flags store must be
	 * visible before we look at used->idx again, or an entry added in
	 * between would go unnoticed with no interrupt coming. */
	virtio_mb();
	return !vq->broken && snapshot != READ_ONCE(vq->used->idx);
}

bool virtqueue_enable_cb(struct virtqueue *vq)
{
	return !virtqueue_poll(vq, virtqueue_enable_cb_prepare(vq));
}

bool virtqueue_enable_cb_delayed(struct virtqueue *vq)
{
	u16 pending, delay;

	if (!vq->event_idx)
		return virtqueue_enable_cb(vq);
	vq->avail_flags &= (u16)~VRING_AVAIL_F_NO_INTERRUPT;
	pending = (u16)(vq->avail_idx - vq->last_used_idx);
	delay = (u16)(pending * 3 / 4);
	WRITE_ONCE(*vq->used_event, (u16)(vq->last_used_idx + delay));
	virtio_mb();
	/* Already past the point we asked for: the interrupt is lost. */
	return (u16)(READ_ONCE(vq->used->idx) - vq->last_used_idx) <= delay;
}

void *virtqueue_detach_unused(struct virtqueue *vq)
{
	for (u16 i = 0; i < vq->num; i++) {
		if (vq->state[i].token)
			return detach_chain(vq, i);
	}
	return NULL;
}
