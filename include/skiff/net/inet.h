/*
 * net/inet.h - IPv4 addresses on devices (Linux's in_device/devinet).
 * Every IPv4 address in these APIs is a u32 in HOST byte order; only the
 * wire-format code (the net/..._wire.c files) converts.
 */
#ifndef SKIFF_NET_INET_H
#define SKIFF_NET_INET_H

#include <skiff/netdevice.h>

#define IPV4(a, b, c, d)                                                       \
	(((u32)(a) << 24) | ((u32)(b) << 16) | ((u32)(c) << 8) | (u32)(d))
#define INADDR_ANY 0u
#define INADDR_BROADCAST 0xffffffffu

static inline u32 inet_prefix_mask(u8 prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

/* Add addr/prefix to dev: also adds the connected route and sends a
 * gratuitous ARP. 0, -EEXIST, -EINVAL or -ENOMEM. */
int inet_addr_add(struct net_device *dev, u32 addr, u8 prefix);
int inet_addr_del(struct net_device *dev, u32 addr, u8 prefix);
/* The primary address of dev, or 0. */
u32 inet_dev_addr(const struct net_device *dev);
/* Whether addr is one of dev's addresses (dev NULL: any device's). */
bool inet_addr_is_local(const struct net_device *dev, u32 addr);
/* Whether addr is a broadcast address of one of dev's subnets (or all-ones). */
bool inet_addr_is_broadcast(const struct net_device *dev, u32 addr);
/* Visit every address: for `ip addr`. */
void inet_for_each_addr(const struct net_device *dev,
			void (*fn)(void *ctx, u32 addr, u8 prefix), void *ctx);

#endif
