/*
 * virtio_pci.c - the virtio 1.x modern PCI transport (virtio 1.2, 4.1).
 *
 * Read first: spec 4.1.4 (virtio structure PCI capabilities), 4.1.4.3
 * (common configuration), 4.1.4.4 (notifications), 4.1.5.1 (device
 * initialization: MSI-X vectors, virtqueue configuration) and 3.1.1 (the
 * driver's initialization sequence).
 *
 * virtio_pci_probe: walk the vendor capabilities (cap ID 0x09) for the
 *   common, notify, ISR and device config structures, map their BARs,
 *   reset, ACKNOWLEDGE | DRIVER.
 * virtio_negotiate: read 64 feature bits, write ours, FEATURES_OK, check.
 * virtio_find_vqs: plan interrupts, then per queue: select, size, rings,
 *   MSI-X entry (read back), notify offset, enable.
 * virtio_device_ready: DRIVER_OK.
 *
 * Only the modern interface: a transitional device (1af4:1000) is driven
 * through its capabilities too, and a legacy-only one is refused.
 */
#include <skiff/virtio.h>
#include <skiff/pci.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <asm/cpu.h>
#include <asm/paging.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Spec 4.1.4: cfg_type of a virtio vendor capability. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_cap field offsets in configuration space. */
#define VCAP_LEN 2
#define VCAP_CFG_TYPE 3
#define VCAP_BAR 4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_NOTIFY_MULT 16 /* virtio_pci_notify_cap only */
#define VCAP_MIN_LEN 16
#define VCAP_NOTIFY_MIN_LEN 20

#define VIRTIO_ISR_QUEUE 0x1
#define VIRTIO_ISR_CONFIG 0x2
#define DEVICE_CFG_MAP_MAX 4096 /* spec: drivers may map just this much */
#define RESET_POLL_MAX 1000000

/*
 * Spec 4.1.4.3: the common configuration structure. The 64-bit queue
 * addresses are written as two 32-bit halves, which every device accepts.
 */
struct virtio_pci_common_cfg {
	u32 device_feature_select; /* rw: which 32 bits device_feature shows */
	u32 device_feature;	   /* ro */
	u32 driver_feature_select; /* rw */
	u32 driver_feature;	   /* rw */
	u16 config_msix_vector;	   /* rw: MSI-X entry for config changes */
	u16 num_queues;		   /* ro */
	u8 device_status;	   /* rw: VIRTIO_STATUS_*, 0 resets */
	u8 config_generation;	   /* ro: changes when device config does */
	u16 queue_select;	   /* rw: the queue the fields below mean */
	u16 queue_size;		   /* rw: 0 = no such queue */
	u16 queue_msix_vector;	   /* rw */
	u16 queue_enable;	   /* rw: write 1 after the rest */
	u16 queue_notify_off;	   /* ro */
	u32 queue_desc_lo, queue_desc_hi;     /* descriptor table */
	u32 queue_driver_lo, queue_driver_hi; /* available ring */
	u32 queue_device_lo, queue_device_hi; /* used ring */
};
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_status) == 20,
	       "common cfg layout");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc_lo) == 32,
	       "common cfg layout");
#define COMMON_CFG_MIN_LEN sizeof(struct virtio_pci_common_cfg)

/* ---- capabilities -------------------------------------------------------- */

/* Where one structure lives, from its capability at `pos`. */
struct vcap {
	u8 bar;
	u32 offset, length;
};

static void read_vcap(struct pci_dev *pdev, u8 pos, struct vcap *c)
{
	c->bar = pci_read_config8(pdev, pos + VCAP_BAR);
	c->offset = pci_read_config32(pdev, pos + VCAP_OFFSET);
	c->length = pci_read_config32(pdev, pos + VCAP_LENGTH);
}

/* Map the structure, checking it lies inside its memory BAR. */
static volatile u8 *map_vcap(struct virtio_device *vdev, const struct vcap *c,
			     u32 min_len)
{
	struct pci_dev *pdev = vdev->pdev;
	u8 *base;

	if (c->bar >= PCI_NUM_BARS || c->length < min_len)
		return NULL;
	if ((u64)c->offset + c->length > pdev->bar[c->bar].size)
		return NULL;
	base = pci_iomap(pdev, c->bar); /* NULL for an I/O BAR */
	return base ? base + c->offset : NULL;
}

/* Spec 4.1.4: use the first capability of each type the driver can map. */
static void take_vcap(struct virtio_device *vdev, u8 pos, u8 type)
{
	struct vcap c;

	read_vcap(vdev->pdev, pos, &c);
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		if (!vdev->common)
			vdev->common = (volatile void *)map_vcap(
			    vdev, &c, COMMON_CFG_MIN_LEN);
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		if (vdev->notify_base ||
		    pci_read_config8(vdev->pdev, pos + VCAP_LEN) <
			VCAP_NOTIFY_MIN_LEN)
			break;
		vdev->notify_base = map_vcap(vdev, &c, 2);
		vdev->notify_len = c.length;
		vdev->notify_off_multiplier =
		    pci_read_config32(vdev->pdev, pos + VCAP_NOTIFY_MULT);
		break;
	case VIRTIO_PCI_CAP_ISR_CFG:
		if (!vdev->isr)
			vdev->isr = map_vcap(vdev, &c, 1);
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		if (!vdev->device_cfg) {
			vdev->device_cfg = map_vcap(vdev, &c, 1);
			vdev->device_cfg_len =
			    MIN(c.length, DEVICE_CFG_MAP_MAX);
		}
		break;
	default:
		break; /* reserved, PCI_CFG, shared memory: not ours */
	}
}

static int find_vcaps(struct virtio_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u8 pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR);

	for (; pos;
	     pos = pci_find_next_capability(pdev, pos, PCI_CAP_ID_VNDR)) {
		if (pci_read_config8(pdev, pos + VCAP_LEN) < VCAP_MIN_LEN)
			continue;
		take_vcap(vdev, pos,
			  pci_read_config8(pdev, pos + VCAP_CFG_TYPE));
	}
	if (!vdev->common || !vdev->notify_base || !vdev->isr)
		return -ENODEV;
	if (!vdev->device_cfg)
		vdev->device_cfg_len = 0;
	return 0;
}

/* ---- status and features ------------------------------------------------- */

u8 virtio_get_status(struct virtio_device *vdev)
{
	u8 status = vdev->common->device_status;

	if ((status & VIRTIO_STATUS_NEEDS_RESET) && !vdev->needs_reset_seen) {
		vdev->needs_reset_seen = true;
		pr_err("virtio: %s: device needs reset (status 0x%02x)\n",
		       vdev->name, status);
	}
	return status;
}

static void add_status(struct virtio_device *vdev, u8 bits)
{
	vdev->common->device_status = (u8)(vdev->common->device_status | bits);
}

void virtio_reset(struct virtio_device *vdev)
{
	/* Spec 4.1.4.3.2: after writing 0, wait until it reads back 0. */
	vdev->common->device_status = 0;
	for (int i = 0; vdev->common->device_status != 0; i++) {
		if (i == RESET_POLL_MAX) {
			pr_err("virtio: %s: reset did not complete\n",
			       vdev->name);
			break;
		}
		cpu_relax();
	}
	vdev->needs_reset_seen = false;
}

void virtio_device_ready(struct virtio_device *vdev)
{
	add_status(vdev, VIRTIO_STATUS_DRIVER_OK);
}

static u64 read_device_features(struct virtio_device *vdev)
{
	volatile struct virtio_pci_common_cfg *cc = vdev->common;
	u64 lo, hi;

	cc->device_feature_select = 0;
	lo = cc->device_feature;
	cc->device_feature_select = 1;
	hi = cc->device_feature;
	return hi << 32 | lo;
}

static void write_driver_features(struct virtio_device *vdev, u64 f)
{
	volatile struct virtio_pci_common_cfg *cc = vdev->common;

	cc->driver_feature_select = 0;
	cc->driver_feature = (u32)f;
	cc->driver_feature_select = 1;
	cc->driver_feature = (u32)(f >> 32);
}

int virtio_negotiate(struct virtio_device *vdev, u64 wanted)
{
	u64 f;

	vdev->features_offered = read_device_features(vdev);
	/* A device that can't be used without an IOMMU in the way may
	 * insist on ACCESS_PLATFORM; with no IOMMU, DMA addresses are
	 * physical either way, so accepting it costs nothing. */
	f = (wanted | VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM)) &
	    vdev->features_offered;
	if (!(f & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		pr_warn("virtio: %s: VERSION_1 not offered (legacy device)\n",
			vdev->name);
		add_status(vdev, VIRTIO_STATUS_FAILED);
		return -EIO;
	}
	write_driver_features(vdev, f);
	add_status(vdev, VIRTIO_STATUS_FEATURES_OK);
	/* Spec 3.1.1 step 6: the device may refuse the subset. */
	if (!(virtio_get_status(vdev) & VIRTIO_STATUS_FEATURES_OK)) {
		pr_warn("virtio: %s: device refused features 0x%llx\n",
			vdev->name, f);
		add_status(vdev, VIRTIO_STATUS_FAILED);
		return -EIO;
	}
	vdev->features = f;
	return 0;
}

static void start_init(struct virtio_device *vdev)
{
	virtio_reset(vdev);
	add_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(vdev, VIRTIO_STATUS_DRIVER);
}

int virtio_reinit(struct virtio_device *vdev, u64 wanted)
{
	start_init(vdev);
	return virtio_negotiate(vdev, wanted);
}

int virtio_pci_probe(struct virtio_device *vdev, struct pci_dev *pdev)
{
	int rc;

	memset(vdev, 0, sizeof(*vdev));
	vdev->pdev = pdev;
	snprintf(vdev->name, sizeof(vdev->name), "%s", pdev->name);
	pci_enable_device(pdev);
	rc = find_vcaps(vdev);
	if (rc) {
		pr_warn("virtio: %s: no modern virtio capabilities\n",
			vdev->name);
		return rc;
	}
	vdev->num_queues = vdev->common->num_queues;
	start_init(vdev);
	return 0;
}

/* ---- device configuration ------------------------------------------------ */

static void cread_once(volatile u8 *p, void *buf, u32 len)
{
	if (len == 1) {
		*(u8 *)buf = *p;
	} else if (len == 2) {
		u16 v = *(volatile u16 *)p;
		memcpy(buf, &v, 2);
	} else if (len == 4) {
		u32 v = *(volatile u32 *)p;
		memcpy(buf, &v, 4);
	} else {
		for (u32 i = 0; i < len; i++)
			((u8 *)buf)[i] = p[i];
	}
}

int virtio_cread(struct virtio_device *vdev, u32 offset, void *buf, u32 len)
{
	u8 gen;

	if (!vdev->device_cfg || (u64)offset + len > vdev->device_cfg_len)
		return -EIO;
	/* Spec 2.5.1: retry until the generation did not change. */
	do {
		gen = vdev->common->config_generation;
		cread_once(vdev->device_cfg + offset, buf, len);
	} while (gen != vdev->common->config_generation);
	return 0;
}

/* ---- interrupts ---------------------------------------------------------- */

static void call_vq_callbacks(struct virtio_device *vdev)
{
	bool any = false;

	for (unsigned i = 0; i < vdev->nvqs; i++) {
		if (!virtqueue_more_used(vdev->vqs[i]))
			continue;
		any = true;
		if (vdev->vq_cb[i])
			vdev->vq_cb[i](vdev->vq_cb_arg[i]);
	}
	if (!any)
		vdev->irqs_spurious++;
}

static void call_config_callback(struct virtio_device *vdev)
{
	if (vdev->config_cb)
		vdev->config_cb(vdev->config_cb_arg);
}

/* MSI-X entry shared by every queue. */
static void vqs_irq(void *arg)
{
	call_vq_callbacks(arg);
}

/* MSI-X entry 0 only: configuration changes. */
static void config_irq(void *arg)
{
	call_config_callback(arg);
}

/* MSI-X with one entry: anything may have happened. Without an ISR to
 * ask, a configuration change shows as a new config_generation. */
static void all_irq(void *arg)
{
	struct virtio_device *vdev = arg;
	u8 gen = vdev->common->config_generation;

	if (gen != vdev->config_generation) {
		vdev->config_generation = gen;
		call_config_callback(vdev);
	}
	call_vq_callbacks(vdev);
}

/* Spec 4.1.4.5: with INTx the ISR byte says why; reading clears it. A
 * zero means a neighbour on the shared line interrupted. */
static void intx_irq(void *arg)
{
	struct virtio_device *vdev = arg;
	u8 isr = *vdev->isr;

	if (!isr) {
		vdev->irqs_spurious++;
		return;
	}
	if (isr & VIRTIO_ISR_CONFIG)
		call_config_callback(vdev);
	if (isr & VIRTIO_ISR_QUEUE)
		call_vq_callbacks(vdev);
}

const char *virtio_irq_plan_name(const struct virtio_device *vdev)
{
	static const char *const names[] = {
	    "none", "MSI-X per queue", "MSI-X shared", "MSI-X single", "INTx"};
	return vdev->irq_plan < ARRAY_SIZE(names) ? names[vdev->irq_plan] : "?";
}

/* Get vectors: one per queue plus config if possible, else fewer. */
static int plan_irqs(struct virtio_device *vdev, unsigned nvqs)
{
	struct pci_dev *pdev = vdev->pdev;
	int n = pci_alloc_irq_vectors(pdev, 1, nvqs + 1,
				      PCI_IRQ_MSIX | PCI_IRQ_INTX);

	if (n < 0)
		return n;
	if (pdev->irq_mode != PCI_IRQ_MODE_MSIX)
		vdev->irq_plan = VIRTIO_IRQ_INTX;
	else if ((unsigned)n >= nvqs + 1)
		vdev->irq_plan = VIRTIO_IRQ_MSIX_PER_VQ;
	else if (n >= 2)
		vdev->irq_plan = VIRTIO_IRQ_MSIX_SHARED;
	else
		vdev->irq_plan = VIRTIO_IRQ_MSIX_ONE;
	return 0;
}

/* The MSI-X entry queue i (or the config, i < 0) signals on. */
static u16 msix_entry_for(const struct virtio_device *vdev, int i)
{
	switch (vdev->irq_plan) {
	case VIRTIO_IRQ_MSIX_PER_VQ:
		return (u16)(i < 0 ? 0 : i + 1);
	case VIRTIO_IRQ_MSIX_SHARED:
		return i < 0 ? 0 : 1;
	case VIRTIO_IRQ_MSIX_ONE:
		return 0;
	default:
		return VIRTIO_MSI_NO_VECTOR;
	}
}

static int request_irqs(struct virtio_device *vdev,
			const struct virtio_vq_info info[])
{
	struct pci_dev *pdev = vdev->pdev;
	const char *cfg = vdev->config_irq_name;
	int rc;

	snprintf(vdev->config_irq_name, sizeof(vdev->config_irq_name),
		 "virtio-%s", vdev->name);
	switch (vdev->irq_plan) {
	case VIRTIO_IRQ_MSIX_PER_VQ:
		rc = pci_request_irq(pdev, 0, config_irq, vdev, cfg);
		for (unsigned i = 0; i < vdev->nvqs && !rc; i++)
			rc = pci_request_irq(pdev, i + 1, vdev->vq_cb[i],
					     vdev->vq_cb_arg[i], info[i].name);
		return rc;
	case VIRTIO_IRQ_MSIX_SHARED:
		rc = pci_request_irq(pdev, 0, config_irq, vdev, cfg);
		return rc ? rc : pci_request_irq(pdev, 1, vqs_irq, vdev, cfg);
	case VIRTIO_IRQ_MSIX_ONE:
		return pci_request_irq(pdev, 0, all_irq, vdev, cfg);
	default:
		return pci_request_irq(pdev, 0, intx_irq, vdev, cfg);
	}
}

/* Spec 4.1.5.1.2: map an event to an entry and check the device took it. */
static int set_vector(volatile u16 *reg, u16 entry)
{
	*reg = entry;
	return *reg == entry ? 0 : -EIO;
}

/* ---- queues -------------------------------------------------------------- */

static void vp_notify(struct virtqueue *vq)
{
	/* Spec 4.1.5.2: without NOTIFICATION_DATA, write the queue index. */
	*(volatile u16 *)vq->notify_addr = vq->index;
}

static unsigned ring_order(u16 num)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < vring_size(num))
		order++;
	return order;
}

static u16 pick_size(u16 dev_size, u16 max_size)
{
	u16 num = dev_size;

	if (max_size && max_size < num) {
		num = 1;
		while ((u16)(num << 1) <= max_size && num < VIRTQ_MAX_SIZE)
			num <<= 1;
	}
	return num;
}

static void write_addr(volatile u32 *lo, volatile u32 *hi, const void *p)
{
	u64 pa = virt_to_phys(p);

	*lo = (u32)pa;
	*hi = (u32)(pa >> 32);
}

/* Allocate queue i's ring and its struct virtqueue. */
static struct virtqueue *alloc_vq(struct virtio_device *vdev, unsigned i,
				  u16 num)
{
	unsigned order = ring_order(num);
	void *ring = alloc_pages(order);
	struct virtqueue *vq;

	if (!ring)
		return NULL;
	memset(ring, 0, PAGE_SIZE << order);
	vq = virtqueue_create((u16)i, num, ring,
			      virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX),
			      vp_notify);
	if (!vq) {
		free_pages(ring, order);
		return NULL;
	}
	vdev->ring_order[i] = (u8)order;
	return vq;
}

/* Spec 4.1.5.1.3, for queue i (selected). */
static int setup_vq(struct virtio_device *vdev, unsigned i,
		    const struct virtio_vq_info *info)
{
	volatile struct virtio_pci_common_cfg *cc = vdev->common;
	struct virtqueue *vq;
	u64 notify_off;
	u16 num;

	cc->queue_select = (u16)i;
	if (cc->queue_size == 0 || cc->queue_enable)
		return -ENOENT;
	num = pick_size(cc->queue_size, info->max_size);
	notify_off = (u64)cc->queue_notify_off * vdev->notify_off_multiplier;
	if (notify_off + 2 > vdev->notify_len)
		return -EIO;
	vq = alloc_vq(vdev, i, num);
	if (!vq)
		return -ENOMEM;
	vdev->vqs[i] = vq;
	vq->notify_addr = (void *)(vdev->notify_base + notify_off);
	cc->queue_size = num;
	write_addr(&cc->queue_desc_lo, &cc->queue_desc_hi, vq->desc);
	write_addr(&cc->queue_driver_lo, &cc->queue_driver_hi, vq->avail);
	write_addr(&cc->queue_device_lo, &cc->queue_device_hi, vq->used);
	if (vdev->irq_plan != VIRTIO_IRQ_INTX &&
	    set_vector(&cc->queue_msix_vector, msix_entry_for(vdev, (int)i)))
		return -EIO;
	cc->queue_enable = 1;
	return 0;
}

static void free_vq(struct virtio_device *vdev, unsigned i)
{
	struct virtqueue *vq = vdev->vqs[i];

	if (!vq)
		return;
	free_pages(vq->desc, vdev->ring_order[i]);
	virtqueue_free(vq);
	vdev->vqs[i] = NULL;
}

void virtio_del_vqs(struct virtio_device *vdev)
{
	for (unsigned i = 0; i < VIRTIO_MAX_VQS; i++)
		free_vq(vdev, i);
	if (vdev->irq_plan != VIRTIO_IRQ_NONE)
		pci_free_irq_vectors(vdev->pdev);
	vdev->irq_plan = VIRTIO_IRQ_NONE;
	vdev->nvqs = 0;
}

static int setup_all_vqs(struct virtio_device *vdev, unsigned nvqs,
			 const struct virtio_vq_info info[])
{
	int rc;

	for (unsigned i = 0; i < nvqs; i++) {
		vdev->vq_cb[i] = info[i].callback;
		vdev->vq_cb_arg[i] = info[i].arg;
		rc = setup_vq(vdev, i, &info[i]);
		if (rc) {
			pr_warn("virtio: %s: queue %u setup failed (%d)\n",
				vdev->name, i, rc);
			return rc;
		}
	}
	if (vdev->irq_plan != VIRTIO_IRQ_INTX &&
	    set_vector(&vdev->common->config_msix_vector,
		       msix_entry_for(vdev, -1))) {
		pr_warn("virtio: %s: config vector refused\n", vdev->name);
		return -EIO;
	}
	return 0;
}

int virtio_find_vqs(struct virtio_device *vdev, unsigned nvqs,
		    struct virtqueue *vqs[], const struct virtio_vq_info info[],
		    virtio_irq_fn config_cb, void *config_arg)
{
	int rc;

	if (nvqs == 0 || nvqs > VIRTIO_MAX_VQS || nvqs > vdev->num_queues)
		return -EINVAL;
	vdev->config_cb = config_cb;
	vdev->config_cb_arg = config_arg;
	vdev->config_generation = vdev->common->config_generation;
	rc = plan_irqs(vdev, nvqs);
	if (rc) {
		pr_warn("virtio: %s: no interrupt (%d)\n", vdev->name, rc);
		return rc;
	}
	vdev->nvqs = (u8)nvqs;
	rc = setup_all_vqs(vdev, nvqs, info);
	if (!rc)
		rc = request_irqs(vdev, info);
	if (rc) {
		virtio_reset(vdev); /* the device forgets the rings first */
		virtio_del_vqs(vdev);
		return rc;
	}
	for (unsigned i = 0; i < nvqs; i++)
		vqs[i] = vdev->vqs[i];
	return 0;
}
