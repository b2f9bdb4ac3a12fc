/*
 * net/icmp.h - ICMP (RFC 792, RFC 1122 3.2.2): echo, errors with a
 * token-bucket rate limit (like Linux's icmp_ratelimit), and errors
 * received for our own datagrams handed to the protocol they quote.
 */
#ifndef SKIFF_NET_ICMP_H
#define SKIFF_NET_ICMP_H

#include <skiff/skbuff.h>

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_PKT_FILTERED 13 /* communication administratively prohibited */
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

/*
 * Send an ICMP error about orig (a received datagram; orig->data at its
 * IP header or anywhere after with IPCB valid — the function finds the IP
 * header through skb_network_header). Never about an ICMP error, a
 * broadcast, a non-first fragment (RFC 1122 3.2.2). Rate-limited. info is
 * the MTU for ICMP_FRAG_NEEDED. Does not consume orig.
 */
void icmp_send(struct sk_buff *orig, u8 type, u8 code, u32 info);

/* Echo requests from the appliance (`ping`): replies are delivered to the
 * registered callback with the id, sequence, payload bytes and TTL. */
typedef void (*icmp_echo_reply_fn)(u16 id, u16 seq, u32 from, u32 len, u8 ttl,
				   u64 rx_ns);
void icmp_set_echo_listener(icmp_echo_reply_fn fn);
int icmp_send_echo(u32 daddr, u16 id, u16 seq, u32 payload_len);

void icmp_init(void);

#endif
