/*
 * test_config.c - host tests for kernel/config.c: good lines for every
 * key, quoting, comments, several lines, source precedence, bad values
 * (reported once, old value kept), garbage input, and the format/parse
 * round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/config.h>

/* Collects reports and checks each is bounded and printable. */
struct msgs {
	int count;
	char last[CFG_MSG_MAX];
	char all[4096];
};

static void collect(void *ctx, const char *msg)
{
	struct msgs *m = ctx;
	size_t len = strlen(msg);

	assert_true(len < CFG_MSG_MAX);
	for (size_t i = 0; i < len; i++)
		assert_true(msg[i] >= 0x20 && msg[i] < 0x7f);
	assert_int_equal(strncmp(msg, "config: ", 8), 0);
	m->count++;
	memcpy(m->last, msg, len + 1);
	if (strlen(m->all) + len + 2 < sizeof(m->all)) {
		strcat(m->all, msg);
		strcat(m->all, "\n");
	}
}

static int parse(struct skiff_config *c, const char *text, enum cfg_source src,
		 struct msgs *m)
{
	memset(m, 0, sizeof(*m));
	return config_parse(c, text, strlen(text), src, collect, m);
}

/* The "key=value" the config command shows for key id. */
static const char *shown(const struct skiff_config *c, unsigned id)
{
	static char buf[8192];

	config_format_key(c, id, buf, sizeof(buf));
	return buf;
}

static void test_defaults(void **state)
{
	struct skiff_config c;

	(void)state;
	config_defaults(&c);
	assert_true(c.ip_dhcp);
	assert_string_equal(c.hostname, "skiff");
	assert_int_equal(c.mtu, 1500);
	assert_int_equal(c.http_port, 80);
	assert_int_equal(c.echo_port, 7);
	assert_int_equal(c.echo_idle_timeout, 300);
	assert_int_equal(c.log_level, CFG_LOG_INFO);
	assert_false(c.panic_reboot);
	assert_string_equal(c.console, "both");
	assert_string_equal(c.app, "http");
	assert_string_equal(c.tcp_cc, "cubic");
	assert_int_equal(c.smp, 0);
	assert_int_equal(c.filter_count + c.route_count + c.dns_count, 0);
	assert_string_equal(shown(&c, CFG_IP), "ip=dhcp");
	assert_string_equal(shown(&c, CFG_GW), "gw=none");
	assert_string_equal(shown(&c, CFG_DNS), "dns=none");
	assert_string_equal(shown(&c, CFG_MAC), "mac=auto");
	assert_string_equal(shown(&c, CFG_LOG), "log=info");
	assert_string_equal(shown(&c, CFG_PANIC), "panic=halt");
	assert_string_equal(shown(&c, CFG_FILTER), "filter=");
	assert_string_equal(shown(&c, CFG_SMP), "smp=all");
	assert_int_equal(c.tcp_mem_mb, 0);
	assert_string_equal(shown(&c, CFG_TCP_MEM), "tcp.mem=auto");
	assert_string_equal(shown(&c, CFG_CONNTRACK_MAX), "conntrack.max=auto");
	assert_true(c.nic_offload);
	assert_int_equal(c.net_busy_poll_us, NET_BUSY_POLL_US_DEFAULT);
	assert_true(c.nohz);
	assert_string_equal(shown(&c, CFG_TBF_RATE), "tbf.rate=off");
	assert_string_equal(shown(&c, CFG_TBF_BURST), "tbf.burst=auto");
	assert_string_equal(shown(&c, CFG_TBF_LATENCY), "tbf.latency=50");
	for (unsigned i = 0; i < CFG_NKEYS; i++)
		assert_int_equal(c.src[i], CFG_SRC_DEFAULT);
}

static const char good_line[] =
    "ip=192.0.2.10/24 gw=192.0.2.1 dns=1.1.1.1,8.8.8.8 "
    "hostname=edge-1.lab mac=52:54:00:12:34:56 mtu=9000 http.port=8080 "
    "echo.port=7007 log=debug panic=reboot console=serial "
    "filter=\"-A INPUT -p tcp --dport 22 -j DROP\" "
    "route=10.0.0.0/8,192.0.2.254 app=reflect tcp.cc=newreno smp=4 "
    "http.max_conns=500 http.header_timeout=5 http.idle_timeout=30 "
    "http.write_timeout=20 http.body_max=4096 http.pcap=on "
    "tcp.mem=256 nic.offload=off conntrack.max=200000 echo.idle_timeout=0 "
    "net.busy_poll_us=250 nohz=off tbf.rate=10Mbit tbf.burst=32k "
    "tbf.latency=20";

static void test_good_line(void **state)
{
	const u8 mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct skiff_config c;
	struct msgs m;

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c, good_line, CFG_SRC_FILE, &m), 0);
	assert_int_equal(m.count, 0);
	assert_false(c.ip_dhcp);
	assert_int_equal(c.ip_addr, 0xc000020a);
	assert_int_equal(c.ip_prefix, 24);
	assert_int_equal(c.gw, 0xc0000201);
	assert_int_equal(c.dns_count, 2);
	assert_int_equal(c.dns[0], 0x01010101);
	assert_int_equal(c.dns[1], 0x08080808);
	assert_string_equal(c.hostname, "edge-1.lab");
	assert_true(c.mac_set);
	assert_memory_equal(c.mac, mac, 6);
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.http_port, 8080);
	assert_int_equal(c.echo_port, 7007);
	assert_int_equal(c.echo_idle_timeout, 0); /* 0: never */
	assert_int_equal(c.log_level, CFG_LOG_DEBUG);
	assert_true(c.panic_reboot);
	assert_string_equal(c.console, "serial");
	assert_int_equal(c.filter_count, 1);
	assert_string_equal(c.filter[0], "-A INPUT -p tcp --dport 22 -j DROP");
	assert_int_equal(c.route_count, 1);
	assert_string_equal(c.route[0], "10.0.0.0/8,192.0.2.254");
	assert_string_equal(c.app, "reflect");
	assert_string_equal(c.tcp_cc, "newreno");
	assert_int_equal(c.smp, 4);
	assert_int_equal(c.http_max_conns, 500);
	assert_int_equal(c.http_header_timeout, 5);
	assert_int_equal(c.http_idle_timeout, 30);
	assert_int_equal(c.http_write_timeout, 20);
	assert_int_equal(c.http_body_max, 4096);
	assert_true(c.http_pcap);
	assert_int_equal(c.tcp_mem_mb, 256);
	assert_false(c.nic_offload);
	assert_string_equal(shown(&c, CFG_NIC_OFFLOAD), "nic.offload=off");
	assert_int_equal(c.conntrack_max, 200000);
	assert_string_equal(shown(&c, CFG_CONNTRACK_MAX),
			    "conntrack.max=200000");
	assert_int_equal(c.net_busy_poll_us, 250);
	assert_string_equal(shown(&c, CFG_NET_BUSY_POLL_US),
			    "net.busy_poll_us=250");
	assert_false(c.nohz);
	assert_string_equal(shown(&c, CFG_NOHZ), "nohz=off");
	assert_int_equal(c.tbf_rate, 10000000);
	assert_string_equal(shown(&c, CFG_TBF_RATE), "tbf.rate=10Mbit");
	assert_int_equal(c.tbf_burst, 32768);
	assert_string_equal(shown(&c, CFG_TBF_BURST), "tbf.burst=32768");
	assert_int_equal(c.tbf_latency_ms, 20);
	for (unsigned i = 0; i < CFG_NKEYS; i++)
		assert_int_equal(c.src[i], CFG_SRC_FILE);
	assert_string_equal(shown(&c, CFG_IP), "ip=192.0.2.10/24");
	assert_string_equal(shown(&c, CFG_MAC), "mac=52:54:00:12:34:56");
	assert_string_equal(shown(&c, CFG_FILTER),
			    "filter=\"-A INPUT -p tcp --dport 22 -j DROP\"");
	assert_int_equal(
	    config_parse(&c, "ip=dhcp log=error", 17, CFG_SRC_FILE, NULL, NULL),
	    0);
	assert_true(c.ip_dhcp);
	assert_int_equal(c.log_level, CFG_LOG_ERROR);
}

/* The exact messages of the interface's documentation. */
static void test_messages(void **state)
{
	struct skiff_config c;
	struct msgs m;

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c, "fooo=1", CFG_SRC_FILE, &m), 1);
	assert_string_equal(m.last,
			    "config: skiff.cfg: unknown key 'fooo' (ignored)");
	assert_int_equal(parse(&c, "mtu=99999", CFG_SRC_FWCFG, &m), 1);
	assert_string_equal(m.last, "config: fw_cfg: bad value for 'mtu': "
				    "'99999' (want 576..9000; keeping 1500)");
	assert_int_equal(parse(&c, "mtu", CFG_SRC_LOADOPT, &m), 1);
	assert_string_equal(m.last, "config: loadopt: missing value for 'mtu' "
				    "(want mtu=576..9000; keeping 1500)");
	assert_int_equal(parse(&c, "route=1.2.3.4", CFG_SRC_FILE, &m), 1);
	assert_string_equal(m.last, "config: skiff.cfg: bad value for 'route': "
				    "'1.2.3.4' (want NET/LEN,GW like "
				    "10.0.0.0/8,192.0.2.1; not added)");
	assert_int_equal(parse(&c, "filter=\"-A x", CFG_SRC_FILE, &m), 1);
	assert_string_equal(m.last, "config: skiff.cfg: unterminated quote in "
				    "value for 'filter' (ignored)");
	/* A long "want" arrives whole. */
	assert_int_equal(parse(&c, "tbf.rate=fast", CFG_SRC_FILE, &m), 1);
	assert_string_equal(m.last, "config: skiff.cfg: bad value for "
				    "'tbf.rate': 'fast' (want off or a rate of "
				    "at least 8kbit, like 10mbit (bit, kbit, "
				    "mbit, gbit); keeping off)");
	assert_int_equal(parse(&c, "mtu=1400 fooo bar=", CFG_SRC_FILE, &m), 2);
	assert_int_equal(m.count, 2);
	assert_int_equal(c.mtu, 1400);
	assert_string_equal(m.last,
			    "config: skiff.cfg: unknown key 'bar' (ignored)");
}

struct bad_case {
	unsigned key;
	const char *word;
};

/* Each is rejected with one message naming key, source and value. */
static const struct bad_case bad_cases[] = {
    {CFG_IP, "ip=192.0.2.1"},
    {CFG_IP, "ip=192.0.2.1/33"},
    {CFG_IP, "ip=0.0.0.0/8"},
    {CFG_IP, "ip=224.0.0.1/4"},
    {CFG_IP, "ip=1.2.3/8"},
    {CFG_IP, "ip=DHCP"},
    {CFG_IP, "ip=1.2.3.4/"},
    {CFG_IP, "ip=01.2.3.4/8"},
    {CFG_GW, "gw=1.2.3.256"},
    {CFG_GW, "gw=255.255.255.255"},
    {CFG_GW, "gw="},
    {CFG_DNS, "dns=1.1.1.1,"},
    {CFG_DNS, "dns=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4"},
    {CFG_DNS, "dns=1.1.1.1;2.2.2.2"},
    {CFG_HOSTNAME, "hostname="},
    {CFG_HOSTNAME, "hostname=-abc"},
    {CFG_HOSTNAME, "hostname=abc-"},
    {CFG_HOSTNAME, "hostname=a..b"},
    {CFG_HOSTNAME, "hostname=a_b"},
    {CFG_HOSTNAME, "hostname=.ab"},
    {CFG_HOSTNAME, "hostname=ab."},
    {CFG_HOSTNAME, "hostname=a-.b"},
    {CFG_HOSTNAME,
     "hostname=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
     "abcd"},
    {CFG_MAC, "mac=01:00:5e:00:00:01"},
    {CFG_MAC, "mac=00:00:00:00:00:00"},
    {CFG_MAC, "mac=ff:ff:ff:ff:ff:ff"},
    {CFG_MAC, "mac=52:54:00:12:34"},
    {CFG_MAC, "mac=52:54:00:12:34:5g"},
    {CFG_MAC, "mac=52.54.00.12.34.56"},
    {CFG_MTU, "mtu=575"},
    {CFG_MTU, "mtu=9001"},
    {CFG_MTU, "mtu=-1500"},
    {CFG_MTU, "mtu=1500x"},
    {CFG_MTU, "mtu="},
    {CFG_MTU, "mtu=99999999999999999999"},
    {CFG_HTTP_PORT, "http.port=0"},
    {CFG_HTTP_PORT, "http.port=65536"},
    {CFG_ECHO_PORT, "echo.port=4294967297"},
    {CFG_HTTP_MAX_CONNS, "http.max_conns=0"},
    {CFG_HTTP_MAX_CONNS, "http.max_conns=1000001"},
    {CFG_HTTP_HEADER_TIMEOUT, "http.header_timeout=0"},
    {CFG_HTTP_IDLE_TIMEOUT, "http.idle_timeout=10s"},
    {CFG_HTTP_WRITE_TIMEOUT, "http.write_timeout=3601"},
    {CFG_HTTP_BODY_MAX, "http.body_max=1073741825"},
    {CFG_HTTP_PCAP, "http.pcap=yes"},
    {CFG_LOG, "log=verbose"},
    {CFG_LOG, "log="},
    {CFG_PANIC, "panic=explode"},
    {CFG_CONSOLE, "console=vga"},
    {CFG_APP, "app=ftp"},
    {CFG_TBF_RATE, "tbf.rate=7999"},
    {CFG_TBF_RATE, "tbf.rate=10mbps"},
    {CFG_TBF_RATE, "tbf.rate=mbit"},
    {CFG_TBF_RATE, "tbf.rate=2000gbit"},
    {CFG_TBF_BURST, "tbf.burst=1513"},
    {CFG_TBF_BURST, "tbf.burst=65m"},
    {CFG_TBF_BURST, "tbf.burst=32kib"},
    {CFG_TBF_BURST, "tbf.burst=k"},
    {CFG_TBF_LATENCY, "tbf.latency=0"},
    {CFG_TBF_LATENCY, "tbf.latency=50ms"},
    {CFG_TCP_CC, "tcp.cc=bbr"},
    {CFG_SMP, "smp=0"},
    {CFG_SMP, "smp=257"},
    {CFG_TCP_MEM, "tcp.mem=3"},
    {CFG_TCP_MEM, "tcp.mem=65537"},
    {CFG_TCP_MEM, "tcp.mem=lots"},
    {CFG_CONNTRACK_MAX, "conntrack.max=63"},
    {CFG_CONNTRACK_MAX, "conntrack.max=4194305"},
    {CFG_CONNTRACK_MAX, "conntrack.max=-1"},
    {CFG_NET_BUSY_POLL_US, "net.busy_poll_us=10001"},
    {CFG_NET_BUSY_POLL_US, "net.busy_poll_us=-5"},
    {CFG_NET_BUSY_POLL_US, "net.busy_poll_us=50us"},
    {CFG_NET_BUSY_POLL_US, "net.busy_poll_us="},
    {CFG_NOHZ, "nohz=1"},
    {CFG_NOHZ, "nohz=idle"},
    {CFG_FILTER, "filter=\"   \""},
    {CFG_FILTER, "filter=\"a\tb\""},
    {CFG_ROUTE, "route=10.0.0.1/8,1.2.3.4"},
    {CFG_ROUTE, "route=10.0.0.0/8"},
    {CFG_ROUTE, "route=10.0.0.0/8,0.0.0.0"},
    {CFG_ROUTE, "route=10.0.0.0,1.2.3.4"},
};

static void test_bad_values_keep_old(void **state)
{
	struct skiff_config c;
	struct msgs m;
	char before[8192], want[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];
		const char *eq = strchr(bc->word, '=');

		config_defaults(&c);
		assert_int_equal(parse(&c, good_line, CFG_SRC_FILE, &m), 0);
		strcpy(before, shown(&c, bc->key));
		if (parse(&c, bc->word, CFG_SRC_FWCFG, &m) != 1)
			fail_msg("accepted: %s", bc->word);
		assert_int_equal(m.count, 1);
		snprintf(want, sizeof(want), "'%s'", config_key_name(bc->key));
		assert_non_null(strstr(m.last, want));
		assert_non_null(strstr(m.last, "fw_cfg"));
		assert_non_null(strstr(m.last, "bad value"));
		if (strlen(eq + 1) < 40 && !strchr(eq, '"') &&
		    !strchr(eq, '\t'))
			assert_non_null(strstr(m.last, eq + 1));
		assert_string_equal(before, shown(&c, bc->key));
		assert_int_equal(c.src[bc->key], CFG_SRC_FILE);
	}
}

static void test_quoting(void **state)
{
	struct skiff_config c;
	struct msgs m;

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c,
			       "filter=\"a b\" filter=x\"y z\"w "
			       "\"mtu=1400\" filter=\"-j LOG # not a comment\" "
			       "hostname=\"\"box\"\"",
			       CFG_SRC_FILE, &m),
			 0);
	assert_int_equal(c.filter_count, 3);
	assert_string_equal(c.filter[0], "a b");
	assert_string_equal(c.filter[1], "xy zw");
	assert_string_equal(c.filter[2], "-j LOG # not a comment");
	assert_int_equal(c.mtu, 1400);
	assert_string_equal(c.hostname, "box");
	assert_string_equal(shown(&c, CFG_FILTER),
			    "filter=\"a b\" filter=\"xy zw\" "
			    "filter=\"-j LOG # not a comment\"");
}

static void test_comments_and_lines(void **state)
{
	static const char file[] =
	    "# skiff.cfg\r\n"
	    "ip=192.0.2.7/24\t gw=192.0.2.1  # the router\r\n"
	    "\n"
	    "   # an indented comment with mtu=600 in it\n"
	    "mtu=1400#right after a value\n"
	    "filter=\"-A INPUT -j DROP\"\n"
	    "\thttp.port=81\f\vecho.port=8\n"
	    "hostname=quoted\"#\"x # '#' inside quotes is not a comment\n"
	    "#log=debug";
	struct skiff_config c;
	struct msgs m;

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse(&c, file, CFG_SRC_FILE, &m), 1);
	assert_non_null(strstr(m.last, "'hostname'")); /* '#' is not allowed */
	assert_int_equal(c.ip_addr, 0xc0000207);
	assert_int_equal(c.gw, 0xc0000201);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.filter_count, 1);
	assert_int_equal(c.http_port, 81);
	assert_int_equal(c.echo_port, 8);
	assert_string_equal(c.hostname, "skiff");
	assert_int_equal(c.log_level, CFG_LOG_INFO);
	/* A quote does not run past its line. */
	assert_int_equal(
	    parse(&c, "filter=\"abc\nmtu=1300\n", CFG_SRC_FILE, &m), 1);
	assert_int_equal(c.mtu, 1300);
	assert_int_equal(c.filter_count, 1);
}

static void test_later_source_wins(void **state)
{
	struct skiff_config c;
	struct msgs m;

	(void)state;
	config_defaults(&c);
	parse(&c, "mtu=1400 http.port=81 echo.port=9", CFG_SRC_FILE, &m);
	parse(&c, "mtu=1450", CFG_SRC_FWCFG, &m);
	parse(&c, "http.port=82 echo.port=0", CFG_SRC_LOADOPT, &m);
	assert_int_equal(m.count, 1);
	assert_int_equal(c.mtu, 1450);
	assert_int_equal(c.src[CFG_MTU], CFG_SRC_FWCFG);
	assert_int_equal(c.http_port, 82);
	assert_int_equal(c.src[CFG_HTTP_PORT], CFG_SRC_LOADOPT);
	assert_int_equal(c.echo_port, 9); /* the bad later value lost */
	assert_int_equal(c.src[CFG_ECHO_PORT], CFG_SRC_FILE);
	assert_int_equal(c.src[CFG_HOSTNAME], CFG_SRC_DEFAULT);
	assert_int_equal(config_format_key(&c, CFG_MTU, NULL, 0),
			 CFG_SRC_FWCFG);
	assert_string_equal(config_source_name(CFG_SRC_DEFAULT), "default");
	assert_string_equal(config_source_name(CFG_SRC_FILE), "skiff.cfg");
	assert_string_equal(config_source_name(CFG_SRC_FWCFG), "fw_cfg");
	assert_string_equal(config_source_name(CFG_SRC_LOADOPT), "loadopt");
	assert_string_equal(config_source_name(CFG_SRC_CONSOLE), "console");
	assert_string_equal(config_source_name((enum cfg_source)99), "?");
}

static void test_repeatable(void **state)
{
	struct skiff_config c;
	struct msgs m;
	char line[64];

	(void)state;
	config_defaults(&c);
	for (int i = 0; i < CFG_MAX_FILTERS + 1; i++) {
		snprintf(line, sizeof(line), "filter=\"-A INPUT -s 10.0.0.%d\"",
			 i);
		assert_int_equal(parse(&c, line, CFG_SRC_FILE, &m),
				 i < CFG_MAX_FILTERS ? 0 : 1);
	}
	assert_int_equal(c.filter_count, CFG_MAX_FILTERS);
	assert_non_null(strstr(m.last, "too many 'filter' values (max 32"));
	assert_string_equal(c.filter[31], "-A INPUT -s 10.0.0.31");
	assert_int_equal(parse(&c, "filter= filter=x", CFG_SRC_FWCFG, &m), 0);
	assert_int_equal(c.filter_count, 1);
	assert_string_equal(c.filter[0], "x");
	assert_int_equal(parse(&c,
			       "route=0.0.0.0/0,192.0.2.1 "
			       "route=198.18.0.0/15,198.18.0.1 "
			       "route=10.1.2.3/32,10.0.0.1",
			       CFG_SRC_FILE, &m),
			 0);
	assert_int_equal(c.route_count, 3);
	assert_string_equal(shown(&c, CFG_ROUTE),
			    "route=0.0.0.0/0,192.0.2.1 "
			    "route=198.18.0.0/15,198.18.0.1 "
			    "route=10.1.2.3/32,10.0.0.1");
	assert_int_equal(parse(&c, "route=", CFG_SRC_FILE, &m), 0);
	assert_int_equal(c.route_count, 0);
	for (int i = 0; i < CFG_MAX_ROUTES + 2; i++)
		parse(&c, "route=10.0.0.0/8,10.0.0.1", CFG_SRC_FILE, &m);
	assert_int_equal(c.route_count, CFG_MAX_ROUTES);
	assert_int_equal(parse(&c, "dns=9.9.9.9 dns=", CFG_SRC_FILE, &m), 0);
	assert_int_equal(c.dns_count, 0);
	assert_int_equal(parse(&c, "dns=9.9.9.9 dns=none", CFG_SRC_FILE, &m),
			 0);
	assert_int_equal(c.dns_count, 0);
}

/* Garbage never crashes and every message stays bounded (collect()). */
static void test_garbage(void **state)
{
	static char big[20000];
	const char nul[] = "mtu=1400\0hostname=a\0b\0\xff\xfe=1 \xff";
	struct skiff_config c;
	struct msgs m;

	(void)state;
	config_defaults(&c);
	memset(&m, 0, sizeof(m));
	assert_int_equal(
	    config_parse(&c, nul, sizeof(nul) - 1, CFG_SRC_FILE, collect, &m),
	    3);
	assert_int_equal(c.mtu, 1400);
	assert_string_equal(c.hostname, "a");
	assert_non_null(strstr(m.all, "unknown key 'b'"));
	assert_non_null(strstr(m.all, "unknown key '\\xff\\xfe'"));
	/* Very long words: key, value, and a quoted one. */
	memset(big, 'k', sizeof(big));
	assert_int_equal(
	    config_parse(&c, big, sizeof(big), CFG_SRC_FILE, collect, &m), 1);
	assert_non_null(strstr(m.last, "too long"));
	memcpy(big, "filter=\"", 8);
	assert_int_equal(
	    config_parse(&c, big, sizeof(big), CFG_SRC_FILE, collect, &m), 1);
	assert_non_null(strstr(m.last, "'filter'"));
	big[sizeof(big) - 1] = '"';
	assert_int_equal(
	    config_parse(&c, big, sizeof(big), CFG_SRC_FILE, collect, &m), 1);
	memcpy(big, "mtu=", 4);
	memset(big + 4, '9', 300);
	big[304] = ' ';
	assert_int_equal(config_parse(&c, big, 305, CFG_SRC_FILE, collect, &m),
			 1);
	assert_non_null(strstr(m.last, "...")); /* the echo is cut */
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(config_parse(&c, NULL, 0, CFG_SRC_FILE, collect, &m),
			 0);
	assert_int_equal(config_parse(&c, "\"", 1, CFG_SRC_FILE, collect, &m),
			 1);
	assert_int_equal(config_parse(&c, "=", 1, CFG_SRC_FILE, collect, &m),
			 1);
	assert_int_equal(
	    config_parse(&c, "# only", 6, CFG_SRC_FILE, collect, &m), 0);
}

static u64 rnd_state = 0x853c49e6748fea9bULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random bytes and random mixes of real words. */
static void test_random_input(void **state)
{
	static const char *const pieces[] = {
	    "mtu=",	  "1500",    "ip=",
	    "10.0.0.1/8", "\"",	     "#",
	    "\n",	  " ",	     "filter=",
	    "route=",	  ",",	     "/",
	    "=",	  "\xff",    "hostname=",
	    "dns=",	  "1.1.1.1", "smp=",
	    "all",	  "mac=",    "52:54:00:00:00:01"};
	char buf[600];
	struct skiff_config c;
	struct msgs m;
	int problems;

	(void)state;
	config_defaults(&c);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;

		if (iter % 2) {
			len = rnd() % sizeof(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)rnd();
		} else {
			while (len < sizeof(buf) - 32) {
				const char *p = pieces[rnd() % 21];

				memcpy(buf + len, p, strlen(p));
				len += strlen(p);
				if (rnd() % 8 == 0)
					break;
			}
		}
		memset(&m, 0, sizeof(m));
		problems = config_parse(&c, buf, len, rnd() % 5, collect, &m);
		assert_int_equal(problems, m.count);
	}
}

/* Format every key, parse the line onto defaults: the same config. */
static void round_trip(const struct skiff_config *c)
{
	static char line[16384], a[8192];
	struct skiff_config d;
	struct msgs m;
	size_t len = 0;

	for (unsigned i = 0; i < CFG_NKEYS; i++) {
		config_format_key(c, i, line + len, sizeof(line) - len);
		len += strlen(line + len);
		line[len++] = ' ';
	}
	config_defaults(&d);
	memset(&m, 0, sizeof(m));
	if (config_parse(&d, line, len, CFG_SRC_CONSOLE, collect, &m))
		fail_msg("round trip: %s", m.last);
	for (unsigned i = 0; i < CFG_NKEYS; i++) {
		strcpy(a, shown(c, i));
		assert_string_equal(a, shown(&d, i));
	}
}

static void test_format_round_trip(void **state)
{
	struct skiff_config c;
	struct msgs m;
	char small[8];

	(void)state;
	config_defaults(&c);
	round_trip(&c);
	parse(&c, good_line, CFG_SRC_FILE, &m);
	parse(&c,
	      "filter=\"a#b\" filter=\"  lead\" route=1.0.0.0/8,2.2.2.2 "
	      "dns=1.2.3.4,5.6.7.8,9.10.11.12 smp=256",
	      CFG_SRC_FILE, &m);
	round_trip(&c);
	for (int i = 0; i < CFG_MAX_FILTERS; i++)
		parse(&c, "filter=\"-A FORWARD -p udp --dport 53 -j ACCEPT\"",
		      CFG_SRC_FILE, &m);
	round_trip(&c);
	/* Small buffers: truncated and terminated like snprintf. */
	for (size_t n = 0; n < sizeof(small); n++) {
		memset(small, 'z', sizeof(small));
		assert_int_equal(config_format_key(&c, CFG_HOSTNAME, small, n),
				 CFG_SRC_FILE);
		if (n)
			assert_int_equal(strnlen(small, n), n - 1);
		assert_true(n == sizeof(small) || small[n] == 'z' || n == 0);
	}
	assert_int_equal(config_format_key(&c, CFG_NKEYS, small, sizeof(small)),
			 -1);
	assert_null(config_key_name(CFG_NKEYS));
	assert_string_equal(config_key_name(CFG_HTTP_PORT), "http.port");
}

static void test_config_set(void **state)
{
	struct skiff_config c;
	struct msgs m;
	char big[1000];

	(void)state;
	config_defaults(&c);
	memset(&m, 0, sizeof(m));
	assert_int_equal(
	    config_set(&c, "mtu=9000", CFG_SRC_CONSOLE, collect, &m), 0);
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.src[CFG_MTU], CFG_SRC_CONSOLE);
	assert_int_equal(config_set(&c, "  filter=-A INPUT -j DROP \n",
				    CFG_SRC_CONSOLE, collect, &m),
			 0);
	assert_string_equal(c.filter[0], "-A INPUT -j DROP");
	assert_int_equal(config_set(&c, "filter=\"-A OUTPUT -j LOG\"",
				    CFG_SRC_CONSOLE, collect, &m),
			 0);
	assert_string_equal(c.filter[1], "-A OUTPUT -j LOG");
	assert_int_equal(
	    config_set(&c, "mtu=99999", CFG_SRC_CONSOLE, collect, &m), -1);
	assert_string_equal(m.last, "config: console: bad value for 'mtu': "
				    "'99999' (want 576..9000; keeping 9000)");
	assert_int_equal(config_set(&c, "nope=1", CFG_SRC_CONSOLE, NULL, NULL),
			 -1);
	assert_int_equal(m.count, 1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "hostname=", 9);
	assert_int_equal(config_set(&c, big, CFG_SRC_CONSOLE, collect, &m), -1);
	assert_non_null(strstr(m.last, "'hostname' too long"));
	assert_int_equal(config_set(&c, "", CFG_SRC_CONSOLE, collect, &m), -1);
	assert_int_equal(config_set(&c, NULL, CFG_SRC_CONSOLE, collect, &m),
			 -1);
}

/* The rate and size words of tbf.* and the tc command. */
static void test_rates_and_sizes(void **state)
{
	static const struct {
		const char *s;
		u64 bits;
	} rates[] = {{"8000", 8000},
		     {"1bit", 1},
		     {"800kbit", 800000},
		     {"10Mbit", 10000000},
		     {"10mbit", 10000000},
		     {"1GBIT", 1000000000},
		     {"1099511627776", 1ULL << 40}};
	static const char *const bad_rates[] = {
	    "",	       "mbit",		"10mbps",   "10 mbit",
	    "1.5mbit", "1099511627777", "2000gbit", "99999999999999mbit",
	    "-1"};
	static const struct {
		const char *s;
		u32 bytes;
	} sizes[] = {{"1514", 1514},  {"15000b", 15000},
		     {"32k", 32768},  {"32KB", 32768},
		     {"2m", 2 << 20}, {"4095m", 4095u << 20}};
	static const char *const bad_sizes[] = {"",	 "k",	 "32kib",
						"4096m", "1.5k", "4294967296"};
	u64 bits;
	u32 bytes;
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		assert_int_equal(
		    parse_rate(rates[i].s, strlen(rates[i].s), &bits), 0);
		assert_int_equal(bits, rates[i].bits);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_rates); i++)
		assert_int_equal(
		    parse_rate(bad_rates[i], strlen(bad_rates[i]), &bits), -1);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		assert_int_equal(
		    parse_size(sizes[i].s, strlen(sizes[i].s), &bytes), 0);
		assert_int_equal(bytes, sizes[i].bytes);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++)
		assert_int_equal(
		    parse_size(bad_sizes[i], strlen(bad_sizes[i]), &bytes), -1);
	format_rate(10000000, buf, sizeof(buf));
	assert_string_equal(buf, "10Mbit");
	format_rate(1500000, buf, sizeof(buf));
	assert_string_equal(buf, "1500Kbit");
	format_rate(2000000000, buf, sizeof(buf));
	assert_string_equal(buf, "2Gbit");
	format_rate(1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1234567bit");
}

static void test_ipv4_helpers(void **state)
{
	static const char *const good[] = {"0.0.0.0", "255.255.255.255",
					   "192.0.2.1", "10.0.0.10"};
	static const char *const bad[] = {
	    "",		"1.2.3",    "1.2.3.4.",	  "1.2.3.4.5", "256.1.1.1",
	    "01.2.3.4", "1.2.3.04", "1..3.4",	  "1.2.3.-4",  " 1.2.3.4",
	    "1.2.3.4 ", "a.b.c.d",  "1234.1.1.1", "1.2.3.0004"};
	char buf[16];
	u32 a;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(parse_ipv4(good[i], strlen(good[i]), &a), 0);
		format_ipv4(a, buf, sizeof(buf));
		assert_string_equal(buf, good[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_ipv4(bad[i], strlen(bad[i]), &a) == 0)
			fail_msg("accepted '%s'", bad[i]);
	/* len bounds the parse: the rest of the string is not read. */
	assert_int_equal(parse_ipv4("1.2.3.45", 7, &a), 0);
	assert_int_equal(a, 0x01020304);
	assert_int_equal(format_ipv4(0xc0000201, buf, 4), 9);
	assert_string_equal(buf, "192");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_good_line),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_bad_values_keep_old),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_comments_and_lines),
	    cmocka_unit_test(test_later_source_wins),
	    cmocka_unit_test(test_repeatable),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_random_input),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_config_set),
	    cmocka_unit_test(test_ipv4_helpers),
	    cmocka_unit_test(test_rates_and_sizes),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
