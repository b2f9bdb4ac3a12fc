/*
 * entry.S - the first kernel instructions. The boot stage jumps here with
 * interrupts off, its own page tables loaded and %rdi = boot_info (phys).
 * Switch to the boot CPU's stack (in .bss, with a guard page set up later
 * by paging_init) and call kmain, which never returns.
 */
	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
1:	cli
	hlt
	jmp	1b
	.size _start, . - _start

	.section .bss
	.balign 4096
	.globl boot_stack_guard, boot_stack_bottom
boot_stack_guard:
	.skip 4096		/* unmapped by paging_init: catches overflow */
boot_stack_bottom:
	.skip 65536
	.globl boot_stack_top
boot_stack_top:
