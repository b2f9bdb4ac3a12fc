/*
 * fuzz_config.c - libFuzzer target for kernel/config.c. The input is
 * parsed as every source in turn and as one console `set` word; every
 * report must be bounded and printable, the count of reports must match
 * the return value, and formatting every key and parsing that line onto
 * defaults must give back the same config.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/config.h>

static void check_msg(void *ctx, const char *msg)
{
	size_t len = strnlen(msg, CFG_MSG_MAX);

	if (len >= CFG_MSG_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		if (msg[i] < 0x20 || msg[i] >= 0x7f)
			abort();
	(*(int *)ctx)++;
}

/* Format every key into one line, parse it onto defaults, compare. */
static void round_trip(const struct skiff_config *c)
{
	static char line[16384], a[8192], b[8192];
	struct skiff_config d;
	size_t len = 0;
	int n = 0;

	for (unsigned i = 0; i < CFG_NKEYS; i++) {
		config_format_key(c, i, line + len, sizeof(line) - len);
		len += strlen(line + len);
		line[len++] = ' ';
	}
	config_defaults(&d);
	if (config_parse(&d, line, len, CFG_SRC_CONSOLE, check_msg, &n) != 0)
		abort();
	for (unsigned i = 0; i < CFG_NKEYS; i++) {
		config_format_key(c, i, a, sizeof(a));
		config_format_key(&d, i, b, sizeof(b));
		if (strcmp(a, b) != 0)
			abort();
	}
}

static void parse_all_sources(struct skiff_config *c, const char *text,
			      size_t size)
{
	for (int src = CFG_SRC_DEFAULT; src < CFG_NSOURCES; src++) {
		int n = 0;

		if (config_parse(c, text, size, src, check_msg, &n) != n)
			abort();
	}
}

static void set_word(struct skiff_config *c, const uint8_t *data, size_t size)
{
	char *w = malloc(size + 1);
	int n = 0;

	if (!w)
		return;
	memcpy(w, data, size);
	w[size] = '\0';
	if (config_set(c, w, CFG_SRC_CONSOLE, check_msg, &n) != -n)
		abort();
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skiff_config c;
	char small[7];

	config_defaults(&c);
	parse_all_sources(&c, (const char *)data, size);
	set_word(&c, data, size);
	for (unsigned i = 0; i <= CFG_NKEYS; i++)
		config_format_key(&c, i, small, sizeof(small));
	round_trip(&c);
	return 0;
}
