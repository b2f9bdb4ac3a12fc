/*
 * net/route.h - the IPv4 forwarding information base: longest-prefix
 * match over connected, static and default routes. Addresses host order.
 */
#ifndef SKIFF_NET_ROUTE_H
#define SKIFF_NET_ROUTE_H

#include <skiff/netdevice.h>

enum rt_type { RT_CONNECTED, RT_STATIC, RT_DEFAULT_GW };

struct fib_result {
	struct net_device *dev;
	u32 gateway; /* next hop; 0 = the destination is on-link */
	u32 prefsrc; /* source address to use */
	u8 prefix;
	u8 type; /* enum rt_type */
	u16 mtu; /* path MTU (0 = the device's) */
};

/* 0 and *res filled, or -ENETUNREACH. */
int fib_lookup(u32 daddr, struct fib_result *res);
/* gateway 0 = on-link via dev; dev NULL = find it from the gateway. */
int fib_add(u32 dst, u8 prefix, u32 gateway, struct net_device *dev,
	    enum rt_type type);
int fib_del(u32 dst, u8 prefix);
void fib_for_each(void (*fn)(void *ctx, u32 dst, u8 prefix, u32 gw,
			     struct net_device *dev, enum rt_type type),
		  void *ctx);
/* Learned path MTU for daddr (RFC 1191), 0 if none. */
u16 ip_pmtu_get(u32 daddr);
/* The same, and *expires (jiffies) set when one is found. */
u16 ip_pmtu_lookup(u32 daddr, u64 *expires);
void ip_pmtu_update(u32 daddr, u16 mtu);

#endif
