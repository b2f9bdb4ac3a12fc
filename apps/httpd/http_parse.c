/*
 * http_parse.c - the HTTP/1.1 request parser (see http_parse.h).
 *
 * Read first: RFC 9112 2.2, 3, 5, 6, 7 and RFC 9110 5.6, 7.2, 8.6, 14.
 *
 * Call order: http_parse -> feed_line (one byte at a time into line[],
 * CR/LF rules, section budget) -> on_line -> parse_request_line |
 * parse_field_line -> apply_field -> hdr_* | end_of_headers |
 * parse_chunk_line; bodies go through discard_body / chunk_crlf.
 *
 * Every decision is taken on one byte or on one complete line, never on
 * where the caller's buffer ends, so any split of the input gives the same
 * result. Choices the RFCs leave open:
 *  - A bare LF ends a line like CRLF (RFC 9112 2.2 MAY); a CR not followed
 *    by LF is an error (400) everywhere.
 *  - Up to HTTP_EMPTY_LINES_MAX empty lines before the request line are
 *    skipped (RFC 9112 2.2); more are a 400.
 *  - Only a single SP separates the request line's parts (RFC 9112 3).
 *  - Percent-decoded control bytes (%00-%1F, %7F) in the path are a 400;
 *    %2F decodes to '/' before normalisation.
 *  - Content-Length and Transfer-Encoding lists with empty elements are a
 *    400 / ignored respectively; a transfer coding with parameters is
 *    treated as unknown (501).
 *  - A single field line longer than HTTP_LINE_BUF is a 431.
 *  - CONNECT needs the authority-form and gets the path "/" (the server
 *    answers 405 anyway).
 */
#include <string.h>

#include "http_parse.h"

#define HTTP_EMPTY_LINES_MAX 8

enum http_phase {
	PH_REQLINE,    /* request line (after optional empty lines) */
	PH_HEADERS,    /* field lines up to the empty line */
	PH_BODY,       /* Content-Length bytes to discard */
	PH_CHUNK_LINE, /* chunk-size [ chunk-ext ] */
	PH_CHUNK_DATA, /* chunk bytes to discard */
	PH_CHUNK_CR,   /* the CRLF after chunk data */
	PH_CHUNK_LF,
	PH_TRAILERS, /* trailer field lines up to the empty line */
};

/* ---- character classes (RFC 9110 5.6.2, RFC 3986 2) ------------------ */

static bool is_digit(u8 c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_value(u8 c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 9110 5.6.2: tchar. */
static bool is_tchar(u8 c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ows(u8 c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 5.5: field-vchar, SP or HTAB; no other CTL, no DEL. */
static bool is_field_byte(u8 c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static u8 lower(u8 c)
{
	return (c >= 'A' && c <= 'Z') ? (u8)(c + 32) : c;
}

/* Case-insensitive: does s[0..n) equal the lower-case word? */
static bool ci_equal(const char *s, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((u8)s[i]) != (u8)word[i])
			return false;
	return true;
}

static bool ci_prefix(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && ci_equal(s, w, word);
}

/* Trim OWS on both sides of s[0..*n). */
static const char *trim_ows(const char *s, size_t *n)
{
	while (*n && is_ows((u8)s[0])) {
		s++;
		(*n)--;
	}
	while (*n && is_ows((u8)s[*n - 1]))
		(*n)--;
	return s;
}

/* 1*DIGIT at s[*i..n) into *v; false if none or it overflows u64. */
static bool parse_u64(const char *s, size_t n, size_t *i, u64 *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && is_digit((u8)s[*i])) {
		u64 d = (u64)(s[*i] - '0');

		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		(*i)++;
	}
	return *i > start;
}

/* ---- parser state -------------------------------------------------------- */

static int fail(struct http_parser *p, u16 status, const char *why)
{
	p->state = HTTP_P_ERROR;
	p->status = status;
	p->error = why;
	p->req.keep_alive = false; /* an error response closes */
	return -1;
}

void http_limits_default(struct http_limits *l)
{
	l->line_max = 8192;
	l->header_bytes_max = 16384;
	l->fields_max = 100;
	l->body_max = 1024 * 1024;
}

static void request_clear(struct http_request *r)
{
	r->method = HTTP_M_UNKNOWN;
	r->version_minor = 0;
	r->path[0] = '\0';
	r->keep_alive = false;
	r->has_host = false;
	r->content_length = 0;
	r->chunked = false;
	r->has_inm = false;
	r->if_none_match[0] = '\0';
	r->has_ims = false;
	r->if_modified_since = 0;
	memset(&r->range, 0, sizeof(r->range));
}

/* Start a section (request line, headers, chunk line, trailers) whose bytes
 * may number at most `budget`; past it the request fails with `status`. */
static void section_begin(struct http_parser *p, u8 phase, u32 budget,
			  u16 status)
{
	p->priv.phase = phase;
	p->priv.budget = budget;
	p->priv.over_status = status;
}

void http_parser_reset(struct http_parser *p)
{
	p->state = HTTP_P_MORE;
	p->status = 0;
	p->error = NULL;
	request_clear(&p->req);
	memset(&p->priv, 0, sizeof(p->priv));
	section_begin(p, PH_REQLINE, p->lim.line_max, 414);
}

void http_parser_init(struct http_parser *p, const struct http_limits *lim)
{
	if (lim)
		p->lim = *lim;
	else
		http_limits_default(&p->lim);
	if (p->lim.line_max > HTTP_LINE_BUF)
		p->lim.line_max = HTTP_LINE_BUF; /* what line[] can hold */
	http_parser_reset(p);
}

/* ---- request line (RFC 9112 3) ------------------------------------------- */

static const struct {
	const char *name;
	enum http_method method;
} http_methods[] = {
    {"GET", HTTP_M_GET},	 {"HEAD", HTTP_M_HEAD},
    {"POST", HTTP_M_POST},	 {"PUT", HTTP_M_PUT},
    {"DELETE", HTTP_M_DELETE},	 {"CONNECT", HTTP_M_CONNECT},
    {"OPTIONS", HTTP_M_OPTIONS}, {"TRACE", HTTP_M_TRACE},
    {"PATCH", HTTP_M_PATCH},
};

/* RFC 9112 3.1: method = token, case-sensitive (RFC 9110 9.1). */
static int parse_method(struct http_parser *p, const char *m, size_t n)
{
	size_t i;

	if (n == 0)
		return fail(p, 400, "empty method");
	for (i = 0; i < n; i++)
		if (!is_tchar((u8)m[i]))
			return fail(p, 400, "invalid method");
	for (i = 0; i < ARRAY_SIZE(http_methods); i++) {
		if (strlen(http_methods[i].name) == n &&
		    memcmp(http_methods[i].name, m, n) == 0) {
			p->req.method = http_methods[i].method;
			return 0;
		}
	}
	p->req.method = HTTP_M_UNKNOWN;
	return 0;
}

/* RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. */
static int parse_version(struct http_parser *p, const char *v, size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || !is_digit((u8)v[5]) ||
	    v[6] != '.' || !is_digit((u8)v[7]))
		return fail(p, 400, "malformed HTTP version");
	if (v[5] != '1')
		return fail(p, 505, "HTTP version not supported");
	/* RFC 9110 2.5: a higher minor of 1.x is answered as 1.1. */
	p->req.version_minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* RFC 3986 2.3/2.2: unreserved and sub-delims, the reg-name bytes. */
static bool is_regname_byte(u8 c)
{
	return is_alpha(c) || is_digit(c) ||
	       (c != 0 && strchr("-._~!$&'()*+,;=", c) != NULL);
}

/* reg-name with pct-encoded, or an IP-literal "[...]"; returns its length
 * or 0 if invalid. */
static size_t host_name_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n && s[0] == '[') { /* RFC 3986 3.2.2 IP-literal */
		for (i = 1; i < n && s[i] != ']'; i++)
			if (hex_value((u8)s[i]) < 0 && s[i] != ':' &&
			    s[i] != '.')
				return 0;
		return (i < n && i > 1) ? i + 1 : 0;
	}
	while (i < n && s[i] != ':') {
		if (s[i] == '%') {
			if (n - i < 3 || hex_value((u8)s[i + 1]) < 0 ||
			    hex_value((u8)s[i + 2]) < 0)
				return 0;
			i += 3;
		} else if (is_regname_byte((u8)s[i])) {
			i++;
		} else {
			return 0;
		}
	}
	return i;
}

/* RFC 9110 7.2 / RFC 3986 3.2: uri-host [ ":" port ]; port_required for
 * the authority-form (RFC 9112 3.2.3). */
static bool host_valid(const char *s, size_t n, bool port_required)
{
	size_t i = host_name_len(s, n);

	if (i == 0)
		return false;
	if (i == n)
		return !port_required;
	if (s[i] != ':')
		return false;
	if (n - i - 1 > 5 || (port_required && n - i - 1 == 0))
		return false;
	for (i++; i < n; i++)
		if (!is_digit((u8)s[i]))
			return false;
	return true;
}

/*
 * RFC 3986 5.2.4 remove_dot_segments on the decoded path (n bytes, first
 * one '/'), in place, also collapsing empty segments ("//"). A ".." with
 * nothing left to remove would climb above the root: 400.
 */
static int normalise_path(struct http_parser *p, size_t n)
{
	char *s = p->req.path;
	size_t r = 0, w = 1; /* s[0..w) is the output, ending in '/' */

	while (r < n) {
		size_t seg, len;

		while (r < n && s[r] == '/')
			r++;
		if (r == n)
			break;
		for (seg = r; r < n && s[r] != '/'; r++)
			;
		len = r - seg;
		if (len == 1 && s[seg] == '.')
			continue;
		if (len == 2 && s[seg] == '.' && s[seg + 1] == '.') {
			if (w == 1)
				return fail(p, 400, "path climbs above root");
			for (w--; s[w - 1] != '/'; w--)
				;
			continue;
		}
		memmove(s + w, s + seg, len);
		w += len;
		if (r < n) /* a '/' follows: keep it */
			s[w++] = '/';
	}
	s[w] = '\0';
	return 0;
}

/* Percent-decode s[0..n) (starts with '/') up to the query into path[],
 * then normalise it (RFC 3986 2.1, 5.2.4). */
static int decode_path(struct http_parser *p, const char *s, size_t n)
{
	char *out = p->req.path;
	size_t i, o = 0;

	for (i = 0; i < n && s[i] != '?'; i++) {
		u8 c = (u8)s[i];

		if (c == '%') {
			int hi = n - i >= 3 ? hex_value((u8)s[i + 1]) : -1;
			int lo = n - i >= 3 ? hex_value((u8)s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return fail(p, 400, "invalid percent-encoding");
			c = (u8)(hi << 4 | lo);
			if (c < 0x20 || c == 0x7f)
				return fail(p, 400, "encoded control byte");
			i += 2;
		}
		out[o++] = (char)c;
	}
	return normalise_path(p, o);
}

/* RFC 9112 3.2.2: absolute-form; the path comes from the URI, the Host
 * field is still required and checked (3.2). */
static int parse_absolute_form(struct http_parser *p, const char *t, size_t n)
{
	size_t skip = ci_prefix(t, n, "http://") ? 7 : 8;
	size_t a;

	t += skip;
	n -= skip;
	for (a = 0; a < n && t[a] != '/' && t[a] != '?'; a++)
		;
	/* RFC 9110 4.2.1: empty host is invalid; 4.2.4: no userinfo. */
	if (!host_valid(t, a, false))
		return fail(p, 400, "invalid authority in absolute-form");
	if (a == n || t[a] == '?')
		return decode_path(p, "/", 1);
	return decode_path(p, t + a, n - a);
}

static int parse_target(struct http_parser *p, const char *t, size_t n)
{
	size_t i;

	if (n == 0)
		return fail(p, 400, "empty request-target");
	for (i = 0; i < n; i++) {
		u8 c = (u8)t[i];

		/* RFC 9112 3.2: a URI, so visible ASCII only; RFC 9110
		 * 4.2.5: no fragment. */
		if (c <= 0x20 || c >= 0x7f)
			return fail(p, 400, "control byte or space in target");
		if (c == '#')
			return fail(p, 400, "fragment in request-target");
	}
	if (p->req.method == HTTP_M_CONNECT) { /* RFC 9112 3.2.3 */
		if (!host_valid(t, n, true))
			return fail(p, 400, "CONNECT needs authority-form");
		return decode_path(p, "/", 1);
	}
	if (t[0] == '/') /* RFC 9112 3.2.1 origin-form */
		return decode_path(p, t, n);
	if (n == 1 && t[0] == '*') { /* RFC 9112 3.2.4 asterisk-form */
		if (p->req.method != HTTP_M_OPTIONS)
			return fail(p, 400, "'*' target without OPTIONS");
		memcpy(p->req.path, "*", 2);
		return 0;
	}
	if (ci_prefix(t, n, "http://") || ci_prefix(t, n, "https://"))
		return parse_absolute_form(p, t, n);
	return fail(p, 400, "unsupported request-target form");
}

/* RFC 9112 3: method SP request-target SP HTTP-version. */
static int parse_request_line(struct http_parser *p)
{
	const char *line = p->line;
	size_t n = p->priv.line_len;
	const char *sp1 = memchr(line, ' ', n);
	const char *target, *sp2;
	size_t rest;

	if (!sp1)
		return fail(p, 400, "request line without SP");
	if (parse_method(p, line, (size_t)(sp1 - line)))
		return -1;
	target = sp1 + 1;
	rest = n - (size_t)(target - line);
	sp2 = memchr(target, ' ', rest);
	if (!sp2)
		return fail(p, 400, "request line without version");
	if (parse_version(p, sp2 + 1, rest - (size_t)(sp2 - target) - 1))
		return -1;
	return parse_target(p, target, (size_t)(sp2 - target));
}

/* ---- header fields (RFC 9112 5, RFC 9110 5) ------------------------------ */

static int hdr_host(struct http_parser *p, const char *v, size_t n)
{
	/* RFC 9112 3.2: more than one Host line, or an invalid value: 400. */
	if (++p->priv.host_count > 1)
		return fail(p, 400, "duplicate Host");
	if (n == 0 && p->req.version_minor >= 1)
		return fail(p, 400, "empty Host");
	if (n && !host_valid(v, n, false))
		return fail(p, 400, "invalid Host");
	p->req.has_host = true;
	return 0;
}

/* RFC 9110 8.6: 1*DIGIT; a list or repeats of one value are that value
 * (RFC 9112 6.3 item 5), differing values are a 400. */
static int hdr_content_length(struct http_parser *p, const char *v, size_t n)
{
	size_t i = 0;

	for (;;) {
		u64 len;

		while (i < n && is_ows((u8)v[i]))
			i++;
		if (!parse_u64(v, n, &i, &len))
			return fail(p, 400, "invalid Content-Length");
		if (p->priv.cl_seen && len != p->req.content_length)
			return fail(p, 400, "conflicting Content-Length");
		p->priv.cl_seen = true;
		p->req.content_length = len;
		while (i < n && is_ows((u8)v[i]))
			i++;
		if (i == n)
			break;
		if (v[i++] != ',')
			return fail(p, 400, "invalid Content-Length");
	}
	if (p->req.content_length > p->lim.body_max) /* RFC 9110 15.5.14 */
		return fail(p, 413, "Content-Length over the body limit");
	return 0;
}

/* One transfer coding name (RFC 9112 7: case-insensitive). */
static void te_coding(struct http_parser *p, const char *c, size_t n)
{
	bool chunked = ci_equal(c, n, "chunked");

	p->priv.te_last_chunked = chunked;
	if (chunked) {
		if (p->priv.te_chunked_count < 255)
			p->priv.te_chunked_count++;
	} else if (!ci_equal(c, n, "gzip") && !ci_equal(c, n, "x-gzip") &&
		   !ci_equal(c, n, "deflate") && !ci_equal(c, n, "compress") &&
		   !ci_equal(c, n, "x-compress")) {
		p->priv.te_unknown = true;
	}
}

/* RFC 9112 6.1: Transfer-Encoding = #transfer-coding; judged as a whole at
 * the end of the header section (end_of_headers). */
static int hdr_transfer_encoding(struct http_parser *p, const char *v, size_t n)
{
	size_t i = 0;

	p->priv.te_seen = true;
	while (i < n) {
		size_t start;

		if (is_ows((u8)v[i]) || v[i] == ',') { /* RFC 9110 5.6.1 */
			i++;
			continue;
		}
		for (start = i; i < n && is_tchar((u8)v[i]); i++)
			;
		if (i == start)
			return fail(p, 400, "invalid Transfer-Encoding");
		te_coding(p, v + start, i - start);
		while (i < n && is_ows((u8)v[i]))
			i++;
		if (i < n && v[i] == ';') { /* parameters: none we know */
			p->priv.te_unknown = true;
			p->priv.te_last_chunked = false;
			return 0;
		}
		if (i < n && v[i] != ',')
			return fail(p, 400, "invalid Transfer-Encoding");
	}
	return 0;
}

/* RFC 9110 7.6.1: Connection = #connection-option; RFC 9112 9.3. */
static int hdr_connection(struct http_parser *p, const char *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i, len;
		const char *opt;

		while (i < n && v[i] != ',')
			i++;
		len = i - start;
		opt = trim_ows(v + start, &len);
		if (ci_equal(opt, len, "close"))
			p->priv.conn_close = true;
		else if (ci_equal(opt, len, "keep-alive"))
			p->priv.conn_keep_alive = true;
		i++; /* the ',' */
	}
	return 0;
}

/* Kept raw; several lines are joined with ", " (RFC 9110 5.3). One that
 * does not fit in HTTP_ETAG_MAX - 1 drops the field altogether: a cut
 * value could match wrongly, and without it we answer 200, never a
 * wrong 304. */
static int hdr_if_none_match(struct http_parser *p, const char *v, size_t n)
{
	struct http_request *r = &p->req;
	size_t have = r->has_inm ? strlen(r->if_none_match) : 0;
	size_t sep = have ? 2 : 0;

	if (p->priv.inm_too_long || have + sep + n > HTTP_ETAG_MAX - 1) {
		p->priv.inm_too_long = true;
		r->has_inm = false;
		return 0;
	}
	memcpy(r->if_none_match + have, ", ", sep);
	memcpy(r->if_none_match + have + sep, v, n);
	r->if_none_match[have + sep + n] = '\0';
	r->has_inm = true;
	return 0;
}

/* RFC 9110 13.1.3: an invalid (or repeated) date is ignored. */
static int hdr_if_modified_since(struct http_parser *p, const char *v, size_t n)
{
	s64 t = 0;

	p->req.has_ims =
	    ++p->priv.ims_count == 1 && http_date_parse(v, n, &t) == 0;
	p->req.if_modified_since = p->req.has_ims ? t : 0;
	return 0;
}

/* One int-range or suffix-range (RFC 9110 14.1.1). */
static bool parse_range_spec(const char *s, size_t n, struct http_range *r)
{
	size_t i = 0;

	if (n && s[0] == '-') { /* suffix-range */
		i = 1;
		r->suffix = true;
		r->first = 0;
		return parse_u64(s, n, &i, &r->last) && i == n;
	}
	if (!parse_u64(s, n, &i, &r->first) || i == n || s[i++] != '-')
		return false;
	r->last = UINT64_MAX;
	if (i < n && (!parse_u64(s, n, &i, &r->last) || i != n))
		return false;
	return r->first <= r->last; /* else invalid: ignore the field */
}

/* RFC 9110 14.2: Range = ranges-specifier; only "bytes" with exactly one
 * range-spec is honoured, everything else is ignored (a 200 is allowed). */
static void parse_range(const char *v, size_t n, struct http_range *r)
{
	size_t i = 6, specs = 0, spec_at = 0, spec_len = 0;

	memset(r, 0, sizeof(*r));
	if (!ci_prefix(v, n, "bytes=")) /* RFC 9110 14.1: case-insensitive */
		return;
	while (i < n) { /* 1#range-spec; empty elements skipped (5.6.1) */
		size_t start = i, len;
		const char *spec;

		while (i < n && v[i] != ',')
			i++;
		len = i - start;
		spec = trim_ows(v + start, &len);
		if (len) {
			specs++;
			spec_at = (size_t)(spec - v);
			spec_len = len;
		}
		i++;
	}
	if (specs == 1 && parse_range_spec(v + spec_at, spec_len, r))
		r->present = true;
	else
		memset(r, 0, sizeof(*r));
}

static int hdr_range(struct http_parser *p, const char *v, size_t n)
{
	if (++p->priv.range_count == 1)
		parse_range(v, n, &p->req.range);
	else
		memset(&p->req.range, 0, sizeof(p->req.range));
	return 0;
}

static const struct {
	const char *name; /* lower case */
	int (*apply)(struct http_parser *p, const char *v, size_t n);
} http_fields[] = {
    {"host", hdr_host},
    {"content-length", hdr_content_length},
    {"transfer-encoding", hdr_transfer_encoding},
    {"connection", hdr_connection},
    {"if-none-match", hdr_if_none_match},
    {"if-modified-since", hdr_if_modified_since},
    {"range", hdr_range},
};

static int apply_field(struct http_parser *p, const char *name, size_t nlen,
		       const char *v, size_t vlen)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(http_fields); i++)
		if (ci_equal(name, nlen, http_fields[i].name))
			return http_fields[i].apply(p, v, vlen);
	return 0;
}

/* RFC 9112 5: field-name ":" OWS field-value OWS. Trailers (7.1.2) get
 * the same checks and are then dropped. */
static int parse_field_line(struct http_parser *p, bool trailer)
{
	const char *l = p->line;
	size_t n = p->priv.line_len, nlen, vlen, i;
	const char *colon, *v;

	if (is_ows((u8)l[0])) /* RFC 9112 5.2: obs-fold (or 2.2) */
		return fail(p, 400, "obs-fold or leading whitespace");
	colon = memchr(l, ':', n);
	if (!colon)
		return fail(p, 400, "field line without ':'");
	nlen = (size_t)(colon - l);
	if (nlen == 0)
		return fail(p, 400, "empty field name");
	if (is_ows((u8)l[nlen - 1])) /* RFC 9112 5.1 */
		return fail(p, 400, "whitespace before ':'");
	for (i = 0; i < nlen; i++)
		if (!is_tchar((u8)l[i]))
			return fail(p, 400, "invalid field name");
	for (i = nlen + 1; i < n; i++)
		if (!is_field_byte((u8)l[i])) /* RFC 9110 5.5 */
			return fail(p, 400, "control byte in field value");
	if (++p->priv.fields > p->lim.fields_max)
		return fail(p, 431, "too many header fields");
	vlen = n - nlen - 1;
	v = trim_ows(colon + 1, &vlen);
	return trailer ? 0 : apply_field(p, l, nlen, v, vlen);
}

/* RFC 9112 6.1 / 6.3: decide how the body is framed, refusing what could
 * be read two ways (request smuggling). */
static int check_framing(struct http_parser *p)
{
	struct http_parse_priv *s = &p->priv;

	if (!s->te_seen)
		return 0;
	if (s->cl_seen)
		return fail(p, 400, "Transfer-Encoding with Content-Length");
	if (p->req.version_minor == 0)
		return fail(p, 400, "Transfer-Encoding in HTTP/1.0");
	if (s->te_unknown)
		return fail(p, 501, "unknown transfer coding");
	if (!s->te_last_chunked || s->te_chunked_count != 1)
		return fail(p, 400, "chunked is not the final coding once");
	p->req.chunked = true;
	p->req.content_length = 0;
	return 0;
}

static int end_of_headers(struct http_parser *p)
{
	struct http_request *r = &p->req;

	/* RFC 9112 3.2: a 1.1 request without Host is a 400. */
	if (r->version_minor >= 1 && p->priv.host_count == 0)
		return fail(p, 400, "missing Host");
	if (check_framing(p))
		return -1;
	/* RFC 9112 9.3: persistent unless "close"; 1.0 only on keep-alive. */
	r->keep_alive = !p->priv.conn_close &&
			(r->version_minor >= 1 || p->priv.conn_keep_alive);
	/* RFC 9110 14.2: Range is ignored on methods other than GET. */
	if (r->method != HTTP_M_GET)
		memset(&r->range, 0, sizeof(r->range));
	if (r->chunked) {
		section_begin(p, PH_CHUNK_LINE, HTTP_LINE_BUF, 400);
	} else if (r->content_length) {
		p->priv.phase = PH_BODY;
		p->priv.body_left = r->content_length;
	} else {
		p->state = HTTP_P_DONE;
	}
	return 0;
}

/* ---- chunked body (RFC 9112 7.1) ----------------------------------------- */

/* quoted-string (RFC 9110 5.6.4) at s[*i]; false if malformed. */
static bool skip_quoted_string(const char *s, size_t n, size_t *i)
{
	for ((*i)++; *i < n; (*i)++) {
		u8 c = (u8)s[*i];

		if (c == '"') {
			(*i)++;
			return true;
		}
		if (c == '\\' && ++(*i) == n)
			return false;
		if (!is_field_byte((u8)s[*i]))
			return false;
	}
	return false;
}

static bool skip_token(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && is_tchar((u8)s[*i]))
		(*i)++;
	return *i > start;
}

static void skip_bws(const char *s, size_t n, size_t *i)
{
	while (*i < n && is_ows((u8)s[*i]))
		(*i)++;
}

/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ). */
static bool chunk_ext_valid(const char *s, size_t n, size_t i)
{
	while (i < n) {
		skip_bws(s, n, &i);
		if (i == n || s[i++] != ';')
			return false;
		skip_bws(s, n, &i);
		if (!skip_token(s, n, &i))
			return false;
		skip_bws(s, n, &i);
		if (i == n || s[i] != '=')
			continue;
		i++;
		skip_bws(s, n, &i);
		if (i < n && s[i] == '"' ? !skip_quoted_string(s, n, &i)
					 : !skip_token(s, n, &i))
			return false;
	}
	return true;
}

/* chunk-size [ chunk-ext ]; a zero size starts the trailer section. */
static int parse_chunk_line(struct http_parser *p)
{
	const char *l = p->line;
	size_t n = p->priv.line_len, i = 0;
	u64 size = 0;
	int d;

	while (i < n && (d = hex_value((u8)l[i])) >= 0) {
		if (size > (UINT64_MAX >> 4))
			return fail(p, 400, "chunk size overflows");
		size = size << 4 | (u64)d;
		i++;
	}
	if (i == 0 || !chunk_ext_valid(l, n, i))
		return fail(p, 400, "invalid chunk line");
	p->priv.body_total += size;
	if (p->priv.body_total > p->lim.body_max || p->priv.body_total < size)
		return fail(p, 413, "chunked body over the body limit");
	if (size == 0) {
		p->priv.fields = 0;
		section_begin(p, PH_TRAILERS, p->lim.header_bytes_max, 431);
		return 0;
	}
	p->priv.phase = PH_CHUNK_DATA;
	p->priv.body_left = size;
	return 0;
}

/* The CRLF after chunk data (a bare LF is accepted, as for lines). */
static void chunk_crlf(struct http_parser *p, u8 c)
{
	if (p->priv.phase == PH_CHUNK_CR && c == '\r') {
		p->priv.phase = PH_CHUNK_LF;
		return;
	}
	if (c != '\n') {
		fail(p, 400, "chunk data not followed by CRLF");
		return;
	}
	section_begin(p, PH_CHUNK_LINE, HTTP_LINE_BUF, 400);
}

static size_t discard_body(struct http_parser *p, size_t len)
{
	size_t take = len < p->priv.body_left ? len : (size_t)p->priv.body_left;

	p->priv.body_left -= take;
	if (p->priv.body_left == 0) {
		if (p->priv.phase == PH_CHUNK_DATA)
			p->priv.phase = PH_CHUNK_CR;
		else
			p->state = HTTP_P_DONE;
	}
	return take;
}

/* ---- lines (RFC 9112 2.2) ------------------------------------------------ */

/* An empty line before the request line is skipped (RFC 9112 2.2). */
static int empty_line_before_request(struct http_parser *p)
{
	if (++p->priv.empty_lines > HTTP_EMPTY_LINES_MAX)
		return fail(p, 400, "too many empty lines");
	p->priv.budget = p->lim.line_max;
	return 0;
}

static int on_line(struct http_parser *p)
{
	bool empty = p->priv.line_len == 0;

	switch (p->priv.phase) {
	case PH_REQLINE:
		if (empty)
			return empty_line_before_request(p);
		if (parse_request_line(p))
			return -1;
		section_begin(p, PH_HEADERS, p->lim.header_bytes_max, 431);
		return 0;
	case PH_HEADERS:
		return empty ? end_of_headers(p) : parse_field_line(p, false);
	case PH_CHUNK_LINE:
		return parse_chunk_line(p);
	case PH_TRAILERS:
		if (!empty)
			return parse_field_line(p, true);
		p->state = HTTP_P_DONE;
		return 0;
	}
	return fail(p, 400, "parser phase");
}

static const char *over_budget_reason(u16 status)
{
	switch (status) {
	case 414:
		return "request line too long";
	case 431:
		return "header section too large";
	default:
		return "chunk line too long";
	}
}

/* One byte of a line. CR must be followed by LF; LF (or CRLF) ends it. */
static void feed_line(struct http_parser *p, u8 c)
{
	struct http_parse_priv *s = &p->priv;

	if (s->budget == 0) {
		fail(p, s->over_status, over_budget_reason(s->over_status));
		return;
	}
	s->budget--;
	if (c == '\n') {
		s->saw_cr = false;
		on_line(p);
		s->line_len = 0;
		return;
	}
	if (s->saw_cr) {
		fail(p, 400, "bare CR");
		return;
	}
	if (c == '\r') {
		s->saw_cr = true;
		return;
	}
	if (s->line_len == HTTP_LINE_BUF) {
		fail(p, s->over_status == 431 ? 431 : 400, "line too long");
		return;
	}
	p->line[s->line_len++] = (char)c;
}

size_t http_parse(struct http_parser *p, const u8 *buf, size_t len)
{
	size_t i = 0;

	while (i < len && p->state == HTTP_P_MORE) {
		switch (p->priv.phase) {
		case PH_BODY:
		case PH_CHUNK_DATA:
			i += discard_body(p, len - i);
			break;
		case PH_CHUNK_CR:
		case PH_CHUNK_LF:
			chunk_crlf(p, buf[i++]);
			break;
		default:
			feed_line(p, buf[i++]);
			break;
		}
	}
	return i;
}

/* ---- ranges (RFC 9110 14.1.2) -------------------------------------------- */

int http_range_resolve(const struct http_range *r, u64 size, u64 *off, u64 *len)
{
	if (!r->present || (!r->suffix && r->first > r->last))
		return 1;
	if (r->suffix) {
		if (r->last == 0) /* suffix-length 0 is unsatisfiable */
			return -1;
		if (size == 0) /* nothing to take the end of: whole (empty) */
			return 1;
		*len = r->last < size ? r->last : size;
		*off = size - *len;
		return 0;
	}
	if (r->first >= size)
		return -1;
	*off = r->first;
	*len = (r->last < size - 1 ? r->last : size - 1) - r->first + 1;
	return 0;
}

/* ---- dates (RFC 9110 5.6.7) ---------------------------------------------- */

static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed",
				     "Thu", "Fri", "Sat"};
static const char *const day_names_long[7] = {
    "Sunday",	"Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr",
					"May", "Jun", "Jul", "Aug",
					"Sep", "Oct", "Nov", "Dec"};

#define HTTP_DATE_MAX 253402300799LL /* 9999-12-31 23:59:59 */

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12): count
 * years from March so the leap day falls at the end of a year. */
static s64 days_from_civil(s64 y, u32 m, u32 d)
{
	s64 era;
	u32 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (u32)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (s64)doe - 719468;
}

/* The inverse of days_from_civil, for days >= 0. */
static void civil_from_days(s64 z, u32 *y, u32 *m, u32 *d)
{
	u32 doe, yoe, doy, mp;

	z += 719468;
	doe = (u32)(z % 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (u32)(z / 146097) * 400 + yoe + (*m <= 2);
}

static void put_num(char *out, u32 v, int digits)
{
	while (digits--) {
		out[digits] = (char)('0' + v % 10);
		v /= 10;
	}
}

void http_date_format(s64 t, char out[30])
{
	s64 days;
	u32 secs, y, m, d;

	if (t < 0)
		t = 0;
	if (t > HTTP_DATE_MAX)
		t = HTTP_DATE_MAX;
	days = t / 86400;
	secs = (u32)(t % 86400);
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "Sun, 00 Jan 0000 00:00:00 GMT", 30);
	memcpy(out, day_names[(days + 4) % 7], 3); /* 1970-01-01: Thursday */
	put_num(out + 5, d, 2);
	memcpy(out + 8, month_names[m - 1], 3);
	put_num(out + 12, y, 4);
	put_num(out + 17, secs / 3600, 2);
	put_num(out + 20, secs / 60 % 60, 2);
	put_num(out + 23, secs % 60, 2);
}

/* `digits` decimal digits at s; -1 if any is not one. */
static int get_num(const char *s, int digits)
{
	int v = 0;

	while (digits--) {
		if (!is_digit((u8)*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

static int get_month(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, month_names[i], 3) == 0)
			return i + 1;
	return -1;
}

static bool is_day_name(const char *s, size_t n, bool long_form)
{
	int i;

	for (i = 0; i < 7; i++) {
		const char *name = long_form ? day_names_long[i] : day_names[i];

		if (strlen(name) == n && memcmp(s, name, n) == 0)
			return true;
	}
	return false;
}

struct http_tm {
	int year, mon, day, hour, min, sec;
};

/* time-of-day = hour ":" minute ":" second, at s (8 bytes). */
static bool get_time(const char *s, struct http_tm *tm)
{
	tm->hour = get_num(s, 2);
	tm->min = get_num(s + 3, 2);
	tm->sec = get_num(s + 6, 2);
	return s[2] == ':' && s[5] == ':' && tm->hour >= 0 && tm->min >= 0 &&
	       tm->sec >= 0;
}

static bool tm_to_unix(const struct http_tm *tm, s64 *t)
{
	static const u8 mdays[12] = {31, 29, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	bool leap =
	    (tm->year % 4 == 0 && tm->year % 100 != 0) || tm->year % 400 == 0;

	if (tm->year < 0 || tm->mon < 1 || tm->day < 1 ||
	    tm->day > mdays[tm->mon - 1] ||
	    (tm->mon == 2 && tm->day == 29 && !leap) || tm->hour > 23 ||
	    tm->min > 59 || tm->sec > 60) /* 60: a leap second */
		return false;
	*t = days_from_civil(tm->year, (u32)tm->mon, (u32)tm->day) * 86400 +
	     tm->hour * 3600 + tm->min * 60 + tm->sec;
	return true;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool parse_imf_fixdate(const char *s, size_t n, struct http_tm *tm)
{
	if (n != 29 || !is_day_name(s, 3, false) || memcmp(s + 3, ", ", 2) ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
	    memcmp(s + 25, " GMT", 4))
		return false;
	tm->day = get_num(s + 5, 2);
	tm->mon = get_month(s + 8);
	tm->year = get_num(s + 12, 4);
	return get_time(s + 17, tm);
}

/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT". The RFC's two-digit year
 * rule needs today's date; with no clock here, 70..99 are 19xx and
 * 00..69 are 20xx. */
static bool parse_rfc850(const char *s, size_t n, struct http_tm *tm)
{
	const char *comma = memchr(s, ',', n);
	size_t dn = comma ? (size_t)(comma - s) : 0;

	if (!comma || n != dn + 24 || !is_day_name(s, dn, true))
		return false;
	s += dn;
	if (memcmp(s, ", ", 2) || s[4] != '-' || s[8] != '-' || s[11] != ' ' ||
	    s[20] != ' ' || memcmp(s + 20, " GMT", 4))
		return false;
	tm->day = get_num(s + 2, 2);
	tm->mon = get_month(s + 5);
	tm->year = get_num(s + 9, 2);
	if (tm->year >= 0)
		tm->year += tm->year >= 70 ? 1900 : 2000;
	return get_time(s + 12, tm);
}

/* asctime-date: "Sun Nov  6 08:49:37 1994". */
static bool parse_asctime(const char *s, size_t n, struct http_tm *tm)
{
	if (n != 24 || !is_day_name(s, 3, false) || s[3] != ' ' ||
	    s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
		return false;
	tm->mon = get_month(s + 4);
	tm->day = s[8] == ' ' ? get_num(s + 9, 1) : get_num(s + 8, 2);
	tm->year = get_num(s + 20, 4);
	return get_time(s + 11, tm);
}

int http_date_parse(const char *s, size_t len, s64 *unix_seconds)
{
	struct http_tm tm;
	bool ok;

	if (len >= 4 && s[3] == ',')
		ok = parse_imf_fixdate(s, len, &tm);
	else if (memchr(s, ',', len))
		ok = parse_rfc850(s, len, &tm);
	else
		ok = parse_asctime(s, len, &tm);
	return ok && tm_to_unix(&tm, unix_seconds) ? 0 : -1;
}

/* ---- entity tags (RFC 9110 8.8.3, 13.1.2) -------------------------------- */

/* opaque-tag of an entity-tag at s (skipping "W/"): its start and length,
 * with the quotes; 0 if malformed. */
static size_t etag_opaque(const char *s, const char **tag)
{
	size_t i = 1;

	if (s[0] == 'W' && s[1] == '/')
		s += 2;
	*tag = s;
	if (s[0] != '"')
		return 0;
	/* etagc = %x21 / %x23-7E / obs-text */
	while (s[i] && s[i] != '"' && (u8)s[i] > 0x20 && (u8)s[i] != 0x7f)
		i++;
	return s[i] == '"' ? i + 1 : 0;
}

bool http_etag_match(const char *inm, const char *etag)
{
	const char *ours, *tag;
	size_t ours_len = etag_opaque(etag, &ours), len;

	while (*inm == ' ' || *inm == '\t')
		inm++;
	if (inm[0] == '*')
		return inm[1] == '\0' || is_ows((u8)inm[1]);
	while (*inm) {
		if (*inm == ',' || is_ows((u8)*inm)) {
			inm++;
			continue;
		}
		len = etag_opaque(inm, &tag);
		if (len == 0)
			return false;
		/* weak comparison: opaque-tags equal, W/ ignored */
		if (ours_len && len == ours_len && memcmp(tag, ours, len) == 0)
			return true;
		inm = tag + len;
	}
	return false;
}
