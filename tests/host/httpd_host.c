/*
 * httpd_host.c - what the HTTP server (apps/httpd/) takes from the kernel,
 * on the host (tests/host/httpd_host.h says what each piece stands for).
 *
 * The definitions are weak where another part of the kernel might come to
 * the host build later (kcfg, the version strings, boot_info, the capture
 * ring): a real one then wins without a change here.
 */
#include <errno.h>
#include <string.h>

#include <skiff/apps.h>
#include <skiff/boot_info.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/net/capture.h>
#include <skiff/www.h>

#include "host.h"
#include "httpd_host.h"

__attribute__((weak)) struct skiff_config kcfg;
__attribute__((weak)) const char skiff_version[] = "0.1.0-host";
__attribute__((weak)) const char skiff_build[] = "host";
/* No boot volume: only the built-in site. */
__attribute__((weak)) const struct boot_info *boot_info;

/* No capture ring on the host: /debug/pcap answers 404. */
__attribute__((weak)) int capture_pcap_dump(void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	return -ENOENT;
}

/* kcfg as the kernel has it before the config file is read. */
__attribute__((constructor)) static void host_kcfg_defaults(void)
{
	config_defaults(&kcfg);
}

/* ---- the built-in site -------------------------------------------------- */

static const char index_html[] = HOST_WWW_INDEX_TEXT;
static const char style_css[] = "body { font-family: sans-serif; }\n"
				"h1 { color: #246; }\n";
static const char docs_html[] = "<!doctype html><title>docs</title>\n";
static u8 big_txt[HOST_WWW_BIG_LEN];

#define HOST_WWW_FILES 4

/*
 * The kernel's linker script brackets the .www_builtin section with
 * __www_builtin_start/__www_builtin_end; here one array stands for the
 * section and the two symbols are set to its ends (assembler .set, since
 * C cannot name "one past this array" as a separate symbol).
 */
const struct www_builtin host_www_builtin[HOST_WWW_FILES] = {
    {"/index.html", (const u8 *)index_html, sizeof(index_html) - 1,
     HOST_WWW_MTIME},
    {"/style.css", (const u8 *)style_css, sizeof(style_css) - 1,
     HOST_WWW_MTIME},
    {"/docs/index.html", (const u8 *)docs_html, sizeof(docs_html) - 1,
     HOST_WWW_MTIME},
    {"/big.txt", big_txt, sizeof(big_txt), HOST_WWW_MTIME},
};

#define HOST_STR_(x) #x
#define HOST_STR(x) HOST_STR_(x)
#define HOST_WWW_BYTES 128 /* HOST_WWW_FILES * sizeof(struct www_builtin) */
_Static_assert(HOST_WWW_BYTES == sizeof(host_www_builtin),
	       "HOST_WWW_BYTES must match the table");
__asm__(".globl __www_builtin_start\n"
	".set __www_builtin_start, host_www_builtin\n"
	".globl __www_builtin_end\n"
	".set __www_builtin_end, host_www_builtin + " HOST_STR(
	    HOST_WWW_BYTES) "\n");

__attribute__((constructor)) static void host_www_fill(void)
{
	for (u32 i = 0; i < sizeof(big_txt); i++)
		big_txt[i] = host_www_big_at(i);
}

int host_httpd_start(u16 port, u16 echo_port)
{
	host_init();
	kcfg.http_port = port;
	if (echo_port) {
		int err = echo_start(echo_port);
		if (err)
			return err;
	}
	return httpd_start(port);
}
