/*
 * stackprotector.h - the stack canary (-fstack-protector-strong with
 * -mstack-protector-guard=global: one guard word, __stack_chk_guard, read
 * by every instrumented prologue and checked by its epilogue).
 *
 * boot_init_stack_canary() replaces the link-time guard with a per-boot
 * random one. It must run before any instrumented function that will
 * return, i.e. first in kmain: a frame opened before the change would
 * fail its check. Functions on that path carry __no_stack_protector.
 */
#ifndef SKIFF_STACKPROTECTOR_H
#define SKIFF_STACKPROTECTOR_H

#include <skiff/types.h>

#define __no_stack_protector __attribute__((no_stack_protector))

extern u64 __stack_chk_guard;

void boot_init_stack_canary(void);
/* One boot log line: where the canary came from. */
void stack_canary_log(void);
__noreturn void __stack_chk_fail(void);

#endif
