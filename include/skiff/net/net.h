/*
 * net/net.h - bring the stack up and report it.
 */
#ifndef SKIFF_NET_NET_H
#define SKIFF_NET_NET_H

#include <skiff/types.h>

/* Initialise every protocol (skb caches, devices, ARP, IP, ICMP, UDP). */
void net_init(void);

#endif
