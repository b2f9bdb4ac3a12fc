/*
 * reflect.h - app=reflect: the L2 reflector (net/reflect.c), the ceiling
 * of the emulated NIC path for the benchmark.
 */
#ifndef SKIFF_NET_REFLECT_H
#define SKIFF_NET_REFLECT_H

#include <skiff/types.h>

struct sk_buff;

struct reflect_stats {
	u64 reflected;	/* frames handed back to the driver */
	u64 runts;	/* shorter than an Ethernet header: dropped */
	u64 bad_source; /* group (multicast) source address: dropped */
	u64 group_dest; /* broadcast/multicast destination: answered
			   from the device's own address */
};

/* Arm the reflector: it takes over every NIC's receive path once the first
 * NIC is up with its address (so ip=dhcp still binds a lease first). */
void reflect_start(void);

/* The hook itself (netdev_rx_reflect): swap the Ethernet addresses of the
 * frame at skb->data and return it for transmission, or free it and return
 * NULL. Exposed for the unit test. */
struct sk_buff *reflect_rx(struct sk_buff *skb);

/* Counters so far (a snapshot). */
void reflect_get_stats(struct reflect_stats *out);

#endif
