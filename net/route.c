/*
 * route.c - the IPv4 forwarding information base (Linux's FIB, one
 * table): connected routes (added with each address), static routes and
 * the default route, looked up by longest-prefix match; and the path MTU
 * cache (RFC 1191). Commands: `ip route [show|get|add|del]`.
 *
 * The table is a small array kept sorted by prefix length, longest
 * first, so the first entry that matches is the longest match (RFC 1812
 * 5.2.4.3). An appliance has a handful of routes; a linear scan of a
 * sorted array beats a trie at that size and is easy to read.
 *
 * Read first: RFC 1122 3.3.1 (routing outbound datagrams), RFC 1812
 * 5.2.4.3 (longest match), RFC 1191 (path MTU discovery).
 */
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/route.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FIB_MAX_ROUTES 256
#define PMTU_SLOTS 64
#define PMTU_EXPIRES_MS (10 * 60 * 1000) /* Linux ip_rt_mtu_expires */
#define PMTU_MIN 552			 /* Linux ip_rt_min_pmtu */

struct fib_entry {
	u32 dst; /* network, host bits zero */
	u8 prefix;
	u8 type;     /* enum rt_type */
	u32 gateway; /* 0 = on-link */
	struct net_device *dev;
};

struct pmtu_entry {
	u32 daddr; /* 0 = free slot */
	u16 mtu;
	u64 expires; /* jiffies */
};

/* Sorted by prefix, longest first; fib_count entries in use. */
static struct fib_entry fib[FIB_MAX_ROUTES];
static u32 fib_count;
static struct pmtu_entry pmtu_cache[PMTU_SLOTS];
static DEFINE_SPINLOCK(fib_lock, "fib");

static bool fib_match(const struct fib_entry *e, u32 daddr)
{
	return (daddr & inet_prefix_mask(e->prefix)) == e->dst;
}

/* The longest match for daddr, or NULL. Caller holds fib_lock. */
static const struct fib_entry *fib_find(u32 daddr)
{
	for (u32 i = 0; i < fib_count; i++)
		if (fib_match(&fib[i], daddr))
			return &fib[i];
	return NULL;
}

/* The connected route covering addr (a gateway must be on-link: RFC 1122
 * 3.3.1.1), or NULL. Caller holds fib_lock. */
static const struct fib_entry *fib_find_connected(u32 addr,
						  const struct net_device *dev)
{
	for (u32 i = 0; i < fib_count; i++) {
		const struct fib_entry *e = &fib[i];
		if (e->type == RT_CONNECTED && fib_match(e, addr) &&
		    (!dev || e->dev == dev))
			return e;
	}
	return NULL;
}

int fib_lookup(u32 daddr, struct fib_result *res)
{
	spin_lock_bh(&fib_lock);
	const struct fib_entry *e = fib_find(daddr);
	if (e) {
		res->dev = e->dev;
		res->gateway = e->gateway;
		res->prefix = e->prefix;
		res->type = e->type;
	}
	spin_unlock_bh(&fib_lock);
	if (!e)
		return -ENETUNREACH;
	/* Source address (RFC 1122 3.3.4.3): an address of the outgoing
	 * device, preferably on the next hop's subnet. */
	res->prefsrc =
	    inet_select_addr(res->dev, res->gateway ? res->gateway : daddr);
	res->mtu = ip_pmtu_get(daddr);
	return 0;
}

/* Insert keeping the longest-prefix-first order. Caller holds fib_lock. */
static int fib_insert(const struct fib_entry *n)
{
	u32 at = 0;

	if (fib_count == FIB_MAX_ROUTES)
		return -ENOSPC;
	for (u32 i = 0; i < fib_count; i++)
		if (fib[i].dst == n->dst && fib[i].prefix == n->prefix)
			return -EEXIST;
	while (at < fib_count && fib[at].prefix >= n->prefix)
		at++;
	memmove(&fib[at + 1], &fib[at], (fib_count - at) * sizeof(fib[0]));
	fib[at] = *n;
	fib_count++;
	rt_genid_bump_ipv4();
	return 0;
}

int fib_add(u32 dst, u8 prefix, u32 gateway, struct net_device *dev,
	    enum rt_type type)
{
	struct fib_entry n = {.dst = dst,
			      .prefix = prefix,
			      .type = (u8)type,
			      .gateway = gateway,
			      .dev = dev};
	int err = 0;

	if (prefix > 32 || (dst & ~inet_prefix_mask(prefix)) != 0)
		return -EINVAL;
	if (!gateway && !dev)
		return -EINVAL;
	spin_lock_bh(&fib_lock);
	if (gateway) {
		const struct fib_entry *c = fib_find_connected(gateway, dev);
		if (c)
			n.dev = c->dev;
		else
			err = -ENETUNREACH; /* the gateway is not on-link */
	}
	if (err == 0)
		err = fib_insert(&n);
	spin_unlock_bh(&fib_lock);
	return err;
}

/* Remove entry i. Caller holds fib_lock. */
static void fib_remove_at(u32 i)
{
	memmove(&fib[i], &fib[i + 1], (fib_count - i - 1) * sizeof(fib[0]));
	fib_count--;
	rt_genid_bump_ipv4();
}

int fib_del(u32 dst, u8 prefix)
{
	int err = -ESRCH;

	spin_lock_bh(&fib_lock);
	for (u32 i = 0; i < fib_count; i++) {
		if (fib[i].dst == dst && fib[i].prefix == prefix) {
			fib_remove_at(i);
			err = 0;
			break;
		}
	}
	spin_unlock_bh(&fib_lock);
	return err;
}

/*
 * After an address went away (and its connected route with it): a route
 * whose gateway is no longer on-link cannot be used, so it goes too, as
 * Linux's fib_sync_down_addr does.
 */
void fib_sync_down(struct net_device *dev)
{
	spin_lock_bh(&fib_lock);
	for (u32 i = 0; i < fib_count;) {
		const struct fib_entry *e = &fib[i];
		if (e->dev == dev && e->gateway &&
		    !fib_find_connected(e->gateway, dev))
			fib_remove_at(i);
		else
			i++;
	}
	spin_unlock_bh(&fib_lock);
}

void fib_flush_all(void)
{
	spin_lock_bh(&fib_lock);
	fib_count = 0;
	memset(pmtu_cache, 0, sizeof(pmtu_cache));
	spin_unlock_bh(&fib_lock);
	rt_genid_bump_ipv4();
}

/* Display order, like `ip route`: by destination, then prefix. */
static int fib_cmp_display(const void *a, const void *b)
{
	const struct fib_entry *x = a, *y = b;

	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	return (int)x->prefix - (int)y->prefix;
}

void fib_for_each(void (*fn)(void *ctx, u32 dst, u8 prefix, u32 gw,
			     struct net_device *dev, enum rt_type type),
		  void *ctx)
{
	struct fib_entry *copy = malloc(sizeof(fib));
	u32 n;

	if (!copy)
		return;
	/* Walk a snapshot so fn may take other locks (or print slowly). */
	spin_lock_bh(&fib_lock);
	n = fib_count;
	memcpy(copy, fib, n * sizeof(fib[0]));
	spin_unlock_bh(&fib_lock);
	qsort(copy, n, sizeof(copy[0]), fib_cmp_display);
	for (u32 i = 0; i < n; i++)
		fn(ctx, copy[i].dst, copy[i].prefix, copy[i].gateway,
		   copy[i].dev, copy[i].type);
	free(copy);
}

/* ---- path MTU cache (RFC 1191) ------------------------------------------- */

u16 ip_pmtu_get(u32 daddr)
{
	return ip_pmtu_lookup(daddr, NULL);
}

u16 ip_pmtu_lookup(u32 daddr, u64 *expires)
{
	u64 now = get_jiffies();
	u16 mtu = 0;

	spin_lock_bh(&fib_lock);
	for (u32 i = 0; i < PMTU_SLOTS; i++) {
		struct pmtu_entry *p = &pmtu_cache[i];
		if (p->daddr == daddr && daddr != 0) {
			if (now < p->expires) {
				mtu = p->mtu;
				if (expires)
					*expires = p->expires;
			} else
				p->daddr =
				    0; /* RFC 1191 6.3: try larger again */
			break;
		}
	}
	spin_unlock_bh(&fib_lock);
	return mtu;
}

/* The slot for daddr: its own, a free one, or the one expiring first. */
static struct pmtu_entry *pmtu_slot(u32 daddr)
{
	struct pmtu_entry *victim = &pmtu_cache[0];

	for (u32 i = 0; i < PMTU_SLOTS; i++) {
		struct pmtu_entry *p = &pmtu_cache[i];
		if (p->daddr == daddr)
			return p;
		if (victim->daddr != 0 &&
		    (p->daddr == 0 || p->expires < victim->expires))
			victim = p;
	}
	return victim;
}

/*
 * RFC 1191 6.1: on a Datagram Too Big message, lower the estimate for
 * daddr. Linux clamps to min_pmtu (552) so a forged ICMP cannot make us
 * send tiny fragments; we do the same. Raising happens only by expiry.
 */
void ip_pmtu_update(u32 daddr, u16 mtu)
{
	if (daddr == 0)
		return;
	mtu = MAX(mtu, (u16)PMTU_MIN);
	spin_lock_bh(&fib_lock);
	struct pmtu_entry *p = pmtu_slot(daddr);
	u64 now = get_jiffies();
	bool live = p->daddr == daddr && now < p->expires;
	if (!live || mtu < p->mtu) {
		p->daddr = daddr;
		p->mtu = mtu;
		p->expires = now + msecs_to_jiffies(PMTU_EXPIRES_MS);
		rt_genid_bump_ipv4();
	}
	spin_unlock_bh(&fib_lock);
}

/* ---- text forms ---------------------------------------------------------- */

int inet_parse_addr(const char *s, u32 *addr)
{
	return parse_ipv4(s, strlen(s), addr) == 0 ? 0 : -EINVAL;
}

int inet_parse_prefix(const char *s, u32 *addr, u8 *prefix)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	u32 len = 32;

	if (parse_ipv4(s, alen, addr) != 0)
		return -EINVAL;
	if (slash) {
		const char *d = slash + 1;
		size_t n = strlen(d);
		if (n == 0 || n > 2)
			return -EINVAL;
		len = 0;
		for (size_t i = 0; i < n; i++) {
			if (d[i] < '0' || d[i] > '9')
				return -EINVAL;
			len = len * 10 + (u32)(d[i] - '0');
		}
		if (len > 32)
			return -EINVAL;
	}
	*prefix = (u8)len;
	return 0;
}

/* ---- ip route ------------------------------------------------------------ */

static void route_print(void *ctx, u32 dst, u8 prefix, u32 gw,
			struct net_device *dev, enum rt_type type)
{
	char a[16], g[16];

	(void)ctx;
	if (prefix == 0)
		shell_printf("default");
	else if (prefix == 32)
		shell_printf("%s", ip_str(dst, a));
	else
		shell_printf("%s/%u", ip_str(dst, a), prefix);
	if (gw)
		shell_printf(" via %s", ip_str(gw, g));
	shell_printf(" dev %s", dev ? dev->name : "?");
	if (type == RT_CONNECTED)
		shell_printf(" proto kernel scope link src %s",
			     ip_str(inet_select_addr(dev, dst), a));
	else if (!gw)
		shell_printf(" scope link");
	shell_printf("\n");
}

/* "default" or A.B.C.D[/N] as a network (host bits must be zero). */
static int route_parse_dst(const char *s, u32 *dst, u8 *prefix)
{
	if (strcmp(s, "default") == 0 || strcmp(s, "0/0") == 0) {
		*dst = 0;
		*prefix = 0;
		return 0;
	}
	if (inet_parse_prefix(s, dst, prefix) != 0)
		return -EINVAL;
	if (*dst & ~inet_prefix_mask(*prefix)) {
		shell_printf(
		    "Error: Invalid prefix for given prefix length.\n");
		return SHELL_ERR_SHOWN;
	}
	return 0;
}

struct route_args {
	u32 dst, gw;
	u8 prefix;
	struct net_device *dev;
};

/* NET/LEN [via GW] [dev DEV], in any order after NET, like iproute2. */
static int route_parse(int argc, char **argv, struct route_args *r)
{
	memset(r, 0, sizeof(*r));
	if (argc < 1)
		return -EINVAL;
	int err = route_parse_dst(argv[0], &r->dst, &r->prefix);
	if (err)
		return err;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return -EINVAL;
		if (strcmp(argv[i], "via") == 0) {
			if (inet_parse_addr(argv[i + 1], &r->gw) != 0)
				return -EINVAL;
		} else if (strcmp(argv[i], "dev") == 0) {
			r->dev = dev_get_by_name(argv[i + 1]);
			if (!r->dev) {
				shell_printf("Cannot find device \"%s\"\n",
					     argv[i + 1]);
				return SHELL_ERR_SHOWN;
			}
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* iproute2's wording for the netlink errors it reports. */
static int route_report(int err)
{
	if (err == -EEXIST)
		shell_printf("RTNETLINK answers: File exists\n");
	else if (err == -ESRCH)
		shell_printf("RTNETLINK answers: No such process\n");
	else if (err == -ENETUNREACH)
		shell_printf("Error: Nexthop has invalid gateway.\n");
	else if (err == -ENOSPC)
		shell_printf("RTNETLINK answers: No space left on device\n");
	else
		return err;
	return SHELL_ERR_SHOWN;
}

static int route_add(int argc, char **argv)
{
	struct route_args r;
	int err = route_parse(argc, argv, &r);

	if (err)
		return err;
	if (!r.gw && !r.dev)
		return -EINVAL;
	enum rt_type type = r.prefix == 0 && r.gw ? RT_DEFAULT_GW : RT_STATIC;
	return route_report(fib_add(r.dst, r.prefix, r.gw, r.dev, type));
}

static int route_del(int argc, char **argv)
{
	struct route_args r;
	int err = route_parse(argc, argv, &r);

	if (err)
		return err;
	return route_report(fib_del(r.dst, r.prefix));
}

/* `ip route get ADDR`: what ip_send_skb would do for ADDR. */
static int route_get(int argc, char **argv)
{
	struct fib_result res;
	char a[16], b[16];
	u32 daddr;

	if (argc != 1 || inet_parse_addr(argv[0], &daddr) != 0)
		return -EINVAL;
	if (fib_lookup(daddr, &res) != 0) {
		shell_printf("RTNETLINK answers: Network is unreachable\n");
		return SHELL_ERR_SHOWN;
	}
	shell_printf("%s", ip_str(daddr, a));
	if (res.gateway)
		shell_printf(" via %s", ip_str(res.gateway, b));
	shell_printf(" dev %s src %s", res.dev->name, ip_str(res.prefsrc, b));
	if (res.mtu)
		shell_printf("\n    cache expires 600sec mtu %u\n", res.mtu);
	else
		shell_printf("\n    cache\n");
	return 0;
}

/* Whether word abbreviates full (iproute2 accepts any prefix). */
static bool matches(const char *word, const char *full)
{
	size_t n = strlen(word);
	return n > 0 && strncmp(word, full, n) == 0;
}

/* `ip route ...`: argv[0] is "route" (or an abbreviation). */
int ip_route_cmd(int argc, char **argv)
{
	if (argc < 2 || matches(argv[1], "show") || matches(argv[1], "list")) {
		fib_for_each(route_print, NULL);
		return 0;
	}
	if (matches(argv[1], "add"))
		return route_add(argc - 2, argv + 2);
	if (matches(argv[1], "delete"))
		return route_del(argc - 2, argv + 2);
	if (matches(argv[1], "get"))
		return route_get(argc - 2, argv + 2);
	return -EINVAL;
}
