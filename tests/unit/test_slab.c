/*
 * test_slab.c - host tests for kernel/mm/slab.c, with pages from the buddy
 * allocator over a host arena: alloc/free patterns, slab reuse, shrink,
 * bad frees caught, counters, many sizes, poisoning, and a stress run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/buddy.h>
#include <skiff/slab.h>

#define ARENA_PAGES 4096 /* 16 MiB */

/* Page provider: the buddy allocator with virt == phys over the arena. */
struct pages {
	struct buddy b;
	u8 *mem;
	u8 meta[ARENA_PAGES * (sizeof(struct list_head) + 1)] /* meta_size */
	    __attribute__((aligned(16)));
	bool fail; /* make alloc_pages fail */
	u64 start_free;
};

static void *pages_alloc(void *ctx, unsigned order)
{
	struct pages *pg = ctx;
	s64 pfn;

	if (pg->fail || (pfn = buddy_alloc(&pg->b, order)) < 0)
		return NULL;
	return buddy_pfn_to_virt(&pg->b, (u64)pfn);
}

static void pages_free(void *ctx, void *p, unsigned order)
{
	struct pages *pg = ctx;

	assert_int_equal(buddy_free(&pg->b, (uintptr_t)p >> PAGE_SHIFT, order),
			 0);
}

static struct pages *pages_new(void)
{
	struct pages *pg = calloc(1, sizeof(*pg));
	u64 base;

	assert_non_null(pg);
	pg->mem = aligned_alloc(1 << 22, ARENA_PAGES * PAGE_SIZE);
	assert_non_null(pg->mem);
	base = (uintptr_t)pg->mem >> PAGE_SHIFT;
	buddy_init(&pg->b, base, ARENA_PAGES, pg->meta, 0);
	buddy_add_range(&pg->b, base, ARENA_PAGES);
	pg->start_free = pg->b.free_pages;
	return pg;
}

static struct slab_page_ops ops_of(struct pages *pg)
{
	struct slab_page_ops ops = {pages_alloc, pages_free, pg};

	return ops;
}

static void pages_done(struct pages *pg)
{
	assert_int_equal(pg->b.free_pages, pg->start_free);
	assert_int_equal(buddy_check(&pg->b), 0);
	free(pg->mem);
	free(pg);
}

static u64 rnd_state = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static const size_t sizes[] = {
    1,	 8,   13,   16,	  24,	31,   64,   100,  128,	192,  255,  256,  500,
    512, 777, 1000, 1024, 2000, 2048, 3000, 4095, 4096, 5000, 8192, 20000};

static void test_init_layout(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t bytes;

		assert_int_equal(kmem_cache_init(&c, "t", sizes[i], 0, 0, &ops),
				 0);
		bytes = PAGE_SIZE << c.order;
		assert_true(c.objs_per_slab >= 1);
		assert_true(c.size >= sizes[i] && c.size % 8 == 0);
		assert_true(c.first_obj % c.align == 0);
		assert_true(c.first_obj + c.objs_per_slab * c.size <= bytes);
		if (sizes[i] <= 4096) /* waste at most 1/8 */
			assert_true((bytes - c.objs_per_slab * c.size) * 8 <=
				    bytes);
	}
	assert_int_equal(kmem_cache_init(&c, "t", 100, 64, 0, &ops), 0);
	assert_int_equal(c.size, 128);
	assert_int_equal(c.first_obj % 64, 0);
	assert_int_equal(kmem_cache_init(&c, "t", 0, 0, 0, &ops), -1);
	assert_int_equal(kmem_cache_init(&c, "t", 64, 24, 0, &ops), -1);
	assert_int_equal(kmem_cache_init(&c, "t", 64, 8192, 0, &ops), -1);
	assert_int_equal(kmem_cache_init(&c, "t", 1 << 20, 0, 0, &ops), -1);
	assert_null(kmem_cache_alloc(&c)); /* a failed cache stays inert */
	pages_done(pg);
}

static void test_alloc_free_basic(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;
	void *objs[1000];

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "basic", 64, 0, 0, &ops), 0);
	for (int i = 0; i < 1000; i++) {
		objs[i] = kmem_cache_alloc(&c);
		assert_non_null(objs[i]);
		assert_true((uintptr_t)objs[i] % 8 == 0);
		memset(objs[i], i & 0xff, 64);
	}
	assert_int_equal(c.active_objs, 1000);
	assert_int_equal(c.nr_slabs, DIV_ROUND_UP(1000, c.objs_per_slab));
	assert_int_equal(c.total_objs, c.nr_slabs * c.objs_per_slab);
	assert_int_equal(kmem_cache_check(&c), 0);
	for (int i = 0; i < 1000; i++) {
		for (int j = 0; j < 64; j++)
			assert_int_equal(((u8 *)objs[i])[j], i & 0xff);
		assert_int_equal(kmem_cache_free(&c, objs[i]), 0);
	}
	assert_int_equal(c.active_objs, 0);
	assert_int_equal(c.nr_slabs, 1); /* one empty slab is kept */
	assert_int_equal(c.nr_empty, 1);
	assert_int_equal(kmem_cache_check(&c), 0);
	kmem_cache_shrink(&c);
	assert_int_equal(c.nr_slabs, 0);
	assert_int_equal(c.total_objs, 0);
	assert_int_equal(kmem_cache_check(&c), 0);
	pages_done(pg);
}

static void test_slab_reuse(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;
	void *a, *b, *objs[64];
	unsigned n;

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "reuse", 200, 0, 0, &ops), 0);
	n = c.objs_per_slab;
	assert_true(n < 64);
	a = kmem_cache_alloc(&c);
	assert_int_equal(kmem_cache_free(&c, a), 0);
	assert_int_equal(c.nr_slabs, 1);
	b = kmem_cache_alloc(&c);
	assert_ptr_equal(a, b); /* the hot object comes back */
	assert_int_equal(c.nr_slabs, 1);
	/* Fill one slab, start another, empty the second: it is reused. */
	objs[0] = b;
	for (unsigned i = 1; i < n; i++)
		assert_non_null(objs[i] = kmem_cache_alloc(&c));
	a = kmem_cache_alloc(&c);
	assert_int_equal(c.nr_slabs, 2);
	assert_int_equal(kmem_cache_free(&c, a), 0);
	assert_int_equal(c.nr_empty, 1);
	assert_ptr_equal(objs[n] = kmem_cache_alloc(&c), a);
	assert_int_equal(c.nr_slabs, 2);
	assert_int_equal(kmem_cache_check(&c), 0);
	assert_int_equal(kmem_cache_destroy(&c), -1); /* still in use */
	for (unsigned i = 0; i <= n; i++)
		assert_int_equal(kmem_cache_free(&c, objs[i]), 0);
	assert_int_equal(kmem_cache_destroy(&c), 0);
	pages_done(pg);
}

static void test_bad_free(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c, other;
	void *a, *b, *x, *raw;

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "c", 48, 0, 0, &ops), 0);
	assert_int_equal(kmem_cache_init(&other, "other", 48, 0, 0, &ops), 0);
	a = kmem_cache_alloc(&c);
	b = kmem_cache_alloc(&c);
	x = kmem_cache_alloc(&other);
	raw = pages_alloc(pg, 0);
	memset(raw, 0, PAGE_SIZE);
	assert_int_equal(kmem_cache_free(&c, NULL), -1);
	assert_int_equal(kmem_cache_free(&c, x), -1);		  /* foreign */
	assert_int_equal(kmem_cache_free(&c, (char *)a + 1), -1); /* inside */
	assert_int_equal(kmem_cache_free(&c, (char *)a + 8), -1);
	assert_int_equal(kmem_cache_free(&c, (char *)a - c.first_obj), -1);
	assert_int_equal(kmem_cache_free(&c, raw), -1);
	assert_int_equal(kmem_cache_free(&c, (char *)raw + 100), -1);
	assert_int_equal(kmem_cache_free(&c, a), 0);
	assert_int_equal(kmem_cache_free(&c, a), -1); /* double free */
	assert_int_equal(c.free_errors, 8);
	assert_int_equal(c.active_objs, 1);
	assert_int_equal(kmem_cache_check(&c), 0);
	assert_int_equal(kmem_cache_free(&c, b), 0);
	assert_int_equal(kmem_cache_free(&c, b), -1);
	assert_int_equal(kmem_cache_free(&other, x), 0);
	assert_int_equal(kmem_cache_destroy(&c), 0);
	assert_int_equal(kmem_cache_destroy(&other), 0);
	/* The released slab's memory is no slab any more. */
	assert_int_equal(kmem_cache_free(&c, b), -1);
	pages_free(pg, raw, 0);
	pages_done(pg);
}

static void test_counters_and_failure(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;
	void *objs[64];
	unsigned n;

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "cnt", 1000, 0, 0, &ops), 0);
	n = c.objs_per_slab;
	assert_true(n <= 64);
	for (unsigned i = 0; i < n; i++)
		objs[i] = kmem_cache_alloc(&c);
	assert_int_equal(c.nr_slabs, 1);
	assert_int_equal(c.active_objs, n);
	pg->fail = true;
	assert_null(kmem_cache_alloc(&c));
	assert_int_equal(c.alloc_failures, 1);
	assert_int_equal(kmem_cache_free(&c, objs[0]), 0);
	assert_ptr_equal(kmem_cache_alloc(&c), objs[0]); /* no pages needed */
	pg->fail = false;
	assert_non_null(objs[n] = kmem_cache_alloc(&c));
	assert_int_equal(c.nr_slabs, 2);
	assert_int_equal(c.total_objs, 2 * n);
	assert_int_equal(c.active_objs, n + 1);
	assert_int_equal(kmem_cache_check(&c), 0);
	for (unsigned i = 0; i <= n; i++)
		assert_int_equal(kmem_cache_free(&c, objs[i]), 0);
	assert_int_equal(kmem_cache_destroy(&c), 0);
	pages_done(pg);
}

/* Fill whole objects with a pattern: no two objects overlap. */
static void one_size(struct slab_page_ops *ops, size_t size, size_t align)
{
	enum { N = 300 };
	struct kmem_cache c;
	u8 *objs[N], tag[N];

	assert_int_equal(kmem_cache_init(&c, "size", size, align, 0, ops), 0);
	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(&c);
		assert_non_null(objs[i]);
		assert_true((uintptr_t)objs[i] % c.align == 0);
		tag[i] = i % 251;
		memset(objs[i], tag[i], size);
	}
	for (int n = N; n > 0; n--) {
		int j = rnd() % n;

		for (size_t k = 0; k < size; k++)
			assert_int_equal(objs[j][k], tag[j]);
		assert_int_equal(kmem_cache_free(&c, objs[j]), 0);
		objs[j] = objs[n - 1];
		tag[j] = tag[n - 1];
	}
	assert_int_equal(c.active_objs, 0);
	assert_int_equal(kmem_cache_check(&c), 0);
	assert_int_equal(kmem_cache_destroy(&c), 0);
}

static void test_many_sizes(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		one_size(&ops, sizes[i], 0);
		one_size(&ops, sizes[i], 64);
	}
	for (size_t s = 8; s <= 4096; s += 8 + s / 4)
		one_size(&ops, s + (s & 1 ? 0 : 3), 0);
	pages_done(pg);
}

static void test_poison(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;
	u8 *a, *b, *d;

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "p", 64, 0, SLAB_POISON, &ops), 0);
	a = kmem_cache_alloc(&c);
	b = kmem_cache_alloc(&c);
	assert_int_equal(c.poison_errors, 0);
	assert_int_equal(kmem_cache_free(&c, a), 0);
	assert_int_equal(a[20], POISON_FREE);
	a[20] = 1; /* use after free */
	assert_ptr_equal(kmem_cache_alloc(&c), a);
	assert_int_equal(c.poison_errors, 1);
	/* Clobber the free link of a freed object: caught, chain rebuilt. */
	assert_int_equal(kmem_cache_free(&c, b), 0);
	memset(b, 0x41, 8);
	assert_ptr_equal(kmem_cache_alloc(&c), b);
	assert_int_equal(c.poison_errors, 2);
	assert_int_equal(kmem_cache_check(&c), 0);
	d = kmem_cache_alloc(&c);
	assert_non_null(d);
	assert_true(d != a && d != b);
	assert_int_equal(c.poison_errors, 2);
	assert_int_equal(kmem_cache_free(&c, a), 0);
	assert_int_equal(kmem_cache_free(&c, b), 0);
	assert_int_equal(kmem_cache_free(&c, d), 0);
	assert_int_equal(kmem_cache_destroy(&c), 0);
	pages_done(pg);
}

/* Without poisoning, a clobbered link is still caught. */
static void test_bad_link(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;
	void *a, *b, *objs[8];

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "l", 32, 0, 0, &ops), 0);
	a = kmem_cache_alloc(&c);
	b = kmem_cache_alloc(&c);
	kmem_cache_free(&c, a);
	memcpy(a, &b, sizeof(b)); /* link to an allocated object */
	assert_ptr_equal(kmem_cache_alloc(&c), a);
	assert_int_equal(c.poison_errors, 1);
	for (int i = 0; i < 8; i++) {
		objs[i] = kmem_cache_alloc(&c);
		assert_true(objs[i] != a && objs[i] != b);
	}
	assert_int_equal(kmem_cache_check(&c), 0);
	for (int i = 0; i < 8; i++)
		kmem_cache_free(&c, objs[i]);
	kmem_cache_free(&c, a);
	kmem_cache_free(&c, b);
	assert_int_equal(kmem_cache_destroy(&c), 0);
	pages_done(pg);
}

/* A link that skips a free object: the lost object is found again. */
static void test_short_chain(void **state)
{
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c;
	void *objs[200], *got[3];
	unsigned n;

	(void)state;
	assert_int_equal(kmem_cache_init(&c, "chain", 32, 0, 0, &ops), 0);
	n = c.objs_per_slab;
	assert_true(n <= 200);
	for (unsigned i = 0; i < n; i++)
		objs[i] = kmem_cache_alloc(&c);
	kmem_cache_free(&c, objs[7]); /* chain: 5 -> 6 -> 7 */
	kmem_cache_free(&c, objs[6]);
	kmem_cache_free(&c, objs[5]);
	memcpy(objs[5], &objs[7], sizeof(void *)); /* now 5 -> 7 */
	for (int i = 0; i < 3; i++)
		got[i] = kmem_cache_alloc(&c);
	assert_ptr_equal(got[0], objs[5]);
	assert_ptr_equal(got[1], objs[7]);
	assert_ptr_equal(got[2], objs[6]); /* found through the bitmap */
	assert_int_equal(c.poison_errors, 1);
	assert_int_equal(c.nr_slabs, 1);
	assert_int_equal(kmem_cache_check(&c), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(kmem_cache_free(&c, objs[i]), 0);
	assert_int_equal(kmem_cache_destroy(&c), 0);
	pages_done(pg);
}

static void test_stress(void **state)
{
	enum { NC = 4, MAXL = 6000 };
	static void *live[MAXL];
	static int owner[MAXL];
	const size_t csz[NC] = {32, 200, 1500, 4096};
	struct pages *pg = pages_new();
	struct slab_page_ops ops = ops_of(pg);
	struct kmem_cache c[NC];
	int n = 0;

	(void)state;
	for (int i = 0; i < NC; i++)
		assert_int_equal(kmem_cache_init(&c[i], "s", csz[i], 0,
						 i % 2 ? SLAB_POISON : 0, &ops),
				 0);
	for (int it = 0; it < 300000; it++) {
		bool grow = (it / 20000) % 2 == 0;

		if (n < MAXL && (n == 0 || rnd() % 100 < (grow ? 60 : 40))) {
			int k = rnd() % NC;
			void *o = kmem_cache_alloc(&c[k]);

			if (!o)
				continue;
			memset(o, 0x5a, 16);
			owner[n] = k;
			live[n++] = o;
		} else {
			int j = rnd() % n;

			assert_int_equal(kmem_cache_free(&c[owner[j]], live[j]),
					 0);
			live[j] = live[--n];
			owner[j] = owner[n];
		}
		if (it % 10000 == 0)
			for (int k = 0; k < NC; k++)
				assert_int_equal(kmem_cache_check(&c[k]), 0);
	}
	while (n-- > 0)
		assert_int_equal(kmem_cache_free(&c[owner[n]], live[n]), 0);
	for (int k = 0; k < NC; k++) {
		assert_int_equal(c[k].poison_errors, 0);
		assert_int_equal(c[k].free_errors, 0);
		assert_int_equal(kmem_cache_check(&c[k]), 0);
		assert_int_equal(kmem_cache_destroy(&c[k]), 0);
	}
	pages_done(pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_layout),
	    cmocka_unit_test(test_alloc_free_basic),
	    cmocka_unit_test(test_slab_reuse),
	    cmocka_unit_test(test_bad_free),
	    cmocka_unit_test(test_counters_and_failure),
	    cmocka_unit_test(test_many_sizes),
	    cmocka_unit_test(test_poison),
	    cmocka_unit_test(test_bad_link),
	    cmocka_unit_test(test_short_chain),
	    cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests_name("slab", tests, NULL, NULL);
}
