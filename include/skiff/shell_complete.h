/*
 * shell_complete.h - tab completion for the shell, as pure code: it reads
 * the line up to the cursor and a per-command completion spec, and names
 * the candidates for the word under the cursor. The caller (kernel/
 * shell.c) supplies command names, specs and device names through
 * struct complete_env; host unit tests supply fakes.
 *
 * A spec lists the words that may follow a command, each optionally with
 * the words that may follow it in parentheses:
 *
 *   "addr(show add del) link(show set) route(show get add del) -s"
 *   "-i($dev) -c -n icmp tcp udp arp host net port"
 *
 * "$cmd" stands for every command name, "$dev" for every device name. To
 * find the level to complete from, each word already typed after the
 * command is looked up in the current level: a word with children moves
 * down to them, any other word (an option, a value) stays, so options may
 * come in any order ("tcpdump -n -c 5 ic<TAB>" gives "icmp").
 */
#ifndef SKIFF_SHELL_COMPLETE_H
#define SKIFF_SHELL_COMPLETE_H

#include <skiff/types.h>

#define COMPLETE_WORD_MAX 64 /* longest candidate word */

typedef void (*complete_emit_fn)(void *ctx, const char *word);

struct complete_env {
	/* Every command name, in the order to list them. */
	void (*commands)(void *env, complete_emit_fn emit, void *ctx);
	/* Every network device name. */
	void (*devices)(void *env, complete_emit_fn emit, void *ctx);
	/* The spec of a command, or NULL when it has none. */
	const char *(*spec)(void *env, const char *cmd);
	void *env;
};

struct completion {
	size_t word_start; /* where the word under the cursor starts */
	size_t prefix_len; /* its length up to the cursor */
	unsigned count;	   /* candidates that start with it */
	size_t common_len; /* length shared by all of them */
	char common[COMPLETE_WORD_MAX + 1]; /* that shared start */
};

/* Count the candidates for the word that ends at line[cursor]. */
void shell_complete(const char *line, size_t cursor,
		    const struct complete_env *env, struct completion *c);
/* Visit the same candidates (for listing them), in spec order. */
void shell_complete_each(const char *line, size_t cursor,
			 const struct complete_env *env, complete_emit_fn emit,
			 void *ctx);

#endif
