/*
 * sched.c - the transmit queue in front of each driver: pfifo_fast, and
 * NET_TX_SOFTIRQ which restarts a queue the driver had stopped.
 *
 *   dev_queue_xmit -> qdisc_xmit: enqueue by band, qdisc_run_locked
 *   qdisc_run_locked (dev->tx_lock held, softirqs off):
 *       dequeue band 0 first -> ndo_start_xmit; NETDEV_TX_BUSY: requeue
 *       at the head and stop; at most QDISC_QUOTA frames, then one
 *       ndo_flush_xmit (the doorbell) for the whole batch
 *   netif_wake_queue (any context) -> netif_schedule_q -> NET_TX_SOFTIRQ
 *       -> net_tx_action -> qdisc_run_locked
 *
 * pfifo_fast (Linux sch_generic.c): three FIFO bands, band 0 served
 * first, a frame's band from its priority through prio2band. Skiff has no
 * per-socket priority, so the priority comes from the IPv4 TOS byte the
 * way Linux derives it when a socket sets IP_TOS (rt_tos2priority):
 * low-delay traffic goes to band 0, bulk to band 2, the rest to band 1.
 * The limit, dev->tx_queue_len, counts frames over all bands; a frame
 * beyond it is dropped (tail drop) and counted.
 *
 * Doorbell batching (Linux's xmit_more, per CPU): between
 * netdev_xmit_batch_begin and _end (the apps' turn in the idle loop,
 * net_rx_action) a qdisc run hands frames to the driver but defers the
 * doorbell; _end rings it once for each device that has frames waiting.
 * Responses to many requests, or to every ACK of one NAPI poll, then
 * cost one MMIO write. A full ring (BUSY) rings at once.
 *
 * A stopped queue and a wake-up that races with it: the BUSY path sets
 * `stopped` and then takes `wake_pending`; netif_wake_queue sets
 * `wake_pending` and then reads `stopped`. With sequentially consistent
 * atomics at least one side sees the other, so no wake-up is lost.
 */
#include <errno.h>
#include <stdlib.h>

#include <skiff/net/ether.h>
#include <skiff/netdevice.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/softirq.h>
#include <skiff/trace.h>

#include <skiff/net/netcore.h>

struct qdisc {
	struct net_device *dev;
	bool
	    flush_deferred; /* frames handed over, doorbell not rung; tx_lock */
	struct sk_buff_head band[PFIFO_FAST_BANDS]; /* under dev->tx_lock */
	u32 qlen;				    /* all bands; tx_lock */
	bool stopped;		      /* driver said BUSY; atomic */
	u32 wake_pending;	      /* netif_wake_queue since; atomic */
	u32 scheduled;		      /* on an output queue; atomic */
	struct list_head output_link; /* on output_queue[cpu] */
	struct qdisc_stats stats;     /* tx_lock */
};

/* Qdiscs waiting for NET_TX_SOFTIRQ, per CPU (Linux's output_queue). */
struct output_queue {
	spinlock_t lock;
	struct list_head list;
};
static struct output_queue output_queue[NET_MAX_CPUS];
static struct lock_class output_queue_class = {.name = "output_queue"};

/* Linux's prio2band for pfifo_fast: TC_PRIO_* -> band. */
static const u8 prio2band[16] = {1, 2, 2, 2, 1, 2, 0, 0,
				 1, 1, 1, 1, 1, 1, 1, 1};
/* Linux's ip_tos2prio, indexed by the RFC 1349 TOS bits (tos & 0x1e) >> 1:
 * best effort 0, bulk (max throughput) 2, interactive (low delay) 6,
 * interactive bulk 4. */
static const u8 ip_tos2prio[16] = {0, 0, 0, 0, 2, 2, 2, 2,
				   6, 6, 6, 6, 4, 4, 4, 4};

#define ETH_TYPE_OFFSET 12
#define IPV4_TOS_OFFSET (ETH_HLEN + 1)

u32 pfifo_fast_band(const struct sk_buff *skb)
{
	const u8 *d = skb->data;
	if (skb->len <= IPV4_TOS_OFFSET ||
	    ((d[ETH_TYPE_OFFSET] << 8) | d[ETH_TYPE_OFFSET + 1]) != ETH_P_IP)
		return prio2band[0];
	u8 tos = d[IPV4_TOS_OFFSET];
	return prio2band[ip_tos2prio[(tos & 0x1e) >> 1]];
}

int qdisc_create_default(struct net_device *dev)
{
	if (dev->qdisc)
		return 0;
	struct qdisc *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->dev = dev;
	for (int b = 0; b < PFIFO_FAST_BANDS; b++)
		skb_queue_head_init(&q->band[b]);
	INIT_LIST_HEAD(&q->output_link);
	dev->qdisc = q;
	return 0;
}

void qdisc_destroy(struct net_device *dev)
{
	if (!dev->qdisc)
		return;
	qdisc_reset(dev);
	free(dev->qdisc);
	dev->qdisc = NULL;
}

static struct sk_buff *pfifo_fast_dequeue(struct qdisc *q, u32 *band)
{
	for (u32 b = 0; b < PFIFO_FAST_BANDS; b++) {
		struct sk_buff *skb = skb_dequeue(&q->band[b]);
		if (skb) {
			q->qlen--;
			*band = b;
			return skb;
		}
	}
	return NULL;
}

/* Put q on this CPU's output queue and raise NET_TX_SOFTIRQ. */
static void netif_schedule_q(struct qdisc *q)
{
	if (__atomic_exchange_n(&q->scheduled, 1, __ATOMIC_ACQ_REL))
		return;
	u32 cpu = this_cpu_id();
	BUG_ON(cpu >= NET_MAX_CPUS);
	struct output_queue *oq = &output_queue[cpu];
	unsigned long flags = spin_lock_irqsave(&oq->lock);
	list_add_tail(&q->output_link, &oq->list);
	spin_unlock_irqrestore(&oq->lock, flags);
	raise_softirq(NET_TX_SOFTIRQ);
}

/* The driver refused skb (ring full): back to the head, and stop. */
static void qdisc_requeue(struct qdisc *q, struct sk_buff *skb, u32 band)
{
	skb_queue_head(&q->band[band], skb);
	q->qlen++;
	q->stats.requeues++;
	q->dev->stats.tx_busy++;
	__atomic_store_n(&q->stopped, true, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&q->wake_pending, 0, __ATOMIC_SEQ_CST)) {
		/* Space was reclaimed meanwhile: try again from NET_TX. */
		__atomic_store_n(&q->stopped, false, __ATOMIC_SEQ_CST);
		netif_schedule_q(q);
	}
}

/* Per CPU: batch depth and the qdiscs whose doorbell waits for _end.
 * Touched only with softirqs off (tx_lock held) or by the CPU itself. */
struct xmit_batch {
	u32 depth;
	u32 n;
	struct qdisc *pending[NETDEV_MAX];
};
static struct xmit_batch xmit_batch[NET_MAX_CPUS];

static struct xmit_batch *this_batch(void)
{
	u32 cpu = this_cpu_id();
	BUG_ON(cpu >= NET_MAX_CPUS);
	return &xmit_batch[cpu];
}

/* Ring the doorbell (now: a full ring, or the batch's end), or note it
 * for netdev_xmit_batch_end. */
static void qdisc_doorbell(struct qdisc *q, bool now)
{
	struct xmit_batch *b = this_batch();
	if (!q->dev->ops->ndo_flush_xmit)
		return;
	if (b->depth && !now && (q->flush_deferred || b->n < NETDEV_MAX)) {
		if (!q->flush_deferred)
			b->pending[b->n++] = q;
		q->flush_deferred = true;
		q->stats.deferred++;
		return;
	}
	q->flush_deferred = false;
	q->stats.doorbells++;
	q->dev->ops->ndo_flush_xmit(q->dev);
}

void netdev_xmit_batch_begin(void)
{
	local_bh_disable();
	this_batch()->depth++;
	local_bh_enable();
}

void netdev_xmit_batch_end(void)
{
	local_bh_disable();
	struct xmit_batch *b = this_batch();
	BUG_ON(b->depth == 0);
	if (--b->depth == 0) {
		for (u32 i = 0; i < b->n; i++) {
			struct qdisc *q = b->pending[i];
			spin_lock(&q->dev->tx_lock);
			if (q->flush_deferred)
				qdisc_doorbell(q, true);
			spin_unlock(&q->dev->tx_lock);
		}
		b->n = 0;
	}
	local_bh_enable();
}

/* Hand queued frames to the driver; dev->tx_lock held. */
static void qdisc_run_locked(struct qdisc *q)
{
	struct net_device *dev = q->dev;
	int sent = 0;
	bool busy = false;

	if (__atomic_exchange_n(&q->wake_pending, 0, __ATOMIC_SEQ_CST))
		__atomic_store_n(&q->stopped, false, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&q->stopped, __ATOMIC_SEQ_CST) &&
	       sent < QDISC_QUOTA) {
		u32 band;
		struct sk_buff *skb = pfifo_fast_dequeue(q, &band);
		if (!skb)
			break;
		u32 len = skb->len; /* the driver owns skb once it says OK */
		dev_tap(skb, true); /* seen again if requeued, as Linux */
		if (dev->ops->ndo_start_xmit(skb, dev) == NETDEV_TX_BUSY) {
			trace(TRACE_DRIVERS, "%s tx ring full, requeued",
			      dev->name);
			qdisc_requeue(q, skb, band);
			busy = true;
			break;
		}
		sent++;
		q->stats.packets++;
		q->stats.bytes += len;
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
	}
	if (sent || (busy && q->flush_deferred))
		qdisc_doorbell(q, busy);
	if (q->qlen && !__atomic_load_n(&q->stopped, __ATOMIC_SEQ_CST))
		netif_schedule_q(q); /* quota used up: continue later */
}

int qdisc_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct qdisc *q = dev->qdisc;
	u32 band = pfifo_fast_band(skb);
	u64 limit = MAX(dev->tx_queue_len, 1ULL);

	spin_lock_bh(&dev->tx_lock);
	if (q->qlen >= limit) {
		q->stats.drops++;
		dev->stats.tx_dropped++;
		spin_unlock_bh(&dev->tx_lock);
		kfree_skb(skb);
		return -ENOBUFS;
	}
	skb_queue_tail(&q->band[band], skb);
	q->qlen++;
	qdisc_run_locked(q);
	spin_unlock_bh(&dev->tx_lock);
	return 0;
}

void netif_wake_queue(struct net_device *dev)
{
	struct qdisc *q = dev->qdisc;
	if (!q)
		return;
	__atomic_store_n(&q->wake_pending, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&q->stopped, __ATOMIC_SEQ_CST) ||
	    READ_ONCE(q->qlen))
		netif_schedule_q(q);
}

void qdisc_reset(struct net_device *dev)
{
	struct qdisc *q = dev->qdisc;
	struct sk_buff_head dropped;
	skb_queue_head_init(&dropped);
	spin_lock_bh(&dev->tx_lock);
	for (int b = 0; b < PFIFO_FAST_BANDS; b++) {
		struct sk_buff *skb;
		while ((skb = skb_dequeue(&q->band[b])))
			skb_queue_tail(&dropped, skb);
	}
	q->qlen = 0;
	__atomic_store_n(&q->stopped, false, __ATOMIC_SEQ_CST);
	spin_unlock_bh(&dev->tx_lock);
	skb_queue_purge(&dropped);
}

void qdisc_get_stats(const struct net_device *dev, struct qdisc_stats *s)
{
	const struct qdisc *q = dev->qdisc;
	*s = q->stats;
	s->qlen = q->qlen;
	s->backlog_bytes = 0;
	for (int b = 0; b < PFIFO_FAST_BANDS; b++)
		s->backlog_bytes += q->band[b].bytes;
	s->stopped = __atomic_load_n(&q->stopped, __ATOMIC_RELAXED);
}

/* NET_TX_SOFTIRQ: run every qdisc scheduled on this CPU. */
static void net_tx_action(void)
{
	u32 cpu = this_cpu_id();
	struct output_queue *oq = &output_queue[cpu];
	LIST_HEAD(list);

	unsigned long flags = spin_lock_irqsave(&oq->lock);
	list_splice_tail_init(&oq->list, &list);
	spin_unlock_irqrestore(&oq->lock, flags);
	while (!list_empty(&list)) {
		struct qdisc *q =
		    list_first_entry(&list, struct qdisc, output_link);
		list_del_init(&q->output_link);
		__atomic_store_n(&q->scheduled, 0, __ATOMIC_SEQ_CST);
		spin_lock_bh(&q->dev->tx_lock);
		qdisc_run_locked(q);
		spin_unlock_bh(&q->dev->tx_lock);
	}
}

void net_sched_init(void)
{
	for (int i = 0; i < NET_MAX_CPUS; i++) {
		spin_lock_init(&output_queue[i].lock, &output_queue_class);
		INIT_LIST_HEAD(&output_queue[i].list);
	}
	open_softirq(NET_TX_SOFTIRQ, net_tx_action);
}
