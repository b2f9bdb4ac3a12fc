/*
 * pktgen - a closed-loop L2 packet generator for the reflector ceiling
 * (app=reflect): raw Ethernet frames out of a tap through AF_PACKET,
 * replies counted and checked.
 *
 *   pktgen IFACE DST_MAC SECONDS [WINDOW] [FRAME_LEN]
 *
 * Keeps WINDOW frames (default 64) in flight toward DST_MAC, in batches
 * with sendmmsg, and takes replies with recvmmsg. Frames carry EtherType
 * 0x88b5 (IEEE 802 local experimental), a magic word, this run's id, a
 * sequence number and a pattern derived from it, FRAME_LEN bytes in all
 * (default 60, the minimum frame without FCS). A reply counts when it
 * comes from DST_MAC to IFACE's own address (the MACs swapped) with the
 * payload of a frame that was sent; a late reply to an earlier run (another
 * id) is counted as stale; anything else of that EtherType is bad. Frames
 * that never come back (dropped on the way) are found by a 20 ms silence
 * and written off, so the window does not shrink. Every reply's round
 * trip is timed from the sendmmsg of its frame to the recvmmsg that
 * brought it back; with WINDOW 1 that is the latency of the path with no
 * queueing in it. Prints
 *   sent=N replies=M bad=B stale=T lost=L seconds=S pps=X p50_us=A p99_us=B
 * where pps is replies per second.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_BENCH 0x88b5
#define MAGIC 0x534b4946u /* "SKIF" */
#define BATCH 32
#define MAX_LEN 1514
#define SILENCE_NS 20000000LL
#define STAMPS 8192 /* a power of two above the largest WINDOW */
#define MAX_SAMPLES (8u << 20)

struct gen {
	int fd;
	int len;
	uint8_t me[6], peer[6];
	uint32_t run_id;
	uint64_t sent, replies, bad, stale, lost;
	uint64_t outstanding;  /* sent, neither answered nor written off */
	int64_t stamp[STAMPS]; /* when frame seq % STAMPS was sent */
	uint32_t *rtt_ns;      /* one per reply, up to MAX_SAMPLES */
	uint64_t nrtt;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static void fill(const struct gen *g, uint8_t *f, uint64_t seq)
{
	uint32_t magic = htonl(MAGIC);
	uint16_t type = htons(ETHERTYPE_BENCH);

	memcpy(f, g->peer, 6);
	memcpy(f + 6, g->me, 6);
	memcpy(f + 12, &type, 2);
	memcpy(f + 14, &magic, 4);
	memcpy(f + 18, &g->run_id, 4);
	memcpy(f + 22, &seq, 8);
	for (int i = 30; i < g->len; i++)
		f[i] = (uint8_t)(seq * 7 + (uint64_t)i);
}

/* A reply is the frame we sent with the addresses swapped: 1 (and *seqp
 * its sequence number); a reply to an earlier run: -1; anything else: 0. */
static int check(const struct gen *g, const uint8_t *f, int n, uint64_t *seqp)
{
	uint8_t want[MAX_LEN];
	uint32_t run_id;
	uint64_t seq;

	if (n >= 22) {
		memcpy(&run_id, f + 18, 4);
		if (run_id != g->run_id)
			return -1;
	}
	if (n < g->len || n > g->len + 4) /* a driver may keep padding */
		return 0;
	memcpy(&seq, f + 22, 8);
	if (seq >= g->sent)
		return 0;
	fill(g, want, seq);
	*seqp = seq;
	return memcmp(f, g->me, 6) == 0 && memcmp(f + 6, g->peer, 6) == 0 &&
	       memcmp(f + 12, want + 12, g->len - 12) == 0;
}

static int open_iface(struct gen *g, const char *ifname)
{
	struct ifreq ifr = {0};
	int one = 1;

	g->fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_BENCH));
	if (g->fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(g->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	memcpy(g->me, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETHERTYPE_BENCH),
				  .sll_ifindex = (int)if_nametoindex(ifname)};
	if (sll.sll_ifindex == 0 ||
	    bind(g->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	setsockopt(g->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		   sizeof(one));
	int buf = 4 << 20;
	setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return 0;
}

static void send_batch(struct gen *g, int count)
{
	static uint8_t frames[BATCH][MAX_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < count; i++) {
		fill(g, frames[i], g->sent + (uint64_t)i);
		iov[i] = (struct iovec){frames[i], (size_t)g->len};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int n = sendmmsg(g->fd, msgs, count, 0);
	int64_t t = now_ns();
	for (int i = 0; i < n; i++)
		g->stamp[(g->sent + (uint64_t)i) % STAMPS] = t;
	if (n > 0) {
		g->sent += (uint64_t)n;
		g->outstanding += (uint64_t)n;
	}
}

/* Take what has arrived; returns how many frames were read. */
static int receive(struct gen *g, int timeout_ms)
{
	static uint8_t frames[BATCH][MAX_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct pollfd p = {.fd = g->fd, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){frames[i], MAX_LEN};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int n = recvmmsg(g->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
	int64_t t = now_ns();
	for (int i = 0; i < n; i++) {
		uint64_t seq = 0;
		int ok = check(g, frames[i], (int)msgs[i].msg_len, &seq);
		if (ok > 0) {
			g->replies++;
			/* Frames older than the stamps' ring are not timed. */
			if (g->nrtt < MAX_SAMPLES && g->sent - seq <= STAMPS)
				g->rtt_ns[g->nrtt++] =
				    (uint32_t)(t - g->stamp[seq % STAMPS]);
			if (g->outstanding)
				g->outstanding--;
		} else if (ok < 0) {
			g->stale++;
		} else {
			g->bad++;
		}
	}
	return n > 0 ? n : 0;
}

static void run(struct gen *g, double seconds, uint64_t window)
{
	int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9);
	int64_t last_rx = start;

	while (now_ns() < end) {
		if (g->outstanding < window) {
			uint64_t room = window - g->outstanding;
			send_batch(g, (int)(room < BATCH ? room : BATCH));
		}
		if (receive(g, 1) > 0) {
			last_rx = now_ns();
		} else if (now_ns() - last_rx > SILENCE_NS) {
			g->lost += g->outstanding; /* dropped on the way */
			g->outstanding = 0;
			last_rx = now_ns();
		}
	}
	/* Stragglers still on their way count, up to 100 ms. */
	int64_t drain = now_ns() + 100000000LL;
	while (g->outstanding && now_ns() < drain)
		receive(g, 10);
	g->lost += g->outstanding;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of the round trips, in microseconds. */
static double percentile_us(const struct gen *g, double p)
{
	if (!g->nrtt)
		return 0;
	uint64_t i = (uint64_t)(p / 100.0 * (double)g->nrtt);

	return g->rtt_ns[i < g->nrtt ? i : g->nrtt - 1] / 1e3;
}

int main(int argc, char **argv)
{
	static struct gen g = {.len = 60};

	if (argc < 4) {
		fprintf(stderr, "usage: pktgen IFACE DST_MAC SECONDS [WINDOW] "
				"[FRAME_LEN]\n");
		return 2;
	}
	double seconds = atof(argv[3]);
	long window = argc > 4 ? atol(argv[4]) : 64;
	if (argc > 5)
		g.len = atoi(argv[5]);
	if (parse_mac(argv[2], g.peer) < 0 || seconds <= 0 || window < 1 ||
	    window > 4096 || g.len < 60 || g.len > MAX_LEN) {
		fprintf(stderr,
			"pktgen: bad DST_MAC, SECONDS, WINDOW (1..4096) "
			"or FRAME_LEN (60..%d)\n",
			MAX_LEN);
		return 2;
	}
	if (open_iface(&g, argv[1]) < 0) {
		perror("pktgen: AF_PACKET on IFACE");
		return 1;
	}
	g.rtt_ns = malloc(MAX_SAMPLES * sizeof(*g.rtt_ns));
	if (!g.rtt_ns) {
		fprintf(stderr, "pktgen: out of memory\n");
		return 1;
	}
	g.run_id = (uint32_t)getpid() ^ (uint32_t)now_ns();
	int64_t t0 = now_ns();
	run(&g, seconds, (uint64_t)window);
	double secs = (double)(now_ns() - t0) / 1e9;
	qsort(g.rtt_ns, g.nrtt, sizeof(*g.rtt_ns), cmp_u32);
	printf("sent=%llu replies=%llu bad=%llu stale=%llu lost=%llu "
	       "seconds=%.3f pps=%.0f p50_us=%.1f p99_us=%.1f\n",
	       (unsigned long long)g.sent, (unsigned long long)g.replies,
	       (unsigned long long)g.bad, (unsigned long long)g.stale,
	       (unsigned long long)g.lost, secs, (double)g.replies / secs,
	       percentile_us(&g, 50), percentile_us(&g, 99));
	return 0;
}
