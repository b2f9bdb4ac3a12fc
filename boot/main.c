/*
 * boot/main.c - Skiff's UEFI boot stage (GNU-EFI).
 *
 * The only code in the tree that talks to UEFI. It runs with boot services
 * up and does, in order:
 *
 *   efi_main -> load_kernel (ELF embedded in this image, copied to pages)
 *            -> read_config_file, read_www_tree (Simple File System)
 *            -> read_load_options, find_rsdp, read_gop, copy_symbols
 *            -> build_page_tables (identity map + kernel high map)
 *            -> exit_boot_services (retries on a stale map key)
 *            -> jump_to_kernel (new CR3, %rdi = boot_info)
 *
 * Everything handed over is described in include/skiff/boot_info.h.
 */
#include <efi.h>
#include <efilib.h>

#include <elf.h>

#include <skiff/boot_info.h>

/* The kernel ELF, linked in as a blob by the Makefile (objcopy -I binary). */
extern const UINT8 _binary_kernel_elf_start[];
extern const UINT8 _binary_kernel_elf_end[];

#define MAX_FILES 512
#define MAX_FILE_BYTES (64ULL << 20)  /* one file */
#define MAX_TREE_BYTES (256ULL << 20) /* whole www tree */
#define MAX_DEPTH 8

static EFI_HANDLE image_handle;
static struct boot_info *bi;

static void die(const CHAR16 *what, EFI_STATUS st)
{
	Print(L"skiff boot: %s: %r\n", what, st);
	Print(L"skiff boot: cannot continue; halting.\n");
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static void *alloc_pages_below(UINTN bytes, EFI_PHYSICAL_ADDRESS max,
			       EFI_ALLOCATE_TYPE how)
{
	EFI_PHYSICAL_ADDRESS addr = max;
	UINTN pages = (bytes + 4095) / 4096;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, how,
					  EfiLoaderData, pages, &addr);
	if (EFI_ERROR(st))
		return NULL;
	SetMem((void *)addr, pages * 4096, 0);
	return (void *)addr;
}

static void *alloc_pages(UINTN bytes)
{
	void *p = alloc_pages_below(bytes, 0, AllocateAnyPages);
	if (!p)
		die(L"out of memory", EFI_OUT_OF_RESOURCES);
	return p;
}

/* ---- kernel image ---------------------------------------------------- */

static const Elf64_Ehdr *kernel_ehdr(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)_binary_kernel_elf_start;
	UINTN size = _binary_kernel_elf_end - _binary_kernel_elf_start;

	if (size < sizeof(*eh) || CompareMem(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phoff + (UINT64)eh->e_phnum * sizeof(Elf64_Phdr) > size)
		die(L"embedded kernel is not an x86-64 ELF", EFI_LOAD_ERROR);
	return eh;
}

/* Copy every PT_LOAD segment into one run of pages; returns the entry. */
static UINT64 load_kernel(void)
{
	const Elf64_Ehdr *eh = kernel_ehdr();
	const Elf64_Phdr *ph = (const void *)((const UINT8 *)eh + eh->e_phoff);
	UINT64 lo = ~0ULL, hi = 0;

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < KERNEL_VBASE)
			die(L"kernel segment below KERNEL_VBASE",
			    EFI_LOAD_ERROR);
		lo = MIN(lo, ph[i].p_vaddr & ~4095ULL);
		hi = MAX(hi, ph[i].p_vaddr + ph[i].p_memsz);
	}
	if (lo != KERNEL_VBASE)
		die(L"kernel must start at KERNEL_VBASE", EFI_LOAD_ERROR);
	UINT64 size = (hi - lo + 4095) & ~4095ULL;
	UINT8 *base = alloc_pages(size);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		CopyMem(base + (ph[i].p_vaddr - lo),
			(const UINT8 *)eh + ph[i].p_offset, ph[i].p_filesz);
	}
	bi->kernel_phys = (UINT64)base;
	bi->kernel_size = size;
	return eh->e_entry;
}

/* Hand the kernel its own ELF symbol table, for symbolized backtraces. */
static void copy_symbols(void)
{
	const Elf64_Ehdr *eh = kernel_ehdr();
	UINTN size = _binary_kernel_elf_end - _binary_kernel_elf_start;
	const UINT8 *img = (const UINT8 *)eh;

	if (eh->e_shoff == 0 ||
	    eh->e_shoff + (UINT64)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		return;
	const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Shdr *st = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > size ||
		    st->sh_offset + st->sh_size > size)
			return;
		void *sym = alloc_pages(sh[i].sh_size);
		void *str = alloc_pages(st->sh_size);
		CopyMem(sym, img + sh[i].sh_offset, sh[i].sh_size);
		CopyMem(str, img + st->sh_offset, st->sh_size);
		bi->symtab = (UINT64)sym;
		bi->symtab_size = sh[i].sh_size;
		bi->strtab = (UINT64)str;
		bi->strtab_size = st->sh_size;
		return;
	}
}

/* ---- files on the boot volume ---------------------------------------- */

static EFI_FILE_HANDLE open_root(void)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image_handle,
			       &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return NULL;
	st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle,
			       &FileSystemProtocol, (void **)&fs);
	if (EFI_ERROR(st))
		return NULL;
	st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &root);
	return EFI_ERROR(st) ? NULL : root;
}

static EFI_FILE_INFO *file_info(EFI_FILE_HANDLE f)
{
	EFI_FILE_INFO *info = LibFileInfo(f);
	return info;
}

/* Read a whole file into fresh pages with a NUL after it. */
static void *read_file(EFI_FILE_HANDLE dir, const CHAR16 *name, UINT64 max,
		       UINT64 *size_out)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st = uefi_call_wrapper(dir->Open, 5, dir, &f, (CHAR16 *)name,
					  EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return NULL;
	EFI_FILE_INFO *info = file_info(f);
	void *buf = NULL;
	if (info && !(info->Attribute & EFI_FILE_DIRECTORY) &&
	    info->FileSize <= max) {
		UINTN n = info->FileSize;
		buf = alloc_pages(n + 1);
		st = uefi_call_wrapper(f->Read, 3, f, &n, buf);
		if (EFI_ERROR(st) || n != info->FileSize)
			buf = NULL;
		else
			*size_out = n;
	}
	if (info)
		FreePool(info);
	uefi_call_wrapper(f->Close, 1, f);
	return buf;
}

static void read_config_file(EFI_FILE_HANDLE root)
{
	UINT64 size = 0;
	void *cfg = read_file(root, L"\\skiff.cfg", 64 * 1024, &size);
	if (cfg) {
		bi->cfg = (UINT64)cfg;
		bi->cfg_size = size;
		Print(L"skiff boot: skiff.cfg %ld bytes\n", size);
	}
	void *rules = read_file(root, L"\\skiff.rules", 1024 * 1024, &size);
	if (rules) {
		bi->rules = (UINT64)rules;
		bi->rules_size = size;
		Print(L"skiff boot: skiff.rules %ld bytes\n", size);
	}
}

static INT64 efi_time_to_unix(const EFI_TIME *t);

struct tree_walk {
	struct boot_file *files;
	UINT64 bytes;
};

static void ascii_path(char *dst, UINTN n, const char *prefix,
		       const CHAR16 *name)
{
	UINTN i = 0;
	for (; prefix[i] && i + 1 < n; i++)
		dst[i] = prefix[i];
	if (i + 1 < n)
		dst[i++] = '/';
	for (; *name && i + 1 < n; name++)
		dst[i++] = (*name < 0x80) ? (char)*name : '?';
	dst[i] = 0;
}

static void walk_dir(struct tree_walk *w, EFI_FILE_HANDLE dir,
		     const char *prefix, int depth);

static void visit_entry(struct tree_walk *w, EFI_FILE_HANDLE dir,
			EFI_FILE_INFO *e, const char *prefix, int depth)
{
	char path[sizeof(((struct boot_file *)0)->path)];

	if (StrCmp(e->FileName, L".") == 0 || StrCmp(e->FileName, L"..") == 0)
		return;
	ascii_path(path, sizeof(path), prefix, e->FileName);
	if (e->Attribute & EFI_FILE_DIRECTORY) {
		EFI_FILE_HANDLE sub;
		if (depth >= MAX_DEPTH ||
		    EFI_ERROR(uefi_call_wrapper(dir->Open, 5, dir, &sub,
						e->FileName, EFI_FILE_MODE_READ,
						0)))
			return;
		walk_dir(w, sub, path, depth + 1);
		uefi_call_wrapper(sub->Close, 1, sub);
		return;
	}
	UINT64 size = 0;
	void *data = NULL;
	if (bi->file_count < MAX_FILES &&
	    w->bytes + e->FileSize <= MAX_TREE_BYTES)
		data = read_file(dir, e->FileName, MAX_FILE_BYTES, &size);
	if (!data) {
		bi->files_dropped++;
		return;
	}
	struct boot_file *bf = &w->files[bi->file_count++];
	CopyMem(bf->path, path, sizeof(bf->path));
	bf->data = (UINT64)data;
	bf->size = size;
	bf->mtime = efi_time_to_unix(&e->ModificationTime);
	w->bytes += size;
}

static void walk_dir(struct tree_walk *w, EFI_FILE_HANDLE dir,
		     const char *prefix, int depth)
{
	UINTN cap = SIZE_OF_EFI_FILE_INFO + 512 * sizeof(CHAR16);
	EFI_FILE_INFO *e = AllocatePool(cap);
	if (!e)
		return;
	for (;;) {
		UINTN n = cap;
		EFI_STATUS st = uefi_call_wrapper(dir->Read, 3, dir, &n, e);
		if (EFI_ERROR(st) || n == 0)
			break;
		visit_entry(w, dir, e, prefix, depth);
	}
	FreePool(e);
}

static void read_www_tree(EFI_FILE_HANDLE root)
{
	EFI_FILE_HANDLE www;
	struct tree_walk w = {0};

	if (EFI_ERROR(uefi_call_wrapper(root->Open, 5, root, &www, L"\\www",
					EFI_FILE_MODE_READ, 0)))
		return;
	w.files = alloc_pages(MAX_FILES * sizeof(struct boot_file));
	walk_dir(&w, www, "", 0);
	uefi_call_wrapper(www->Close, 1, www);
	bi->files = (UINT64)w.files;
	Print(L"skiff boot: www/ %d files, %ld bytes (%d dropped)\n",
	      bi->file_count, w.bytes, bi->files_dropped);
}

/* ---- load options, ACPI, GOP, time ----------------------------------- */

/*
 * Load options arrive as UCS-2. From the UEFI shell the first word is the
 * image's own name; boot-manager entries may carry binary data instead.
 * Keep the text only if every character is printable ASCII.
 */
static void read_load_options(void)
{
	EFI_LOADED_IMAGE *li;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image_handle,
					&LoadedImageProtocol, (void **)&li)))
		return;
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16);
	const CHAR16 *s = li->LoadOptions;
	if (!s || n == 0 || n > 4096)
		return;
	char *out = alloc_pages(n + 1);
	UINTN len = 0;
	for (UINTN i = 0; i < n && s[i]; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return; /* binary: not a command line */
		out[len++] = (char)s[i];
	}
	out[len] = 0;
	/* Drop the program name the shell puts first ("skiff.efi ..."). */
	char *p = out;
	while (*p && *p != ' ')
		p++;
	if (p - out >= 4 && (p[-1] | 0x20) == 'i' && (p[-2] | 0x20) == 'f' &&
	    (p[-3] | 0x20) == 'e' && p[-4] == '.') {
		while (*p == ' ')
			p++;
		out = p;
	}
	bi->loadopt = (UINT64)out;
	bi->loadopt_size = strlena((CHAR8 *)out);
}

static void find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (CompareGuid(&t->VendorGuid, &acpi20) == 0) {
			bi->rsdp = (UINT64)t->VendorTable;
			return;
		}
		if (CompareGuid(&t->VendorGuid, &acpi10) == 0)
			bi->rsdp = (UINT64)t->VendorTable;
	}
}

static void read_gop(void)
{
	EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &gop_guid, NULL,
					(void **)&gop)) ||
	    !gop->Mode || !gop->Mode->Info)
		return;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
	if (info->PixelFormat == PixelBltOnly)
		return;
	bi->fb.base = gop->Mode->FrameBufferBase;
	bi->fb.size = gop->Mode->FrameBufferSize;
	bi->fb.width = info->HorizontalResolution;
	bi->fb.height = info->VerticalResolution;
	bi->fb.pixels_per_scanline = info->PixelsPerScanLine;
	bi->fb.format =
	    info->PixelFormat == PixelRedGreenBlueReserved8BitPerColor	 ? 0
	    : info->PixelFormat == PixelBlueGreenRedReserved8BitPerColor ? 1
									 : 2;
	bi->fb.red_mask = info->PixelInformation.RedMask;
	bi->fb.green_mask = info->PixelInformation.GreenMask;
	bi->fb.blue_mask = info->PixelInformation.BlueMask;
}

static UINT64 days_from_civil(UINT64 y, UINT64 m, UINT64 d)
{
	/* Days since 1970-01-01 (proleptic Gregorian), y >= 1970. */
	y -= m <= 2;
	UINT64 era = y / 400, yoe = y - era * 400;
	UINT64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	UINT64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Unix seconds, or 0 for a time before 1970 or out of range. */
static INT64 efi_time_to_unix(const EFI_TIME *t)
{
	if (t->Year < 1970 || t->Month < 1 || t->Month > 12 || t->Day < 1 ||
	    t->Day > 31)
		return 0;
	UINT64 days = days_from_civil(t->Year, t->Month, t->Day);
	INT64 secs = days * 86400 + t->Hour * 3600 + t->Minute * 60 + t->Second;
	if (t->TimeZone != EFI_UNSPECIFIED_TIMEZONE)
		secs += (INT64)t->TimeZone * 60; /* local - UTC, minutes */
	return secs;
}

static void read_time(void)
{
	EFI_TIME t;
	if (EFI_ERROR(uefi_call_wrapper(RT->GetTime, 2, &t, NULL)))
		return;
	INT64 secs = efi_time_to_unix(&t);
	if (secs)
		bi->epoch_sec = secs;
}

static void read_firmware(void)
{
	UINTN i = 0;
	for (CHAR16 *v = ST->FirmwareVendor; v && *v && i < 40; v++)
		bi->firmware[i++] = *v < 0x80 ? (char)*v : '?';
	bi->firmware[i] = 0;
}

/* ---- page tables ----------------------------------------------------- */

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_PS 0x80ULL

static UINT64 *new_table(void)
{
	return alloc_pages(4096);
}

static UINT64 *next_level(UINT64 *table, UINTN index)
{
	if (!(table[index] & PTE_P))
		table[index] = (UINT64)new_table() | PTE_P | PTE_W;
	return (UINT64 *)(table[index] & 0x000ffffffffff000ULL);
}

static UINT64 top_of_memory(void)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&size, &key, &dsize, &dver);
	UINT64 top = 4ULL << 30;
	if (!map)
		return top;
	for (UINT8 *p = (UINT8 *)map; p < (UINT8 *)map + size * dsize;
	     p += dsize) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)p;
		UINT64 end = d->PhysicalStart + d->NumberOfPages * 4096;
		if (end > top)
			top = end;
	}
	FreePool(map);
	return top;
}

/* Identity map [0, top) with 2 MiB pages, and the kernel image high. */
static UINT64 build_page_tables(void)
{
	UINT64 *pml4 = new_table();
	UINT64 top = (top_of_memory() + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);

	for (UINT64 a = 0; a < top; a += 2ULL << 20) {
		UINT64 *pdpt = next_level(pml4, (a >> 39) & 511);
		UINT64 *pd = next_level(pdpt, (a >> 30) & 511);
		pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_PS;
	}
	for (UINT64 off = 0; off < bi->kernel_size; off += 4096) {
		UINT64 v = KERNEL_VBASE + off;
		UINT64 *pdpt = next_level(pml4, (v >> 39) & 511);
		UINT64 *pd = next_level(pdpt, (v >> 30) & 511);
		UINT64 *pt = next_level(pd, (v >> 21) & 511);
		pt[(v >> 12) & 511] = (bi->kernel_phys + off) | PTE_P | PTE_W;
	}
	return (UINT64)pml4;
}

/* ---- leaving the firmware -------------------------------------------- */

static UINT32 fold_type(UINT32 t)
{
	switch (t) {
	case EfiConventionalMemory:
		return BOOT_MEM_USABLE;
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return BOOT_MEM_RECLAIMABLE;
	case EfiLoaderCode:
	case EfiLoaderData:
		return BOOT_MEM_LOADER;
	case EfiACPIReclaimMemory:
		return BOOT_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:
		return BOOT_MEM_ACPI_NVS;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace:
		return BOOT_MEM_MMIO;
	case 14: /* EfiPersistentMemory (UEFI 2.5), newer than gnu-efi's enum */
		return BOOT_MEM_PERSISTENT;
	default:
		return BOOT_MEM_RESERVED;
	}
}

/*
 * Get the final memory map and exit boot services. The map key goes stale
 * if anything allocates in between (including firmware timers), so retry a
 * few times; after a failed ExitBootServices only GetMemoryMap may be used.
 */
static void exit_boot_services(void)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_STATUS st;

	uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &dsize,
			  &dver);
	UINTN cap = size + 64 * dsize;
	UINT8 *map = alloc_pages(cap);
	struct boot_mem_range *out =
	    alloc_pages((cap / dsize + 1) * sizeof(*out));
	bi->mem = (UINT64)out;

	for (int tries = 0; tries < 8; tries++) {
		size = cap;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size,
				       (EFI_MEMORY_DESCRIPTOR *)map, &key,
				       &dsize, &dver);
		if (EFI_ERROR(st))
			die(L"GetMemoryMap", st);
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image_handle,
				       key);
		if (!EFI_ERROR(st))
			break;
	}
	if (EFI_ERROR(st))
		die(L"ExitBootServices", st);

	/* Boot services are gone: no Print, no allocation from here on. */
	UINT32 n = 0;
	for (UINTN off = 0; off + dsize <= size; off += dsize) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)(map + off);
		out[n].phys = d->PhysicalStart;
		out[n].npages = d->NumberOfPages;
		out[n].efi_type = d->Type;
		out[n].type = fold_type(d->Type);
		n++;
	}
	bi->mem_count = n;
}

static UINT64 rdtsc(void)
{
	UINT32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((UINT64)hi << 32) | lo;
}

static void __attribute__((noreturn)) jump_to_kernel(UINT64 cr3, UINT64 entry)
{
	__asm__ __volatile__("cli\n\t"
			     "mov %0, %%cr3\n\t"
			     "mov %1, %%rdi\n\t"
			     "xor %%ebp, %%ebp\n\t"
			     "jmp *%2"
			     :
			     : "r"(cr3), "r"((UINT64)bi), "r"(entry)
			     : "rdi", "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	image_handle = image;
	UINT64 tsc0 = rdtsc();

	/* Stop the firmware watchdog, which would reset us after 5 minutes. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	Print(L"skiff boot: UEFI %s rev %d.%02d\n", ST->FirmwareVendor,
	      ST->FirmwareRevision >> 16, ST->FirmwareRevision & 0xffff);

	bi = alloc_pages(sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->boot_tsc = tsc0;

	UINT64 entry = load_kernel();
	copy_symbols();
	EFI_FILE_HANDLE root = open_root();
	if (root) {
		read_config_file(root);
		read_www_tree(root);
		uefi_call_wrapper(root->Close, 1, root);
	} else {
		Print(L"skiff boot: no file system on the boot device\n");
	}
	read_load_options();
	find_rsdp();
	read_gop();
	read_time();
	read_firmware();
	bi->trampoline =
	    (UINT64)alloc_pages_below(2 * 4096, 0x9ffff, AllocateMaxAddress);
	UINT64 cr3 = build_page_tables();
	Print(L"skiff boot: kernel at 0x%lx (%ld KiB), entering\n",
	      bi->kernel_phys, bi->kernel_size / 1024);

	exit_boot_services();
	jump_to_kernel(cr3, entry);
}
