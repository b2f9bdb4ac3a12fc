/*
 * test_tcp_ring.c - the chunked byte rings of TCP (net/tcp_ring.c) and
 * the global TCP memory limit: bytes in and out across chunk boundaries
 * and slot wrap-around, out-of-order writes and their pruning, resizing
 * with data held, chunks given back as bytes leave (an empty ring holds
 * nothing), the per-ring minimum at the global limit, and the pressure
 * thresholds with their hysteresis.
 */
#include "ipv4_test.h"

#include <skiff/net/tcp.h>
#include <skiff/net/tcp_ring.h>

#define C TCP_CHUNK_BYTES

static u8 pattern(u64 pos)
{
	return (u8)(pos * 31 + (pos >> 8));
}

static void fill(u8 *buf, u64 pos, u32 n)
{
	for (u32 i = 0; i < n; i++)
		buf[i] = pattern(pos + i);
}

static int setup(void **state)
{
	(void)state;
	tcp_mem_set_limit(0);
	snmp_reset();
	return 0;
}

/* Stream 1 MiB through a 64 KiB ring in odd-sized pieces: every byte
 * comes out as it went in, across chunk and slot wrap-around, and the
 * ring holds no chunk whenever it is empty. */
static void test_ring_stream_byte_exact(void **state)
{
	struct tcp_ring r;
	static u8 in[7000], out[7000];
	u64 wpos = 0, rpos = 0;
	(void)state;
	tcp_ring_init(&r, 64 * 1024);
	u64 base = tcp_mem_used_bytes();
	u32 wsz = 1, rsz = 1;
	while (rpos < (1u << 20)) {
		wsz = wsz * 7 % 6997 + 1;
		rsz = rsz * 13 % 6991 + 1;
		u32 n = MIN(wsz, tcp_ring_free(&r));
		fill(in, wpos, n);
		assert_int_equal(tcp_ring_append(&r, in, n), n);
		wpos += n;
		assert_true(r.nchunks <= (r.len + 2 * C - 2) / C);
		u32 m = MIN(rsz, r.len);
		tcp_ring_copy_out(&r, 0, out, m);
		for (u32 i = 0; i < m; i++)
			assert_int_equal(out[i], pattern(rpos + i));
		tcp_ring_drop(&r, m);
		rpos += m;
		if (r.len == 0) {
			assert_int_equal(r.nchunks, 0);
			assert_null(r.slot);
			assert_int_equal(tcp_mem_used_bytes(), base);
		}
	}
	tcp_ring_release(&r);
	assert_int_equal(tcp_mem_used_bytes(), base);
}

/* Out-of-order writes land at their offset; when the hole fills the
 * bytes read back in order; pruning frees the chunks past len only. */
static void test_ring_ofo_write_and_trim(void **state)
{
	struct tcp_ring r;
	u8 a[3000], b[5000], got[8000];
	(void)state;
	tcp_ring_init(&r, 64 * 1024);
	fill(a, 0, sizeof(a));
	fill(b, 3000, sizeof(b));
	assert_int_equal(tcp_ring_write_at(&r, 3000, b, sizeof(b)), 0);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.span, 8000);
	assert_int_equal(r.nchunks, 3); /* bytes 3000..7999: chunks 1..3 */
	assert_int_equal(tcp_ring_write_at(&r, 0, a, sizeof(a)), 0);
	r.len = 8000; /* what TCP does when the hole fills */
	tcp_ring_copy_out(&r, 0, got, 8000);
	assert_memory_equal(got, a, 3000);
	assert_memory_equal(got + 3000, b, 5000);
	/* Keep 1000 in order, prune the rest. */
	tcp_ring_drop(&r, 7000);
	assert_int_equal(r.len, 1000);
	r.len = 100;
	tcp_ring_trim_span(&r);
	assert_int_equal(r.span, 100);
	assert_int_equal(r.nchunks, 1);
	/* Past the limit: refused, nothing changed. */
	assert_int_equal(tcp_ring_write_at(&r, 64 * 1024, a, 10), -ENOSPC);
	assert_int_equal(r.nchunks, 1);
	tcp_ring_release(&r);
	assert_int_equal(r.nchunks, 0);
}

/* Growing and shrinking the limit with bytes held keeps them intact. */
static void test_ring_resize_with_data(void **state)
{
	struct tcp_ring r;
	static u8 in[20000], got[20000];
	(void)state;
	tcp_ring_init(&r, 16 * 1024);
	fill(in, 0, sizeof(in));
	assert_int_equal(tcp_ring_append(&r, in, 5000), 5000);
	tcp_ring_drop(&r, 3000); /* head mid-chunk */
	assert_int_equal(tcp_ring_append(&r, in + 5000, 14000), 14000);
	assert_int_equal(r.len, 16000);
	assert_int_equal(tcp_ring_resize(&r, 8192), -EBUSY);
	assert_int_equal(tcp_ring_resize(&r, 256 * 1024), 0);
	assert_int_equal(tcp_ring_append(&r, in + 19000, 1000), 1000);
	tcp_ring_copy_out(&r, 0, got, 17000);
	assert_memory_equal(got, in + 3000, 17000);
	tcp_ring_drop(&r, 10000);
	assert_int_equal(tcp_ring_resize(&r, 8192), 0);
	tcp_ring_copy_out(&r, 0, got, 7000);
	assert_memory_equal(got, in + 13000, 7000);
	tcp_ring_release(&r);
}

/*
 * The global limit: 16 chunks. Past 12 (3/4) TCP is under pressure,
 * counted once; at 16 a ring with chunks gets no more, but an empty ring
 * still gets its first one; below 8 (1/2) the pressure ends.
 */
static void test_mem_limit_and_pressure(void **state)
{
	struct tcp_ring a, b;
	static u8 buf[40 * 1024];
	(void)state;
	u64 base = tcp_mem_used_bytes();
	assert_int_equal(base, 0);
	tcp_mem_set_limit(16 * C);
	tcp_ring_init(&a, 64 * 1024);
	tcp_ring_init(&b, 64 * 1024);
	assert_int_equal(tcp_ring_append(&a, buf, 12 * C), 12 * C);
	assert_false(tcp_mem_under_pressure());
	assert_int_equal(tcp_ring_append(&a, buf, 1), 1);
	assert_true(tcp_mem_under_pressure());
	assert_int_equal(snmp_get(MIB_TcpExtTCPMemoryPressures), 1);
	/* Fill to the limit: the append stops at the last chunk's end. */
	assert_int_equal(tcp_ring_append(&a, buf, 10 * C), 4 * C - 1);
	assert_int_equal(tcp_ring_room(&a), 0);
	assert_int_equal(tcp_ring_append(&a, buf, 1), 0);
	assert_int_equal(tcp_ring_write_at(&a, 0, buf, 1), -ENOMEM);
	/* An empty ring always gets one chunk. */
	assert_int_equal(tcp_ring_room(&b), 64 * 1024);
	assert_int_equal(tcp_ring_append(&b, buf, 3 * C), C);
	assert_int_equal(tcp_ring_room(&b), 0);
	/* Still under pressure at 9 chunks; over at 7. */
	tcp_ring_drop(&a, 8 * C);
	assert_true(tcp_mem_under_pressure());
	tcp_ring_drop(&a, 2 * C);
	assert_false(tcp_mem_under_pressure());
	assert_int_equal(snmp_get(MIB_TcpExtTCPMemoryPressures), 1);
	tcp_ring_release(&a);
	tcp_ring_release(&b);
	assert_int_equal(tcp_mem_used_bytes(), 0);
	tcp_mem_set_limit(0);
	assert_true(tcp_mem_limit_bytes() > 0);
}

/* Memory that lives forever, referenced: whole chunks point into it,
 * the lead-in and the tail are copied; reads see every byte; dropping
 * lets go without freeing it; only copied chunks count as TCP memory. */
static void test_ring_append_ref(void **state)
{
	struct tcp_ring r;
	static u8 stat[10000], pre[100], got[10100];
	(void)state;
	fill(pre, 0, sizeof(pre));
	fill(stat, 100, sizeof(stat));
	tcp_ring_init(&r, 64 * 1024);
	assert_int_equal(tcp_ring_append(&r, pre, 100), 100);
	assert_int_equal(tcp_ring_append_ref(&r, stat, 10000), 10000);
	/* 100 + 1948 copied (chunk 0), 3 chunks referenced (6144), 1908
	 * copied (chunk 4). */
	assert_int_equal(r.len, 10100);
	assert_int_equal(r.nchunks, 5);
	assert_int_equal(r.next, 3);
	assert_int_equal(tcp_ring_mem(&r), 2 * C);
	assert_int_equal(tcp_mem_used_bytes(), 2 * C);
	tcp_ring_copy_out(&r, 0, got, 10100);
	for (u32 i = 0; i < 10100; i++)
		assert_int_equal(got[i], pattern(i));
	/* Appending after it copies into a fresh chunk, never into stat. */
	u8 more[3000];
	fill(more, 10100, sizeof(more));
	assert_int_equal(tcp_ring_append(&r, more, sizeof(more)), 3000);
	tcp_ring_copy_out(&r, 10000, got, 3100);
	for (u32 i = 0; i < 3100; i++)
		assert_int_equal(got[i], pattern(10000 + i));
	for (u32 i = 0; i < sizeof(stat); i++)
		assert_int_equal(stat[i], pattern(100 + i));
	tcp_ring_drop(&r, 5000); /* chunks 0 and 1 go; 2 holds byte 5000 */
	assert_int_equal(r.next, 2);
	tcp_ring_drop(&r, r.len);
	assert_int_equal(r.nchunks, 0);
	assert_int_equal(r.next, 0);
	assert_null(r.slot);
	assert_int_equal(tcp_mem_used_bytes(), 0);
	/* Aligned start, whole chunks only: nothing copied at all. */
	tcp_ring_init(&r, 64 * 1024);
	assert_int_equal(tcp_ring_append_ref(&r, stat, 2 * C), 2 * C);
	assert_int_equal(tcp_ring_mem(&r), 0);
	assert_int_equal(r.next, 2);
	tcp_ring_release(&r);
	assert_int_equal(r.next, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_ring_stream_byte_exact, setup),
	    cmocka_unit_test_setup(test_ring_ofo_write_and_trim, setup),
	    cmocka_unit_test_setup(test_ring_resize_with_data, setup),
	    cmocka_unit_test_setup(test_mem_limit_and_pressure, setup),
	    cmocka_unit_test_setup(test_ring_append_ref, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
