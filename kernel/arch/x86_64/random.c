/*
 * random.c - platform_random(): bytes for secrets (the TCP ISN and SYN
 * cookie keys). Read first: Intel SDM vol. 1 7.3.17 (RDRAND and RDSEED:
 * CF=1 means the value is valid; retry on CF=0), Intel's "DRNG Software
 * Implementation Guide" 5.2 (retry RDRAND up to 10 times).
 *
 *   platform_random -> RDSEED (CPUID.07H:EBX[18]) per 8 bytes
 *                   -> else RDRAND (CPUID.01H:ECX[30])
 *                   -> else TSC jitter, mixed (returns false)
 *
 * A value of all zeros or all ones is refused: some AMD parts return
 * ~0 with CF=1 after a bad firmware resume.
 */
#include <skiff/platform.h>
#include <asm/cpu.h>
#include <string.h>

#define RDSEED_TRIES 100
#define RDRAND_TRIES 10
#define JITTER_ROUNDS 64

static bool cpu_has_rdseed(void)
{
	u32 a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	if (a < 7)
		return false;
	cpuid(7, 0, &a, &b, &c, &d);
	return b & (1u << 18);
}

static bool cpu_has_rdrand(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return c & (1u << 30);
}

static bool good_value(u64 v)
{
	return v != 0 && v != ~0ull;
}

static bool rdseed64(u64 *v)
{
	for (int i = 0; i < RDSEED_TRIES; i++) {
		u8 ok;

		__asm__ __volatile__("rdseed %0; setc %1"
				     : "=r"(*v), "=qm"(ok));
		if (ok && good_value(*v))
			return true;
		__asm__ __volatile__("pause");
	}
	return false;
}

static bool rdrand64(u64 *v)
{
	for (int i = 0; i < RDRAND_TRIES; i++) {
		u8 ok;

		__asm__ __volatile__("rdrand %0; setc %1"
				     : "=r"(*v), "=qm"(ok));
		if (ok && good_value(*v))
			return true;
	}
	return false;
}

/* splitmix64's finalizer: spreads the few unpredictable low bits of each
 * TSC delta over the whole word. */
static u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Weak fallback: the timing noise of short, data-dependent loops. */
static u64 tsc_jitter64(void)
{
	u64 acc = rdtsc();

	for (int r = 0; r < JITTER_ROUNDS; r++) {
		u64 t0 = rdtsc();
		volatile u64 spin = acc & 0xff;

		while (spin--)
			barrier();
		acc = mix64(acc ^ ((rdtsc() - t0) << (r & 31)));
	}
	return acc;
}

bool platform_random(void *buf, size_t n)
{
	bool seed = cpu_has_rdseed(), rand = cpu_has_rdrand();
	bool strong = true;
	u8 *p = buf;

	while (n > 0) {
		u64 v;
		size_t k = MIN(n, sizeof(v));

		if (!(seed && rdseed64(&v)) && !(rand && rdrand64(&v))) {
			v = tsc_jitter64();
			strong = false;
		}
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	return strong;
}
