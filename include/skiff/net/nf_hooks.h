/*
 * net/nf_hooks.h - where a packet filter plugs into the IPv4 path (the
 * netfilter hook points of Linux). Issue 3 only leaves the call points:
 * every hook is empty and so ACCEPTs; the packet filter (issue 5)
 * registers one function per hook with nf_register_ipv4_hook.
 *
 *   RX: ip_rcv -> PRE_ROUTING -> local? -> ip_defrag -> LOCAL_IN -> proto
 *   TX: ip_send_skb -> LOCAL_OUT -> POST_ROUTING -> fragment -> neighbour
 *   FORWARD is never called: Skiff does not forward.
 */
#ifndef SKIFF_NET_NF_HOOKS_H
#define SKIFF_NET_NF_HOOKS_H

#include <skiff/netdevice.h>

enum nf_inet_hooks {
	NF_INET_PRE_ROUTING,
	NF_INET_LOCAL_IN,
	NF_INET_FORWARD,
	NF_INET_LOCAL_OUT,
	NF_INET_POST_ROUTING,
	NF_INET_NUMHOOKS
};

/* Verdicts, with Linux's values. */
#define NF_DROP 0   /* the caller frees the skb */
#define NF_ACCEPT 1 /* go on */
#define NF_STOLEN 2 /* the hook took the skb (freed or queued it) */

/*
 * A hook sees skb->data at the IP header with IPCB(skb) filled on input
 * (saddr, daddr, protocol...); in is the receiving device (NULL on
 * output), out the sending one (NULL on input).
 */
typedef unsigned int (*nf_hookfn)(unsigned int hook, struct sk_buff *skb,
				  const struct net_device *in,
				  const struct net_device *out);

/* Set (fn) or clear (NULL) the function of one hook. 0 or -EINVAL. */
int nf_register_ipv4_hook(unsigned int hook, nf_hookfn fn);

/*
 * Run a hook (net/ipv4.c). Returns true if the packet goes on; false if
 * it was dropped (freed here) or stolen.
 */
bool nf_hook_ipv4(unsigned int hook, struct sk_buff *skb,
		  const struct net_device *in, const struct net_device *out);

#endif
