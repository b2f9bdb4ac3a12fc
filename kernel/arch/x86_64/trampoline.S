/*
 * trampoline.S - where a secondary CPU starts: 16-bit real mode at the
 * page the boot stage reserved below 1 MiB (CS = page >> 4, IP = 0).
 *
 * real mode -> protected mode (flat 32-bit) -> PAE, LME, NXE, paging with
 * the PML4 copy in the trampoline's second page -> long mode -> load the
 * stack and struct cpu the boot CPU left in the data block -> ap_entry.
 *
 * The code is copied to the low page, so it addresses everything relative
 * to the trampoline's start; %esi holds the page's physical address.
 */
#define OFF(x) ((x) - trampoline_start)

	.section .trampoline, "ax"
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	xor	%esi, %esi
	mov	%ax, %si
	shl	$4, %esi		/* esi = physical base */
	lgdtl	OFF(tr_gdtr)
	mov	%cr0, %eax
	or	$1, %eax		/* PE */
	mov	%eax, %cr0
	ljmpl	*OFF(tr_far32)

	.code32
tr_pm32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$((1 << 5) | (1 << 9) | (1 << 10)), %eax /* PAE, OSFXSR, OSXMMEXCPT */
	mov	%eax, %cr4
	mov	OFF(tr_cr3)(%esi), %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$((1 << 8) | (1 << 11)), %eax /* LME, NXE */
	wrmsr
	mov	%cr0, %eax
	or	$((1 << 31) | (1 << 16) | (1 << 1)), %eax /* PG, WP, MP */
	and	$~((1 << 2) | (1 << 30) | (1 << 29)), %eax /* EM, CD, NW off */
	mov	%eax, %cr0
	ljmpl	*OFF(tr_far64)(%esi)

	.code64
tr_lm64:
	mov	%esi, %esi		/* upper half undefined after the switch */
	mov	OFF(tr_stack)(%rsi), %rsp
	mov	OFF(tr_cpu)(%rsi), %rdi
	mov	OFF(tr_entry)(%rsi), %rax
	xor	%ebp, %ebp
	call	*%rax		/* call: the ABI's stack alignment at entry */
1:	hlt
	jmp	1b

	.balign 16
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tr_gdt_end:

/* Filled in by smp.c before each start (offsets in struct tramp_data). */
	.balign 8
	.globl trampoline_data
trampoline_data:
tr_gdtr:
	.word tr_gdt_end - tr_gdt - 1
	.long 0			/* + base */
	.word 0
tr_far32:
	.long 0			/* + base: tr_pm32 */
	.word 0x08
	.word 0
tr_far64:
	.long 0			/* + base: tr_lm64 */
	.word 0x18
	.word 0
tr_cr3:
	.quad 0
tr_stack:
	.quad 0
tr_cpu:
	.quad 0
tr_entry:
	.quad 0
	.globl trampoline_end
trampoline_end:

	.section .rodata
	.globl tramp_offsets
tramp_offsets:
	.quad OFF(tr_gdt), OFF(tr_pm32), OFF(tr_lm64), OFF(trampoline_data)
