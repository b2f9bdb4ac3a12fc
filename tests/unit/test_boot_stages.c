/*
 * test_boot_stages.c - host tests for kernel/boot_stages.c: each stage's
 * time from TSC marks, rounding to 0.1 ms, the cap on stages, a buffer too
 * small, and no output before the TSC's rate is known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/boot_stages.h>

#define KHZ 2600000ULL /* a 2.6 GHz TSC: 2,600,000 ticks a millisecond */

static void test_stages_in_ms(void **state)
{
	struct boot_stages b;
	char line[128];

	(void)state;
	boot_stages_start(&b, 1000);
	boot_stages_mark(&b, "mm", 1000 + 3 * KHZ + KHZ / 10); /* 3.1 ms */
	boot_stages_mark(&b, "pci", 1000 + 3 * KHZ + KHZ / 10 + KHZ / 2);
	boot_stages_mark(&b, "net", 1000 + 30 * KHZ); /* 26.4 ms */
	size_t n = boot_stages_format(&b, KHZ, line, sizeof(line));
	assert_string_equal(line, "mm 3.1, pci 0.5, net 26.4");
	assert_int_equal(n, strlen(line));
}

static void test_rounding_and_clock_going_back(void **state)
{
	struct boot_stages b;
	char line[64];

	(void)state;
	boot_stages_start(&b, 0);
	boot_stages_mark(&b, "a", KHZ / 20 - 1); /* 0.0499.. ms -> 0.0 */
	boot_stages_mark(&b, "b", KHZ / 20 - 1 + KHZ / 20); /* 0.05 -> 0.1 */
	boot_stages_mark(&b, "c", 5); /* before "b" ended: counts as 0 */
	boot_stages_format(&b, KHZ, line, sizeof(line));
	assert_string_equal(line, "a 0.0, b 0.1, c 0.0");
}

static void test_cap_and_small_buffer(void **state)
{
	struct boot_stages b;
	char line[12];

	(void)state;
	boot_stages_start(&b, 0);
	for (int i = 0; i < BOOT_STAGES_MAX + 5; i++)
		boot_stages_mark(&b, "stage", (u64)(i + 1) * KHZ);
	assert_int_equal(b.n, BOOT_STAGES_MAX);
	size_t n = boot_stages_format(&b, KHZ, line, sizeof(line));
	assert_int_equal(n, sizeof(line) - 1); /* truncated, terminated */
	assert_string_equal(line, "stage 1.0, ");
}

static void test_no_rate_no_line(void **state)
{
	struct boot_stages b;
	char line[32] = "untouched";

	(void)state;
	boot_stages_start(&b, 0);
	boot_stages_mark(&b, "mm", KHZ);
	assert_int_equal(boot_stages_format(&b, 0, line, sizeof(line)), 0);
	assert_string_equal(line, "untouched");
	assert_int_equal(boot_stages_format(&b, KHZ, NULL, 10), 0);
	boot_stages_start(&b, 0); /* no stage: an empty line */
	assert_int_equal(boot_stages_format(&b, KHZ, line, sizeof(line)), 0);
	assert_string_equal(line, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stages_in_ms),
	    cmocka_unit_test(test_rounding_and_clock_going_back),
	    cmocka_unit_test(test_cap_and_small_buffer),
	    cmocka_unit_test(test_no_rate_no_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
