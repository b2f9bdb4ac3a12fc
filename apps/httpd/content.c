/*
 * content.c - the site the HTTP server serves.
 *
 * At start the server builds one table of files: first the built-in site
 * (the repo's www/, compiled in by scripts/www2c.py), then every file the
 * boot stage read from the boot volume's \www, which replaces a built-in
 * file of the same path or adds a new one. An operator changes the site by
 * copying files to the USB stick, without rebuilding.
 *
 * For each file everything that does not change per request is computed
 * once: the media type, a strong ETag, Last-Modified, and the header lines
 * carrying them. Bodies stay where they are (the kernel image or the pages
 * the boot stage filled) and are sent from there.
 *
 * Lookup is an open-addressing hash table on the path.
 */
#include "httpd.h"
#include <skiff/boot_info.h>
#include <skiff/printk.h>
#include <skiff/www.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct boot_info *boot_info;

static struct {
	struct http_file *files;
	u32 count, cap;
	u32 *slots; /* index + 1 into files, 0 = empty */
	u32 nslots; /* a power of two, at least twice count */
} site;

static const struct {
	const char *ext;
	const char *type;
} media_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".xml", "application/xml"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".pdf", "application/pdf"},
    {".wasm", "application/wasm"},
    {".pcap", "application/vnd.tcpdump.pcap"},
    {".gz", "application/gzip"},
    {".tar", "application/x-tar"},
    {".zip", "application/zip"},
};

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	if (k > n)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = s[n - k + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != suffix[i])
			return false;
	}
	return true;
}

const char *content_type_for(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < ARRAY_SIZE(media_types); i++)
		if (ends_with_ci(path, n, media_types[i].ext))
			return media_types[i].type;
	return "application/octet-stream";
}

static u32 fnv1a(const void *p, size_t n, u32 h)
{
	const u8 *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

#define FNV_SEED 2166136261u

static struct http_file *find(const char *path)
{
	u32 mask = site.nslots - 1;
	for (u32 i = fnv1a(path, strlen(path), FNV_SEED) & mask;;
	     i = (i + 1) & mask) {
		u32 s = site.slots[i];
		if (!s)
			return NULL;
		if (strcmp(site.files[s - 1].path, path) == 0)
			return &site.files[s - 1];
	}
}

/* Precompute the per-file header lines (RFC 9110 8.3, 8.8.2, 8.8.3, 14.3). */
static int file_headers(struct http_file *f)
{
	char date[30];
	char buf[512];

	http_date_format(f->mtime, date);
	snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx-%08x\"",
		 (unsigned long long)f->size, (unsigned long long)f->mtime,
		 fnv1a(f->data, f->size, FNV_SEED));
	int n = snprintf(buf, sizeof(buf),
			 "Content-Type: %s\r\nETag: %s\r\nLast-Modified: %s\r\n"
			 "Accept-Ranges: bytes\r\n",
			 f->ctype, f->etag, date);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	f->headers = malloc((size_t)n + 1);
	if (!f->headers)
		return -ENOMEM;
	memcpy(f->headers, buf, (size_t)n + 1);
	f->headers_len = (u32)n;
	return 0;
}

/* Add a file, or replace the one with the same path. */
static int add_file(const char *path, const u8 *data, u64 size, s64 mtime,
		    bool from_boot)
{
	struct http_file *f = find(path);
	if (f) {
		free(f->headers);
	} else {
		if (site.count == site.cap)
			return -ENOSPC;
		f = &site.files[site.count++];
		u32 mask = site.nslots - 1;
		u32 i = fnv1a(path, strlen(path), FNV_SEED) & mask;
		while (site.slots[i])
			i = (i + 1) & mask;
		site.slots[i] = site.count;
	}
	*f = (struct http_file){.path = path,
				.data = data,
				.size = size,
				.mtime = mtime,
				.ctype = content_type_for(path),
				.from_boot = from_boot};
	return file_headers(f);
}

/* A boot file's path must be one the parser can produce: it starts with
 * '/', has no empty, "." or ".." segment and only printable ASCII. */
static bool servable_path(const char *p)
{
	if (p[0] != '/' || !p[1])
		return false;
	for (const char *seg = p + 1; *seg;) {
		const char *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if (seg[i] < ' ' || seg[i] > '~')
				return false;
		seg += n + (end ? 1 : 0);
	}
	return true;
}

static int table_alloc(u32 cap)
{
	site.cap = cap;
	site.nslots = 16;
	while (site.nslots < 2 * cap)
		site.nslots <<= 1;
	site.files = calloc(cap, sizeof(*site.files));
	site.slots = calloc(site.nslots, sizeof(*site.slots));
	return site.files && site.slots ? 0 : -ENOMEM;
}

int content_init(void)
{
	u32 nbuiltin = (u32)(__www_builtin_end - __www_builtin_start);
	u32 nboot = boot_info ? boot_info->file_count : 0;
	u32 replaced = 0, skipped = 0;

	if (table_alloc(nbuiltin + nboot + 1))
		return -ENOMEM;
	for (const struct www_builtin *w = __www_builtin_start;
	     w < __www_builtin_end; w++)
		if (add_file(w->path, w->data, w->size, w->mtime, false))
			return -ENOMEM;
	const struct boot_file *bf =
	    nboot ? (const struct boot_file *)(uintptr_t)boot_info->files
		  : NULL;
	for (u32 i = 0; i < nboot; i++) {
		if (!memchr(bf[i].path, 0, sizeof(bf[i].path)) ||
		    !servable_path(bf[i].path)) {
			skipped++;
			continue;
		}
		replaced += find(bf[i].path) != NULL;
		if (add_file(bf[i].path, (const u8 *)(uintptr_t)bf[i].data,
			     bf[i].size, bf[i].mtime, true))
			return -ENOMEM;
	}
	pr_info("httpd: site: %u built-in files, %u from the boot volume "
		"(%u replace built-in ones, %u unservable names skipped)\n",
		nbuiltin, nboot - skipped, replaced, skipped);
	return 0;
}

static const struct http_file *lookup_index(const char *dir, size_t n)
{
	char p[HTTP_PATH_MAX];
	if (n + sizeof("/index.html") > sizeof(p))
		return NULL;
	memcpy(p, dir, n);
	strcpy(p + n, n && dir[n - 1] == '/' ? "index.html" : "/index.html");
	return find(p);
}

const struct http_file *content_lookup(const char *path, bool *redirect)
{
	size_t n = strlen(path);
	*redirect = false;
	if (n && path[n - 1] == '/')
		return lookup_index(path, n);
	const struct http_file *f = find(path);
	if (!f && lookup_index(path, n))
		*redirect =
		    true; /* "/docs" -> "/docs/" (relative links work) */
	return f;
}

u32 content_count(void)
{
	return site.count;
}

void content_for_each(void (*fn)(const struct http_file *f, void *ctx),
		      void *ctx)
{
	for (u32 i = 0; i < site.count; i++)
		fn(&site.files[i], ctx);
}
