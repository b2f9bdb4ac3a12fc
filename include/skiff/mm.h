/*
 * mm.h - physical pages, slab caches and the heap.
 *
 * Pages come from a buddy allocator fed by the UEFI memory map (conventional
 * memory plus reclaimed boot-services memory). Their addresses are usable
 * directly: RAM is identity-mapped, so virtual == physical == DMA address.
 * Hot fixed-size objects live in slab caches (kcache_*); everything else
 * uses newlib's malloc on a heap grown by _sbrk.
 */
#ifndef SKIFF_MM_H
#define SKIFF_MM_H

#include <skiff/types.h>

struct boot_info;

void mm_init(const struct boot_info *bi);
void *alloc_pages(unsigned order); /* 2^order pages, aligned; NULL if none */
void free_pages(void *p, unsigned order);
void *alloc_page_zeroed(void);
bool mm_scrub_step(void); /* idle loop: zero one boot-services code page */

struct kcache;
struct kcache *kcache_create(const char *name, size_t size, size_t align);
void *kcache_alloc(struct kcache *c);
void kcache_free(struct kcache *c, void *obj);

struct mm_stats {
	u64 total_pages, free_pages, reserved_pages, reclaimed_pages;
	u64 scrub_pending_pages; /* boot-services code not yet zeroed */
	u64 heap_bytes, heap_limit;
	u64 free_by_order[11];
};
void mm_get_stats(struct mm_stats *s);

/* For `slabinfo`/`mem`: call fn for every cache. */
struct kmem_cache;
void kcache_for_each(void (*fn)(void *ctx, const struct kmem_cache *c),
		     void *ctx);

void heap_init(void *base, u64 bytes);

#endif
