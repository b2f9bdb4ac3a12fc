/*
 * http_parse.h - the HTTP/1.1 request parser: bytes in, a parsed request
 * (or a 4xx/5xx status) out. Pure: no allocation, no clock, no kernel
 * calls, so the same file builds into the kernel and into the host unit
 * tests and fuzzer.
 *
 * Read first: RFC 9112 (message syntax: 2.2 lines, 3 request line,
 * 5 field lines, 6 body length, 7 chunked), RFC 9110 (5.6 common syntax,
 * 5.6.7 dates, 7.2 Host, 8.6 Content-Length, 13.1 preconditions, 14 ranges).
 *
 * Use: http_parser_init() once per connection, then feed whatever bytes
 * arrived to http_parse() until state is HTTP_P_DONE (answer p->req, then
 * http_parser_reset() and feed the unconsumed rest) or HTTP_P_ERROR (answer
 * p->status and close). A request body (Content-Length or chunked) is read
 * and discarded before DONE, so the next request starts right after it.
 */
#ifndef SKIFF_HTTP_PARSE_H
#define SKIFF_HTTP_PARSE_H

#include <skiff/types.h>

enum http_method {
	HTTP_M_UNKNOWN = 0, /* a valid token we do not know (server: 501) */
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_CONNECT,
	HTTP_M_OPTIONS,
	HTTP_M_TRACE,
	HTTP_M_PATCH,
};

#define HTTP_PATH_MAX 8192 /* decoded path buffer incl. NUL */
#define HTTP_ETAG_MAX 256  /* If-None-Match value incl. NUL */
#define HTTP_LINE_BUF                                                          \
	8192 /* one line (request line, field line, chunk                      \
	      * line) without its CRLF; line_max is capped to                  \
	      * this */

struct http_limits {
	u32 line_max;	      /* request line bytes incl. CRLF (8192) -> 414 */
	u32 header_bytes_max; /* header section bytes incl. the final empty
			       * line (16384) -> 431; trailers alike */
	u32 fields_max;	      /* field lines (100) -> 431; trailers alike */
	u64 body_max;	      /* body bytes read and discarded (1 MiB); more
			       * -> 413 */
};

void http_limits_default(struct http_limits *l);

struct http_range {	 /* from "Range: bytes=..." */
	bool present;	 /* a single byte range we understood, on a GET */
	bool suffix;	 /* bytes=-N: the last N bytes (N in last) */
	u64 first, last; /* inclusive; last = UINT64_MAX for "bytes=N-" */
};

struct http_request {
	enum http_method method;
	u8 version_minor; /* HTTP/1.0 -> 0; 1.1 and higher 1.x -> 1 */
	/* Percent-decoded, dot segments removed, "//" collapsed; starts with
	 * '/' (or is "*" for OPTIONS *); NUL-terminated; query dropped. */
	char path[HTTP_PATH_MAX];
	bool keep_alive; /* from the version and Connection (RFC 9112 9.3) */
	bool has_host;
	u64 content_length; /* body bytes announced (0 if none) */
	bool chunked;	    /* Transfer-Encoding: chunked */
	bool has_inm;	    /* false also if the value was too long */
	char if_none_match[HTTP_ETAG_MAX]; /* raw value(s), trimmed */
	bool has_ims; /* false if absent, repeated or not a valid date */
	s64 if_modified_since; /* Unix seconds */
	struct http_range range;
};

enum http_pstate { HTTP_P_MORE, HTTP_P_DONE, HTTP_P_ERROR };

/* Private to http_parse.c: where the parser is and what it has seen. */
struct http_parse_priv {
	u8 phase;	      /* enum http_phase */
	bool saw_cr;	      /* the last byte was a CR; only LF may follow */
	u8 empty_lines;	      /* empty lines before the request line */
	u16 over_status;      /* status when the section budget runs out */
	u32 line_len;	      /* bytes in line[] */
	u32 budget;	      /* bytes the current section may still take */
	u32 fields;	      /* field lines in the current section */
	u8 host_count;	      /* Host field lines seen */
	u8 ims_count;	      /* If-Modified-Since field lines seen */
	u8 range_count;	      /* Range field lines seen */
	bool cl_seen;	      /* a Content-Length was seen */
	bool te_seen;	      /* a Transfer-Encoding was seen */
	bool te_unknown;      /* ... naming a coding we do not know */
	bool te_last_chunked; /* its last coding is chunked */
	u8 te_chunked_count;  /* how often chunked appears (must be 1) */
	bool conn_close;      /* Connection: close */
	bool conn_keep_alive; /* Connection: keep-alive */
	bool inm_too_long;    /* If-None-Match did not fit */
	u64 body_left;	/* Content-Length or chunk bytes still to discard */
	u64 body_total; /* chunked: sum of the chunk sizes so far */
};

struct http_parser {
	enum http_pstate state;
	u16 status;	   /* on ERROR: 400, 413, 414, 431, 501, 505 */
	const char *error; /* on ERROR: a short reason for logs and tests */
	struct http_request req;
	struct http_limits lim;
	struct http_parse_priv priv;
	char line[HTTP_LINE_BUF]; /* the line being assembled */
};

void http_parser_init(struct http_parser *p, const struct http_limits *lim);
/* Ready for the next request on the same connection (keeps the limits). */
void http_parser_reset(struct http_parser *p);
/*
 * Feed bytes; returns how many were consumed (<= len). Stops right after a
 * complete request including its discarded body (state DONE; pipelined
 * bytes after it stay unconsumed), or at the byte that made it an error
 * (state ERROR, that byte counted as consumed). Once DONE or ERROR it
 * consumes nothing until reset. Any split of the input gives the same
 * result as one call.
 */
size_t http_parse(struct http_parser *p, const u8 *buf, size_t len);

/* Resolve a range against a body of `size` bytes: 0 -> serve
 * [*off, *off + *len) as 206; -1 -> unsatisfiable (416); 1 -> no usable
 * range, serve the whole body (200). */
int http_range_resolve(const struct http_range *r, u64 size, u64 *off,
		       u64 *len);
/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (29 chars + NUL). Times
 * outside years 1970..9999 are clamped to them. */
void http_date_format(s64 unix_seconds, char out[30]);
/* IMF-fixdate, RFC 850 and asctime forms (RFC 9110 5.6.7); 0 on success,
 * -1 if s[0..len) is not exactly one of them. */
int http_date_parse(const char *s, size_t len, s64 *unix_seconds);
/* Does If-None-Match value `inm` match our entity-tag `etag` (with its
 * quotes, e.g. "\"1a2b-3c\"")? Weak comparison, "*" matches, comma lists
 * (RFC 9110 13.1.2). A malformed list matches nothing past the fault. */
bool http_etag_match(const char *inm, const char *etag);

#endif
