/*
 * httpd_host.h - the HTTP server (apps/httpd/) on the host-built stack,
 * for unit tests and fuzzers (tests/host/httpd_host.c).
 *
 * httpd_host.c gives the server what the kernel would: the merged
 * configuration kcfg (config_defaults at start), the version strings, no
 * boot volume (boot_info NULL), no packet capture (capture_pcap_dump
 * answers -ENOENT), and a small built-in site in place of the image's
 * .www_builtin section:
 *
 *   /index.html        an HTML page (HOST_WWW_INDEX_LEN bytes)
 *   /style.css         a style sheet
 *   /docs/index.html   a second index, so "/docs" answers 301
 *   /big.txt           HOST_WWW_BIG_LEN bytes, byte i = host_www_big_at(i)
 *
 * Every file's mtime is HOST_WWW_MTIME. Build: HOST_HTTPD_SRCS in
 * tests/host/host.mk, next to NET_HOST_SRCS and kernel/config.c.
 */
#ifndef SKIFF_TESTS_HTTPD_HOST_H
#define SKIFF_TESTS_HTTPD_HOST_H

#include <skiff/types.h>

#define HOST_WWW_MTIME 1700000000 /* 2023-11-14T22:13:20Z */
#define HOST_WWW_BIG_LEN 20000u

/* The body of /index.html. */
#define HOST_WWW_INDEX_LEN (sizeof(HOST_WWW_INDEX_TEXT) - 1)
#define HOST_WWW_INDEX_TEXT                                                    \
	"<!doctype html>\n<html><head><title>Skiff</title>"                    \
	"<link rel=\"stylesheet\" href=\"/style.css\"></head>\n"               \
	"<body><h1>Skiff on the host</h1><p>The HTTP server under test; "      \
	"see <a href=\"/status\">/status</a>.</p></body></html>\n"

static inline u8 host_www_big_at(u32 i)
{
	return (u8)('a' + (i * 7 + i / 26) % 26);
}

/*
 * Start the HTTP server on TCP port (http.port in kcfg is set to it) and,
 * when echo_port is not 0, the echo app on it. Needs net_init() and an
 * address first. Returns httpd_start's result.
 */
int host_httpd_start(u16 port, u16 echo_port);

#endif
