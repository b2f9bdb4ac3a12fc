/*
 * dhcp.c - the DHCP client state machine (RFC 2131 4.4; RFC 5227 for the
 * probe that it asks for). Pure: no clock, no I/O. Each entry point fills
 * a struct dhcp_action that the caller carries out (include/skiff/net/
 * dhcp.h has the state diagram).
 *
 *   dhcp_start -> send_discover                       (INIT -> SELECTING)
 *   dhcp_rx -> reply_ok (xid, chaddr, op) -> on_offer | on_ack | on_nak
 *   dhcp_tick -> retransmit, T1, T2, expiry per state
 *   dhcp_probe_done -> bind | decline
 *
 * Read first: RFC 2131 3.1 (the exchange), 4.1 (retransmission), 4.3.2 /
 * 4.4.5 (what REQUEST carries in each state, T1/T2), RFC 5227 2.1.
 */
#include <skiff/net/dhcp.h>
#include <errno.h>
#include <string.h>

#define MS_NS 1000000ULL
#define S_NS 1000000000ULL
#define NEVER (~0ULL)

const char *dhcp_state_name(enum dhcp_state s)
{
	static const char *const names[] = {
	    [DHCP_INIT] = "INIT",
	    [DHCP_SELECTING] = "SELECTING",
	    [DHCP_REQUESTING] = "REQUESTING",
	    [DHCP_PROBING] = "PROBING",
	    [DHCP_BOUND] = "BOUND",
	    [DHCP_RENEWING] = "RENEWING",
	    [DHCP_REBINDING] = "REBINDING",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static u32 dhcp_random(struct dhcp_client *c)
{
	/* xorshift32: xids and jitter need to differ, not to be secret. */
	u32 x = c->rand;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->rand = x;
	return x;
}

void dhcp_client_init(struct dhcp_client *c, const u8 mac[6], u32 seed,
		      const char *hostname)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->rand = seed ? seed : 0x2545f491u;
	if (hostname)
		strncpy(c->hostname, hostname, sizeof(c->hostname) - 1);
	c->state = DHCP_INIT;
}

static void action_init(struct dhcp_action *a)
{
	memset(a, 0, sizeof(*a));
}

/* RFC 2131 4.1: the delay doubles from 4 s to 64 s, randomised by
 * +/- 1 s. Returns the next deadline. */
static u64 backoff_next(struct dhcp_client *c, u64 now)
{
	u32 ms = c->backoff_ms ? c->backoff_ms : DHCP_BACKOFF_FIRST_MS;
	s64 jitter_ms = (s64)(dhcp_random(c) % 2001) - 1000;
	c->backoff_ms =
	    ms * 2 > DHCP_BACKOFF_MAX_MS ? DHCP_BACKOFF_MAX_MS : ms * 2;
	return now + (u64)((s64)ms + jitter_ms) * MS_NS;
}

/* A client message with the fields every one of ours shares. */
static void msg_base(struct dhcp_client *c, u8 type, u64 now,
		     struct dhcp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->op = BOOTREQUEST;
	m->type = type;
	m->xid = c->xid;
	u64 secs = (now - c->begin_ns) / S_NS;
	m->secs = secs > 0xffff ? 0xffff : (u16)secs;
	memcpy(m->chaddr, c->mac, 6);
	memcpy(m->hostname, c->hostname, sizeof(m->hostname));
}

/* Without an address we cannot take a unicast reply: ask for broadcast
 * (RFC 2131 4.1, RFC 1542 2.1). */
static void send_broadcast(struct dhcp_action *a)
{
	a->send = true;
	a->saddr = 0;
	a->daddr = 0xffffffffu;
	a->msg.flags = DHCP_FLAG_BROADCAST;
}

static void send_discover(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	msg_base(c, DHCPDISCOVER, now, &a->msg);
	send_broadcast(a);
	c->tx_discover++;
	c->next_ns = backoff_next(c, now);
}

/* INIT -> SELECTING: a new transaction. RFC 2131 4.4.1 suggests a random
 * 1-10 s wait before the first DISCOVER (to spread a building's worth of
 * clients after a power cut); an appliance boots alone and its ready line
 * waits for the lease, so it sends at once. */
static void restart(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	c->state = DHCP_SELECTING;
	c->xid = dhcp_random(c);
	c->begin_ns = now;
	c->backoff_ms = 0;
	c->tries = 0;
	send_discover(c, now, a);
}

/* Go to INIT and start again at `at` (now, or after a wait). */
static void to_init(struct dhcp_client *c, u64 now, u64 at,
		    struct dhcp_action *a)
{
	if (c->have_lease) {
		a->remove = true;
		a->remove_addr = c->lease.addr;
		a->remove_prefix = c->lease.prefix;
		c->have_lease = false;
	}
	c->state = DHCP_INIT;
	c->next_ns = at;
	if (at <= now)
		restart(c, now, a);
}

void dhcp_start(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	action_init(a);
	to_init(c, now, now, a);
	a->next_ns = c->next_ns;
}

/* The REQUEST of RFC 2131 4.3.2 / table 5 for the current state. */
static void send_request(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	struct dhcp_msg *m = &a->msg;
	msg_base(c, DHCPREQUEST, now, m);
	c->request_ns = now;
	c->tx_request++;
	if (c->state == DHCP_REQUESTING) {
		/* SELECTING: server id and requested address, ciaddr 0. */
		m->has = DHCP_HAS_SERVER_ID | DHCP_HAS_REQUESTED_IP;
		m->server_id = c->offer.server_id;
		m->requested_ip = c->offer.yiaddr;
		send_broadcast(a);
		return;
	}
	/* RENEWING (unicast to the server) and REBINDING (broadcast):
	 * ciaddr set, no server id, no requested address. */
	m->ciaddr = c->lease.addr;
	a->send = true;
	a->saddr = c->lease.addr;
	a->daddr = c->state == DHCP_RENEWING ? c->lease.server_id : 0xffffffffu;
}

/* Whether a reply belongs to our exchange (RFC 2131 4.4.1: xid; and the
 * chaddr, since servers broadcast replies to everyone). */
static bool reply_ok(const struct dhcp_client *c, const struct dhcp_msg *m)
{
	return m->op == BOOTREPLY && m->xid == c->xid &&
	       memcmp(m->chaddr, c->mac, 6) == 0;
}

/* An address a server may hand out: not 0, loopback, class D/E,
 * broadcast. */
static bool addr_usable(u32 a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 &&
	       (a & 0xe0000000u) != 0xe0000000u;
}

static void on_offer(struct dhcp_client *c, const struct dhcp_msg *m, u64 now,
		     struct dhcp_action *a)
{
	if (c->state != DHCP_SELECTING || !addr_usable(m->yiaddr) ||
	    !(m->has & DHCP_HAS_SERVER_ID)) {
		c->rx_ignored++;
		return;
	}
	/* RFC 2131 4.4.1: the first acceptable offer is taken. */
	c->rx_offer++;
	c->offer = *m;
	c->state = DHCP_REQUESTING;
	c->backoff_ms = 0;
	c->tries = 1;
	send_request(c, now, a);
	c->next_ns = backoff_next(c, now);
}

/* The classful default when no mask option came (RFC 950 before CIDR). */
static u8 default_prefix(u32 addr)
{
	if (addr < 0x80000000u)
		return 8;
	return addr < 0xc0000000u ? 16 : 24;
}

/* RFC 2131 4.4.5: T1 defaults to half the lease, T2 to 7/8; times that
 * are out of order fall back to the defaults. */
static void lease_times(struct dhcp_lease *l, const struct dhcp_msg *m)
{
	l->lease_s = m->lease_s;
	if (l->lease_s == DHCP_LEASE_INFINITE) {
		l->t1_s = l->t2_s = DHCP_LEASE_INFINITE;
		return;
	}
	l->t1_s = (m->has & DHCP_HAS_T1) ? m->t1_s : l->lease_s / 2;
	l->t2_s =
	    (m->has & DHCP_HAS_T2) ? m->t2_s : (u32)((u64)l->lease_s * 7 / 8);
	if (l->t2_s > l->lease_s)
		l->t2_s = (u32)((u64)l->lease_s * 7 / 8);
	if (l->t1_s > l->t2_s)
		l->t1_s = l->lease_s / 2 < l->t2_s ? l->lease_s / 2 : l->t2_s;
}

static void lease_from_ack(struct dhcp_client *c, const struct dhcp_msg *m,
			   struct dhcp_lease *l)
{
	memset(l, 0, sizeof(*l));
	l->addr = m->yiaddr;
	l->prefix = (m->has & DHCP_HAS_MASK)
			? (u8)dhcp_mask_prefix(m->subnet_mask)
			: default_prefix(m->yiaddr);
	l->server_id =
	    (m->has & DHCP_HAS_SERVER_ID) ? m->server_id : c->lease.server_id;
	l->router = m->router_count ? m->routers[0] : 0;
	l->dns_count = m->dns_count;
	memcpy(l->dns, m->dns, sizeof(l->dns));
	l->mtu = (m->has & DHCP_HAS_MTU) ? m->mtu : 0;
	memcpy(l->hostname, m->hostname, sizeof(l->hostname));
	lease_times(l, m);
	l->acquired_ns = c->request_ns;
}

static u64 at_secs(u64 base, u32 s)
{
	return s == DHCP_LEASE_INFINITE ? NEVER : base + (u64)s * S_NS;
}

/* BOUND with c->lease: timers from the moment the REQUEST went out
 * (RFC 2131 4.4.1: "the time at which the client sent the request"). */
static void bind_lease(struct dhcp_client *c, struct dhcp_action *a)
{
	const struct dhcp_lease *l = &c->lease;
	c->state = DHCP_BOUND;
	c->have_lease = true;
	c->t1_ns = at_secs(l->acquired_ns, l->t1_s);
	c->t2_ns = at_secs(l->acquired_ns, l->t2_s);
	c->expiry_ns = at_secs(l->acquired_ns, l->lease_s);
	c->next_ns = c->t1_ns == NEVER ? 0 : c->t1_ns;
	a->apply = true;
}

static void on_ack(struct dhcp_client *c, const struct dhcp_msg *m,
		   struct dhcp_action *a)
{
	bool renewal = c->state == DHCP_RENEWING || c->state == DHCP_REBINDING;
	if ((c->state != DHCP_REQUESTING && !renewal) ||
	    !addr_usable(m->yiaddr) || !(m->has & DHCP_HAS_LEASE) ||
	    (c->state == DHCP_REQUESTING && m->yiaddr != c->offer.yiaddr)) {
		c->rx_ignored++;
		return;
	}
	c->rx_ack++;
	if (renewal && m->yiaddr == c->lease.addr) {
		lease_from_ack(c, m, &c->lease);
		bind_lease(c, a);
		return;
	}
	if (renewal) {
		/* A different address on renewal: drop the old one, probe
		 * the new one like a fresh lease. */
		a->remove = true;
		a->remove_addr = c->lease.addr;
		a->remove_prefix = c->lease.prefix;
		c->have_lease = false;
	}
	/* RFC 2131 4.4.1 / RFC 5227 2.1: probe before using the address. */
	lease_from_ack(c, m, &c->pending);
	c->state = DHCP_PROBING;
	c->next_ns = 0;
	a->probe = true;
	a->probe_addr = m->yiaddr;
}

static void on_nak(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	if (c->state != DHCP_REQUESTING && c->state != DHCP_RENEWING &&
	    c->state != DHCP_REBINDING) {
		c->rx_ignored++;
		return;
	}
	/* RFC 2131 4.4.4 (3.1.4): stop using the address, start over. */
	c->rx_nak++;
	to_init(c, now, now + DHCP_NAK_WAIT_MS * MS_NS, a);
}

void dhcp_rx(struct dhcp_client *c, const struct dhcp_msg *m, u64 now,
	     struct dhcp_action *a)
{
	action_init(a);
	if (!reply_ok(c, m)) {
		c->rx_ignored++;
	} else if (m->type == DHCPOFFER) {
		on_offer(c, m, now, a);
	} else if (m->type == DHCPACK) {
		on_ack(c, m, a);
	} else if (m->type == DHCPNAK) {
		on_nak(c, now, a);
	} else {
		c->rx_ignored++;
	}
	a->next_ns = c->next_ns;
}

void dhcp_probe_done(struct dhcp_client *c, bool conflict, u64 now,
		     struct dhcp_action *a)
{
	action_init(a);
	if (c->state != DHCP_PROBING)
		goto out;
	if (!conflict) {
		c->lease = c->pending;
		bind_lease(c, a);
		goto out;
	}
	/* RFC 2131 3.1.5: DECLINE, then wait at least 10 s before INIT. */
	c->conflicts++;
	c->tx_decline++;
	msg_base(c, DHCPDECLINE, now, &a->msg);
	a->msg.has = DHCP_HAS_SERVER_ID | DHCP_HAS_REQUESTED_IP;
	a->msg.server_id = c->pending.server_id;
	a->msg.requested_ip = c->pending.addr;
	send_broadcast(a);
	to_init(c, now, now + DHCP_DECLINE_WAIT_MS * MS_NS, a);
out:
	a->next_ns = c->next_ns;
}

/* RFC 2131 4.4.5: in RENEWING/REBINDING, wait half the time left to the
 * deadline, but not less than 60 s (nor past the deadline). */
static u64 renew_retry_at(u64 now, u64 deadline)
{
	u64 half = (deadline - now) / 2;
	u64 at =
	    now + (half < DHCP_RENEW_MIN_MS * MS_NS ? DHCP_RENEW_MIN_MS * MS_NS
						    : half);
	return at < deadline ? at : deadline;
}

static void tick_requesting(struct dhcp_client *c, u64 now,
			    struct dhcp_action *a)
{
	if (c->tries >= DHCP_REQUEST_TRIES) {
		to_init(c, now, now, a); /* no ACK: start over */
		return;
	}
	c->tries++;
	send_request(c, now, a);
	c->next_ns = backoff_next(c, now);
}

/* BOUND, RENEWING, REBINDING: whichever of T1, T2, expiry has come;
 * early (`dhcp renew`): T1 as if it had. */
static void tick_leased(struct dhcp_client *c, u64 now, bool early,
			struct dhcp_action *a)
{
	if (now >= c->expiry_ns) {
		c->expiries++;
		to_init(c, now, now, a); /* RFC 2131 4.4.5: lease gone */
		return;
	}
	if (now >= c->t2_ns) {
		if (c->state != DHCP_REBINDING)
			c->xid = dhcp_random(c);
		c->state = DHCP_REBINDING;
		send_request(c, now, a);
		c->next_ns = renew_retry_at(now, c->expiry_ns);
		return;
	}
	if (now >= c->t1_ns || early) {
		if (c->state != DHCP_RENEWING) {
			c->xid = dhcp_random(c);
			c->begin_ns = now;
		}
		c->state = DHCP_RENEWING;
		send_request(c, now, a);
		c->next_ns = renew_retry_at(now, c->t2_ns);
		return;
	}
	c->next_ns = c->t1_ns;
}

int dhcp_renew(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	action_init(a);
	if (c->state == DHCP_PROBING) {
		a->next_ns = c->next_ns;
		return -EBUSY;
	}
	c->released = false;
	if (!c->have_lease)
		restart(c, now, a); /* INIT, SELECTING, REQUESTING: anew */
	else /* RFC 2131 4.4.5's renewal, early (past T2: the rebinding) */
		tick_leased(c, now, true, a);
	a->next_ns = c->next_ns;
	return 0;
}

/* RFC 2131 4.4.6: DHCPRELEASE, unicast to the server with ciaddr and the
 * server identifier (table 5), sent before the address is removed. */
int dhcp_release(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	int err = 0;
	action_init(a);
	if (c->have_lease) {
		c->xid = dhcp_random(c);
		msg_base(c, DHCPRELEASE, now, &a->msg);
		a->msg.ciaddr = c->lease.addr;
		a->msg.has = DHCP_HAS_SERVER_ID;
		a->msg.server_id = c->lease.server_id;
		a->send = true;
		a->saddr = c->lease.addr;
		a->daddr = c->lease.server_id;
		a->remove = true;
		a->remove_addr = c->lease.addr;
		a->remove_prefix = c->lease.prefix;
		c->have_lease = false;
		c->tx_release++;
	} else {
		err = -ENOENT;
	}
	c->state = DHCP_INIT;
	c->released = true;
	c->next_ns = 0;
	a->next_ns = 0;
	return err;
}

void dhcp_tick(struct dhcp_client *c, u64 now, struct dhcp_action *a)
{
	action_init(a);
	if (c->next_ns && now < c->next_ns) {
		a->next_ns = c->next_ns; /* early: nothing due */
		return;
	}
	switch (c->state) {
	case DHCP_INIT:
		if (!c->released)
			restart(c, now, a);
		break;
	case DHCP_SELECTING:
		send_discover(c, now, a); /* no usable OFFER yet */
		break;
	case DHCP_REQUESTING:
		tick_requesting(c, now, a);
		break;
	case DHCP_BOUND:
	case DHCP_RENEWING:
	case DHCP_REBINDING:
		tick_leased(c, now, false, a);
		break;
	case DHCP_PROBING:
		break; /* dhcp_probe_done moves on */
	}
	a->next_ns = c->next_ns;
}
