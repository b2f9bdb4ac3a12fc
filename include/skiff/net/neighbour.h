/*
 * net/neighbour.h - ARP as a neighbour subsystem (RFC 826, RFC 5227 for
 * probes and announcements; Linux's neighbour state machine).
 */
#ifndef SKIFF_NET_NEIGHBOUR_H
#define SKIFF_NET_NEIGHBOUR_H

#include <skiff/netdevice.h>

enum neigh_state {
	NUD_NONE,
	NUD_INCOMPLETE, /* resolving: requests out, packets queued */
	NUD_REACHABLE,	/* confirmed recently */
	NUD_STALE,	/* usable, not confirmed lately */
	NUD_DELAY,	/* used while stale: wait before probing */
	NUD_PROBE,	/* unicast probes out */
	NUD_FAILED,	/* no answer */
	NUD_PERMANENT,
};

/*
 * Send skb (data at the IP header) to next_hop (host order) on dev: push
 * the Ethernet header if the neighbour is known, else queue it (a few per
 * neighbour) and resolve. Consumes the skb; 0 or a negative errno (the
 * skb was dropped and counted).
 */
int neigh_output(struct net_device *dev, u32 next_hop, struct sk_buff *skb);
/* Broadcast a gratuitous ARP announcing addr on dev. */
void arp_announce(struct net_device *dev, u32 addr);
/*
 * RFC 5227 2.1: probe whether addr is free on dev before using it (DHCP).
 * About 3-7 s later, done(conflict, arg) runs from a timer. 0, or -EBUSY
 * when too many probes are under way (then done is never called).
 */
int arp_probe(struct net_device *dev, u32 addr,
	      void (*done)(bool conflict, void *arg), void *arg);
/* Send one ARP request for target (for `arping`). */
int arp_send_request(struct net_device *dev, u32 target);
/* Look up (without creating): state and MAC. */
int neigh_lookup(struct net_device *dev, u32 addr, u8 mac[ETH_ALEN],
		 enum neigh_state *state);
void neigh_flush(struct net_device *dev);
const char *neigh_state_name(enum neigh_state s);
void arp_init(void);

#endif
