/*
 * fuzz_capture_filter.c - libFuzzer target for net/capture_filter.c and
 * net/capture_fmt.c. The input is compiled as a filter expression; a
 * refused one must say where (an offset inside the text and a message), a
 * compiled one is matched against the golden frames and against the input
 * bytes taken as a frame, and the input is formatted as a frame, cut at
 * every length, into a buffer that must never overflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/capture_filter.h>
#include <skiff/net/capture_fmt.h>

#include "../unit/capture_frames.h"

static const struct {
	const u8 *b;
	u32 len;
} frames[] = {
    {f_syn, sizeof(f_syn)},	    {f_data, sizeof(f_data)},
    {f_udp, sizeof(f_udp)},	    {f_echo_req, sizeof(f_echo_req)},
    {f_unreach, sizeof(f_unreach)}, {f_frag2, sizeof(f_frag2)},
    {f_arp_req, sizeof(f_arp_req)}, {f_ipv6, sizeof(f_ipv6)},
};

static void check_compile(const char *text, size_t len)
{
	static struct capture_filter f;
	struct cf_error err;
	int rc = cf_compile(&f, text, &err);
	if (rc != 0) {
		if (!err.msg || err.pos < 0 || (size_t)err.pos > len ||
		    strlen(err.word) >= sizeof(err.word))
			abort();
		return;
	}
	if (f.count == 0 || f.count > CF_MAX_NODES || f.root >= f.count)
		abort();
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		cf_match(&f, frames[i].b, frames[i].len);
	cf_match(&f, (const u8 *)text, (u32)len);
}

static void check_format(const u8 *data, size_t size)
{
	char line[256];
	u32 len = size > 2000 ? 2000 : (u32)size;
	for (u32 cut = 0; cut <= len; cut += 1 + cut / 16) {
		size_t n = capture_format(line, sizeof(line), data, cut, len,
					  (u64)cut * 1000003, cut & 1);
		if (n >= sizeof(line) || n != strlen(line))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	check_compile(text, strlen(text));
	free(text);
	check_format(data, size);
	return 0;
}
