/*
 * traps.c - what happens on every interrupt and exception.
 *
 * isr_common -> trap_dispatch -> handle_irq (vector >= 32): count, call the
 *                                handler, EOI, irq_exit runs softirqs
 *                             -> handle_exception (vector < 32): resume a
 *                                probe_call, or report and panic
 */
#include <skiff/percpu.h>
#include <skiff/printk.h>
#include <skiff/ksyms.h>
#include <skiff/console.h>
#include <skiff/panic.h>
#include <skiff/irq.h>
#include <asm/trap.h>
#include <asm/cpu.h>
#include <asm/apic.h>
#include <asm/paging.h>

/* Formatted by hand: packed, not one name a line. */
/* clang-format off */
static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved",
	"#MF x87 floating point", "#AC alignment check", "#MC machine check",
	"#XM SIMD floating point", "#VE virtualization", "#CP control protection",
};
/* clang-format on */

struct fault_recovery *recover_slot(void)
{
	return &this_cpu()->recover;
}

void dump_registers(const struct trap_frame *f)
{
	panic_printf("RIP: %016llx RSP: %016llx RFLAGS: %08llx CS: %llx\n",
		     f->rip, f->rsp, f->rflags, f->cs);
	panic_printf("RAX: %016llx RBX: %016llx RCX: %016llx\n", f->rax, f->rbx,
		     f->rcx);
	panic_printf("RDX: %016llx RSI: %016llx RDI: %016llx\n", f->rdx, f->rsi,
		     f->rdi);
	panic_printf("RBP: %016llx R8:  %016llx R9:  %016llx\n", f->rbp, f->r8,
		     f->r9);
	panic_printf("R10: %016llx R11: %016llx R12: %016llx\n", f->r10, f->r11,
		     f->r12);
	panic_printf("R13: %016llx R14: %016llx R15: %016llx\n", f->r13, f->r14,
		     f->r15);
	panic_printf("CR0: %016llx CR2: %016llx CR3: %016llx CR4: %016llx\n",
		     read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

/*
 * One line of a backtrace. A return address is looked up one byte back:
 * after a call to a noreturn function it points past the caller's end.
 */
static void print_frame(int depth, u64 addr, bool is_return)
{
	u64 off = 0;
	const char *name = ksym_lookup(is_return ? addr - 1 : addr, &off);
	if (is_return && name)
		off++;
	if (name)
		panic_printf("  #%-2d %016llx %s+0x%llx\n", depth, addr, name,
			     off);
	else
		panic_printf("  #%-2d %016llx ?\n", depth, addr);
}

static bool frame_readable(u64 rbp)
{
	return rbp && !(rbp & 7) && kernel_addr_mapped(rbp) &&
	       kernel_addr_mapped(rbp + 15);
}

/*
 * Walk the frame-pointer chain: [rbp] = caller's rbp, [rbp+8] = return
 * address. Each step must move up the stack, stay 8-aligned and mapped.
 * A run of identical frames (deep recursion) prints once with a count.
 */
static void walk_frames(u64 rbp, int depth, int max)
{
	int repeats = 0;
	u64 last = 0;
	for (int steps = 0; steps < 4096 && depth < max; steps++) {
		if (!frame_readable(rbp))
			break;
		u64 next = ((u64 *)rbp)[0], ret = ((u64 *)rbp)[1];
		if (ret < KERNEL_TEXT_MIN)
			break;
		if (ret == last) {
			repeats++;
		} else {
			if (repeats)
				panic_printf(
				    "      ... the frame above %d more "
				    "times\n",
				    repeats);
			repeats = 0;
			print_frame(depth++, ret, true);
			last = ret;
		}
		if (next <= rbp)
			break;
		rbp = next;
	}
	if (repeats)
		panic_printf("      ... the frame above %d more times\n",
			     repeats);
}

/* rip == 0: start directly with the chain (panic() does, from its caller). */
void backtrace_from(u64 rip, u64 rbp, int max)
{
	int depth = 0;
	panic_printf("Call trace:\n");
	if (rip)
		print_frame(depth++, rip, false);
	walk_frames(rbp, depth, max);
}

/*
 * A fault on a function's first instruction comes before its prologue has
 * pushed %rbp, so the frame chain would skip its caller: the return
 * address is still on top of the stack.
 */
static void backtrace_exception(const struct trap_frame *f)
{
	u64 off = 1;
	ksym_lookup(f->rip, &off);
	if (off == 0 && kernel_addr_mapped(f->rsp) &&
	    kernel_addr_mapped(f->rsp + 7)) {
		panic_printf("Call trace:\n");
		print_frame(0, f->rip, false);
		print_frame(1, *(u64 *)f->rsp, true); /* before the prologue */
		walk_frames(f->rbp, 2, 24);
		return;
	}
	backtrace_from(f->rip, f->rbp, 24);
}

static bool try_recover(struct trap_frame *f)
{
	struct fault_recovery *r = &this_cpu()->recover;
	if (!r->rip)
		return false;
	r->vector = (u32)f->vector;
	r->fault_addr = f->vector == 14 ? read_cr2() : 0;
	r->hit = true;
	f->rip = r->rip;
	f->rsp = r->rsp;
	f->rax = f->vector;
	r->rip = 0;
	return true;
}

static void handle_exception(struct trap_frame *f)
{
	if (f->vector != 2 && f->vector != 8 && try_recover(f))
		return;
	extern bool cpus_stopping;
	extern bool watchdog_nmi(const struct trap_frame *f);
	if (f->vector == 2 && watchdog_nmi(f))
		return; /* the lockup watchdog's NMI: reported, go on */
	if (f->vector == 2 && (panic_in_progress() || READ_ONCE(cpus_stopping)))
		panic_stop_this_cpu(); /* another CPU stops the machine */
	panic_begin();
	panic_printf("\n*** exception %llu: %s on cpu %u, error code 0x%llx\n",
		     f->vector,
		     exception_names[f->vector] ? exception_names[f->vector]
						: "reserved",
		     this_cpu()->id, f->error);
	if (f->vector == 14)
		panic_printf(
		    "page fault at %016llx: %s %s%s\n", read_cr2(),
		    (f->error & 1) ? "protection violation" : "not present",
		    (f->error & 16)  ? "instruction fetch"
		    : (f->error & 2) ? "write"
				     : "read",
		    stack_guard_hit(read_cr2()) ? " (stack guard page: "
						  "stack overflow)"
						: "");
	if (f->vector == 8 && stack_guard_hit(f->rsp))
		panic_printf("stack overflow: RSP %016llx is in a stack guard "
			     "page\n",
			     f->rsp);
	dump_registers(f);
	backtrace_exception(f);
	panic_end(f->vector == 8 && stack_guard_hit(f->rsp) ? "stack overflow"
							    : "exception");
}

static void handle_irq(struct trap_frame *f)
{
	int vec = (int)f->vector;
	struct cpu *c = this_cpu();
	struct trap_frame *outer = c->irq_frame;
	c->irq_frame = f; /* for the watchdog's report */
	irq_enter();
	this_cpu()->irq_count[vec]++;
	irq_dispatch(vec);
	if (vec != VECTOR_SPURIOUS)
		lapic_eoi();
	irq_exit();
	c->irq_frame = outer;
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32)
		handle_exception(f);
	else
		handle_irq(f);
}
