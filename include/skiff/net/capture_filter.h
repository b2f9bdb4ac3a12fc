/*
 * net/capture_filter.h - the packet-capture filter: a subset of tcpdump's
 * expression language (pcap-filter(7)), compiled into a small tree and
 * matched against raw Ethernet frames. Pure: no state beyond the compiled
 * filter, no allocation, no clock; host unit tests and a fuzzer drive it.
 *
 *   expr      := term { ("or" | "||") term }
 *   term      := factor { ("and" | "&&") factor }
 *   factor    := ("not" | "!") factor | "(" expr ")" | primitive
 *   primitive := [proto] [dir] [kind] VALUE | proto
 *   proto     := "ip" | "arp" | "tcp" | "udp" | "icmp"
 *   dir       := "src" | "dst" | "src or dst" | "src and dst"
 *   kind      := "host" A.B.C.D | "net" A[.B[.C[.D]]][/N] ["mask" M]
 *              | "port" P | "portrange" P1-P2
 *
 * As in tcpdump, a bare VALUE after "and"/"or" repeats the qualifiers of
 * the primitive before it ("port 7 or 80", "host A or B"); a bare value
 * first is a host. Ports are numbers or a few service names (echo, http,
 * domain...). `host` and `net` match the IPv4 header and ARP's sender and
 * target protocol addresses, `port` TCP and UDP (not later fragments).
 */
#ifndef SKIFF_NET_CAPTURE_FILTER_H
#define SKIFF_NET_CAPTURE_FILTER_H

#include <skiff/types.h>

#define CF_MAX_NODES 128 /* primitives and operators in one filter */
#define CF_MAX_DEPTH 32	 /* nesting of parentheses and "not" */
#define CF_MAX_TEXT 512	 /* characters in one expression */

enum cf_op {
	CF_TRUE, /* the empty filter */
	CF_AND,
	CF_OR,
	CF_NOT,
	CF_PROTO, /* ->proto */
	CF_HOST,  /* ->addr, ->mask = all ones */
	CF_NET,	  /* ->addr/->mask */
	CF_PORT,  /* ->port_lo..->port_hi, ->proto 0 = TCP or UDP */
};

enum cf_dir { CF_DIR_ANY, CF_DIR_SRC, CF_DIR_DST, CF_DIR_BOTH };

enum cf_proto { CF_P_NONE, CF_P_IP, CF_P_ARP, CF_P_TCP, CF_P_UDP, CF_P_ICMP };

struct cf_node {
	u8 op;		      /* enum cf_op */
	u8 dir;		      /* enum cf_dir, for HOST/NET/PORT */
	u8 proto;	      /* enum cf_proto, for PROTO and PORT */
	u16 lhs, rhs;	      /* children of AND/OR (NOT uses lhs) */
	u32 addr, mask;	      /* host order */
	u16 port_lo, port_hi; /* inclusive */
};

struct capture_filter {
	struct cf_node nodes[CF_MAX_NODES];
	u16 count;
	u16 root;
};

/* Where and why an expression did not compile. */
struct cf_error {
	int pos;	 /* character offset of the bad word in the text */
	const char *msg; /* e.g. "expected a port number" */
	char word[32];	 /* the word at pos (cut), "" at the end */
};

/* Compile expr ("" or NULL: match everything). 0, or -EINVAL with *err
 * filled in. */
int cf_compile(struct capture_filter *f, const char *expr,
	       struct cf_error *err);

/* The fields of a frame the filter looks at (also used by the formatter). */
struct cf_pkt {
	bool ip, arp;
	u8 ip_proto;
	bool first_frag; /* IPv4 fragment offset 0: ports are present */
	bool has_ports;
	u32 saddr, daddr; /* IPv4 or ARP sender/target protocol address */
	u16 sport, dport;
};
void cf_pkt_parse(const u8 *frame, u32 caplen, struct cf_pkt *p);

bool cf_match(const struct capture_filter *f, const u8 *frame, u32 caplen);
bool cf_match_pkt(const struct capture_filter *f, const struct cf_pkt *p);

/* A port's service name for the formatter ("echo"), or NULL. */
const char *cf_port_name(u16 port);

#endif
