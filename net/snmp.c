/*
 * snmp.c - the MIB counters of include/skiff/net/snmp.h, and the two
 * commands that show them the way iproute2's nstat and net-tools'
 * `netstat -s` do.
 *
 *   nstat [-a] [-z] [-r] [-n] [-s] [PATTERN...]
 *	increments since the previous nstat (like nstat's history file),
 *	nonzero counters only; -a absolute values, -z zeros too, -r reset the
 *	history, -n update the history without printing, -s print without
 *	updating; PATTERN is a name or a prefix ending in '*'.
 *   netstat -s
 *	absolute values grouped by MIB (Ip:, IpExt:, Icmp:, IcmpMsg:, Udp:).
 */
#include <skiff/net/snmp.h>
#include <skiff/shell.h>
#include <skiff/spinlock.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct snmp_mib_cpu snmp_mib[SNMP_MAX_CPUS];

static const char *const snmp_names[SNMP_MIB_MAX] = {
#define SNMP_MIB_NAME(name) #name,
    SNMP_MIB_LIST(SNMP_MIB_NAME)
#undef SNMP_MIB_NAME
};

u64 snmp_get(enum snmp_mib f)
{
	u64 sum = 0;

	for (u32 cpu = 0; cpu < SNMP_MAX_CPUS; cpu++)
		sum += __atomic_load_n(&snmp_mib[cpu].v[f], __ATOMIC_RELAXED);
	return sum;
}

const char *snmp_name(enum snmp_mib f)
{
	return f < SNMP_MIB_MAX ? snmp_names[f] : "?";
}

static u64 snmp_icmp_type_sum(bool out, u32 type)
{
	u64 sum = 0;

	for (u32 cpu = 0; cpu < SNMP_MAX_CPUS; cpu++) {
		const u64 *slot = out ? &snmp_mib[cpu].icmp_out_type[type]
				      : &snmp_mib[cpu].icmp_in_type[type];
		sum += __atomic_load_n(slot, __ATOMIC_RELAXED);
	}
	return sum;
}

/*
 * Linux's IcmpMsg: line lists the In types in order, then the Out types
 * (icmpmsg_put walks one 512-entry array, Out at 256 + type).
 */
static void snmp_for_each_icmp_msg(void (*fn)(void *, const char *, u64),
				   void *ctx)
{
	char name[32];

	for (u32 out = 0; out < 2; out++) {
		for (u32 type = 0; type < SNMP_ICMP_TYPES; type++) {
			snprintf(name, sizeof(name), "IcmpMsg%sType%u",
				 out ? "Out" : "In", type);
			fn(ctx, name, snmp_icmp_type_sum(out, type));
		}
	}
}

void snmp_for_each(void (*fn)(void *ctx, const char *name, u64 value),
		   void *ctx)
{
	for (int f = 0; f < SNMP_MIB_MAX; f++) {
		fn(ctx, snmp_names[f], snmp_get(f));
		if (f == MIB_IcmpOutEchoReps)
			snmp_for_each_icmp_msg(fn, ctx);
	}
}

void snmp_reset(void)
{
	memset(snmp_mib, 0, sizeof(snmp_mib));
}

/* ---- nstat ------------------------------------------------------------- */

#define NSTAT_SLOTS (SNMP_MIB_MAX + 2 * SNMP_ICMP_TYPES)

/* The history nstat compares against, in snmp_for_each order. */
static u64 nstat_hist[NSTAT_SLOTS];
static DEFINE_SPINLOCK(nstat_lock, "nstat");

struct nstat_run {
	bool absolute, zeros, update, print;
	int npatterns;
	char **patterns;
	u32 slot;
	u64 snap[NSTAT_SLOTS];
};

static bool nstat_match(const struct nstat_run *r, const char *name)
{
	if (r->npatterns == 0)
		return true;
	for (int i = 0; i < r->npatterns; i++) {
		const char *p = r->patterns[i];
		size_t n = strlen(p);
		if (n > 0 && p[n - 1] == '*' && strncmp(name, p, n - 1) == 0)
			return true;
		if (strcmp(name, p) == 0)
			return true;
	}
	return false;
}

static void nstat_one(void *ctx, const char *name, u64 value)
{
	struct nstat_run *r = ctx;
	u32 slot = r->slot++;
	u64 shown = r->absolute ? value : value - nstat_hist[slot];

	r->snap[slot] = value;
	if (!r->print || (shown == 0 && !r->zeros) || !nstat_match(r, name))
		return;
	/* iproute2 misc/nstat.c dump_kern_db: "%-32s%-16llu%6.1f". The rate
	 * column needs nstat's daemon; without one it is 0.0 there too. */
	shell_printf("%-32s%-16llu%6s\n", name, shown, "0.0");
}

static int nstat_parse(struct nstat_run *r, int argc, char **argv)
{
	r->update = true;
	r->print = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			r->patterns = &argv[i];
			r->npatterns = argc - i;
			return 0;
		}
		for (a++; *a; a++) {
			if (*a == 'a')
				r->absolute = true;
			else if (*a == 'z')
				r->zeros = true;
			else if (*a == 'r')
				memset(nstat_hist, 0, sizeof(nstat_hist));
			else if (*a == 'n')
				r->print = false;
			else if (*a == 's')
				r->update = false;
			else
				return -EINVAL;
		}
	}
	return 0;
}

static int cmd_nstat(int argc, char **argv)
{
	static struct nstat_run r;

	spin_lock(&nstat_lock);
	memset(&r, 0, sizeof(r));
	int err = nstat_parse(&r, argc, argv);
	if (err == 0) {
		if (r.print)
			shell_printf("#kernel\n");
		snmp_for_each(nstat_one, &r);
		if (r.update)
			memcpy(nstat_hist, r.snap, sizeof(nstat_hist));
	}
	spin_unlock(&nstat_lock);
	return err;
}
SHELL_CMD("nstat", cmd_nstat, "nstat [-a] [-z] [-r] [-n] [-s] [PATTERN...]",
	  "network counters (increments since the last nstat; -a absolute)");

/* ---- netstat -s ---------------------------------------------------------- */

struct netstat_run {
	char group[16]; /* the group printed last, "Ip", "IpExt"... */
};

/* "IpExtInOctets" -> group "IpExt", field "InOctets"; Linux's groups. */
static const char *netstat_split(const char *name, char *group, size_t n)
{
	static const char *const groups[] = {"IpExt",  "IcmpMsg", "Ip",
					     "Icmp",   "UdpLite", "Udp",
					     "TcpExt", "Tcp"};

	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		size_t len = strlen(groups[i]);
		if (strncmp(name, groups[i], len) == 0) {
			snprintf(group, n, "%s", groups[i]);
			return name + len;
		}
	}
	snprintf(group, n, "Other");
	return name;
}

static void netstat_one(void *ctx, const char *name, u64 value)
{
	struct netstat_run *r = ctx;
	char group[16];
	const char *field = netstat_split(name, group, sizeof(group));
	bool icmp_msg = strcmp(group, "IcmpMsg") == 0;

	if (icmp_msg && value == 0)
		return; /* netstat lists only the ICMP types seen */
	if (strcmp(group, r->group) != 0) {
		shell_printf("%s:\n", group);
		snprintf(r->group, sizeof(r->group), "%s", group);
	}
	shell_printf("    %s: %llu\n", field, value);
}

static int cmd_netstat(int argc, char **argv)
{
	struct netstat_run r = {.group = ""};

	if (argc != 2 || strcmp(argv[1], "-s") != 0)
		return -EINVAL;
	snmp_for_each(netstat_one, &r);
	return 0;
}
SHELL_CMD("netstat", cmd_netstat, "netstat -s",
	  "protocol statistics, grouped like net-tools netstat -s");
