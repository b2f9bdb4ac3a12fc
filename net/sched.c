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
 * The token-bucket shaper (Linux sch_tbf, `tc qdisc replace ... tbf` or
 * the tbf.* keys) sits in front of the bands: tokens are nanoseconds of
 * sending time at the rate, at most the burst's worth; the head frame
 * leaves only when the bucket holds its cost, else the qdisc is throttled
 * and a timer (the watchdog, at the jiffy when the tokens will be there)
 * schedules it again. Frames beyond the burst are dropped (GSO frames
 * are cut to size before they get here, dev->tx_max_frame); the queue is
 * also bounded in bytes by rate x latency + burst.
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
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/timer.h>
#include <skiff/time.h>
#include <skiff/trace.h>
#include <skiff/config.h>
#include <stdio.h>
#include <string.h>

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
	/* tbf, all under tx_lock; tbf.rate 0: not shaping */
	struct tbf_params tbf;
	u64 buffer_ns;		    /* the burst's cost: a full bucket */
	s64 tokens_ns;		    /* in the bucket at t_c */
	u64 t_c;		    /* ktime of the last departure */
	bool throttled;		    /* waiting for the watchdog */
	struct timer_list watchdog; /* fires when the head frame may go */
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

static void tbf_watchdog(struct timer_list *t);

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
	kernel_timer_setup(&q->watchdog, tbf_watchdog);
	dev->qdisc = q;
	return 0;
}

void qdisc_destroy(struct net_device *dev)
{
	if (!dev->qdisc)
		return;
	qdisc_reset(dev);
	del_timer_sync(&dev->qdisc->watchdog);
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

static u32 qdisc_backlog_bytes(const struct qdisc *q)
{
	u64 bytes = 0;
	for (int b = 0; b < PFIFO_FAST_BANDS; b++)
		bytes += q->band[b].bytes;
	return (u32)MIN(bytes, (u64)UINT32_MAX);
}

/* ---- tbf ---- */

static u64 tbf_cost_ns(const struct qdisc *q, u32 len)
{
	return (u64)len * NSEC_PER_SEC / q->tbf.rate;
}

/* The head frame if the bucket holds its cost (taken out: *cost), else
 * NULL with the watchdog set for when it will. */
static struct sk_buff *tbf_dequeue(struct qdisc *q, u32 *band, u64 *cost)
{
	struct sk_buff *head = NULL;
	for (u32 b = 0; b < PFIFO_FAST_BANDS && !head; b++)
		head = skb_peek(&q->band[b]);
	if (!head)
		return NULL;
	u64 now = ktime_get_ns();
	s64 toks = q->tokens_ns + (s64)(now - q->t_c);
	if (toks > (s64)q->buffer_ns)
		toks = (s64)q->buffer_ns;
	s64 need = (s64)tbf_cost_ns(q, head->len);
	if (toks < need) {
		if (!q->throttled)
			q->stats.overlimits++;
		q->throttled = true;
		mod_timer(&q->watchdog, DIV_ROUND_UP(now + (u64)(need - toks),
						     NSEC_PER_JIFFY));
		return NULL;
	}
	q->tokens_ns = toks - need;
	q->t_c = now;
	q->throttled = false;
	*cost = (u64)need;
	return pfifo_fast_dequeue(q, band);
}

static struct sk_buff *qdisc_dequeue(struct qdisc *q, u32 *band, u64 *cost)
{
	*cost = 0;
	if (q->tbf.rate)
		return tbf_dequeue(q, band, cost);
	return pfifo_fast_dequeue(q, band);
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

/* The driver refused skb (ring full): back to the head, and stop. Its
 * tokens go back into the bucket. */
static void qdisc_requeue(struct qdisc *q, struct sk_buff *skb, u32 band,
			  u64 cost)
{
	q->tokens_ns += (s64)cost;
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
		u64 cost;
		struct sk_buff *skb = qdisc_dequeue(q, &band, &cost);
		if (!skb)
			break;
		u32 len = skb->len; /* the driver owns skb once it says OK */
		dev_tap(skb, true); /* seen again if requeued, as Linux */
		if (dev->ops->ndo_start_xmit(skb, dev) == NETDEV_TX_BUSY) {
			trace(TRACE_DRIVERS, "%s tx ring full, requeued",
			      dev->name);
			qdisc_requeue(q, skb, band, cost);
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
	if (q->qlen && !q->throttled &&
	    !__atomic_load_n(&q->stopped, __ATOMIC_SEQ_CST))
		netif_schedule_q(q); /* quota used up: continue later */
}

int qdisc_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct qdisc *q = dev->qdisc;
	u32 band = pfifo_fast_band(skb);
	u64 limit = MAX(dev->tx_queue_len, 1ULL);

	int err = 0;

	spin_lock_bh(&dev->tx_lock);
	if (unlikely(q->tbf.rate) && skb->len > q->tbf.burst) {
		q->stats.oversize++; /* could never leave the bucket */
		err = -EMSGSIZE;
	} else if (q->qlen >= limit ||
		   (unlikely(q->tbf.rate) &&
		    qdisc_backlog_bytes(q) + skb->len > q->tbf.limit)) {
		err = -ENOBUFS;
	}
	if (err) {
		q->stats.drops++;
		dev->stats.tx_dropped++;
		spin_unlock_bh(&dev->tx_lock);
		kfree_skb(skb);
		return err;
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
	s->backlog_bytes = qdisc_backlog_bytes(q);
	s->stopped = __atomic_load_n(&q->stopped, __ATOMIC_RELAXED);
	s->throttled = q->throttled;
	s->tbf = q->tbf;
}

/* The watchdog: the head frame's tokens are there (TIMER_SOFTIRQ). */
static void tbf_watchdog(struct timer_list *t)
{
	struct qdisc *q = container_of(t, struct qdisc, watchdog);
	spin_lock_bh(&q->dev->tx_lock);
	q->throttled = false;
	spin_unlock_bh(&q->dev->tx_lock);
	netif_schedule_q(q);
}

u32 tbf_auto_burst(u64 rate, u16 mtu)
{
	u64 b = MAX(rate / 100, 4ULL * (mtu + ETH_HLEN));
	return (u32)MIN(b, (u64)UINT32_MAX);
}

int qdisc_set_tbf(struct net_device *dev, const struct tbf_params *p, char *why,
		  size_t n)
{
	struct qdisc *q = dev->qdisc;
	struct tbf_params t = {0};
	if (!q)
		return -ENODEV;
	if (p && p->rate) {
		u32 frame = dev->mtu + ETH_HLEN;
		u64 tick = DIV_ROUND_UP(p->rate, HZ);
		t = *p;
		if (t.burst < frame) {
			snprintf(why, n,
				 "burst %u bytes is less than one frame (%u "
				 "bytes at mtu %u)",
				 t.burst, frame, dev->mtu);
			return -EINVAL;
		}
		if (t.burst < tick) {
			snprintf(why, n,
				 "burst %u bytes is less than 1 ms at the rate "
				 "(%llu bytes)",
				 t.burst, (unsigned long long)tick);
			return -EINVAL;
		}
		if (!t.limit) {
			u64 l = t.rate * t.latency_ms / 1000 + t.burst;
			t.limit = (u32)MIN(l, (u64)UINT32_MAX);
		}
		if (t.limit < t.burst) {
			snprintf(why, n,
				 "limit %u bytes is less than the burst",
				 t.limit);
			return -EINVAL;
		}
	}
	spin_lock_bh(&dev->tx_lock);
	q->tbf = t;
	q->buffer_ns = t.rate ? tbf_cost_ns(q, t.burst) : 0;
	q->tokens_ns = (s64)q->buffer_ns; /* the bucket starts full */
	q->t_c = ktime_get_ns();
	q->throttled = false;
	WRITE_ONCE(dev->tx_max_frame, t.rate ? t.burst : 0);
	bool queued = q->qlen != 0;
	spin_unlock_bh(&dev->tx_lock);
	if (!t.rate)
		del_timer(&q->watchdog);
	if (queued)
		netif_schedule_q(q);
	return 0;
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

/* ---- tc ------------------------------------------------------------------ */

static void tc_show(struct net_device *dev, void *ctx)
{
	struct qdisc_stats s;
	char rate[32];
	(void)ctx;
	if (!dev->qdisc)
		return;
	qdisc_get_stats(dev, &s);
	if (s.tbf.rate) {
		format_rate(s.tbf.rate * 8, rate, sizeof(rate));
		shell_printf("qdisc tbf 1: root dev %s rate %s burst %ub limit "
			     "%ub lat %ums (bands 3 inside)\n",
			     dev->name, rate, s.tbf.burst, s.tbf.limit,
			     s.tbf.latency_ms);
	} else {
		shell_printf("qdisc pfifo_fast 0: root dev %s bands 3 limit "
			     "%llup\n",
			     dev->name, (unsigned long long)dev->tx_queue_len);
	}
	shell_printf(" Sent %llu bytes %llu pkt (dropped %llu, overlimits %llu "
		     "requeues %llu)\n",
		     (unsigned long long)s.bytes, (unsigned long long)s.packets,
		     (unsigned long long)s.drops,
		     (unsigned long long)s.overlimits,
		     (unsigned long long)s.requeues);
	shell_printf(" backlog %llub %up%s%s\n",
		     (unsigned long long)s.backlog_bytes, s.qlen,
		     s.throttled ? ", throttled" : "",
		     s.stopped ? ", driver queue stopped" : "");
	if (s.tbf.rate || s.oversize)
		shell_printf(" dropped beyond the burst %llu\n",
			     (unsigned long long)s.oversize);
}

/* "50ms", "50" (ms) or "1s". */
static int tc_parse_ms(const char *v, u32 *ms)
{
	size_t len = strlen(v);
	u32 mult = 1;
	if (len > 2 && strcmp(v + len - 2, "ms") == 0) {
		len -= 2;
	} else if (len > 1 && v[len - 1] == 's') {
		len -= 1;
		mult = 1000;
	}
	u32 x = 0;
	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (u32)(v[i] - '0');
	}
	x *= mult;
	if (x < 1 || x > TBF_LATENCY_MAX_MS)
		return -1;
	*ms = x;
	return 0;
}

/* tbf's words after "tbf": rate R [burst B] [latency L | limit B]. */
static int tc_parse_tbf(int argc, char **argv, struct net_device *dev,
			struct tbf_params *p)
{
	u64 bits = 0;
	u32 burst = 0;
	bool have_latency = false;
	memset(p, 0, sizeof(*p));
	p->latency_ms = TBF_LATENCY_DEFAULT_MS;
	for (int i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			shell_printf("tc: '%s' needs a value\n", k);
			return -1;
		}
		if (strcmp(k, "rate") == 0) {
			if (parse_rate(v, strlen(v), &bits) ||
			    bits < TBF_RATE_MIN_BITS) {
				shell_printf("tc: bad rate '%s' (want at least "
					     "8kbit, like 10mbit: bit, kbit, "
					     "mbit, gbit)\n",
					     v);
				return -1;
			}
		} else if (strcmp(k, "burst") == 0 ||
			   strcmp(k, "buffer") == 0 ||
			   strcmp(k, "maxburst") == 0) {
			if (parse_size(v, strlen(v), &burst) || burst == 0) {
				shell_printf("tc: bad burst '%s' (want bytes, "
					     "like 32k: b, k, kb, m, mb)\n",
					     v);
				return -1;
			}
		} else if (strcmp(k, "latency") == 0) {
			if (tc_parse_ms(v, &p->latency_ms)) {
				shell_printf("tc: bad latency '%s' (want "
					     "1..10000 ms, like 50ms)\n",
					     v);
				return -1;
			}
			have_latency = true;
		} else if (strcmp(k, "limit") == 0) {
			if (parse_size(v, strlen(v), &p->limit) ||
			    p->limit == 0) {
				shell_printf("tc: bad limit '%s' (want bytes, "
					     "like 64k)\n",
					     v);
				return -1;
			}
		} else {
			shell_printf("tc: tbf has no parameter '%s' (rate, "
				     "burst, latency, limit)\n",
				     k);
			return -1;
		}
	}
	if (!bits) {
		shell_printf("tc: tbf needs a rate\n");
		return -1;
	}
	if (have_latency && p->limit) {
		shell_printf("tc: give latency or limit, not both\n");
		return -1;
	}
	p->rate = bits / 8;
	p->burst = burst ? burst : tbf_auto_burst(p->rate, dev->mtu);
	return 0;
}

/*
 * tc qdisc [show] [dev DEV]
 * tc qdisc replace|add|change dev DEV root tbf rate R [burst B]
 *                                             [latency L | limit B]
 * tc qdisc del dev DEV root
 * ("-s" is accepted and ignored: the counters are always shown.)
 */
static int cmd_tc(int argc, char **argv)
{
	int i = 1;
	while (i < argc && strcmp(argv[i], "-s") == 0)
		i++;
	if (i >= argc || strcmp(argv[i], "qdisc") != 0)
		return -EINVAL;
	i++;
	const char *verb = i < argc ? argv[i++] : "show";
	struct net_device *dev = NULL;
	if (i + 1 < argc && strcmp(argv[i], "dev") == 0) {
		dev = dev_get_by_name(argv[i + 1]);
		if (!dev) {
			shell_printf("tc: no device '%s'\n", argv[i + 1]);
			return SHELL_ERR_SHOWN;
		}
		i += 2;
	}
	if (strcmp(verb, "show") == 0 || strcmp(verb, "list") == 0 ||
	    strcmp(verb, "ls") == 0) {
		if (i != argc)
			return -EINVAL;
		if (dev)
			tc_show(dev, NULL);
		else
			for_each_netdev(tc_show, NULL);
		return 0;
	}
	bool del = strcmp(verb, "del") == 0 || strcmp(verb, "delete") == 0;
	if (!del && strcmp(verb, "replace") != 0 && strcmp(verb, "add") != 0 &&
	    strcmp(verb, "change") != 0)
		return -EINVAL;
	if (!dev) {
		shell_printf("tc: %s needs dev DEV\n", verb);
		return SHELL_ERR_SHOWN;
	}
	if (i >= argc || strcmp(argv[i], "root") != 0) {
		shell_printf("tc: only the root qdisc can be set\n");
		return SHELL_ERR_SHOWN;
	}
	i++;
	char why[96] = "";
	int err;
	if (del) {
		if (i != argc)
			return -EINVAL;
		err = qdisc_set_tbf(dev, NULL, why, sizeof(why));
	} else {
		struct tbf_params p;
		if (i < argc && strcmp(argv[i], "pfifo_fast") == 0 &&
		    i + 1 == argc) {
			err = qdisc_set_tbf(dev, NULL, why, sizeof(why));
		} else if (i < argc && strcmp(argv[i], "tbf") == 0) {
			if (tc_parse_tbf(argc - i - 1, argv + i + 1, dev, &p))
				return SHELL_ERR_SHOWN;
			err = qdisc_set_tbf(dev, &p, why, sizeof(why));
		} else {
			shell_printf(
			    "tc: qdiscs here are tbf and pfifo_fast\n");
			return SHELL_ERR_SHOWN;
		}
	}
	if (err) {
		shell_printf("tc: %s\n", why[0] ? why : "refused");
		return SHELL_ERR_SHOWN;
	}
	return 0;
}
SHELL_CMD("tc", cmd_tc,
	  "tc qdisc [show|replace|del] [dev DEV] [root tbf rate R [burst B] "
	  "[latency L|limit B]]",
	  "the transmit queue: pfifo_fast, or a token-bucket shaper (tbf)");
