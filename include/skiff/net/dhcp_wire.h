/*
 * net/dhcp_wire.h - the DHCP message format (RFC 2131 2, RFC 2132 options),
 * parsed into a host-order struct and emitted from one. No state.
 *
 * Read first: RFC 2131 (section 2 the message, 4.1 retransmission),
 * RFC 2132 (options 1, 3, 6, 12, 26, 50-59), RFC 1542 2.1 (broadcast flag,
 * the 300-byte minimum some relays expect).
 *
 * dhcp_parse checks every length once: the fixed 236-byte header, the
 * magic cookie, each option's length against the bytes left, an END in
 * every options area it reads (the options field, then `file` and `sname`
 * when option 52 overloads them), and the length each known option must
 * have. Any violation rejects the whole message (-EBADMSG): a bad packet
 * is never half-applied. Unknown options are skipped.
 */
#ifndef SKIFF_NET_DHCP_WIRE_H
#define SKIFF_NET_DHCP_WIRE_H

#include <skiff/types.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u
#define DHCP_FIXED_LEN 236 /* op .. file */
#define DHCP_MIN_LEN 240   /* + the magic cookie */
#define DHCP_EMIT_LEN 300  /* RFC 1542 2.1: pad what we send to 300 */
#define DHCP_MAX_DNS 4
#define DHCP_MAX_ROUTERS 4

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define DHCP_FLAG_BROADCAST 0x8000 /* RFC 1542 2.1 */

enum dhcp_msg_type {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

/* Option codes (RFC 2132). */
#define DHO_PAD 0
#define DHO_SUBNET_MASK 1
#define DHO_ROUTERS 3
#define DHO_DNS 6
#define DHO_HOSTNAME 12
#define DHO_MTU 26
#define DHO_REQUESTED_IP 50
#define DHO_LEASE_TIME 51
#define DHO_OVERLOAD 52
#define DHO_MSG_TYPE 53
#define DHO_SERVER_ID 54
#define DHO_PARAM_LIST 55
#define DHO_MESSAGE 56
#define DHO_MAX_MSG_SIZE 57
#define DHO_T1 58
#define DHO_T2 59
#define DHO_CLIENT_ID 61
#define DHO_END 255

/* Which options were present (dhcp_msg.has). */
#define DHCP_HAS_MASK 0x001
#define DHCP_HAS_LEASE 0x002
#define DHCP_HAS_T1 0x004
#define DHCP_HAS_T2 0x008
#define DHCP_HAS_SERVER_ID 0x010
#define DHCP_HAS_REQUESTED_IP 0x020
#define DHCP_HAS_MTU 0x040

/* One message, host order. Options the client neither sends nor uses are
 * skipped by the parser and absent here. */
struct dhcp_msg {
	u8 op;	      /* BOOTREQUEST / BOOTREPLY */
	u32 xid;      /* transaction id chosen by the client */
	u16 secs;     /* seconds since the client began (requests) */
	u16 flags;    /* DHCP_FLAG_BROADCAST */
	u32 ciaddr;   /* client's address when it has one (renew/rebind) */
	u32 yiaddr;   /* "your" address: the offer */
	u32 siaddr;   /* next server (unused) */
	u32 giaddr;   /* relay agent */
	u8 chaddr[6]; /* client MAC (htype 1, hlen 6 only) */
	u8 type;      /* enum dhcp_msg_type, 0 = option 53 absent */
	u16 has;      /* DHCP_HAS_* */
	u32 subnet_mask;
	u32 lease_s, t1_s, t2_s; /* 0xffffffff = infinite */
	u32 server_id;
	u32 requested_ip;
	u16 mtu; /* >= 68 (RFC 2132 5.1) */
	u8 router_count, dns_count;
	u32 routers[DHCP_MAX_ROUTERS];
	u32 dns[DHCP_MAX_DNS];
	char hostname[64]; /* NUL-terminated, "" = absent */
	char message[64];  /* option 56 (a NAK's reason), "" = absent */
};

/* Parse len bytes (the UDP payload). 0, or -EBADMSG. */
int dhcp_parse(const u8 *buf, size_t len, struct dhcp_msg *m);

/*
 * Emit a client message into buf (cap >= DHCP_EMIT_LEN): the header, the
 * magic cookie, options 53, 61 (client id: 1 + chaddr), 50 and 54 when
 * set in m->has, 57, 55 (the parameters we apply), 12 when hostname is
 * set, END, padded to DHCP_EMIT_LEN. Returns the length, or -ENOSPC.
 */
int dhcp_emit(const struct dhcp_msg *m, u8 *buf, size_t cap);

/* The prefix length of a contiguous mask, or -1. */
int dhcp_mask_prefix(u32 mask);

#endif
