/*
 * test_httpd.c - the HTTP server (apps/httpd/) through the whole
 * host-built stack: a scripted TCP client (tests/host/tcp_peer.h) talks
 * to the server over the fake device, with the fake clock, so the
 * timeouts are checked to the app's tick and every run is the same.
 *
 * Covers keep-alive, pipelining, the header (slowloris), idle and write
 * timeouts, the connection limit (503), HEAD, 304 and 206/416 on a
 * built-in file (tests/host/httpd_host.h's site), and /metrics against
 * what the test sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/net/inet.h>
#include <skiff/net/net.h>
#include <skiff/net/socket.h>
#include <skiff/net/tcp.h>
#include <skiff/net/tcp_wire.h>
#include <skiff/mm.h>
#include <skiff/slab.h>
#include <skiff/netdevice.h>

#include "../../apps/httpd/httpd.h"
#include "../host/host.h"
#include "../host/httpd_host.h"
#include "../host/tcp_peer.h"

#define OUR_IP IPV4(198, 18, 0, 2)
#define PEER_IP IPV4(198, 18, 0, 1)
#define HTTP_PORT 80
#define TICK_MS 100 /* httpd runs its expiry at least this often */

static const u8 our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 peer_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static struct net_device *eth0;
static u16 next_port = 41000;

/* ---- responses ----------------------------------------------------------- */

struct resp {
	int status;
	char head[2048]; /* the header section, NUL-terminated */
	u32 head_len;	 /* with the blank line */
	u32 body_len;	 /* Content-Length, 0 if bodiless */
	const u8 *body;
	u32 total; /* head_len + body_len */
};

/* The value of header name in r (case-insensitive), or NULL. */
static const char *hdr(const struct resp *r, const char *name, char *out,
		       size_t cap)
{
	size_t n = strlen(name);
	for (const char *l = strstr(r->head, "\r\n"); l && l[2];
	     l = strstr(l + 2, "\r\n")) {
		const char *s = l + 2;
		if (strncasecmp(s, name, n) == 0 && s[n] == ':') {
			s += n + 1;
			while (*s == ' ')
				s++;
			const char *e = strstr(s, "\r\n");
			size_t k = (size_t)(e - s);
			if (k >= cap)
				k = cap - 1;
			memcpy(out, s, k);
			out[k] = 0;
			return out;
		}
	}
	return NULL;
}

/* Parse the response at buf (len bytes): false if not complete yet.
 * bodiless: a HEAD's answer (Content-Length but no body). */
static bool parse_resp(const u8 *buf, u32 len, bool bodiless, struct resp *r)
{
	const u8 *end = NULL;
	for (u32 i = 0; i + 4 <= len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	if (!end)
		return false;
	memset(r, 0, sizeof(*r));
	r->head_len = (u32)(end - buf);
	assert_true(r->head_len < sizeof(r->head));
	memcpy(r->head, buf, r->head_len);
	assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
	char v[64];
	if (!bodiless && r->status != 304 && hdr(r, "Content-Length", v, 64))
		r->body_len = (u32)strtoul(v, NULL, 10);
	r->body = end;
	r->total = r->head_len + r->body_len;
	return r->total <= len;
}

/* The next response on p, taken off its buffer into *r (body copied). */
static u8 body_copy[1 << 16];
static void next_resp(struct tcp_peer *p, bool bodiless, struct resp *r)
{
	assert_true(parse_resp(p->in, p->in_len, bodiless, r));
	assert_true(r->body_len <= sizeof(body_copy));
	memcpy(body_copy, r->body, r->body_len);
	r->body = body_copy;
	memmove(p->in, p->in + r->total, p->in_len - r->total);
	p->in_len -= r->total;
}

/* ---- fixtures ------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	host_init();
	net_init();
	eth0 = host_fakedev_create("eth%d", our_mac);
	assert_non_null(eth0);
	assert_int_equal(inet_addr_add(eth0, OUR_IP, 24), 0);
	host_clock_advance_ms(10000); /* the ARP announcements go out */
	host_fakedev_tx_clear(eth0);
	assert_int_equal(host_httpd_start(HTTP_PORT, 7), 0);
	assert_true(host_log_contains("httpd: listening on TCP port 80"));
	assert_true(host_log_contains("4 built-in files"));
	tcp_peer_net(eth0, PEER_IP, peer_mac, OUR_IP, our_mac);
	tcp_peer_settle();
	return 0;
}

/* Each test ends with no connection left open: every timeout passed. */
static int teardown(void **state)
{
	(void)state;
	tcp_peer_run(200000, 1000);
	assert_int_equal(httpd_stats.conns_active, 0);
	assert_int_equal(httpd_stats.conns_idle, 0);
	assert_int_equal(host_locks_held(), 0);
	return 0;
}

static void open_peer(struct tcp_peer *p)
{
	tcp_peer_connect(p, next_port++, HTTP_PORT, 1000000);
	tcp_peer_run(1, 1);
	assert_true(p->established);
}

static void get(struct tcp_peer *p, const char *req, bool bodiless,
		struct resp *r)
{
	tcp_peer_send_str(p, req);
	tcp_peer_run(10, 1);
	next_resp(p, bodiless, r);
}

/* ---- keep-alive and pipelining ------------------------------------------- */

struct cache_count {
	const char *name;
	u64 active;
};

static void count_cache(void *ctx, const struct kmem_cache *c)
{
	struct cache_count *cc = ctx;
	if (strcmp(c->name, cc->name) == 0)
		cc->active = c->active_objs;
}

/* Objects of slab cache `name` allocated now. */
static u64 cache_active(const char *name)
{
	struct cache_count cc = {name, 0};
	kcache_for_each(count_cache, &cc);
	return cc.active;
}

static void test_keep_alive(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	char v[64];
	u64 accepted = httpd_stats.conns_accepted;
	open_peer(&p);
	get(&p, "GET / HTTP/1.1\r\nHost: skiff\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, HOST_WWW_INDEX_LEN);
	assert_memory_equal(r.body, HOST_WWW_INDEX_TEXT, HOST_WWW_INDEX_LEN);
	assert_null(hdr(&r, "Connection", v, sizeof(v)));
	assert_string_equal(hdr(&r, "Content-Type", v, sizeof(v)),
			    "text/html; charset=utf-8");
	/* The second request on the same connection. */
	get(&p, "GET /style.css HTTP/1.1\r\nHost: skiff\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(hdr(&r, "Content-Type", v, sizeof(v)),
			    "text/css; charset=utf-8");
	assert_int_equal(p.in_len, 0);
	assert_false(p.fin_in);
	assert_false(p.rst_in);
	assert_int_equal(httpd_stats.conns_accepted, accepted + 1);
	assert_int_equal(httpd_stats.conns_idle, 1);
	/* Idle between requests, even after the server looked for more:
	 * the connection holds no request work area (httpd.c, Memory). */
	tcp_peer_run(10, 1);
	assert_int_equal(cache_active("http_work"), 0);
	/* Connection: close: answered, then our FIN. */
	get(&p,
	    "GET /docs HTTP/1.1\r\nHost: skiff\r\nConnection: close\r\n\r\n",
	    false, &r);
	assert_int_equal(r.status, 301);
	assert_string_equal(hdr(&r, "Location", v, sizeof(v)), "/docs/");
	assert_string_equal(hdr(&r, "Connection", v, sizeof(v)), "close");
	assert_true(p.fin_in);
	tcp_peer_fin(&p);
	tcp_peer_run(10, 1);
	assert_int_equal(httpd_stats.conns_active, 0);
	tcp_peer_forget(&p);
}

static void test_pipelining_in_order(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	u64 pipelined = httpd_stats.pipelined;
	open_peer(&p);
	/* Three requests in one segment. */
	tcp_peer_send_str(&p, "GET /bytes/5 HTTP/1.1\r\nHost: a\r\n\r\n"
			      "HEAD /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
			      "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
	tcp_peer_run(10, 1);
	next_resp(&p, false, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 5);
	assert_memory_equal(r.body, "01234", 5);
	next_resp(&p, true, &r);
	assert_int_equal(r.status, 200);
	next_resp(&p, false, &r);
	assert_int_equal(r.status, 404);
	assert_int_equal(p.in_len, 0);
	assert_int_equal(httpd_stats.pipelined, pipelined + 2);
	assert_false(p.fin_in);
	tcp_peer_forget(&p);
}

/* ---- timeouts ------------------------------------------------------------ */

static void test_slowloris_408_at_header_timeout(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	const char *req = "GET / HTTP/1.1\r\nHost: slow\r\nX-Slow: ";
	u64 timeouts = httpd_stats.timeouts_header;
	u64 t408 = httpd_stats.requests[HTTPD_C408];
	u64 limit_ms = (u64)kcfg.http_header_timeout * 1000;
	assert_int_equal(kcfg.http_header_timeout, 10); /* the default */
	open_peer(&p);
	tcp_peer_send_str(&p, req); /* the header timer starts here */
	u64 elapsed = 0;
	/* A byte every 500 ms: never a complete header. */
	while (elapsed + 500 < limit_ms) {
		tcp_peer_run(500, 1);
		elapsed += 500;
		tcp_peer_send_str(&p, "x");
		assert_int_equal(p.in_len, 0);
	}
	tcp_peer_run(limit_ms - 1 - elapsed, 1);
	assert_int_equal(p.in_len, 0); /* nothing before the deadline */
	assert_int_equal(httpd_stats.timeouts_header, timeouts);
	tcp_peer_run(1 + TICK_MS, 1);
	next_resp(&p, false, &r);
	assert_int_equal(r.status, 408);
	char v[16];
	assert_string_equal(hdr(&r, "Connection", v, sizeof(v)), "close");
	assert_true(p.fin_in);
	assert_int_equal(httpd_stats.timeouts_header, timeouts + 1);
	assert_int_equal(httpd_stats.requests[HTTPD_C408], t408 + 1);
	tcp_peer_fin(&p);
	tcp_peer_run(10, 1);
	tcp_peer_forget(&p);
}

static void test_idle_timeout_closes(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	u64 idle = httpd_stats.timeouts_idle;
	u64 limit_ms = (u64)kcfg.http_idle_timeout * 1000;
	open_peer(&p);
	get(&p, "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	tcp_peer_run(limit_ms - 200, 100);
	tcp_peer_run(190, 1);
	assert_false(p.fin_in);
	assert_int_equal(httpd_stats.conns_idle, 1);
	tcp_peer_run(10 + TICK_MS, 1);
	assert_true(p.fin_in); /* closed silently: a FIN, no bytes */
	assert_false(p.rst_in);
	assert_int_equal(p.in_len, 0);
	assert_int_equal(httpd_stats.timeouts_idle, idle + 1);
	assert_int_equal(httpd_stats.conns_idle, 0);
	tcp_peer_fin(&p);
	tcp_peer_run(10, 1);
	tcp_peer_forget(&p);
}

static void test_write_timeout_rst_on_zero_window(void **state)
{
	(void)state;
	struct tcp_peer p;
	u64 writes = httpd_stats.timeouts_write;
	u64 limit_ms = (u64)kcfg.http_write_timeout * 1000;
	open_peer(&p);
	p.wnd = 0; /* the request itself announces a shut window */
	tcp_peer_send_str(&p,
			  "GET /bytes/10000000 HTTP/1.1\r\nHost: x\r\n\r\n");
	tcp_peer_run(limit_ms - 200, 100);
	tcp_peer_run(190, 1);
	assert_false(p.rst_in);
	assert_int_equal(p.in_len, 0);
	assert_true(p.zero_probes > 0); /* the stack kept probing */
	tcp_peer_run(10 + TICK_MS, 1);
	assert_true(p.rst_in);
	assert_int_equal(httpd_stats.timeouts_write, writes + 1);
	assert_int_equal(httpd_stats.conns_active, 0);
	tcp_peer_forget(&p);
}

/* TCP control blocks, the listeners included. */
static void count_tcb(struct tcp_sock *tp, void *ctx)
{
	(void)tp;
	(*(u32 *)ctx)++;
}

static u32 tcbs(void)
{
	u32 n = 0;
	tcp_for_each(count_tcb, &n);
	return n;
}

/*
 * A refused request (400) ends the connection: the server's FIN is ACKed
 * but the client never sends its own and sends data that ACKs more than
 * was sent (dropped). The server lingers 2 s, closes the socket in
 * FIN-WAIT-2, and the orphan must go at the FIN timeout (found by
 * fuzz_stack: the control block stayed forever).
 */
static void test_error_close_without_client_fin(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	u32 before = tcbs();
	open_peer(&p);
	get(&p, "GET /../etc HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 400);
	assert_true(p.fin_in);
	assert_int_equal(tcbs(), before + 1);
	/* Data with an ACK beyond what the server sent: dropped. */
	tcp_peer_segment(&p, TCP_FLAG_ACK | TCP_FLAG_PSH, p.snd_nxt,
			 p.rcv_nxt + 1000, "junk", 4);
	tcp_peer_run(3000, 10); /* the linger ends: closed in FIN-WAIT-2 */
	assert_int_equal(httpd_stats.conns_active, 0);
	assert_int_equal(tcbs(), before + 1);
	tcp_peer_run(TCP_FIN_TIMEOUT_MS + 1000, 1000);
	assert_int_equal(tcbs(), before);
	tcp_peer_forget(&p);
}

/* ---- the connection limit ------------------------------------------------ */

static void test_503_beyond_max_conns(void **state)
{
	(void)state;
	struct tcp_peer p[3];
	struct resp r;
	char v[16];
	u32 saved = kcfg.http_max_conns;
	u64 refused = httpd_stats.conns_refused;
	kcfg.http_max_conns = 2;
	for (int i = 0; i < 3; i++)
		open_peer(&p[i]);
	tcp_peer_run(10, 1);
	/* The third got 503 at once, without asking, and our FIN. */
	assert_int_equal(p[0].in_len, 0);
	assert_int_equal(p[1].in_len, 0);
	next_resp(&p[2], false, &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(hdr(&r, "Retry-After", v, sizeof(v)), "1");
	assert_true(p[2].fin_in);
	assert_int_equal(httpd_stats.conns_refused, refused + 1);
	assert_int_equal(httpd_stats.conns_active, 2);
	/* The two within the limit are served. */
	for (int i = 0; i < 2; i++) {
		get(&p[i], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
		assert_int_equal(r.status, 200);
	}
	/* One leaves: a new connection is served again. */
	tcp_peer_fin(&p[0]);
	tcp_peer_run(10, 1);
	assert_int_equal(httpd_stats.conns_active, 1);
	struct tcp_peer q;
	open_peer(&q);
	get(&q, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	kcfg.http_max_conns = saved;
	for (int i = 0; i < 3; i++)
		tcp_peer_forget(&p[i]);
	tcp_peer_forget(&q);
}

/* ---- HEAD, 304, 206 ------------------------------------------------------ */

static void test_head_has_no_body(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	char v[32];
	open_peer(&p);
	tcp_peer_send_str(&p, "HEAD /big.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	tcp_peer_run(10, 1);
	next_resp(&p, true, &r);
	assert_int_equal(r.status, 200);
	snprintf(v, sizeof(v), "%u", HOST_WWW_BIG_LEN);
	char cl[32];
	assert_string_equal(hdr(&r, "Content-Length", cl, sizeof(cl)), v);
	assert_int_equal(p.in_len, 0); /* not one body byte */
	/* The next response starts right after that header. */
	get(&p, "HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n", true, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(p.in_len, 0);
	get(&p, "GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	assert_memory_equal(r.body, "012", 3);
	tcp_peer_forget(&p);
}

static void test_304_and_206_on_a_file(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	char etag[64], lm[64], req[256], v[64];
	open_peer(&p);
	get(&p, "GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, HOST_WWW_BIG_LEN);
	for (u32 i = 0; i < HOST_WWW_BIG_LEN; i++)
		if (r.body[i] != host_www_big_at(i))
			fail_msg("byte %u of /big.txt", i);
	assert_non_null(hdr(&r, "ETag", etag, sizeof(etag)));
	assert_string_equal(hdr(&r, "Last-Modified", lm, sizeof(lm)),
			    "Tue, 14 Nov 2023 22:13:20 GMT");
	assert_string_equal(hdr(&r, "Accept-Ranges", v, sizeof(v)), "bytes");
	/* If-None-Match with the ETag: 304 with the ETag, no body. */
	snprintf(
	    req, sizeof(req),
	    "GET /big.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\n\r\n",
	    etag);
	get(&p, req, false, &r);
	assert_int_equal(r.status, 304);
	assert_string_equal(hdr(&r, "ETag", v, sizeof(v)), etag);
	assert_int_equal(p.in_len, 0);
	/* If-Modified-Since: the file's own time gives 304, earlier 200. */
	snprintf(req, sizeof(req),
		 "GET /big.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: "
		 "%s\r\n\r\n",
		 lm);
	get(&p, req, false, &r);
	assert_int_equal(r.status, 304);
	get(&p,
	    "GET /style.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Tue, 14 "
	    "Nov 2023 22:13:19 GMT\r\n\r\n",
	    false, &r);
	assert_int_equal(r.status, 200);
	/* One range: 206 with Content-Range and those bytes. */
	get(&p,
	    "GET /big.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=100-199\r\n\r\n",
	    false, &r);
	assert_int_equal(r.status, 206);
	assert_string_equal(hdr(&r, "Content-Range", v, sizeof(v)),
			    "bytes 100-199/20000");
	assert_int_equal(r.body_len, 100);
	for (u32 i = 0; i < 100; i++)
		assert_int_equal(r.body[i], host_www_big_at(100 + i));
	/* A suffix range, then one past the end: 416. */
	get(&p, "GET /big.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-5\r\n\r\n",
	    false, &r);
	assert_int_equal(r.status, 206);
	assert_string_equal(hdr(&r, "Content-Range", v, sizeof(v)),
			    "bytes 19995-19999/20000");
	get(&p,
	    "GET /big.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=20000-\r\n\r\n",
	    false, &r);
	assert_int_equal(r.status, 416);
	assert_string_equal(hdr(&r, "Content-Range", v, sizeof(v)),
			    "bytes */20000");
	tcp_peer_forget(&p);
}

/* ---- /metrics ------------------------------------------------------------ */

/* The value of the sample named exactly `name` (labels included). */
static u64 metric(const struct resp *r, const char *name)
{
	char want[160];
	snprintf(want, sizeof(want), "\n%s ", name);
	char *text = strndup((const char *)r->body, r->body_len);
	char *at = strstr(text, want);
	if (!at)
		fail_msg("no sample %s in /metrics", name);
	u64 v = strtoull(at + strlen(want), NULL, 10);
	free(text);
	return v;
}

/* Every line is a comment (# HELP/# TYPE/#) or "name[{labels}] value". */
static void check_exposition(const struct resp *r)
{
	char *text = strndup((const char *)r->body, r->body_len);
	u32 samples = 0;
	assert_true(r->body_len > 0 && text[r->body_len - 1] == '\n');
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (l[0] == '#')
			continue;
		char *sp = strrchr(l, ' ');
		assert_non_null(sp);
		char *end;
		strtoull(sp + 1, &end, 10);
		assert_true(end > sp + 1 && *end == 0);
		assert_true((l[0] >= 'a' && l[0] <= 'z') || l[0] == '_');
		samples++;
	}
	assert_true(samples > 50);
	free(text);
}

static void test_metrics_counters(void **state)
{
	(void)state;
	struct tcp_peer p;
	struct resp r;
	char name[96];
	u64 before[HTTPD_NCODES];
	memcpy(before, httpd_stats.requests, sizeof(before));
	open_peer(&p);
	get(&p, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	get(&p, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	get(&p, "GET /missing2 HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	get(&p, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 405);
	get(&p, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", false, &r);
	assert_int_equal(r.status, 200);
	check_exposition(&r);
	/* What this test sent: one 200, two 404, one 405. The /metrics
	 * response itself is counted once its body is made, so after. */
	assert_int_equal(metric(&r, "skiff_http_requests_total{code=\"200\"}"),
			 before[HTTPD_C200] + 1);
	assert_int_equal(httpd_stats.requests[HTTPD_C200],
			 before[HTTPD_C200] + 2);
	assert_int_equal(metric(&r, "skiff_http_requests_total{code=\"404\"}"),
			 before[HTTPD_C404] + 2);
	assert_int_equal(metric(&r, "skiff_http_requests_total{code=\"405\"}"),
			 before[HTTPD_C405] + 1);
	for (int i = 0; i < HTTPD_NCODES; i++) {
		snprintf(name, sizeof(name),
			 "skiff_http_requests_total{code=\"%u\"}",
			 httpd_code((enum httpd_code_idx)i));
		assert_int_equal(metric(&r, name),
				 httpd_stats.requests[i] - (i == HTTPD_C200));
	}
	assert_int_equal(metric(&r, "skiff_http_connections_active"), 1);
	assert_int_equal(metric(&r, "skiff_http_connections_accepted_total"),
			 httpd_stats.conns_accepted);
	assert_int_equal(
	    metric(&r, "skiff_http_timeouts_total{kind=\"header\"}"),
	    httpd_stats.timeouts_header);
	/* Bytes in: every request byte of every test so far. */
	assert_int_equal(metric(&r, "skiff_http_request_bytes_total"),
			 httpd_stats.bytes_in);
	/* The stack's counters and the softirqs that carried all this. */
	assert_true(metric(&r, "skiff_netstat_Ip_InReceives") > 0);
	assert_true(metric(&r, "skiff_netstat_Ip_InDelivers") > 0);
	assert_true(metric(&r, "skiff_network_receive_packets_total{device="
			       "\"eth0\"}") > 0);
	assert_true(metric(&r, "skiff_softirq_runs_total{cpu=\"0\",softirq="
			       "\"NET_RX\"}") > 0 ||
		    metric(&r, "skiff_softirq_runs_total{cpu=\"0\",softirq="
			       "\"TIMER\"}") > 0);
	tcp_peer_forget(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_keep_alive, teardown),
	    cmocka_unit_test_teardown(test_pipelining_in_order, teardown),
	    cmocka_unit_test_teardown(test_slowloris_408_at_header_timeout,
				      teardown),
	    cmocka_unit_test_teardown(test_idle_timeout_closes, teardown),
	    cmocka_unit_test_teardown(test_write_timeout_rst_on_zero_window,
				      teardown),
	    cmocka_unit_test_teardown(test_error_close_without_client_fin,
				      teardown),
	    cmocka_unit_test_teardown(test_503_beyond_max_conns, teardown),
	    cmocka_unit_test_teardown(test_head_has_no_body, teardown),
	    cmocka_unit_test_teardown(test_304_and_206_on_a_file, teardown),
	    cmocka_unit_test_teardown(test_metrics_counters, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
