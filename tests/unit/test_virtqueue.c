/*
 * test_virtqueue.c - host tests for drivers/virtqueue.c. The test plays
 * the device in memory: it takes chains from the available ring, walks
 * their descriptors, puts them on the used ring, and decides when it would
 * interrupt (spec 2.7.7) or expect a notification (spec 2.7.10).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include <skiff/virtio.h>

/* ---- the device side ----------------------------------------------------- */

struct fake_dev {
	struct virtqueue *vq;
	void *ring;
	u16 last_avail;	     /* next avail entry the device takes */
	u16 used_idx;	     /* device's used->idx */
	unsigned notified;   /* driver -> device notifications */
	unsigned interrupts; /* device -> driver notifications */
};

static struct fake_dev *cur_dev;

static void fake_notify(struct virtqueue *vq)
{
	assert_ptr_equal(vq, cur_dev->vq);
	cur_dev->notified++;
}

static struct fake_dev *dev_new(u16 num, bool event_idx)
{
	struct fake_dev *fd = calloc(1, sizeof(*fd));
	size_t sz = ALIGN_UP(vring_size(num), (size_t)4096);

	assert_non_null(fd);
	fd->ring = aligned_alloc(4096, sz);
	assert_non_null(fd->ring);
	memset(fd->ring, 0, sz);
	fd->vq = virtqueue_create(3, num, fd->ring, event_idx, fake_notify);
	assert_non_null(fd->vq);
	cur_dev = fd;
	return fd;
}

static void dev_free(struct fake_dev *fd)
{
	virtqueue_free(fd->vq);
	free(fd->ring);
	free(fd);
}

/* Take the next available chain; -1 if none. Fills the chain's buffers
 * (in order) into bufs/nbufs and counts device-writable ones in *in. */
static int dev_pop(struct fake_dev *fd, struct vq_buf *bufs, unsigned *nbufs,
		   unsigned *in)
{
	struct virtqueue *vq = fd->vq;
	u16 head, i;
	unsigned n = 0, w = 0;

	if (vq->avail->idx == fd->last_avail)
		return -1;
	head = vq->avail->ring[fd->last_avail & (vq->num - 1)];
	fd->last_avail++;
	/* Like a device with EVENT_IDX: ask to hear about the next one. */
	*vq->avail_event = fd->last_avail;
	assert_true(head < vq->num);
	for (i = head;; i = vq->desc[i].next) {
		const struct vring_desc *d = &vq->desc[i];

		assert_true(n < vq->num); /* no loops */
		if (d->flags & VRING_DESC_F_WRITE)
			w++;
		else
			assert_int_equal(w, 0); /* readable ones come first */
		if (bufs)
			bufs[n] = (struct vq_buf){d->addr, d->len};
		n++;
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
	}
	if (nbufs)
		*nbufs = n;
	if (in)
		*in = w;
	return head;
}

/* Put a chain on the used ring and interrupt if the driver asked. */
static void dev_push(struct fake_dev *fd, u16 head, u32 len)
{
	struct virtqueue *vq = fd->vq;
	u16 old = fd->used_idx;
	bool irq;

	vq->used->ring[fd->used_idx & (vq->num - 1)] =
	    (struct vring_used_elem){head, len};
	fd->used_idx++;
	vq->used->idx = fd->used_idx;
	if (vq->event_idx)
		irq = vring_need_event(*vq->used_event, fd->used_idx, old);
	else
		irq = !(vq->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
	fd->interrupts += irq;
}

static int add1(struct virtqueue *vq, u64 addr, u32 len, bool writable,
		void *token)
{
	struct vq_buf b = {addr, len};

	return virtqueue_add_buf(vq, &b, writable ? 0 : 1, writable ? 1 : 0,
				 token);
}

#define TOK(n) ((void *)(uintptr_t)(0x1000 + (n)))

/* ---- tests --------------------------------------------------------------- */

static void test_need_event(void **state)
{
	(void)state;
	/* Event at 5: moving 4->5 does not cross it, 5->6 does. */
	assert_false(vring_need_event(5, 5, 4));
	assert_true(vring_need_event(5, 6, 5));
	assert_true(vring_need_event(5, 9, 3));
	assert_false(vring_need_event(5, 5, 5));
	/* Across the 16-bit wrap. */
	assert_true(vring_need_event(0xffff, 0x0001, 0xfffe));
	assert_false(vring_need_event(0x0001, 0x0001, 0xfffe));
}

static void test_create_layout(void **state)
{
	struct fake_dev *fd;
	struct virtqueue *vq;
	u8 *base;

	(void)state;
	assert_null(
	    virtqueue_create(0, 0, (void *)(uintptr_t)4096, false, NULL));
	assert_null(
	    virtqueue_create(0, 100, (void *)(uintptr_t)4096, false, NULL));
	fd = dev_new(256, false);
	vq = fd->vq;
	base = fd->ring;
	assert_ptr_equal(vq->desc, base);
	assert_ptr_equal(vq->avail, base + 16 * 256);
	assert_true(((u8 *)vq->used - base) % 64 == 0);
	assert_true((u8 *)vq->used >= (u8 *)vq->used_event + 2);
	assert_true((u8 *)vq->avail_event + 2 <= base + vring_size(256));
	assert_int_equal(vq->num_free, 256);
	assert_int_equal(vq->index, 3);
	dev_free(fd);
}

static void test_add_get_single(void **state)
{
	struct fake_dev *fd = dev_new(8, false);
	struct virtqueue *vq = fd->vq;
	struct vq_buf got;
	unsigned n, in;
	u32 len = 0;
	int head;

	(void)state;
	assert_int_equal(add1(vq, 0xabc000, 1514, false, TOK(1)), 0);
	assert_int_equal(vq->avail->idx, 1);
	assert_int_equal(vq->num_free, 7);
	assert_null(virtqueue_get_buf(vq, &len)); /* device not done yet */
	head = dev_pop(fd, &got, &n, &in);
	assert_true(head >= 0);
	assert_int_equal(n, 1);
	assert_int_equal(in, 0);
	assert_int_equal(got.addr, 0xabc000);
	assert_int_equal(got.len, 1514);
	dev_push(fd, (u16)head, 0);
	assert_true(virtqueue_more_used(vq));
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(1));
	assert_int_equal(len, 0);
	assert_int_equal(vq->num_free, 8);
	assert_null(virtqueue_get_buf(vq, &len));
	assert_int_equal(vq->stats.added, 1);
	assert_int_equal(vq->stats.completed, 1);
	dev_free(fd);
}

static void test_chain_flags(void **state)
{
	struct fake_dev *fd = dev_new(8, false);
	struct virtqueue *vq = fd->vq;
	struct vq_buf bufs[3] = {{0x1000, 12}, {0x2000, 100}, {0x3000, 200}};
	struct vq_buf got[8];
	unsigned n, in;
	u32 len;
	int head;

	(void)state;
	assert_int_equal(virtqueue_add_buf(vq, bufs, 1, 2, TOK(7)), 0);
	assert_int_equal(vq->num_free, 5);
	head = dev_pop(fd, got, &n, &in);
	assert_int_equal(n, 3);
	assert_int_equal(in, 2);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(got[i].addr, bufs[i].addr);
		assert_int_equal(got[i].len, bufs[i].len);
	}
	dev_push(fd, (u16)head, 300);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(7));
	assert_int_equal(len, 300);
	assert_int_equal(vq->num_free, 8);
	dev_free(fd);
}

static void test_bad_args_and_full(void **state)
{
	struct fake_dev *fd = dev_new(4, false);
	struct virtqueue *vq = fd->vq;
	struct vq_buf bufs[5] = {{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}};
	u32 len;
	int head;

	(void)state;
	assert_int_equal(virtqueue_add_buf(vq, bufs, 0, 0, TOK(1)), -EINVAL);
	assert_int_equal(virtqueue_add_buf(vq, bufs, 1, 0, NULL), -EINVAL);
	assert_int_equal(virtqueue_add_buf(vq, bufs, 5, 0, TOK(1)), -ENOSPC);
	assert_int_equal(virtqueue_add_buf(vq, bufs, 3, 0, TOK(1)), 0);
	assert_int_equal(virtqueue_add_buf(vq, bufs, 2, 0, TOK(2)), -ENOSPC);
	assert_int_equal(virtqueue_add_buf(vq, bufs, 1, 0, TOK(2)), 0);
	assert_int_equal(virtqueue_add_buf(vq, bufs, 1, 0, TOK(3)), -ENOSPC);
	assert_int_equal(vq->stats.full, 3);
	/* Complete the 3-chain: room for 3 again. */
	head = dev_pop(fd, NULL, NULL, NULL);
	dev_push(fd, (u16)head, 0);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(1));
	assert_int_equal(virtqueue_add_buf(vq, bufs, 3, 0, TOK(3)), 0);
	dev_free(fd);
}

/* Many rounds of random chains completed out of order, across the 16-bit
 * index wrap: every token comes back once, the free list stays whole. */
static void test_random_out_of_order(void **state)
{
	struct fake_dev *fd = dev_new(16, true);
	struct virtqueue *vq = fd->vq;
	int pending[16], npending = 0;
	void *tokens_of[16] = {0};
	unsigned next_tok = 1, returned = 0;
	u32 len;

	(void)state;
	srand(42);
	for (unsigned round = 0; round < 200000; round++) {
		unsigned total = 1 + (unsigned)rand() % 4;
		unsigned out = (unsigned)rand() % (total + 1);
		struct vq_buf bufs[4] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}};

		if (virtqueue_add_buf(vq, bufs, out, total - out,
				      TOK(next_tok)) == 0) {
			int head = dev_pop(fd, NULL, NULL, NULL);

			tokens_of[head] = TOK(next_tok++);
			pending[npending++] = head;
		}
		/* Device completes a random pending chain. */
		if (npending && (rand() % 2 || vq->num_free < 4)) {
			int k = rand() % npending;
			int head = pending[k];

			pending[k] = pending[--npending];
			dev_push(fd, (u16)head, (u32)head);
			assert_ptr_equal(virtqueue_get_buf(vq, &len),
					 tokens_of[head]);
			assert_int_equal(len, (u32)head);
			returned++;
		}
	}
	while (npending) {
		int head = pending[--npending];

		dev_push(fd, (u16)head, 0);
		assert_ptr_equal(virtqueue_get_buf(vq, &len), tokens_of[head]);
		returned++;
	}
	assert_int_equal(returned, next_tok - 1);
	assert_int_equal(vq->num_free, 16);
	assert_false(vq->broken);
	assert_true(returned > 65536); /* the indexes wrapped */
	assert_int_equal(vq->avail_idx, (u16)returned);
	dev_free(fd);
}

static void test_kick_no_event_idx(void **state)
{
	struct fake_dev *fd = dev_new(8, false);
	struct virtqueue *vq = fd->vq;

	(void)state;
	assert_false(virtqueue_kick(vq)); /* nothing added */
	add1(vq, 1, 1, false, TOK(1));
	add1(vq, 2, 1, false, TOK(2));
	assert_true(virtqueue_kick(vq)); /* one kick for the batch */
	assert_int_equal(fd->notified, 1);
	assert_false(virtqueue_kick(vq));
	vq->used->flags = VRING_USED_F_NO_NOTIFY;
	add1(vq, 3, 1, false, TOK(3));
	assert_false(virtqueue_kick(vq));
	assert_int_equal(fd->notified, 1);
	assert_int_equal(vq->stats.kicks_suppressed, 1);
	assert_int_equal(vq->stats.kicks, 1);
	dev_free(fd);
}

static void test_kick_event_idx(void **state)
{
	struct fake_dev *fd = dev_new(8, true);
	struct virtqueue *vq = fd->vq;

	(void)state;
	/* Device wants to hear when entry 0 is written: first add kicks. */
	add1(vq, 1, 1, false, TOK(1));
	assert_true(virtqueue_kick(vq));
	/* Device has not caught up (avail_event still 0): no kick. */
	add1(vq, 2, 1, false, TOK(2));
	assert_false(virtqueue_kick(vq));
	/* Device drains both and waits for entry 2. */
	dev_pop(fd, NULL, NULL, NULL);
	dev_pop(fd, NULL, NULL, NULL);
	assert_int_equal(*vq->avail_event, 2);
	add1(vq, 3, 1, false, TOK(3));
	add1(vq, 4, 1, false, TOK(4));
	assert_true(virtqueue_kick(vq)); /* the batch crossed entry 2 */
	assert_int_equal(fd->notified, 2);
	/* used->flags must be ignored with EVENT_IDX. */
	vq->used->flags = VRING_USED_F_NO_NOTIFY;
	dev_pop(fd, NULL, NULL, NULL);
	dev_pop(fd, NULL, NULL, NULL);
	add1(vq, 5, 1, false, TOK(5));
	assert_true(virtqueue_kick(vq));
	dev_free(fd);
}

static void run_cb_cycle(bool event_idx)
{
	struct fake_dev *fd = dev_new(8, event_idx);
	struct virtqueue *vq = fd->vq;
	u32 len;
	int h;

	/* Callbacks on at start: a completion interrupts. */
	add1(vq, 1, 64, true, TOK(1));
	h = dev_pop(fd, NULL, NULL, NULL);
	dev_push(fd, (u16)h, 60);
	assert_int_equal(fd->interrupts, 1);
	/* The IRQ handler disables callbacks; more completions are quiet. */
	virtqueue_disable_cb(vq);
	if (!event_idx)
		assert_int_equal(vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	else
		assert_int_equal(vq->avail->flags, 0);
	add1(vq, 2, 64, true, TOK(2));
	add1(vq, 3, 64, true, TOK(3));
	dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 1);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(1));
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(2));
	dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 1);
	assert_int_equal(fd->interrupts, 1);
	/* Poll drained up to TOK(2), re-enables; TOK(3) already arrived:
	 * the re-check must see it. */
	assert_false(virtqueue_enable_cb(vq));
	virtqueue_disable_cb(vq);
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(3));
	assert_null(virtqueue_get_buf(vq, &len));
	/* Empty now: enabling arms the interrupt, the next one fires. */
	assert_true(virtqueue_enable_cb(vq));
	add1(vq, 4, 64, true, TOK(4));
	dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 1);
	assert_int_equal(fd->interrupts, 2);
	/* The prepare/poll split: an entry lands between them. */
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(4));
	virtqueue_disable_cb(vq);
	add1(vq, 5, 64, true, TOK(5));
	u16 snap = virtqueue_enable_cb_prepare(vq);
	dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 1);
	assert_true(virtqueue_poll(vq, snap));
	assert_int_equal(fd->interrupts, 3); /* it interrupted, too */
	dev_free(fd);
}

static void test_callbacks_flags(void **state)
{
	(void)state;
	run_cb_cycle(false);
}

static void test_callbacks_event_idx(void **state)
{
	(void)state;
	run_cb_cycle(true);
}

/* With EVENT_IDX and callbacks on, get_buf keeps used_event at the next
 * entry; with them off, the device never reaches it. */
static void test_used_event_tracking(void **state)
{
	struct fake_dev *fd = dev_new(8, true);
	struct virtqueue *vq = fd->vq;
	u32 len;

	(void)state;
	for (int i = 0; i < 5; i++) {
		add1(vq, 1, 1, true, TOK(i + 1));
		dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 1);
		assert_non_null(virtqueue_get_buf(vq, &len));
		assert_int_equal(*vq->used_event, vq->last_used_idx);
	}
	assert_int_equal(fd->interrupts, 5);
	virtqueue_disable_cb(vq);
	for (int i = 0; i < 40; i++) {
		add1(vq, 1, 1, true, TOK(i + 1));
		dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 1);
		assert_non_null(virtqueue_get_buf(vq, &len));
	}
	assert_int_equal(fd->interrupts, 5);
	dev_free(fd);
}

static void test_enable_cb_delayed(void **state)
{
	struct fake_dev *fd = dev_new(16, true);
	struct virtqueue *vq = fd->vq;
	int heads[8];

	(void)state;
	virtqueue_disable_cb(vq);
	for (int i = 0; i < 8; i++) {
		add1(vq, 1, 1, false, TOK(i + 1));
		heads[i] = dev_pop(fd, NULL, NULL, NULL);
	}
	/* 8 outstanding: interrupt after 3/4 of them, i.e. the 7th. */
	assert_true(virtqueue_enable_cb_delayed(vq));
	assert_int_equal(*vq->used_event, 6);
	for (int i = 0; i < 6; i++)
		dev_push(fd, (u16)heads[i], 0);
	assert_int_equal(fd->interrupts, 0);
	dev_push(fd, (u16)heads[6], 0);
	assert_int_equal(fd->interrupts, 1);
	/* Already past the point: told to poll now. */
	virtqueue_disable_cb(vq);
	dev_push(fd, (u16)heads[7], 0);
	for (int i = 0; i < 2; i++) {
		add1(vq, 1, 1, false, TOK(20 + i));
		dev_push(fd, (u16)dev_pop(fd, NULL, NULL, NULL), 0);
	}
	/* 10 pending for the driver, all used: delay 7 < 10. */
	assert_false(virtqueue_enable_cb_delayed(vq));
	dev_free(fd);
}

static void test_bad_device(void **state)
{
	struct fake_dev *fd = dev_new(8, false);
	struct virtqueue *vq = fd->vq;
	u32 len;

	(void)state;
	add1(vq, 1, 1, true, TOK(1));
	(void)dev_pop(fd, NULL, NULL, NULL);
	dev_push(fd, 99, 0); /* id out of range */
	assert_null(virtqueue_get_buf(vq, &len));
	assert_true(virtqueue_is_broken(vq));
	assert_int_equal(vq->stats.bad_used, 1);
	assert_int_equal(add1(vq, 1, 1, true, TOK(2)), -EIO);
	dev_free(fd);

	fd = dev_new(8, false);
	vq = fd->vq;
	add1(vq, 1, 1, true, TOK(1));
	dev_push(fd, 5, 0); /* a descriptor that is not a chain head */
	assert_null(virtqueue_get_buf(vq, &len));
	assert_true(vq->broken);
	dev_free(fd);

	fd = dev_new(8, false);
	vq = fd->vq;
	add1(vq, 1, 1, true, TOK(1));
	vq->used->idx = 20; /* more used entries than the ring holds */
	assert_null(virtqueue_get_buf(vq, &len));
	assert_true(vq->broken);
	dev_free(fd);

	fd = dev_new(8, false);
	vq = fd->vq;
	add1(vq, 1, 1, true, TOK(1));
	int h = dev_pop(fd, NULL, NULL, NULL);
	dev_push(fd, (u16)h, 0);
	dev_push(fd, (u16)h, 0); /* the same chain twice */
	assert_ptr_equal(virtqueue_get_buf(vq, &len), TOK(1));
	assert_null(virtqueue_get_buf(vq, &len));
	assert_true(vq->broken);
	assert_int_equal(vq->num_free, 8);
	dev_free(fd);
}

static void test_detach_unused(void **state)
{
	struct fake_dev *fd = dev_new(8, false);
	struct virtqueue *vq = fd->vq;
	struct vq_buf b[2] = {{1, 1}, {2, 2}};
	unsigned seen = 0;
	void *t;

	(void)state;
	virtqueue_add_buf(vq, b, 0, 2, TOK(1));
	virtqueue_add_buf(vq, b, 0, 1, TOK(2));
	virtqueue_add_buf(vq, b, 2, 0, TOK(3));
	while ((t = virtqueue_detach_unused(vq)) != NULL)
		seen |= 1u << ((uintptr_t)t - 0x1000);
	assert_int_equal(seen, 0xe);
	assert_int_equal(vq->num_free, 8);
	dev_free(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_need_event),
	    cmocka_unit_test(test_create_layout),
	    cmocka_unit_test(test_add_get_single),
	    cmocka_unit_test(test_chain_flags),
	    cmocka_unit_test(test_bad_args_and_full),
	    cmocka_unit_test(test_random_out_of_order),
	    cmocka_unit_test(test_kick_no_event_idx),
	    cmocka_unit_test(test_kick_event_idx),
	    cmocka_unit_test(test_callbacks_flags),
	    cmocka_unit_test(test_callbacks_event_idx),
	    cmocka_unit_test(test_used_event_tracking),
	    cmocka_unit_test(test_enable_cb_delayed),
	    cmocka_unit_test(test_bad_device),
	    cmocka_unit_test(test_detach_unused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
