/*
 * test_capture.c - host tests for net/capture.c and net/capture_cmd.c on
 * the host-built stack: pings from a peer are recorded in both directions
 * (the reply at the driver hand-off), the filter and device selection hold,
 * a full ring overwrites its oldest records and counts them, the pcap file
 * is byte-exact, `capture dump` prints what text2pcap reads, `tcpdump -c`
 * prints the lines and stops, and bad filters are refused with a caret.
 */
#include "ipv4_test.h"

#include <skiff/net/capture.h>

static u64 wall0_s;

static int setup(void **state)
{
	ipt_setup(state);
	ipt_learn_peer();
	capture_stop(CAPTURE_RING);
	capture_stop(CAPTURE_LIVE);
	host_shell_reset();
	return 0;
}

/* One echo request of `size` payload bytes from the peer. */
static void ping_in(u16 seq, size_t size)
{
	static u8 f[2048], body[1500];
	struct icmphdr_info ih = {.type = ICMP_ECHO,
				  .rest = icmp_echo_rest(0x1234, seq)};
	memset(body, 0xa5, size);
	ipt_rx(f, ipt_icmp_frame(f, &ih, body, size));
}

static void udp_in(u16 dport)
{
	u8 f[128], udp[12] = {0x9c, 0x41, (u8)(dport >> 8), (u8)dport, 0, 12};
	struct iphdr_info h = ipt_hdr(IPPROTO_UDP);
	ipt_rx(f, ipt_ip_frame(&f[0], &h, udp, sizeof(udp)));
}

static int run(const char *line)
{
	host_shell_reset();
	return host_shell_run(line);
}

static bool said(const char *text)
{
	return strstr(host_shell_output(), text) != NULL;
}

static void test_records_both_directions(void **state)
{
	struct capture_stats st;
	(void)state;
	assert_int_equal(run("capture start icmp"), 0);
	assert_true(said("capture: recording on any, snaplen 65535, ring 4096 "
			 "KiB, filter \"icmp\""));
	assert_non_null(READ_ONCE(netdev_tap));
	for (u16 i = 1; i <= 3; i++)
		ping_in(i, 56);
	udp_in(9); /* not icmp: the port unreachable it draws is, though */
	capture_get_stats(CAPTURE_RING, &st);
	assert_int_equal(st.records, 7); /* 3 requests, 3 replies, 1 error */
	assert_int_equal(st.matched, 7);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(run("capture stop"), 0);
	assert_null(READ_ONCE(netdev_tap));
	assert_true(said("capture: stopped on any"));
	assert_true(said("ring: 7 packets"));
	ping_in(4, 56); /* after stop: not recorded */
	capture_get_stats(CAPTURE_RING, &st);
	assert_int_equal(st.records, 7);
	host_fakedev_tx_clear(eth0);
}

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void test_pcap_file(void **state)
{
	void *buf;
	size_t len;
	(void)state;
	wall0_s = boot_epoch_sec = 1795392000ULL;
	assert_int_equal(run("capture start -s 60 icmp and src 198.18.0.1"), 0);
	ping_in(1, 100);
	ping_in(2, 10);
	capture_stop(CAPTURE_RING);
	assert_int_equal(capture_pcap_dump(&buf, &len), 0);
	const u8 *p = buf;
	assert_int_equal(le32(p), 0xa1b2c3d4);
	assert_int_equal(p[4] | p[5] << 8, 2);
	assert_int_equal(p[6] | p[7] << 8, 4);
	assert_int_equal(le32(p + 16), 60);
	assert_int_equal(le32(p + 20), 1);
	/* Record 1: 14 + 20 + 8 + 100 on the wire, 60 kept. */
	const u8 *r = p + 24;
	u64 now_s = boot_epoch_sec + host_clock_ns() / 1000000000ULL;
	assert_true(le32(r) >= wall0_s && le32(r) <= now_s);
	assert_true(le32(r + 4) < 1000000);
	assert_int_equal(le32(r + 8), 60);
	assert_int_equal(le32(r + 12), 142);
	assert_memory_equal(r + 16, our_mac, 6);
	assert_int_equal(r[16 + 14 + 20], ICMP_ECHO);
	/* Record 2: 60 bytes (padded by the NIC), all kept. */
	r += 16 + 60;
	assert_int_equal(le32(r + 8), 60);
	assert_int_equal(le32(r + 12), 60);
	assert_int_equal(len, 24 + 2 * 16 + 60 + 60);
	free(buf);
	host_fakedev_tx_clear(eth0);
	boot_epoch_sec = 0;
}

static void test_empty_and_filters(void **state)
{
	void *buf = NULL;
	size_t len = 0;
	(void)state;
	assert_int_equal(run("capture start arp"), 0);
	ping_in(1, 8);
	assert_int_equal(capture_pcap_dump(&buf, &len), -ENOENT);
	assert_null(buf);
	assert_int_equal(run("capture dump"), 1);
	assert_true(said("capture: nothing captured"));
	assert_int_equal(run("capture start -i eth9 icmp"), 1);
	assert_true(said("capture: eth9: No such device exists"));
	assert_int_equal(run("capture start -i eth0 icmp"), 0);
	ping_in(2, 8);
	assert_int_equal(capture_pcap_dump(&buf, &len), 0);
	free(buf);
	capture_stop(CAPTURE_RING);
	host_fakedev_tx_clear(eth0);
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(run("capture start port x"), 1);
	assert_true(said("capture: filter: expected a port number or service "
			 "name at column 6 ('x')\n  port x\n       ^\n"));
	assert_int_equal(run("tcpdump -c 0 icmp"), 1);
	assert_true(said("tcpdump: bad value '0' for -c"));
	assert_int_equal(run("capture start -b 1 icmp"), 1);
	assert_true(said("capture: bad value '1' for -b"));
	assert_int_equal(run("capture start -s"), -EINVAL);
	assert_int_equal(run("capture"), -EINVAL);
	assert_int_equal(run("capture frob"), -EINVAL);
	assert_int_equal(run("tcpdump -x"), -EINVAL);
	assert_null(READ_ONCE(netdev_tap));
}

/* A 64 KiB ring and 100 pings of 1000 bytes: the oldest go, counted. */
static void test_ring_overwrites(void **state)
{
	struct capture_stats st;
	(void)state;
	assert_int_equal(run("capture start -b 64 icmp"), 0);
	for (u16 i = 1; i <= 100; i++) {
		ping_in(i, 1000);
		host_fakedev_tx_clear(eth0);
	}
	capture_stop(CAPTURE_RING);
	capture_get_stats(CAPTURE_RING, &st);
	assert_int_equal(st.matched, 200);
	assert_int_equal(st.stored, 200);
	assert_true(st.records > 0 && st.records < 200);
	assert_int_equal(st.dropped + st.records, 200);
	assert_true(st.used_bytes <= 64 * 1024);
	/* The newest survive: the last reply is the last record. */
	assert_int_equal(run("capture dump"), 0);
	char want[64];
	snprintf(want, sizeof(want), "# end of capture: %llu packets",
		 st.records);
	assert_true(said(want));
}

/* The dump: a time line, then offset + hex lines of 16 bytes. */
static void test_dump_format(void **state)
{
	(void)state;
	boot_epoch_sec = 1795392000ULL; /* 2026-11-23 00:00:00 UTC */
	assert_int_equal(run("capture start icmp[0] or icmp"), 1);
	assert_int_equal(run("capture start icmp and dst 198.18.0.2"), 0);
	ping_in(7, 4);
	capture_stop(CAPTURE_RING);
	assert_int_equal(run("capture dump"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, "# read with: text2pcap -t ISO -l 1"));
	assert_non_null(strstr(out, "# 1 eth0 In len 60\n2026-11-23T"));
	const char *hex = strstr(out, "\n000000 52 54 00 12 34 56 52 54 00 ab "
				      "cd ef 08 00 45 00\n000010 ");
	assert_non_null(hex);
	assert_non_null(strstr(out, "\n000030 00 00 00 00 00 00 00 00 00 00 "
				    "00 00\n# end of capture: 1 packets\n"));
	boot_epoch_sec = 0;
	host_fakedev_tx_clear(eth0);
}

/* tcpdump -c 2: the pings arrive from a timer while it waits. */
static struct timer_list pinger;
static u16 pinger_seq;
static void pinger_fire(struct timer_list *t)
{
	ping_in(++pinger_seq, 56);
	if (pinger_seq < 3)
		mod_timer(t, get_jiffies() + msecs_to_jiffies(100));
}

static void test_tcpdump_count(void **state)
{
	(void)state;
	pinger_seq = 0;
	kernel_timer_setup(&pinger, pinger_fire);
	mod_timer(&pinger, get_jiffies() + msecs_to_jiffies(100));
	assert_int_equal(run("tcpdump -n -c 3 icmp"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, "tcpdump: listening on any, link-type "
				    "EN10MB (Ethernet), snapshot length 256 "
				    "bytes\n"));
	assert_non_null(strstr(out, " IP 198.18.0.1 > 198.18.0.2: ICMP echo "
				    "request, id 4660, seq 1, length 64\n"));
	assert_non_null(strstr(out, " IP 198.18.0.2 > 198.18.0.1: ICMP echo "
				    "reply, id 4660, seq 1, length 64\n"));
	assert_non_null(strstr(out, " IP 198.18.0.1 > 198.18.0.2: ICMP echo "
				    "request, id 4660, seq 2, length 64\n"));
	assert_null(strstr(out, "seq 3"));
	assert_non_null(strstr(out, "\n3 packets captured\n"));
	assert_null(READ_ONCE(netdev_tap));
	del_timer(&pinger);
	host_fakedev_tx_clear(eth0);
}

/* A key stops tcpdump; without -n the echo port has its name. */
static void test_tcpdump_key(void **state)
{
	(void)state;
	host_shell_key_at_ns(host_clock_ns() + 50000000ULL);
	assert_int_equal(run("tcpdump udp"), 0);
	assert_true(said("\n0 packets captured\n0 packets received by filter\n"
			 "0 packets dropped by kernel\n0 lines not printed "
			 "(console busy)\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_records_both_directions, setup),
	    cmocka_unit_test_setup(test_pcap_file, setup),
	    cmocka_unit_test_setup(test_empty_and_filters, setup),
	    cmocka_unit_test_setup(test_bad_input, setup),
	    cmocka_unit_test_setup(test_ring_overwrites, setup),
	    cmocka_unit_test_setup(test_dump_format, setup),
	    cmocka_unit_test_setup(test_tcpdump_count, setup),
	    cmocka_unit_test_setup(test_tcpdump_key, setup),
	};
	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
