/*
 * devinet.c - IPv4 addresses on devices (Linux's in_device/in_ifaddr), and
 * the `ip` console command: `ip addr` here, `ip route` in route.c, `ip
 * link` and `ip neigh` from the device and neighbour code.
 *
 * inet_addr_add -> store the address -> connected route (fib_add) ->
 * gratuitous ARP (arp_announce, RFC 5227 3). inet_addr_del undoes the
 * first two and drops the routes whose gateway is no longer on-link.
 *
 * Lookups (inet_addr_is_local, ...) run for every received datagram, so
 * the addresses of all devices also sit in one flat array scanned under a
 * lock. Skiff is a weak-end host (RFC 1122 3.3.4.2), like Linux: a datagram
 * for any of its addresses is accepted on any device.
 */
#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/route.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <errno.h>
#include <string.h>

#define INET_MAX_ADDRS 32 /* all devices together */

struct in_ifaddr {
	struct net_device *dev; /* NULL = free slot */
	u32 addr;
	u32 broadcast; /* 0 for /31 and /32 (RFC 3021) */
	u8 prefix;
	bool secondary; /* another address of dev is on the same subnet */
};

/* In the order added: the first address of a device is its primary. */
static struct in_ifaddr ifa_table[INET_MAX_ADDRS];
/* Slots at and past this one are free: lookups (per packet) stop here. */
static u32 ifa_used;
static DEFINE_SPINLOCK(inet_lock, "devinet");

static u32 subnet_of(u32 addr, u8 prefix)
{
	return addr & inet_prefix_mask(prefix);
}

static u32 broadcast_of(u32 addr, u8 prefix)
{
	return prefix < 31 ? addr | ~inet_prefix_mask(prefix) : 0;
}

/* Whether another address of dev covers the same subnet. Caller locks. */
static bool subnet_has_primary(const struct net_device *dev, u32 addr,
			       u8 prefix)
{
	for (u32 i = 0; i < INET_MAX_ADDRS; i++) {
		const struct in_ifaddr *a = &ifa_table[i];
		if (a->dev == dev && a->prefix == prefix &&
		    subnet_of(a->addr, prefix) == subnet_of(addr, prefix))
			return true;
	}
	return false;
}

/* Store addr/prefix on dev. Caller locks. 0, -EEXIST or -ENOMEM. */
static int ifa_insert(struct net_device *dev, u32 addr, u8 prefix)
{
	struct in_ifaddr *slot = NULL;

	for (u32 i = 0; i < INET_MAX_ADDRS; i++) {
		struct in_ifaddr *a = &ifa_table[i];
		if (a->dev == dev && a->addr == addr)
			return -EEXIST;
		if (!a->dev && !slot)
			slot = a;
	}
	if (!slot)
		return -ENOMEM;
	ifa_used = MAX(ifa_used, (u32)(slot - ifa_table) + 1);
	slot->secondary = subnet_has_primary(dev, addr, prefix);
	slot->dev = dev;
	slot->addr = addr;
	slot->prefix = prefix;
	slot->broadcast = broadcast_of(addr, prefix);
	return 0;
}

int inet_addr_add(struct net_device *dev, u32 addr, u8 prefix)
{
	if (!dev || prefix > 32 || addr == 0 || ipv4_is_multicast(addr) ||
	    ipv4_is_lbcast(addr))
		return -EINVAL;
	spin_lock_bh(&inet_lock);
	int err = ifa_insert(dev, addr, prefix);
	spin_unlock_bh(&inet_lock);
	if (err)
		return err;
	rt_genid_bump_ipv4(); /* local, broadcast and source addresses */
	/* The connected route (RFC 1122 3.3.1.1: on-link destinations). A
	 * second address on a subnet already routed shares its route. */
	if (prefix < 32) {
		int rerr = fib_add(subnet_of(addr, prefix), prefix, 0, dev,
				   RT_CONNECTED);
		if (rerr && rerr != -EEXIST)
			pr_warn("devinet: no connected route for %s: %d\n",
				dev->name, rerr);
	}
	arp_announce(dev, addr);
	return 0;
}

/* Whether some address of dev still covers subnet/prefix. Caller locks. */
static bool subnet_still_used(const struct net_device *dev, u32 subnet,
			      u8 prefix)
{
	return subnet_has_primary(dev, subnet, prefix);
}

int inet_addr_del(struct net_device *dev, u32 addr, u8 prefix)
{
	int err = -EADDRNOTAVAIL;
	bool route_gone = false;

	spin_lock_bh(&inet_lock);
	for (u32 i = 0; i < INET_MAX_ADDRS; i++) {
		struct in_ifaddr *a = &ifa_table[i];
		if (a->dev == dev && a->addr == addr && a->prefix == prefix) {
			memset(a, 0, sizeof(*a));
			err = 0;
			break;
		}
	}
	while (ifa_used && !ifa_table[ifa_used - 1].dev)
		ifa_used--;
	if (err == 0 && prefix < 32)
		route_gone =
		    !subnet_still_used(dev, subnet_of(addr, prefix), prefix);
	spin_unlock_bh(&inet_lock);
	if (err == 0)
		rt_genid_bump_ipv4();
	if (route_gone) {
		fib_del(subnet_of(addr, prefix), prefix);
		fib_sync_down(dev);
	}
	return err;
}

void inet_addr_flush_all(void)
{
	spin_lock_bh(&inet_lock);
	memset(ifa_table, 0, sizeof(ifa_table));
	ifa_used = 0;
	spin_unlock_bh(&inet_lock);
	rt_genid_bump_ipv4();
}

/* The first address of dev matching want (any if want is NULL). */
static u32 inet_find(const struct net_device *dev,
		     bool (*want)(const struct in_ifaddr *, u32), u32 arg)
{
	u32 found = 0;

	spin_lock_bh(&inet_lock);
	for (u32 i = 0; i < ifa_used && !found; i++) {
		const struct in_ifaddr *a = &ifa_table[i];
		if (a->dev && (!dev || a->dev == dev) &&
		    (!want || want(a, arg)))
			found = a->addr;
	}
	spin_unlock_bh(&inet_lock);
	return found;
}

u32 inet_dev_addr(const struct net_device *dev)
{
	return dev ? inet_find(dev, NULL, 0) : 0;
}

static bool ifa_is(const struct in_ifaddr *a, u32 addr)
{
	return a->addr == addr;
}

bool inet_addr_is_local(const struct net_device *dev, u32 addr)
{
	return addr != 0 && inet_find(dev, ifa_is, addr) != 0;
}

static bool ifa_broadcast_is(const struct in_ifaddr *a, u32 addr)
{
	return a->broadcast != 0 && a->broadcast == addr;
}

bool inet_addr_is_broadcast(const struct net_device *dev, u32 addr)
{
	return addr == INADDR_BROADCAST ||
	       inet_find(dev, ifa_broadcast_is, addr) != 0;
}

static bool ifa_covers(const struct in_ifaddr *a, u32 dst)
{
	return subnet_of(a->addr, a->prefix) == subnet_of(dst, a->prefix);
}

u32 inet_select_addr(const struct net_device *dev, u32 dst)
{
	if (!dev)
		return 0;
	u32 addr = inet_find(dev, ifa_covers, dst);
	return addr ? addr : inet_find(dev, NULL, 0);
}

void inet_for_each_addr(const struct net_device *dev,
			void (*fn)(void *ctx, u32 addr, u8 prefix), void *ctx)
{
	struct in_ifaddr copy[INET_MAX_ADDRS];

	spin_lock_bh(&inet_lock);
	memcpy(copy, ifa_table, sizeof(copy));
	spin_unlock_bh(&inet_lock);
	for (u32 i = 0; i < INET_MAX_ADDRS; i++)
		if (copy[i].dev && (!dev || copy[i].dev == dev))
			fn(ctx, copy[i].addr, copy[i].prefix);
}

/* ---- ip addr ------------------------------------------------------------- */

/* iproute2's flag words, in its order (print_link_flags). */
static void print_link_flags(const struct net_device *dev)
{
	static const struct {
		u32 flag;
		const char *name;
	} names[] = {{IFF_LOOPBACK, "LOOPBACK"},
		     {IFF_BROADCAST, "BROADCAST"},
		     {IFF_PROMISC, "PROMISC"},
		     {IFF_MULTICAST, "MULTICAST"},
		     {IFF_UP, "UP"}};
	bool first = true;

	shell_printf("<");
	if (!dev->carrier && (dev->flags & IFF_UP)) {
		shell_printf("NO-CARRIER");
		first = false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (dev->flags & names[i].flag) {
			shell_printf("%s%s", first ? "" : ",", names[i].name);
			first = false;
		}
	}
	if ((dev->flags & IFF_UP) && dev->carrier)
		shell_printf("%sLOWER_UP", first ? "" : ",");
	shell_printf(">");
}

/*
 * The link lines, as `ip addr` prints them:
 * 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP
 * group default qlen 1000 link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
 */
static void print_link(const struct net_device *dev)
{
	char mac[18], brd[18];
	const char *state = !(dev->flags & IFF_UP) ? "DOWN"
			    : dev->carrier	   ? "UP"
						   : "DOWN";

	shell_printf("%d: %s: ", dev->ifindex, dev->name);
	print_link_flags(dev);
	shell_printf(" mtu %u qdisc %s state %s group default qlen %llu\n",
		     dev->mtu, dev->qdisc ? "pfifo_fast" : "noop", state,
		     dev->tx_queue_len);
	format_mac(dev->dev_addr, mac);
	format_mac(dev->broadcast, brd);
	shell_printf("    link/ether %s brd %s\n", mac, brd);
}

/* inet 198.18.0.2/24 brd 198.18.0.255 scope global [secondary] eth0 */
static void print_addrs(const struct net_device *dev)
{
	struct in_ifaddr copy[INET_MAX_ADDRS];
	char a[16], b[16];

	spin_lock_bh(&inet_lock);
	memcpy(copy, ifa_table, sizeof(copy));
	spin_unlock_bh(&inet_lock);
	for (u32 i = 0; i < INET_MAX_ADDRS; i++) {
		const struct in_ifaddr *f = &copy[i];
		if (f->dev != dev)
			continue;
		shell_printf("    inet %s/%u", ip_str(f->addr, a), f->prefix);
		if (f->broadcast)
			shell_printf(" brd %s", ip_str(f->broadcast, b));
		shell_printf(" scope global %s%s\n",
			     f->secondary ? "secondary " : "", dev->name);
		shell_printf(
		    "       valid_lft forever preferred_lft forever\n");
	}
}

static void addr_show_one(struct net_device *dev, void *ctx)
{
	(void)ctx;
	print_link(dev);
	print_addrs(dev);
}

static int addr_show(int argc, char **argv)
{
	if (argc == 0) {
		for_each_netdev(addr_show_one, NULL);
		return 0;
	}
	const char *name = argv[0];
	if (strcmp(name, "dev") == 0 && argc == 2)
		name = argv[1];
	else if (argc != 1)
		return -EINVAL;
	struct net_device *dev = dev_get_by_name(name);
	if (!dev) {
		shell_printf("Device \"%s\" does not exist.\n", name);
		return SHELL_ERR_SHOWN;
	}
	addr_show_one(dev, NULL);
	return 0;
}

/* ip addr add|del A.B.C.D/N dev DEV */
static int addr_change(bool add, int argc, char **argv)
{
	u32 addr;
	u8 prefix;

	if (argc != 3 || strcmp(argv[1], "dev") != 0 ||
	    inet_parse_prefix(argv[0], &addr, &prefix) != 0)
		return -EINVAL;
	struct net_device *dev = dev_get_by_name(argv[2]);
	if (!dev) {
		shell_printf("Cannot find device \"%s\"\n", argv[2]);
		return SHELL_ERR_SHOWN;
	}
	int err = add ? inet_addr_add(dev, addr, prefix)
		      : inet_addr_del(dev, addr, prefix);
	if (err == -EEXIST)
		shell_printf("RTNETLINK answers: File exists\n");
	else if (err == -EADDRNOTAVAIL)
		shell_printf(
		    "RTNETLINK answers: Cannot assign requested address\n");
	else
		return err;
	return SHELL_ERR_SHOWN;
}

/* Whether word abbreviates full (iproute2 accepts any prefix). */
static bool matches(const char *word, const char *full)
{
	size_t n = strlen(word);
	return n > 0 && strncmp(word, full, n) == 0;
}

/* `ip addr ...`: argv[0] is "addr" (or an abbreviation). */
int ip_addr_cmd(int argc, char **argv)
{
	if (argc < 2)
		return addr_show(0, NULL);
	if (matches(argv[1], "show") || matches(argv[1], "list"))
		return addr_show(argc - 2, argv + 2);
	if (matches(argv[1], "add"))
		return addr_change(true, argc - 2, argv + 2);
	if (matches(argv[1], "delete"))
		return addr_change(false, argc - 2, argv + 2);
	return -EINVAL;
}

/*
 * `ip OBJECT ...`, dispatched like iproute2 (any prefix of the object
 * name). `ip link` and `ip neigh` live with the device and neighbour code
 * (ip_link_cmd, ip_neigh_cmd); until those are linked in they are weak.
 */
/* `ip -s link` works like `ip link -s`: leading options move behind the
 * object word. */
static int cmd_ip(int argc, char **argv)
{
	char *args[SHELL_MAX_ARGS + 1];
	int (*fn)(int, char **) = NULL;
	int nopts = 1, n = 0;

	while (nopts < argc && argv[nopts][0] == '-')
		nopts++;
	if (nopts >= argc)
		return -EINVAL;
	const char *obj = argv[nopts];
	if (matches(obj, "address"))
		fn = ip_addr_cmd;
	else if (matches(obj, "route"))
		fn = ip_route_cmd;
	else if (matches(obj, "link"))
		fn = ip_link_cmd;
	else if (matches(obj, "neighbour") || matches(obj, "neighbor"))
		fn = ip_neigh_cmd;
	if (!fn) {
		shell_printf("Object \"%s\" is unknown, try \"ip help\".\n",
			     obj);
		return SHELL_ERR_SHOWN;
	}
	args[n++] = argv[nopts];
	for (int i = 1; i < nopts; i++)
		args[n++] = argv[i];
	for (int i = nopts + 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return fn(n, args);
}
SHELL_CMD("ip", cmd_ip,
	  "ip addr [show [DEV]|add A.B.C.D/N dev DEV|del A.B.C.D/N dev DEV]\n"
	  "       ip route [show|get ADDR|add NET/LEN|default [via GW] [dev "
	  "DEV]|del NET/LEN]\n"
	  "       ip link [-s] | ip neigh [flush]",
	  "addresses, routes, links and neighbours (iproute2)");
