/*
 * fuzz_rules.c - libFuzzer target for the packet filter's rule language
 * (net/netfilter/nf_rule.c) and packet reader (nf_match.c). The input is
 * one command line: split into words, parsed; an error must name a word
 * inside the line (or one past it) with a message; a parsed rule,
 * formatted and parsed again, must give back the same rule. The same
 * bytes are then read as an IPv4 datagram and matched against the rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/netfilter.h>

#define MAX_WORDS 40

static void round_trip(const struct nf_rule *r)
{
	static char spec[1024], line[1100];
	char *argv[MAX_WORDS];
	struct nf_cmd again;
	struct nf_parse_error e;

	nf_format_rule(r, spec, sizeof(spec));
	memcpy(line, "-A INPUT ", 9);
	memcpy(line + 9, spec, strlen(spec) + 1);
	int argc = nf_split_words(line, argv, MAX_WORDS);
	if (argc < 0 || nf_parse_cmd(argc, argv, &again, &e) != 0)
		abort();
	if (memcmp(r, &again.rule, sizeof(*r)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[4096];
	char *argv[MAX_WORDS];
	struct nf_cmd cmd;
	struct nf_parse_error e;
	struct nf_pkt p;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	int argc = nf_split_words(line, argv, MAX_WORDS);
	if (argc < 0)
		return 0;
	if (nf_parse_cmd(argc, argv, &cmd, &e) != 0) {
		if (!e.msg || e.word < 0 || e.word > argc)
			abort();
		return 0;
	}
	if ((cmd.rule.invert & ~cmd.rule.match) != 0)
		abort();
	if (cmd.op <= NF_OP_DELETE && cmd.op != NF_OP_DELETE_NUM)
		round_trip(&cmd.rule);
	if (nf_pkt_parse(data, (uint32_t)size, &p) == 0) {
		p.in = "eth0";
		p.ct_state = NF_CT_NEW;
		(void)nf_rule_match(&cmd.rule, &p);
	}
	return 0;
}
