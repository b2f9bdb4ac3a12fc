/*
 * config.h - Skiff's configuration: one line of key=value words, like a
 * kernel command line, merged from several sources (later wins):
 *
 *   defaults < skiff.cfg (ESP) < fw_cfg opt/skiff/cmdline < UEFI load
 *   options < console `set`
 *
 * Syntax: words separated by blanks (space, tab, newline, CR, NUL). A
 * double-quoted part of a word may hold blanks and '#'; quotes do not span
 * lines and are removed. Outside quotes, '#' starts a comment to the end of
 * the line. So skiff.cfg may have several lines and comments:
 *
 *   ip=192.0.2.10/24 gw=192.0.2.1   # static address
 *   filter="-A INPUT -p tcp --dport 22 -j DROP"
 *
 * A bad word is reported once, naming the key, the source and the value,
 * and changes nothing. Keys are rows of a table in config.c: to add one,
 * add a field here, a CFG_* id below and a row there.
 */
#ifndef SKIFF_CONFIG_H
#define SKIFF_CONFIG_H

#include <skiff/types.h>

enum cfg_source {
	CFG_SRC_DEFAULT,
	CFG_SRC_FILE,	 /* skiff.cfg on the ESP */
	CFG_SRC_FWCFG,	 /* QEMU fw_cfg opt/skiff/cmdline */
	CFG_SRC_LOADOPT, /* UEFI load options */
	CFG_SRC_CONSOLE, /* `set key=value` */
	CFG_NSOURCES
};

/* One id per key, in the order `config` lists them. */
enum cfg_key_id {
	CFG_IP,
	CFG_GW,
	CFG_DNS,
	CFG_HOSTNAME,
	CFG_MAC,
	CFG_MTU,
	CFG_HTTP_PORT,
	CFG_HTTP_MAX_CONNS,
	CFG_HTTP_HEADER_TIMEOUT,
	CFG_HTTP_IDLE_TIMEOUT,
	CFG_HTTP_WRITE_TIMEOUT,
	CFG_HTTP_BODY_MAX,
	CFG_HTTP_PCAP,
	CFG_ECHO_PORT,
	CFG_ECHO_IDLE_TIMEOUT,
	CFG_LOG,
	CFG_PANIC,
	CFG_CONSOLE,
	CFG_FILTER,
	CFG_ROUTE,
	CFG_APP,
	CFG_TCP_CC,
	CFG_SMP,
	CFG_TCP_MEM,
	CFG_NIC_OFFLOAD,
	CFG_CONNTRACK_MAX,
	CFG_NET_BUSY_POLL_US,
	CFG_NOHZ,
	CFG_TBF_RATE,
	CFG_TBF_BURST,
	CFG_TBF_LATENCY,
	CFG_NKEYS
};

#define CFG_MAX_DNS 3
#define CFG_MAX_FILTERS 32
#define CFG_FILTER_LEN 160 /* with the NUL */
#define CFG_MAX_ROUTES 16
#define CFG_ROUTE_LEN 64
#define CFG_WORD_MAX 512 /* longest key=value word, with the NUL */
#define CFG_MSG_MAX 256	 /* longest report message, with the NUL */
/* net.busy_poll_us's default (README, Benchmarks: the echo tail). */
#define NET_BUSY_POLL_US_DEFAULT 0

enum { CFG_LOG_DEBUG, CFG_LOG_INFO, CFG_LOG_WARN, CFG_LOG_ERROR };

struct skiff_config {
	bool ip_dhcp;	      /* ip=dhcp (default) */
	u32 ip_addr;	      /* ip=A.B.C.D/N, host order */
	u8 ip_prefix;	      /* 0..32 */
	u32 gw;		      /* gw=A.B.C.D, 0 = none */
	u32 dns[CFG_MAX_DNS]; /* dns=A.B.C.D[,A.B.C.D...], host order */
	u8 dns_count;	      /* dns=none clears */
	char hostname[64];    /* hostname=, RFC 1123 labels, default "skiff" */
	u8 mac[6];	      /* mac=52:54:00:12:34:56; unicast, not zero */
	bool mac_set;	      /* false: use the NIC's (mac=auto) */
	u16 mtu;	      /* mtu=576..9000, default 1500 */
	u16 http_port;	      /* http.port=1..65535, default 80 */
	u32 http_max_conns;   /* http.max_conns=1..1000000, default 10000 */
	u32 http_header_timeout; /* http.header_timeout= seconds, default 10 */
	u32 http_idle_timeout;	 /* http.idle_timeout= seconds, default 60 */
	u32 http_write_timeout;	 /* http.write_timeout= seconds, default 30 */
	u32 http_body_max;	 /* http.body_max= bytes discarded, 1 MiB */
	bool http_pcap;		 /* http.pcap=off|on: /debug/pcap, off */
	u16 echo_port;		 /* echo.port=1..65535, default 7 */
	u32 echo_idle_timeout;	 /* echo.idle_timeout= seconds, 0 = none; 300 */
	u8 log_level;	   /* log=debug|info|warn|error: CFG_LOG_*, info */
	bool panic_reboot; /* panic=halt|reboot, default halt */
	char console[16];  /* console=serial|both (serial + fb), both */
	char filter[CFG_MAX_FILTERS][CFG_FILTER_LEN]; /* each filter= adds */
	u8 filter_count;			      /* filter= clears */
	char route[CFG_MAX_ROUTES][CFG_ROUTE_LEN]; /* route=NET/LEN,GW adds */
	u8 route_count;				   /* route= clears */
	char app[16];	   /* app=http|reflect, default http */
	char tcp_cc[16];   /* tcp.cc=cubic|newreno, default cubic */
	u16 smp;	   /* smp=1..256 CPUs; 0 (smp=all, default): all */
	u32 tcp_mem_mb;	   /* tcp.mem=4..65536 MiB; 0 (tcp.mem=auto): RAM/8 */
	u32 conntrack_max; /* conntrack.max=64..4194304; 0 (auto): RAM/4 KiB */
	bool nic_offload;  /* nic.offload=off|on: checksum/TSO offloads, on */
	u32 net_busy_poll_us; /* net.busy_poll_us=0..10000, 0 = off */
	bool nohz;	      /* nohz=off|on: an idle CPU stops its tick, on */
	u64 tbf_rate;	      /* tbf.rate=off|RATE: egress shaper, bit/s; off */
	u32 tbf_burst;	      /* tbf.burst=auto|SIZE: bucket bytes, 0 = auto */
	u32 tbf_latency_ms;   /* tbf.latency=MS: queue bound, default 50 */
	u8 src[CFG_NKEYS];    /* enum cfg_source each key last came from */
};

/* Receives each problem as one line without a newline, at most
 * CFG_MSG_MAX - 1 bytes, printable ASCII only. */
typedef void (*cfg_report_fn)(void *ctx, const char *msg);

void config_defaults(struct skiff_config *c);

/*
 * Parse text (len bytes, need not be NUL-terminated) from source src.
 * Every problem is reported once via report(ctx, msg) (report may be
 * NULL), e.g.
 *   config: skiff.cfg: unknown key 'fooo' (ignored)
 *   config: fw_cfg: bad value for 'mtu': '99999' (want 576..9000;
 *   keeping 1500)
 * and the key keeps its value. Returns the number of problems.
 */
int config_parse(struct skiff_config *c, const char *text, size_t len,
		 enum cfg_source src, cfg_report_fn report, void *ctx);

/*
 * One key=value from the console (`set mtu=9000`). The whole string is one
 * word: blanks inside the value are kept, quotes are removed. Same checks
 * as config_parse. Returns 0, or -1 after reporting the problem.
 */
int config_set(struct skiff_config *c, const char *word, enum cfg_source src,
	       cfg_report_fn report, void *ctx);

/*
 * For the `config` command: writes "key=value" for key i into buf (n
 * bytes, truncated and NUL-terminated like snprintf), quoting values with
 * blanks. A repeatable key (filter, route) writes all its values as
 * "filter=... filter=...", or "filter=" if it has none. Returns the
 * enum cfg_source the key last came from, or -1 if i >= CFG_NKEYS.
 * Parsing the words of all keys onto defaults gives the same config.
 */
int config_format_key(const struct skiff_config *c, unsigned i, char *buf,
		      size_t n);

/* The name of key i ("mtu", "http.port", ...), or NULL. */
const char *config_key_name(unsigned i);

/* "default", "skiff.cfg", "fw_cfg", "loadopt", "console" (or "?"). */
const char *config_source_name(enum cfg_source s);

/* Strict dotted quad, exactly len bytes, no leading zeros: 0 on success
 * with *out in host order, else -1. */
int parse_ipv4(const char *s, size_t len, u32 *out);

/* The tbf shaper's bounds, shared by the tbf.* keys and the tc command
 * (config.c's NUM row for tbf.latency spells 1..10000 out: it is
 * stringified into the message). */
#define TBF_RATE_MIN_BITS 8000
#define TBF_LATENCY_DEFAULT_MS 50
#define TBF_LATENCY_MAX_MS 10000

/* A rate in bit/s: digits with an optional suffix bit, kbit, mbit, gbit
 * (powers of 1000, as tc; case ignored), exactly len bytes. 0 on success,
 * else -1 (no digits, an unknown unit, over 2^40 bit/s). */
int parse_rate(const char *s, size_t len, u64 *bits);
/* A size in bytes: digits with an optional suffix b, k, kb, m, mb
 * (powers of 1024, as tc). 0 or -1 (also beyond 4 GiB - 1). */
int parse_size(const char *s, size_t len, u32 *bytes);
/* "10Mbit", "800Kbit", "1500bit" (exact only) into buf, as snprintf. */
int format_rate(u64 bits, char *buf, size_t n);

/* "A.B.C.D" into buf; returns what snprintf returns. */
int format_ipv4(u32 addr, char *buf, size_t n);

#endif
