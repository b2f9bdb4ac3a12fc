/*
 * fuzz_http.c - arbitrary bytes into the HTTP request parser
 * (apps/httpd/http_parse.c) as a connection would see them: parse, reset on
 * DONE, go on with the unconsumed rest, until an error or the end.
 *
 * Input: byte 0 picks the limits (defaults, or tiny ones so every limit is
 * reachable), bytes 1-2 a split point; the rest is the byte stream. The
 * stream is parsed once whole and once split in two at that point (and
 * in 7-byte pieces); every request of both runs must agree on state,
 * status, reason, consumed count and fields, or we abort. A DONE request's
 * path must start with '/' (or be "*"), hold no "/../", "/./" or "//",
 * not end in "/." or "/..", and have no control byte before its NUL.
 * The same bytes also go through the date parser (whose result must format
 * and parse back), the entity-tag matcher and range resolution.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../apps/httpd/http_parse.h"

#define MAX_REQS 64

struct outcome {
	enum http_pstate state;
	u16 status;
	const char *error;
	size_t consumed;
	enum http_method method;
	u8 minor;
	bool keep_alive, chunked, has_inm, has_ims;
	u64 content_length;
	s64 ims;
	struct http_range range;
	char path[HTTP_PATH_MAX];
};

static struct http_parser parser;
static struct outcome whole[MAX_REQS], split[MAX_REQS];

static bool ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);

	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

static void check_path(const char *path)
{
	size_t n = strnlen(path, HTTP_PATH_MAX), i;

	if (n == HTTP_PATH_MAX)
		abort(); /* not terminated */
	if (strcmp(path, "*") == 0)
		return;
	if (path[0] != '/' || strstr(path, "/../") || strstr(path, "/./") ||
	    strstr(path, "//") || ends_with(path, n, "/..") ||
	    ends_with(path, n, "/."))
		abort();
	for (i = 0; i < n; i++)
		if ((u8)path[i] < 0x20 || (u8)path[i] == 0x7f)
			abort();
}

static void record(struct outcome *o, size_t consumed)
{
	const struct http_request *r = &parser.req;

	memset(o, 0, sizeof(*o));
	o->state = parser.state;
	o->status = parser.status;
	o->error = parser.error;
	o->consumed = consumed;
	if (parser.state == HTTP_P_ERROR) {
		if (!parser.error || r->keep_alive)
			abort();
		return;
	}
	o->method = r->method;
	o->minor = r->version_minor;
	o->keep_alive = r->keep_alive;
	o->chunked = r->chunked;
	o->content_length = r->content_length;
	o->has_inm = r->has_inm;
	o->has_ims = r->has_ims;
	o->ims = r->if_modified_since;
	o->range.present = r->range.present;
	o->range.suffix = r->range.suffix;
	o->range.first = r->range.first;
	o->range.last = r->range.last;
	memcpy(o->path, r->path, strnlen(r->path, HTTP_PATH_MAX - 1));
	if (parser.state == HTTP_P_DONE) {
		check_path(r->path);
		if (r->has_inm && strlen(r->if_none_match) >= HTTP_ETAG_MAX)
			abort();
	}
}

/* Feed the stream in pieces of at most `piece` bytes, except that the
 * first piece ends at `cut`; returns the number of outcomes recorded. */
static size_t run(const u8 *buf, size_t len, const struct http_limits *lim,
		  size_t cut, size_t piece, struct outcome *out)
{
	size_t at = 0, have = cut, nreq = 0, consumed = 0;

	http_parser_init(&parser, lim);
	while (nreq < MAX_REQS) {
		size_t got = http_parse(&parser, buf + at, have - at);

		at += got;
		consumed += got;
		if (parser.state != HTTP_P_MORE) {
			record(&out[nreq++], consumed);
			if (parser.state == HTTP_P_ERROR)
				break;
			consumed = 0;
			http_parser_reset(&parser);
			continue;
		}
		if (at != have)
			abort(); /* MORE must take everything */
		if (have == len)
			break;
		have = have + piece < len ? have + piece : len;
	}
	if (nreq < MAX_REQS && parser.state == HTTP_P_MORE)
		record(&out[nreq++], consumed);
	return nreq;
}

static void check_same(size_t n, size_t m)
{
	size_t i;

	if (n != m)
		abort();
	for (i = 0; i < n; i++)
		if (memcmp(&whole[i], &split[i], sizeof(whole[i])) != 0)
			abort();
}

static void fuzz_helpers(const u8 *data, size_t len)
{
	char text[512];
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	u64 off, rlen, size = 0;
	s64 t, back;
	char out[30];
	int ret;

	memcpy(text, data, n);
	text[n] = '\0';
	if (http_date_parse(text, n, &t) == 0 && t >= 0) {
		http_date_format(t, out);
		if (strlen(out) != 29 || http_date_parse(out, 29, &back) ||
		    back != (t > 253402300799LL ? 253402300799LL : t))
			abort();
	}
	(void)http_etag_match(text, "\"1a2b-3c\"");
	if (parser.req.range.present || len > 8) {
		memcpy(&size, data, len >= 8 ? 8 : len);
		ret = http_range_resolve(&parser.req.range, size, &off, &rlen);
		if (ret == 0 && (rlen == 0 || off > size || rlen > size - off))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim;
	size_t n, m, cut;

	if (size < 3)
		return 0;
	http_limits_default(&lim);
	if (data[0] & 1) {
		lim.line_max = 64;
		lim.header_bytes_max = 128;
		lim.fields_max = 4;
		lim.body_max = 32;
	}
	cut = (size_t)(data[1] << 8 | data[2]);
	data += 3;
	size -= 3;
	cut = size ? cut % (size + 1) : 0;

	n = run(data, size, &lim, size, size, whole);
	m = run(data, size, &lim, cut, size, split);
	check_same(n, m);
	m = run(data, size, &lim, cut < 7 ? cut : 7, 7, split);
	check_same(n, m);
	fuzz_helpers(data, size);
	return 0;
}
