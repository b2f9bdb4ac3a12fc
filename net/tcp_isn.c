/*
 * tcp_isn.c - SipHash-2-4, the TCP secret, RFC 6528 initial sequence
 * numbers and RFC 6056 ephemeral ports (tcp_isn.h says how to use them).
 * Read first: RFC 6528 3 (ISN = M + F), RFC 6056 3.3.4 (double-hash port
 * selection), and the SipHash paper (Aumasson, Bernstein 2012) sections
 * 2 (the algorithm) and appendix A (the test vector).
 *
 * The secret is 16 bytes from platform_random(). Each use (ISN, port
 * offset, port table index, the two cookie hashes) hashes under its own
 * key, derived from the secret by SipHash itself, so knowing the output
 * of one function tells nothing about another.
 */
#include <skiff/net/tcp_isn.h>
#include <skiff/platform.h>
#include <errno.h>
#include <string.h>

#define TCP_NR_HASH_TAGS 6

static struct siphash_key tcp_keys[TCP_NR_HASH_TAGS];
static bool tcp_keys_ready;

/* ---- SipHash-2-4 (the paper, section 2) --------------------------------- */

static u64 rotl64(u64 x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

struct sip_state {
	u64 v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

/* Compression of one 64-bit word: c = 2 rounds. */
static void sip_compress(struct sip_state *s, u64 m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static u64 load_le64(const u8 *p, size_t n)
{
	u64 v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

u64 siphash_2_4(const struct siphash_key *key, const void *data, size_t len)
{
	const u8 *p = data;
	struct sip_state s = {
	    .v0 = key->k0 ^ 0x736f6d6570736575ull, /* "somepseu" */
	    .v1 = key->k1 ^ 0x646f72616e646f6dull, /* "dorandom" */
	    .v2 = key->k0 ^ 0x6c7967656e657261ull, /* "lygenera" */
	    .v3 = key->k1 ^ 0x7465646279746573ull, /* "tedbytes" */
	};
	size_t full = len & ~(size_t)7;

	for (size_t i = 0; i < full; i += 8)
		sip_compress(&s, load_le64(p + i, 8));
	/* The last word: the remaining bytes, then len mod 256 on top. */
	sip_compress(&s, load_le64(p + full, len - full) |
			     ((u64)(len & 0xff) << 56));
	/* Finalization: d = 4 rounds. */
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* ---- the secret ---------------------------------------------------------- */

void tcp_secret_set(const u8 key[16])
{
	struct siphash_key master = {
	    .k0 = load_le64(key, 8),
	    .k1 = load_le64(key + 8, 8),
	};

	for (u32 tag = 0; tag < TCP_NR_HASH_TAGS; tag++) {
		u32 in0[2] = {tag, 0}, in1[2] = {tag, 1};

		tcp_keys[tag].k0 = siphash_2_4(&master, in0, sizeof(in0));
		tcp_keys[tag].k1 = siphash_2_4(&master, in1, sizeof(in1));
	}
	tcp_keys_ready = true;
}

bool tcp_secret_init(void)
{
	u8 key[16];
	bool strong = platform_random(key, sizeof(key));

	tcp_secret_set(key);
	memset(key, 0, sizeof(key));
	return strong;
}

u64 tcp_siphash(enum tcp_hash_tag tag, const u32 *words, size_t n)
{
	if (!tcp_keys_ready) /* never hash under an all-zero key */
		tcp_secret_init();
	if ((u32)tag >= TCP_NR_HASH_TAGS)
		tag = 0;
	return siphash_2_4(&tcp_keys[tag], words, n * sizeof(u32));
}

/* ---- RFC 6528 ISNs ------------------------------------------------------- */

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey); M is a timer ticking every 4 microseconds. */
u32 tcp_isn_v4(u32 saddr, u16 sport, u32 daddr, u16 dport, u64 now_ns)
{
	u32 words[3] = {saddr, daddr, ((u32)sport << 16) | dport};
	u32 m = (u32)(now_ns / 4000);

	return m + (u32)tcp_siphash(TCP_HASH_ISN, words, 3);
}

/* ---- RFC 6056 ephemeral ports ------------------------------------------- */

void tcp_port_alloc_init(struct tcp_port_alloc *pa, u16 lo, u16 hi)
{
	if (lo == 0)
		lo = 1;
	if (hi < lo)
		hi = lo;
	pa->lo = lo;
	pa->hi = hi;
	/* RFC 6056 3.3.4: the table may start random. */
	if (!platform_random(pa->table, sizeof(pa->table)))
		memset(pa->table, 0, sizeof(pa->table));
}

/* RFC 6056 3.3.4, algorithm 4: offset = F(...), index = G(...); try
 * lo + (offset + table[index]++) % num for num rounds. */
int tcp_ephemeral_port(struct tcp_port_alloc *pa, u32 laddr, u32 faddr,
		       u16 fport, bool (*in_use)(u16 port, void *ctx),
		       void *ctx)
{
	u32 words[3] = {laddr, faddr, fport};
	u32 num = (u32)pa->hi - pa->lo + 1;
	u32 offset = (u32)tcp_siphash(TCP_HASH_PORT_F, words, 3);
	u32 index =
	    (u32)tcp_siphash(TCP_HASH_PORT_G, words, 3) % TCP_PORT_TABLE_SIZE;

	for (u32 count = num; count > 0; count--) {
		u16 port = (u16)(pa->lo + (offset + pa->table[index]) % num);

		pa->table[index]++;
		if (!in_use || !in_use(port, ctx))
			return port;
	}
	return -EADDRNOTAVAIL;
}
