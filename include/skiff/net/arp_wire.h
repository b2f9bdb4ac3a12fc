/*
 * net/arp_wire.h - ARP packets on the wire (RFC 826) for IPv4 over
 * Ethernet, parsed into a host-order struct and emitted back. No state,
 * no allocation: net/arp_wire.c only reads and writes bytes.
 *
 *    0       2       4   5   6       8
 *   +-------+-------+---+---+-------+
 *   | htype | ptype |hln|pln|  op   |   htype 1 (Ethernet), ptype 0x0800
 *   +-------+-------+---+---+-------+
 *   8  sender MAC (6) | 14 sender IP (4)
 *   18 target MAC (6) | 24 target IP (4)          28 bytes in all
 */
#ifndef SKIFF_NET_ARP_WIRE_H
#define SKIFF_NET_ARP_WIRE_H

#include <skiff/netdevice.h>

#define ARP_HDR_FIXED 8 /* htype .. op */
#define ARP_PKT_LEN 28	/* Ethernet/IPv4 packet */
#define ARPHRD_ETHER 1	/* RFC 826 ar$hrd for Ethernet (IANA) */
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

/* An Ethernet/IPv4 ARP packet, host order (addresses too). */
struct arp_info {
	u16 htype, ptype;
	u8 hlen, plen;
	u16 op;
	u8 sha[ETH_ALEN];
	u32 spa;
	u8 tha[ETH_ALEN];
	u32 tpa;
};

/* Why a packet was refused, in the order arp_parse checks. */
enum arp_parse_result {
	ARP_PARSE_OK = 0,
	ARP_PARSE_SHORT,   /* fewer bytes than the header says */
	ARP_PARSE_HTYPE,   /* hardware type not Ethernet */
	ARP_PARSE_PTYPE,   /* protocol type not IPv4 */
	ARP_PARSE_ADDRLEN, /* hlen != 6 or plen != 4 */
};

/* Parse len bytes at buf. a is filled as far as parsing got. Trailing
 * bytes (Ethernet padding) are ignored. */
enum arp_parse_result arp_parse(const u8 *buf, size_t len, struct arp_info *a);
/* Write a into buf (ARP_PKT_LEN bytes; htype, ptype, hlen and plen are
 * written as Ethernet/IPv4 whatever a says). Returns ARP_PKT_LEN. */
size_t arp_emit(const struct arp_info *a, u8 *buf);

#endif
