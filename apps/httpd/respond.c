/*
 * respond.c - reason phrases and the Date header's clock.
 *
 * Read first: RFC 9110 15 (status codes), 6.6.1 (Date).
 */
#include "httpd.h"
#include <skiff/time.h>

const char *http_reason(u16 status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/*
 * RFC 9110 6.6.1: an origin server with a clock sends Date in every 2xx,
 * 3xx and 4xx response. The clock is the UEFI time at boot plus the TSC;
 * the text is made again only when the second changes. Only the HTTP
 * app's CPU calls this.
 */
const char *http_date_now(void)
{
	static char text[30];
	static s64 shown = -1;
	s64 now = (s64)(boot_epoch_sec + ktime_get_ns() / NSEC_PER_SEC);

	if (now != shown) {
		http_date_format(now, text);
		shown = now;
	}
	return text;
}
