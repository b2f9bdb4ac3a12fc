/*
 * ksyms.c - symbol lookup over the ELF symbol table of the kernel itself.
 * Used on the panic path, so it allocates nothing and takes no locks: a
 * linear scan over the function symbols is fast enough for a backtrace.
 */
#include <skiff/ksyms.h>
#include <skiff/boot_info.h>
#include <elf.h>
#include <string.h>

static const Elf64_Sym *syms;
static u64 nsyms;
static const char *strtab;
static u64 strtab_size;

void ksyms_init(const struct boot_info *bi)
{
	if (!bi->symtab || !bi->strtab)
		return;
	syms = (const Elf64_Sym *)bi->symtab;
	nsyms = bi->symtab_size / sizeof(Elf64_Sym);
	strtab = (const char *)bi->strtab;
	strtab_size = bi->strtab_size;
}

static bool is_code_symbol(const Elf64_Sym *s)
{
	int type = ELF64_ST_TYPE(s->st_info);
	return (type == STT_FUNC || type == STT_NOTYPE) && s->st_shndx != 0 &&
	       s->st_name < strtab_size && s->st_value >= KERNEL_VBASE;
}

const char *ksym_lookup(u64 addr, u64 *offset)
{
	const Elf64_Sym *best = NULL;
	for (u64 i = 0; i < nsyms; i++) {
		const Elf64_Sym *s = &syms[i];
		if (!is_code_symbol(s) || s->st_value > addr)
			continue;
		if (!best || s->st_value > best->st_value ||
		    (s->st_value == best->st_value &&
		     ELF64_ST_TYPE(s->st_info) == STT_FUNC))
			best = s;
	}
	if (!best || (best->st_size && addr >= best->st_value + best->st_size &&
		      ELF64_ST_TYPE(best->st_info) == STT_FUNC))
		return NULL;
	if (offset)
		*offset = addr - best->st_value;
	return strtab + best->st_name;
}

u64 ksym_address(const char *name)
{
	for (u64 i = 0; i < nsyms; i++)
		if (is_code_symbol(&syms[i]) &&
		    strcmp(strtab + syms[i].st_name, name) == 0)
			return syms[i].st_value;
	return 0;
}

u32 ksym_count(void)
{
	return (u32)nsyms;
}
