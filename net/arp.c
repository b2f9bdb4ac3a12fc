/*
 * arp.c - ARP (RFC 826) as a neighbour subsystem in the shape of Linux's
 * net/core/neighbour.c + net/ipv4/arp.c, and the `ip neigh` and `arping`
 * console commands.
 *
 * Read first: RFC 826 (packet format, "Packet Reception" merge rules),
 * RFC 1122 2.3.2 (cache timeouts, flooding limits, queueing while
 * resolving), RFC 5227 (probes, announcements, defending an address).
 *
 *   neigh_output -> lookup/create -> neigh_event_send:
 *       REACHABLE/DELAY/PROBE: send now;  STALE: send now, -> DELAY
 *       NONE/FAILED: -> INCOMPLETE, queue, broadcast a request
 *       INCOMPLETE: queue (at most NEIGH_UNRES_QLEN; oldest dropped)
 *   neigh_timer (per entry):
 *       INCOMPLETE: re-request every retrans, FAILED after mcast probes
 *       REACHABLE: -> DELAY if used lately, else -> STALE
 *       DELAY: -> REACHABLE if confirmed meanwhile, else -> PROBE
 *       PROBE: unicast requests every retrans, FAILED after ucast probes
 *   arp_rcv -> arp_parse -> sanity -> conflict with our address? log,
 *       defend, never cache -> request for us: cache the sender (STALE),
 *       reply -> else: update an existing entry only (Linux arp_accept=0)
 *
 * Every decision is taken under tbl.lock and collected in a struct
 * neigh_actions (frames to send, requests to make, frames to drop); the
 * caller carries them out after unlocking. A timer that is pending holds
 * a reference on its entry, so an entry unlinked while its callback waits
 * for the lock is freed by that callback (Linux's neigh refcounting).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/mm.h>
#include <skiff/net/arp_wire.h>
#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/netcore.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <skiff/timer.h>

#define NEIGH_HASH_SIZE 64
#define MS_NS 1000000ULL

struct neighbour {
	struct list_head hash_link; /* on tbl.hash[], unless dead */
	struct net_device *dev;
	u32 addr;	  /* IPv4, host order */
	u8 ha[ETH_ALEN];  /* valid in REACHABLE..PROBE, PERMANENT */
	u8 nud_state;	  /* enum neigh_state */
	u8 probes;	  /* requests sent in INCOMPLETE / PROBE */
	bool dead;	  /* unlinked: freed with the last reference */
	u32 refcnt;	  /* the table's (while linked) + a pending timer's */
	u64 confirmed_ns; /* last proof of reachability */
	u64 updated_ns;	  /* last state or address change */
	u64 used_ns;	  /* last packet sent through it */
	u64 reachable_ns; /* this entry's randomized reachable time */
	struct timer_list timer;
	struct sk_buff_head arp_queue; /* waiting for the address */
};

/* Requests to make once the lock is dropped. */
#define MAX_SOLICITS 4
struct solicit {
	struct net_device *dev;
	u32 target;
	bool unicast;
	u8 dst[ETH_ALEN];
};

struct neigh_actions {
	struct sk_buff_head xmit; /* Ethernet header pushed: send */
	struct sk_buff_head drop; /* counted already: free */
	struct solicit sol[MAX_SOLICITS];
	int nsol;
	struct net_device *defend_dev; /* RFC 5227 2.4(b) announcement */
	u32 defend_addr;
};

static struct {
	spinlock_t lock;
	struct list_head hash[NEIGH_HASH_SIZE];
	struct kcache *cache;
	struct timer_list gc_timer;
	struct arp_stats stats;
	u64 rand_state;
	u64 last_conflict_ns; /* rate limit for the log and the defence */
	bool conflict_seen;
} tbl;

static struct lock_class tbl_class = {.name = "arp_tbl"};

/* Counters bumped outside tbl.lock (sending paths). */
#define STAT_INC_ATOMIC(field)                                                 \
	__atomic_fetch_add(&tbl.stats.field, 1, __ATOMIC_RELAXED)

static u64 now_ns(void)
{
	return ktime_get_ns();
}

/* "198.18.0.1" into buf (>= 16 bytes); returns buf. */
static char *ip_str(u32 addr, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255,
		 (addr >> 8) & 255, addr & 255);
	return buf;
}

/* Exactly four decimal octets. 0 or -EINVAL. */
static int ip_parse(const char *s, u32 *addr)
{
	unsigned a, b, c, d;
	char end;
	if (sscanf(s, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &end) != 4 ||
	    a > 255 || b > 255 || c > 255 || d > 255)
		return -EINVAL;
	*addr = IPV4(a, b, c, d);
	return 0;
}

static u64 ns_to_jiffies_up(u64 ns)
{
	return DIV_ROUND_UP(ns, NSEC_PER_JIFFY);
}

/* xorshift64*: enough to spread reachable times (Linux's
 * neigh_rand_reach_time), not a secret. */
static u64 neigh_random(void)
{
	tbl.rand_state ^= tbl.rand_state >> 12;
	tbl.rand_state ^= tbl.rand_state << 25;
	tbl.rand_state ^= tbl.rand_state >> 27;
	return tbl.rand_state * 0x2545f4914f6cdd1dULL;
}

/* base/2 .. 3*base/2, as Linux's neigh_rand_reach_time. */
static u64 rand_reach_ns(void)
{
	u64 base = NEIGH_REACHABLE_MS * MS_NS;
	return base / 2 + neigh_random() % base;
}

const char *neigh_state_name(enum neigh_state s)
{
	static const char *const names[] = {
	    [NUD_NONE] = "NONE",	   [NUD_INCOMPLETE] = "INCOMPLETE",
	    [NUD_REACHABLE] = "REACHABLE", [NUD_STALE] = "STALE",
	    [NUD_DELAY] = "DELAY",	   [NUD_PROBE] = "PROBE",
	    [NUD_FAILED] = "FAILED",	   [NUD_PERMANENT] = "PERMANENT",
	};
	return (unsigned)s < ARRAY_SIZE(names) && names[s] ? names[s] : "?";
}

/* Entries whose address can be used to send. */
static bool nud_valid(u8 state)
{
	return state == NUD_REACHABLE || state == NUD_STALE ||
	       state == NUD_DELAY || state == NUD_PROBE ||
	       state == NUD_PERMANENT;
}

/* ---- actions: decided under the lock, carried out after it ------------ */

static void actions_init(struct neigh_actions *act)
{
	skb_queue_head_init(&act->xmit);
	skb_queue_head_init(&act->drop);
	act->nsol = 0;
	act->defend_dev = NULL;
}

static void add_solicit(struct neigh_actions *act, struct neighbour *n,
			bool unicast)
{
	if (act->nsol >= MAX_SOLICITS)
		return;
	struct solicit *s = &act->sol[act->nsol++];
	s->dev = n->dev;
	s->target = n->addr;
	s->unicast = unicast;
	memcpy(s->dst, n->ha, ETH_ALEN);
}

static int arp_send(struct net_device *dev, u16 op, const u8 *eth_dst, u32 sip,
		    const u8 *tha, u32 tip);

static void actions_run(struct neigh_actions *act)
{
	struct sk_buff *skb;
	for (int i = 0; i < act->nsol; i++) {
		struct solicit *s = &act->sol[i];
		u32 sip = inet_dev_addr(s->dev);
		if (sip)
			arp_send(s->dev, ARPOP_REQUEST,
				 s->unicast ? s->dst : NULL, sip,
				 s->unicast ? s->dst : NULL, s->target);
	}
	if (act->defend_dev)
		arp_announce(act->defend_dev, act->defend_addr);
	while ((skb = skb_dequeue(&act->xmit)))
		dev_queue_xmit(skb);
	while ((skb = skb_dequeue(&act->drop)))
		kfree_skb(skb);
}

/* ---- entries and references ------------------------------------------- */

static u32 hash_of(const struct net_device *dev, u32 addr)
{
	u32 h = addr ^ (u32)dev->ifindex * 0x9e3779b1u;
	h ^= h >> 16;
	return (h * 0x85ebca6bu) >> 26; /* top 6 bits: NEIGH_HASH_SIZE */
}

static struct neighbour *lookup_locked(const struct net_device *dev, u32 addr)
{
	struct neighbour *n;
	list_for_each_entry (n, &tbl.hash[hash_of(dev, addr)], hash_link) {
		if (n->dev == dev && n->addr == addr)
			return n;
	}
	return NULL;
}

/* Free n (last reference gone); its queued frames go to act->drop. */
static void neigh_destroy(struct neighbour *n, struct neigh_actions *act)
{
	struct sk_buff *skb;
	while ((skb = skb_dequeue(&n->arp_queue))) {
		tbl.stats.unres_discards++;
		skb_queue_tail(&act->drop, skb);
	}
	kcache_free(tbl.cache, n);
	tbl.stats.destroys++;
}

static void neigh_put(struct neighbour *n, struct neigh_actions *act)
{
	BUG_ON(n->refcnt == 0);
	if (--n->refcnt == 0)
		neigh_destroy(n, act);
}

/* (Re)arm n's timer for absolute time at_ns; a newly pending timer takes
 * a reference. */
static void neigh_arm(struct neighbour *n, u64 at_ns)
{
	if (!mod_timer(&n->timer, ns_to_jiffies_up(at_ns)))
		n->refcnt++;
}

static void neigh_disarm(struct neighbour *n, struct neigh_actions *act)
{
	if (del_timer(&n->timer))
		neigh_put(n, act);
}

static void neigh_unlink(struct neighbour *n, struct neigh_actions *act)
{
	n->dead = true;
	list_del(&n->hash_link);
	tbl.stats.entries--;
	neigh_disarm(n, act);
	neigh_put(n, act); /* the table's reference */
}

static void neigh_timer(struct timer_list *t);

/* An entry that GC may take: no timer (so STALE or FAILED), no user. */
static bool gc_candidate(const struct neighbour *n)
{
	return n->refcnt == 1 &&
	       (n->nud_state == NUD_STALE || n->nud_state == NUD_FAILED ||
		n->nud_state == NUD_NONE);
}

/* The table is full: drop the FAILED entry or, failing that, the STALE
 * one unused the longest (Linux's neigh_forced_gc, one at a time).
 * Returns whether one went. */
static bool forced_gc_locked(struct neigh_actions *act)
{
	struct neighbour *n, *victim = NULL;
	tbl.stats.forced_gc_runs++;
	for (int b = 0; b < NEIGH_HASH_SIZE; b++) {
		list_for_each_entry (n, &tbl.hash[b], hash_link) {
			if (!gc_candidate(n))
				continue;
			if (!victim || n->nud_state == NUD_FAILED ||
			    (victim->nud_state != NUD_FAILED &&
			     n->used_ns < victim->used_ns))
				victim = n;
		}
	}
	if (victim)
		neigh_unlink(victim, act);
	return victim != NULL;
}

static struct neighbour *create_locked(struct net_device *dev, u32 addr,
				       struct neigh_actions *act)
{
	if (tbl.stats.entries >= NEIGH_TABLE_MAX && !forced_gc_locked(act)) {
		tbl.stats.table_fulls++;
		return NULL;
	}
	struct neighbour *n = kcache_alloc(tbl.cache);
	if (!n) {
		tbl.stats.table_fulls++;
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->dev = dev;
	n->addr = addr;
	n->nud_state = NUD_NONE;
	n->refcnt = 1;
	n->updated_ns = n->used_ns = now_ns();
	kernel_timer_setup(&n->timer, neigh_timer);
	skb_queue_head_init(&n->arp_queue);
	list_add(&n->hash_link, &tbl.hash[hash_of(dev, addr)]);
	tbl.stats.entries++;
	tbl.stats.allocs++;
	return n;
}

/* ---- the state machine -------------------------------------------------- */

static void set_state(struct neighbour *n, u8 state, u64 now)
{
	n->nud_state = state;
	n->updated_ns = now;
}

/* Push the Ethernet header for n's address onto skb and send it. */
static void queue_xmit(struct neighbour *n, struct sk_buff *skb,
		       struct neigh_actions *act)
{
	if (eth_header(skb, n->dev, ETH_P_IP, n->ha) < 0) {
		n->dev->stats.tx_dropped++;
		skb_queue_tail(&act->drop, skb);
		return;
	}
	skb_queue_tail(&act->xmit, skb);
}

static void to_failed(struct neighbour *n, u64 now, struct neigh_actions *act)
{
	struct sk_buff *skb;
	set_state(n, NUD_FAILED, now);
	tbl.stats.res_failed++;
	while ((skb = skb_dequeue(&n->arp_queue))) {
		tbl.stats.unres_discards++;
		skb_queue_tail(&act->drop, skb);
	}
}

/* Send the next solicitation, or give up (Linux's neigh_max_probes). */
static void probe_or_fail(struct neighbour *n, u64 now,
			  struct neigh_actions *act)
{
	bool unicast = n->nud_state == NUD_PROBE;
	u8 max = unicast ? NEIGH_UCAST_PROBES : NEIGH_MCAST_PROBES;
	if (n->probes >= max) {
		to_failed(n, now, act);
		return;
	}
	n->probes++;
	add_solicit(act, n, unicast);
	neigh_arm(n, now + NEIGH_RETRANS_MS * MS_NS);
}

/* Timer expiry for a live entry (Linux's neigh_timer_handler). */
static void neigh_timer_locked(struct neighbour *n, u64 now,
			       struct neigh_actions *act)
{
	switch (n->nud_state) {
	case NUD_REACHABLE:
		if (now < n->confirmed_ns + n->reachable_ns) {
			neigh_arm(n, n->confirmed_ns + n->reachable_ns);
		} else if (now < n->used_ns + NEIGH_DELAY_PROBE_MS * MS_NS) {
			set_state(n, NUD_DELAY, now);
			neigh_arm(n, now + NEIGH_DELAY_PROBE_MS * MS_NS);
		} else {
			set_state(n, NUD_STALE, now);
		}
		break;
	case NUD_DELAY:
		if (now < n->confirmed_ns + NEIGH_DELAY_PROBE_MS * MS_NS) {
			set_state(n, NUD_REACHABLE, now);
			neigh_arm(n, n->confirmed_ns + n->reachable_ns);
		} else {
			set_state(n, NUD_PROBE, now);
			n->probes = 0;
			probe_or_fail(n, now, act);
		}
		break;
	case NUD_INCOMPLETE:
	case NUD_PROBE:
		probe_or_fail(n, now, act);
		break;
	default:
		break; /* STALE, FAILED, PERMANENT: no timer */
	}
}

static void neigh_timer(struct timer_list *t)
{
	struct neighbour *n = container_of(t, struct neighbour, timer);
	struct neigh_actions act;
	actions_init(&act);
	spin_lock_bh(&tbl.lock);
	if (!n->dead)
		neigh_timer_locked(n, now_ns(), &act);
	neigh_put(n, &act); /* the reference the pending timer held */
	spin_unlock_bh(&tbl.lock);
	actions_run(&act);
}

/* Queue skb on an unresolved entry; the oldest goes when full (Linux's
 * unres_qlen, RFC 1122 2.3.2.2: "SHOULD save at least one"). */
static void queue_unresolved(struct neighbour *n, struct sk_buff *skb,
			     struct neigh_actions *act)
{
	if (skb_queue_len(&n->arp_queue) >= NEIGH_UNRES_QLEN) {
		skb_queue_tail(&act->drop, skb_dequeue(&n->arp_queue));
		tbl.stats.unres_discards++;
	}
	skb_queue_tail(&n->arp_queue, skb);
}

/* A packet for n (Linux's neigh_event_send + neigh_resolve_output). */
static void neigh_event_send(struct neighbour *n, struct sk_buff *skb, u64 now,
			     struct neigh_actions *act)
{
	n->used_ns = now;
	switch (n->nud_state) {
	case NUD_STALE:
		set_state(n, NUD_DELAY, now);
		neigh_arm(n, now + NEIGH_DELAY_PROBE_MS * MS_NS);
		queue_xmit(n, skb, act);
		break;
	case NUD_REACHABLE:
	case NUD_DELAY:
	case NUD_PROBE:
	case NUD_PERMANENT:
		queue_xmit(n, skb, act);
		break;
	case NUD_INCOMPLETE:
		queue_unresolved(n, skb, act);
		break;
	default: /* NONE, FAILED: start resolving */
		set_state(n, NUD_INCOMPLETE, now);
		n->probes = 0;
		queue_unresolved(n, skb, act);
		probe_or_fail(n, now, act);
		break;
	}
}

/*
 * New information about n's address (Linux's neigh_update). A different
 * MAC replaces a valid one only with override (locktime passed, or
 * gratuitous); the same MAC never downgrades a state to STALE. An entry
 * becoming valid sends what it had queued, in order.
 */
static void neigh_update(struct neighbour *n, const u8 *lladdr, u8 new_state,
			 bool override, u64 now, struct neigh_actions *act)
{
	u8 old = n->nud_state;
	bool was_valid = nud_valid(old);
	bool changed = memcmp(lladdr, n->ha, ETH_ALEN) != 0;
	struct sk_buff *skb;

	if (old == NUD_PERMANENT)
		return;
	if (was_valid && changed && !override)
		return;
	if (was_valid && !changed && new_state == NUD_STALE)
		new_state = old;
	if (changed || !was_valid) {
		memcpy(n->ha, lladdr, ETH_ALEN);
		n->updated_ns = now;
	}
	if (new_state == NUD_REACHABLE)
		n->confirmed_ns = now;
	if (new_state != old) {
		neigh_disarm(n, act);
		set_state(n, new_state, now);
		n->probes = 0;
		if (new_state == NUD_REACHABLE) {
			n->reachable_ns = rand_reach_ns();
			neigh_arm(n, now + n->reachable_ns);
		}
	}
	while ((skb = skb_dequeue(&n->arp_queue)))
		queue_xmit(n, skb, act);
}

/* ---- output -------------------------------------------------------------- */

/* RFC 1112 6.4: 01:00:5e and the low 23 bits of the group. */
static void ip_mc_map(u32 group, u8 mac[ETH_ALEN])
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (u8)((group >> 16) & 0x7f);
	mac[4] = (u8)(group >> 8);
	mac[5] = (u8)group;
}

/* Frames that need no resolution: broadcast and multicast. */
static int output_direct(struct net_device *dev, const u8 *mac,
			 struct sk_buff *skb)
{
	int err = eth_header(skb, dev, ETH_P_IP, mac);
	if (err) {
		dev->stats.tx_dropped++;
		kfree_skb(skb);
		return err;
	}
	return dev_queue_xmit(skb);
}

int neigh_output(struct net_device *dev, u32 next_hop, struct sk_buff *skb)
{
	struct neigh_actions act;
	u8 mac[ETH_ALEN];
	int err = 0;

	if (next_hop == INADDR_BROADCAST ||
	    inet_addr_is_broadcast(dev, next_hop))
		return output_direct(dev, dev->broadcast, skb);
	if ((next_hop & 0xf0000000u) == 0xe0000000u) {
		ip_mc_map(next_hop, mac);
		return output_direct(dev, mac, skb);
	}
	if (next_hop == INADDR_ANY) {
		kfree_skb(skb);
		return -EINVAL;
	}
	actions_init(&act);
	spin_lock_bh(&tbl.lock);
	struct neighbour *n = lookup_locked(dev, next_hop);
	if (!n)
		n = create_locked(dev, next_hop, &act);
	if (n)
		neigh_event_send(n, skb, now_ns(), &act);
	spin_unlock_bh(&tbl.lock);
	if (!n) {
		dev->stats.tx_dropped++;
		kfree_skb(skb);
		err = -ENOBUFS;
	}
	actions_run(&act);
	return err;
}

/* ---- sending ARP ----------------------------------------------------------
 */

/* One ARP packet from dev (RFC 826). eth_dst NULL: broadcast; tha NULL:
 * zeros (what requests carry). The frame is 42 bytes: drivers pad short
 * frames to the 60-byte minimum. */
static int arp_send(struct net_device *dev, u16 op, const u8 *eth_dst, u32 sip,
		    const u8 *tha, u32 tip)
{
	static const u8 zero[ETH_ALEN];
	struct arp_info a = {.op = op, .spa = sip, .tpa = tip};
	struct sk_buff *skb = netdev_alloc_skb(dev, ETH_HLEN + ARP_PKT_LEN);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, ETH_HLEN);
	memcpy(a.sha, dev->dev_addr, ETH_ALEN);
	memcpy(a.tha, tha ? tha : zero, ETH_ALEN);
	arp_emit(&a, skb_put(skb, ARP_PKT_LEN));
	skb_reset_network_header(skb);
	eth_header(skb, dev, ETH_P_ARP, eth_dst ? eth_dst : dev->broadcast);
	if (op == ARPOP_REPLY)
		STAT_INC_ATOMIC(tx_replies);
	else
		STAT_INC_ATOMIC(tx_requests);
	return dev_queue_xmit(skb);
}

int arp_send_request(struct net_device *dev, u32 target)
{
	u32 sip = inet_dev_addr(dev);
	if (!sip)
		return -EADDRNOTAVAIL;
	return arp_send(dev, ARPOP_REQUEST, NULL, sip, NULL, target);
}

/* A second announcement ARP_ANNOUNCE_INTERVAL_MS after the first. */
struct announce {
	struct timer_list timer;
	struct net_device *dev;
	u32 addr;
	int left;
};

static void announce_once(struct net_device *dev, u32 addr)
{
	/* RFC 5227 3: an ARP request with sender and target both addr. */
	STAT_INC_ATOMIC(tx_announces);
	arp_send(dev, ARPOP_REQUEST, NULL, addr, NULL, addr);
}

static void announce_timer(struct timer_list *t)
{
	struct announce *an = container_of(t, struct announce, timer);
	if (inet_addr_is_local(an->dev, an->addr))
		announce_once(an->dev, an->addr);
	if (--an->left > 0 && inet_addr_is_local(an->dev, an->addr)) {
		mod_timer(&an->timer,
			  get_jiffies() +
			      msecs_to_jiffies(ARP_ANNOUNCE_INTERVAL_MS));
		return;
	}
	free(an);
}

void arp_announce(struct net_device *dev, u32 addr)
{
	announce_once(dev, addr);
	struct announce *an = calloc(1, sizeof(*an));
	if (!an)
		return;
	an->dev = dev;
	an->addr = addr;
	an->left = ARP_ANNOUNCE_NUM - 1;
	kernel_timer_setup(&an->timer, announce_timer);
	mod_timer(&an->timer,
		  get_jiffies() + msecs_to_jiffies(ARP_ANNOUNCE_INTERVAL_MS));
}

/* ---- RFC 5227 address probes (for DHCP) ----------------------------------
 *
 * arp_probe: wait 0..PROBE_WAIT, send PROBE_NUM probes (sender address 0,
 * target the candidate) PROBE_MIN..PROBE_MAX apart, then ANNOUNCE_WAIT;
 * done(conflict) is called from the timer once it is decided. A conflict
 * (RFC 5227 2.1.1) is any ARP packet whose sender address is the
 * candidate, or another host's probe for it; arp_probe_check sees every
 * received packet and marks it, and the next timer run reports it.
 */
#define ARP_PROBE_SLOTS 4
#define PROBE_WAIT_MS 1000 /* RFC 5227 1.1 */
#define PROBE_NUM 3
#define PROBE_MIN_MS 1000
#define PROBE_MAX_MS 2000
#define ANNOUNCE_WAIT_MS 2000

struct arp_prober {
	struct timer_list timer;
	struct net_device *dev;
	u32 addr;
	int sent;    /* probes out so far */
	bool active; /* slot in use */
	bool conflict;
	void (*done)(bool conflict, void *arg);
	void *arg;
};

static struct arp_prober probers[ARP_PROBE_SLOTS];
static DEFINE_SPINLOCK(probe_lock, "arp_probe");

static u64 probe_delay_ms(u32 min_ms, u32 max_ms)
{
	spin_lock_bh(&tbl.lock);
	u64 r = neigh_random();
	spin_unlock_bh(&tbl.lock);
	return min_ms + r % (max_ms - min_ms + 1);
}

/* Under probe_lock: what the timer does next. Returns true when the
 * probe is over (slot released, *conflict set). */
static bool probe_step(struct arp_prober *p, bool *send, bool *conflict)
{
	*send = false;
	*conflict = p->conflict;
	if (p->conflict || p->sent >= PROBE_NUM) {
		p->active = false;
		return true;
	}
	*send = true;
	p->sent++;
	return false;
}

static void probe_timer(struct timer_list *t)
{
	struct arp_prober *p = container_of(t, struct arp_prober, timer);
	bool send, conflict;

	spin_lock_bh(&probe_lock);
	bool over = probe_step(p, &send, &conflict);
	struct net_device *dev = p->dev;
	u32 addr = p->addr;
	int sent = p->sent;
	void (*done)(bool, void *) = p->done;
	void *arg = p->arg;
	spin_unlock_bh(&probe_lock);
	if (over) {
		done(conflict, arg);
		return;
	}
	if (send) {
		STAT_INC_ATOMIC(tx_requests);
		arp_send(dev, ARPOP_REQUEST, NULL, 0, NULL, addr);
	}
	u64 ms = sent < PROBE_NUM ? probe_delay_ms(PROBE_MIN_MS, PROBE_MAX_MS)
				  : ANNOUNCE_WAIT_MS;
	mod_timer(&p->timer, get_jiffies() + msecs_to_jiffies(ms));
}

int arp_probe(struct net_device *dev, u32 addr,
	      void (*done)(bool conflict, void *arg), void *arg)
{
	struct arp_prober *p = NULL;

	spin_lock_bh(&probe_lock);
	for (int i = 0; i < ARP_PROBE_SLOTS && !p; i++)
		if (!probers[i].active)
			p = &probers[i];
	if (p) {
		p->active = true;
		p->dev = dev;
		p->addr = addr;
		p->sent = 0;
		p->conflict = false;
		p->done = done;
		p->arg = arg;
	}
	spin_unlock_bh(&probe_lock);
	if (!p)
		return -EBUSY;
	kernel_timer_setup(&p->timer, probe_timer);
	u64 wait_ms = probe_delay_ms(0, PROBE_WAIT_MS);
	mod_timer(&p->timer, get_jiffies() + msecs_to_jiffies(wait_ms));
	return 0;
}

/* RFC 5227 2.1.1: the candidate in use (sender address), or probed by
 * another host (sender 0, target the candidate, another MAC). */
static void arp_probe_check(struct net_device *dev, const struct arp_info *a)
{
	spin_lock_bh(&probe_lock);
	for (int i = 0; i < ARP_PROBE_SLOTS; i++) {
		struct arp_prober *p = &probers[i];
		if (!p->active || p->dev != dev)
			continue;
		if (a->spa == p->addr ||
		    (a->spa == 0 && a->tpa == p->addr &&
		     !ether_addr_equal(a->sha, dev->dev_addr)))
			p->conflict = true;
	}
	spin_unlock_bh(&probe_lock);
}

/* ---- arping's view of received replies ---------------------------------- */

#define ARPING_RING 16
struct arping_reply {
	u64 rx_ns;
	u8 mac[ETH_ALEN];
	bool unicast;
};

static struct {
	spinlock_t lock;
	bool active;
	struct net_device *dev;
	u32 target;
	struct arping_reply ring[ARPING_RING];
	u32 head, tail; /* ring indices, monotonic */
} arping = {.lock = SPIN_LOCK_INIT("arping")};

static void arping_notify(struct net_device *dev, const struct arp_info *a,
			  u8 pkt_type, u64 rx_ns)
{
	spin_lock_bh(&arping.lock);
	if (arping.active && arping.dev == dev && a->spa == arping.target &&
	    arping.head - arping.tail < ARPING_RING) {
		struct arping_reply *r =
		    &arping.ring[arping.head++ % ARPING_RING];
		r->rx_ns = rx_ns;
		memcpy(r->mac, a->sha, ETH_ALEN);
		r->unicast = pkt_type == PACKET_HOST;
	}
	spin_unlock_bh(&arping.lock);
}

/* ---- receiving ARP ----------------------------------------------------------
 */

static bool bad_ip_sender(u32 a)
{
	return (a & 0xf0000000u) == 0xe0000000u || a == INADDR_BROADCAST ||
	       (a >> 24) == 127;
}

/* Someone else claims one of our addresses: log (rate-limited), defend
 * once per DEFEND_INTERVAL (RFC 5227 2.4(b)), and never cache it. */
static void arp_conflict(struct net_device *dev, const struct arp_info *a,
			 u64 now, struct neigh_actions *act)
{
	char ip[16], mac[18];
	tbl.stats.rx_conflicts++;
	if (tbl.conflict_seen &&
	    now < tbl.last_conflict_ns + ARP_DEFEND_INTERVAL_MS * MS_NS)
		return;
	tbl.conflict_seen = true;
	tbl.last_conflict_ns = now;
	ip_str(a->spa, ip);
	format_mac(a->sha, mac);
	pr_warn("arp: %s: address %s claimed by %s\n", dev->name, ip, mac);
	act->defend_dev = dev;
	act->defend_addr = a->spa;
}

/* Check what RFC 826 leaves to us; false (counted) to drop. */
static bool arp_sane(struct net_device *dev, const struct arp_info *a)
{
	if (a->op != ARPOP_REQUEST && a->op != ARPOP_REPLY) {
		tbl.stats.rx_bad_op++;
		return false;
	}
	if (!is_valid_ether_addr(a->sha) || bad_ip_sender(a->spa) ||
	    (a->tpa & 0xf0000000u) == 0xe0000000u || (a->tpa >> 24) == 127) {
		tbl.stats.rx_bad_addr++;
		return false;
	}
	return !ether_addr_equal(a->sha, dev->dev_addr); /* our own echo */
}

/* A request for one of our addresses: cache the sender, then reply
 * (RFC 826: merge, then "swap hardware and protocol fields"). */
static void arp_request_for_us(struct net_device *dev, const struct arp_info *a,
			       u64 now, struct neigh_actions *act, bool *reply)
{
	tbl.stats.rx_requests++;
	*reply = true;
	if (a->spa == INADDR_ANY)
		return; /* RFC 5227 probe: answer, but nothing to cache */
	struct neighbour *n = lookup_locked(dev, a->spa);
	if (!n)
		n = create_locked(dev, a->spa, act);
	if (n)
		neigh_update(n, a->sha, NUD_STALE, true, now, act);
}

/* Anything else: update an entry we already have, never create one
 * (Linux's arp_accept=0), so a flood of replies cannot fill the table. */
static void arp_update_existing(struct net_device *dev,
				const struct arp_info *a, u8 pkt_type, u64 now,
				struct neigh_actions *act)
{
	if (a->op == ARPOP_REPLY)
		tbl.stats.rx_replies++;
	else
		tbl.stats.rx_other++;
	struct neighbour *n = a->spa ? lookup_locked(dev, a->spa) : NULL;
	if (!n) {
		if (a->op == ARPOP_REPLY)
			tbl.stats.rx_unsolicited++;
		return;
	}
	u8 state = (a->op == ARPOP_REPLY && pkt_type == PACKET_HOST)
		       ? NUD_REACHABLE
		       : NUD_STALE;
	bool override = a->spa == a->tpa ||
			now >= n->updated_ns + NEIGH_LOCKTIME_MS * MS_NS;
	neigh_update(n, a->sha, state, override, now, act);
}

static void arp_process(struct net_device *dev, const struct arp_info *a,
			u8 pkt_type, u64 now)
{
	struct neigh_actions act;
	bool reply = false;

	actions_init(&act);
	spin_lock_bh(&tbl.lock);
	if (a->spa != INADDR_ANY && inet_addr_is_local(NULL, a->spa))
		arp_conflict(dev, a, now, &act);
	else if (a->op == ARPOP_REQUEST && inet_addr_is_local(NULL, a->tpa))
		arp_request_for_us(dev, a, now, &act, &reply);
	else
		arp_update_existing(dev, a, pkt_type, now, &act);
	spin_unlock_bh(&tbl.lock);
	if (reply)
		arp_send(dev, ARPOP_REPLY, a->sha, a->tpa, a->sha, a->spa);
	actions_run(&act);
}

/* The ETH_P_ARP handler: skb->data at the ARP header. */
static int arp_rcv(struct sk_buff *skb, struct net_device *dev)
{
	struct arp_info a;
	if (arp_parse(skb->data, skb->len, &a) != ARP_PARSE_OK) {
		spin_lock_bh(&tbl.lock);
		tbl.stats.rx_malformed++;
		spin_unlock_bh(&tbl.lock);
		kfree_skb(skb);
		return -EINVAL;
	}
	spin_lock_bh(&tbl.lock);
	bool sane = arp_sane(dev, &a);
	spin_unlock_bh(&tbl.lock);
	if (sane) {
		arp_probe_check(dev, &a);
		if (a.op == ARPOP_REPLY)
			arping_notify(dev, &a, skb->pkt_type, skb->tstamp_ns);
		arp_process(dev, &a, skb->pkt_type, now_ns());
	}
	consume_skb(skb);
	return sane ? 0 : -EINVAL;
}

static struct packet_type arp_packet_type = {
    .type = ETH_P_ARP,
    .func = arp_rcv,
};

/* ---- lookups, flush, GC
 * ------------------------------------------------------ */

int neigh_lookup(struct net_device *dev, u32 addr, u8 mac[ETH_ALEN],
		 enum neigh_state *state)
{
	spin_lock_bh(&tbl.lock);
	struct neighbour *n = lookup_locked(dev, addr);
	if (n) {
		if (mac)
			memcpy(mac, n->ha, ETH_ALEN);
		if (state)
			*state = (enum neigh_state)n->nud_state;
	}
	spin_unlock_bh(&tbl.lock);
	return n ? 0 : -ENOENT;
}

/* Unlink every entry of dev (NULL: all) that keep() refuses. */
static u32 neigh_sweep(struct net_device *dev,
		       bool (*drop)(const struct neighbour *n, u64 now))
{
	struct neigh_actions act;
	struct neighbour *n, *tmp;
	u32 count = 0;
	u64 now = now_ns();

	if (!tbl.cache)
		return 0; /* before arp_init: nothing to sweep */
	actions_init(&act);
	spin_lock_bh(&tbl.lock);
	for (int b = 0; b < NEIGH_HASH_SIZE; b++) {
		list_for_each_entry_safe (n, tmp, &tbl.hash[b], hash_link) {
			if ((!dev || n->dev == dev) && drop(n, now)) {
				neigh_unlink(n, &act);
				count++;
			}
		}
	}
	spin_unlock_bh(&tbl.lock);
	actions_run(&act);
	return count;
}

static bool flushable(const struct neighbour *n, u64 now)
{
	(void)now;
	return n->nud_state != NUD_PERMANENT;
}

void neigh_flush(struct net_device *dev)
{
	neigh_sweep(dev, flushable);
}

/* Linux's neigh_periodic_work: FAILED entries, and STALE ones unused for
 * gc_stale_time, once the table holds more than gc_thresh1. */
static bool gc_expired(const struct neighbour *n, u64 now)
{
	return gc_candidate(n) &&
	       (n->nud_state != NUD_STALE ||
		now >= n->used_ns + NEIGH_GC_STALE_MS * MS_NS);
}

static void neigh_gc_timer(struct timer_list *t)
{
	tbl.stats.periodic_gc_runs++;
	if (READ_ONCE(tbl.stats.entries) > NEIGH_GC_THRESH1)
		neigh_sweep(NULL, gc_expired);
	mod_timer(t, get_jiffies() + msecs_to_jiffies(NEIGH_GC_INTERVAL_MS));
}

void arp_get_stats(struct arp_stats *s)
{
	spin_lock_bh(&tbl.lock);
	*s = tbl.stats;
	spin_unlock_bh(&tbl.lock);
}

void arp_init(void)
{
	if (tbl.cache)
		return;
	spin_lock_init(&tbl.lock, &tbl_class);
	for (int b = 0; b < NEIGH_HASH_SIZE; b++)
		INIT_LIST_HEAD(&tbl.hash[b]);
	tbl.cache = kcache_create("neighbour", sizeof(struct neighbour), 0);
	BUG_ON(!tbl.cache);
	tbl.rand_state = ktime_get_ns() ^ 0x9e3779b97f4a7c15ULL;
	kernel_timer_setup(&tbl.gc_timer, neigh_gc_timer);
	mod_timer(&tbl.gc_timer,
		  get_jiffies() + msecs_to_jiffies(NEIGH_GC_INTERVAL_MS));
	dev_add_pack(&arp_packet_type);
}

/* ---- `ip neigh` ------------------------------------------------------------
 */

/* A copy of one entry, taken under the lock and printed after it. */
struct neigh_snap {
	struct net_device *dev;
	u32 addr;
	u8 ha[ETH_ALEN];
	u8 state, probes;
	u64 used_ns, confirmed_ns, updated_ns;
};

static int snap_cmp(const void *a, const void *b)
{
	const struct neigh_snap *x = a, *y = b;
	if (x->dev->ifindex != y->dev->ifindex)
		return x->dev->ifindex < y->dev->ifindex ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Every entry, sorted by device and address; *out is malloc'd. */
static u32 neigh_snapshot(struct neigh_snap **out)
{
	struct neigh_snap *v = malloc(NEIGH_TABLE_MAX * sizeof(*v));
	struct neighbour *n;
	u32 count = 0;
	*out = v;
	if (!v)
		return 0;
	spin_lock_bh(&tbl.lock);
	for (int b = 0; b < NEIGH_HASH_SIZE; b++) {
		list_for_each_entry (n, &tbl.hash[b], hash_link) {
			if (count == NEIGH_TABLE_MAX)
				break;
			struct neigh_snap *s = &v[count++];
			s->dev = n->dev;
			s->addr = n->addr;
			memcpy(s->ha, n->ha, ETH_ALEN);
			s->state = n->nud_state;
			s->probes = n->probes;
			s->used_ns = n->used_ns;
			s->confirmed_ns = n->confirmed_ns;
			s->updated_ns = n->updated_ns;
		}
	}
	spin_unlock_bh(&tbl.lock);
	qsort(v, count, sizeof(*v), snap_cmp);
	return count;
}

static u64 secs_since(u64 now, u64 then)
{
	return now > then ? (now - then) / NSEC_PER_SEC : 0;
}

/* iproute2's line: "198.18.0.1 dev eth0 lladdr 52:54:00:12:34:56 STALE". */
static void print_neigh(const struct neigh_snap *s, int stats, u64 now)
{
	char ip[16], mac[18];
	shell_printf("%s dev %s", ip_str(s->addr, ip), s->dev->name);
	if (nud_valid(s->state)) {
		format_mac(s->ha, mac);
		shell_printf(" lladdr %s", mac);
	}
	if (stats)
		shell_printf(" used %llu/%llu/%llu probes %u",
			     secs_since(now, s->used_ns),
			     secs_since(now, s->confirmed_ns),
			     secs_since(now, s->updated_ns), s->probes);
	shell_printf(" %s\n", neigh_state_name((enum neigh_state)s->state));
}

struct neigh_filter {
	struct net_device *dev;
	u32 addr;
	bool has_addr;
};

/* [dev DEV] [ADDR] */
static int parse_neigh_filter(int argc, char **argv, struct neigh_filter *f)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "dev") == 0 && i + 1 < argc) {
			f->dev = dev_get_by_name(argv[++i]);
			if (!f->dev) {
				shell_printf("Cannot find device \"%s\"\n",
					     argv[i]);
				return SHELL_ERR_SHOWN;
			}
		} else if (strcmp(argv[i], "all") == 0) {
			continue;
		} else if (!f->has_addr && ip_parse(argv[i], &f->addr) == 0) {
			f->has_addr = true;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static bool filter_match(const struct neigh_filter *f,
			 const struct neigh_snap *s)
{
	return (!f->dev || f->dev == s->dev) &&
	       (!f->has_addr || f->addr == s->addr);
}

/* `ip -s -s neigh`: the table's bound and counters after the entries
 * (what Linux's `ip -s ntable show name arp_cache` reports). */
static void print_arp_stats(void)
{
	struct arp_stats s;

	arp_get_stats(&s);
	shell_printf("arp_cache: entries %u max %u allocs %llu destroys %llu "
		     "forced_gc_runs %llu table_fulls %llu res_failed %llu\n",
		     s.entries, NEIGH_TABLE_MAX, (unsigned long long)s.allocs,
		     (unsigned long long)s.destroys,
		     (unsigned long long)s.forced_gc_runs,
		     (unsigned long long)s.table_fulls,
		     (unsigned long long)s.res_failed);
	shell_printf(
	    "  rx: requests %llu replies %llu other %llu unsolicited "
	    "%llu conflicts %llu malformed %llu bad_op %llu bad_addr "
	    "%llu\n",
	    (unsigned long long)s.rx_requests, (unsigned long long)s.rx_replies,
	    (unsigned long long)s.rx_other,
	    (unsigned long long)s.rx_unsolicited,
	    (unsigned long long)s.rx_conflicts,
	    (unsigned long long)s.rx_malformed, (unsigned long long)s.rx_bad_op,
	    (unsigned long long)s.rx_bad_addr);
}

static int neigh_show(int argc, char **argv, int stats)
{
	struct neigh_filter f = {0};
	struct neigh_snap *v;
	int err = parse_neigh_filter(argc, argv, &f);
	if (err)
		return err;
	u32 count = neigh_snapshot(&v);
	u64 now = now_ns();
	for (u32 i = 0; i < count; i++)
		if (filter_match(&f, &v[i]))
			print_neigh(&v[i], stats, now);
	free(v);
	if (stats > 1)
		print_arp_stats();
	return 0;
}

static struct neigh_filter flush_filter; /* for flush_match */

static bool flush_match(const struct neighbour *n, u64 now)
{
	(void)now;
	return n->nud_state != NUD_PERMANENT &&
	       (!flush_filter.has_addr || n->addr == flush_filter.addr);
}

static int neigh_flush_cmd(int argc, char **argv, int stats)
{
	struct neigh_filter f = {0};
	int err = parse_neigh_filter(argc, argv, &f);
	if (err)
		return err;
	flush_filter = f;
	u32 n = neigh_sweep(f.dev, flush_match);
	if (stats && n)
		shell_printf("\n*** Round 1, deleting %u entries ***\n"
			     "*** Flush is complete after 1 round ***\n",
			     n);
	else if (stats)
		shell_printf("Nothing to flush.\n");
	return 0;
}

/* ip neigh add ADDR lladdr MAC dev DEV: a PERMANENT entry. */
static int neigh_add_cmd(int argc, char **argv)
{
	u32 addr;
	u8 mac[ETH_ALEN];
	struct net_device *dev;
	struct neigh_actions act;

	if (argc != 5 || ip_parse(argv[0], &addr) ||
	    strcmp(argv[1], "lladdr") || parse_mac(argv[2], mac) ||
	    strcmp(argv[3], "dev"))
		return -EINVAL;
	dev = dev_get_by_name(argv[4]);
	if (!dev) {
		shell_printf("Cannot find device \"%s\"\n", argv[4]);
		return SHELL_ERR_SHOWN;
	}
	actions_init(&act);
	spin_lock_bh(&tbl.lock);
	struct neighbour *n = lookup_locked(dev, addr);
	if (!n)
		n = create_locked(dev, addr, &act);
	if (n) {
		neigh_update(n, mac, NUD_STALE, true, now_ns(), &act);
		neigh_disarm(n, &act);
		set_state(n, NUD_PERMANENT, now_ns());
	}
	spin_unlock_bh(&tbl.lock);
	actions_run(&act);
	return n ? 0 : -ENOBUFS;
}

static bool any_match(const struct neighbour *n, u64 now)
{
	(void)now;
	return n->addr == flush_filter.addr;
}

/* ip neigh del ADDR dev DEV */
static int neigh_del_cmd(int argc, char **argv)
{
	struct neigh_filter f = {0};
	if (argc != 3 || parse_neigh_filter(argc, argv, &f) || !f.has_addr ||
	    !f.dev)
		return -EINVAL;
	flush_filter = f;
	if (neigh_sweep(f.dev, any_match) == 0) {
		shell_printf("RTNETLINK answers: No such file or directory\n");
		return SHELL_ERR_SHOWN;
	}
	return 0;
}

static bool word_is(const char *word, const char *full)
{
	size_t n = strlen(word);
	return n > 0 && strncmp(word, full, n) == 0;
}

int ip_neigh_cmd(int argc, char **argv)
{
	char *rest[SHELL_MAX_ARGS];
	int n = 0, stats = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "-stats") == 0 ||
		    strcmp(argv[i], "-statistics") == 0)
			stats++;
		else if (argv[i][0] != '-')
			rest[n++] = argv[i];
	}
	if (n == 0)
		return neigh_show(0, rest, stats);
	if (word_is(rest[0], "show") || word_is(rest[0], "list"))
		return neigh_show(n - 1, rest + 1, stats);
	if (word_is(rest[0], "flush"))
		return neigh_flush_cmd(n - 1, rest + 1, stats);
	if (strcmp(rest[0], "add") == 0 || strcmp(rest[0], "replace") == 0)
		return neigh_add_cmd(n - 1, rest + 1);
	if (word_is(rest[0], "delete"))
		return neigh_del_cmd(n - 1, rest + 1);
	return -EINVAL;
}

/* ---- `arping` (iputils' output) -------------------------------------------
 */

#define ARPING_WAIT_STEP_US 100

struct arping_run {
	struct net_device *dev;
	u32 target, sip;
	u32 count; /* 0: until a key */
	u32 sent, broadcasts, received;
	u64 sent_ns;
	bool have_mac;
	u8 mac[ETH_ALEN];
};

static void arping_start(struct net_device *dev, u32 target)
{
	spin_lock_bh(&arping.lock);
	arping.dev = dev;
	arping.target = target;
	arping.head = arping.tail = 0;
	arping.active = true;
	spin_unlock_bh(&arping.lock);
}

static void arping_stop(void)
{
	spin_lock_bh(&arping.lock);
	arping.active = false;
	spin_unlock_bh(&arping.lock);
}

static bool arping_take(struct arping_reply *r)
{
	bool got = false;
	spin_lock_bh(&arping.lock);
	if (arping.tail != arping.head) {
		*r = arping.ring[arping.tail++ % ARPING_RING];
		got = true;
	}
	spin_unlock_bh(&arping.lock);
	return got;
}

/* "Unicast reply from 198.18.0.1 [52:54:00:12:34:56]  0.742ms" (iputils
 * prints the MAC in capitals). */
static void arping_print_replies(struct arping_run *run)
{
	struct arping_reply r;
	char ip[16];
	while (arping_take(&r)) {
		u64 us = r.rx_ns > run->sent_ns
			     ? (r.rx_ns - run->sent_ns) / 1000
			     : 0;
		shell_printf("%s reply from %s [%02X:%02X:%02X:%02X:%02X:%02X]"
			     "  %llu.%03llums\n",
			     r.unicast ? "Unicast" : "Broadcast",
			     ip_str(run->target, ip), r.mac[0], r.mac[1],
			     r.mac[2], r.mac[3], r.mac[4], r.mac[5], us / 1000,
			     us % 1000);
		run->received++;
		run->have_mac = true;
		memcpy(run->mac, r.mac, ETH_ALEN);
	}
}

/*
 * Let time pass inside a console command until deadline_ns: softirqs and
 * timers keep running (shell_wait_us: the idle loop's work goes on; on the host
 * it moves the fake clock). Stops early when the last probe was answered.
 * Returns false if the operator pressed a key.
 */
static bool arping_wait(struct arping_run *run, u64 deadline_ns)
{
	u32 before = run->received;
	bool last = run->count && run->sent >= run->count;
	while (now_ns() < deadline_ns) {
		if (shell_key_pressed())
			return false;
		do_softirq();
		arping_print_replies(run);
		if (last && run->received > before)
			break;
		shell_wait_us(ARPING_WAIT_STEP_US);
	}
	return true;
}

static void arping_probe(struct arping_run *run)
{
	if (run->have_mac) {
		arp_send(run->dev, ARPOP_REQUEST, run->mac, run->sip, run->mac,
			 run->target);
	} else {
		arp_send(run->dev, ARPOP_REQUEST, NULL, run->sip, NULL,
			 run->target);
		run->broadcasts++;
	}
	run->sent++;
	run->sent_ns = now_ns();
}

static int arping_parse(int argc, char **argv, struct arping_run *run)
{
	const char *ifname = NULL, *addr = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			char *end;
			run->count = (u32)strtoul(argv[++i], &end, 10);
			if (*end || run->count == 0)
				return -EINVAL;
		} else if (strcmp(argv[i], "-I") == 0 && i + 1 < argc) {
			ifname = argv[++i];
		} else if (!addr && argv[i][0] != '-') {
			addr = argv[i];
		} else {
			return -EINVAL;
		}
	}
	if (!addr || ip_parse(addr, &run->target))
		return -EINVAL;
	run->dev = ifname ? dev_get_by_name(ifname) : dev_first();
	if (!run->dev) {
		shell_printf("arping: Device %s not available.\n",
			     ifname ? ifname : "(none)");
		return SHELL_ERR_SHOWN;
	}
	run->sip = inet_dev_addr(run->dev);
	if (!run->sip) {
		shell_printf("arping: no source address on %s\n",
			     run->dev->name);
		return SHELL_ERR_SHOWN;
	}
	return 0;
}

static int cmd_arping(int argc, char **argv)
{
	struct arping_run run = {0};
	char ip[16], src[16];
	int err = arping_parse(argc, argv, &run);
	if (err)
		return err;
	shell_printf("ARPING %s from %s %s\n", ip_str(run.target, ip),
		     ip_str(run.sip, src), run.dev->name);
	arping_start(run.dev, run.target);
	while (!run.count || run.sent < run.count) {
		arping_probe(&run);
		if (!arping_wait(&run, run.sent_ns + NSEC_PER_SEC))
			break;
	}
	arping_stop();
	arping_print_replies(&run);
	shell_printf("Sent %u probes (%u broadcast(s))\nReceived %u "
		     "response(s)\n",
		     run.sent, run.broadcasts, run.received);
	return run.received ? 0 : SHELL_ERR_SHOWN;
}
SHELL_CMD("arping", cmd_arping, "arping [-c COUNT] [-I DEV] A.B.C.D",
	  "send ARP requests and show who answers (like iputils arping)");
