/*
 * net/dhcp.h - the DHCP client state machine (RFC 2131 4.4), pure: it
 * takes parsed messages and the time, and returns what to do. The caller
 * (kernel/netconfig.c) sends, probes, configures and arms one timer.
 *
 *   INIT --DISCOVER--> SELECTING --OFFER/REQUEST--> REQUESTING
 *   REQUESTING --ACK--> PROBING (RFC 5227 ARP probe of the address)
 *   PROBING --no conflict--> BOUND (apply)   --conflict--> DECLINE, INIT
 *   BOUND --T1--> RENEWING (REQUEST unicast to the server)
 *   RENEWING --T2--> REBINDING (REQUEST broadcast)
 *   RENEWING/REBINDING --ACK--> BOUND (apply again: new timers)
 *   REBINDING --expiry--> INIT (remove the address)
 *   any --NAK--> INIT (remove the address if one was applied)
 *   `dhcp renew`: BOUND/RENEWING --> RENEWING now (as if T1 had come),
 *                 REBINDING --> REQUEST again, no lease --> DISCOVER now
 *   `dhcp release`: RELEASE to the server (RFC 2131 4.4.6), remove the
 *                 address, INIT with nothing scheduled until `dhcp renew`
 *
 * Usage:
 *	struct dhcp_client c; struct dhcp_action a;
 *	dhcp_client_init(&c, mac, seed, "skiff");
 *	dhcp_start(&c, now_ns, &a);           // then do what a says
 *	on a reply:  dhcp_rx(&c, &msg, now_ns, &a)
 *	at a.next_ns: dhcp_tick(&c, now_ns, &a)
 *	probe over:  dhcp_probe_done(&c, conflict, now_ns, &a)
 *	operator:    dhcp_renew(&c, now_ns, &a), dhcp_release(...)
 * Every call fills *a anew: send (a.msg to a.daddr from a.saddr, via a
 * broadcast when a.daddr is all-ones), probe (a.probe_addr), remove
 * (a.remove_addr/a.remove_prefix, before apply), apply (c.lease), and
 * a.next_ns, the next time dhcp_tick wants to run (0 = none).
 */
#ifndef SKIFF_NET_DHCP_H
#define SKIFF_NET_DHCP_H

#include <skiff/net/dhcp_wire.h>
#include <skiff/types.h>

enum dhcp_state {
	DHCP_INIT,
	DHCP_SELECTING,
	DHCP_REQUESTING,
	DHCP_PROBING,
	DHCP_BOUND,
	DHCP_RENEWING,
	DHCP_REBINDING,
};

#define DHCP_LEASE_INFINITE 0xffffffffu
#define DHCP_BACKOFF_FIRST_MS 4000 /* RFC 2131 4.1: 4 s, doubled ... */
#define DHCP_BACKOFF_MAX_MS 64000  /* ... up to 64 s, +/- 1 s random */
#define DHCP_REQUEST_TRIES 4	   /* REQUESTs in REQUESTING, then INIT */
#define DHCP_RENEW_MIN_MS 60000	   /* RFC 2131 4.4.5: down to 60 s */
#define DHCP_DECLINE_WAIT_MS 10000 /* RFC 2131 3.1.5: at least 10 s */
#define DHCP_NAK_WAIT_MS 1000

/* What a server gave us (host order). */
struct dhcp_lease {
	u32 addr;
	u8 prefix;
	u32 server_id;
	u32 router; /* 0 = none */
	u32 dns[DHCP_MAX_DNS];
	u8 dns_count;
	u16 mtu; /* 0 = not given */
	char hostname[64];
	u32 lease_s, t1_s, t2_s;
	u64 acquired_ns; /* when the REQUEST that got the ACK went out */
};

struct dhcp_client {
	enum dhcp_state state;
	u8 mac[6];
	char hostname[64]; /* sent as option 12 */
	u32 xid;
	u32 rand;		   /* xorshift state for xids and jitter */
	u64 begin_ns;		   /* the exchange began (secs field) */
	u64 request_ns;		   /* the last REQUEST went out */
	u64 next_ns;		   /* dhcp_tick's next deadline, 0 = none */
	u32 backoff_ms;		   /* the next retransmission interval */
	u32 tries;		   /* REQUESTs sent in REQUESTING */
	struct dhcp_msg offer;	   /* the OFFER being requested */
	struct dhcp_lease pending; /* from the ACK, while probing */
	struct dhcp_lease lease;   /* applied (BOUND, RENEWING, REBINDING) */
	bool have_lease;
	bool released;		     /* `dhcp release`: idle until dhcp_renew */
	u64 t1_ns, t2_ns, expiry_ns; /* absolute; U64_MAX when infinite */
	/* Counters for `dhcp`. */
	u32 tx_discover, tx_request, tx_decline, tx_release;
	u32 rx_offer, rx_ack, rx_nak, rx_ignored;
	u32 conflicts, expiries;
};

struct dhcp_action {
	bool send;
	struct dhcp_msg msg;
	u32 saddr, daddr; /* daddr all-ones: limited broadcast */
	bool probe;
	u32 probe_addr;
	bool remove;
	u32 remove_addr;
	u8 remove_prefix;
	bool apply; /* configure c->lease */
	u64 next_ns;
};

void dhcp_client_init(struct dhcp_client *c, const u8 mac[6], u32 seed,
		      const char *hostname);
void dhcp_start(struct dhcp_client *c, u64 now_ns, struct dhcp_action *a);
void dhcp_rx(struct dhcp_client *c, const struct dhcp_msg *m, u64 now_ns,
	     struct dhcp_action *a);
void dhcp_tick(struct dhcp_client *c, u64 now_ns, struct dhcp_action *a);
void dhcp_probe_done(struct dhcp_client *c, bool conflict, u64 now_ns,
		     struct dhcp_action *a);
/* 0, or -EBUSY while the offered address is being probed (nothing done). */
int dhcp_renew(struct dhcp_client *c, u64 now_ns, struct dhcp_action *a);
/* 0, or -ENOENT without a lease (then it only stops trying). */
int dhcp_release(struct dhcp_client *c, u64 now_ns, struct dhcp_action *a);
const char *dhcp_state_name(enum dhcp_state s);

/*
 * The driver (net/dhcp_client.c): runs one client on dev. It listens on
 * UDP 68 (udp_kernel_listen), sends with ip_send_skb (out.dev = dev,
 * saddr 0 until bound), probes with arp_probe, and configures the
 * address with its connected route, the default route (option 3, when
 * use_router) and the MTU (option 26). on_lease (may be NULL) runs after
 * each ACK is applied, fresh = the address was new, for what lives
 * outside net/ (DNS servers, hostname, static routes). `dhcp` on the
 * console shows the state. 0, or a negative errno (UDP 68 busy).
 */
struct net_device;
struct dhcp_client_cfg {
	const char *hostname; /* sent as option 12; may be NULL */
	bool use_router;
	void (*on_lease)(const struct dhcp_lease *l, bool fresh);
};
int dhcp_client_start(struct net_device *dev,
		      const struct dhcp_client_cfg *cfg);

#endif
