/*
 * test_netfilter.c - the packet filter: the rule parser (good and bad
 * rules, with the word it blames), the matcher, conntrack's transitions
 * with a fake clock, the chains (edits, counters, pre-dispatch giving the
 * verdicts of a linear walk), and the hooks on the host-built stack
 * (REJECT's reset and ICMP bytes, DROP's silence, `filter -L -v`). Also
 * a micro-benchmark of evaluation with hundreds of rules, printed.
 */
#include "ipv4_test.h"

#include <time.h>

#include <skiff/config.h>
#include <skiff/net/netfilter.h>

/* ---- helpers ------------------------------------------------------------- */

static int parse_line(const char *line, struct nf_cmd *cmd,
		      struct nf_parse_error *e)
{
	static char buf[512];
	char *argv[40];

	snprintf(buf, sizeof(buf), "%s", line);
	int argc = nf_split_words(buf, argv, 40);
	assert_true(argc >= 0);
	return nf_parse_cmd(argc, argv, cmd, e);
}

static struct nf_rule rule_of(const char *line)
{
	struct nf_cmd cmd;
	struct nf_parse_error e;

	assert_int_equal(parse_line(line, &cmd, &e), 0);
	return cmd.rule;
}

static void apply(const char *line)
{
	struct nf_cmd cmd;
	struct nf_parse_error e;

	assert_int_equal(parse_line(line, &cmd, &e), 0);
	assert_int_equal(nf_table_apply(&cmd), 0);
}

/* A datagram peer -> us: IP header + transport bytes. */
static u32 build_ip(u8 *b, u8 proto, u32 src, u32 dst, const u8 *l4, u32 l4len)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	store_be16(b + 2, (u16)(20 + l4len));
	store_be16(b + 4, 0x1234);
	b[8] = 64;
	b[9] = proto;
	store_be32(b + 12, src);
	store_be32(b + 16, dst);
	memcpy(b + 20, l4, l4len);
	return 20 + l4len;
}

static struct nf_pkt tcp_pkt(u32 src, u32 dst, u16 sport, u16 dport, u8 flags)
{
	u8 th[20] = {0}, b[64];
	struct nf_pkt p;

	store_be16(th, sport);
	store_be16(th + 2, dport);
	store_be32(th + 4, 1000);
	store_be32(th + 8, 2000);
	th[12] = 5 << 4;
	th[13] = flags;
	u32 n = build_ip(b, IPPROTO_TCP, src, dst, th, 20);
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	return p;
}

static struct nf_pkt udp_pkt(u32 src, u32 dst, u16 sport, u16 dport)
{
	u8 uh[8] = {0}, b[64];
	struct nf_pkt p;

	store_be16(uh, sport);
	store_be16(uh + 2, dport);
	store_be16(uh + 4, 8);
	u32 n = build_ip(b, IPPROTO_UDP, src, dst, uh, 8);
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	return p;
}

static struct nf_pkt icmp_pkt(u32 src, u32 dst, u8 type, u8 code, u16 id)
{
	u8 ih[8] = {0}, b[64];
	struct nf_pkt p;

	ih[0] = type;
	ih[1] = code;
	store_be16(ih + 4, id);
	u32 n = build_ip(b, IPPROTO_ICMP, src, dst, ih, 8);
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	return p;
}

/* ICMP port unreachable from 'from' quoting a UDP datagram q_src -> q_dst. */
static struct nf_pkt icmp_err_pkt(u32 from, u32 to, u32 q_src, u32 q_dst,
				  u16 q_sport, u16 q_dport)
{
	u8 body[8 + 28] = {0}, b[128], uh[8] = {0};
	struct nf_pkt p;

	body[0] = 3;
	body[1] = 3;
	store_be16(uh, q_sport);
	store_be16(uh + 2, q_dport);
	build_ip(body + 8, IPPROTO_UDP, q_src, q_dst, uh, 8);
	u32 n = build_ip(b, IPPROTO_ICMP, from, to, body, sizeof(body));
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	return p;
}

/* ---- the parser ---------------------------------------------------------- */

static void test_parse_good(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "-A INPUT -p tcp --dport 22 -j DROP",
	    "-A INPUT -s 198.18.0.0/24 -d 198.18.0.2 -j ACCEPT",
	    "-I OUTPUT 3 -p udp --sport 1024:65535 --dport 53 -j ACCEPT",
	    "-A INPUT -i eth+ ! -s 10.0.0.0/8 -p tcp --syn -j REJECT "
	    "--reject-with tcp-reset",
	    "-A INPUT -p tcp --tcp-flags SYN,ACK,FIN,RST SYN -j ACCEPT",
	    "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
	    "-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT",
	    "-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT",
	    "-A INPUT -m conntrack --ctstate INVALID -j DROP",
	    "-A INPUT -p udp ! --dport 7 -j REJECT --reject-with "
	    "icmp-admin-prohibited",
	    "-A INPUT -p 47 -j LOG --log-prefix \"GRE: \"",
	    "-A FORWARD -j DROP",
	    "-A INPUT -p tcp -m tcp --dport :1023 -j REJECT",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct nf_cmd cmd, again;
		struct nf_parse_error e;
		char spec[300], line[340];
		if (parse_line(good[i], &cmd, &e))
			fail_msg("'%s': word %d: %s", good[i], e.word, e.msg);
		/* Round trip: the formatted rule parses to the same rule. */
		nf_format_rule(&cmd.rule, spec, sizeof(spec));
		snprintf(line, sizeof(line), "-A INPUT %s", spec);
		if (parse_line(line, &again, &e))
			fail_msg("'%s': word %d: %s", line, e.word, e.msg);
		assert_memory_equal(&cmd.rule, &again.rule, sizeof(cmd.rule));
	}
	struct nf_rule r = rule_of("-A INPUT -p udp --dport 5:9 -j DROP");
	assert_int_equal(r.dport_lo, 5);
	assert_int_equal(r.dport_hi, 9);
	r = rule_of("-A INPUT -s 198.18.0.77/24 -j DROP");
	assert_int_equal(r.src, IPV4(198, 18, 0, 0));
	assert_int_equal(r.src_mask, 0xffffff00u);
}

static void test_parse_commands(void **state)
{
	(void)state;
	struct nf_cmd c;
	struct nf_parse_error e;

	assert_int_equal(parse_line("-P INPUT DROP", &c, &e), 0);
	assert_int_equal(c.op, NF_OP_POLICY);
	assert_int_equal(c.policy, NF_T_DROP);
	assert_int_equal(parse_line("-F", &c, &e), 0);
	assert_int_equal(c.chain, -1);
	assert_int_equal(parse_line("-L INPUT -v -n --line-numbers", &c, &e),
			 0);
	assert_true(c.verbose && c.numeric && c.line_numbers);
	assert_int_equal(parse_line("-v -L", &c, &e), 0);
	assert_true(c.verbose);
	assert_int_equal(parse_line("-D INPUT 2", &c, &e), 0);
	assert_int_equal(c.op, NF_OP_DELETE_NUM);
	assert_int_equal(c.num, 2);
	assert_int_equal(parse_line("-D INPUT -p tcp -j DROP", &c, &e), 0);
	assert_int_equal(c.op, NF_OP_DELETE);
	assert_int_equal(parse_line("-I INPUT -j DROP", &c, &e), 0);
	assert_int_equal(c.num, 1);
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int word; /* the word blamed */
	} bad[] = {
	    {"-A INPUT -p tcpp --dport 22 -j DROP", 3},
	    {"-A INPUT -p tcp --dport 70000 -j DROP", 5},
	    {"-A INPUT -p tcp --dport 9:2 -j DROP", 5},
	    {"-A INPUT -p tcp --dprt 22 -j DROP", 4},
	    {"-A INPUTT -j DROP", 1},
	    {"-A INPUT -j DORP", 3},
	    {"-A INPUT -p tcp", 4}, /* missing -j: past the end */
	    {"-A INPUT -s 198.18.0.256 -j DROP", 3},
	    {"-A INPUT -s 198.18.0.1/33 -j DROP", 3},
	    {"-A INPUT -s 1.2.3 -j DROP", 3},
	    {"-A INPUT --dport 22 -j DROP", 2}, /* ports need -p */
	    {"-A INPUT -p udp -j REJECT --reject-with tcp-reset", 2},
	    {"-A INPUT -p tcp -j REJECT --reject-with icmp-bogus", 7},
	    {"-A INPUT -m state --state NEW,OLD -j ACCEPT", 5},
	    {"-A INPUT -p tcp --tcp-flags SYN,FOO SYN -j DROP", 5},
	    {"-A INPUT -p tcp --tcp-flags SYN", 6},
	    {"-A INPUT -p icmp --icmp-type nonsense -j DROP", 5},
	    {"-A INPUT -p tcp -p udp -j DROP", 4},
	    {"-A INPUT -j DROP --reject-with tcp-reset", 2},
	    {"-X INPUT", 0},
	    {"-P INPUT REJECT", 2},
	    {"-L INPUT -x", 2},
	    {"-A INPUT -i averyveryverylongname0 -j DROP", 3},
	    {"-A INPUT ! -j DROP", 2},
	    {"", 0},
	    {"-A INPUT -m foo -j DROP", 3},
	    {"-D INPUT 0", 2},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nf_cmd c;
		struct nf_parse_error e;
		if (parse_line(bad[i].line, &c, &e) != -EINVAL)
			fail_msg("'%s' parsed", bad[i].line);
		assert_non_null(e.msg);
		if (e.word != bad[i].word)
			fail_msg("'%s': blamed word %d (%s), not %d",
				 bad[i].line, e.word, e.msg, bad[i].word);
	}
}

static void test_split_words(void **state)
{
	(void)state;
	char line[] = "  -A INPUT  -j LOG --log-prefix \"a b\" # comment";
	char *argv[8];

	assert_int_equal(nf_split_words(line, argv, 8), 6);
	assert_string_equal(argv[5], "a b");
	char open[] = "-j LOG --log-prefix \"oops";
	assert_int_equal(nf_split_words(open, argv, 8), -EINVAL);
	char many[] = "a b c d e f g h i";
	assert_int_equal(nf_split_words(many, argv, 8), -E2BIG);
}

/* ---- the matcher -----------------------------------------------------------
 */

static void test_match(void **state)
{
	(void)state;
	struct nf_pkt syn = tcp_pkt(PEER_IP, OUR_IP, 40000, 22, NF_TCP_SYN);
	struct nf_pkt ack = tcp_pkt(PEER_IP, OUR_IP, 40000, 22, NF_TCP_ACK);
	struct nf_pkt udp = udp_pkt(PEER_IP, OUR_IP, 5000, 7);
	struct nf_pkt ping = icmp_pkt(PEER_IP, OUR_IP, 8, 0, 77);

	struct nf_rule r = rule_of("-A INPUT -p tcp --dport 22 -j DROP");
	assert_true(nf_rule_match(&r, &syn));
	assert_false(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT -p tcp --dport 20:21 -j DROP");
	assert_false(nf_rule_match(&r, &syn));
	r = rule_of("-A INPUT -p tcp --syn -j DROP");
	assert_true(nf_rule_match(&r, &syn));
	assert_false(nf_rule_match(&r, &ack));
	r = rule_of("-A INPUT -p tcp ! --syn -j DROP");
	assert_false(nf_rule_match(&r, &syn));
	assert_true(nf_rule_match(&r, &ack));
	r = rule_of("-A INPUT -s 198.18.0.0/24 -j DROP");
	assert_true(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT ! -s 198.18.0.0/24 -j DROP");
	assert_false(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT -d 198.18.0.1 -j DROP");
	assert_false(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT -p udp --sport 5000 ! --dport 8:9 -j DROP");
	assert_true(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT -p icmp --icmp-type echo-request -j DROP");
	assert_true(nf_rule_match(&r, &ping));
	r = rule_of("-A INPUT -p icmp --icmp-type 8/1 -j DROP");
	assert_false(nf_rule_match(&r, &ping));
	r = rule_of("-A INPUT -p icmp --icmp-type any -j DROP");
	assert_true(nf_rule_match(&r, &ping));

	/* Interfaces: exact and eth+; no device never matches. */
	udp.in = "eth1";
	r = rule_of("-A INPUT -i eth+ -j DROP");
	assert_true(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT -i eth0 -j DROP");
	assert_false(nf_rule_match(&r, &udp));
	r = rule_of("-A INPUT -o eth0 -j DROP");
	assert_false(nf_rule_match(&r, &udp));

	/* State. */
	r = rule_of("-A INPUT -m state --state ESTABLISHED,RELATED -j DROP");
	udp.ct_state = NF_CT_NEW;
	assert_false(nf_rule_match(&r, &udp));
	udp.ct_state = NF_CT_RELATED;
	assert_true(nf_rule_match(&r, &udp));
}

static void test_pkt_parse_bounds(void **state)
{
	(void)state;
	u8 b[64], th[20] = {0};
	struct nf_pkt p;

	/* Short transport header: no ports; port rules fail, even '!'. */
	u32 n = build_ip(b, IPPROTO_TCP, PEER_IP, OUR_IP, th, 10);
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	assert_false(p.l4);
	struct nf_rule r = rule_of("-A INPUT -p tcp ! --dport 22 -j DROP");
	assert_false(nf_rule_match(&r, &p));
	/* A later fragment: no transport header either. */
	n = build_ip(b, IPPROTO_TCP, PEER_IP, OUR_IP, th, 20);
	store_be16(b + 6, 100);
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	assert_false(p.l4);
	/* No IP header, a bad IHL, tot_len past the buffer. */
	assert_int_equal(nf_pkt_parse(b, 19, &p), -EINVAL);
	b[0] = 0x44;
	assert_int_equal(nf_pkt_parse(b, n, &p), -EINVAL);
	b[0] = 0x45;
	assert_int_equal(nf_pkt_parse(b, n - 1, &p), -EINVAL);
	/* An ICMP error quoting a truncated datagram: not related. */
	u8 body[8 + 12] = {3, 3};
	n = build_ip(b, IPPROTO_ICMP, PEER_IP, OUR_IP, body, sizeof(body));
	assert_int_equal(nf_pkt_parse(b, n, &p), 0);
	assert_false(p.icmp_err);
}

/* ---- conntrack -------------------------------------------------------------
 */

#define SEC 1000000000ULL

static u8 ct_step(struct nf_pkt *p, u64 now)
{
	struct nf_ct_ref ref;

	nf_ct_lookup(p, now, &ref);
	u8 st = p->ct_state;
	assert_true(nf_ct_confirm(p, &ref, now));
	return st;
}

static void test_ct_tcp(void **state)
{
	(void)state;
	u64 t = 100 * SEC;
	assert_int_equal(nf_ct_init(64), 0);

	struct nf_pkt syn = tcp_pkt(PEER_IP, OUR_IP, 40000, 80, NF_TCP_SYN);
	struct nf_pkt synack =
	    tcp_pkt(OUR_IP, PEER_IP, 80, 40000, NF_TCP_SYN | NF_TCP_ACK);
	struct nf_pkt ack = tcp_pkt(PEER_IP, OUR_IP, 40000, 80, NF_TCP_ACK);
	struct nf_pkt fin =
	    tcp_pkt(PEER_IP, OUR_IP, 40000, 80, NF_TCP_FIN | NF_TCP_ACK);
	struct nf_pkt fin2 =
	    tcp_pkt(OUR_IP, PEER_IP, 80, 40000, NF_TCP_FIN | NF_TCP_ACK);
	struct nf_pkt stray = tcp_pkt(PEER_IP, OUR_IP, 40001, 80, NF_TCP_ACK);

	assert_int_equal(ct_step(&stray, t), NF_CT_INVALID);
	assert_int_equal(ct_step(&syn, t), NF_CT_NEW);
	assert_int_equal(ct_step(&syn, t), NF_CT_NEW); /* retransmitted */
	assert_int_equal(ct_step(&synack, t), NF_CT_ESTABLISHED);
	assert_int_equal(ct_step(&ack, t), NF_CT_ESTABLISHED);
	/* Established flows live for days, not minutes. */
	t += 3600 * SEC;
	assert_int_equal(ct_step(&ack, t), NF_CT_ESTABLISHED);
	assert_int_equal(ct_step(&fin, t), NF_CT_ESTABLISHED);
	assert_int_equal(ct_step(&fin2, t), NF_CT_ESTABLISHED);
	assert_int_equal(ct_step(&ack, t), NF_CT_ESTABLISHED); /* TIME_WAIT */
	/* TIME_WAIT ends after 120 s: then an ACK is INVALID. */
	t += 121 * SEC;
	assert_int_equal(ct_step(&ack, t), NF_CT_INVALID);

	/* A SYN that the chain drops is never confirmed: nothing kept. */
	struct nf_ct_ref ref;
	struct nf_pkt syn2 = tcp_pkt(PEER_IP, OUR_IP, 40002, 80, NF_TCP_SYN);
	nf_ct_lookup(&syn2, t, &ref);
	assert_int_equal(syn2.ct_state, NF_CT_NEW);
	struct nf_pkt synack2 =
	    tcp_pkt(OUR_IP, PEER_IP, 80, 40002, NF_TCP_SYN | NF_TCP_ACK);
	nf_ct_lookup(&synack2, t, &ref);
	assert_int_equal(synack2.ct_state, NF_CT_INVALID);

	/* RST closes: 10 s later the flow is gone. */
	struct nf_pkt syn3 = tcp_pkt(PEER_IP, OUR_IP, 40003, 80, NF_TCP_SYN);
	struct nf_pkt rst =
	    tcp_pkt(OUR_IP, PEER_IP, 80, 40003, NF_TCP_RST | NF_TCP_ACK);
	assert_int_equal(ct_step(&syn3, t), NF_CT_NEW);
	assert_int_equal(ct_step(&rst, t), NF_CT_ESTABLISHED);
	struct nf_pkt ack3 = tcp_pkt(PEER_IP, OUR_IP, 40003, 80, NF_TCP_ACK);
	assert_int_equal(ct_step(&ack3, t + 11 * SEC), NF_CT_INVALID);
}

static void test_ct_udp_icmp(void **state)
{
	(void)state;
	u64 t = 100 * SEC;
	assert_int_equal(nf_ct_init(64), 0);

	struct nf_pkt q = udp_pkt(OUR_IP, PEER_IP, 33000, 53);
	struct nf_pkt a = udp_pkt(PEER_IP, OUR_IP, 53, 33000);
	assert_int_equal(ct_step(&q, t), NF_CT_NEW);
	assert_int_equal(ct_step(&a, t + SEC), NF_CT_ESTABLISHED);
	/* Replied: 120 s; a reply 100 s later still belongs. */
	assert_int_equal(ct_step(&a, t + 101 * SEC), NF_CT_ESTABLISHED);
	/* Unreplied UDP: 30 s. */
	struct nf_pkt u = udp_pkt(PEER_IP, OUR_IP, 5000, 7);
	assert_int_equal(ct_step(&u, t), NF_CT_NEW);
	assert_int_equal(ct_step(&u, t + 29 * SEC), NF_CT_NEW);
	struct nf_pkt u_back = udp_pkt(OUR_IP, PEER_IP, 7, 5000);
	struct nf_ct_ref ref;
	nf_ct_lookup(&u_back, t + 60 * SEC, &ref);
	assert_int_equal(u_back.ct_state, NF_CT_NEW); /* expired: new flow */

	/* An ICMP error about the DNS flow is RELATED; about nothing,
	 * INVALID. */
	struct nf_pkt err =
	    icmp_err_pkt(PEER_IP, OUR_IP, OUR_IP, PEER_IP, 33000, 53);
	assert_true(err.icmp_err);
	assert_int_equal(ct_step(&err, t + 102 * SEC), NF_CT_RELATED);
	struct nf_pkt err2 =
	    icmp_err_pkt(PEER_IP, OUR_IP, OUR_IP, PEER_IP, 33001, 53);
	assert_int_equal(ct_step(&err2, t + 102 * SEC), NF_CT_INVALID);

	/* Echo: the request is NEW, its reply ESTABLISHED, a reply
	 * without a request INVALID. */
	struct nf_pkt req = icmp_pkt(PEER_IP, OUR_IP, 8, 0, 9);
	struct nf_pkt rep = icmp_pkt(OUR_IP, PEER_IP, 0, 0, 9);
	struct nf_pkt lone = icmp_pkt(OUR_IP, PEER_IP, 0, 0, 10);
	assert_int_equal(ct_step(&req, t), NF_CT_NEW);
	assert_int_equal(ct_step(&rep, t), NF_CT_ESTABLISHED);
	assert_int_equal(ct_step(&req, t + SEC), NF_CT_ESTABLISHED);
	assert_int_equal(ct_step(&lone, t), NF_CT_INVALID);
}

static void test_ct_cap(void **state)
{
	(void)state;
	u64 t = 100 * SEC;
	struct nf_ct_stats s;
	assert_int_equal(nf_ct_init(8), 0);

	/* Eight replied flows fill the table; a ninth cannot evict any. */
	for (u16 i = 0; i < 8; i++) {
		struct nf_pkt q = udp_pkt(OUR_IP, PEER_IP, 1000 + i, 53);
		struct nf_pkt a = udp_pkt(PEER_IP, OUR_IP, 53, 1000 + i);
		ct_step(&q, t);
		ct_step(&a, t);
	}
	nf_ct_get_stats(&s);
	assert_int_equal(s.count, 8);
	struct nf_pkt q = udp_pkt(OUR_IP, PEER_IP, 2000, 53);
	struct nf_ct_ref ref;
	nf_ct_lookup(&q, t, &ref);
	assert_int_equal(q.ct_state, NF_CT_NEW);
	assert_false(nf_ct_confirm(&q, &ref, t));
	nf_ct_get_stats(&s);
	assert_int_equal(s.drop, 1);
	/* An unreplied flow is evicted to make room (early drop). */
	assert_int_equal(nf_ct_init(2), 0);
	struct nf_pkt u1 = udp_pkt(PEER_IP, OUR_IP, 1, 7);
	struct nf_pkt u2 = udp_pkt(PEER_IP, OUR_IP, 2, 7);
	struct nf_pkt u3 = udp_pkt(PEER_IP, OUR_IP, 3, 7);
	ct_step(&u1, t);
	ct_step(&u2, t);
	ct_step(&u3, t);
	nf_ct_get_stats(&s);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.early_drop, 1);
	/* gc frees what expired. */
	assert_int_equal(nf_ct_gc(t + 31 * SEC, 1024), 2);
	nf_ct_get_stats(&s);
	assert_int_equal(s.count, 0);
	/* A SYN flood's half-open flows (SYN answered by SYN-ACK, no final
	 * ACK) are replied but not assured: a new flow evicts one, while a
	 * completed handshake is kept. */
	assert_int_equal(nf_ct_init(2), 0);
	struct nf_pkt s1 = tcp_pkt(PEER_IP, OUR_IP, 41000, 80, NF_TCP_SYN);
	struct nf_pkt sa1 =
	    tcp_pkt(OUR_IP, PEER_IP, 80, 41000, NF_TCP_SYN | NF_TCP_ACK);
	struct nf_pkt a1 = tcp_pkt(PEER_IP, OUR_IP, 41000, 80, NF_TCP_ACK);
	struct nf_pkt s2 = tcp_pkt(PEER_IP, OUR_IP, 41001, 80, NF_TCP_SYN);
	struct nf_pkt sa2 =
	    tcp_pkt(OUR_IP, PEER_IP, 80, 41001, NF_TCP_SYN | NF_TCP_ACK);
	struct nf_pkt s3 = tcp_pkt(PEER_IP, OUR_IP, 41002, 80, NF_TCP_SYN);
	struct nf_pkt s4 = tcp_pkt(PEER_IP, OUR_IP, 41003, 80, NF_TCP_SYN);
	ct_step(&s1, t);
	ct_step(&sa1, t);
	assert_int_equal(ct_step(&a1, t), NF_CT_ESTABLISHED);
	ct_step(&s2, t);
	ct_step(&sa2, t);
	assert_int_equal(ct_step(&s3, t), NF_CT_NEW); /* evicts s2's flow */
	assert_int_equal(ct_step(&s4, t), NF_CT_NEW); /* evicts s3's flow */
	assert_int_equal(ct_step(&a1, t), NF_CT_ESTABLISHED); /* kept */
	nf_ct_get_stats(&s);
	assert_int_equal(s.early_drop, 2);
	assert_int_equal(s.drop, 0);
	assert_int_equal(nf_ct_init(0), 0);
}

/* A full table whose first 200 slots (where the eviction cursor starts)
 * hold assured flows side by side: a new flow still evicts one of the
 * unassured flows behind them instead of being refused. */
static void test_ct_evict_past_assured_run(void **state)
{
	(void)state;
	u64 t = 100 * SEC;
	struct nf_ct_stats s;
	assert_int_equal(nf_ct_init(256), 0);
	for (u16 i = 0; i < 200; i++) { /* replied: assured */
		struct nf_pkt q = udp_pkt(OUR_IP, PEER_IP, 1000 + i, 53);
		struct nf_pkt a = udp_pkt(PEER_IP, OUR_IP, 53, 1000 + i);
		ct_step(&q, t);
		ct_step(&a, t);
	}
	for (u16 i = 0; i < 56; i++) { /* never replied */
		struct nf_pkt u = udp_pkt(PEER_IP, OUR_IP, 3000 + i, 7);
		ct_step(&u, t);
	}
	nf_ct_get_stats(&s);
	assert_int_equal(s.count, 256);
	for (u16 i = 0; i < 60; i++) {
		struct nf_pkt n = udp_pkt(PEER_IP, OUR_IP, 5000 + i, 7);
		assert_int_equal(ct_step(&n, t), NF_CT_NEW); /* confirmed */
	}
	nf_ct_get_stats(&s);
	assert_int_equal(s.early_drop, 60);
	assert_int_equal(s.drop, 0);
	assert_int_equal(s.count, 256);
	/* Every assured flow is still there. */
	struct nf_pkt a = udp_pkt(PEER_IP, OUR_IP, 53, 1000);
	assert_int_equal(ct_step(&a, t), NF_CT_ESTABLISHED);
	assert_int_equal(nf_ct_init(0), 0);
}

/* A table sized for 100,000 flows (conntrack.max): its hash grows with it
 * (chains of about two), all flows are found again, and the GC walking
 * every chain in turn expires them all. */
static void test_ct_big_table(void **state)
{
	(void)state;
	u64 t = 100 * SEC;
	struct nf_ct_stats s;
	const u32 n = 100000;
	assert_int_equal(nf_ct_init(n), 0);
	assert_true(nf_ct_buckets() >= n / 2);
	for (u32 i = 0; i < n; i++) {
		struct nf_pkt q =
		    udp_pkt(PEER_IP + (i >> 16), OUR_IP, (u16)i, 7);
		assert_int_equal(ct_step(&q, t), NF_CT_NEW);
	}
	nf_ct_get_stats(&s);
	assert_int_equal(s.count, n);
	assert_int_equal(s.drop, 0);
	for (u32 i = 0; i < n; i += 997) {
		struct nf_pkt a =
		    udp_pkt(OUR_IP, PEER_IP + (i >> 16), 7, (u16)i);
		assert_int_equal(ct_step(&a, t), NF_CT_ESTABLISHED);
	}
	u32 gone = 0, b = nf_ct_buckets();
	for (u32 r = 0; r < 8; r++)
		gone += nf_ct_gc(t + 1000 * SEC, b / 8);
	assert_int_equal(gone, n);
	assert_int_equal(nf_ct_init(0), 0);
}

/* ---- the chains ------------------------------------------------------------
 */

static void test_table_edits(void **state)
{
	(void)state;
	struct nf_rule r;
	struct nf_verdict v;
	nf_table_reset();

	apply("-A INPUT -p tcp --dport 22 -j DROP");
	apply("-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset");
	apply("-I INPUT -p tcp --dport 24 -j ACCEPT");
	apply("-I INPUT 2 -p udp -j LOG");
	assert_int_equal(nf_table_count(NF_CHAIN_INPUT), 4);
	assert_true(nf_table_get(NF_CHAIN_INPUT, 0, &r));
	assert_int_equal(r.dport_lo, 24);
	assert_true(nf_table_get(NF_CHAIN_INPUT, 1, &r));
	assert_int_equal(r.target, NF_T_LOG);

	struct nf_pkt p = tcp_pkt(PEER_IP, OUR_IP, 1, 23, NF_TCP_SYN);
	nf_table_eval(NF_CHAIN_INPUT, &p, &v, NULL);
	assert_int_equal(v.target, NF_T_REJECT);
	assert_int_equal(v.reject_with, NF_REJ_TCP_RESET);
	assert_int_equal(v.rule, 3);
	/* LOG counts and goes on; the policy decides. */
	struct nf_pkt u = udp_pkt(PEER_IP, OUR_IP, 1, 9);
	nf_table_eval(NF_CHAIN_INPUT, &u, &v, NULL);
	assert_int_equal(v.target, NF_T_ACCEPT);
	assert_int_equal(v.rule, -1);
	assert_true(nf_table_get(NF_CHAIN_INPUT, 1, &r));
	assert_int_equal(r.pkts, 1);
	assert_int_equal(r.bytes, 28);
	u64 pk, by;
	nf_table_policy_counters(NF_CHAIN_INPUT, &pk, &by);
	assert_int_equal(pk, 1);

	apply("-P INPUT DROP");
	nf_table_eval(NF_CHAIN_INPUT, &u, &v, NULL);
	assert_int_equal(v.target, NF_T_DROP);

	/* Delete by specification and by number; errors. */
	apply("-D INPUT -p tcp --dport 22 -j DROP");
	assert_int_equal(nf_table_count(NF_CHAIN_INPUT), 3);
	apply("-D INPUT 1");
	assert_true(nf_table_get(NF_CHAIN_INPUT, 0, &r));
	assert_int_equal(r.target, NF_T_LOG);
	struct nf_cmd c;
	struct nf_parse_error e;
	assert_int_equal(parse_line("-D INPUT 9", &c, &e), 0);
	assert_int_equal(nf_table_apply(&c), -ERANGE);
	assert_int_equal(
	    parse_line("-D INPUT -p tcp --dport 99 -j DROP", &c, &e), 0);
	assert_int_equal(nf_table_apply(&c), -ENOENT);
	apply("-Z");
	assert_true(nf_table_get(NF_CHAIN_INPUT, 0, &r));
	assert_int_equal(r.pkts, 0);
	apply("-F INPUT");
	assert_int_equal(nf_table_count(NF_CHAIN_INPUT), 0);
	nf_table_reset();
}

/* Random rules and packets: the pre-dispatch walk gives the verdict, the
 * deciding rule and the counters of the linear walk. */
static u32 rnd_state = 12345;
static u32 rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void random_rule(char *buf, size_t n)
{
	static const char *const protos[] = {"", "-p tcp ", "-p udp ",
					     "-p icmp ", "-p 47 "};
	static const char *const targets[] = {"ACCEPT", "DROP", "REJECT",
					      "LOG"};
	int pr = (int)(rnd() % 5);
	char ports[64] = "";
	if (pr == 1 || pr == 2) {
		u32 lo = rnd() % 200, kind = rnd() % 4;
		if (kind == 0)
			snprintf(ports, sizeof(ports), "--dport %u ", lo);
		else if (kind == 1)
			snprintf(ports, sizeof(ports), "--dport %u:%u ", lo,
				 lo + rnd() % 100);
		else if (kind == 2)
			snprintf(ports, sizeof(ports), "! --dport %u ", lo);
	}
	snprintf(buf, n, "-A INPUT %s%s%s-j %s", protos[pr], ports,
		 rnd() % 4 == 0 ? "-s 198.18.0.0/25 " : "", targets[rnd() % 4]);
}

static struct nf_pkt random_pkt(void)
{
	u32 src = rnd() % 2 ? PEER_IP : IPV4(198, 18, 0, 200);
	u16 port = (u16)(rnd() % 300);
	switch (rnd() % 4) {
	case 0:
		return tcp_pkt(src, OUR_IP, 1234, port, NF_TCP_SYN);
	case 1:
		return udp_pkt(src, OUR_IP, 1234, port);
	case 2:
		return icmp_pkt(src, OUR_IP, 8, 0, port);
	}
	u8 b[40], body[8] = {0};
	struct nf_pkt p;
	u32 len = build_ip(b, 47, src, OUR_IP, body, 8);
	nf_pkt_parse(b, len, &p);
	return p;
}

static void test_dispatch_equals_linear(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		char line[200];
		nf_table_reset();
		u32 nrules = 1 + rnd() % 150;
		for (u32 i = 0; i < nrules; i++) {
			random_rule(line, sizeof(line));
			apply(line);
		}
		for (int k = 0; k < 300; k++) {
			struct nf_pkt p = random_pkt();
			struct nf_verdict a, b;
			nf_table_set_dispatch(false);
			nf_table_eval(NF_CHAIN_INPUT, &p, &a, NULL);
			nf_table_set_dispatch(true);
			nf_table_eval(NF_CHAIN_INPUT, &p, &b, NULL);
			assert_int_equal(a.target, b.target);
			assert_int_equal(a.rule, b.rule);
		}
		/* Each rule counted the same from both walks: even. */
		struct nf_rule r;
		for (u32 i = 0; nf_table_get(NF_CHAIN_INPUT, i, &r); i++)
			assert_int_equal(r.pkts % 2, 0);
	}
	nf_table_reset();
}

static double bench_ns(u32 nrules, bool dispatch, struct nf_pkt *pkts,
		       u32 npkts)
{
	struct nf_verdict v;
	struct timespec a, b;
	u32 iters = 200;

	nf_table_set_dispatch(dispatch);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (u32 it = 0; it < iters; it++)
		for (u32 k = 0; k < npkts; k++)
			nf_table_eval(NF_CHAIN_INPUT, &pkts[k], &v, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	nf_table_set_dispatch(true);
	(void)nrules;
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 +
		    (double)(b.tv_nsec - a.tv_nsec);
	return ns / ((double)iters * npkts);
}

/*
 * The cost of a verdict with N "one port per rule" rules (a typical
 * allow-list) plus a state rule first and a LOG+DROP at the end, for a
 * packet that matches nothing (the worst case: every rule is tried).
 * Printed, not asserted beyond a loose bound: timing on a shared host
 * varies, and this binary runs with ASan.
 */
static void test_bench(void **state)
{
	(void)state;
	static struct nf_pkt pkts[64];
	char line[128];

	for (u32 k = 0; k < 64; k++)
		pkts[k] = tcp_pkt(PEER_IP, OUR_IP, 40000, (u16)(50000 + k),
				  NF_TCP_SYN);
	for (u32 n = 100; n <= 1000; n *= 10) {
		nf_table_reset();
		apply("-A INPUT -m state --state ESTABLISHED,RELATED -j "
		      "ACCEPT");
		for (u32 i = 0; i < n; i++) {
			snprintf(line, sizeof(line),
				 "-A INPUT -p %s --dport %u -j ACCEPT",
				 i % 2 ? "udp" : "tcp", 1000 + i);
			apply(line);
		}
		apply("-A INPUT -p icmp -j ACCEPT");
		double lin = bench_ns(n, false, pkts, 64);
		double dis = bench_ns(n, true, pkts, 64);
		print_message("netfilter bench: %u rules: linear %.0f ns, "
			      "pre-dispatch %.0f ns per packet\n",
			      n + 2, lin, dis);
		assert_true(dis < lin);
	}
	nf_table_reset();
}

/* ---- the hooks on the host-built stack --------------------------------------
 */

static void filter_stack_up(void)
{
	static bool done;

	ipt_stack_up();
	if (done)
		return;
	done = true;
	static const char rules[] =
	    "# skiff.rules\n"
	    "-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset\n"
	    "-A INPUT -p udp --dport 9 -j REJECT --reject-with "
	    "icmp-admin-prohibited\n"
	    "-A INPUT -p udp --dport 11 -j DROP\n"
	    "-A INPUT -p udpp --dport 12 -j DROP\n"
	    "\n";
	struct skiff_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.filter[0], "-A INPUT -p udp --dport 10 -j REJECT "
			      "--reject-with icmp-host-unreachable");
	cfg.filter_count = 1;
	host_log_reset();
	nf_table_reset();
	netfilter_init(&cfg, rules, sizeof(rules) - 1);
	/* The bad line is refused with its origin and the bad word. */
	assert_true(host_log_contains("skiff.rules:5"));
	assert_true(host_log_contains("'udpp'"));
	assert_int_equal(nf_table_count(NF_CHAIN_INPUT), 4);
}

static int nf_setup(void **state)
{
	filter_stack_up();
	return ipt_setup(state);
}

static size_t tcp_frame(u8 *f, u16 dport, u8 flags, u32 seq, u32 ack)
{
	u8 th[20] = {0};
	struct iphdr_info h = ipt_hdr(IPPROTO_TCP);

	store_be16(th, 40000);
	store_be16(th + 2, dport);
	store_be32(th + 4, seq);
	store_be32(th + 8, ack);
	th[12] = 5 << 4;
	th[13] = flags;
	th[14] = 0x10;
	u32 sum = csum_tcpudp_nofold(PEER_IP, OUR_IP, 20, IPPROTO_TCP, 0);
	store_be16(th + 16, csum_fold(csum_partial(th, 20, sum)));
	return ipt_ip_frame(f, &h, th, 20);
}

static size_t udp_frame(u8 *f, u16 dport)
{
	u8 uh[12] = {0};
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);

	store_be16(uh, 40000);
	store_be16(uh + 2, dport);
	store_be16(uh + 4, sizeof(uh));
	return ipt_ip_frame(f, &h, uh, sizeof(uh));
}

static void test_hook_tcp_reset(void **state)
{
	(void)state;
	u8 f[128], out[128];

	ipt_learn_peer();
	/* A SYN: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>. */
	ipt_rx(f, tcp_frame(f, 22, NF_TCP_SYN, 5000, 0));
	int n = ipt_pop(out, sizeof(out));
	assert_int_equal(n, 14 + 20 + 20);
	const u8 *ip = out + 14, *th = ip + 20;
	assert_int_equal(ip[9], IPPROTO_TCP);
	assert_int_equal(load_be32(ip + 12), OUR_IP);
	assert_int_equal(load_be32(ip + 16), PEER_IP);
	assert_int_equal(load_be16(th), 22);
	assert_int_equal(load_be16(th + 2), 40000);
	assert_int_equal(load_be32(th + 4), 0);
	assert_int_equal(load_be32(th + 8), 5001);
	assert_int_equal(th[13], NF_TCP_RST | NF_TCP_ACK);
	u32 sum = csum_tcpudp_nofold(OUR_IP, PEER_IP, 20, IPPROTO_TCP, 0);
	assert_int_equal(csum_fold(csum_partial(th, 20, sum)), 0);
	/* An ACK: <SEQ=SEG.ACK><CTL=RST>. */
	ipt_rx(f, tcp_frame(f, 22, NF_TCP_ACK, 5000, 777));
	ipt_pop(out, sizeof(out));
	assert_int_equal(load_be32(th + 4), 777);
	assert_int_equal(th[13], NF_TCP_RST);
	/* A reset gets nothing. */
	ipt_rx(f, tcp_frame(f, 22, NF_TCP_RST, 5000, 0));
	assert_true(host_fakedev_pop_tx(eth0, out, sizeof(out)) < 0);
}

static void test_hook_icmp_and_drop(void **state)
{
	(void)state;
	u8 f[128], out[256];

	ipt_learn_peer();
	ipt_rx(f, udp_frame(f, 9));
	int n = ipt_pop(out, sizeof(out));
	assert_true(n >= 14 + 20 + 8 + 28);
	assert_int_equal(out[14 + 9], IPPROTO_ICMP);
	assert_int_equal(out[34], ICMP_DEST_UNREACH);
	assert_int_equal(out[35], ICMP_PKT_FILTERED);
	icmp_ratelimit_reset();
	ipt_rx(f, udp_frame(f, 10));
	ipt_pop(out, sizeof(out));
	assert_int_equal(out[35], ICMP_HOST_UNREACH);
	/* DROP: silence, and the UDP layer never saw it. */
	u64 before = snmp_get(MIB_UdpNoPorts);
	ipt_rx(f, udp_frame(f, 11));
	assert_true(host_fakedev_pop_tx(eth0, out, sizeof(out)) < 0);
	assert_int_equal(snmp_get(MIB_UdpNoPorts), before);

	/* The counters, as `filter -L -v -n` prints them. */
	assert_int_equal(nf_run_line("-L INPUT -v -n", "test"), 0);
	const char *o = host_shell_output();
	assert_non_null(strstr(o, "Chain INPUT (policy ACCEPT"));
	assert_non_null(strstr(o, "       1       32 DROP       udp  --"));
	assert_non_null(strstr(o, "udp dpt:9 reject-with "
				  "icmp-admin-prohibited"));
	assert_non_null(strstr(o, "tcp dpt:22 reject-with tcp-reset"));
	/* -S prints commands that load back as the same rules. */
	host_shell_reset();
	assert_int_equal(nf_run_line("-S INPUT", "test"), 0);
	o = host_shell_output();
	assert_non_null(strstr(o, "-P INPUT ACCEPT\n"));
	assert_non_null(strstr(o, "-A INPUT -p tcp --dport 22 -j REJECT "
				  "--reject-with tcp-reset\n"));
	host_shell_reset();
	assert_int_equal(nf_run_line("-A INPUT -p tcpp -j DROP", "console"),
			 SHELL_ERR_SHOWN);
	assert_non_null(strstr(host_shell_output(), "'tcpp'"));
	assert_non_null(strstr(host_shell_output(), "^^^^"));
	assert_int_equal(host_locks_held(), 0);
}

/* An established flow survives a rule that drops NEW: ping's echo flow
 * keeps answering, a new identifier does not. */
static void test_hook_established_survives(void **state)
{
	(void)state;
	u8 f[256], out[256], body[8] = {0};
	struct icmphdr_info ih = {.type = ICMP_ECHO};

	ipt_learn_peer();
	ih.rest = 0x00420001; /* id 0x42, seq 1 */
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	ipt_pop(out, sizeof(out));
	assert_int_equal(
	    nf_run_line("-I INPUT -m state --state NEW -j DROP", "test"), 0);
	ih.rest = 0x00420002;
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	ipt_pop(out, sizeof(out)); /* answered */
	ih.rest = 0x00430001;
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, sizeof(body)));
	assert_true(host_fakedev_pop_tx(eth0, out, sizeof(out)) < 0);
	assert_int_equal(nf_run_line("-D INPUT 1", "test"), 0);
	/* The echo flow in `conntrack -L`, and the state rule's count. */
	assert_int_equal(host_shell_run("conntrack -L"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "src=198.18.0.1 dst=198.18.0.2 sport=66 "
			       "dport=66 [ASSURED]"));
	assert_int_equal(host_shell_run("conntrack -S"), 0);
	assert_non_null(strstr(host_shell_output(), "max 4096"));
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_commands),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_split_words),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_pkt_parse_bounds),
	    cmocka_unit_test(test_ct_tcp),
	    cmocka_unit_test(test_ct_udp_icmp),
	    cmocka_unit_test(test_ct_cap),
	    cmocka_unit_test(test_ct_evict_past_assured_run),
	    cmocka_unit_test(test_ct_big_table),
	    cmocka_unit_test(test_table_edits),
	    cmocka_unit_test(test_dispatch_equals_linear),
	    cmocka_unit_test(test_bench),
	};
	const struct CMUnitTest stack[] = {
	    cmocka_unit_test_setup_teardown(test_hook_tcp_reset, nf_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_hook_icmp_and_drop, nf_setup,
					    ipt_teardown),
	    cmocka_unit_test_setup_teardown(test_hook_established_survives,
					    nf_setup, ipt_teardown),
	};
	int failed = cmocka_run_group_tests_name("netfilter", pure, NULL, NULL);
	failed +=
	    cmocka_run_group_tests_name("netfilter_stack", stack, NULL, NULL);
	return failed;
}
