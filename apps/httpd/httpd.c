/*
 * httpd.c - the HTTP/1.1 server: one event loop on the socket API
 * (net/socket.h), on CPU 0 with the NIC's softirqs.
 *
 * A connection is always in one phase, and each phase has a deadline and
 * a list of the connections in it, oldest first (so expiry looks only at
 * the heads):
 *
 *   IDLE    keep-alive, waiting for the first byte of a request
 *           (http.idle_timeout: then closed silently)
 *   HEADER  a request is arriving: bytes go through the incremental
 *           parser (http_parse.c) until it is complete or refused
 *           (http.header_timeout from its first byte, not refreshed, so a
 *           client that trickles bytes - slowloris - is answered 408)
 *   WRITE   a response is going out; while it does, nothing more is read,
 *           so pipelined requests are answered in order and a client that
 *           stops reading stops us reading (http.write_timeout without
 *           progress: aborted with RST)
 *   LINGER  after a response that ends the connection: our FIN is sent
 *           and what the client still sends is read and dropped until its
 *           FIN or HTTPD_LINGER_MS (closing with unread data would send RST,
 *           RFC 9112 9.6, and the client could lose our response)
 *
 * Per request:
 *   conn_run -> conn_read (recv, http_parse) -> serve -> serve_file |
 *   serve_dynamic | serve_bytes -> conn_write -> response_done
 *
 * Memory: an idle connection holds only struct http_conn; the parser, the
 * input buffer and the header block (struct http_work, a slab object) are
 * taken when a request starts and given back when its response is sent.
 *
 * Read first: RFC 9110 (semantics), RFC 9112 (HTTP/1.1).
 */
#include "httpd.h"
#include <skiff/apps.h>
#include <skiff/net/capture.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/list.h>
#include <skiff/mm.h>
#include <skiff/net/inet.h>
#include <skiff/net/socket.h>
#include <skiff/printk.h>
#include <skiff/platform.h>
#include <skiff/shell.h>
#include <skiff/smp.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTPD_IN_BUF 4096	     /* bytes read per recv */
#define HTTPD_BACKLOG 1024	     /* listen backlog */
#define HTTPD_ROUNDS 256	     /* phase steps per connection per turn */
#define HTTPD_SEND_CHUNK (64 * 1024) /* bytes per send of a large body */
#define HTTPD_COALESCE 1024	     /* bodies this small go with the header */
#define HTTPD_LINGER_MS 2000
#define HTTPD_TICK_MS 100	/* expiry runs at least this often */
#define HTTPD_REFUSED_MAX 256	/* 503 answers in flight at once */
#define HTTPD_LOG_PER_SEC 20	/* access log lines at log=debug */
#define HTTPD_LOCATION_MAX 1024 /* longest Location we send */

enum phase { PH_IDLE, PH_HEADER, PH_WRITE, PH_LINGER, PH_N };

/* A request in progress and its response. */
struct http_work {
	struct http_parser p;
	u32 in_off, in_len; /* in[in_off..in_len) not parsed yet */
	u8 in[HTTPD_IN_BUF];
	u32 hdr_len, hdr_off; /* hdr[hdr_off..hdr_len) not sent yet */
	char hdr[HTTPD_HDR_MAX + HTTPD_COALESCE];
	const u8 *body; /* NULL for /bytes/N (generated) */
	u64 body_off, body_len;
	bool body_static; /* body lives forever (site, pattern): no copy */
	char *dyn;	  /* malloc'ed body (status, metrics, pcap), or NULL */
	char small[96];	  /* a short error body */
	u16 status;
};

struct http_conn {
	struct socket *s;
	struct list_head tnode;	  /* on phases[phase], by deadline */
	struct list_head pending; /* on httpd.pending: input buffered */
	u64 deadline_ns;
	u8 phase;	  /* enum phase */
	bool close_after; /* this response ends the connection */
	bool refused;	  /* a 503 at max_conns: not in conns_active */
	bool pipelined;	  /* more requests were waiting behind this one */
	struct http_work *w;
	u32 peer;
	u16 peer_port;
};

struct httpd_stats httpd_stats;

static struct {
	struct sock_loop *loop;
	struct socket *ls;
	struct kcache *conn_cache, *work_cache;
	struct list_head phases[PH_N];
	/* Connections that ran out of rounds with requests still in their
	 * buffer: the socket will not report them again (its data is read),
	 * so the next turn runs them first. */
	struct list_head pending;
	u32 in_phase[PH_N];
	u32 refused_inflight;
	u64 log_window_ns; /* access log rate limit */
	u32 log_lines, log_suppressed;
	u8 pattern[HTTPD_SEND_CHUNK + 16]; /* the /bytes/N pattern */
} httpd;

static const u16 httpd_codes[HTTPD_NCODES] = {
#define HTTPD_CODE_VAL(c) c,
    HTTPD_CODES(HTTPD_CODE_VAL)
#undef HTTPD_CODE_VAL
};

u16 httpd_code(enum httpd_code_idx i)
{
	return i < HTTPD_NCODES ? httpd_codes[i] : 0;
}

static void count_status(u16 status)
{
	for (int i = 0; i < HTTPD_NCODES; i++)
		if (httpd_codes[i] == status) {
			httpd_stats.requests[i]++;
			return;
		}
}

/* ---- phases and deadlines ------------------------------------------- */

static u64 phase_timeout_ns(enum phase ph)
{
	u64 s;
	switch (ph) {
	case PH_IDLE:
		s = kcfg.http_idle_timeout;
		break;
	case PH_HEADER:
		s = kcfg.http_header_timeout;
		break;
	case PH_WRITE:
		s = kcfg.http_write_timeout;
		break;
	default:
		return HTTPD_LINGER_MS * 1000000ull;
	}
	return s * NSEC_PER_SEC;
}

static void set_phase(struct http_conn *c, enum phase ph)
{
	list_del(&c->tnode);
	httpd.in_phase[c->phase]--;
	c->phase = (u8)ph;
	c->deadline_ns = ktime_get_ns() + phase_timeout_ns(ph);
	list_add_tail(&c->tnode, &httpd.phases[ph]);
	httpd.in_phase[ph]++;
	httpd_stats.conns_idle = httpd.in_phase[PH_IDLE];
}

/* ---- access log (log=debug only, rate-limited) ------------------------ */

static void access_log(struct http_conn *c, const struct http_request *r,
		       u16 status, u64 bytes)
{
	if (kcfg.log_level != CFG_LOG_DEBUG)
		return;
	u64 now = ktime_get_ns();
	if (now - httpd.log_window_ns >= NSEC_PER_SEC) {
		if (httpd.log_suppressed)
			pr_debug("httpd: %u access log lines suppressed\n",
				 httpd.log_suppressed);
		httpd.log_window_ns = now;
		httpd.log_lines = httpd.log_suppressed = 0;
	}
	if (httpd.log_lines++ >= HTTPD_LOG_PER_SEC) {
		httpd.log_suppressed++;
		return;
	}
	char ip[16];
	format_ipv4(c->peer, ip, sizeof(ip));
	pr_debug("httpd: %s:%u \"%.100s\" %u %llu\n", ip, c->peer_port,
		 r ? r->path : "-", status, (unsigned long long)bytes);
}

/* ---- building a response --------------------------------------------- */

__printf(2, 3) static void hdr_printf(struct http_work *w, const char *fmt, ...)
{
	va_list ap;
	size_t room = HTTPD_HDR_MAX - w->hdr_len;

	va_start(ap, fmt);
	int n = vsnprintf(w->hdr + w->hdr_len, room, fmt, ap);
	va_end(ap);
	/* Every caller's text is bounded well below HTTPD_HDR_MAX. */
	BUG_ON(n < 0 || (size_t)n >= room);
	w->hdr_len += (u32)n;
}

/* The hot path's pieces without a format string: a response to GET /
 * used to spend five vsnprintf calls on its header. */
static void hdr_put(struct http_work *w, const char *s, size_t n)
{
	BUG_ON(n >= HTTPD_HDR_MAX - w->hdr_len);
	memcpy(w->hdr + w->hdr_len, s, n);
	w->hdr_len += (u32)n;
}

static void hdr_puts(struct http_work *w, const char *s)
{
	hdr_put(w, s, strlen(s));
}

static void hdr_put_u64(struct http_work *w, u64 v)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hdr_put(w, digits + sizeof(digits) - n, n);
}

/* RFC 9112 4 (status line), RFC 9110 6.6.1 (Date), 10.2.4 (Server). */
static void hdr_begin(struct http_conn *c, u16 status)
{
	struct http_work *w = c->w;
	w->status = status;
	w->hdr_len = w->hdr_off = 0;
	w->body = NULL;
	w->body_off = w->body_len = 0;
	w->body_static = false;
	hdr_puts(w, "HTTP/1.1 ");
	hdr_put_u64(w, status);
	hdr_puts(w, " ");
	hdr_puts(w, http_reason(status));
	hdr_puts(w, "\r\nServer: Skiff\r\nDate: ");
	hdr_puts(w, http_date_now());
	hdr_puts(w, "\r\n");
}

/* RFC 9112 9.3 and 9.6: say whether the connection persists. */
static void hdr_end(struct http_conn *c)
{
	struct http_work *w = c->w;
	const struct http_request *r = &w->p.req;

	if (c->close_after)
		hdr_puts(w, "Connection: close\r\n\r\n");
	else if (r->version_minor == 0)
		hdr_puts(w, "Connection: keep-alive\r\n\r\n");
	else
		hdr_puts(w, "\r\n");
	count_status(w->status);
}

/* Body of len bytes at body (NULL: the /bytes pattern); a small one is
 * copied behind the header so both leave in one segment. */
static void set_body(struct http_conn *c, const void *body, u64 len, bool head)
{
	struct http_work *w = c->w;
	if (head)
		return;
	if (body && len <= HTTPD_COALESCE) {
		memcpy(w->hdr + w->hdr_len, body, len);
		w->hdr_len += (u32)len;
		return;
	}
	w->body = body;
	w->body_len = len;
	w->body_static = body != w->dyn; /* the site: the image or boot pages */
}

/* A short text/plain answer, mostly errors. */
static void respond_text(struct http_conn *c, u16 status, const char *extra)
{
	struct http_work *w = c->w;
	bool head = w->p.req.method == HTTP_M_HEAD;
	int n = snprintf(w->small, sizeof(w->small), "%u %s\n", status,
			 http_reason(status));
	hdr_begin(c, status);
	if (extra)
		hdr_printf(w, "%s", extra);
	hdr_printf(w,
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: %d\r\n",
		   n);
	hdr_end(c);
	set_body(c, w->small, (u64)n, head);
}

/* ---- static files ------------------------------------------------------ */

/* RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since. */
static bool not_modified(const struct http_request *r,
			 const struct http_file *f)
{
	if (r->has_inm)
		return http_etag_match(r->if_none_match, f->etag);
	return r->has_ims && f->mtime <= r->if_modified_since;
}

static void serve_file(struct http_conn *c, const struct http_file *f)
{
	struct http_work *w = c->w;
	const struct http_request *r = &w->p.req;
	bool head = r->method == HTTP_M_HEAD;
	u64 off = 0, len = f->size;

	if (not_modified(r, f)) {
		hdr_begin(c, 304); /* RFC 9110 15.4.5: validators, no body */
		hdr_puts(w, "ETag: ");
		hdr_puts(w, f->etag);
		hdr_puts(w, "\r\n");
		hdr_end(c);
		return;
	}
	/* RFC 9110 14.2: Range applies to GET only. */
	int rr = r->method == HTTP_M_GET
		     ? http_range_resolve(&r->range, f->size, &off, &len)
		     : 1;
	if (rr < 0) {
		char cr[64];
		snprintf(cr, sizeof(cr), "Content-Range: bytes */%llu\r\n",
			 (unsigned long long)f->size);
		respond_text(c, 416, cr); /* RFC 9110 15.5.17 */
		return;
	}
	hdr_begin(c, rr == 0 ? 206 : 200);
	hdr_put(w, f->headers, f->headers_len);
	if (rr == 0)
		hdr_printf(w, "Content-Range: bytes %llu-%llu/%llu\r\n",
			   (unsigned long long)off,
			   (unsigned long long)(off + len - 1),
			   (unsigned long long)f->size);
	hdr_puts(w, "Content-Length: ");
	hdr_put_u64(w, len);
	hdr_puts(w, "\r\n");
	hdr_end(c);
	set_body(c, f->data + off, len, head);
}

/* Percent-encode what may not appear in a URI path (RFC 3986 3.3). */
static bool encode_path(char *out, size_t n, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;
	for (const u8 *p = (const u8 *)path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("/-._~", *p);
		if (k + 4 > n)
			return false;
		if (plain) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	out[k] = 0;
	return true;
}

/* "/docs" names a directory: send the client to "/docs/". */
static void serve_redirect(struct http_conn *c)
{
	char loc[HTTPD_LOCATION_MAX];
	char extra[HTTPD_LOCATION_MAX + 16];

	if (!encode_path(loc, sizeof(loc) - 1, c->w->p.req.path)) {
		respond_text(c, 414, NULL);
		return;
	}
	strcat(loc, "/");
	snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
	respond_text(c, 301, extra);
}

/* ---- computed responses ------------------------------------------------ */

static void serve_dynamic(struct http_conn *c, int (*fn)(struct dynbuf *b),
			  const char *ctype)
{
	struct http_work *w = c->w;
	struct dynbuf b = {0};

	if (fn(&b) < 0 || b.oom) {
		free(b.p);
		respond_text(c, 500, NULL);
		return;
	}
	hdr_begin(c, 200);
	hdr_printf(w,
		   "Content-Type: %s\r\nCache-Control: no-store\r\n"
		   "Content-Length: %zu\r\n",
		   ctype, b.len);
	hdr_end(c);
	w->dyn = b.p;
	set_body(c, b.p, b.len, w->p.req.method == HTTP_M_HEAD);
}

/* /bytes/N: N bytes of the pattern, generated as they are sent. */
static void serve_bytes(struct http_conn *c, u64 n)
{
	struct http_work *w = c->w;
	hdr_begin(c, 200);
	hdr_printf(w,
		   "Content-Type: application/octet-stream\r\n"
		   "Cache-Control: no-store\r\nContent-Length: %llu\r\n",
		   (unsigned long long)n);
	hdr_end(c);
	if (w->p.req.method != HTTP_M_HEAD)
		w->body_len = n; /* body NULL: the pattern */
	w->body_static = true;
}

static int pcap_body(struct dynbuf *b);

static void serve_pcap(struct http_conn *c)
{
	struct http_work *w = c->w;
	struct dynbuf b = {0};
	int err = pcap_body(&b);
	if (err == -ENOENT) {
		respond_text(c, 404, NULL);
		return;
	}
	if (err) {
		respond_text(c, 500, NULL);
		return;
	}
	hdr_begin(c, 200);
	hdr_printf(
	    w,
	    "Content-Type: application/vnd.tcpdump.pcap\r\n"
	    "Content-Disposition: attachment; filename=\"skiff.pcap\"\r\n"
	    "Cache-Control: no-store\r\nContent-Length: %zu\r\n",
	    b.len);
	hdr_end(c);
	w->dyn = b.p;
	set_body(c, b.p, b.len, w->p.req.method == HTTP_M_HEAD);
}

/* Route a parsed request (RFC 9110 9.1: GET and HEAD; the rest 405/501). */
static void serve(struct http_conn *c)
{
	const struct http_request *r = &c->w->p.req;
	bool redirect;

	c->close_after = !r->keep_alive;
	if (r->method == HTTP_M_UNKNOWN) {
		respond_text(c, 501, NULL); /* RFC 9110 9.1 */
		return;
	}
	if (r->method != HTTP_M_GET && r->method != HTTP_M_HEAD) {
		respond_text(c, 405, "Allow: GET, HEAD\r\n"); /* 15.5.6 */
		return;
	}
	if (strcmp(r->path, "/status") == 0) {
		serve_dynamic(c, endpoint_status, "application/json");
	} else if (strcmp(r->path, "/metrics") == 0) {
		serve_dynamic(c, endpoint_metrics,
			      "text/plain; version=0.0.4; charset=utf-8");
	} else if (strncmp(r->path, "/bytes/", 7) == 0) {
		s64 n = endpoint_bytes_len(r->path);
		if (n < 0)
			respond_text(c, 404, NULL);
		else
			serve_bytes(c, (u64)n);
	} else if (strcmp(r->path, "/debug/pcap") == 0 && kcfg.http_pcap) {
		serve_pcap(c);
	} else {
		const struct http_file *f = content_lookup(r->path, &redirect);
		if (f)
			serve_file(c, f);
		else if (redirect)
			serve_redirect(c);
		else
			respond_text(c, 404, NULL);
	}
}

/* ---- the connection ---------------------------------------------------- */

static int work_get(struct http_conn *c)
{
	static struct http_limits lim;

	if (c->w)
		return 0;
	c->w = kcache_alloc(httpd.work_cache);
	if (!c->w)
		return -ENOMEM;
	http_limits_default(&lim);
	lim.body_max = kcfg.http_body_max;
	http_parser_init(&c->w->p, &lim);
	c->w->in_off = c->w->in_len = 0;
	c->w->dyn = NULL;
	return 0;
}

static void work_put(struct http_conn *c)
{
	if (!c->w)
		return;
	free(c->w->dyn);
	kcache_free(httpd.work_cache, c->w);
	c->w = NULL;
}

static void conn_free(struct http_conn *c, bool abort)
{
	if (abort) {
		struct linger_opt lo = {1, 0}; /* RST: RFC 9293 3.10.4 ABORT */
		sock_setsockopt(c->s, SOL_SOCKET, SO_LINGER, &lo, sizeof(lo));
	}
	sock_close(c->s);
	work_put(c);
	list_del(&c->tnode);
	list_del(&c->pending);
	httpd.in_phase[c->phase]--;
	httpd_stats.conns_idle = httpd.in_phase[PH_IDLE];
	if (c->refused)
		httpd.refused_inflight--;
	else
		httpd_stats.conns_active--;
	kcache_free(httpd.conn_cache, c);
}

enum { RD_WAIT, RD_RESPOND, RD_CLOSE };

/* Read and parse until a request is complete or refused, or input runs
 * out. */
static int conn_read(struct http_conn *c)
{
	if (work_get(c))
		return RD_CLOSE;
	struct http_work *w = c->w;
	for (;;) {
		if (w->in_off == w->in_len) {
			long n = sock_recv(c->s, w->in, sizeof(w->in), 0);
			if (n == -EAGAIN) {
				/* Nothing yet on an idle connection: the work
				 * goes back (see Memory above), or every idle
				 * connection would hold one (23 KB). */
				if (c->phase == PH_IDLE)
					work_put(c);
				return RD_WAIT;
			}
			if (n <= 0)
				return RD_CLOSE; /* the client left or reset */
			httpd_stats.bytes_in += (u64)n;
			w->in_off = 0;
			w->in_len = (u32)n;
			if (c->phase == PH_IDLE)
				set_phase(c, PH_HEADER); /* RFC 9112 9.5 */
		}
		w->in_off += (u32)http_parse(&w->p, w->in + w->in_off,
					     w->in_len - w->in_off);
		if (w->p.state == HTTP_P_DONE) {
			serve(c);
			return RD_RESPOND;
		}
		if (w->p.state == HTTP_P_ERROR) {
			httpd_stats.parse_errors++;
			c->close_after = true; /* RFC 9112 9.6 after an error */
			respond_text(c, w->p.status, NULL);
			return RD_RESPOND;
		}
	}
}

/* Send what is left of the response: 1 all sent, 0 would block, -1 error. */
static int conn_write(struct http_conn *c)
{
	struct http_work *w = c->w;
	bool progress = false;
	int ret = 1;

	while (w->hdr_off < w->hdr_len) {
		long n = sock_send(c->s, w->hdr + w->hdr_off,
				   w->hdr_len - w->hdr_off, 0);
		if (n < 0) {
			ret = n == -EAGAIN ? 0 : -1;
			goto out;
		}
		w->hdr_off += (u32)n;
		httpd_stats.bytes_out += (u64)n;
		progress = true;
	}
	while (w->body_off < w->body_len) {
		u64 left = w->body_len - w->body_off;
		const u8 *p = w->body ? w->body + w->body_off
				      : httpd.pattern + (w->body_off & 15);
		size_t k = MIN(left, HTTPD_SEND_CHUNK);
		long n =
		    w->body_static ? sock_send_ref(c->s, p, k, 0) : -EOPNOTSUPP;
		if (n == -EOPNOTSUPP)
			n = sock_send(c->s, p, k, 0);
		if (n < 0) {
			ret = n == -EAGAIN ? 0 : -1;
			goto out;
		}
		w->body_off += (u64)n;
		httpd_stats.bytes_out += (u64)n;
		progress = true;
	}
out:
	if (progress && ret == 0)
		set_phase(c, PH_WRITE); /* a fresh write deadline */
	return ret;
}

/* The response is out: linger, wait for the next request, or parse the
 * pipelined one already here. */
static void response_done(struct http_conn *c)
{
	struct http_work *w = c->w;
	access_log(c, &w->p.req, w->status, w->hdr_len + w->body_len);
	if (c->close_after) {
		sock_shutdown(c->s, SHUT_WR);
		work_put(c);
		set_phase(c, PH_LINGER);
		return;
	}
	free(w->dyn);
	w->dyn = NULL;
	if (w->in_off < w->in_len) {
		httpd_stats.pipelined++;
		http_parser_reset(&w->p);
		set_phase(c, PH_HEADER);
		return;
	}
	work_put(c);
	set_phase(c, PH_IDLE);
}

/* Read and drop until the client's FIN: false when the connection ends. */
static bool conn_linger(struct http_conn *c)
{
	u8 sink[512];
	for (int i = 0; i < 64; i++) {
		long n = sock_recv(c->s, sink, sizeof(sink), 0);
		if (n == -EAGAIN)
			return true;
		if (n <= 0)
			return false;
	}
	return true;
}

/* One turn of one connection; false when it is to be freed. */
static bool conn_step(struct http_conn *c)
{
	switch (c->phase) {
	case PH_WRITE: {
		int r = conn_write(c);
		if (r <= 0)
			return r == 0 ? true : false;
		response_done(c);
		return true;
	}
	case PH_LINGER:
		return conn_linger(c);
	default: {
		int r = conn_read(c);
		if (r == RD_CLOSE)
			return false;
		if (r == RD_RESPOND)
			set_phase(c, PH_WRITE);
		return true;
	}
	}
}

static u32 phase_interest(const struct http_conn *c)
{
	return c->phase == PH_WRITE ? SOCK_EV_OUT : SOCK_EV_IN | SOCK_EV_RDHUP;
}

static void conn_run(struct http_conn *c, u32 events)
{
	if (events & SOCK_EV_ERR) {
		conn_free(c, false);
		return;
	}
	for (int round = 0; round < HTTPD_ROUNDS; round++) {
		u8 before = c->phase;
		u32 before_off = c->w ? c->w->in_off : 0;
		if (!conn_step(c)) {
			conn_free(c, false);
			return;
		}
		/* Stop when a step changed nothing: it waits for the socket. */
		if (c->phase == before && (!c->w || c->w->in_off == before_off))
			break;
	}
	if (c->phase == PH_HEADER && c->w && c->w->in_off < c->w->in_len &&
	    list_empty(&c->pending))
		list_add_tail(&c->pending, &httpd.pending);
	sock_loop_mod(httpd.loop, c->s, phase_interest(c));
}

/* Once each for the connections pending now (a run may queue one again). */
static void run_pending(void)
{
	u32 n = 0;
	struct http_conn *c;
	list_for_each_entry (c, &httpd.pending, pending)
		n++;
	while (n-- && !list_empty(&httpd.pending)) {
		c = list_first_entry(&httpd.pending, struct http_conn, pending);
		list_del_init(&c->pending);
		conn_run(c, 0);
	}
}

/* ---- accepting ----------------------------------------------------------- */

static struct http_conn *conn_new(struct socket *s, u32 addr, u16 port)
{
	struct http_conn *c = kcache_alloc(httpd.conn_cache);
	if (!c)
		return NULL;
	*c = (struct http_conn){.s = s, .peer = addr, .peer_port = port};
	INIT_LIST_HEAD(&c->tnode);
	INIT_LIST_HEAD(&c->pending);
	c->phase = PH_IDLE;
	c->deadline_ns = ktime_get_ns() + phase_timeout_ns(PH_IDLE);
	list_add_tail(&c->tnode, &httpd.phases[PH_IDLE]);
	httpd.in_phase[PH_IDLE]++;
	return c;
}

/* Over http.max_conns: answer 503 and close (RFC 9110 15.6.4). */
static void refuse(struct http_conn *c)
{
	c->refused = true;
	httpd.refused_inflight++;
	httpd_stats.conns_refused++;
	if (work_get(c)) {
		conn_free(c, true);
		return;
	}
	c->close_after = true;
	respond_text(c, 503, "Retry-After: 1\r\n");
	set_phase(c, PH_WRITE);
}

static void accept_all(void)
{
	for (;;) {
		struct socket *s;
		u32 addr;
		u16 port;
		if (sock_accept(httpd.ls, &s, &addr, &port) < 0)
			return;
		struct http_conn *c = conn_new(s, addr, port);
		if (!c) {
			sock_close(s);
			continue;
		}
		bool full = httpd_stats.conns_active >= kcfg.http_max_conns;
		if (full && httpd.refused_inflight >= HTTPD_REFUSED_MAX) {
			httpd_stats.conns_refused++;
			c->refused = true;
			httpd.refused_inflight++;
			conn_free(c, true);
			continue;
		}
		if (full) {
			refuse(c);
		} else {
			httpd_stats.conns_accepted++;
			httpd_stats.conns_active++;
		}
		if (sock_loop_add(httpd.loop, s, phase_interest(c), c) < 0)
			conn_free(c, true);
	}
}

/* ---- deadlines ----------------------------------------------------------- */

static void expire_one(struct http_conn *c)
{
	switch (c->phase) {
	case PH_IDLE:
		httpd_stats.timeouts_idle++;
		conn_free(c, false);
		break;
	case PH_HEADER: /* RFC 9110 15.5.9: 408, then close */
		httpd_stats.timeouts_header++;
		if (work_get(c)) {
			conn_free(c, true);
			break;
		}
		c->close_after = true;
		respond_text(c, 408, NULL);
		set_phase(c, PH_WRITE);
		sock_loop_mod(httpd.loop, c->s, phase_interest(c));
		break;
	case PH_WRITE: /* the client stopped reading */
		httpd_stats.timeouts_write++;
		conn_free(c, true);
		break;
	default:
		conn_free(c, false);
	}
}

static void expire(void)
{
	u64 now = ktime_get_ns();
	for (int ph = 0; ph < PH_N; ph++) {
		while (!list_empty(&httpd.phases[ph])) {
			struct http_conn *c = list_first_entry(
			    &httpd.phases[ph], struct http_conn, tnode);
			if (c->deadline_ns > now)
				break;
			expire_one(c);
		}
	}
}

static void httpd_events(struct sock_loop *l, struct sock_event *ev, int n,
			 void *arg)
{
	(void)l;
	(void)arg;
	run_pending();
	for (int i = 0; i < n; i++) {
		if (ev[i].sock == httpd.ls)
			accept_all();
		else
			conn_run(ev[i].cookie, ev[i].events);
	}
	expire();
}

/* ---- start -----------------------------------------------------------------
 */

static int listen_on(u16 port)
{
	int one = 1;
	int err = sock_create(SOCK_STREAM, &httpd.ls);
	if (err)
		return err;
	sock_setsockopt(httpd.ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	err = sock_bind(httpd.ls, INADDR_ANY, port);
	if (!err)
		err = sock_listen(httpd.ls, HTTPD_BACKLOG);
	if (!err)
		err = sock_loop_add(httpd.loop, httpd.ls, SOCK_EV_IN, NULL);
	if (err) {
		sock_close(httpd.ls);
		httpd.ls = NULL;
	}
	return err;
}

int httpd_start(u16 port)
{
	if (httpd.loop)
		return -EALREADY;
	for (int i = 0; i < PH_N; i++)
		INIT_LIST_HEAD(&httpd.phases[i]);
	INIT_LIST_HEAD(&httpd.pending);
	for (u32 i = 0; i < sizeof(httpd.pattern); i++)
		httpd.pattern[i] = endpoint_bytes_at(i);
	/* 8-byte aligned: 56 to a page (73 bytes each) where cache-line
	 * alignment gave 31 (132 bytes): one is kept per idle connection,
	 * and httpd runs on one CPU, so there is no false sharing to avoid. */
	httpd.conn_cache =
	    kcache_create("http_conn", sizeof(struct http_conn), 8);
	httpd.work_cache =
	    kcache_create("http_work", sizeof(struct http_work), 64);
	httpd.loop = sock_loop_create();
	if (!httpd.conn_cache || !httpd.work_cache || !httpd.loop)
		return -ENOMEM;
	int err = content_init();
	if (!err)
		err = listen_on(port);
	if (err)
		return err;
	/* CPU 0, where the NIC's softirqs run: the stack's work for a
	 * connection and the app's stay on one CPU (cache-warm, no wake-up
	 * IPIs); under TCG this doubled /bytes throughput. */
	u32 cpu = 0;
	err = app_register("httpd", httpd.loop, httpd_events, NULL, cpu,
			   HTTPD_TICK_MS);
	if (!err)
		pr_info("httpd: listening on TCP port %u (CPU %u), %u files, "
			"max %u connections, timeouts header %us idle %us "
			"write %us\n",
			port, cpu, content_count(), kcfg.http_max_conns,
			kcfg.http_header_timeout, kcfg.http_idle_timeout,
			kcfg.http_write_timeout);
	return err;
}

/* ---- /debug/pcap --------------------------------------------------------- */

static int pcap_body(struct dynbuf *b)
{
	void *buf;
	size_t len;
	int err = capture_pcap_dump(&buf, &len);
	if (err)
		return err;
	b->p = buf;
	b->len = b->cap = len;
	return 0;
}

/* ---- console ----------------------------------------------------------- */

static int cmd_httpd(int argc, char **argv)
{
	const struct httpd_stats *s = &httpd_stats;
	(void)argc;
	(void)argv;
	if (!httpd.loop) {
		shell_printf("httpd: not running\n");
		return SHELL_ERR_SHOWN;
	}
	shell_printf("connections: %llu active (%llu idle), %llu accepted, "
		     "%llu refused (503)\n",
		     (unsigned long long)s->conns_active,
		     (unsigned long long)s->conns_idle,
		     (unsigned long long)s->conns_accepted,
		     (unsigned long long)s->conns_refused);
	shell_printf("timeouts: header %llu, idle %llu, write %llu; parse "
		     "errors %llu; pipelined %llu\n",
		     (unsigned long long)s->timeouts_header,
		     (unsigned long long)s->timeouts_idle,
		     (unsigned long long)s->timeouts_write,
		     (unsigned long long)s->parse_errors,
		     (unsigned long long)s->pipelined);
	shell_printf("bytes: in %llu, out %llu\nresponses:",
		     (unsigned long long)s->bytes_in,
		     (unsigned long long)s->bytes_out);
	for (int i = 0; i < HTTPD_NCODES; i++)
		if (s->requests[i])
			shell_printf(" %u=%llu", httpd_codes[i],
				     (unsigned long long)s->requests[i]);
	shell_printf("\n");
	return 0;
}
SHELL_CMD("httpd", cmd_httpd, "httpd",
	  "HTTP server counters: connections, timeouts, responses by status");
