/*
 * boot_info.h - everything the UEFI boot stage hands to the kernel.
 *
 * The boot stage (boot/) fills one struct boot_info in EfiLoaderData memory,
 * exits boot services, switches to its own page tables and jumps to the
 * kernel entry with %rdi = the physical address of this struct. Every
 * pointer-sized field below holds a PHYSICAL address; the boot page tables
 * identity-map all of physical memory, and so does the kernel's own map.
 *
 * Layout of the boot page tables at entry:
 *   0 .. max(4 GiB, top of RAM)   identity, 2 MiB pages, RWX, write-back
 *   KERNEL_VBASE + off            kernel image, 4 KiB pages,
 *                                 mapped to kernel_phys + off
 */
#ifndef SKIFF_BOOT_INFO_H
#define SKIFF_BOOT_INFO_H

#include <skiff/types.h>

#define BOOT_INFO_MAGIC 0x534b494646424f4fULL /* "SKIFFBOO" */
#define BOOT_INFO_VERSION 2
#define KERNEL_VBASE 0xffffffff80000000ULL

/* Memory types, folded down from the UEFI ones. */
enum boot_mem_type {
	BOOT_MEM_USABLE = 1, /* conventional memory */
	/* boot-services code/data: free after entry */
	BOOT_MEM_RECLAIMABLE = 2,
	BOOT_MEM_LOADER = 3,	   /* kernel image, boot_info, files, tables */
	BOOT_MEM_RESERVED = 4,	   /* runtime services, unusable, firmware */
	BOOT_MEM_ACPI_RECLAIM = 5, /* ACPI tables: keep until parsed */
	BOOT_MEM_ACPI_NVS = 6,
	BOOT_MEM_MMIO = 7,
	BOOT_MEM_PERSISTENT = 8,
};

struct boot_mem_range {
	u64 phys;   /* first byte, page aligned */
	u64 npages; /* 4 KiB pages */
	u32 type;   /* enum boot_mem_type */
	u32 efi_type;
};

/* The UEFI type of firmware code that is free after ExitBootServices
 * (UEFI 2.10, 7.2.1, EFI_MEMORY_TYPE); see mm_scrub_step. */
#define EFI_BOOT_SERVICES_CODE 3

/* One file read from the boot volume's \www tree. */
struct boot_file {
	char path[120]; /* "/index.html", '/' separated, from the www root */
	u64 data;	/* physical address of the contents */
	u64 size;	/* bytes */
	s64 mtime;	/* Unix seconds from the file system, 0 if unknown */
};

struct boot_framebuffer {
	u64 base; /* physical; 0 when the firmware has no GOP */
	u64 size; /* bytes */
	u32 width, height;
	u32 pixels_per_scanline;
	u32 format; /* 0 = RGBx 8:8:8, 1 = BGRx 8:8:8 (the usual), 2 = masks */
	u32 red_mask, green_mask, blue_mask;
};

struct boot_info {
	u64 magic; /* BOOT_INFO_MAGIC */
	u32 version;
	u32 mem_count;
	u64 mem;	 /* struct boot_mem_range[mem_count] */
	u64 kernel_phys; /* where KERNEL_VBASE is backed */
	u64 kernel_size; /* bytes of the loaded image, page rounded */
	u64 cfg;	 /* skiff.cfg contents, NUL terminated, or 0 */
	u64 cfg_size;
	u64 rules; /* skiff.rules (packet filter rules), NUL terminated, or 0 */
	u64 rules_size;
	u64 loadopt; /* UEFI load options as ASCII, NUL terminated, or 0 */
	u64 loadopt_size;
	u64 files; /* struct boot_file[file_count] */
	u32 file_count;
	u32 files_dropped; /* files over the limits, not loaded */
	u64 rsdp;	   /* ACPI 2.0+ RSDP (or 1.0 if that is all), or 0 */
	struct boot_framebuffer fb;
	u64 symtab; /* Elf64_Sym[] of the kernel ELF, or 0 */
	u64 symtab_size;
	u64 strtab;
	u64 strtab_size;
	u64 trampoline; /* two free pages below 1 MiB for the SMP trampoline */
	u64 boot_tsc;	/* TSC when the boot stage started */
	u64 epoch_sec;	/* wall clock from UEFI GetTime at boot, 0 if none */
	char firmware[64]; /* firmware vendor and revision */
};

#endif
