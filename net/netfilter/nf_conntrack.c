/*
 * nf_conntrack.c - connection tracking for the filter's --state match:
 * a fixed-size table of flows (TCP, UDP, ICMP queries, and other
 * protocols by address pair), each with a state and an expiry time.
 *
 *   nf_ct_lookup:  find the flow of a packet in either direction -> NEW,
 *                  ESTABLISHED (a reply has been seen), RELATED (an ICMP
 *                  error quoting a known flow) or INVALID
 *   nf_ct_confirm: after the chain accepted it, create the flow or move
 *                  its TCP state and refresh its timeout
 *
 * A flow is only created once its first packet is accepted (Linux's
 * "confirm"), so a dropped SYN leaves nothing behind. Timeouts are
 * Linux's defaults (nf_conntrack_proto_*.c). When the table is full, a
 * flow that is not assured (TCP: handshake not completed; others: never
 * replied) is evicted (Linux's early_drop); if there is none the new flow
 * is refused and the caller drops the packet.
 * TCP is tracked by flags only, without window checks: a SYN starts a
 * flow, anything else without a flow is INVALID (nf_conntrack_tcp_loose
 * off). Time is an argument; the table lock is the caller's (nf_filter.c).
 */
#include <skiff/net/ip.h>
#include <skiff/net/netfilter.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000ULL
#define CT_MIN_BUCKETS 1024 /* power of two */

enum ct_tcp_state {
	CT_TCP_NONE,
	CT_TCP_SYN_SENT,
	CT_TCP_SYN_RECV,
	CT_TCP_ESTABLISHED,
	CT_TCP_FIN_WAIT,
	CT_TCP_LAST_ACK,
	CT_TCP_TIME_WAIT,
	CT_TCP_CLOSE,
};

static const char *const tcp_state_names[] = {
    "NONE",	"SYN_SENT", "SYN_RECV",	 "ESTABLISHED",
    "FIN_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE"};

/* Linux's nf_conntrack_tcp_timeout_* defaults, in seconds. */
static const u32 tcp_timeout_sec[] = {
    [CT_TCP_NONE] = 120,      [CT_TCP_SYN_SENT] = 120,
    [CT_TCP_SYN_RECV] = 60,   [CT_TCP_ESTABLISHED] = 432000,
    [CT_TCP_FIN_WAIT] = 120,  [CT_TCP_LAST_ACK] = 30,
    [CT_TCP_TIME_WAIT] = 120, [CT_TCP_CLOSE] = 10};
#define UDP_TIMEOUT_SEC 30	   /* nf_conntrack_udp_timeout */
#define UDP_STREAM_TIMEOUT_SEC 120 /* once replied */
#define ICMP_TIMEOUT_SEC 30
#define GENERIC_TIMEOUT_SEC 600

struct nf_conn {
	struct nf_tuple orig; /* as the first packet went */
	u64 expires_ns;
	s32 next;     /* next in the bucket, or the free list; -1 ends */
	u8 tcp_state; /* enum ct_tcp_state */
	u8 fin_dirs;  /* bit 0: FIN seen from orig, bit 1: from reply */
	bool replied; /* a packet went the reply direction */
	bool used;
};

static struct {
	struct nf_conn *conns;
	u32 max, count;
	s32 free_head;	  /* freed slots, reused first */
	u32 hwm;	  /* slots [0, hwm) have been handed out; the rest of
			   * the table was never touched (so a big table costs
			   * no memory writes at boot) */
	s32 *buckets;	  /* nbuckets chain heads */
	u32 nbuckets;	  /* a power of two, about max / 2 */
	u32 evict_cursor; /* slot where the next early_drop looks */
	u32 gc_cursor;	  /* bucket where the next gc run starts */
	struct nf_ct_stats stats;
} ct;

static u32 mix32(u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

/* The same bucket for both directions: the two endpoints are combined
 * in a fixed order. */
static u32 ct_hash(const struct nf_tuple *t)
{
	u64 a = (u64)t->saddr << 16 | t->sport;
	u64 b = (u64)t->daddr << 16 | t->dport;
	u64 lo = a < b ? a : b, hi = a < b ? b : a;
	u32 h = mix32((u32)lo ^ mix32((u32)(lo >> 32) ^ t->proto));
	h = mix32(h ^ (u32)hi ^ mix32((u32)(hi >> 32)));
	return h & (ct.nbuckets - 1);
}

static bool tuple_eq(const struct nf_tuple *a, const struct nf_tuple *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr &&
	       a->sport == b->sport && a->dport == b->dport &&
	       a->proto == b->proto;
}

static void tuple_invert(const struct nf_tuple *t, struct nf_tuple *r)
{
	r->saddr = t->daddr;
	r->daddr = t->saddr;
	r->sport = t->dport;
	r->dport = t->sport;
	r->proto = t->proto;
}

/* Chains of about two flows when the table is full. */
static u32 ct_bucket_count(u32 max)
{
	u32 n = CT_MIN_BUCKETS;

	while (n < max / 2 && n < (1U << 30))
		n <<= 1;
	return n;
}

int nf_ct_init(u32 max)
{
	if (!max)
		max = NF_CT_DEFAULT_MAX;
	u32 nb = ct_bucket_count(max);
	struct nf_conn *c = malloc((size_t)max * sizeof(*c));
	s32 *b = malloc(nb * sizeof(*b));
	if (!c || !b) {
		free(c);
		free(b);
		return -ENOMEM;
	}
	free(ct.conns);
	free(ct.buckets);
	memset(&ct, 0, sizeof(ct));
	ct.conns = c;
	ct.buckets = b;
	ct.nbuckets = nb;
	ct.max = max;
	nf_ct_flush();
	return 0;
}

u32 nf_ct_buckets(void)
{
	return ct.nbuckets;
}

void nf_ct_flush(void)
{
	for (u32 b = 0; b < ct.nbuckets; b++)
		ct.buckets[b] = -1;
	ct.free_head = -1;
	ct.hwm = 0;
	ct.count = 0;
}

/* Put the first never-used slot on the free list; false if none left. */
static bool ct_take_fresh(void)
{
	if (ct.hwm >= ct.max)
		return false;
	ct.conns[ct.hwm].used = false;
	ct.conns[ct.hwm].next = ct.free_head;
	ct.free_head = (s32)ct.hwm++;
	return true;
}

static void ct_unlink(u32 bucket, s32 idx, s32 prev)
{
	struct nf_conn *c = &ct.conns[idx];

	if (prev < 0)
		ct.buckets[bucket] = c->next;
	else
		ct.conns[prev].next = c->next;
	c->used = false;
	c->next = ct.free_head;
	ct.free_head = idx;
	ct.count--;
}

/* Find t's flow in its bucket, freeing expired flows on the way. */
static s32 ct_find(const struct nf_tuple *t, u64 now, bool *reply)
{
	u32 b = ct_hash(t);
	s32 prev = -1;
	struct nf_tuple rt;

	tuple_invert(t, &rt);
	for (s32 i = ct.buckets[b]; i >= 0;) {
		struct nf_conn *c = &ct.conns[i];
		s32 next = c->next;
		if (c->expires_ns <= now) {
			ct_unlink(b, i, prev);
			ct.stats.expired++;
			i = next;
			continue;
		}
		if (tuple_eq(&c->orig, t) || tuple_eq(&c->orig, &rt)) {
			*reply = !tuple_eq(&c->orig, t);
			return i;
		}
		prev = i;
		i = next;
	}
	return -1;
}

static bool icmp_request(u8 type)
{
	return type == 8 || type == 13; /* echo, timestamp */
}

/* The state of a packet that has no flow yet. */
static u8 ct_state_new(const struct nf_pkt *p)
{
	if (p->t.proto == IPPROTO_TCP) {
		u8 f = p->tcp_flags &
		       (NF_TCP_SYN | NF_TCP_ACK | NF_TCP_RST | NF_TCP_FIN);
		return p->l4 && f == NF_TCP_SYN ? NF_CT_NEW : NF_CT_INVALID;
	}
	if (p->t.proto == IPPROTO_ICMP)
		return p->l4 && icmp_request(p->icmp_type) ? NF_CT_NEW
							   : NF_CT_INVALID;
	if (p->t.proto == IPPROTO_UDP && !p->l4)
		return NF_CT_INVALID;
	return NF_CT_NEW;
}

/* An ICMP error is RELATED if it quotes a datagram of a known flow. */
static u8 ct_state_error(const struct nf_pkt *p, u64 now)
{
	bool reply;

	return ct_find(&p->inner, now, &reply) >= 0 ? NF_CT_RELATED
						    : NF_CT_INVALID;
}

void nf_ct_lookup(struct nf_pkt *p, u64 now, struct nf_ct_ref *ref)
{
	ref->idx = -1;
	ref->reply = false;
	if (!ct.conns) {
		p->ct_state = NF_CT_INVALID;
		return;
	}
	if (p->t.proto == IPPROTO_ICMP && p->icmp_err) {
		p->ct_state = ct_state_error(p, now);
		return;
	}
	s32 i = ct_find(&p->t, now, &ref->reply);
	if (i < 0) {
		p->ct_state = ct_state_new(p);
		if (p->ct_state == NF_CT_INVALID)
			ct.stats.invalid++;
		return;
	}
	struct nf_conn *c = &ct.conns[i];
	ct.stats.found++;
	ref->idx = i;
	/* A new SYN on a closed or closing flow reopens it (RFC 9293
	 * 3.10.7.4, TIME_WAIT reuse); Linux does the same. */
	if (p->t.proto == IPPROTO_TCP && !ref->reply &&
	    (p->tcp_flags & (NF_TCP_SYN | NF_TCP_ACK)) == NF_TCP_SYN &&
	    c->tcp_state >= CT_TCP_TIME_WAIT) {
		c->expires_ns = now; /* ct_find frees it next time */
		ref->idx = -1;
		p->ct_state = NF_CT_NEW;
		return;
	}
	p->ct_state =
	    (ref->reply || c->replied) ? NF_CT_ESTABLISHED : NF_CT_NEW;
}

/* RFC 9293 3.3.2's states, followed from the flags seen both ways. */
static void ct_tcp_advance(struct nf_conn *c, const struct nf_pkt *p,
			   bool reply)
{
	u8 f = p->tcp_flags;

	if (f & NF_TCP_RST) {
		c->tcp_state = CT_TCP_CLOSE;
		return;
	}
	if (f & NF_TCP_FIN)
		c->fin_dirs |= reply ? 2 : 1;
	switch (c->tcp_state) {
	case CT_TCP_SYN_SENT:
		if (reply && (f & (NF_TCP_SYN | NF_TCP_ACK)) ==
				 (NF_TCP_SYN | NF_TCP_ACK))
			c->tcp_state = CT_TCP_SYN_RECV;
		return;
	case CT_TCP_SYN_RECV:
		if (!reply && (f & NF_TCP_ACK))
			c->tcp_state = CT_TCP_ESTABLISHED;
		break;
	case CT_TCP_LAST_ACK:
		if ((f & NF_TCP_ACK) && !(f & NF_TCP_FIN))
			c->tcp_state = CT_TCP_TIME_WAIT;
		return;
	default:
		break;
	}
	if (c->tcp_state >= CT_TCP_ESTABLISHED &&
	    c->tcp_state < CT_TCP_TIME_WAIT && c->fin_dirs)
		c->tcp_state =
		    c->fin_dirs == 3 ? CT_TCP_LAST_ACK : CT_TCP_FIN_WAIT;
}

static u32 ct_timeout_sec(const struct nf_conn *c)
{
	switch (c->orig.proto) {
	case IPPROTO_TCP:
		return tcp_timeout_sec[c->tcp_state];
	case IPPROTO_UDP:
		return c->replied ? UDP_STREAM_TIMEOUT_SEC : UDP_TIMEOUT_SEC;
	case IPPROTO_ICMP:
		return ICMP_TIMEOUT_SEC;
	}
	return GENERIC_TIMEOUT_SEC;
}

/* Unlink flow idx from its bucket (found by walking it). */
static void ct_remove(s32 idx)
{
	u32 b = ct_hash(&ct.conns[idx].orig);
	s32 prev = -1;

	for (s32 i = ct.buckets[b]; i >= 0; prev = i, i = ct.conns[i].next) {
		if (i == idx) {
			ct_unlink(b, i, prev);
			return;
		}
	}
}

/* The table is full: free one flow that is not assured (or has expired),
 * from a moving cursor (Linux's early_drop). Assured flows are never
 * evicted. The walk goes on until it finds one, at most once round the
 * table: a window of 64 slots failed on a run of assured flows (1,000
 * connections closed together sit side by side in TIME_WAIT for 120 s),
 * and every new flow was refused until enough packets had been dropped to
 * move the cursor past the run, though most of the table was evictable.
 * Under a SYN flood the next half-open flow is a step or two away. */
/*
 * Linux's IPS_ASSURED: a flow worth keeping when the table is full. TCP
 * once its handshake completed (a SYN flood's half-open flows, answered by
 * our SYN-ACKs or cookies, never are); other protocols once replied.
 */
static bool ct_assured(const struct nf_conn *c)
{
	if (c->orig.proto == IPPROTO_TCP)
		return c->tcp_state >= CT_TCP_ESTABLISHED &&
		       c->tcp_state != CT_TCP_CLOSE;
	return c->replied;
}

static bool ct_early_drop(u64 now)
{
	for (u32 n = 0; n < ct.hwm; n++) {
		s32 i = (s32)(ct.evict_cursor++ % ct.hwm);
		struct nf_conn *c = &ct.conns[i];
		if (c->used && (!ct_assured(c) || c->expires_ns <= now)) {
			ct_remove(i);
			ct.stats.early_drop++;
			return true;
		}
	}
	return false;
}

static s32 ct_create(const struct nf_pkt *p, u64 now)
{
	if (ct.free_head < 0 && !ct_take_fresh() && !ct_early_drop(now)) {
		ct.stats.drop++;
		return -1;
	}
	s32 i = ct.free_head;
	struct nf_conn *c = &ct.conns[i];
	ct.free_head = c->next;
	memset(c, 0, sizeof(*c));
	c->orig = p->t;
	c->used = true;
	c->tcp_state =
	    p->t.proto == IPPROTO_TCP ? CT_TCP_SYN_SENT : CT_TCP_NONE;
	u32 b = ct_hash(&p->t);
	c->next = ct.buckets[b];
	ct.buckets[b] = i;
	ct.count++;
	ct.stats.new_flows++;
	return i;
}

bool nf_ct_confirm(const struct nf_pkt *p, const struct nf_ct_ref *ref, u64 now)
{
	s32 i = ref->idx;

	if (!ct.conns)
		return true;
	if (i < 0) {
		if (p->ct_state != NF_CT_NEW)
			return true; /* RELATED/INVALID: nothing to keep */
		i = ct_create(p, now);
		if (i < 0)
			return false;
	}
	struct nf_conn *c = &ct.conns[i];
	if (ref->reply)
		c->replied = true;
	if (c->orig.proto == IPPROTO_TCP && p->l4)
		ct_tcp_advance(c, p, ref->reply);
	c->expires_ns = now + (u64)ct_timeout_sec(c) * NS_PER_SEC;
	return true;
}

u32 nf_ct_gc(u64 now, u32 budget)
{
	u32 before = ct.count;

	for (u32 n = 0; n < budget && ct.count; n++) { /* empty: no walk */
		u32 b = ct.gc_cursor++ & (ct.nbuckets - 1);
		s32 prev = -1;
		for (s32 i = ct.buckets[b]; i >= 0;) {
			s32 next = ct.conns[i].next;
			if (ct.conns[i].expires_ns <= now) {
				ct_unlink(b, i, prev);
				ct.stats.expired++;
			} else {
				prev = i;
			}
			i = next;
		}
	}
	return before - ct.count;
}

void nf_ct_get_stats(struct nf_ct_stats *s)
{
	*s = ct.stats;
	s->count = ct.count;
	s->max = ct.max;
}

void nf_ct_for_each(u64 now,
		    void (*fn)(void *ctx, const struct nf_tuple *orig,
			       const char *state, bool replied,
			       u64 expires_in_ns),
		    void *ctx)
{
	for (u32 i = 0; i < ct.hwm; i++) {
		const struct nf_conn *c = &ct.conns[i];
		if (!c->used || c->expires_ns <= now)
			continue;
		const char *state = c->orig.proto == IPPROTO_TCP
					? tcp_state_names[c->tcp_state]
					: "";
		fn(ctx, &c->orig, state, c->replied, c->expires_ns - now);
	}
}
