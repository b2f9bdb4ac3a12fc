/*
 * shell_complete.c - the completion engine behind Tab (the spec language
 * is in include/skiff/shell_complete.h). Pure: no I/O, no allocation.
 *
 * shell_complete_each -> split the line up to the cursor into words
 *   -> first word: every command; later words: the command's spec,
 *      walked down by the words typed so far (find_level)
 *   -> each word of that level (a "$" word expands through the env)
 *      that starts with the prefix under the cursor -> emit
 */
#include <skiff/shell_complete.h>
#include <string.h>

#define MAX_WORDS 32

/* One word of a spec level, and the level below it (may be empty). */
struct node {
	const char *word;
	size_t word_len;
	const char *kids;
	size_t kids_len;
};

/* The next node of the level [*p, end); false at its end. */
static bool next_node(const char **p, const char *end, struct node *n)
{
	const char *s = *p;
	while (s < end && *s == ' ')
		s++;
	if (s >= end)
		return false;
	n->word = s;
	while (s < end && *s != ' ' && *s != '(')
		s++;
	n->word_len = (size_t)(s - n->word);
	n->kids = s;
	n->kids_len = 0;
	if (s < end && *s == '(') {
		int depth = 0;
		n->kids = s + 1;
		for (; s < end; s++) {
			depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
			if (depth == 0)
				break;
		}
		n->kids_len = (size_t)(s - n->kids);
		if (s < end)
			s++; /* past ')' */
	}
	*p = s;
	return true;
}

static bool node_is(const struct node *n, const char *word)
{
	return n->word_len == strlen(word) &&
	       strncmp(n->word, word, n->word_len) == 0;
}

/* Does a typed word select this node? "$dev" takes any device name. */
struct find_dev {
	const char *word;
	bool found;
};

static void match_dev(void *ctx, const char *name)
{
	struct find_dev *f = ctx;
	f->found |= strcmp(f->word, name) == 0;
}

static bool node_selects(const struct node *n, const char *word,
			 const struct complete_env *env)
{
	if (node_is(n, "$dev") && env->devices) {
		struct find_dev f = {word, false};
		env->devices(env->env, match_dev, &f);
		return f.found;
	}
	return node_is(n, word);
}

/*
 * Walk the typed words (argv[1..argc)) down the spec. A sub-command's
 * level lasts ("ip addr" -> show add del); an option's ("-i" -> $dev)
 * covers only its value, then the option's own level resumes.
 */
static void find_level(const char **level, size_t *len, char **argv, int argc,
		       const struct complete_env *env)
{
	const char *back = NULL;
	size_t back_len = 0;
	for (int i = 1; i < argc; i++) {
		const char *p = *level, *end = *level + *len;
		const char *was = *level;
		size_t was_len = *len;
		struct node n;
		while (next_node(&p, end, &n)) {
			if (n.kids_len && node_selects(&n, argv[i], env)) {
				*level = n.kids;
				*len = n.kids_len;
				break;
			}
		}
		if (back) { /* that was an option's value */
			*level = back;
			*len = back_len;
			back = NULL;
		} else if (*level != was && argv[i][0] == '-') {
			back = was;
			back_len = was_len;
		}
	}
}

struct filter_ctx {
	const char *prefix;
	size_t prefix_len;
	complete_emit_fn emit;
	void *ctx;
};

static void emit_if_prefix(void *ctx, const char *word)
{
	struct filter_ctx *f = ctx;
	if (strncmp(word, f->prefix, f->prefix_len) == 0)
		f->emit(f->ctx, word);
}

static void emit_level(const char *level, size_t len,
		       const struct complete_env *env, struct filter_ctx *f)
{
	const char *p = level, *end = level + len;
	struct node n;
	char word[COMPLETE_WORD_MAX + 1];
	while (next_node(&p, end, &n)) {
		if (node_is(&n, "$cmd") && env->commands) {
			env->commands(env->env, emit_if_prefix, f);
		} else if (node_is(&n, "$dev") && env->devices) {
			env->devices(env->env, emit_if_prefix, f);
		} else if (n.word_len && n.word_len <= COMPLETE_WORD_MAX) {
			memcpy(word, n.word, n.word_len);
			word[n.word_len] = 0;
			emit_if_prefix(f, word);
		}
	}
}

/* Split line[0..cursor) into words (in buf); the last one is the word
 * being completed, empty after a space. MAX_WORDS means too many. */
static int split(const char *line, size_t cursor, char *buf, char **argv)
{
	int argc = 0;
	memcpy(buf, line, cursor);
	buf[cursor] = 0;
	for (size_t i = 0; i < cursor; i++) {
		if (buf[i] == ' ' || buf[i] == '\t') {
			buf[i] = 0;
		} else if (i == 0 || buf[i - 1] == 0) {
			if (argc == MAX_WORDS)
				return MAX_WORDS;
			argv[argc++] = buf + i;
		}
	}
	if (cursor == 0 || buf[cursor - 1] == 0) {
		if (argc == MAX_WORDS)
			return MAX_WORDS;
		argv[argc++] = buf + cursor;
	}
	return argc;
}

void shell_complete_each(const char *line, size_t cursor,
			 const struct complete_env *env, complete_emit_fn emit,
			 void *ctx)
{
	char buf[512];
	char *argv[MAX_WORDS];
	if (cursor >= sizeof(buf))
		return;
	int argc = split(line, cursor, buf, argv);
	if (argc == 0 || argc == MAX_WORDS)
		return;
	struct filter_ctx f = {argv[argc - 1], strlen(argv[argc - 1]), emit,
			       ctx};
	if (argc == 1) {
		if (env->commands)
			env->commands(env->env, emit_if_prefix, &f);
		return;
	}
	const char *level = env->spec ? env->spec(env->env, argv[0]) : NULL;
	if (!level)
		return;
	size_t len = strlen(level);
	find_level(&level, &len, argv, argc - 1, env);
	emit_level(level, len, env, &f);
}

static void count_one(void *ctx, const char *word)
{
	struct completion *c = ctx;
	size_t n = strlen(word);
	if (n > COMPLETE_WORD_MAX)
		return;
	if (c->count++ == 0) {
		memcpy(c->common, word, n + 1);
		c->common_len = n;
		return;
	}
	size_t i = 0;
	while (i < c->common_len && c->common[i] == word[i])
		i++;
	c->common_len = i;
	c->common[i] = 0;
}

void shell_complete(const char *line, size_t cursor,
		    const struct complete_env *env, struct completion *c)
{
	memset(c, 0, sizeof(*c));
	size_t start = cursor;
	while (start > 0 && line[start - 1] != ' ' && line[start - 1] != '\t')
		start--;
	c->word_start = start;
	c->prefix_len = cursor - start;
	shell_complete_each(line, cursor, env, count_one, c);
}
