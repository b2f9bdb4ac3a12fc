/*
 * shell.h - the operator shell on the serial console (prompt "skiff> ").
 *
 * Commands register themselves with SHELL_CMD() from the file of the
 * subsystem they show, so `timers` lives in timer.c next to the wheel. The
 * table is collected by the linker (section .shell_cmds) and sorted by name
 * for `help` and completion.
 *
 * A command runs in the boot CPU's idle loop with interrupts on (softirqs
 * and timers keep running under it). It prints with shell_printf and
 * returns 0 on success or a negative errno; the shell prints one line
 * "CMD: error: ..." for errors the command did not already explain, and
 * "CMD: usage: ..." for -EINVAL.
 */
#ifndef SKIFF_SHELL_H
#define SKIFF_SHELL_H

#include <skiff/types.h>

#define SHELL_MAX_ARGS 32
/* A command's result: failed, and the message is already printed. */
#define SHELL_ERR_SHOWN 1

struct shell_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage; /* "log [-f] [-l debug|info|warn|error] [-n N]" */
	const char *help;  /* one line for `help` */
};

#define SHELL_CMD(cname, cfn, cusage, chelp)                                   \
	static const struct shell_cmd __shell_cmd_##cfn                        \
	    __attribute__((used, section(".shell_cmds"), aligned(8))) = {      \
		.name = cname, .fn = cfn, .usage = cusage, .help = chelp}

__printf(1, 2) int shell_printf(const char *fmt, ...);
void shell_write(const char *s, size_t n);
/* Bytes the console takes now without waiting for the serial line; a
 * command printing a stream (tcpdump, log -f) skips what does not fit. */
size_t shell_out_room(void);
void shell_init(void);
/* Take pending input bytes, edit the line, run complete commands; also
 * the idle loop's own steps (screen rows to draw, firmware pages to zero).
 * Called from the boot CPU's idle loop; true while such steps remain (the
 * loop then keeps its tick, so that they go on a tick apart). */
bool shell_poll(void);
/* For long-running commands: true once the operator pressed a key (any
 * key stops `top`, `log -f`; Ctrl-C stops everything). Consumes it. */
bool shell_key_pressed(void);
/* For long-running commands: pause about `us` microseconds while the
 * rest of the idle loop's work goes on (softirqs, and the apps pinned to
 * this CPU, such as echo), so a command that waits never stalls them. */
void shell_wait_us(u64 us);
/* Print a line that arrives on its own (not from a command), from any
 * context, without tearing the line being typed: the shell prints it on a
 * fresh line and redraws the prompt. Before the shell runs: printed now. */
void shell_announce(const char *text, size_t n);
const struct shell_cmd *shell_find(const char *name);

#endif
