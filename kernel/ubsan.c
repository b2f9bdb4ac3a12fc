/*
 * ubsan.c - the minimal UndefinedBehaviorSanitizer runtime: the
 * __ubsan_handle_* functions GCC calls from code built with
 * -fsanitize=... (all of the kernel with `make UBSAN=1`; always crash.c,
 * for the `crash ubsan` test). Each finding prints one console line
 *
 *   UBSAN: <check> at <file>:<line>:<col> in <function>: <detail>
 *
 * once per source site (the site's column gets a "reported" bit, as
 * Linux's ubsan does), at most UBSAN_MAX_REPORTS lines per boot; the
 * kernel then goes on (recoverable checks). The data layouts are the
 * compiler's ABI (GCC's libsanitizer ubsan_handlers.h).
 */
#include <skiff/ksyms.h>
#include <skiff/printk.h>
#include <skiff/ubsan.h>
#include <stdio.h>

#define UBSAN_MAX_REPORTS 64
#define REPORTED_BIT 0x80000000u
#define NO_UBSAN __attribute__((no_sanitize_undefined))

struct source_location {
	const char *file;
	u32 line;
	u32 column;
};

struct type_descriptor {
	u16 kind; /* 0 integer, 1 float */
	u16 info; /* integer: log2(bit width) << 1 | signed */
	char name[];
};

struct overflow_data {
	struct source_location loc;
	struct type_descriptor *type;
};

struct shift_data {
	struct source_location loc;
	struct type_descriptor *lhs_type;
	struct type_descriptor *rhs_type;
};

struct out_of_bounds_data {
	struct source_location loc;
	struct type_descriptor *array_type;
	struct type_descriptor *index_type;
};

struct type_mismatch_data_v1 {
	struct source_location loc;
	struct type_descriptor *type;
	u8 log_alignment;
	u8 type_check_kind;
};

struct vla_bound_data {
	struct source_location loc;
	struct type_descriptor *type;
};

struct invalid_value_data {
	struct source_location loc;
	struct type_descriptor *type;
};

struct nonnull_arg_data {
	struct source_location loc;
	struct source_location attr_loc;
	int arg_index;
};

struct invalid_builtin_data {
	struct source_location loc;
	u8 kind;
};

struct loc_only_data {
	struct source_location loc;
};

static u32 ubsan_findings;
static u32 ubsan_printed;
static volatile int ubsan_busy;

u32 ubsan_count(void)
{
	return READ_ONCE(ubsan_findings);
}

/* First time for this site and under the global limit? */
static NO_UBSAN bool ubsan_claim(struct source_location *loc)
{
	u32 col =
	    __atomic_fetch_or(&loc->column, REPORTED_BIT, __ATOMIC_RELAXED);
	if (col & REPORTED_BIT)
		return false;
	__atomic_fetch_add(&ubsan_findings, 1, __ATOMIC_RELAXED);
	u32 n = __atomic_fetch_add(&ubsan_printed, 1, __ATOMIC_RELAXED);
	if (n == UBSAN_MAX_REPORTS)
		pr_err("UBSAN: %u reports printed, further ones suppressed\n",
		       n);
	return n < UBSAN_MAX_REPORTS;
}

static NO_UBSAN void ubsan_report(struct source_location *loc,
				  const char *check, u64 caller,
				  const char *detail)
{
	if (!ubsan_claim(loc) ||
	    __atomic_exchange_n(&ubsan_busy, 1, __ATOMIC_ACQUIRE))
		return; /* seen, over the limit, or a report is printing */
	u64 off = 0;
	const char *fn = ksym_lookup(caller - 1, &off);
	pr_err("UBSAN: %s at %s:%u:%u in %s: %s\n", check,
	       loc->file ? loc->file : "?", loc->line,
	       loc->column & ~REPORTED_BIT, fn ? fn : "?", detail);
	__atomic_store_n(&ubsan_busy, 0, __ATOMIC_RELEASE);
}

static NO_UBSAN bool type_is_signed(const struct type_descriptor *t)
{
	return t->kind == 0 && (t->info & 1);
}

static NO_UBSAN unsigned type_bits(const struct type_descriptor *t)
{
	return t->kind == 0 ? 1u << (t->info >> 1) : 0;
}

/* A value handle holds integers of up to 64 bits inline. */
static NO_UBSAN void format_value(char *buf, size_t n,
				  const struct type_descriptor *t, u64 v)
{
	unsigned bits = type_bits(t);

	if (bits == 0 || bits > 64)
		snprintf(buf, n, "<%s>", t->name);
	else if (type_is_signed(t))
		snprintf(buf, n, "%lld",
			 (long long)(bits == 64
					 ? v
					 : (u64)((s64)(v << (64 - bits)) >>
						 (64 - bits))));
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
}

static NO_UBSAN void report_overflow(struct overflow_data *d, const char *op,
				     u64 lhs, u64 rhs, u64 caller)
{
	char a[32], b[32], detail[128];

	format_value(a, sizeof(a), d->type, lhs);
	format_value(b, sizeof(b), d->type, rhs);
	snprintf(detail, sizeof(detail),
		 "%s %s %s cannot be represented in "
		 "type %s",
		 a, op, b, d->type->name);
	ubsan_report(&d->loc,
		     type_is_signed(d->type) ? "signed-integer-overflow"
					     : "unsigned-integer-overflow",
		     caller, detail);
}

#define CALLER ((u64)__builtin_return_address(0))

NO_UBSAN void __ubsan_handle_add_overflow(void *d, void *l, void *r)
{
	report_overflow(d, "+", (u64)l, (u64)r, CALLER);
}

NO_UBSAN void __ubsan_handle_sub_overflow(void *d, void *l, void *r)
{
	report_overflow(d, "-", (u64)l, (u64)r, CALLER);
}

NO_UBSAN void __ubsan_handle_mul_overflow(void *d, void *l, void *r)
{
	report_overflow(d, "*", (u64)l, (u64)r, CALLER);
}

NO_UBSAN void __ubsan_handle_negate_overflow(void *data, void *v)
{
	struct overflow_data *d = data;
	char a[32], detail[128];

	format_value(a, sizeof(a), d->type, (u64)v);
	snprintf(detail, sizeof(detail),
		 "negation of %s cannot be "
		 "represented in type %s",
		 a, d->type->name);
	ubsan_report(&d->loc, "signed-integer-overflow", CALLER, detail);
}

NO_UBSAN void __ubsan_handle_divrem_overflow(void *data, void *l, void *r)
{
	struct overflow_data *d = data;
	char a[32], detail[128];

	format_value(a, sizeof(a), d->type, (u64)l);
	if ((u64)r == 0)
		snprintf(detail, sizeof(detail), "division of %s by zero", a);
	else
		snprintf(detail, sizeof(detail),
			 "division of %s by -1 "
			 "cannot be represented in type %s",
			 a, d->type->name);
	ubsan_report(&d->loc,
		     (u64)r == 0 ? "integer-divide-by-zero"
				 : "signed-integer-overflow",
		     CALLER, detail);
}

NO_UBSAN void __ubsan_handle_shift_out_of_bounds(void *data, void *l, void *r)
{
	struct shift_data *d = data;
	char a[32], b[32], detail[160];
	u64 rhs = (u64)r;

	format_value(a, sizeof(a), d->lhs_type, (u64)l);
	format_value(b, sizeof(b), d->rhs_type, rhs);
	if ((type_is_signed(d->rhs_type) && (s64)rhs < 0) ||
	    rhs >= type_bits(d->lhs_type))
		snprintf(detail, sizeof(detail),
			 "shift exponent %s is too "
			 "large or negative for %u-bit type %s",
			 b, type_bits(d->lhs_type), d->lhs_type->name);
	else
		snprintf(detail, sizeof(detail),
			 "left shift of %s by %s "
			 "places cannot be represented in type %s",
			 a, b, d->lhs_type->name);
	ubsan_report(&d->loc, "shift-out-of-bounds", CALLER, detail);
}

NO_UBSAN void __ubsan_handle_out_of_bounds(void *data, void *index)
{
	struct out_of_bounds_data *d = data;
	char i[32], detail[128];

	format_value(i, sizeof(i), d->index_type, (u64)index);
	snprintf(detail, sizeof(detail),
		 "index %s is out of range for type "
		 "%s",
		 i, d->array_type->name);
	ubsan_report(&d->loc, "array-index-out-of-bounds", CALLER, detail);
}

static const char *const check_kinds[] = {"load of",
					  "store to",
					  "reference binding to",
					  "member access within",
					  "member call on",
					  "constructor call on",
					  "downcast of",
					  "downcast of",
					  "upcast of",
					  "cast to virtual base of",
					  "_Nonnull binding to",
					  "dynamic operation on"};

NO_UBSAN void __ubsan_handle_type_mismatch_v1(void *data, void *ptr)
{
	struct type_mismatch_data_v1 *d = data;
	u64 p = (u64)ptr, align = 1ull << d->log_alignment;
	const char *what = d->type_check_kind < ARRAY_SIZE(check_kinds)
			       ? check_kinds[d->type_check_kind]
			       : "access to";
	char detail[160];

	if (p == 0) {
		snprintf(detail, sizeof(detail), "%s null pointer of type %s",
			 what, d->type->name);
		ubsan_report(&d->loc, "null-pointer-use", CALLER, detail);
	} else if (d->log_alignment && (p & (align - 1))) {
		snprintf(detail, sizeof(detail),
			 "%s misaligned address %#llx "
			 "for type %s, which needs %llu-byte alignment",
			 what, (unsigned long long)p, d->type->name,
			 (unsigned long long)align);
		ubsan_report(&d->loc, "misaligned-access", CALLER, detail);
	} else {
		snprintf(detail, sizeof(detail),
			 "%s address %#llx with "
			 "insufficient space for an object of type %s",
			 what, (unsigned long long)p, d->type->name);
		ubsan_report(&d->loc, "object-size", CALLER, detail);
	}
}

NO_UBSAN void __ubsan_handle_vla_bound_not_positive(void *data, void *bound)
{
	struct vla_bound_data *d = data;
	char b[32], detail[96];

	format_value(b, sizeof(b), d->type, (u64)bound);
	snprintf(detail, sizeof(detail),
		 "variable length array bound %s is "
		 "not positive",
		 b);
	ubsan_report(&d->loc, "vla-bound", CALLER, detail);
}

NO_UBSAN void __ubsan_handle_load_invalid_value(void *data, void *val)
{
	struct invalid_value_data *d = data;
	char v[32], detail[96];

	format_value(v, sizeof(v), d->type, (u64)val);
	snprintf(detail, sizeof(detail),
		 "load of value %s, which is not a "
		 "valid value for type %s",
		 v, d->type->name);
	ubsan_report(&d->loc, "invalid-load", CALLER, detail);
}

NO_UBSAN void __ubsan_handle_pointer_overflow(void *data, void *base,
					      void *result)
{
	struct loc_only_data *d = data;
	char detail[96];

	snprintf(detail, sizeof(detail),
		 "pointer arithmetic %#llx -> %#llx "
		 "wraps",
		 (unsigned long long)(u64)base,
		 (unsigned long long)(u64)result);
	ubsan_report(&d->loc, "pointer-overflow", CALLER, detail);
}

NO_UBSAN void __ubsan_handle_nonnull_arg(void *data)
{
	struct nonnull_arg_data *d = data;
	char detail[96];

	snprintf(detail, sizeof(detail),
		 "null pointer passed as argument %d, "
		 "declared never null",
		 d->arg_index);
	ubsan_report(&d->loc, "nonnull-attribute", CALLER, detail);
}

NO_UBSAN void __ubsan_handle_nonnull_return_v1(void *data, void *loc)
{
	ubsan_report(loc, "returns-nonnull-attribute", CALLER,
		     "null pointer returned from a function declared never "
		     "to return null");
}

NO_UBSAN void __ubsan_handle_invalid_builtin(void *data)
{
	struct invalid_builtin_data *d = data;

	ubsan_report(&d->loc, "invalid-builtin-use", CALLER,
		     d->kind == 0 ? "passing zero to ctz(), which is not "
				    "a valid argument"
				  : "passing zero to clz(), which is not a "
				    "valid argument");
}

NO_UBSAN void __ubsan_handle_builtin_unreachable(void *data)
{
	struct loc_only_data *d = data;

	ubsan_report(&d->loc, "unreachable", CALLER,
		     "execution reached an unreachable program point");
	panic("UBSAN: __builtin_unreachable() reached at %s:%u", d->loc.file,
	      d->loc.line);
}
