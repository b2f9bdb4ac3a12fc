/*
 * isr.S - entry stubs for all 256 vectors and the common path.
 *
 * stub:   [push 0 if the CPU pushes no error code]; push vector; jmp common
 * common: push the general registers (struct trap_frame), save the FPU/SSE
 *         state (any C code may use SSE, including the interrupted code),
 *         call trap_dispatch(frame), restore, iretq.
 */
	.section .text
	.macro stub vec
	.balign 16
isr_\vec:
	/* Exceptions 8, 10-14, 17, 21, 29, 30 push an error code. */
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	isr_common
	.endm

	.altmacro
	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr

	.balign 16
isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld
	mov	%rsp, %rbx		/* frame; rbx survives the call */
	sub	$512, %rsp
	and	$-16, %rsp
	fxsave64 (%rsp)
	/* Link the frame chain through the interrupted code for backtraces. */
	mov	%rbx, %rdi
	mov	0x40(%rbx), %rbp
	call	trap_dispatch
	fxrstor64 (%rsp)
	mov	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	add	$16, %rsp		/* vector, error code */
	iretq

	/* The table idt_init() reads: address of each stub. */
	.section .rodata
	.balign 8
	.globl isr_stubs
	.macro stubaddr vec
	.quad isr_\vec
	.endm
isr_stubs:
	.set i, 0
	.rept 256
	stubaddr %i
	.set i, i + 1
	.endr

/*
 * int probe_call(void (*fn)(void *), void *arg, u64 *fault_addr)
 * See asm/trap.h. The recovery point lives in this_cpu()->recover:
 * {rip, rsp, fault_addr}. On a fault trap_dispatch resumes at 1: with
 * %rsp = the saved value and %eax = the vector; every other register is
 * whatever fn left, so only the stack is trusted there.
 */
	.section .text
	.globl probe_call
probe_call:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp
	mov	%rdx, (%rsp)		/* fault_addr pointer */
	mov	%rdi, %r12
	mov	%rsi, %r13
	call	recover_slot
	lea	1f(%rip), %rcx
	mov	%rsp, 8(%rax)		/* recover.rsp */
	mov	%rcx, 0(%rax)		/* recover.rip: now armed */
	mov	%r13, %rdi
	call	*%r12
	call	recover_slot
	movq	$0, 0(%rax)		/* disarm */
	xor	%eax, %eax
	jmp	2f
1:	mov	%eax, %ebx
	call	recover_slot
	movq	$0, 0(%rax)
	mov	(%rsp), %rcx
	test	%rcx, %rcx
	jz	3f
	mov	16(%rax), %rdx		/* recover.fault_addr */
	mov	%rdx, (%rcx)
3:	mov	%ebx, %eax
2:	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
