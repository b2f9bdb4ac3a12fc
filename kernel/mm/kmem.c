/*
 * kmem.c - locked slab caches for the kernel (the pure allocator is
 * slab.c), and the heap that newlib's malloc grows through _sbrk.
 */
#include <skiff/mm.h>
#include <skiff/slab.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <skiff/list.h>
#include <asm/paging.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct kcache {
	spinlock_t lock;
	struct lock_class cls;
	struct kmem_cache cache;
	struct list_head link;
};

static LIST_HEAD(caches);
static DEFINE_SPINLOCK(caches_lock, "kcache_list");

static void *slab_get_pages(void *ctx, unsigned order)
{
	return alloc_pages(order);
}

static void slab_put_pages(void *ctx, void *p, unsigned order)
{
	free_pages(p, order);
}

static const struct slab_page_ops page_ops = {
    .alloc_pages = slab_get_pages,
    .free_pages = slab_put_pages,
};

struct kcache *kcache_create(const char *name, size_t size, size_t align)
{
	struct kcache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cls.name = name;
	spin_lock_init(&c->lock, &c->cls);
	if (kmem_cache_init(&c->cache, name, size, align, 0, &page_ops) < 0) {
		free(c);
		return NULL;
	}
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	list_add_tail(&c->link, &caches);
	spin_unlock_irqrestore(&caches_lock, flags);
	return c;
}

void *kcache_alloc(struct kcache *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	void *obj = kmem_cache_alloc(&c->cache);
	spin_unlock_irqrestore(&c->lock, flags);
	return obj;
}

void kcache_free(struct kcache *c, void *obj)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	int err = kmem_cache_free(&c->cache, obj);
	spin_unlock_irqrestore(&c->lock, flags);
	if (err)
		pr_err("kcache_free: bad free of %p to '%s' (%d)\n", obj,
		       c->cache.name, err);
}

void kcache_for_each(void (*fn)(void *ctx, const struct kmem_cache *c),
		     void *ctx)
{
	struct kcache *c;
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	list_for_each_entry (c, &caches, link)
		fn(ctx, &c->cache);
	spin_unlock_irqrestore(&caches_lock, flags);
}

/* ---- the heap ------------------------------------------------------------
 * One contiguous run of pages carved out at boot (mm_init); _sbrk moves a
 * break inside it and fails with ENOMEM at the end.
 */
static u8 *heap_base;
static u64 heap_brk, heap_limit;
static DEFINE_SPINLOCK(heap_lock, "heap");

void heap_init(void *base, u64 bytes)
{
	heap_base = base;
	heap_limit = bytes;
}

void heap_get_stats(u64 *used, u64 *limit)
{
	*used = heap_brk;
	*limit = heap_limit;
}

void *sbrk(ptrdiff_t incr)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	void *old = heap_base + heap_brk;
	if ((incr > 0 && heap_brk + incr > heap_limit) ||
	    (incr < 0 && (u64)-incr > heap_brk)) {
		spin_unlock_irqrestore(&heap_lock, flags);
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_brk += incr;
	spin_unlock_irqrestore(&heap_lock, flags);
	return old;
}
