/*
 * page_alloc.c - the physical page allocator: the buddy system (buddy.c)
 * behind one lock, fed from the UEFI memory map.
 *
 * mm_init -> find the span of RAM -> carve the buddy's per-page metadata
 *         -> add usable and boot-services data ranges -> reserve low 1 MiB,
 *            the metadata itself
 * idle loop -> mm_scrub_step -> zero a boot-services code page -> add it
 */
#include <skiff/mm.h>
#include <skiff/buddy.h>
#include <skiff/boot_info.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <string.h>

static struct buddy buddy;
static DEFINE_SPINLOCK(page_lock, "page_alloc");
static u64 reclaimed_pages;

/*
 * Boot-services code is zeroed before it is given out, a page per idle
 * loop step. Under QEMU's TCG a page the firmware ran code from keeps the
 * translations of that code until every byte they cover is written, and
 * until then every store to the page takes the emulator's self-modifying
 * code path. With slab pages there, that was about 11 such stores per
 * HTTP request. Zeroing each page once ends it; on hardware the 4-5 MiB
 * cost nothing much, and they are not worth a slower boot (zeroing them
 * all at once took 234 ms under TCG).
 */
#define SCRUB_RANGES 64
static struct scrub_range {
	u64 pfn, npages;
} scrub[SCRUB_RANGES];
static unsigned scrub_count, scrub_at;
static u64 scrub_pending, scrub_total; /* pages */
static DEFINE_SPINLOCK(scrub_lock, "page_scrub");

static bool usable(u32 type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_RECLAIMABLE;
}

static void ram_span(const struct boot_mem_range *m, u32 n, u64 *lo, u64 *hi)
{
	*lo = ~0ULL;
	*hi = 0;
	for (u32 i = 0; i < n; i++) {
		if (!usable(m[i].type))
			continue;
		u64 s = m[i].phys >> PAGE_SHIFT, e = s + m[i].npages;
		*lo = MIN(*lo, s);
		*hi = MAX(*hi, e);
	}
}

/*
 * Carve `bytes` out of a usable range above 1 MiB: from the bottom of the
 * lowest range that fits (top == false) or the top of the highest (true).
 */
static u64 carve(const struct boot_mem_range *m, u32 n, u64 bytes, bool top,
		 u64 avoid_lo, u64 avoid_hi)
{
	for (u32 k = 0; k < n; k++) {
		u32 i = top ? n - 1 - k : k;
		if (m[i].type != BOOT_MEM_USABLE)
			continue;
		u64 s = MAX(m[i].phys, 1ULL << 20);
		u64 e = m[i].phys + m[i].npages * PAGE_SIZE;
		if (avoid_hi > s && avoid_lo < e)
			s = MAX(s, avoid_hi); /* only ever avoids the bottom */
		if (e <= s || e - s < bytes)
			continue;
		return top ? ALIGN_DOWN(e - bytes, PAGE_SIZE) : s;
	}
	return 0;
}

#define HEAP_MIN (2ULL << 20) /* the least heap mm_init settles for */

/* newlib's heap: an eighth of RAM, at least 8 MiB, at most 256 MiB. */
static u64 heap_size(u64 free_pages)
{
	u64 bytes = (free_pages << PAGE_SHIFT) / 8;
	return ALIGN_UP(MIN(MAX(bytes, 8ULL << 20), 256ULL << 20), PAGE_SIZE);
}

/*
 * The low 1 MiB is never given out (firmware data, the SMP trampoline),
 * so it is not added at all: adding it and reserving it afterwards would
 * write a free-list link into physical page 0, i.e. through a NULL pointer
 * (found by UBSAN=1).
 */
static bool above_low_1m(u64 *pfn, u64 *npages)
{
	const u64 low_end = (1 << 20) >> PAGE_SHIFT;

	if (*pfn + *npages <= low_end)
		return false;
	if (*pfn < low_end) {
		*npages -= low_end - *pfn;
		*pfn = low_end;
	}
	return true;
}

static void zero_and_add(u64 pfn, u64 npages)
{
	memset((void *)(pfn << PAGE_SHIFT), 0, npages << PAGE_SHIFT);
	unsigned long flags = spin_lock_irqsave(&page_lock);
	buddy_add_range(&buddy, pfn, npages);
	spin_unlock_irqrestore(&page_lock, flags);
}

/* Boot-services code waits for mm_scrub_step; past SCRUB_RANGES ranges
 * (never seen: OVMF has about 50) the rest is zeroed now. */
static void add_usable(const struct boot_mem_range *r)
{
	u64 pfn = r->phys >> PAGE_SHIFT, npages = r->npages;

	if (!above_low_1m(&pfn, &npages))
		return;
	if (r->efi_type != EFI_BOOT_SERVICES_CODE) {
		buddy_add_range(&buddy, pfn, npages);
	} else if (scrub_count < SCRUB_RANGES) {
		scrub[scrub_count++] = (struct scrub_range){pfn, npages};
		scrub_pending += npages;
		scrub_total += npages;
	} else {
		zero_and_add(pfn, npages);
	}
}

/* Claim the next page to zero, under scrub_lock; 0 when none is left. */
static u64 scrub_claim(void)
{
	while (scrub_at < scrub_count && !scrub[scrub_at].npages)
		scrub_at++;
	if (scrub_at == scrub_count)
		return 0;
	struct scrub_range *r = &scrub[scrub_at];
	r->npages--;
	scrub_pending--;
	return r->pfn++;
}

bool mm_scrub_step(void)
{
	if (!READ_ONCE(scrub_pending))
		return false;
	unsigned long flags = spin_lock_irqsave(&scrub_lock);
	u64 pfn = scrub_claim();
	bool last = pfn && !scrub_pending;
	spin_unlock_irqrestore(&scrub_lock, flags);
	if (!pfn)
		return false;
	zero_and_add(pfn, 1);
	if (last)
		pr_info("mm: %llu KiB of boot-services code zeroed and free, "
			"%llu ms after boot\n",
			(unsigned long long)(scrub_total << 2),
			(unsigned long long)(ktime_get_ns() / 1000000));
	return true;
}

/* Out of pages with some still waiting: zero them all now. */
static bool scrub_all(void)
{
	bool any = false;
	while (mm_scrub_step())
		any = true;
	return any;
}

void mm_init(const struct boot_info *bi)
{
	const struct boot_mem_range *m = (const void *)bi->mem;
	u32 n = bi->mem_count;
	u64 lo, hi;
	ram_span(m, n, &lo, &hi);
	u64 meta_bytes = ALIGN_UP(buddy_meta_size(hi - lo), PAGE_SIZE);
	u64 meta = carve(m, n, meta_bytes, false, 0, 0);
	if (!meta)
		panic("mm_init: no room for %llu bytes of page metadata",
		      (unsigned long long)meta_bytes);

	buddy_init(&buddy, lo, hi - lo, (void *)meta, 0);
	for (u32 i = 0; i < n; i++) {
		if (!usable(m[i].type))
			continue;
		add_usable(&m[i]);
		if (m[i].type == BOOT_MEM_RECLAIMABLE)
			reclaimed_pages += m[i].npages;
	}
	buddy_reserve_range(&buddy, 0, (1 << 20) >> PAGE_SHIFT);
	buddy_reserve_range(&buddy, meta >> PAGE_SHIFT,
			    meta_bytes >> PAGE_SHIFT);

	/* Firmware leaves small machines' memory in pieces: if no range
	 * holds the heap, take less (down to HEAP_MIN) rather than fail. */
	u64 hbytes = heap_size(buddy.free_pages);
	u64 heap = carve(m, n, hbytes, true, meta, meta + meta_bytes);
	while (!heap && hbytes / 2 >= HEAP_MIN) {
		hbytes = ALIGN_UP(hbytes / 2, PAGE_SIZE);
		heap = carve(m, n, hbytes, true, meta, meta + meta_bytes);
	}
	if (!heap)
		panic("mm_init: no room for a %llu KiB heap",
		      (unsigned long long)(hbytes >> 10));
	buddy_reserve_range(&buddy, heap >> PAGE_SHIFT, hbytes >> PAGE_SHIFT);
	heap_init((void *)heap, hbytes);
	/* O(pages), once: a broken free list found now, not as a wild write
	 * much later (as when the metadata held free-list links). */
	int err = buddy_check(&buddy);
	if (err)
		panic("mm_init: page allocator inconsistent after setup (%d)",
		      err);
	pr_info("mm: %llu MiB free in pages, heap %llu MiB, span %llu MiB, "
		"%llu MiB reclaimed from boot services (%llu KiB of its code "
		"zeroed from the idle loop first), metadata %llu KiB\n",
		(unsigned long long)(buddy.free_pages >> 8),
		(unsigned long long)(hbytes >> 20),
		(unsigned long long)((hi - lo) >> 8),
		(unsigned long long)(reclaimed_pages >> 8),
		(unsigned long long)(scrub_pending << 2),
		(unsigned long long)(meta_bytes >> 10));
}

void *alloc_pages(unsigned order)
{
	unsigned long flags = spin_lock_irqsave(&page_lock);
	s64 pfn = buddy_alloc(&buddy, order);
	spin_unlock_irqrestore(&page_lock, flags);
	if (pfn == -1 && scrub_all())
		return alloc_pages(order);
	if (pfn == BUDDY_CORRUPT)
		panic(
		    "alloc_pages: free block at %#llx has a broken list link: "
		    "written to after it was freed",
		    (unsigned long long)(buddy.corrupt_pfn << PAGE_SHIFT));
	return pfn < 0 ? NULL : (void *)((u64)pfn << PAGE_SHIFT);
}

/* A refused free is a double free, a wrong order or a foreign pointer:
 * the caller still uses (or never owned) the pages, so stop right here
 * with the caller's backtrace rather than at a later corruption. */
void free_pages(void *p, unsigned order)
{
	if (!p)
		return;
	unsigned long flags = spin_lock_irqsave(&page_lock);
	int err = buddy_free(&buddy, (u64)p >> PAGE_SHIFT, order);
	spin_unlock_irqrestore(&page_lock, flags);
	if (err)
		panic("free_pages: bad free of %p order %u (double free, wrong "
		      "order or not from alloc_pages)",
		      p, order);
}

void *alloc_page_zeroed(void)
{
	void *p = alloc_pages(0);
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

void mm_get_stats(struct mm_stats *s)
{
	extern void heap_get_stats(u64 * used, u64 * limit);
	memset(s, 0, sizeof(*s));
	unsigned long flags = spin_lock_irqsave(&page_lock);
	s->total_pages = buddy.total_pages;
	s->free_pages = buddy.free_pages;
	for (unsigned o = 0; o < MAX_ORDER && o < 11; o++)
		s->free_by_order[o] = buddy.nr_free[o];
	spin_unlock_irqrestore(&page_lock, flags);
	s->reclaimed_pages = reclaimed_pages;
	s->scrub_pending_pages = READ_ONCE(scrub_pending);
	heap_get_stats(&s->heap_bytes, &s->heap_limit);
}
