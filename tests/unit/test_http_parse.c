/*
 * test_http_parse.c - host tests for apps/httpd/http_parse.c, the HTTP/1.1
 * request parser.
 *
 * A table of good and bad requests with the expected state, status and
 * parsed fields; every one of them is also fed split in two at every byte
 * boundary and byte by byte, and must give the same state, status, reason,
 * consumed count and request. Then: pipelining, every limit at exactly the
 * limit and one over, body discard (Content-Length, chunked with
 * extensions and trailers) split everywhere, path normalisation, dates in
 * the three forms and the format round trip, range resolution, entity-tag
 * matching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../apps/httpd/http_parse.h"

#define H11 " HTTP/1.1\r\n"
#define HOST "Host: a\r\n"

/* ---- feeding helpers ----------------------------------------------------- */

struct result {
	enum http_pstate state;
	u16 status;
	const char *error;
	size_t consumed;
	struct http_request req;
};

static struct http_parser parser; /* 17 KiB: not on the stack */

/* A parser over deliberately dirty memory, so nothing relies on zeroes. */
static void parser_fresh(const struct http_limits *lim)
{
	memset(&parser, 0xa5, sizeof(parser));
	http_parser_init(&parser, lim);
}

/* Feed buf in pieces ending at cuts[] (ascending, then len). A piece fed
 * after DONE/ERROR must consume nothing; before, all of it. */
static void feed_cuts(const u8 *buf, size_t len, const size_t *cuts,
		      size_t ncuts, const struct http_limits *lim,
		      struct result *out)
{
	size_t at = 0, k;

	parser_fresh(lim);
	out->consumed = 0;
	for (k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : len;
		enum http_pstate before = parser.state;
		size_t got = http_parse(&parser, buf + at, end - at);

		if (before != HTTP_P_MORE)
			assert_int_equal(got, 0);
		else if (parser.state == HTTP_P_MORE)
			assert_int_equal(got, end - at);
		out->consumed += got;
		at = end;
	}
	out->state = parser.state;
	out->status = parser.status;
	out->error = parser.error;
	out->req = parser.req;
}

static void feed_all(const u8 *buf, size_t len, const struct http_limits *lim,
		     struct result *out)
{
	feed_cuts(buf, len, NULL, 0, lim, out);
}

static void assert_same_request(const struct http_request *a,
				const struct http_request *b)
{
	assert_int_equal(a->method, b->method);
	assert_int_equal(a->version_minor, b->version_minor);
	assert_string_equal(a->path, b->path);
	assert_int_equal(a->keep_alive, b->keep_alive);
	assert_int_equal(a->has_host, b->has_host);
	assert_int_equal(a->content_length, b->content_length);
	assert_int_equal(a->chunked, b->chunked);
	assert_int_equal(a->has_inm, b->has_inm);
	if (a->has_inm)
		assert_string_equal(a->if_none_match, b->if_none_match);
	assert_int_equal(a->has_ims, b->has_ims);
	assert_int_equal(a->if_modified_since, b->if_modified_since);
	assert_int_equal(a->range.present, b->range.present);
	assert_int_equal(a->range.suffix, b->range.suffix);
	assert_int_equal(a->range.first, b->range.first);
	assert_int_equal(a->range.last, b->range.last);
}

static void assert_same_result(const struct result *a, const struct result *b)
{
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->status, b->status);
	assert_ptr_equal(a->error, b->error);
	assert_int_equal(a->consumed, b->consumed);
	if (a->state == HTTP_P_DONE)
		assert_same_request(&a->req, &b->req);
}

/* One call, then every two-way split, then byte by byte: all the same. */
static void feed_every_split(const u8 *buf, size_t len,
			     const struct http_limits *lim, struct result *out)
{
	static struct result other;
	static size_t cuts[1 << 16];
	size_t k;

	assert_true(len < ARRAY_SIZE(cuts));
	feed_all(buf, len, lim, out);
	for (k = 0; k <= len; k++) {
		feed_cuts(buf, len, &k, 1, lim, &other);
		assert_same_result(out, &other);
	}
	for (k = 0; k < len; k++)
		cuts[k] = k + 1;
	feed_cuts(buf, len, cuts, len ? len - 1 : 0, lim, &other);
	assert_same_result(out, &other);
}

/* ---- the table ----------------------------------------------------------- */

struct http_case {
	const char *raw;
	size_t len;
	enum http_pstate state;
	u16 status; /* on ERROR */
	/* on DONE: */
	enum http_method method;
	u8 minor;
	const char *path;
	bool keep_alive;
	bool no_host;
	u64 content_length;
	bool chunked;
	const char *inm; /* NULL: has_inm false */
	bool has_ims;
	s64 ims;
	struct http_range range;
	size_t trail; /* bytes left unconsumed after DONE */
};

#define RAW(s) .raw = (s), .len = sizeof(s) - 1
#define OK(m, v, p, ka)                                                        \
	.state = HTTP_P_DONE, .method = (m), .minor = (v), .path = (p),        \
	.keep_alive = (ka)
#define BAD(st) .state = HTTP_P_ERROR, .status = (st)
#define GET11(p) OK(HTTP_M_GET, 1, p, true)
#define RANGE(a, b) .range = {.present = true, .first = (a), .last = (b)}
#define IMF_1994 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

static const char long_inm[] =
    "GET /" H11 HOST "If-None-Match: \""
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "\"\r\n\r\n";

static const struct http_case cases[] = {
    /* ---- good requests ---- */
    {RAW("GET /" H11 HOST "\r\n"), GET11("/")},
    {RAW("HEAD /index.html" H11 HOST "\r\n"),
     OK(HTTP_M_HEAD, 1, "/index.html", true)},
    {RAW("GET / HTTP/1.0\r\n\r\n"), OK(HTTP_M_GET, 0, "/", false),
     .no_host = true},
    {RAW("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
     OK(HTTP_M_GET, 0, "/", true), .no_host = true},
    {RAW("GET / HTTP/1.0\r\nConnection: Keep-Alive, Upgrade\r\n" HOST "\r\n"),
     OK(HTTP_M_GET, 0, "/", true)},
    {RAW("GET / HTTP/1.0\r\nHost:\r\n\r\n"), OK(HTTP_M_GET, 0, "/", false)},
    {RAW("GET /" H11 HOST "Connection: close\r\n\r\n"),
     OK(HTTP_M_GET, 1, "/", false)},
    {RAW("GET /" H11 HOST "Connection: foo,  CLOSE \r\n\r\n"),
     OK(HTTP_M_GET, 1, "/", false)},
    {RAW("GET /" H11 HOST "Connection: keep-alive, close\r\n\r\n"),
     OK(HTTP_M_GET, 1, "/", false)},
    {RAW("POST /f" H11 HOST "Content-Length: 5\r\n\r\nhello"),
     OK(HTTP_M_POST, 1, "/f", true), .content_length = 5},
    {RAW("PUT /f" H11 HOST "Content-Length: 0\r\n\r\n"),
     OK(HTTP_M_PUT, 1, "/f", true)},
    {RAW("POST /f" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "5\r\nhello\r\n0\r\n\r\n"),
     OK(HTTP_M_POST, 1, "/f", true), .chunked = true},
    {RAW("POST /f" H11 HOST "Transfer-Encoding: gzip, Chunked\r\n\r\n"
	 "A;name=val;q=\"a \\\"b\\\" c\" ; x\r\n0123456789\r\n"
	 "0\r\nTrailer-One: x\r\nT2:\r\n\r\n"),
     OK(HTTP_M_POST, 1, "/f", true), .chunked = true},
    {RAW("POST /f" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "3\nabc\n0\n\n"),
     OK(HTTP_M_POST, 1, "/f", true), .chunked = true},
    {RAW("DELETE /x" H11 HOST "\r\n"), OK(HTTP_M_DELETE, 1, "/x", true)},
    {RAW("TRACE /x" H11 HOST "\r\n"), OK(HTTP_M_TRACE, 1, "/x", true)},
    {RAW("PATCH /x" H11 HOST "\r\n"), OK(HTTP_M_PATCH, 1, "/x", true)},
    {RAW("BREW /pot" H11 HOST "\r\n"), OK(HTTP_M_UNKNOWN, 1, "/pot", true)},
    {RAW("get /" H11 HOST "\r\n"), OK(HTTP_M_UNKNOWN, 1, "/", true)},
    {RAW("OPTIONS *" H11 HOST "\r\n"), OK(HTTP_M_OPTIONS, 1, "*", true)},
    {RAW("CONNECT example.com:443" H11 HOST "\r\n"),
     OK(HTTP_M_CONNECT, 1, "/", true)},
    {RAW("GET http://example.com/a/b?x=1" H11 HOST "\r\n"), GET11("/a/b")},
    {RAW("GET HTTP://example.com:8080" H11 HOST "\r\n"), GET11("/")},
    {RAW("GET https://example.com?q" H11 HOST "\r\n"), GET11("/")},
    {RAW("GET / HTTP/1.7\r\n" HOST "\r\n"), GET11("/")},
    {RAW("\r\n\r\nGET /" H11 HOST "\r\n"), GET11("/")},
    {RAW("\nGET /x HTTP/1.1\nHost: a\n\n"), GET11("/x")},
    {RAW("GET /a?b=c%zz&d" H11 HOST "\r\n"), GET11("/a")},
    {RAW("GET /a%20b%2Fc" H11 HOST "\r\n"), GET11("/a b/c")},
    {RAW("GET /%7euser/%C3%A9" H11 HOST "\r\n"), GET11("/~user/\xc3\xa9")},
    {RAW("GET /a/./b/../c" H11 HOST "\r\n"), GET11("/a/c")},
    {RAW("GET //a//b/" H11 HOST "\r\n"), GET11("/a/b/")},
    {RAW("GET /a/.." H11 HOST "\r\n"), GET11("/")},
    {RAW("GET /a/b/..." H11 HOST "\r\n"), GET11("/a/b/...")},
    {RAW("GET /" H11 HOST "If-None-Match:  \"abc\" \r\n\r\n"), GET11("/"),
     .inm = "\"abc\""},
    {RAW("GET /" H11 HOST "If-None-Match: W/\"a\"\r\nIf-None-Match: \"b\"\r\n"
	 "\r\n"),
     GET11("/"), .inm = "W/\"a\", \"b\""},
    {long_inm, sizeof(long_inm) - 1, GET11("/")},
    {RAW("GET /" H11 HOST "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 "
	 "GMT\r\n\r\n"),
     GET11("/"), .has_ims = true, .ims = IMF_1994},
    {RAW("GET /" H11 HOST "If-Modified-Since: yesterday\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"
	 "\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 "
	 "GMT\r\n\r\n"),
     GET11("/")},
    {RAW("GET /" H11 HOST "Range: bytes=0-99\r\n\r\n"), GET11("/"),
     RANGE(0, 99)},
    {RAW("GET /" H11 HOST "Range: BYTES= 100- \r\n\r\n"), GET11("/"),
     RANGE(100, UINT64_MAX)},
    {RAW("GET /" H11 HOST "Range: bytes=-500\r\n\r\n"), GET11("/"),
     .range = {.present = true, .suffix = true, .last = 500}},
    {RAW("GET /" H11 HOST "Range: bytes=0-1,5-6\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "Range: bytes=0-1,\r\n\r\n"), GET11("/"),
     RANGE(0, 1)},
    {RAW("GET /" H11 HOST "Range: items=0-1\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "Range: bytes=5-1\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "Range: bytes=1 - 2\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "Range: bytes=99999999999999999999-\r\n\r\n"),
     GET11("/")},
    {RAW("HEAD /" H11 HOST "Range: bytes=0-1\r\n\r\n"),
     OK(HTTP_M_HEAD, 1, "/", true)},
    {RAW("GET /" H11 "hOsT: a\r\nCONTENT-length: 2\r\n\r\nab"), GET11("/"),
     .content_length = 2},
    {RAW("GET /" H11 HOST "Content-Length: 3, 3,3\r\n\r\nabc"), GET11("/"),
     .content_length = 3},
    {RAW("GET /" H11 HOST "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
     GET11("/"), .content_length = 3},
    {RAW("GET /" H11 "Host: example.com:8080\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 "Host: [::1]:80\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 "Host: xn--bcher-kva.example\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "X-Any: \x80\xff text\twith tab\r\n\r\n"),
     GET11("/")},
    {RAW("GET /" H11 HOST "X-Empty:\r\n\r\n"), GET11("/")},
    {RAW("GET /" H11 HOST "\r\nGE"), GET11("/"), .trail = 2},
    /* ---- incomplete ---- */
    {RAW("GET /" H11 HOST), .state = HTTP_P_MORE},
    {RAW("POST /f" H11 HOST "Content-Length: 5\r\n\r\nhell"),
     .state = HTTP_P_MORE},
    {RAW("POST /f" H11 HOST "Transfer-Encoding: chunked\r\n\r\n0\r\n"),
     .state = HTTP_P_MORE},
    /* ---- request line ---- */
    {RAW("GET /" H11 "\r\n"), BAD(400)},	    /* no Host */
    {RAW("GE(T /" H11 HOST "\r\n"), BAD(400)},	    /* method */
    {RAW(" / HTTP/1.1\r\n" HOST "\r\n"), BAD(400)}, /* empty method */
    {RAW("GET  /" H11 HOST "\r\n"), BAD(400)},	    /* two SP */
    {RAW("GET /\r\n\r\n"), BAD(400)},		    /* HTTP/0.9 form */
    {RAW("GET / HTTP/2.0\r\n" HOST "\r\n"), BAD(505)},
    {RAW("GET / HTTP/0.9\r\n" HOST "\r\n"), BAD(505)},
    {RAW("GET / HTTP/3.0\r\n" HOST "\r\n"), BAD(505)},
    {RAW("GET / HTTP/1\r\n" HOST "\r\n"), BAD(400)},
    {RAW("GET / http/1.1\r\n" HOST "\r\n"), BAD(400)},
    {RAW("GET / HTTP/1.1 \r\n" HOST "\r\n"), BAD(400)},
    {RAW("GET / HTTP/11.1\r\n" HOST "\r\n"), BAD(400)},
    {RAW("GET /a\x01" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a\x7f" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /\xc3\xa9" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a\0b" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a\tb" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a#frag" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a?q#frag" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET *" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET example.com" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET ftp://example.com/" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET http:///x" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET http://user@example.com/" H11 HOST "\r\n"), BAD(400)},
    {RAW("CONNECT /" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /%zz" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /%4" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /%" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a%00b" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a%0d%0a" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /.." H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /%2e%2e/x" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a/../../b" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /a/..%2f..%2Fetc" H11 HOST "\r\n"), BAD(400)},
    {RAW("GET /\rx" H11 HOST "\r\n"), BAD(400)},
    {RAW("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET /" H11 HOST "\r\n"),
     BAD(400)},
    /* ---- header fields ---- */
    {RAW("GET /" H11 HOST "Host: b\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 "Host:\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 "Host: a b\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 "Host: a/b\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 "Host: a:80x\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 "Host: [::1\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "X: a\r\n b\r\n\r\n"), BAD(400)}, /* obs-fold */
    {RAW("GET /" H11 " Host: a\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 "Host : a\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "X: a\rb\r\n\r\n"), BAD(400)}, /* bare CR */
    {RAW("GET /" H11 HOST "\r\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "X: a\0b\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "X: a\x01\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "X: a\x7f\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "Fo(o: bar\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST "NoColon\r\n\r\n"), BAD(400)},
    {RAW("GET /" H11 HOST ": x\r\n\r\n"), BAD(400)},
    /* ---- body framing ---- */
    {RAW("POST /" H11 HOST "Content-Length: 1\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n"
	 "Content-Length: 1\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: 5, 6\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: +5\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: -1\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: 5a\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length:\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: 5,,5\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: 184467440737095516160\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Content-Length: 18446744073709551615\r\n\r\n"),
     BAD(413)},
    {RAW("POST /" H11 HOST "Content-Length: 1048577\r\n\r\n"), BAD(413)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: br, chunked\r\n\r\n"), BAD(501)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked;x=1\r\n\r\n"), BAD(501)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked, gzip\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding:\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: \"chunked\"\r\n\r\n"), BAD(400)},
    {RAW("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "10000000000000000\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "100001\r\n"),
     BAD(413)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "2\r\nabc\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "2\r\nab\rX"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "2 \r\nab\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "2;\r\nab\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "2;a=\"x\r\nab\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "0\r\nBad Trailer: x\r\n\r\n"),
     BAD(400)},
    {RAW("POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	 "0\r\nT: a\r\n folded\r\n\r\n"),
     BAD(400)},
};

static void check_case(const struct http_case *c, const struct result *r)
{
	const struct http_request *q = &r->req;

	assert_int_equal(r->state, c->state);
	if (c->state == HTTP_P_ERROR) {
		assert_int_equal(r->status, c->status);
		assert_non_null(r->error);
		assert_false(q->keep_alive);
		return;
	}
	assert_int_equal(r->consumed, c->len - c->trail);
	if (c->state != HTTP_P_DONE)
		return;
	assert_int_equal(q->method, c->method);
	assert_int_equal(q->version_minor, c->minor);
	assert_string_equal(q->path, c->path);
	assert_int_equal(q->keep_alive, c->keep_alive);
	assert_int_equal(q->has_host, !c->no_host);
	assert_int_equal(q->content_length, c->content_length);
	assert_int_equal(q->chunked, c->chunked);
	assert_int_equal(q->has_inm, c->inm != NULL);
	if (c->inm)
		assert_string_equal(q->if_none_match, c->inm);
	assert_int_equal(q->has_ims, c->has_ims);
	if (c->has_ims)
		assert_int_equal(q->if_modified_since, c->ims);
	assert_int_equal(q->range.present, c->range.present);
	assert_int_equal(q->range.suffix, c->range.suffix);
	assert_int_equal(q->range.first, c->range.first);
	assert_int_equal(q->range.last, c->range.last);
}

static void test_table(void **state)
{
	static struct result r;
	size_t i;

	(void)state;
	assert_true(ARRAY_SIZE(cases) >= 60);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct http_case *c = &cases[i];

		print_message("case %zu: %.40s\n", i, c->raw);
		feed_every_split((const u8 *)c->raw, c->len, NULL, &r);
		check_case(c, &r);
	}
}

/* After DONE or ERROR nothing more is consumed until reset. */
static void test_sticky_end_states(void **state)
{
	const char *req = "GET /" H11 HOST "\r\n";
	const char *bad = "GET / HTTP/2.0\r\n";

	(void)state;
	parser_fresh(NULL);
	assert_int_equal(http_parse(&parser, (const u8 *)req, strlen(req)),
			 strlen(req));
	assert_int_equal(parser.state, HTTP_P_DONE);
	assert_int_equal(http_parse(&parser, (const u8 *)req, strlen(req)), 0);
	http_parser_reset(&parser);
	assert_int_equal(parser.state, HTTP_P_MORE);
	assert_int_equal(http_parse(&parser, (const u8 *)bad, strlen(bad)),
			 strlen(bad));
	assert_int_equal(parser.state, HTTP_P_ERROR);
	assert_int_equal(parser.status, 505);
	assert_int_equal(http_parse(&parser, (const u8 *)req, strlen(req)), 0);
	assert_int_equal(http_parse(&parser, NULL, 0), 0);
}

/* ---- pipelining ---------------------------------------------------------- */

static void test_pipelining(void **state)
{
	static const char *const reqs[] = {
	    "GET /one" H11 HOST "\r\n",
	    "POST /two" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	    "3;e=1\r\nabc\r\n0\r\nT: v\r\n\r\n",
	    "HEAD /three HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody",
	};
	static const char *const paths[] = {"/one", "/two", "/three"};
	char buf[512];
	size_t len = 0, at = 0, i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memcpy(buf + len, reqs[i], strlen(reqs[i]));
		len += strlen(reqs[i]);
	}
	parser_fresh(NULL);
	for (i = 0; i < 3; i++) {
		size_t got =
		    http_parse(&parser, (const u8 *)buf + at, len - at);

		assert_int_equal(parser.state, HTTP_P_DONE);
		assert_int_equal(got, strlen(reqs[i]));
		assert_string_equal(parser.req.path, paths[i]);
		at += got;
		http_parser_reset(&parser);
	}
	assert_int_equal(at, len);
	assert_int_equal(http_parse(&parser, (const u8 *)buf, 0), 0);
	assert_int_equal(parser.state, HTTP_P_MORE);
}

/* The same three requests arriving in two pieces split anywhere: a server
 * loop (parse, reset on DONE, keep the rest) sees all three in order. */
static void test_pipelining_split(void **state)
{
	const char *buf = "GET /a" H11 HOST "\r\n"
			  "PUT /b" H11 HOST "Content-Length: 3\r\n\r\nxyz"
			  "GET /c" H11 HOST "Connection: close\r\n\r\n";
	size_t len = strlen(buf), cut;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		char seen[8] = "";
		size_t at = 0, have = cut, n = 0;

		parser_fresh(NULL);
		while (n < 3) {
			at += http_parse(&parser, (const u8 *)buf + at,
					 have - at);
			if (parser.state == HTTP_P_DONE) {
				seen[n++] = parser.req.path[1];
				http_parser_reset(&parser);
			} else if (have < len) {
				have = len;
			} else {
				break;
			}
		}
		assert_string_equal(seen, "abc");
		assert_int_equal(at, len);
		assert_false(parser.req.keep_alive); /* reset after DONE */
	}
}

/* ---- limits -------------------------------------------------------------- */

static u8 big[70000];

/* "GET /xxx... HTTP/1.1\r\n" of exactly `total` bytes, then Host. */
static size_t build_long_line(size_t total)
{
	const char *tail = H11 HOST "\r\n";
	size_t target = total - strlen("GET ") - strlen(H11);

	memcpy(big, "GET /", 5);
	memset(big + 5, 'x', target - 1);
	memcpy(big + 4 + target, tail, strlen(tail));
	return 4 + target + strlen(tail);
}

static void test_limit_request_line(void **state)
{
	static struct result r;
	struct http_limits small;
	size_t len;

	(void)state;
	len = build_long_line(8192);
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	assert_int_equal(strlen(r.req.path), 8192 - 4 - strlen(H11));
	len = build_long_line(8193);
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_ERROR);
	assert_int_equal(r.status, 414);
	assert_int_equal(r.consumed, 8193); /* the byte over the limit */

	http_limits_default(&small);
	small.line_max = 40;
	len = build_long_line(40);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	len = build_long_line(41);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.status, 414);

	/* A limit above the line buffer is capped to it. */
	small.line_max = 100000;
	len = build_long_line(8193);
	feed_all(big, len, &small, &r);
	assert_int_equal(r.status, 414);
}

/* Request line, Host, then `nfields - 1` fields "X: yyy..." making the
 * header section (field lines + the final CRLF) exactly `bytes` long, the
 * slack spread evenly over the fields. */
static size_t build_headers(size_t bytes, u32 nfields)
{
	const char *rl = "GET /" H11;
	size_t len = strlen(rl), left = bytes - strlen(HOST) - 2;
	size_t each = left / (nfields - 1);
	u32 f;

	memcpy(big, rl, len);
	memcpy(big + len, HOST, strlen(HOST));
	len += strlen(HOST);
	for (f = 1; f < nfields; f++) {
		size_t line = f + 1 < nfields ? each : left;
		size_t pad = line - 5; /* "X: " pad "\r\n" */

		assert_true(line >= 6);
		memcpy(big + len, "X: ", 3);
		memset(big + len + 3, 'y', pad);
		memcpy(big + len + 3 + pad, "\r\n", 2);
		len += line;
		left -= line;
	}
	assert_int_equal(left, 0);
	memcpy(big + len, "\r\n", 2);
	return len + 2;
}

static void test_limit_header_bytes(void **state)
{
	static struct result r;
	struct http_limits small;
	size_t len;

	(void)state;
	len = build_headers(16384, 4); /* field lines below the line buffer */
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	assert_int_equal(r.consumed, len);
	len = build_headers(16385, 4);
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_ERROR);
	assert_int_equal(r.status, 431);
	assert_int_equal(r.consumed, len); /* the final LF is one too many */

	http_limits_default(&small);
	small.header_bytes_max = 64;
	len = build_headers(64, 3);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	len = build_headers(65, 3);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.status, 431);
}

/* One field line longer than the line buffer is a 431 on its own. */
static void test_limit_field_line(void **state)
{
	static struct result r;
	size_t len;

	(void)state;
	len = build_headers(2 + 9 + HTTP_LINE_BUF + 2, 2); /* 8192 + CRLF */
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	len = build_headers(2 + 9 + HTTP_LINE_BUF + 3, 2);
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.status, 431);
}

static void test_limit_fields(void **state)
{
	static struct result r;
	struct http_limits small;
	size_t len;

	(void)state;
	len = build_headers(100 * 6 + 2 + 3, 100); /* Host + 99: 100 */
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	len = build_headers(101 * 6 + 2 + 3, 101);
	feed_all(big, len, NULL, &r);
	assert_int_equal(r.state, HTTP_P_ERROR);
	assert_int_equal(r.status, 431);

	http_limits_default(&small);
	small.fields_max = 3;
	len = build_headers(3 * 6 + 2 + 3, 3);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	len = build_headers(4 * 6 + 2 + 3, 4);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.status, 431);
}

/* Trailers meet the same limits as the header section. */
static void test_limit_trailers(void **state)
{
	const char *head =
	    "POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n0\r\n";
	static struct result r;
	struct http_limits small;
	size_t len = strlen(head);

	(void)state;
	http_limits_default(&small);
	small.fields_max = 2;
	memcpy(big, head, len);
	memcpy(big + len, "A: 1\r\nB: 2\r\n\r\n", 14);
	feed_every_split(big, len + 14, &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	memcpy(big + len, "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 20);
	feed_every_split(big, len + 20, &small, &r);
	assert_int_equal(r.status, 431);

	/* header section 37 bytes, trailer section 50 */
	static const char req[] =
	    "GET / HTTP/1.1\r\nHost:a\r\nTransfer-Encoding:chunked\r\n\r\n0\r\n"
	    "A: 1\r\nB: 2222222222222222222222222222222222222\r\n\r\n";
	http_limits_default(&small);
	small.header_bytes_max = 50;
	feed_every_split((const u8 *)req, sizeof(req) - 1, &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	small.header_bytes_max = 49;
	feed_every_split((const u8 *)req, sizeof(req) - 1, &small, &r);
	assert_int_equal(r.status, 431);
	assert_int_equal(r.consumed, sizeof(req) - 1);
}

/* A body of `body` bytes announced by Content-Length; with a GET after. */
static size_t build_cl_body(u64 body)
{
	int n =
	    snprintf((char *)big, 200,
		     "POST /b" H11 HOST "Content-Length: %llu\r\n\r\n", body);

	memset(big + n, 'b', body);
	memcpy(big + n + body, "GET /", 5);
	return (size_t)n + body + 5;
}

static void test_limit_body(void **state)
{
	static u8 huge[(1 << 20) + 256];
	static struct result r;
	struct http_limits small;
	size_t len;
	int n;

	(void)state;
	n = snprintf((char *)huge, 200,
		     "POST /b" H11 HOST "Content-Length: 1048576\r\n\r\n");
	memset(huge + n, 'b', 1 << 20);
	feed_all(huge, (size_t)n + (1 << 20), NULL, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	assert_int_equal(r.consumed, (size_t)n + (1 << 20));

	http_limits_default(&small);
	small.body_max = 10;
	len = build_cl_body(10);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	assert_int_equal(r.consumed, len - 5);
	len = build_cl_body(11);
	feed_every_split(big, len, &small, &r);
	assert_int_equal(r.status, 413);
	/* refused when the header line ends, before any body byte */
	assert_int_equal(r.consumed, len - 11 - 5 - 2);
}

static void test_limit_chunked_body(void **state)
{
	const char *ok = "POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
			 "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n";
	const char *over =
	    "POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	    "4\r\nabcd\r\n7\r\nefghijk\r\n0\r\n\r\n";
	static struct result r;
	struct http_limits small;

	(void)state;
	http_limits_default(&small);
	small.body_max = 10;
	feed_every_split((const u8 *)ok, strlen(ok), &small, &r);
	assert_int_equal(r.state, HTTP_P_DONE);
	feed_every_split((const u8 *)over, strlen(over), &small, &r);
	assert_int_equal(r.status, 413);
	assert_int_equal(r.consumed,
			 strlen(over) - strlen("efghijk\r\n0\r\n\r\n"));
}

/* ---- body discard -------------------------------------------------------- */

/* The body ends exactly where the next request begins, however split. */
static void test_body_discard(void **state)
{
	static const char *const bodies[] = {
	    "POST /x" H11 HOST "Content-Length: 14\r\n\r\nGET / HTTP/1.1",
	    "POST /x" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	    "5;ext=\"q;\\\"x\"\r\nGET /\r\n"
	    "1a ; a ; b = c\r\nabcdefghijklmnopqrstuvwxyz\r\n"
	    "000;last\r\nExpires: never\r\nX-Sum: 31\r\n\r\n",
	    "POST /x" H11 HOST "Transfer-Encoding: chunked\r\n\r\n"
	    "0\r\n\r\n",
	};
	const char *next = "GET /next" H11 HOST "\r\n";
	static struct result r;
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bodies); i++) {
		size_t len = strlen(bodies[i]);

		memcpy(buf, bodies[i], len);
		memcpy(buf + len, next, strlen(next));
		feed_every_split((const u8 *)buf, len + strlen(next), NULL, &r);
		assert_int_equal(r.state, HTTP_P_DONE);
		assert_string_equal(r.req.path, "/x");
		assert_int_equal(r.consumed, len);
		http_parser_reset(&parser);
		assert_int_equal(
		    http_parse(&parser, (const u8 *)next, strlen(next)),
		    strlen(next));
		assert_string_equal(parser.req.path, "/next");
	}
}

/* ---- path normalisation -------------------------------------------------- */

static void test_paths(void **state)
{
	static const struct {
		const char *target;
		const char *path; /* NULL: 400 */
	} paths[] = {
	    {"/", "/"},
	    {"//", "/"},
	    {"/./", "/"},
	    {"/.", "/"},
	    {"/a/.", "/a/"},
	    {"/a/./b", "/a/b"},
	    {"/a/../b", "/b"},
	    {"/a/b/../../c/", "/c/"},
	    {"/a/b/..", "/a/"},
	    {"/a//b///c", "/a/b/c"},
	    {"///a", "/a"},
	    {"/a/%2e/b", "/a/b"},
	    {"/a/%2E%2E/b", "/b"},
	    {"/.a/..b/c..", "/.a/..b/c.."},
	    {"/a%2fb", "/a/b"},
	    {"/%41%42c", "/ABc"},
	    {"/a?/../..", "/a"},
	    {"/..", NULL},
	    {"/../", NULL},
	    {"/../a", NULL},
	    {"/a/../..", NULL},
	    {"/%2e%2e", NULL},
	    {"/%2e%2e/x", NULL},
	    {"/.%2e/x", NULL},
	    {"/a/%2e%2e/%2e%2e/x", NULL},
	    {"/..%2f", NULL},
	    {"/%00", NULL},
	    {"/a%00.html", NULL},
	    {"/%1f", NULL},
	    {"/%7F", NULL},
	    {"/%g0", NULL},
	    {"/%0g", NULL},
	};
	static struct result r;
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		int n = snprintf(buf, sizeof(buf), "GET %s" H11 HOST "\r\n",
				 paths[i].target);

		print_message("path %s\n", paths[i].target);
		feed_every_split((const u8 *)buf, (size_t)n, NULL, &r);
		if (!paths[i].path) {
			assert_int_equal(r.state, HTTP_P_ERROR);
			assert_int_equal(r.status, 400);
			continue;
		}
		assert_int_equal(r.state, HTTP_P_DONE);
		assert_string_equal(r.req.path, paths[i].path);
	}
}

/* ---- dates --------------------------------------------------------------- */

static void test_date_parse(void **state)
{
	static const struct {
		const char *s;
		s64 t;
	} dates[] = {
	    {"Sun, 06 Nov 1994 08:49:37 GMT", IMF_1994},
	    {"Sunday, 06-Nov-94 08:49:37 GMT", IMF_1994},
	    {"Sun Nov  6 08:49:37 1994", IMF_1994},
	    {"Sun Nov 06 08:49:37 1994", IMF_1994},
	    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
	    {"Tue, 29 Feb 2000 12:00:00 GMT", 951825600},
	    {"Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL},
	    {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL},
	    {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
	    {"Saturday, 01-Jan-00 00:00:00 GMT", 946684800},
	    {"Wednesday, 09-Jun-21 10:18:14 GMT", 1623233894},
	    {"Thu Jan  1 00:00:00 1970", 0},
	    {"Mon, 30 Jun 2025 23:59:60 GMT", 1751328000},
	};
	static const char *const bad[] = {
	    "",
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "Sun, 06 Nov 1994 08:49:37 gmt",
	    "sun, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06 nov 1994 08:49:37 GMT",
	    "Sun, 6 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 94 08:49:37 GMT",
	    "Sun, 06 Nov 1994 08:49:37 GMT ",
	    "Sun, 06 Nov 1994 8:49:37 GMT",
	    "Sun, 06 Nov 1994 24:00:00 GMT",
	    "Sun, 06 Nov 1994 08:60:00 GMT",
	    "Sun, 06 Nov 1994 08:49:61 GMT",
	    "Sun, 31 Nov 1994 08:49:37 GMT",
	    "Sun, 29 Feb 1900 08:49:37 GMT",
	    "Sun, 00 Nov 1994 08:49:37 GMT",
	    "Xyz, 06 Nov 1994 08:49:37 GMT",
	    "Sun, 06-Nov-94 08:49:37 GMT",
	    "Sundae, 06-Nov-94 08:49:37 GMT",
	    "Sunday, 06-Nov-1994 08:49:37 GMT",
	    "Sunday, 06 Nov 94 08:49:37 GMT",
	    "Sun Nov 6 08:49:37 1994",
	    "Sun Nov  6 08:49:37 94",
	    "Sun Nov  6 08-49-37 1994",
	    "1994-11-06T08:49:37Z",
	    "784111777",
	};
	size_t i;
	s64 t;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(dates); i++) {
		t = 12345;
		print_message("date %s\n", dates[i].s);
		assert_int_equal(
		    http_date_parse(dates[i].s, strlen(dates[i].s), &t), 0);
		assert_int_equal(t, dates[i].t);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad date %s\n", bad[i]);
		assert_int_equal(http_date_parse(bad[i], strlen(bad[i]), &t),
				 -1);
	}
	/* the length bounds the read: a valid date cut short is invalid */
	assert_int_equal(http_date_parse(dates[0].s, 28, &t), -1);
}

static void test_date_format(void **state)
{
	static const s64 times[] = {
	    0,	       1,	   59,		 86399,
	    86400,     IMF_1994,   951782400,	 951868799,
	    983404800, 2147483647, 4102444800LL, 253402300799LL};
	char out[30];
	size_t i;
	s64 t = 0, step;

	(void)state;
	http_date_format(IMF_1994, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date_format(951825600, out);
	assert_string_equal(out, "Tue, 29 Feb 2000 12:00:00 GMT");
	http_date_format(-5, out); /* clamped */
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format(253402300800LL * 2, out);
	assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	for (i = 0; i < ARRAY_SIZE(times); i++) {
		http_date_format(times[i], out);
		assert_int_equal(strlen(out), 29);
		assert_int_equal(http_date_parse(out, 29, &t), 0);
		assert_int_equal(t, times[i]);
	}
	/* round trip across the whole range, a prime step apart */
	step = 9999991;
	for (t = 0; t <= 253402300799LL; t += step) {
		s64 back;

		http_date_format(t, out);
		assert_int_equal(http_date_parse(out, 29, &back), 0);
		assert_int_equal(back, t);
	}
}

/* ---- ranges -------------------------------------------------------------- */

static void test_range_resolve(void **state)
{
	static const struct {
		struct http_range r;
		u64 size;
		int ret;
		u64 off, len;
	} rs[] = {
	    {{false, false, 0, 9}, 100, 1, 0, 0},
	    {{true, false, 0, 9}, 100, 0, 0, 10},
	    {{true, false, 0, 0}, 100, 0, 0, 1},
	    {{true, false, 99, 99}, 100, 0, 99, 1},
	    {{true, false, 50, 1000}, 100, 0, 50, 50},
	    {{true, false, 50, UINT64_MAX}, 100, 0, 50, 50},
	    {{true, false, 0, UINT64_MAX}, 100, 0, 0, 100},
	    {{true, false, 100, 200}, 100, -1, 0, 0},
	    {{true, false, 100, UINT64_MAX}, 100, -1, 0, 0},
	    {{true, false, 0, 0}, 0, -1, 0, 0},
	    {{true, false, 5, 3}, 100, 1, 0, 0},
	    {{true, true, 0, 10}, 100, 0, 90, 10},
	    {{true, true, 0, 100}, 100, 0, 0, 100},
	    {{true, true, 0, 500}, 100, 0, 0, 100},
	    {{true, true, 0, 1}, 1, 0, 0, 1},
	    {{true, true, 0, 0}, 100, -1, 0, 0},
	    {{true, true, 0, 5}, 0, 1, 0, 0},
	    {{true, false, UINT64_MAX - 1, UINT64_MAX},
	     UINT64_MAX,
	     0,
	     UINT64_MAX - 1,
	     1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rs); i++) {
		u64 off = 77, len = 77;
		int ret = http_range_resolve(&rs[i].r, rs[i].size, &off, &len);

		print_message("range %zu\n", i);
		assert_int_equal(ret, rs[i].ret);
		if (ret != 0)
			continue;
		assert_int_equal(off, rs[i].off);
		assert_int_equal(len, rs[i].len);
	}
}

/* ---- entity tags --------------------------------------------------------- */

static void test_etag_match(void **state)
{
	static const struct {
		const char *inm, *etag;
		bool match;
	} es[] = {
	    {"\"1a2b-3c\"", "\"1a2b-3c\"", true},
	    {"W/\"1a2b-3c\"", "\"1a2b-3c\"", true},
	    {"\"1a2b-3c\"", "W/\"1a2b-3c\"", true},
	    {"*", "\"x\"", true},
	    {" * ", "\"x\"", true},
	    {"\"a\", \"b\" ,\"1a2b-3c\"", "\"1a2b-3c\"", true},
	    {"\"a\",W/\"1a2b-3c\"", "\"1a2b-3c\"", true},
	    {"\"a,b\", \"c\"", "\"c\"", true},
	    {"\"a,b\"", "\"a\"", false},
	    {"\"1a2b-3c\"", "\"1a2b-3d\"", false},
	    {"\"1a2b-3\"", "\"1a2b-3c\"", false},
	    {"1a2b-3c", "\"1a2b-3c\"", false},
	    {"\"a\" junk, \"x\"", "\"x\"", false},
	    {"w/\"x\"", "\"x\"", false},
	    {"\"x", "\"x\"", false},
	    {"", "\"x\"", false},
	    {"**", "\"x\"", false},
	    {"\"\"", "\"\"", true},
	    {"\"x\"", "x", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(es); i++) {
		print_message("etag %s vs %s\n", es[i].inm, es[i].etag);
		assert_int_equal(http_etag_match(es[i].inm, es[i].etag),
				 es[i].match);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_sticky_end_states),
	    cmocka_unit_test(test_pipelining),
	    cmocka_unit_test(test_pipelining_split),
	    cmocka_unit_test(test_limit_request_line),
	    cmocka_unit_test(test_limit_header_bytes),
	    cmocka_unit_test(test_limit_field_line),
	    cmocka_unit_test(test_limit_fields),
	    cmocka_unit_test(test_limit_trailers),
	    cmocka_unit_test(test_limit_body),
	    cmocka_unit_test(test_limit_chunked_body),
	    cmocka_unit_test(test_body_discard),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_date_parse),
	    cmocka_unit_test(test_date_format),
	    cmocka_unit_test(test_range_resolve),
	    cmocka_unit_test(test_etag_match),
	};

	return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
