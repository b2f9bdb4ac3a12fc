/*
 * test_buddy.c - host tests for kernel/mm/buddy.c: split and merge,
 * alignment, exhaustion, bad frees caught, ranges with holes, reserve,
 * metadata inside the span (mm_init's layout), clobbered links refused,
 * top-order blocks found without touching their pages, no free page ever
 * written (the links live in the metadata), and a random
 * stress run under buddy_check().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/buddy.h>

/* A fake physical span backed by host memory. */
struct arena {
	struct buddy b;
	u8 *mem;
	u8 *meta;
};

static void arena_init(struct arena *a, u64 base_pfn, u64 npages)
{
	a->mem = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	a->meta = malloc(buddy_meta_size(npages));
	assert_non_null(a->mem);
	assert_non_null(a->meta);
	buddy_init(&a->b, base_pfn, npages, a->meta,
		   (intptr_t)a->mem - (intptr_t)(base_pfn << PAGE_SHIFT));
	assert_int_equal(buddy_check(&a->b), 0);
}

static void arena_fini(struct arena *a)
{
	free(a->mem);
	free(a->meta);
}

static u64 rnd_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_meta_size(void **state)
{
	(void)state;
	assert_int_equal(buddy_meta_size(0), 0);
	/* a link and a byte a page */
	assert_int_equal(buddy_meta_size(1000),
			 1000 * (sizeof(struct list_head) + 1));
}

static void test_split_merge(void **state)
{
	struct arena a;
	s64 p;

	(void)state;
	arena_init(&a, 5 * 1024, 1024);
	buddy_add_range(&a.b, 5 * 1024, 1024);
	assert_int_equal(a.b.nr_free[MAX_ORDER - 1], 1);
	assert_int_equal(a.b.free_pages, 1024);
	p = buddy_alloc(&a.b, 0);
	assert_int_equal(p, 5 * 1024);
	for (unsigned k = 0; k < MAX_ORDER - 1; k++)
		assert_int_equal(a.b.nr_free[k], 1); /* one upper half each */
	assert_int_equal(a.b.nr_free[MAX_ORDER - 1], 0);
	assert_int_equal(a.b.free_pages, 1023);
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(buddy_free(&a.b, p, 0), 0);
	assert_int_equal(a.b.nr_free[MAX_ORDER - 1], 1);
	for (unsigned k = 0; k < MAX_ORDER - 1; k++)
		assert_int_equal(a.b.nr_free[k], 0);
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

/* Blocks are naturally aligned and never overlap. */
static void test_alignment(void **state)
{
	struct arena a;
	u8 used[4096] = {0};

	(void)state;
	arena_init(&a, 4096, 4096);
	buddy_add_range(&a.b, 0, 1ULL << 20);
	for (int i = 0; i < 200; i++) {
		unsigned order = rnd() % 5;
		s64 p = buddy_alloc(&a.b, order);

		if (p < 0)
			break;
		assert_true(IS_ALIGNED((u64)p, 1ULL << order));
		assert_true((u64)p >= 4096 && (u64)p + (1 << order) <= 8192);
		for (u64 j = 0; j < (1ULL << order); j++) {
			assert_int_equal(used[p - 4096 + j], 0);
			used[p - 4096 + j] = 1;
		}
	}
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

static void test_exhaustion(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a, 64, 100); /* 64 + 32 + 4 pages, aligned at 64 */
	buddy_add_range(&a.b, 64, 100);
	assert_int_equal(a.b.nr_free[6], 1);
	assert_int_equal(a.b.nr_free[5], 1);
	assert_int_equal(a.b.nr_free[2], 1);
	assert_int_equal(buddy_alloc(&a.b, 7), -1);
	assert_int_equal(buddy_alloc(&a.b, MAX_ORDER), -1);
	for (int i = 0; i < 100; i++)
		assert_true(buddy_alloc(&a.b, 0) >= 0);
	assert_int_equal(buddy_alloc(&a.b, 0), -1);
	assert_int_equal(a.b.free_pages, 0);
	assert_int_equal(buddy_check(&a.b), 0);
	for (u64 p = 64; p < 164; p++)
		assert_int_equal(buddy_free(&a.b, p, 0), 0);
	assert_int_equal(a.b.free_pages, 100);
	assert_int_equal(a.b.nr_free[6], 1);
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

static void test_bad_free(void **state)
{
	struct arena a;
	s64 p, q;

	(void)state;
	arena_init(&a, 1024, 1024);
	buddy_add_range(&a.b, 1024, 512);
	p = buddy_alloc(&a.b, 2);
	q = buddy_alloc(&a.b, 0);
	assert_int_equal(buddy_free(&a.b, p, 1), -1);	  /* wrong order */
	assert_int_equal(buddy_free(&a.b, p + 1, 0), -1); /* inside */
	assert_int_equal(buddy_free(&a.b, p + 2, 1), -1);
	assert_int_equal(buddy_free(&a.b, 5, 0), -1);	 /* below span */
	assert_int_equal(buddy_free(&a.b, 4096, 0), -1); /* above span */
	assert_int_equal(buddy_free(&a.b, 2047, 0), -1); /* reserved */
	assert_int_equal(buddy_free(&a.b, p, MAX_ORDER), -1);
	assert_int_equal(buddy_free(&a.b, 1024 + 256, 3), -1); /* free */
	assert_int_equal(buddy_free(&a.b, UINT64_MAX, 0), -1);
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(buddy_free(&a.b, p, 2), 0);
	assert_int_equal(buddy_free(&a.b, p, 2), -1); /* double free */
	assert_int_equal(buddy_free(&a.b, q, 0), 0);
	assert_int_equal(buddy_free(&a.b, q, 0), -1);
	assert_int_equal(a.b.nr_errors, 11);
	assert_int_equal(a.b.free_pages, 512);
	assert_int_equal(a.b.nr_free[9], 1);
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

/* Is pfn inside one of the n ranges? */
static bool in_ranges(const u64 (*r)[2], int n, u64 pfn)
{
	for (int i = 0; i < n; i++)
		if (pfn >= r[i][0] && pfn < r[i][0] + r[i][1])
			return true;
	return false;
}

static void test_ranges_with_holes(void **state)
{
	const u64 r[][2] = {{1000, 500}, {1600, 1400}, {3100, 900}, {3999, 50}};
	struct arena a;
	u64 got = 0, start_free[MAX_ORDER];
	s64 p;

	(void)state;
	arena_init(&a, 1000, 3000); /* unaligned base; last range clipped */
	for (int i = 0; i < 4; i++)
		buddy_add_range(&a.b, r[i][0], r[i][1]);
	assert_int_equal(a.b.free_pages, 500 + 1400 + 900);
	assert_int_equal(a.b.total_pages, 2800);
	buddy_add_range(&a.b, 0, 100000); /* overlaps: fills the holes only */
	assert_int_equal(a.b.free_pages, 3000);
	assert_int_equal(buddy_check(&a.b), 0);
	buddy_reserve_range(&a.b, 1500, 100);
	buddy_reserve_range(&a.b, 3000, 100);
	assert_int_equal(a.b.free_pages, 2800);
	assert_int_equal(buddy_check(&a.b), 0);
	memcpy(start_free, a.b.nr_free, sizeof(start_free));
	while ((p = buddy_alloc(&a.b, 0)) >= 0) {
		assert_true(in_ranges(r, 3, (u64)p));
		got++;
	}
	assert_int_equal(got, 2800);
	for (u64 pfn = 1000; pfn < 4000; pfn++)
		assert_int_equal(buddy_free(&a.b, pfn, 0),
				 in_ranges(r, 3, pfn) ? 0 : -1);
	assert_int_equal(a.b.free_pages, 2800);
	assert_memory_equal(start_free, a.b.nr_free, sizeof(start_free));
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

/* Reserving splits free blocks; allocated blocks stay allocated. */
static void test_reserve(void **state)
{
	struct arena a;
	s64 p;

	(void)state;
	arena_init(&a, 0, 2048);
	buddy_add_range(&a.b, 0, 1024);
	p = buddy_alloc(&a.b, 3);
	assert_int_equal(p, 0);
	buddy_add_range(&a.b, 1024, 1024);
	buddy_reserve_range(&a.b, 4, 20); /* [4, 24): 8..23 were free */
	assert_int_equal(a.b.free_pages, 2048 - 8 - 16);
	assert_int_equal(a.b.total_pages, 2048 - 16);
	assert_int_equal(buddy_check(&a.b), 0);
	buddy_reserve_range(&a.b, 0, 30); /* partially free: 24..29 */
	assert_int_equal(a.b.free_pages, 2048 - 8 - 22);
	assert_int_equal(buddy_check(&a.b), 0);
	buddy_reserve_range(&a.b, 1023, 3); /* straddles two 4 MiB halves */
	assert_int_equal(a.b.free_pages, 2048 - 8 - 25);
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(buddy_free(&a.b, (u64)p, 3), 0);
	buddy_add_range(&a.b, 0, 2048);
	assert_int_equal(a.b.free_pages, 2048);
	assert_int_equal(a.b.nr_free[MAX_ORDER - 1], 2);
	assert_int_equal(buddy_check(&a.b), 0);
	buddy_reserve_range(&a.b, 0, UINT64_MAX);
	assert_int_equal(a.b.free_pages, 0);
	assert_int_equal(a.b.total_pages, 0);
	assert_int_equal(buddy_alloc(&a.b, 0), -1);
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

/* The allocator must never write into allocated pages. */
static void stamp(struct arena *a, u64 pfn, unsigned order, bool check)
{
	for (u64 i = 0; i < (1ULL << order); i++) {
		u64 *w = buddy_pfn_to_virt(&a->b, pfn + i);

		if (check)
			assert_true(w[0] == ~(pfn + i) && w[1] == pfn + i &&
				    w[511] == order);
		else {
			w[0] = ~(pfn + i);
			w[1] = pfn + i;
			w[511] = order;
		}
	}
}

static void test_random_stress(void **state)
{
	enum { NPAGES = 8192, MAXA = 4096 };
	static struct {
		u64 pfn;
		unsigned order;
	} live[MAXA];
	struct arena a;
	u64 start_free[MAX_ORDER];
	int n = 0;

	(void)state;
	arena_init(&a, 3 * 1024 + 17, NPAGES);
	buddy_add_range(&a.b, 3 * 1024 + 17, NPAGES);
	buddy_reserve_range(&a.b, 5000, 300);
	memcpy(start_free, a.b.nr_free, sizeof(start_free));
	for (int i = 0; i < 200000; i++) {
		if (n < MAXA && (n == 0 || rnd() % 100 < 55)) {
			unsigned order =
			    (rnd() % 8 == 0) ? rnd() % MAX_ORDER : rnd() % 3;
			s64 p = buddy_alloc(&a.b, order);

			if (p < 0)
				continue;
			stamp(&a, (u64)p, order, false);
			live[n].pfn = (u64)p;
			live[n++].order = order;
		} else {
			int j = rnd() % n;

			stamp(&a, live[j].pfn, live[j].order, true);
			assert_int_equal(
			    buddy_free(&a.b, live[j].pfn, live[j].order), 0);
			live[j] = live[--n];
		}
		if (i % 5000 == 0)
			assert_int_equal(buddy_check(&a.b), 0);
	}
	while (n > 0) {
		n--;
		assert_int_equal(buddy_free(&a.b, live[n].pfn, live[n].order),
				 0);
	}
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(a.b.free_pages, NPAGES - 300);
	assert_memory_equal(start_free, a.b.nr_free, sizeof(start_free));
	assert_int_equal(a.b.nr_errors, 0);
	arena_fini(&a);
}

/* buddy_check() notices a corrupted allocator. */
static void test_check_catches(void **state)
{
	struct arena a;
	s64 p;

	(void)state;
	arena_init(&a, 0, 64);
	buddy_add_range(&a.b, 0, 64);
	p = buddy_alloc(&a.b, 0);
	a.b.free_pages++;
	assert_int_equal(buddy_check(&a.b), BUDDY_BAD_COUNT);
	a.b.free_pages--;
	a.b.nr_free[0]++;
	assert_int_equal(buddy_check(&a.b), BUDDY_BAD_NR_FREE);
	a.b.nr_free[0]--;
	a.b.meta[p + 1] = 0x40; /* an allocated head inside page 1's block */
	assert_true(buddy_check(&a.b) < 0);
	arena_fini(&a);
}

/*
 * mm_init's order: the metadata is carved out of usable RAM (here at
 * 1 MiB, pfn 256, inside the span), then every usable range is added,
 * then the low 1 MiB and the metadata are reserved. Adding must leave the
 * metadata's pages alone: free blocks there would get their list links
 * written over the metadata (it once turned pfn 0's head byte into 0x20,
 * so the reserve missed that block and a list node stayed at address 0,
 * faulting at 0x8 in buddy_alloc much later).
 */
static void test_meta_inside_span(void **state)
{
	enum { NPAGES = 4096, META_PFN = 256 };
	struct buddy b;
	u8 *mem = aligned_alloc(PAGE_SIZE, NPAGES * PAGE_SIZE);
	u8 *meta = mem + META_PFN * PAGE_SIZE;
	u64 meta_pages = (buddy_meta_size(NPAGES) + PAGE_SIZE - 1) / PAGE_SIZE;
	s64 p;

	(void)state;
	assert_non_null(mem);
	memset(mem, 0x5a, NPAGES * PAGE_SIZE); /* RAM is not zeroed */
	buddy_init(&b, 0, NPAGES, meta, (intptr_t)mem);
	buddy_add_range(&b, 0, 160); /* conventional memory below 640 KiB */
	buddy_add_range(&b, 256, NPAGES - 256);
	assert_int_equal(buddy_check(&b), 0);
	assert_int_equal(b.free_pages, 160 + NPAGES - 256 - meta_pages);
	buddy_reserve_range(&b, 0, 256);
	buddy_reserve_range(&b, META_PFN, meta_pages);
	assert_int_equal(buddy_check(&b), 0);
	assert_int_equal(b.free_pages, NPAGES - 256 - meta_pages);
	/* Every page can be had, none below 1 MiB or in the metadata. */
	for (u64 n = 0; (p = buddy_alloc(&b, 0)) >= 0; n++) {
		assert_true(p >= (s64)(META_PFN + meta_pages));
		memset(mem + p * PAGE_SIZE, 0xa5, PAGE_SIZE);
		assert_true(n < NPAGES);
	}
	assert_int_equal(p, -1);
	assert_int_equal(b.free_pages, 0);
	assert_int_equal(buddy_check(&b), 0);
	free(mem);
}

/* A free block whose link was written to is refused, not followed. */
static void test_alloc_catches_clobbered_link(void **state)
{
	struct arena a;
	struct list_head *l;

	(void)state;
	arena_init(&a, 0, 64);
	buddy_add_range(&a.b, 0, 64);
	l = buddy_link_of(&a.b, 0); /* the one free block: 64 pages */
	l->next = NULL;		    /* a stray write into the metadata */
	assert_int_equal(buddy_alloc(&a.b, 0), BUDDY_CORRUPT);
	assert_int_equal(a.b.corrupt_pfn, 0);
	assert_int_equal(a.b.free_pages, 64);
	assert_int_equal(buddy_check(&a.b), BUDDY_BAD_LIST);
	l->next = &a.b.free[6];
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(buddy_alloc(&a.b, 0), 0);
	arena_fini(&a);
}

/* Adding RAM writes into no page of a free top-order block (a VM's host
 * backs memory on first write), and top-order blocks still come out
 * lowest first, also after one below the search hint is freed again. */
static void test_top_order_untouched(void **state)
{
	const u64 top = 1ULL << (MAX_ORDER - 1), base = 4 * top;
	struct arena a;
	s64 p[4];

	(void)state;
	arena_init(&a, base, 4 * top + 3);
	memset(a.mem, 0xa5, (4 * top + 3) * PAGE_SIZE);
	buddy_add_range(&a.b, base, 4 * top + 3);
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(a.b.nr_free[MAX_ORDER - 1], 4);
	for (u64 i = 0; i < 4 * top * PAGE_SIZE; i++)
		if (a.mem[i] != 0xa5)
			fail_msg("byte %llu of a free 4 MiB block written",
				 (unsigned long long)i);
	for (int i = 0; i < 4; i++) {
		p[i] = buddy_alloc(&a.b, MAX_ORDER - 1);
		assert_int_equal(p[i], (s64)(base + (u64)i * top));
	}
	assert_int_equal(buddy_alloc(&a.b, MAX_ORDER - 1), -1);
	assert_int_equal(buddy_free(&a.b, (u64)p[2], MAX_ORDER - 1), 0);
	assert_int_equal(buddy_free(&a.b, (u64)p[0], MAX_ORDER - 1), 0);
	assert_int_equal(buddy_check(&a.b), 0);
	assert_int_equal(buddy_alloc(&a.b, MAX_ORDER - 1), p[0]);
	assert_int_equal(buddy_alloc(&a.b, 2), p[2]); /* splits the top one */
	assert_int_equal(buddy_check(&a.b), 0);
	arena_fini(&a);
}

/* No free page is ever written: not when ranges with unaligned ends are
 * added (blocks of every order), not when blocks are split by allocations
 * and merged again by frees. Only allocated pages belong to the caller. */
static void test_free_pages_untouched(void **state)
{
	const u64 base = 1000, npages = 5000; /* unaligned both ends */
	struct arena a;
	s64 p[64];

	(void)state;
	arena_init(&a, base, npages);
	memset(a.mem, 0xa5, npages * PAGE_SIZE);
	buddy_add_range(&a.b, base + 3, 1234);
	buddy_add_range(&a.b, base + 1300, npages - 1301);
	buddy_reserve_range(&a.b, base + 2000, 77);
	for (int i = 0; i < 64; i++)
		p[i] = buddy_alloc(&a.b, (unsigned)(i % 5));
	for (int i = 0; i < 64; i += 2)
		assert_int_equal(buddy_free(&a.b, (u64)p[i], (unsigned)(i % 5)),
				 0);
	assert_int_equal(buddy_check(&a.b), 0);
	for (u64 pfn = base; pfn < base + npages; pfn++) {
		bool allocated = false;
		for (int i = 1; i < 64; i += 2)
			allocated |= p[i] >= 0 && pfn >= (u64)p[i] &&
				     pfn < (u64)p[i] + (1ULL << (i % 5));
		const u8 *pg = buddy_pfn_to_virt(&a.b, pfn);
		for (u64 j = 0; !allocated && j < PAGE_SIZE; j++)
			if (pg[j] != 0xa5)
				fail_msg("free page %llu written at byte %llu",
					 (unsigned long long)pfn,
					 (unsigned long long)j);
	}
	arena_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meta_size),
	    cmocka_unit_test(test_split_merge),
	    cmocka_unit_test(test_alignment),
	    cmocka_unit_test(test_exhaustion),
	    cmocka_unit_test(test_bad_free),
	    cmocka_unit_test(test_ranges_with_holes),
	    cmocka_unit_test(test_reserve),
	    cmocka_unit_test(test_random_stress),
	    cmocka_unit_test(test_check_catches),
	    cmocka_unit_test(test_meta_inside_span),
	    cmocka_unit_test(test_alloc_catches_clobbered_link),
	    cmocka_unit_test(test_top_order_untouched),
	    cmocka_unit_test(test_free_pages_untouched),
	};

	return cmocka_run_group_tests_name("buddy", tests, NULL, NULL);
}
