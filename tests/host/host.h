/*
 * host.h - the host shim: Skiff's kernel services on Linux, for unit tests
 * and fuzzers that build net/ (and the pure parts of kernel/) unchanged.
 *
 * tests/host/platform.c implements, for one simulated CPU (id 0):
 *   spinlock.h   spin_lock*, with the kernel's debug checks: recursion and
 *                unlocking a lock that is not held panic; might_sleep
 *                panics with a lock held or in softirq context.
 *   softirq.h    open_softirq/raise_softirq/do_softirq, local_bh_*,
 *                tasklets. Nothing runs by itself: pending softirqs run in
 *                host_run_softirqs(), when the fake clock moves, and when
 *                local_bh_enable() drops the last level (as in the kernel).
 *   time.h       ktime_get_ns() reads a fake clock that starts at
 *                HOST_CLOCK_START_NS and moves only when a test moves it.
 *                udelay/mdelay move it too (time passes while busy-waiting,
 *                timers and softirqs run "from interrupts" on the way),
 *                so console commands that wait (arping, ping) finish.
 *   timer.h      kernel_timer_setup/mod_timer/del_timer(_sync) on one
 *                timer wheel (kernel/timer_wheel.c) run by TIMER_SOFTIRQ.
 *   mm.h         alloc_pages/free_pages over aligned_alloc (with a page
 *                count for leak checks and failure injection), kcache_*
 *                over kernel/mm/slab.c.
 *   printk.h     printk/vprintk into a capture buffer (host_log()); echoed
 *                to stderr when SKIFF_HOST_VERBOSE is set. panic() prints
 *                and abort()s, or longjmps out of HOST_EXPECT_PANIC.
 *   shell.h      shell_printf/shell_write into a capture buffer
 *                (host_shell_output(); echoed to stdout when verbose),
 *                shell_find and host_shell_run() over the SHELL_CMD table
 *                (host_shell_call() for a command function directly);
 *                shell_key_pressed() per host_shell_key_at_ns().
 *   platform.h   this_cpu_id() = 0, online_cpus() = 1, platform_random() a
 *                fixed xorshift stream (same bytes every run).
 *   percpu.h     cpus[0] only: online, with softirq_runs[] counted.
 * tests/host/httpd_host.c runs the HTTP server on top (httpd_host.h), and
 * tests/host/tcp_peer.c is a scripted TCP client on the wire (tcp_peer.h).
 * tests/host/fakedev.c adds a fake Ethernet device (below): frames it
 * sends wait on a list for host_fakedev_pop_tx(), or reach a test "peer"
 * (host_fakedev_set_tx_hook) that may answer; frames come in through
 * host_fakedev_rx() (direct) or host_fakedev_rx_napi() (via NAPI).
 * Everything the shim adds is named host_*.
 *
 * Build: tests/host/host.mk defines the source lists. A unit test that
 * needs only the platform: UNIT_SRCS_foo := $(HOST_SRCS) net/foo.c; the
 * whole host-built stack with the fake device: $(NET_HOST_SRCS).
 *
 * A test, in short:
 *
 *	#include "../host/host.h"
 *
 *	static int setup(void **state)   // a cmocka group setup
 *	{
 *		net_init();              // or skb_init, net_dev_init, arp_init
 *		dev = host_fakedev_create("eth%d", mac);   // up, carrier on
 *		inet_addr_add(dev, IPV4(198, 18, 0, 2), 24);
 *		host_clock_advance_ms(3000);   // the announcements go out
 *		host_fakedev_tx_clear(dev);
 *		return 0;
 *	}
 *
 *	static void test_x(void **state)
 *	{
 *		host_fakedev_rx(dev, frame, sizeof(frame));  // one frame in
 *		u8 out[2048];
 *		int n = host_fakedev_pop_tx(dev, out, sizeof(out));
 *		assert_int_equal(n, 42);                     // one frame out
 *		host_clock_advance_ms(1000);                 // timers fire
 *		assert_true(host_log_contains("eth0: link up"));
 *		assert_int_equal(host_shell_run("ip neigh"), 0);
 *		assert_non_null(strstr(host_shell_output(), "REACHABLE"));
 *		assert_int_equal(host_locks_held(), 0);
 *	}
 *
 * A fuzzer does the same set-up once (in LLVMFuzzerTestOneInput behind a
 * static flag), then per input: host_fakedev_rx(), host_fakedev_tx_clear(),
 * host_clock_advance_ms(), host_log_reset().
 *
 * State in net/ is global and lives for the whole test binary: set the
 * stack up once (a cmocka group setup, or an idempotent helper) and give
 * each test its own addresses or devices.
 */
#ifndef SKIFF_TESTS_HOST_H
#define SKIFF_TESTS_HOST_H

#include <setjmp.h>

#include <skiff/types.h>

struct net_device;

/* ---- setup ---------------------------------------------------------- */

/* Initialise the shim (idempotent; every shim entry point calls it). */
void host_init(void);

/* ---- the fake clock --------------------------------------------------- */

#define HOST_CLOCK_START_NS 1000000000ULL /* 1 s: "now" is never 0 */

u64 host_clock_ns(void);
/*
 * Move the clock forward to ns (never backwards: that panics). On the way
 * the clock stops at each jiffy a timer is due, runs the due timers and
 * then every pending softirq, so a callback sees ktime_get_ns() equal to
 * its own expiry (to the jiffy) and timers fire in order.
 */
void host_clock_set_ns(u64 ns);
void host_clock_advance_ns(u64 ns);
void host_clock_advance_ms(u64 ms);
/* Timers pending on the wheel. */
u32 host_timers_pending(void);

/* ---- softirqs --------------------------------------------------------- */

/* Run pending softirqs until none is pending (panics after a million
 * rounds: something re-raises forever). Returns the rounds run. Does
 * nothing inside a softirq or with bottom halves disabled. */
u32 host_run_softirqs(void);
bool host_softirq_is_pending(int nr);

/* ---- locks ------------------------------------------------------------ */

u32 host_locks_held(void); /* 0 between calls into the stack */

/* ---- memory ----------------------------------------------------------- */

u64 host_pages_in_use(void); /* alloc_pages minus free_pages, in pages */
/* Make the next n alloc_pages calls fail (0: stop failing). */
void host_mm_fail_next(u32 n);
/* Fail every alloc_pages once this many pages are in use (0: no cap). */
void host_mm_set_page_cap(u64 pages);

/* ---- printk capture --------------------------------------------------- */

/* Everything printk'd since the last reset, one message per line, without
 * timestamps or levels. At most HOST_LOG_MAX bytes are kept (older text is
 * dropped from the front). */
#define HOST_LOG_MAX (1u << 20)
const char *host_log(void);
void host_log_reset(void);
bool host_log_contains(const char *needle);
u32 host_log_count(const char *needle); /* occurrences */

/* ---- the shell -------------------------------------------------------- */

/* Output of shell_printf/shell_write since the last reset (capped like the
 * log). */
const char *host_shell_output(void);
void host_shell_reset(void);
/*
 * Split line into words (spaces; no quoting), find the SHELL_CMD and run
 * it, capturing its output (the buffer is reset first). Returns what the
 * command returned, or -ENOENT if there is no such command. Like the
 * kernel's shell, -EINVAL also prints "usage: ...". Works in gcc builds
 * (unit tests); clang's ASan pads the command table, so there it returns
 * -ENOSYS.
 */
int host_shell_run(const char *line);
/* The same for a command function that is not in the table (or whose
 * dispatcher is not linked in): line is split into argv for fn, argv[0]
 * included, e.g. host_shell_call(ip_neigh_cmd, "neigh -s show"). Works
 * in every build. */
int host_shell_call(int (*fn)(int argc, char **argv), const char *line);
/* Make shell_key_pressed() return true once the fake clock reaches ns
 * (0: never), to stop commands that run until a key is pressed. */
void host_shell_key_at_ns(u64 ns);

/* ---- panics ----------------------------------------------------------- */

/*
 * Run stmt and tell whether it panicked (BUG, BUG_ON, panic):
 *	assert_true(HOST_EXPECT_PANIC(skb_put(skb, 100000)));
 * The panic message is in host_log(). Lock and bottom-half state is reset
 * after a panic, since the code that panicked never unlocked.
 */
extern jmp_buf *host_panic_jmp;
void host_after_panic(void);
#define HOST_EXPECT_PANIC(stmt)                                                \
	({                                                                     \
		jmp_buf host_jb_;                                              \
		jmp_buf *volatile host_prev_ = host_panic_jmp;                 \
		volatile bool host_panicked_ = false;                          \
		host_panic_jmp = &host_jb_;                                    \
		if (setjmp(host_jb_) == 0) {                                   \
			stmt;                                                  \
		} else {                                                       \
			host_panicked_ = true;                                 \
			host_after_panic();                                    \
		}                                                              \
		host_panic_jmp = host_prev_;                                   \
		host_panicked_;                                                \
	})

/* ---- the fake network device (tests/host/fakedev.c) -------------------- */

/*
 * Create, register and open a fake Ethernet device named by name_fmt
 * ("eth%d" picks the next free number) with MAC mac (NULL:
 * 02:00:00:00:00:<n> for the n-th fake device, from 1). It comes up with
 * carrier on ("eth0: link up"), so it is UP and RUNNING. Frames that
 * ndo_start_xmit accepts are kept on a TX list; driver "fakedev",
 * bus-info "host:<n>", 1000Mb/s full duplex, mtu 1500, NAPI weight 64.
 * Initialises skbs and the device layer (skb_init, net_dev_init) first.
 */
struct net_device *host_fakedev_create(const char *name_fmt, const u8 mac[6]);
/* Pop the oldest transmitted frame into buf: its length (the whole frame
 * even if cap was smaller; only cap bytes are copied), or -1 if none. */
int host_fakedev_pop_tx(struct net_device *dev, u8 *buf, size_t cap);
u32 host_fakedev_tx_pending(struct net_device *dev); /* frames on the list */
void host_fakedev_tx_clear(struct net_device *dev);
/* Flush_xmit calls (doorbells) so far. */
u64 host_fakedev_doorbells(struct net_device *dev);
/* Make ndo_start_xmit answer NETDEV_TX_BUSY after accepting `room` more
 * frames (-1: never busy). host_fakedev_tx_clear or a new room lets the
 * test call netif_wake_queue(). */
void host_fakedev_set_tx_room(struct net_device *dev, int room);

/*
 * A peer on the wire: fn sees every frame the device transmits, right
 * after it joined the TX list. It runs inside ndo_start_xmit (dev->tx_lock
 * held), so it answers with host_fakedev_rx_napi() (delivered when
 * NET_RX_SOFTIRQ runs, e.g. on the next clock step), never with
 * host_fakedev_rx(). NULL removes it.
 */
typedef void (*host_tx_hook_fn)(struct net_device *dev, const u8 *frame,
				size_t len, void *ctx);
void host_fakedev_set_tx_hook(struct net_device *dev, host_tx_hook_fn fn,
			      void *ctx);

/* Receive one frame as a driver's poll would: copy it into a fresh skb and
 * call netif_receive_skb() with bottom halves disabled (softirqs raised on
 * the way run when the call returns). */
void host_fakedev_rx(struct net_device *dev, const u8 *frame, size_t len);
/* Put a frame on the device's fake RX ring and napi_schedule() it; the
 * frames reach netif_receive_skb when NET_RX_SOFTIRQ runs (for example in
 * host_run_softirqs), at most the NAPI weight per poll. */
void host_fakedev_rx_napi(struct net_device *dev, const u8 *frame, size_t len);
/* NAPI polls of the fake device, and frames left on its RX ring. */
u64 host_fakedev_polls(struct net_device *dev);
u32 host_fakedev_rx_ring_len(struct net_device *dev);
/* Busy polling (net.busy_poll_us): on, the device's napi has a napi_ready
 * (its RX ring is not empty) and may be parked; off (the default), never.
 * host_fakedev_rx_ring_add puts a frame on the ring without scheduling
 * the napi, as a NIC whose interrupt is masked writes a descriptor. */
void host_fakedev_set_busy_poll(struct net_device *dev, bool on);
void host_fakedev_rx_ring_add(struct net_device *dev, const u8 *frame,
			      size_t len);

#endif
