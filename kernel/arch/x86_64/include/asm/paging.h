/*
 * asm/paging.h - the kernel's page tables.
 *
 * Virtual layout:
 *   0x0000000000000000 + phys   identity map of RAM (not page 0, not the
 *                               kernel image), read-write, no-execute
 *   0xffffc90000000000          vmap: stacks with guard pages, ioremap
 *   0xffffffff80000000          kernel image, per-section permissions
 */
#ifndef ASM_PAGING_H
#define ASM_PAGING_H

#include <skiff/types.h>
#include <skiff/boot_info.h>

#define VMAP_BASE 0xffffc90000000000ULL
#define VMAP_SIZE (64ULL << 30)
#define KERNEL_TEXT_MIN KERNEL_VBASE

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS (1ULL << 7)
#define PTE_G (1ULL << 8)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

void paging_init(const struct boot_info *bi);
void paging_init_ap(void); /* NXE, WP, PAT on a secondary CPU */
u64 kernel_cr3(void);
bool kernel_addr_mapped(u64 va);
u64 virt_to_phys(const void *p); /* any mapped kernel address */

void *ioremap(u64 phys, size_t size);	 /* uncached */
void *ioremap_wc(u64 phys, size_t size); /* write-combining (framebuffer) */
/* A stack of `size` bytes under an unmapped guard page; returns its top. */
void *vmap_stack(size_t size);
bool stack_guard_hit(u64 addr);

struct paging_stats {
	u64 identity_bytes, vmap_bytes, table_pages, large_pages, small_pages;
};
void paging_get_stats(struct paging_stats *s);

#endif
