/*
 * net/netfilter.h - the packet filter: iptables-style rule chains on the
 * netfilter hook points of nf_hooks.h, with connection tracking.
 *
 *   LOCAL_IN  -> nf_pkt_parse -> nf_ct_lookup -> chain INPUT  -> verdict
 *   LOCAL_OUT -> nf_pkt_parse -> nf_ct_lookup -> chain OUTPUT -> verdict
 *   ACCEPT -> nf_ct_confirm (a NEW flow enters the table, a known one
 *   advances); REJECT -> ICMP error or TCP reset, then drop; LOG -> a
 *   rate-limited console line, then the next rule.
 *
 * FORWARD exists with its policy so that rule sets written for iptables
 * load, but Skiff does not forward, so it never sees a packet.
 *
 * Layers, each testable alone on the host:
 *   nf_rule.c      words -> struct nf_cmd (the parser), rule -> words
 *   nf_match.c     IPv4 bytes -> struct nf_pkt, rule x packet -> bool
 *   nf_conntrack.c the flow table (pure: time is an argument)
 *   nf_table.c     chains, policies, counters, the pre-dispatch index
 *   nf_filter.c    the hooks, REJECT/LOG, config and `filter` command
 *
 * Addresses are host order, like every net/ API.
 */
#ifndef SKIFF_NET_NETFILTER_H
#define SKIFF_NET_NETFILTER_H

#include <skiff/netdevice.h>

enum nf_chain { NF_CHAIN_INPUT, NF_CHAIN_OUTPUT, NF_CHAIN_FORWARD, NF_CHAINS };

enum nf_target { NF_T_ACCEPT, NF_T_DROP, NF_T_REJECT, NF_T_LOG };

/* --reject-with, iptables' names in nf_rule.c. */
enum nf_reject {
	NF_REJ_PORT_UNREACH, /* icmp-port-unreachable (the default) */
	NF_REJ_NET_UNREACH,
	NF_REJ_HOST_UNREACH,
	NF_REJ_PROTO_UNREACH,
	NF_REJ_ADMIN_PROHIB, /* icmp-admin-prohibited: code 13 */
	NF_REJ_TCP_RESET,
};

/* Connection states, as -m state --state / -m conntrack --ctstate. */
#define NF_CT_NEW 0x1
#define NF_CT_ESTABLISHED 0x2
#define NF_CT_RELATED 0x4
#define NF_CT_INVALID 0x8

/* Which matches a rule has (struct nf_rule.match and .invert). */
#define NF_M_PROTO 0x001
#define NF_M_IN 0x002
#define NF_M_OUT 0x004
#define NF_M_SRC 0x008
#define NF_M_DST 0x010
#define NF_M_SPORT 0x020
#define NF_M_DPORT 0x040
#define NF_M_TCPFLAGS 0x080
#define NF_M_ICMP 0x100
#define NF_M_STATE 0x200

/* TCP flag bits as on the wire (RFC 9293 3.1). */
#define NF_TCP_FIN 0x01
#define NF_TCP_SYN 0x02
#define NF_TCP_RST 0x04
#define NF_TCP_PSH 0x08
#define NF_TCP_ACK 0x10
#define NF_TCP_URG 0x20

#define NF_ICMP_ANY_CODE 0xffff
#define NF_LOG_PREFIX_LEN 32

struct nf_rule {
	u16 match;	      /* NF_M_* the rule tests; others match anything */
	u16 invert;	      /* NF_M_* negated with '!' (a subset of match) */
	u8 proto;	      /* NF_M_PROTO: IPPROTO_* */
	u8 target;	      /* enum nf_target */
	u8 reject_with;	      /* enum nf_reject, for NF_T_REJECT */
	u8 tcp_mask, tcp_val; /* (flags & mask) == val */
	u8 icmp_type;
	u16 icmp_code;	       /* NF_ICMP_ANY_CODE: any */
	u8 ct_states;	       /* NF_CT_* bits */
	char in_dev[IFNAMSIZ]; /* "eth+" matches every ethN */
	char out_dev[IFNAMSIZ];
	u32 src, src_mask; /* src & mask, host order */
	u32 dst, dst_mask;
	u16 sport_lo, sport_hi; /* inclusive */
	u16 dport_lo, dport_hi;
	char log_prefix[NF_LOG_PREFIX_LEN];
	u64 pkts, bytes; /* counters: packets that matched, IP bytes */
};

/* A packet as the matcher sees it, parsed once per hook. */
struct nf_tuple {
	u32 saddr, daddr;
	u16 sport, dport; /* ICMP echo: the identifier in both */
	u8 proto;
};

struct nf_pkt {
	struct nf_tuple t;
	u32 len;	       /* IP total length (for the byte counters) */
	bool l4;	       /* the transport header is present (not a later
				* fragment, not truncated) */
	bool icmp_err;	       /* an ICMP error quoting inner */
	struct nf_tuple inner; /* the quoted datagram's tuple */
	u8 tcp_flags;
	u32 tcp_seq, tcp_ack;
	u32 l4_payload; /* TCP: payload bytes (for a reset's ACK number) */
	u8 icmp_type, icmp_code;
	u8 ttl, tos;
	u16 ip_id;
	const char *in, *out; /* device names, or NULL */
	u8 ct_state;	      /* NF_CT_*, set by nf_ct_lookup */
};

/* ---- parsing (nf_rule.c) ------------------------------------------------ */

enum nf_op {
	NF_OP_APPEND,	  /* -A CHAIN rule */
	NF_OP_INSERT,	  /* -I CHAIN [N] rule */
	NF_OP_DELETE,	  /* -D CHAIN rule */
	NF_OP_DELETE_NUM, /* -D CHAIN N */
	NF_OP_FLUSH,	  /* -F [CHAIN] */
	NF_OP_ZERO,	  /* -Z [CHAIN] */
	NF_OP_POLICY,	  /* -P CHAIN ACCEPT|DROP */
	NF_OP_LIST,	  /* -L [CHAIN] [-v] [-n] [--line-numbers] */
};

struct nf_cmd {
	u8 op;	  /* enum nf_op */
	s8 chain; /* enum nf_chain, -1: all (-F, -Z, -L) */
	u32 num;  /* -I position / -D number, from 1 */
	u8 policy;
	bool verbose, numeric, line_numbers;
	bool specs; /* -S: print rules as commands (iptables -S) */
	struct nf_rule rule;
};

/* Where a command went wrong: word index into argv, and why. */
struct nf_parse_error {
	int word;
	const char *msg;
};

/* Parse argv (without the command name) into cmd. 0, or -EINVAL with
 * err naming the bad word (err->word == argc: something is missing). */
int nf_parse_cmd(int argc, char *const argv[], struct nf_cmd *cmd,
		 struct nf_parse_error *err);
/* Split line in place into at most max words (blanks; double quotes group
 * and are removed; '#' outside quotes ends the line). Returns the count,
 * or -E2BIG / -EINVAL (an open quote). */
int nf_split_words(char *line, char **argv, int max);
/* The rule as iptables -S would print it, without "-A CHAIN". */
void nf_format_rule(const struct nf_rule *r, char *buf, size_t n);
const char *nf_chain_name(unsigned int chain);
const char *nf_target_name(unsigned int target);

/* ---- matching (nf_match.c) ---------------------------------------------- */

/* Parse an IPv4 datagram (iph at the IP header, len bytes). 0, or -EINVAL
 * if even the IP header is not there. A short transport header leaves
 * p->l4 false: port/flag/type matches then fail. */
int nf_pkt_parse(const u8 *iph, u32 len, struct nf_pkt *p);
bool nf_rule_match(const struct nf_rule *r, const struct nf_pkt *p);

/* ---- connection tracking (nf_conntrack.c) ------------------------------- */

#define NF_CT_DEFAULT_MAX 4096

struct nf_ct_ref {
	s32 idx;    /* entry, or -1: none */
	bool reply; /* the packet goes the reply direction */
};

struct nf_ct_stats {
	u64 found, new_flows, invalid, drop, early_drop, expired;
	u32 count, max;
};

/* (Re)create an empty table for at most max flows (0: the default). */
int nf_ct_init(u32 max);
u32 nf_ct_buckets(void); /* hash chains: the GC walks them in turn */
/* Classify p (sets p->ct_state); ref says which flow it belongs to. */
void nf_ct_lookup(struct nf_pkt *p, u64 now_ns, struct nf_ct_ref *ref);
/* p was accepted: create its flow (NEW) or advance it. false if the table
 * is full and nothing could be evicted: the caller drops p. */
bool nf_ct_confirm(const struct nf_pkt *p, const struct nf_ct_ref *ref,
		   u64 now_ns);
/* Free up to budget expired flows. Returns how many were freed. */
u32 nf_ct_gc(u64 now_ns, u32 budget);
void nf_ct_flush(void);
void nf_ct_get_stats(struct nf_ct_stats *s);
/* For `conntrack -L`: visit each live flow. */
void nf_ct_for_each(u64 now_ns,
		    void (*fn)(void *ctx, const struct nf_tuple *orig,
			       const char *state, bool replied,
			       u64 expires_in_ns),
		    void *ctx);

/* ---- the rule table (nf_table.c) ---------------------------------------- */

#define NF_MAX_RULES 4096 /* in all chains together */

/* What a chain decided. */
struct nf_verdict {
	u8 target; /* NF_T_ACCEPT, NF_T_DROP or NF_T_REJECT */
	u8 reject_with;
	s32 rule; /* index of the deciding rule, -1: the policy */
};

/* Apply an edit (APPEND..POLICY). 0 or a negative errno: -ENOENT (no
 * such rule), -ERANGE (bad number), -ENOSPC (table full). */
int nf_table_apply(const struct nf_cmd *cmd);
/* Walk chain for p, counting; LOG rules call log_fn and go on. */
void nf_table_eval(unsigned int chain, const struct nf_pkt *p,
		   struct nf_verdict *v,
		   void (*log_fn)(const struct nf_rule *r,
				  const struct nf_pkt *p, unsigned int chain));
/* A copy of one chain, taken under the lock and printed without it
 * (printing hundreds of rules to a serial console takes seconds). */
struct nf_chain_snapshot {
	struct nf_rule *rules; /* [n], malloc'd: free() it */
	u32 n;
	u8 policy;
	u64 policy_pkts, policy_bytes;
};
bool nf_table_snapshot(unsigned int chain, struct nf_chain_snapshot *snap);
/* Print a snapshot like iptables -L (cmd: -v, -n, --line-numbers). */
void nf_table_print(const struct nf_cmd *cmd, unsigned int chain,
		    const struct nf_chain_snapshot *snap);
u32 nf_table_count(unsigned int chain);
/* Read rule n (from 0) of chain, counters included. false if none. */
bool nf_table_get(unsigned int chain, u32 n, struct nf_rule *out);
void nf_table_policy_counters(unsigned int chain, u64 *pkts, u64 *bytes);
/* The per-chain protocol/port pre-dispatch (on by default); off, every
 * rule is tried in order. Same verdicts either way (for the benchmark). */
void nf_table_set_dispatch(bool on);
void nf_table_reset(void); /* flush all, policies ACCEPT, counters 0 */

/* ---- the filter (nf_filter.c) ------------------------------------------- */

struct skiff_config;
/*
 * Register the hooks and load the rules of cfg->filter[] (cfg may be
 * NULL) and then of rules_file (skiff.rules: one rule per line, '#'
 * comments; NULL: none). A rule that does not parse is logged with its
 * origin and the bad word, and skipped. Call once, after net_init.
 */
void netfilter_init(const struct skiff_config *cfg, const char *rules_file,
		    size_t len);
/* Run one command line as the console would ("-A INPUT ... -j DROP");
 * errors are printed with shell_printf (origin names the source). */
int nf_run_line(const char *line, const char *origin);

#endif
