/*
 * fuzz_dhcp.c - libFuzzer target for the DHCP parser (net/dhcp_wire.c)
 * and the client state machine that consumes it (net/dhcp.c).
 *
 * The input is one UDP payload from a "server". It is parsed from a
 * buffer of exactly its size (ASan sees any read past it); a parsed
 * message must satisfy what dhcp_wire.h promises (counts within bounds,
 * text NUL-terminated and printable, a legal MTU, a contiguous mask).
 * Then it is given to a client in each state that takes replies, with
 * its xid and chaddr patched to match (a fuzzer would not guess them), and
 * whatever the client applies must be a usable address with a sane
 * prefix and ordered timers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skiff/net/dhcp.h>

static const u8 mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void check_msg(const struct dhcp_msg *m)
{
	if (m->router_count > DHCP_MAX_ROUTERS || m->dns_count > DHCP_MAX_DNS)
		abort();
	check_text(m->hostname, sizeof(m->hostname));
	check_text(m->message, sizeof(m->message));
	if ((m->has & DHCP_HAS_MTU) && m->mtu < 68)
		abort();
	if ((m->has & DHCP_HAS_MASK) && dhcp_mask_prefix(m->subnet_mask) < 0)
		abort();
	if (m->type > DHCPINFORM)
		abort();
}

static void check_client(const struct dhcp_client *c,
			 const struct dhcp_action *a)
{
	if (a->apply) {
		u32 addr = c->lease.addr;
		if ((addr >> 24) == 0 || (addr >> 24) == 127 ||
		    (addr & 0xe0000000u) == 0xe0000000u)
			abort();
		if (c->lease.prefix > 32 || c->t1_ns > c->t2_ns ||
		    c->t2_ns > c->expiry_ns)
			abort();
	}
	if (a->probe && c->state != DHCP_PROBING)
		abort();
}

/* A client in `state` (reached through real messages), fed m. */
static void feed(const struct dhcp_msg *parsed, int state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	const u64 s = 1000000000ULL;
	dhcp_client_init(&c, mac, 42, "skiff");
	dhcp_start(&c, s, &a);
	if (state > 0) {
		struct dhcp_msg offer = {.op = BOOTREPLY,
					 .type = DHCPOFFER,
					 .xid = c.xid,
					 .yiaddr = 0xc6120032u,
					 .has = DHCP_HAS_SERVER_ID,
					 .server_id = 0xc6120001u};
		memcpy(offer.chaddr, mac, 6);
		dhcp_rx(&c, &offer, s, &a);
	}
	if (state > 1) {
		struct dhcp_msg ack = c.offer;
		ack.type = DHCPACK;
		ack.has |= DHCP_HAS_LEASE;
		ack.lease_s = 120;
		dhcp_rx(&c, &ack, s, &a);
		dhcp_probe_done(&c, false, s, &a);
		dhcp_tick(&c, c.t1_ns, &a); /* RENEWING */
	}
	struct dhcp_msg m = *parsed;
	m.xid = c.xid;
	memcpy(m.chaddr, mac, 6);
	dhcp_rx(&c, &m, 2 * s, &a);
	check_client(&c, &a);
	if (a.probe) {
		dhcp_probe_done(&c, false, 3 * s, &a);
		check_client(&c, &a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_msg m;
	u8 *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	int err = dhcp_parse(copy, size, &m);
	free(copy);
	if (err)
		return 0;
	check_msg(&m);
	for (int state = 0; state < 3; state++)
		feed(&m, state);
	/* What we would send back parses again. */
	u8 out[DHCP_EMIT_LEN + 64];
	struct dhcp_msg echo = m, back;
	echo.has &= DHCP_HAS_SERVER_ID | DHCP_HAS_REQUESTED_IP;
	int n = dhcp_emit(&echo, out, sizeof(out));
	if (n >= 0 && echo.type && dhcp_parse(out, (size_t)n, &back) != 0)
		abort();
	return 0;
}
