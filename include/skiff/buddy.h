/*
 * buddy.h - the physical page allocator: a binary buddy system over one
 * span of page frames, Linux-style (mm/page_alloc.c).
 *
 * Blocks are 2^order pages, order 0..MAX_ORDER-1 (4 KiB .. 4 MiB), and
 * naturally aligned in PFN space: a block of order k starts at a PFN that
 * is a multiple of 2^k. Its buddy is the block at pfn ^ 2^k; two free
 * buddies of the same order merge into one block of order k+1.
 *
 * The allocator is pure and never writes into the pages it manages (as
 * Linux keeps its lists in struct page): per-page state lives in a
 * caller-provided area of buddy_meta_size() bytes, a free-list link a page
 * (used only at the head of a free block below the top order; free blocks
 * of the top order are on no list, see buddy.c) and one byte a page,
 * non-zero only at the head page of a free or allocated block (flag and
 * order). In a virtual machine the host backs guest memory on first write
 * (under QEMU with transparent huge pages, a fresh 2 MiB costs
 * milliseconds), so a free page that is never written costs nothing.
 */
#ifndef SKIFF_BUDDY_H
#define SKIFF_BUDDY_H

#include <skiff/list.h>
#include <skiff/types.h>

#define MAX_ORDER 11 /* orders 0..10: up to 1024 pages, 4 MiB */

struct buddy {
	u64 base_pfn;		 /* first page frame of the span */
	u64 npages;		 /* span length; pages outside are never used */
	struct list_head *links; /* npages, the start of the metadata area */
	u8 *meta;	      /* npages bytes, see buddy.c for the encoding */
	intptr_t virt_offset; /* virt = phys + virt_offset */
	struct list_head free[MAX_ORDER]; /* free blocks; the top one unused */
	u64 nr_free[MAX_ORDER];		  /* blocks on free[order] */
	u64 free_pages;			  /* pages in free blocks */
	u64 total_pages;		  /* pages owned: free + allocated */
	u64 nr_errors;			  /* bad buddy_free() calls refused */
	u64 corrupt_pfn; /* the broken link buddy_alloc() found */
	u64 top_hint;	 /* no free block of the top order lies below */
};

/* Bytes of metadata needed for a span of npages (17 a page). */
size_t buddy_meta_size(u64 npages);

/* Set up an empty allocator over [base_pfn, base_pfn + npages). Every page
 * starts reserved; meta must hold buddy_meta_size(npages) bytes, aligned
 * for a pointer. Only its per-page bytes are written here. */
void buddy_init(struct buddy *b, u64 base_pfn, u64 npages, void *meta,
		intptr_t virt_offset);

/* Hand usable pages to the allocator (clipped to the span), merging with
 * free neighbours. Pages it already owns are left alone, and so are the
 * pages holding meta (when it lies inside the span): they are in use. */
void buddy_add_range(struct buddy *b, u64 pfn, u64 count);

/* Take pages out of the free pool again, splitting free blocks that
 * straddle the range. Allocated pages in the range are left alone. */
void buddy_reserve_range(struct buddy *b, u64 pfn, u64 count);

/* A naturally aligned block of 2^order pages: its first PFN, or -1; or
 * BUDDY_CORRUPT (changing nothing) if the free block it would take has a
 * broken list link (something wrote into a free page): the PFN of that
 * block is left in corrupt_pfn. */
#define BUDDY_CORRUPT (-2)
s64 buddy_alloc(struct buddy *b, unsigned order);

/*
 * Give back a block from buddy_alloc() with the same order; merges with
 * free buddies. Returns 0, or -1 if pfn/order is not an allocated block
 * (double free, wrong order, pfn outside the span or inside a block): the
 * call then changes nothing but nr_errors.
 */
int buddy_free(struct buddy *b, u64 pfn, unsigned order);

/*
 * Check every invariant (free lists against the metadata, alignment, no
 * overlapping blocks, no unmerged free buddies, counters). Returns 0 if the
 * allocator is consistent, else a negative code naming the first broken
 * invariant (BUDDY_BAD_*). For tests and debugging: O(npages).
 */
int buddy_check(const struct buddy *b);

/* What buddy_check() found broken. */
enum {
	BUDDY_BAD_LIST = -1,	 /* a free-list entry disagrees with meta */
	BUDDY_BAD_UNMERGED = -2, /* two free buddies left unmerged */
	BUDDY_BAD_NR_FREE = -3,	 /* nr_free[] differs from the lists */
	BUDDY_BAD_BLOCK = -4,	 /* a block misaligned, overlapping or out */
	BUDDY_BAD_COUNT = -5,	 /* free_pages or total_pages is wrong */
};

/* The free-list link of page pfn (in the metadata area). */
static inline struct list_head *buddy_link_of(const struct buddy *b, u64 pfn)
{
	return &b->links[pfn - b->base_pfn];
}

/* The virtual address of page pfn. */
static inline void *buddy_pfn_to_virt(const struct buddy *b, u64 pfn)
{
	return (void *)(uintptr_t)((pfn << PAGE_SHIFT) + b->virt_offset);
}

#endif
