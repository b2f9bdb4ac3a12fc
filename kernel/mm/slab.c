/*
 * slab.c - object caches (see the layout diagram in slab.h).
 *
 *   kmem_cache_alloc -> pick_slab (partial, empty, or slab_new)
 *                    -> slab_take -> slab_file
 *   kmem_cache_free  -> slab_of (validate) -> slab_put -> slab_file
 *                    -> slab_release (a second empty slab)
 *
 * A use-after-free write can clobber a free object's link word. slab_take
 * checks every link before following it, and if one is bad, or the chain
 * ends while the bitmap still shows free objects, it counts a poison error
 * and rebuilds the free chain from the bitmap.
 */
#include <string.h>

#include <skiff/slab.h>

#define SLAB_MAGIC 0x51ab0c1dU

struct slab {
	struct list_head list; /* on the cache's partial, full or empty */
	struct kmem_cache *cache;
	void *freelist; /* first free object; each holds the next */
	u32 inuse;	/* objects allocated */
	u32 magic;	/* SLAB_MAGIC ^ page frame of the header */
	u64 bitmap[];	/* bit i set: object i is allocated */
};

static inline size_t slab_bytes(const struct kmem_cache *c)
{
	return PAGE_SIZE << c->order;
}

static inline u32 slab_magic(const struct slab *s)
{
	return SLAB_MAGIC ^ (u32)((uintptr_t)s >> PAGE_SHIFT);
}

static inline void *obj_at(const struct kmem_cache *c, struct slab *s,
			   unsigned i)
{
	return (char *)s + c->first_obj + (size_t)i * c->size;
}

static inline void *get_link(const void *obj)
{
	void *next;

	memcpy(&next, obj, sizeof(next));
	return next;
}

static inline void set_link(void *obj, void *next)
{
	memcpy(obj, &next, sizeof(next));
}

static inline bool bit_test(const struct slab *s, unsigned i)
{
	return s->bitmap[i / 64] & (1ULL << (i % 64));
}

static inline void bit_flip(struct slab *s, unsigned i)
{
	s->bitmap[i / 64] ^= 1ULL << (i % 64);
}

/* Offset of object 0 in a slab holding n objects of alignment align. */
static size_t first_offset(unsigned n, size_t align)
{
	return ALIGN_UP(sizeof(struct slab) + 8 * DIV_ROUND_UP(n, 64), align);
}

/* How many objects of stride size fit a slab of bytes; 0 if none. */
static unsigned fit_objects(size_t bytes, size_t size, size_t align)
{
	size_t n;

	if (bytes <= sizeof(struct slab) + 8)
		return 0;
	n = (bytes - sizeof(struct slab)) / size;
	while (n > 0 && first_offset(n, align) + n * size > bytes)
		n--;
	return n;
}

/* Smallest order wasting at most 1/8 of the slab, else the least waste. */
static int pick_order(const struct kmem_cache *c)
{
	size_t best_waste = 0, best_bytes = 0;
	int best = -1;

	for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
		size_t bytes = PAGE_SIZE << order;
		unsigned n = fit_objects(bytes, c->size, c->align);
		size_t waste = bytes - n * c->size;

		if (n == 0)
			continue;
		if (waste * 8 <= bytes)
			return order;
		if (best < 0 || waste * best_bytes < best_waste * bytes) {
			best = order;
			best_waste = waste;
			best_bytes = bytes;
		}
	}
	return best;
}

int kmem_cache_init(struct kmem_cache *c, const char *name, size_t size,
		    size_t align, u32 flags, const struct slab_page_ops *ops)
{
	int order;

	memset(c, 0, sizeof(*c));
	INIT_LIST_HEAD(&c->partial);
	INIT_LIST_HEAD(&c->full);
	INIT_LIST_HEAD(&c->empty);
	c->name = name;
	c->ops = *ops;
	c->flags = flags;
	if (align == 0)
		align = SLAB_MIN_ALIGN;
	if (size == 0 || size > (PAGE_SIZE << SLAB_MAX_ORDER) ||
	    (align & (align - 1)) || align > PAGE_SIZE)
		return -1;
	c->obj_size = size;
	c->align = MAX(align, (size_t)SLAB_MIN_ALIGN);
	c->size = ALIGN_UP(size, c->align);
	if ((order = pick_order(c)) < 0)
		return -1;
	c->order = order;
	c->objs_per_slab = fit_objects(slab_bytes(c), c->size, c->align);
	c->first_obj = first_offset(c->objs_per_slab, c->align);
	return 0;
}

static void poison(const struct kmem_cache *c, void *obj)
{
	if (c->flags & SLAB_POISON)
		memset(obj, POISON_FREE, c->size);
}

/* Was free object obj written to since it was poisoned? */
static bool poison_broken(const struct kmem_cache *c, const void *obj)
{
	const u8 *p = obj;

	if (!(c->flags & SLAB_POISON))
		return false;
	for (size_t i = sizeof(void *); i < c->size; i++)
		if (p[i] != POISON_FREE)
			return true;
	return false;
}

/* Chain every free object (bitmap bit clear) into s->freelist. */
static void build_freelist(struct kmem_cache *c, struct slab *s)
{
	s->freelist = NULL;
	for (unsigned i = c->objs_per_slab; i-- > 0;) {
		if (bit_test(s, i))
			continue;
		set_link(obj_at(c, s, i), s->freelist);
		s->freelist = obj_at(c, s, i);
	}
}

static struct slab *slab_new(struct kmem_cache *c)
{
	void *p = c->ops.alloc_pages(c->ops.ctx, c->order);
	struct slab *s = p;

	if (!p)
		return NULL;
	if (!IS_ALIGNED((uintptr_t)p, slab_bytes(c))) {
		c->ops.free_pages(c->ops.ctx, p, c->order);
		return NULL;
	}
	s->cache = c;
	s->magic = slab_magic(s);
	s->inuse = 0;
	memset(s->bitmap, 0, 8 * DIV_ROUND_UP(c->objs_per_slab, 64));
	for (unsigned i = 0; i < c->objs_per_slab; i++)
		poison(c, obj_at(c, s, i));
	build_freelist(c, s);
	INIT_LIST_HEAD(&s->list);
	c->nr_slabs++;
	c->total_objs += c->objs_per_slab;
	return s;
}

static void slab_release(struct kmem_cache *c, struct slab *s)
{
	list_del(&s->list);
	s->magic = 0;
	c->nr_slabs--;
	c->total_objs -= c->objs_per_slab;
	c->ops.free_pages(c->ops.ctx, s, c->order);
}

/*
 * Index of obj in slab s, or -1 if obj is not an object boundary of s.
 * Pointer arithmetic is done on integers: obj may be anything.
 */
static long obj_index(const struct kmem_cache *c, const struct slab *s,
		      const void *obj)
{
	uintptr_t first = (uintptr_t)s + c->first_obj, p = (uintptr_t)obj;

	if (p < first || (p - first) % c->size ||
	    (p - first) / c->size >= c->objs_per_slab)
		return -1;
	return (long)((p - first) / c->size);
}

/* The slab of this cache that obj belongs to, or NULL. */
static struct slab *slab_of(const struct kmem_cache *c, const void *obj,
			    long *idx)
{
	struct slab *s;

	if (!obj || c->objs_per_slab == 0)
		return NULL;
	s = (struct slab *)ALIGN_DOWN((uintptr_t)obj, slab_bytes(c));
	if (s->magic != slab_magic(s) || s->cache != c)
		return NULL;
	*idx = obj_index(c, s, obj);
	return *idx < 0 ? NULL : s;
}

/* Put s on the list its fill level calls for. */
static void slab_file(struct kmem_cache *c, struct slab *s)
{
	list_del(&s->list);
	if (s->inuse == 0) {
		list_add(&s->list, &c->empty);
		c->nr_empty++;
	} else if (s->inuse == c->objs_per_slab) {
		list_add(&s->list, &c->full);
	} else {
		list_add(&s->list, &c->partial);
	}
}

/* Is next a valid free link of s (NULL, or a free object of s)? */
static bool link_ok(const struct kmem_cache *c, const struct slab *s,
		    const void *next)
{
	long i;

	if (!next)
		return true;
	i = obj_index(c, s, next);
	return i >= 0 && !bit_test(s, (unsigned)i);
}

/* Take the first free object of s, which has one (its bitmap says so). */
static void *slab_take(struct kmem_cache *c, struct slab *s)
{
	void *obj, *next;

	if (!s->freelist) { /* a clobbered link cut the chain short */
		c->poison_errors++;
		build_freelist(c, s);
	}
	obj = s->freelist;
	next = get_link(obj);
	bit_flip(s, (unsigned)obj_index(c, s, obj));
	s->inuse++;
	if (poison_broken(c, obj) || !link_ok(c, s, next)) {
		c->poison_errors++;
		build_freelist(c, s); /* the bitmap is the truth */
	} else {
		s->freelist = next;
	}
	return obj;
}

static struct slab *pick_slab(struct kmem_cache *c)
{
	if (c->objs_per_slab == 0) /* kmem_cache_init failed */
		return NULL;
	if (!list_empty(&c->partial))
		return list_first_entry(&c->partial, struct slab, list);
	if (!list_empty(&c->empty)) {
		c->nr_empty--;
		return list_first_entry(&c->empty, struct slab, list);
	}
	return slab_new(c);
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	struct slab *s = pick_slab(c);
	void *obj;

	if (!s) {
		c->alloc_failures++;
		return NULL;
	}
	obj = slab_take(c, s);
	slab_file(c, s);
	c->active_objs++;
	return obj;
}

int kmem_cache_free(struct kmem_cache *c, void *obj)
{
	long idx = -1;
	struct slab *s = slab_of(c, obj, &idx);

	if (!s || !bit_test(s, (unsigned)idx)) {
		c->free_errors++;
		return -1;
	}
	bit_flip(s, (unsigned)idx);
	poison(c, obj);
	set_link(obj, s->freelist);
	s->freelist = obj;
	s->inuse--;
	c->active_objs--;
	slab_file(c, s);
	if (s->inuse == 0 && c->nr_empty > 1) {
		c->nr_empty--;
		slab_release(c, s);
	}
	return 0;
}

void kmem_cache_shrink(struct kmem_cache *c)
{
	while (!list_empty(&c->empty)) {
		slab_release(c, list_first_entry(&c->empty, struct slab, list));
		c->nr_empty--;
	}
}

int kmem_cache_destroy(struct kmem_cache *c)
{
	if (c->active_objs)
		return -1;
	kmem_cache_shrink(c);
	return 0;
}

/* Which list a slab with this many objects in use belongs on. */
static const struct list_head *list_for(const struct kmem_cache *c,
					const struct slab *s)
{
	if (s->inuse == 0)
		return &c->empty;
	return s->inuse == c->objs_per_slab ? &c->full : &c->partial;
}

/* Count the slabs of list l and check each against its bitmap. */
static int check_list(const struct kmem_cache *c, const struct list_head *l,
		      u64 *nslabs, u64 *inuse)
{
	for (struct list_head *p = l->next; p != l; p = p->next) {
		struct slab *s = list_entry(p, struct slab, list);
		unsigned bits = 0;

		if (s->magic != slab_magic(s) || s->cache != c ||
		    ++*nslabs > c->nr_slabs)
			return -1;
		for (unsigned i = 0; i < c->objs_per_slab; i++)
			bits += bit_test(s, i);
		if (bits != s->inuse || list_for(c, s) != l)
			return -1;
		*inuse += s->inuse;
	}
	return 0;
}

int kmem_cache_check(const struct kmem_cache *c)
{
	u64 nslabs = 0, nempty = 0, inuse = 0;

	if (check_list(c, &c->full, &nslabs, &inuse) ||
	    check_list(c, &c->partial, &nslabs, &inuse) ||
	    check_list(c, &c->empty, &nempty, &inuse))
		return -1;
	if (inuse != c->active_objs || nempty != c->nr_empty || nempty > 1 ||
	    nslabs + nempty != c->nr_slabs ||
	    c->total_objs != c->nr_slabs * c->objs_per_slab)
		return -1;
	return 0;
}
