/*
 * slab.h - object caches for fixed-size objects (Bonwick's slab allocator,
 * in the shape of Linux's kmem_cache API).
 *
 * A slab is one naturally aligned block of 2^order pages from the page
 * provider. It starts with a small header, then the objects:
 *
 *   +-------------+--------------+-----+-------+-------+-----+---------+
 *   | struct slab | alloc bitmap | pad | obj 0 | obj 1 | ... | (waste) |
 *   +-------------+--------------+-----+-------+-------+-----+---------+
 *   ^ aligned to PAGE_SIZE << order, so obj -> slab is an align-down
 *
 * Free objects are chained through their first word. The bitmap marks the
 * allocated ones, which is how double frees are caught. Slabs sit on one
 * of three lists: partial (some objects free), full, and empty; at most
 * one empty slab is kept, the rest go back to the page provider.
 *
 * Pure: no locks (the caller holds one per cache) and no global state.
 */
#ifndef SKIFF_SLAB_H
#define SKIFF_SLAB_H

#include <skiff/list.h>
#include <skiff/types.h>

#define SLAB_POISON 0x1	 /* fill freed objects, check them on alloc */
#define SLAB_MAX_ORDER 5 /* slabs of at most 32 pages */
#define SLAB_MIN_ALIGN 8 /* objects hold a pointer when free */
#define POISON_FREE 0x6b /* byte pattern of a freed object */

struct slab_page_ops {
	/* 2^order pages aligned to their size, or NULL. */
	void *(*alloc_pages)(void *ctx, unsigned order);
	void (*free_pages)(void *ctx, void *p, unsigned order);
	void *ctx;
};

struct kmem_cache {
	const char *name;
	size_t obj_size; /* as asked for */
	size_t size;	 /* stride: obj_size rounded up to align */
	size_t align;	 /* power of two, >= SLAB_MIN_ALIGN */
	unsigned order;	 /* each slab is 2^order pages */
	unsigned objs_per_slab;
	size_t first_obj; /* offset of object 0 from the slab start */
	struct list_head partial, full, empty;
	u64 active_objs; /* allocated now */
	u64 total_objs;	 /* in all slabs */
	u64 nr_slabs;
	u64 nr_empty;	    /* slabs on the empty list (0 or 1) */
	u64 alloc_failures; /* kmem_cache_alloc returned NULL */
	u64 free_errors;    /* double frees and foreign pointers refused */
	u64 poison_errors;  /* free objects found written to */
	struct slab_page_ops ops;
	u32 flags; /* SLAB_POISON */
};

/*
 * Set up a cache of objects of size bytes aligned to align (0 means
 * SLAB_MIN_ALIGN; otherwise a power of two up to PAGE_SIZE). Picks the
 * smallest slab order that wastes at most 1/8 of the slab. Returns 0, or
 * -1 if the size or alignment cannot be served.
 */
int kmem_cache_init(struct kmem_cache *c, const char *name, size_t size,
		    size_t align, u32 flags, const struct slab_page_ops *ops);

/* An object, or NULL (counted in alloc_failures) if no pages are left. */
void *kmem_cache_alloc(struct kmem_cache *c);

/*
 * Give obj back. Returns 0; or -1 for NULL, a pointer that is not an
 * object of this cache (foreign pointer), or an object that is already
 * free (double free): nothing changes but free_errors. obj must be
 * readable memory's address such as any kernel pointer: the check reads
 * the header of the slab-sized block obj would belong to.
 */
int kmem_cache_free(struct kmem_cache *c, void *obj);

/* Give every empty slab back to the page provider. */
void kmem_cache_shrink(struct kmem_cache *c);

/* Release all slabs. Returns -1 (and does nothing) if objects are still
 * allocated. */
int kmem_cache_destroy(struct kmem_cache *c);

/* Check lists and counters against the slabs. 0 if consistent, else -1.
 * For tests and debugging. */
int kmem_cache_check(const struct kmem_cache *c);

#endif
