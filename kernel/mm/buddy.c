/*
 * buddy.c - binary buddy page allocator (see buddy.h).
 *
 * Metadata: one byte a page. The head page of a free block holds
 * BUDDY_FREE | order and the head of an allocated block BUDDY_ALLOC | order;
 * every other page (inside a block, or reserved) holds 0. So the block
 * holding a page is found by trying the aligned heads above it, one per
 * order (block_at), and buddy_free() can refuse anything that is not the
 * head of an allocated block of exactly that order.
 *
 * Free blocks of the largest order (TOP_ORDER) are on no list: they are
 * found by stepping through the metadata a block at a time from top_hint.
 * The lists of the smaller orders link entries of the metadata area's
 * links[] (one per page), not the free pages: adding RAM and splitting
 * blocks write into no free page, which matters in a virtual machine: the
 * host backs guest memory on first write (here, under QEMU with
 * transparent huge pages, a fresh 2 MiB costs milliseconds; links inside
 * the pages made mm_init take 16-25 ms of every boot), so the boot
 * touches only the memory it uses.
 *
 *   buddy_alloc -> take_free, push_free (split the rest back, upper halves)
 *   buddy_free  -> insert_free (merge with free buddies) -> push_free
 */
#include <string.h>

#include <skiff/buddy.h>

#define BUDDY_FREE 0x80	 /* head of a free block */
#define BUDDY_ALLOC 0x40 /* head of an allocated block */
#define BUDDY_ORDER 0x0f /* order of the block, at its head */
#define TOP_ORDER (MAX_ORDER - 1)

static inline u8 *meta_of(const struct buddy *b, u64 pfn)
{
	return &b->meta[pfn - b->base_pfn];
}

static inline struct list_head *link_of(const struct buddy *b, u64 pfn)
{
	return buddy_link_of(b, pfn);
}

static inline u64 pfn_of_link(const struct buddy *b, const struct list_head *l)
{
	return b->base_pfn + (u64)(l - b->links);
}

static inline u64 span_end(const struct buddy *b)
{
	return b->base_pfn + b->npages;
}

/* Does [pfn, pfn + 2^order) lie inside the span? */
static bool block_in_span(const struct buddy *b, u64 pfn, unsigned order)
{
	return pfn >= b->base_pfn && pfn < span_end(b) &&
	       (1ULL << order) <= span_end(b) - pfn;
}

size_t buddy_meta_size(u64 npages)
{
	return npages * (sizeof(struct list_head) + 1);
}

void buddy_init(struct buddy *b, u64 base_pfn, u64 npages, void *meta,
		intptr_t virt_offset)
{
	b->base_pfn = base_pfn;
	b->npages = npages;
	b->links = meta;
	b->meta = (u8 *)meta + npages * sizeof(struct list_head);
	b->virt_offset = virt_offset;
	memset(b->meta, 0, npages); /* links[] is written before it is read */
	for (unsigned k = 0; k < MAX_ORDER; k++) {
		INIT_LIST_HEAD(&b->free[k]);
		b->nr_free[k] = 0;
	}
	b->free_pages = 0;
	b->total_pages = 0;
	b->nr_errors = 0;
	b->corrupt_pfn = 0;
	b->top_hint = base_pfn;
}

static void push_free(struct buddy *b, u64 pfn, unsigned order)
{
	*meta_of(b, pfn) = BUDDY_FREE | order;
	b->nr_free[order]++;
	if (order == TOP_ORDER) {
		b->top_hint = MIN(b->top_hint, pfn);
		return;
	}
	list_add(link_of(b, pfn), &b->free[order]);
}

static void take_free(struct buddy *b, u64 pfn, unsigned order)
{
	if (order != TOP_ORDER)
		list_del(link_of(b, pfn));
	*meta_of(b, pfn) = 0;
	b->nr_free[order]--;
}

/* The lowest free TOP_ORDER block: none lies below top_hint. */
static u64 first_top(struct buddy *b)
{
	u64 pfn = ALIGN_UP(MAX(b->top_hint, b->base_pfn), 1ULL << TOP_ORDER);

	while (*meta_of(b, pfn) != (BUDDY_FREE | TOP_ORDER))
		pfn += 1ULL << TOP_ORDER; /* nr_free says one exists */
	b->top_hint = pfn;
	return pfn;
}

/* Free the block [pfn, pfn + 2^order), merging while its buddy is free. */
static void insert_free(struct buddy *b, u64 pfn, unsigned order)
{
	while (order < MAX_ORDER - 1) {
		u64 buddy = pfn ^ (1ULL << order);

		if (!block_in_span(b, buddy, order) ||
		    *meta_of(b, buddy) != (BUDDY_FREE | order))
			break;
		take_free(b, buddy, order);
		pfn &= ~(1ULL << order);
		order++;
	}
	push_free(b, pfn, order);
}

/*
 * The block holding pfn: returns its head's meta (BUDDY_FREE or
 * BUDDY_ALLOC with the order) and sets *head, or returns 0 if the page
 * is reserved.
 */
static u8 block_at(const struct buddy *b, u64 pfn, u64 *head)
{
	for (unsigned k = 0; k < MAX_ORDER; k++) {
		u64 h = pfn & ~((1ULL << k) - 1);
		u8 m;

		if (h < b->base_pfn)
			break;
		m = *meta_of(b, h);
		if (m && pfn - h < (1ULL << (m & BUDDY_ORDER))) {
			*head = h;
			return m;
		}
	}
	return 0;
}

/* Largest order of an aligned block at pfn that ends by end. */
static unsigned max_order_at(u64 pfn, u64 end)
{
	unsigned k = 0;

	while (k + 1 < MAX_ORDER && IS_ALIGNED(pfn, 2ULL << k) &&
	       (2ULL << k) <= end - pfn)
		k++;
	return k;
}

/* Is every page of [pfn, pfn + n) free of block heads? */
static bool meta_clear(const struct buddy *b, u64 pfn, u64 n)
{
	const u8 *m = meta_of(b, pfn);

	for (u64 i = 0; i < n; i++)
		if (m[i])
			return false;
	return true;
}

/* Clip [pfn, pfn + count) to the span; false if nothing is left. */
static bool clip(const struct buddy *b, u64 pfn, u64 count, u64 *start,
		 u64 *end)
{
	u64 last = count > UINT64_MAX - pfn ? UINT64_MAX : pfn + count;

	*start = MAX(pfn, b->base_pfn);
	*end = MIN(last, span_end(b));
	return *start < *end;
}

static void account(struct buddy *b, u64 pages, bool add)
{
	if (add) {
		b->free_pages += pages;
		b->total_pages += pages;
	} else {
		b->free_pages -= pages;
		b->total_pages -= pages;
	}
}

/*
 * The page frames the metadata area itself sits in (when it lies in the
 * span's memory, as the kernel's does: carved out of usable RAM). They are
 * in use and must never be free.
 */
static void meta_pfns(const struct buddy *b, u64 *lo, u64 *hi)
{
	uintptr_t v = (uintptr_t)b->links - (uintptr_t)b->virt_offset;

	*lo = v >> PAGE_SHIFT;
	*hi = (v + buddy_meta_size(b->npages) + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* Hand [start, end) (inside the span) to the free lists. */
static void add_span(struct buddy *b, u64 start, u64 end)
{
	u64 head;

	while (start < end) {
		u8 m = block_at(b, start, &head);
		unsigned k;

		if (m) { /* already ours: skip the whole block */
			start = head + (1ULL << (m & BUDDY_ORDER));
			continue;
		}
		k = max_order_at(start, end);
		while (k > 0 && !meta_clear(b, start, 1ULL << k))
			k--;
		insert_free(b, start, k);
		account(b, 1ULL << k, true);
		start += 1ULL << k;
	}
}

/* The range minus the metadata's own pages (meta_pfns). */
void buddy_add_range(struct buddy *b, u64 pfn, u64 count)
{
	u64 start, end, lo, hi;

	if (!clip(b, pfn, count, &start, &end))
		return;
	meta_pfns(b, &lo, &hi);
	if (hi <= start || lo >= end) {
		add_span(b, start, end);
		return;
	}
	add_span(b, start, MAX(start, lo));
	add_span(b, MIN(end, hi), end);
}

/* Free [from, to) as the largest aligned blocks that fit. */
static void give_back(struct buddy *b, u64 from, u64 to)
{
	while (from < to) {
		unsigned k = max_order_at(from, to);

		insert_free(b, from, k);
		account(b, 1ULL << k, true);
		from += 1ULL << k;
	}
}

/* Next page at or after pfn (before end) that heads a block, or end. */
static u64 next_head(const struct buddy *b, u64 pfn, u64 end)
{
	while (pfn < end && *meta_of(b, pfn) == 0)
		pfn++;
	return pfn;
}

void buddy_reserve_range(struct buddy *b, u64 pfn, u64 count)
{
	u64 start, end, head, bend;

	if (!clip(b, pfn, count, &start, &end))
		return;
	while (start < end) {
		u8 m = block_at(b, start, &head);

		if (!m) {
			start = next_head(b, start + 1, end);
			continue;
		}
		bend = head + (1ULL << (m & BUDDY_ORDER));
		if (m & BUDDY_FREE) {
			take_free(b, head, m & BUDDY_ORDER);
			account(b, bend - head, false);
			give_back(b, head, start);
			give_back(b, MIN(end, bend), bend);
		}
		start = MIN(end, bend);
	}
}

/* Do both neighbours of pfn's free-list link point back at it? A stray
 * write into the metadata breaks this (list_del would then write through
 * the clobbered pointer). */
static bool link_intact(const struct buddy *b, u64 pfn)
{
	const struct list_head *l = link_of(b, pfn);

	return l->next && l->prev && l->next->prev == l && l->prev->next == l;
}

s64 buddy_alloc(struct buddy *b, unsigned order)
{
	unsigned k = order;
	u64 pfn;

	if (order >= MAX_ORDER)
		return -1;
	while (k < MAX_ORDER && b->nr_free[k] == 0)
		k++;
	if (k == MAX_ORDER)
		return -1;
	if (k == TOP_ORDER)
		pfn = first_top(b);
	else
		pfn = pfn_of_link(b, b->free[k].next);
	if (k != TOP_ORDER && !link_intact(b, pfn)) {
		b->corrupt_pfn = pfn;
		return BUDDY_CORRUPT;
	}
	take_free(b, pfn, k);
	while (k > order) { /* split: keep the lower half */
		k--;
		push_free(b, pfn + (1ULL << k), k);
	}
	*meta_of(b, pfn) = BUDDY_ALLOC | order;
	b->free_pages -= 1ULL << order;
	return (s64)pfn;
}

int buddy_free(struct buddy *b, u64 pfn, unsigned order)
{
	if (order >= MAX_ORDER || !IS_ALIGNED(pfn, 1ULL << order) ||
	    !block_in_span(b, pfn, order) ||
	    *meta_of(b, pfn) != (BUDDY_ALLOC | order)) {
		b->nr_errors++;
		return -1;
	}
	*meta_of(b, pfn) = 0;
	insert_free(b, pfn, order);
	b->free_pages += 1ULL << order;
	return 0;
}

static int check_top(const struct buddy *b)
{
	for (u64 pfn = ALIGN_UP(b->base_pfn, 1ULL << TOP_ORDER);
	     pfn < b->top_hint && pfn < span_end(b); pfn += 1ULL << TOP_ORDER)
		if (*meta_of(b, pfn) == (BUDDY_FREE | TOP_ORDER))
			return BUDDY_BAD_LIST;
	return list_empty(&b->free[TOP_ORDER]) ? 0 : BUDDY_BAD_LIST;
}

/* Walk free[k]: every entry must be a free head of order k in the span.
 * TOP_ORDER has no list: no free block of it may lie below top_hint (the
 * metadata walk counts them against nr_free). */
static int check_list(const struct buddy *b, unsigned k)
{
	const struct list_head *pos;
	u64 n = 0;

	if (k == TOP_ORDER)
		return check_top(b);

	for (pos = b->free[k].next; pos != &b->free[k]; pos = pos->next) {
		u64 pfn = pfn_of_link(b, pos), buddy = pfn ^ (1ULL << k);

		if (++n > b->npages || !block_in_span(b, pfn, k) ||
		    !IS_ALIGNED(pfn, 1ULL << k) ||
		    *meta_of(b, pfn) != (BUDDY_FREE | k) || !pos->next ||
		    pos->next->prev != pos)
			return BUDDY_BAD_LIST;
		if (k < MAX_ORDER - 1 && block_in_span(b, buddy, k) &&
		    *meta_of(b, buddy) == (BUDDY_FREE | k))
			return BUDDY_BAD_UNMERGED;
	}
	return n == b->nr_free[k] ? 0 : BUDDY_BAD_NR_FREE;
}

/* Walk the metadata: blocks aligned, inside the span, not overlapping. */
static int check_meta(const struct buddy *b, u64 *nfree, u64 *nalloc,
		      u64 heads[MAX_ORDER])
{
	u64 pfn = b->base_pfn;

	while (pfn < span_end(b)) {
		u8 m = *meta_of(b, pfn);
		unsigned k = m & BUDDY_ORDER, flag = m & ~BUDDY_ORDER;

		if (!m) {
			pfn++;
			continue;
		}
		if ((flag != BUDDY_FREE && flag != BUDDY_ALLOC) ||
		    k >= MAX_ORDER || !IS_ALIGNED(pfn, 1ULL << k) ||
		    !block_in_span(b, pfn, k) ||
		    !meta_clear(b, pfn + 1, (1ULL << k) - 1))
			return BUDDY_BAD_BLOCK;
		if (m & BUDDY_FREE) {
			*nfree += 1ULL << k;
			heads[k]++;
		} else {
			*nalloc += 1ULL << k;
		}
		pfn += 1ULL << k;
	}
	return 0;
}

int buddy_check(const struct buddy *b)
{
	u64 nfree = 0, nalloc = 0, heads[MAX_ORDER] = {0};
	int err;

	for (unsigned k = 0; k < MAX_ORDER; k++)
		if ((err = check_list(b, k)) != 0)
			return err;
	if ((err = check_meta(b, &nfree, &nalloc, heads)) != 0)
		return err;
	for (unsigned k = 0; k < MAX_ORDER; k++)
		if (heads[k] != b->nr_free[k])
			return BUDDY_BAD_NR_FREE;
	if (nfree != b->free_pages || nfree + nalloc != b->total_pages)
		return BUDDY_BAD_COUNT;
	return 0;
}
