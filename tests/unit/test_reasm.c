/*
 * test_reasm.c - IPv4 reassembly (net/ip_fragment.c) through the whole
 * host-built stack: fragments go in as frames, whole datagrams come out
 * at the sink protocol. In order, reversed, random orders, duplicates
 * (exact ones are ignored, different ones kill the datagram), every kind
 * of overlap, the 30 s timeout with ICMP time exceeded, the memory cap
 * with eviction of the oldest, the queue bound, and datagrams that would
 * pass 65,535 bytes.
 */
#include "ipv4_test.h"

static u8 datagram[65536]; /* the payload being cut into fragments */

static void fill_datagram(u32 len, u32 seed)
{
	for (u32 i = 0; i < len; i++)
		datagram[i] = (u8)(i * 13 + seed);
}

/* One fragment of datagram id: payload bytes [off, off + len). */
static void send_frag(u16 id, u32 off, u32 len, bool mf)
{
	static u8 f[2048];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	h.id = id;
	h.frag_off_bytes = (u16)off;
	h.mf = mf;
	ipt_rx(f, ipt_ip_frame(f, &h, datagram + off, len));
}

static void assert_delivered(u32 count, u32 len)
{
	assert_int_equal(sink.delivered, count);
	if (!count)
		return;
	assert_int_equal(sink.len, len);
	assert_memory_equal(sink.data, datagram, len);
	assert_true(sink.cb.flags & IPSKB_FRAGMENTED);
	assert_int_equal(sink.cb.tot_len, 20 + len);
	assert_true(sink.linear_ok);
}

static void assert_no_queues(void)
{
	struct ipfrag_stats s;

	ipfrag_get_stats(&s);
	assert_int_equal(s.queues, 0);
	assert_int_equal(s.mem_bytes, 0);
}

static void test_in_order(void **state)
{
	(void)state;
	fill_datagram(3000, 1);
	send_frag(1, 0, 1480, true);
	send_frag(1, 1480, 1480, true);
	assert_int_equal(sink.delivered, 0);
	send_frag(1, 2960, 40, false);
	assert_delivered(1, 3000);
	assert_int_equal(snmp_get(MIB_IpReasmReqds), 3);
	assert_int_equal(snmp_get(MIB_IpReasmOKs), 1);
	assert_int_equal(snmp_get(MIB_IpReasmFails), 0);
	assert_no_queues();
}

static void test_reversed(void **state)
{
	(void)state;
	fill_datagram(3000, 2);
	send_frag(2, 2960, 40, false);
	send_frag(2, 1480, 1480, true);
	send_frag(2, 0, 1480, true);
	assert_delivered(1, 3000);
	assert_no_queues();
}

/* Random permutations of fragments of random (8-byte multiple) sizes. */
static void test_random_orders(void **state)
{
	static u32 offs[8192], lens[8192], order[8192];
	u32 seed = 99;

	(void)state;
	for (int round = 0; round < 60; round++) {
		u32 n = 0, off = 0, total = 0;
		seed = seed * 1103515245u + 12345u;
		total = 100 + (seed >> 8) % (round < 50 ? 12000 : 60000);
		fill_datagram(total, (u32)round);
		while (off < total) {
			seed = seed * 1103515245u + 12345u;
			u32 len = (8 + (seed >> 12) % 1480) & ~7u;
			if (n == 0 && len >= total)
				len = MAX((total / 2) & ~7u,
					  8u); /* two at least */
			else if (off + len >= total)
				len = total - off;
			offs[n] = off;
			lens[n] = len;
			order[n] = n;
			n++;
			off += len;
		}
		for (u32 i = n - 1; i > 0; i--) { /* Fisher-Yates */
			seed = seed * 1103515245u + 12345u;
			u32 j = (seed >> 8) % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (u32 i = 0; i < n; i++) {
			u32 k = order[i];
			send_frag((u16)(100 + round), offs[k], lens[k],
				  k != n - 1);
		}
		assert_delivered((u32)round + 1, total);
	}
	assert_no_queues();
	assert_int_equal(snmp_get(MIB_IpReasmFails), 0);
}

/* An exact duplicate is ignored: the datagram still completes once. */
static void test_exact_duplicates(void **state)
{
	(void)state;
	fill_datagram(2000, 3);
	send_frag(3, 0, 1000, true);
	send_frag(3, 0, 1000, true);
	send_frag(3, 1000, 1000, false);
	assert_delivered(1, 2000);
	/* A duplicate after completion starts a new queue, which expires
	 * (without an ICMP error: fragment zero never came). */
	send_frag(3, 1000, 1000, false);
	assert_int_equal(sink.delivered, 1);
	host_clock_advance_ms(IPFRAG_TIMEOUT_MS + 1);
	assert_no_queues();
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	assert_int_equal(snmp_get(MIB_IpReasmFails), 1);
	assert_int_equal(snmp_get(MIB_IpReasmTimeout), 0);
}

/* A "duplicate" with other bytes is an overlap: the datagram is gone. */
static void test_duplicate_different_data(void **state)
{
	(void)state;
	fill_datagram(2000, 4);
	send_frag(4, 0, 1000, true);
	datagram[10] ^= 0xff;
	send_frag(4, 0, 1000, true);
	datagram[10] ^= 0xff;
	assert_no_queues();
	send_frag(4, 1000, 1000, false);
	assert_int_equal(sink.delivered, 0);
	assert_int_equal(snmp_get(MIB_IpExtReasmOverlaps), 1);
	assert_int_equal(snmp_get(MIB_IpReasmFails), 1);
	ipfrag_flush();
}

/* Every way two fragments can overlap kills the datagram. */
static void test_overlaps(void **state)
{
	/* First fragment, then an overlapping one: [a, a+alen) [b, b+blen) */
	const struct {
		u32 a, alen, b, blen;
	} cases[] = {
	    {0, 800, 400, 800},	 /* tail over the next's head */
	    {400, 800, 0, 800},	 /* head over the previous's tail */
	    {0, 1600, 400, 400}, /* inside */
	    {400, 400, 0, 1600}, /* around */
	    {0, 800, 0, 400},	 /* same start, shorter */
	    {800, 800, 0, 808},	 /* one byte block in */
	    {0, 800, 792, 800},	 /* teardrop-like */
	};

	(void)state;
	fill_datagram(4000, 5);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u16 id = (u16)(500 + i);
		send_frag(id, cases[i].a, cases[i].alen, true);
		send_frag(id, cases[i].b, cases[i].blen, true);
		assert_no_queues();
		assert_int_equal(snmp_get(MIB_IpExtReasmOverlaps), i + 1);
	}
	/* An overlap with the last fragment too. */
	send_frag(600, 1000, 1000, false);
	send_frag(600, 1600, 800, true);
	assert_no_queues();
	assert_int_equal(sink.delivered, 0);
	assert_int_equal(snmp_get(MIB_IpReasmFails), ARRAY_SIZE(cases) + 1);
}

/* Lengths that contradict each other, and empty fragments. */
static void test_inconsistent_lengths(void **state)
{
	(void)state;
	fill_datagram(4000, 6);
	/* Two different ends. */
	send_frag(7, 1000, 1000, false);
	send_frag(7, 2000, 1000, false);
	assert_no_queues();
	/* Data past the known end. */
	send_frag(8, 1000, 1000, false);
	send_frag(8, 2000, 800, true);
	assert_no_queues();
	/* A last fragment ending before data already seen. */
	send_frag(9, 2000, 800, true);
	send_frag(9, 8, 992, false);
	assert_no_queues();
	/* A fragment with no data. */
	send_frag(10, 1000, 0, true);
	assert_no_queues();
	assert_int_equal(snmp_get(MIB_IpReasmFails), 4);
	assert_int_equal(snmp_get(MIB_IpExtReasmOverlaps), 0);
	assert_int_equal(sink.delivered, 0);
}

/* A non-last fragment whose payload is not a multiple of 8 is cut down
 * to one; the datagram completes with the bytes that fit. */
static void test_odd_fragment_trimmed(void **state)
{
	(void)state;
	fill_datagram(2000, 7);
	send_frag(11, 0, 1003, true); /* 3 bytes too many */
	send_frag(11, 1000, 1000, false);
	assert_delivered(1, 2000);
}

/* Ping of death: nothing past 65,535 bytes. */
static void test_too_big(void **state)
{
	(void)state;
	fill_datagram(65536, 8);
	send_frag(12, 0, 1480, true);
	send_frag(12, 65528, 8, false); /* 20 + 65536 > 65535 */
	assert_no_queues();
	assert_int_equal(snmp_get(MIB_IpReasmFails), 1);
	/* The largest legal one: 65,515 bytes of payload. */
	send_frag(13, 65512, 3, false);
	for (u32 off = 0; off < 65512; off += 1480)
		send_frag(13, off, MIN(1480u, 65512 - off), true);
	assert_delivered(1, 65515);
}

/* 30 s after fragment zero came without the rest: time exceeded, code 1,
 * quoting fragment zero (RFC 792, RFC 1122 3.3.2). */
static void test_timeout_time_exceeded(void **state)
{
	u8 out[2048];

	(void)state;
	ipt_learn_peer();
	fill_datagram(3000, 9);
	send_frag(14, 0, 1480, true);
	send_frag(14, 2960, 40, false);
	host_clock_advance_ms(IPFRAG_TIMEOUT_MS - 10);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	host_clock_advance_ms(20);
	int n = ipt_pop(out, sizeof(out));
	/* Ethernet, IP, ICMP, then 548 bytes of fragment zero. */
	assert_int_equal(n, ETH_HLEN + 20 + 8 + ICMP_ERR_MAX_QUOTE);
	const u8 *icmp = out + ETH_HLEN + 20;
	assert_int_equal(icmp[0], ICMP_TIME_EXCEEDED);
	assert_int_equal(icmp[1], ICMP_EXC_FRAGTIME);
	assert_int_equal(ip_fast_csum(icmp, 8 + ICMP_ERR_MAX_QUOTE), 0);
	assert_int_equal(load_be16(icmp + 8 + 4), 14); /* the quoted id */
	assert_int_equal(load_be16(icmp + 8 + 6), IP_MF);
	assert_memory_equal(icmp + 8 + 20, datagram, ICMP_ERR_MAX_QUOTE - 20);
	assert_int_equal(snmp_get(MIB_IpReasmTimeout), 1);
	assert_int_equal(snmp_get(MIB_IpReasmFails), 1);
	assert_int_equal(snmp_get(MIB_IcmpOutTimeExcds), 1);
	assert_no_queues();
	/* Without fragment zero: counted, but no error. */
	send_frag(15, 1480, 1480, true);
	host_clock_advance_ms(IPFRAG_TIMEOUT_MS + 1);
	assert_int_equal(host_fakedev_tx_pending(eth0), 0);
	assert_int_equal(snmp_get(MIB_IpReasmFails), 2);
	assert_int_equal(snmp_get(MIB_IpReasmTimeout), 1);
	assert_int_equal(host_timers_pending() < 10, true);
}

/* Over 4 MiB the oldest queues go until 3 MiB is left. */
static void test_memory_cap(void **state)
{
	struct ipfrag_stats s;
	u64 max_mem = 0;

	(void)state;
	fill_datagram(65536, 10);
	/* 400 datagrams, 8 of 9 fragments each: about 3200 buffers. */
	for (u16 id = 0; id < 400; id++) {
		for (u32 k = 0; k < 8; k++)
			send_frag((u16)(1000 + id), k * 1480, 1480, true);
		ipfrag_get_stats(&s);
		max_mem = MAX(max_mem, s.mem_bytes);
	}
	ipfrag_get_stats(&s);
	assert_true(s.evicted > 0);
	assert_true(max_mem <= IPFRAG_HIGH_THRESH + 4096);
	assert_true(s.mem_bytes <= IPFRAG_HIGH_THRESH + 4096);
	assert_true(snmp_get(MIB_IpReasmFails) == s.evicted);
	/* The newest datagram is still there and completes ... */
	send_frag(1000 + 399, 8 * 1480, 100, false);
	assert_delivered(1, 8 * 1480 + 100);
	/* ... the oldest was evicted: its last fragment starts a new queue. */
	send_frag(1000, 8 * 1480, 100, false);
	assert_int_equal(sink.delivered, 1);
	ipfrag_flush();
	assert_no_queues();
}

/* At most IPFRAG_MAX_QUEUES datagrams at once; the oldest makes room. */
static void test_queue_bound(void **state)
{
	struct ipfrag_stats s;

	(void)state;
	fill_datagram(2000, 11);
	for (u32 i = 0; i < IPFRAG_MAX_QUEUES + 50; i++)
		send_frag((u16)(20000 + i), 0, 8, true);
	ipfrag_get_stats(&s);
	assert_int_equal(s.queues, IPFRAG_MAX_QUEUES);
	assert_int_equal(s.evicted, 50);
	ipfrag_flush();
}

/* Datagrams with the same id but other protocol or source don't mix. */
static void test_keys_separate(void **state)
{
	static u8 f[2048];
	struct iphdr_info h = ipt_hdr(SINK_PROTO);

	(void)state;
	fill_datagram(2000, 12);
	send_frag(30, 0, 1000, true);
	/* Same id, another protocol: a queue of its own. */
	h.id = 30;
	h.protocol = 254;
	h.frag_off_bytes = 1000;
	ipt_rx(f, ipt_ip_frame(f, &h, datagram + 1000, 1000));
	assert_int_equal(sink.delivered, 0);
	struct ipfrag_stats s;
	ipfrag_get_stats(&s);
	assert_int_equal(s.queues, 2);
	send_frag(30, 1000, 1000, false);
	assert_delivered(1, 2000);
	ipfrag_flush();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ipt_setup, ipt_teardown)
	    T(test_in_order),
	    T(test_reversed),
	    T(test_random_orders),
	    T(test_exact_duplicates),
	    T(test_duplicate_different_data),
	    T(test_overlaps),
	    T(test_inconsistent_lengths),
	    T(test_odd_fragment_trimmed),
	    T(test_too_big),
	    T(test_timeout_time_exceeded),
	    T(test_memory_cap),
	    T(test_queue_bound),
	    T(test_keys_separate),
#undef T
	};

	return cmocka_run_group_tests_name("reasm", tests, NULL, NULL);
}
