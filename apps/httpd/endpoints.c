/*
 * endpoints.c - the responses computed per request.
 *
 *   /status     JSON: version, uptime, NICs and addresses, connections,
 *               HTTP counters, key stack counters, memory
 *   /metrics    Prometheus text exposition format 0.0.4: HTTP requests by
 *               status, bytes, connections; every MIB counter of `nstat`;
 *               per-NIC packets, bytes and drops; softirq runs per CPU;
 *               memory
 *   /bytes/N    N bytes of a fixed pattern (httpd.c streams it)
 *
 * Read first: the Prometheus "Exposition formats" page (text format).
 */
#include "httpd.h"
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/mm.h>
#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/snmp.h>
#include <skiff/net/socket.h>
#include <skiff/netdevice.h>
#include <skiff/percpu.h>
#include <skiff/platform.h>
#include <skiff/softirq.h>
#include <skiff/time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BYTES_MAX (1ULL << 40) /* /bytes/N: up to 1 TiB */

void dynbuf_printf(struct dynbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = b->p ? vsnprintf(b->p + b->len, room, fmt, ap) : -1;
		va_end(ap);
		if (b->p && n >= 0 && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		if (b->oom)
			return;
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (n >= 0 && cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

s64 endpoint_bytes_len(const char *path)
{
	const char *d = path + strlen("/bytes/");
	u64 n = 0;
	if (!*d || (d[0] == '0' && d[1]))
		return -1; /* empty, or a leading zero */
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		n = n * 10 + (u64)(*d - '0');
		if (n > BYTES_MAX)
			return -1;
	}
	return (s64)n;
}

static u64 uptime_s(void)
{
	return ktime_get_ns() / NSEC_PER_SEC;
}

/* ---- /status ---------------------------------------------------------- */

struct json_ctx {
	struct dynbuf *b;
	bool first;
};

static void json_addr(void *ctx, u32 addr, u8 prefix)
{
	struct json_ctx *j = ctx;
	char ip[16];
	format_ipv4(addr, ip, sizeof(ip));
	dynbuf_printf(j->b, "%s\"%s/%u\"", j->first ? "" : ",", ip, prefix);
	j->first = false;
}

static void json_nic(struct net_device *dev, void *ctx)
{
	struct json_ctx *j = ctx;
	struct json_ctx addrs = {j->b, true};
	const struct net_device_stats *st = &dev->stats;
	char mac[18];

	format_mac(dev->dev_addr, mac);
	dynbuf_printf(j->b,
		      "%s\n    {\"name\": \"%s\", \"driver\": \"%s\", "
		      "\"mac\": \"%s\", \"mtu\": %u, \"carrier\": %s, "
		      "\"addresses\": [",
		      j->first ? "" : ",", dev->name,
		      dev->driver ? dev->driver : "", mac, dev->mtu,
		      dev->carrier ? "true" : "false");
	inet_for_each_addr(dev, json_addr, &addrs);
	dynbuf_printf(j->b,
		      "], \"rx_packets\": %llu, \"rx_bytes\": %llu, "
		      "\"rx_dropped\": %llu, \"tx_packets\": %llu, "
		      "\"tx_bytes\": %llu, \"tx_dropped\": %llu}",
		      (unsigned long long)st->rx_packets,
		      (unsigned long long)st->rx_bytes,
		      (unsigned long long)st->rx_dropped,
		      (unsigned long long)st->tx_packets,
		      (unsigned long long)st->tx_bytes,
		      (unsigned long long)st->tx_dropped);
	j->first = false;
}

struct sock_count {
	u64 tcp, udp;
};

static void count_sock(struct socket *s, void *ctx)
{
	struct sock_count *n = ctx;
	if (s->ops->type == SOCK_STREAM)
		n->tcp++;
	else
		n->udp++;
}

/* The counters an operator looks at first; all of them are in /metrics. */
static const char *const status_counters[] = {
    "IpInReceives",   "IpInDelivers",	 "IpOutRequests",  "IpInDiscards",
    "IpInHdrErrors",  "IcmpInEchos",	 "UdpInDatagrams", "UdpNoPorts",
    "TcpActiveOpens", "TcpPassiveOpens", "TcpCurrEstab",   "TcpInSegs",
    "TcpOutSegs",     "TcpRetransSegs",	 "TcpOutRsts",
};

static void json_counter(void *ctx, const char *name, u64 value)
{
	struct json_ctx *j = ctx;
	for (size_t i = 0; i < ARRAY_SIZE(status_counters); i++)
		if (strcmp(name, status_counters[i]) == 0) {
			dynbuf_printf(j->b, "%s\n    \"%s\": %llu",
				      j->first ? "" : ",", name,
				      (unsigned long long)value);
			j->first = false;
		}
}

static void json_http(struct dynbuf *b)
{
	const struct httpd_stats *s = &httpd_stats;
	dynbuf_printf(b,
		      "  \"http\": {\"connections_active\": %llu, "
		      "\"connections_idle\": %llu, \"connections_accepted\": "
		      "%llu, \"connections_refused\": %llu, \"bytes_out\": "
		      "%llu, \"bytes_in\": %llu, \"responses\": {",
		      (unsigned long long)s->conns_active,
		      (unsigned long long)s->conns_idle,
		      (unsigned long long)s->conns_accepted,
		      (unsigned long long)s->conns_refused,
		      (unsigned long long)s->bytes_out,
		      (unsigned long long)s->bytes_in);
	bool first = true;
	for (int i = 0; i < HTTPD_NCODES; i++) {
		if (!s->requests[i])
			continue;
		dynbuf_printf(b, "%s\"%u\": %llu", first ? "" : ", ",
			      httpd_code((enum httpd_code_idx)i),
			      (unsigned long long)s->requests[i]);
		first = false;
	}
	dynbuf_printf(b, "}},\n");
}

int endpoint_status(struct dynbuf *b)
{
	struct json_ctx j = {b, true};
	struct sock_count socks = {0};
	struct mm_stats mm;

	mm_get_stats(&mm);
	sock_for_each(count_sock, &socks);
	dynbuf_printf(b,
		      "{\n  \"version\": \"%s\",\n  \"build\": \"%s\",\n"
		      "  \"hostname\": \"%s\",\n  \"uptime_s\": %llu,\n"
		      "  \"cpus\": %u,\n  \"nics\": [",
		      skiff_version, skiff_build, kcfg.hostname,
		      (unsigned long long)uptime_s(), online_cpus());
	for_each_netdev(json_nic, &j);
	dynbuf_printf(
	    b, "\n  ],\n  \"sockets\": {\"tcp\": %llu, \"udp\": %llu},\n",
	    (unsigned long long)socks.tcp, (unsigned long long)socks.udp);
	json_http(b);
	dynbuf_printf(b, "  \"counters\": {");
	j.first = true;
	snmp_for_each(json_counter, &j);
	dynbuf_printf(b,
		      "\n  },\n  \"memory\": {\"total_bytes\": %llu, "
		      "\"free_bytes\": %llu, \"heap_bytes\": %llu}\n}\n",
		      (unsigned long long)(mm.total_pages * 4096),
		      (unsigned long long)(mm.free_pages * 4096),
		      (unsigned long long)mm.heap_bytes);
	return 0;
}

/* ---- /metrics --------------------------------------------------------- */

static void prom_head(struct dynbuf *b, const char *name, const char *type,
		      const char *help)
{
	dynbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		      type);
}

static void prom_value(struct dynbuf *b, const char *name, const char *type,
		       const char *help, u64 v)
{
	prom_head(b, name, type, help);
	dynbuf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void metrics_http(struct dynbuf *b)
{
	const struct httpd_stats *s = &httpd_stats;

	prom_head(b, "skiff_http_requests_total", "counter",
		  "HTTP responses sent, by status code.");
	for (int i = 0; i < HTTPD_NCODES; i++)
		dynbuf_printf(b,
			      "skiff_http_requests_total{code=\"%u\"} %llu\n",
			      httpd_code((enum httpd_code_idx)i),
			      (unsigned long long)s->requests[i]);
	prom_value(b, "skiff_http_response_bytes_total", "counter",
		   "Bytes of HTTP responses sent (headers and bodies).",
		   s->bytes_out);
	prom_value(b, "skiff_http_request_bytes_total", "counter",
		   "Bytes of HTTP requests received.", s->bytes_in);
	prom_value(b, "skiff_http_connections_active", "gauge",
		   "HTTP connections open now.", s->conns_active);
	prom_value(b, "skiff_http_connections_idle", "gauge",
		   "HTTP connections waiting for a request.", s->conns_idle);
	prom_value(b, "skiff_http_connections_accepted_total", "counter",
		   "HTTP connections accepted.", s->conns_accepted);
	prom_value(b, "skiff_http_connections_refused_total", "counter",
		   "HTTP connections answered 503 at http.max_conns.",
		   s->conns_refused);
	prom_head(b, "skiff_http_timeouts_total", "counter",
		  "HTTP connections closed by a timeout, by kind.");
	dynbuf_printf(b,
		      "skiff_http_timeouts_total{kind=\"header\"} %llu\n"
		      "skiff_http_timeouts_total{kind=\"idle\"} %llu\n"
		      "skiff_http_timeouts_total{kind=\"write\"} %llu\n",
		      (unsigned long long)s->timeouts_header,
		      (unsigned long long)s->timeouts_idle,
		      (unsigned long long)s->timeouts_write);
	prom_value(b, "skiff_http_parse_errors_total", "counter",
		   "HTTP requests refused by the parser.", s->parse_errors);
}

/* "TcpExtSyncookiesSent" -> group "TcpExt", field "SyncookiesSent", as
 * node_exporter's node_netstat_TcpExt_SyncookiesSent. */
static void prom_mib(void *ctx, const char *name, u64 value)
{
	static const char *const groups[] = {"IcmpMsg", "IpExt", "TcpExt",
					     "UdpLite", "Icmp",	 "Udp",
					     "Tcp",	"Ip"};
	struct dynbuf *b = ctx;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		size_t n = strlen(groups[i]);
		if (strncmp(name, groups[i], n) == 0 && name[n]) {
			dynbuf_printf(b, "skiff_netstat_%s_%s %llu\n",
				      groups[i], name + n,
				      (unsigned long long)value);
			return;
		}
	}
	dynbuf_printf(b, "skiff_netstat_%s %llu\n", name,
		      (unsigned long long)value);
}

#define NIC_METRICS(X)                                                         \
	X("receive_packets", rx_packets, "Frames received.")                   \
	X("receive_bytes", rx_bytes, "Bytes received.")                        \
	X("receive_drop", rx_dropped, "Received frames dropped.")              \
	X("receive_errors", rx_errors, "Receive errors.")                      \
	X("transmit_packets", tx_packets, "Frames sent.")                      \
	X("transmit_bytes", tx_bytes, "Bytes sent.")                           \
	X("transmit_drop", tx_dropped, "Frames dropped before sending.")       \
	X("transmit_errors", tx_errors, "Transmit errors.")

struct nic_metric_ctx {
	struct dynbuf *b;
	size_t field; /* offset into struct net_device_stats */
	const char *name;
};

static void prom_nic(struct net_device *dev, void *ctx)
{
	struct nic_metric_ctx *m = ctx;
	u64 v = *(const u64 *)((const u8 *)&dev->stats + m->field);
	dynbuf_printf(m->b, "skiff_network_%s_total{device=\"%s\"} %llu\n",
		      m->name, dev->name, (unsigned long long)v);
}

static void metrics_nics(struct dynbuf *b)
{
	char name[64];
#define NIC_METRIC(mname, field_, help)                                        \
	do {                                                                   \
		struct nic_metric_ctx m = {                                    \
		    b, offsetof(struct net_device_stats, field_), mname};      \
		snprintf(name, sizeof(name), "skiff_network_%s_total", mname); \
		prom_head(b, name, "counter", help);                           \
		for_each_netdev(prom_nic, &m);                                 \
	} while (0);
	NIC_METRICS(NIC_METRIC)
#undef NIC_METRIC
}

static void metrics_softirqs(struct dynbuf *b)
{
	prom_head(b, "skiff_softirq_runs_total", "counter",
		  "Softirq handler runs, by CPU and softirq.");
	for (u32 cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!cpus[cpu] || !cpus[cpu]->online)
			continue;
		for (int s = 0; s < NR_SOFTIRQ_USED; s++)
			dynbuf_printf(
			    b,
			    "skiff_softirq_runs_total{cpu=\"%u\",softirq=\"%"
			    "s\"}"
			    " %llu\n",
			    cpu, softirq_name(s),
			    (unsigned long long)cpus[cpu]->softirq_runs[s]);
	}
}

static void metrics_memory(struct dynbuf *b)
{
	struct mm_stats mm;
	mm_get_stats(&mm);
	prom_value(b, "skiff_memory_total_bytes", "gauge",
		   "RAM managed by the page allocator.", mm.total_pages * 4096);
	prom_value(b, "skiff_memory_free_bytes", "gauge",
		   "Free pages, in bytes.", mm.free_pages * 4096);
	prom_value(b, "skiff_memory_heap_bytes", "gauge",
		   "Bytes the malloc heap has taken from the page allocator.",
		   mm.heap_bytes);
}

int endpoint_metrics(struct dynbuf *b)
{
	prom_value(b, "skiff_uptime_seconds", "gauge",
		   "Seconds since the kernel started.", uptime_s());
	metrics_http(b);
	dynbuf_printf(b, "# skiff_netstat_*: IP, ICMP, UDP and TCP MIB "
			 "counters as nstat names them (RFC 4293, 4113, "
			 "Linux's TcpExt/IpExt).\n");
	snmp_for_each(prom_mib, b);
	metrics_nics(b);
	metrics_softirqs(b);
	metrics_memory(b);
	return 0;
}
