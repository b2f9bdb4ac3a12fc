/*
 * httpd.h - the HTTP/1.1 server's internal interfaces (apps/httpd/).
 *
 *   httpd.c      connections: accept, read, parse (http_parse.c), answer,
 *                write, keep-alive, pipelining, timeouts and limits
 *   content.c    the site: built-in www/ plus the boot volume's \www, with
 *                per-file headers precomputed at start
 *   endpoints.c  what is computed per request: /status, /metrics,
 *                /bytes/N and /debug/pcap
 *   respond.c    status lines, header blocks and error bodies
 *
 * Read first: RFC 9110 (semantics), RFC 9112 (HTTP/1.1 messages).
 */
#ifndef APPS_HTTPD_H
#define APPS_HTTPD_H

#include "http_parse.h"
#include <skiff/types.h>

#define HTTPD_HDR_MAX 1024 /* one response's header block */

/* ---- content.c ------------------------------------------------------- */

struct http_file {
	const char *path; /* "/index.html" */
	const u8 *data;	  /* the body, never copied (built-in or boot pages) */
	u64 size;
	s64 mtime; /* Unix seconds, for Last-Modified */
	const char *ctype;
	char etag[48]; /* strong: "\"<size>-<mtime>-<fnv32>\"" */
	char *headers; /* Content-Type .. Accept-Ranges lines, CRLF each */
	u32 headers_len;
	bool from_boot; /* read from the boot volume (overrides built-in) */
};

int content_init(void);
/* The file for a normalised path; "/" and "/dir/" mean their index.html.
 * *redirect is set (and NULL returned) when "/dir" names a directory that
 * has an index.html: answer 301 to "/dir/". */
const struct http_file *content_lookup(const char *path, bool *redirect);
u32 content_count(void);
void content_for_each(void (*fn)(const struct http_file *f, void *ctx),
		      void *ctx);
/* "text/html; charset=utf-8" for "/x.html", ...; octet-stream if unknown. */
const char *content_type_for(const char *path);

/* ---- endpoints.c ----------------------------------------------------- */

/* A growing body built per request (JSON, Prometheus text). */
struct dynbuf {
	char *p;
	size_t len, cap;
	bool oom; /* an allocation failed: the text is cut */
};
__printf(2, 3) void dynbuf_printf(struct dynbuf *b, const char *fmt, ...);

int endpoint_status(struct dynbuf *b);
int endpoint_metrics(struct dynbuf *b);
/* "/bytes/N" -> N; -1 if the path is not /bytes/N with a valid N. */
s64 endpoint_bytes_len(const char *path);
/* Byte i of every /bytes/N body. */
static inline u8 endpoint_bytes_at(u64 i)
{
	return (u8) "0123456789abcdef"[i & 15];
}

/* ---- httpd.c: counters, read by endpoints.c and the `httpd` command ---- */

/* By hand: the codes in rows, not as the formatter packs them. */
/* clang-format off */
/* Every status code the server sends, in one table for the counters. */
#define HTTPD_CODES(X)                                                         \
	X(200)                                                                 \
	X(206) X(301) X(304) X(400) X(403) X(404) X(405) X(408) X(413) X(414)  \
	    X(416) X(431) X(500) X(501) X(503) X(505)
/* clang-format on */

enum httpd_code_idx {
#define HTTPD_CODE_IDX(c) HTTPD_C##c,
	HTTPD_CODES(HTTPD_CODE_IDX)
#undef HTTPD_CODE_IDX
	    HTTPD_NCODES
};

struct httpd_stats {
	u64 requests[HTTPD_NCODES];	   /* responses sent, by status */
	u64 bytes_out;			   /* header and body bytes sent */
	u64 bytes_in;			   /* request bytes received */
	u64 conns_accepted, conns_refused; /* refused: 503 at max_conns */
	u64 conns_active;		   /* a gauge */
	u64 conns_idle;			   /* of which waiting for a request */
	u64 timeouts_header, timeouts_idle, timeouts_write;
	u64 parse_errors; /* requests refused by the parser (4xx/5xx) */
	u64 pipelined;	  /* requests that arrived behind another */
};
extern struct httpd_stats httpd_stats;
u16 httpd_code(enum httpd_code_idx i);

/* ---- respond.c ------------------------------------------------------- */

const char *http_reason(u16 status);
/* The current time as an IMF-fixdate, formatted at most once a second. */
const char *http_date_now(void);

#endif
