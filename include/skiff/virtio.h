/*
 * virtio.h - virtio 1.x devices: split virtqueues and the modern PCI
 * transport. Read first: the OASIS virtio spec v1.2, chapter 2 (device
 * status, feature bits, split virtqueues) and 4.1 (virtio over PCI).
 *
 * Two halves:
 *   - struct virtqueue (drivers/virtqueue.c): the split ring. Pure memory
 *     logic with no device access; the caller supplies zeroed ring memory
 *     and a notify callback, so host unit tests can play the device.
 *   - struct virtio_device (drivers/virtio_pci.c): the PCI transport. Finds
 *     the vendor capabilities, negotiates features, sets queues up and
 *     routes their MSI-X vectors.
 *
 * A driver's life (spec 3.1.1): virtio_pci_probe() -> virtio_negotiate()
 * -> virtio_find_vqs() -> post buffers -> virtio_device_ready() ->
 * virtqueue_add_buf / virtqueue_kick / virtqueue_get_buf ... ->
 * virtio_reset() -> virtio_del_vqs() [-> virtio_reinit() -> ...].
 *
 * Everything shared with the device is little-endian; x86-64 is too, so
 * fields are read and written as they are.
 */
#ifndef SKIFF_VIRTIO_H
#define SKIFF_VIRTIO_H

#include <skiff/types.h>

/* ---- device status (spec 2.1) -------------------------------------------- */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01 /* the OS noticed the device */
#define VIRTIO_STATUS_DRIVER 0x02      /* the OS knows how to drive it */
#define VIRTIO_STATUS_DRIVER_OK 0x04   /* the driver is ready */
#define VIRTIO_STATUS_FEATURES_OK 0x08 /* feature negotiation is done */
#define VIRTIO_STATUS_NEEDS_RESET 0x40 /* the device hit an error */
#define VIRTIO_STATUS_FAILED 0x80      /* the driver gave up on it */

/* ---- device-independent feature bits (spec 6) ---------------------------- */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_BIT(b) (1ULL << (b))

/* ---- split virtqueue layout (spec 2.7) ----------------------------------- */
#define VRING_DESC_F_NEXT 1	     /* the chain continues in .next */
#define VRING_DESC_F_WRITE 2	     /* device writes (else reads) the buffer */
#define VRING_AVAIL_F_NO_INTERRUPT 1 /* driver: no used notifications */
#define VRING_USED_F_NO_NOTIFY 1     /* device: no avail notifications */
#define VIRTQ_MAX_SIZE 32768	     /* largest split queue (power of 2) */

struct vring_desc {
	u64 addr;  /* guest-physical address of the buffer */
	u32 len;   /* its length in bytes */
	u16 flags; /* VRING_DESC_F_* */
	u16 next;  /* next descriptor of the chain if F_NEXT */
};

struct vring_avail {
	u16 flags;  /* VRING_AVAIL_F_NO_INTERRUPT (0 with EVENT_IDX) */
	u16 idx;    /* where the driver puts the next entry (free-running) */
	u16 ring[]; /* heads of chains; then u16 used_event (EVENT_IDX) */
};

struct vring_used_elem {
	u32 id;	 /* head of the chain the device is done with */
	u32 len; /* bytes the device wrote into it */
};

struct vring_used {
	u16 flags; /* VRING_USED_F_NO_NOTIFY (0 with EVENT_IDX) */
	u16 idx;   /* where the device puts the next entry (free-running) */
	struct vring_used_elem ring[]; /* then u16 avail_event (EVENT_IDX) */
};

/*
 * Spec 2.7.7/2.7.10: with EVENT_IDX the other side asks for a notification
 * when the index moves past `event`. True if moving the index from old to
 * new_idx crossed it (all arithmetic mod 2^16).
 */
static inline bool vring_need_event(u16 event, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old);
}

/* ---- struct virtqueue (drivers/virtqueue.c) ------------------------------ */

/* One buffer of a chain: a guest-physical address and a length. */
struct vq_buf {
	u64 addr;
	u32 len;
};

/* The driver's own record of each descriptor. The device cannot touch
 * these, so a misbehaving device cannot corrupt the free list. */
struct vq_desc_state {
	void *token; /* on a chain head in flight: the caller's cookie */
	u16 next;    /* next descriptor on the free list or in the chain */
	u16 ndescs;  /* on a chain head: descriptors in the chain */
};

struct vq_stats {
	u64 added;	      /* chains made available */
	u64 completed;	      /* chains taken back from the used ring */
	u64 kicks;	      /* notifications sent to the device */
	u64 kicks_suppressed; /* batches the device said it didn't need */
	u64 full;	      /* add_buf refused: not enough descriptors */
	u64 bad_used;	      /* used entries that broke the protocol */
};

struct virtqueue {
	/* The three rings, shared with the device. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 *used_event;  /* &avail->ring[num]: driver's EVENT_IDX hint */
	u16 *avail_event; /* &used->ring[num]: device's EVENT_IDX hint */

	u16 num;	   /* ring size, a power of two */
	u16 index;	   /* queue number on the device */
	u16 free_head;	   /* first descriptor of the free list */
	u16 num_free;	   /* descriptors on the free list */
	u16 avail_idx;	   /* our copy of avail->idx (we are its only writer) */
	u16 kicked_idx;	   /* avail_idx when we last decided about a kick */
	u16 last_used_idx; /* next used entry to take */
	u16 avail_flags;   /* our copy: VRING_AVAIL_F_NO_INTERRUPT = cb off */
	bool event_idx;	   /* VIRTIO_F_EVENT_IDX negotiated */
	bool broken;	   /* the device broke the protocol: no more I/O */

	/* Tell the device queue `index` has new buffers (transport's job). */
	void (*notify)(struct virtqueue *vq);
	void *notify_addr; /* for the transport: where to write */
	void *priv;	   /* for the driver */
	struct vq_stats stats;
	struct vq_desc_state state[]; /* num entries */
};

/* Bytes of ring memory for `num` entries (desc table, avail, used, each
 * aligned as the spec requires; used starts on its own cache line). */
size_t vring_size(u16 num);
/* Lay a queue of `num` entries (power of two) over `ring`, which must be
 * zeroed, 16-byte aligned and vring_size(num) long. Returns a malloc'ed
 * virtqueue (free with virtqueue_free), or NULL (bad num, no memory). */
struct virtqueue *virtqueue_create(u16 index, u16 num, void *ring,
				   bool event_idx,
				   void (*notify)(struct virtqueue *vq));
void virtqueue_free(struct virtqueue *vq); /* not the ring memory */

/*
 * Make one chain available: `out` device-readable buffers followed by
 * `in` device-writable ones, with `token` returned by get_buf when the
 * device is done. The device sees it at once, but is only told by a kick.
 * Returns 0; -ENOSPC when fewer than out+in descriptors are free;
 * -EINVAL for an empty chain or NULL token; -EIO if the queue is broken.
 */
int virtqueue_add_buf(struct virtqueue *vq, const struct vq_buf *bufs,
		      unsigned out, unsigned in, void *token);
/* Decide whether the device needs a notification for what was added
 * since the last call (spec 2.7.13.4), and send it. Once per batch. */
bool virtqueue_kick_prepare(struct virtqueue *vq);
void virtqueue_notify(struct virtqueue *vq);
bool virtqueue_kick(struct virtqueue *vq); /* prepare + notify if needed */

/* The next chain the device is done with: its token, and in *len the
 * bytes the device wrote. NULL when there is none (or the queue broke). */
void *virtqueue_get_buf(struct virtqueue *vq, u32 *len);
bool virtqueue_more_used(const struct virtqueue *vq);

/*
 * Used-buffer notifications ("callbacks"), spec 2.7.14: disable while
 * polling; re-enable with enable_cb_prepare() which returns a snapshot,
 * then virtqueue_poll(snapshot) is true if buffers arrived meanwhile (the
 * race-free re-check). enable_cb() does both: true if the queue is empty
 * and the interrupt armed. enable_cb_delayed() asks for a notification
 * only after about 3/4 of the outstanding buffers are used (TX reclaim).
 */
void virtqueue_disable_cb(struct virtqueue *vq);
u16 virtqueue_enable_cb_prepare(struct virtqueue *vq);
bool virtqueue_poll(struct virtqueue *vq, u16 snapshot);
bool virtqueue_enable_cb(struct virtqueue *vq);
bool virtqueue_enable_cb_delayed(struct virtqueue *vq);

/* After the device is reset: take back one token still posted, or NULL
 * when none is left (to free RX/TX buffers on stop). */
void *virtqueue_detach_unused(struct virtqueue *vq);
static inline unsigned virtqueue_num_free(const struct virtqueue *vq)
{
	return vq->num_free;
}
static inline bool virtqueue_is_broken(const struct virtqueue *vq)
{
	return vq->broken;
}

/* ---- the modern PCI transport (drivers/virtio_pci.c) --------------------- */

#define PCI_VENDOR_ID_VIRTIO 0x1af4
#define VIRTIO_ID_NET 1
#define VIRTIO_PCI_MODERN_ID(id) (0x1040 + (id)) /* 0x1041: net */
#define VIRTIO_PCI_LEGACY_NET 0x1000		 /* transitional net */
#define VIRTIO_MSI_NO_VECTOR 0xffff

struct pci_dev;
struct virtio_pci_common_cfg;

#define VIRTIO_MAX_VQS 8

typedef void (*virtio_irq_fn)(void *arg); /* same shape as irq_handler_t */

/* What a driver asks for each queue it sets up. */
struct virtio_vq_info {
	const char *name;	/* interrupt name: "eth0-rx" */
	u16 max_size;		/* at most this many entries (0: device's) */
	virtio_irq_fn callback; /* used buffers; runs in interrupt context */
	void *arg;
};

/* How interrupts reach the callbacks (decided by virtio_find_vqs). */
enum virtio_irq_plan {
	VIRTIO_IRQ_NONE,
	VIRTIO_IRQ_MSIX_PER_VQ, /* entry 0: config, entry 1+i: queue i */
	VIRTIO_IRQ_MSIX_SHARED, /* entry 0: config, entry 1: every queue */
	VIRTIO_IRQ_MSIX_ONE,	/* entry 0: everything */
	VIRTIO_IRQ_INTX,	/* one shared line, the ISR byte says what */
};

struct virtio_device {
	struct pci_dev *pdev;
	char name[16]; /* "00:03.0", for logs */
	volatile struct virtio_pci_common_cfg *common;
	volatile u8 *notify_base;  /* notify structure start */
	u32 notify_off_multiplier; /* bytes per queue_notify_off */
	u32 notify_len;		   /* notify structure length (bounds) */
	volatile u8 *isr;	   /* ISR status byte (read clears; INTx) */
	volatile u8 *device_cfg;   /* device-specific config, or NULL */
	u32 device_cfg_len;
	u64 features_offered;  /* device_feature, bits 0-63 */
	u64 features;	       /* what both sides agreed on */
	u16 num_queues;	       /* queues the device has */
	bool needs_reset_seen; /* NEEDS_RESET already logged */
	u8 config_generation;  /* last seen (single-vector MSI-X) */

	/* Queues and interrupts, from virtio_find_vqs. */
	u8 irq_plan; /* enum virtio_irq_plan */
	u8 nvqs;
	struct virtqueue *vqs[VIRTIO_MAX_VQS];
	u8 ring_order[VIRTIO_MAX_VQS]; /* alloc_pages order of each ring */
	virtio_irq_fn vq_cb[VIRTIO_MAX_VQS];
	void *vq_cb_arg[VIRTIO_MAX_VQS];
	virtio_irq_fn config_cb;
	void *config_cb_arg;
	u64 irqs_spurious; /* INTx/shared interrupts with nothing to do */
	char config_irq_name[24]; /* "virtio-00:03.0" */
};

/*
 * Bind the transport to pdev (spec 4.1.4, 3.1.1 steps 1-3): enable memory
 * decoding and bus mastering, map the common/notify/ISR/device config
 * structures, reset the device and set ACKNOWLEDGE | DRIVER. Returns 0, or
 * -ENODEV when the modern capabilities are missing (a legacy-only device).
 */
int virtio_pci_probe(struct virtio_device *vdev, struct pci_dev *pdev);
/* Spec 3.1.1 steps 4-6: accept `wanted` & offered features, set
 * FEATURES_OK and read it back. Returns 0 with vdev->features set, or -EIO
 * (VERSION_1 not offered, FEATURES_OK refused; status then has FAILED). */
int virtio_negotiate(struct virtio_device *vdev, u64 wanted);
static inline bool virtio_has_feature(const struct virtio_device *vdev,
				      unsigned bit)
{
	return (vdev->features & VIRTIO_BIT(bit)) != 0;
}
/* Reset, then ACKNOWLEDGE | DRIVER and negotiate `wanted` again (for a
 * driver reopening the device after virtio_reset). 0 or -EIO. */
int virtio_reinit(struct virtio_device *vdev, u64 wanted);
/*
 * Set up queues 0..nvqs-1 (spec 4.1.5.1.3): sizes, rings from the page
 * allocator, one MSI-X vector per queue plus one for configuration changes
 * when the device has enough entries (else shared, else INTx), then
 * queue_enable. config_cb (may be NULL) runs in interrupt context on a
 * configuration change. Fills vqs[]; returns 0 or -errno (all undone).
 */
int virtio_find_vqs(struct virtio_device *vdev, unsigned nvqs,
		    struct virtqueue *vqs[], const struct virtio_vq_info info[],
		    virtio_irq_fn config_cb, void *config_arg);
/* After virtio_reset: free the rings, the virtqueues and the vectors. */
void virtio_del_vqs(struct virtio_device *vdev);
void virtio_device_ready(struct virtio_device *vdev); /* DRIVER_OK */
/* Write 0 to device_status and wait for it to read back 0: the device
 * stops using every queue and forgets features and vectors. */
void virtio_reset(struct virtio_device *vdev);
/* Reads device_status; logs NEEDS_RESET (spec 2.1.1) once. */
u8 virtio_get_status(struct virtio_device *vdev);
const char *virtio_irq_plan_name(const struct virtio_device *vdev);

/* Device-specific configuration, read consistently against
 * config_generation (spec 2.5.1) with accesses as wide as the field
 * (len 1, 2 or 4; anything else byte by byte). 0, or -EIO out of range. */
int virtio_cread(struct virtio_device *vdev, u32 offset, void *buf, u32 len);

#endif
