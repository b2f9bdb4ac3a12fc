/*
 * paging.c - build and own the kernel's page tables.
 *
 * paging_init: identity-map RAM (2 MiB pages where aligned, never page 0,
 * never the kernel image's physical pages, so no writable alias of the
 * text exists), map the kernel's sections with their own permissions,
 * leave the boot stack's guard page unmapped, program the PAT, and switch.
 * Page-table pages come from the page allocator.
 */
#include <asm/paging.h>
#include <asm/cpu.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/spinlock.h>
#include <string.h>

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[], boot_stack_guard[];

/* PAT: index 0 WB, 1 WC, 2 UC-, 3 UC (then the defaults again). */
#define PAT_VALUE 0x0007010600070106ULL
#define PTE_CACHE_WC PTE_PWT
#define PTE_CACHE_UC (PTE_PWT | PTE_PCD)

static u64 *pml4;
static u64 kernel_phys;
static DEFINE_SPINLOCK(vmap_lock, "vmap");
static u64 vmap_next = VMAP_BASE;
static struct paging_stats stats;

#define MAX_GUARDS 256
static u64 guards[MAX_GUARDS];
static u32 nguards;

static u64 *table_alloc(void)
{
	u64 *t = alloc_pages(0);
	if (!t)
		panic("paging: out of memory for page tables");
	memset(t, 0, PAGE_SIZE);
	stats.table_pages++;
	return t;
}

static u64 *next_table(u64 *table, unsigned idx)
{
	if (!(table[idx] & PTE_P))
		table[idx] = (u64)table_alloc() | PTE_P | PTE_W;
	BUG_ON(table[idx] & PTE_PS);
	return (u64 *)(table[idx] & PTE_ADDR);
}

static void map_4k(u64 va, u64 pa, u64 flags)
{
	u64 *pdpt = next_table(pml4, (va >> 39) & 511);
	u64 *pd = next_table(pdpt, (va >> 30) & 511);
	u64 *pt = next_table(pd, (va >> 21) & 511);
	pt[(va >> 12) & 511] = pa | flags | PTE_P;
	stats.small_pages++;
}

static void map_2m(u64 va, u64 pa, u64 flags)
{
	u64 *pdpt = next_table(pml4, (va >> 39) & 511);
	u64 *pd = next_table(pdpt, (va >> 30) & 511);
	pd[(va >> 21) & 511] = pa | flags | PTE_P | PTE_PS;
	stats.large_pages++;
}

/* Map [pa, pa+size) at va; 2 MiB pages where both sides allow it. */
static void map_range(u64 va, u64 pa, u64 size, u64 flags)
{
	u64 end = pa + size;
	while (pa < end) {
		if (IS_ALIGNED(va, 2 << 20) && IS_ALIGNED(pa, 2 << 20) &&
		    end - pa >= (2 << 20) && pa >= (2 << 20)) {
			map_2m(va, pa, flags);
			va += 2 << 20;
			pa += 2 << 20;
		} else {
			map_4k(va, pa, flags);
			va += PAGE_SIZE;
			pa += PAGE_SIZE;
		}
	}
}

static bool is_ram(u32 type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_RECLAIMABLE ||
	       type == BOOT_MEM_LOADER || type == BOOT_MEM_ACPI_RECLAIM ||
	       type == BOOT_MEM_ACPI_NVS || type == BOOT_MEM_PERSISTENT;
}

/* Identity-map one RAM range, minus page 0 and the kernel image. */
static void map_identity(u64 start, u64 end, u64 ksize)
{
	u64 kstart = kernel_phys, kend = kernel_phys + ksize;
	if (start == 0)
		start = PAGE_SIZE;
	if (start < kend && end > kstart) {
		if (start < kstart)
			map_range(start, start, kstart - start, PTE_W | PTE_NX);
		if (end > kend)
			map_range(kend, kend, end - kend, PTE_W | PTE_NX);
	} else if (start < end) {
		map_range(start, start, end - start, PTE_W | PTE_NX);
	}
	stats.identity_bytes += end - start;
}

static void map_kernel_part(char *from, char *to, u64 flags)
{
	for (u64 va = (u64)from; va < (u64)to; va += PAGE_SIZE) {
		if (va == (u64)boot_stack_guard)
			continue; /* the boot stack's guard page */
		map_4k(va, kernel_phys + (va - KERNEL_VBASE), flags);
	}
}

void paging_init_ap(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	wrmsr(MSR_PAT, PAT_VALUE);
	write_cr0(read_cr0() | CR0_WP);
}

void paging_init(const struct boot_info *bi)
{
	const struct boot_mem_range *m = (const void *)bi->mem;
	kernel_phys = bi->kernel_phys;
	pml4 = table_alloc();
	for (u32 i = 0; i < bi->mem_count; i++)
		if (is_ram(m[i].type))
			map_identity(m[i].phys,
				     m[i].phys + m[i].npages * PAGE_SIZE,
				     bi->kernel_size);
	map_kernel_part(__text_start, __text_end, 0);
	map_kernel_part(__rodata_start, __rodata_end, PTE_NX);
	map_kernel_part(__data_start, __kernel_end, PTE_W | PTE_NX);
	guards[nguards++] = (u64)boot_stack_guard;
	/* The SMP trampoline runs from its physical address: executable. */
	if (bi->trampoline)
		for (int i = 0; i < 2; i++)
			map_4k(bi->trampoline + i * PAGE_SIZE,
			       bi->trampoline + i * PAGE_SIZE, PTE_W);
	paging_init_ap();
	write_cr3((u64)pml4);
	pr_info("paging: identity %llu MiB (%llu large, %llu small pages), "
		"kernel text RX, rodata R, data RW+NX, %llu table pages\n",
		(unsigned long long)(stats.identity_bytes >> 20),
		(unsigned long long)stats.large_pages,
		(unsigned long long)stats.small_pages,
		(unsigned long long)stats.table_pages);
}

u64 kernel_cr3(void)
{
	return (u64)pml4;
}

/* The leaf entry for va, or 0; *level_size gets the page size. */
static u64 lookup(u64 va, u64 *page_size)
{
	u64 *t = pml4 ? pml4 : (u64 *)(read_cr3() & PTE_ADDR);
	for (int shift = 39; shift >= 12; shift -= 9) {
		u64 e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return 0;
		if (shift == 12 || (e & PTE_PS)) {
			*page_size = 1ULL << shift;
			return e;
		}
		t = (u64 *)(e & PTE_ADDR);
	}
	return 0;
}

bool kernel_addr_mapped(u64 va)
{
	u64 sz;
	u64 top = va >> 47;
	if (top != 0 && top != 0x1ffff)
		return false; /* not canonical */
	return lookup(va, &sz) != 0;
}

u64 virt_to_phys(const void *p)
{
	u64 va = (u64)p, sz = 0;
	u64 e = lookup(va, &sz);
	BUG_ON(!e);
	return (e & PTE_ADDR & ~(sz - 1)) + (va & (sz - 1));
}

/* `bytes` of virtual space; `align` (a power of two) is where it starts. */
static u64 vmap_reserve_aligned(u64 bytes, u64 align)
{
	unsigned long flags = spin_lock_irqsave(&vmap_lock);
	u64 va = ALIGN_UP(vmap_next, align);
	vmap_next = va + ALIGN_UP(bytes, PAGE_SIZE);
	stats.vmap_bytes += bytes;
	spin_unlock_irqrestore(&vmap_lock, flags);
	BUG_ON(vmap_next > VMAP_BASE + VMAP_SIZE);
	return va;
}

static u64 vmap_reserve(u64 bytes)
{
	return vmap_reserve_aligned(bytes, PAGE_SIZE);
}

/* A window of 2 MiB or more starts on a 2 MiB boundary whenever its
 * physical base does, so map_range gives it large pages: the PCIe ECAM
 * (256 MiB) takes 128 entries instead of 65,536 and 128 table pages, which
 * cost about 10 ms of boot under QEMU. PWT/PCD sit at the same bits in a
 * 2 MiB entry, so the cache type is the same. */
static void *ioremap_flags(u64 phys, size_t size, u64 cache)
{
	u64 base = ALIGN_DOWN(phys, PAGE_SIZE);
	u64 len = ALIGN_UP(phys + size, PAGE_SIZE) - base;
	bool large = len >= (2 << 20) && IS_ALIGNED(base, 2 << 20);
	u64 va = vmap_reserve_aligned(len, large ? 2 << 20 : PAGE_SIZE);
	unsigned long flags = spin_lock_irqsave(&vmap_lock);
	map_range(va, base, len, PTE_W | PTE_NX | cache);
	spin_unlock_irqrestore(&vmap_lock, flags);
	return (void *)(va + (phys - base));
}

void *ioremap(u64 phys, size_t size)
{
	return ioremap_flags(phys, size, PTE_CACHE_UC);
}

void *ioremap_wc(u64 phys, size_t size)
{
	return ioremap_flags(phys, size, PTE_CACHE_WC);
}

void *vmap_stack(size_t size)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	u64 va = vmap_reserve(size + PAGE_SIZE); /* guard page first */
	unsigned long flags = spin_lock_irqsave(&vmap_lock);
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		void *pg = alloc_pages(0);
		if (!pg)
			panic("vmap_stack: out of memory");
		map_4k(va + PAGE_SIZE + off, (u64)pg, PTE_W | PTE_NX);
	}
	if (nguards < MAX_GUARDS)
		guards[nguards++] = va;
	spin_unlock_irqrestore(&vmap_lock, flags);
	return (void *)(va + PAGE_SIZE + size);
}

bool stack_guard_hit(u64 addr)
{
	for (u32 i = 0; i < nguards; i++)
		if (addr >= guards[i] && addr < guards[i] + PAGE_SIZE)
			return true;
	return false;
}

void paging_get_stats(struct paging_stats *s)
{
	*s = stats;
}
