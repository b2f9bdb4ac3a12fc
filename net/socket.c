/*
 * socket.c - the generic socket layer: the socket table, argument checks
 * and dispatch to the protocol's proto_ops, readiness (sock_wake), event
 * loops like epoll, the apps registry run from the idle loops, and `ss`.
 *
 *   app: sock_recv -> checks -> s->ops->recvfrom
 *   protocol (softirq): data queued -> sock_wake(s) -> s on its loop's
 *     ready list -> platform_wake_cpu(loop cpu)
 *   idle loop: apps_poll -> sock_loop_poll (ops->poll for each ready
 *     socket: level-triggered, a socket whose events still hold stays on
 *     the list) -> the app's fn
 *
 * Threading model: an app, its loop and its sockets belong to one CPU; the
 * app calls the sock_* functions only from its own fn (or before
 * app_register), so sock_close never races with sock_loop_poll. Protocols
 * run in softirqs on any CPU and only reach the socket layer through
 * sock_wake. Locks: net/sock_internal.h.
 */
#include <skiff/net/inet.h>
#include <skiff/net/ip_internal.h>
#include <skiff/net/netcore.h>
#include <skiff/net/sock_internal.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/time.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCK_MAX_FAMILIES 4
#define SOCK_LOOP_BATCH 64 /* ready sockets looked at per sock_loop_poll */
#define APPS_MAX 16
#define APP_EVENTS 64

struct sock_loop {
	spinlock_t lock;	     /* ready_list, on_ready_list, s->loop */
	struct list_head ready_list; /* sockets that may have events */
	u32 cpu;		     /* whose idle loop runs the app */
};

struct app {
	const char *name;
	struct sock_loop *loop;
	app_fn fn;
	void *arg;
	u32 cpu;
	u32 timeout_ms;
	u64 next_run_ns; /* timeout_ms: the next turn even without events */
};

static const struct sock_family *families[SOCK_MAX_FAMILIES];
static LIST_HEAD(sock_list);
static DEFINE_SPINLOCK(sock_list_lock, "sock_list");
static struct lock_class sock_lock_class = {.name = "socket"};
static struct lock_class loop_lock_class = {.name = "sock_loop"};
static struct app apps[APPS_MAX];
static u32 nr_apps;

/* ---- the socket table --------------------------------------------------- */

int sock_register(const struct sock_family *f)
{
	if (!f || !f->ops || !f->diag)
		return -EINVAL;
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++)
		if (families[i] && families[i]->ops->type == f->ops->type)
			return -EEXIST;
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++) {
		if (!families[i]) {
			families[i] = f;
			return 0;
		}
	}
	return -ENOSPC;
}

static const struct sock_family *family_of(int type)
{
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++)
		if (families[i] && families[i]->ops->type == type)
			return families[i];
	return NULL;
}

/* Sockets come from their own slab cache (104 bytes each, 39 to a page),
 * not malloc (128 with its header): one per connection, idle ones too. */
static struct kcache *sock_cache;

struct socket *sock_alloc(const struct proto_ops *ops)
{
	if (!sock_cache)
		sock_cache = kcache_create("socket", sizeof(struct socket), 8);
	struct socket *s = sock_cache ? kcache_alloc(sock_cache) : NULL;
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	spin_lock_init(&s->lock, &sock_lock_class);
	INIT_LIST_HEAD(&s->ready);
	spin_lock_bh(&sock_list_lock);
	list_add_tail(&s->all, &sock_list);
	spin_unlock_bh(&sock_list_lock);
	return s;
}

static void sock_free(struct socket *s)
{
	spin_lock_bh(&sock_list_lock);
	list_del(&s->all);
	spin_unlock_bh(&sock_list_lock);
	kcache_free(sock_cache, s);
}

int sock_create(int type, struct socket **out)
{
	const struct sock_family *f = family_of(type);
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!f)
		return -EPROTONOSUPPORT;
	struct socket *s = sock_alloc(f->ops);
	if (!s)
		return -ENOMEM;
	int err = f->ops->create(s);
	if (err < 0) {
		sock_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void sock_for_each(void (*fn)(struct socket *s, void *ctx), void *ctx)
{
	struct socket *s;
	spin_lock_bh(&sock_list_lock); /* not irqsave: ss prints under it */
	list_for_each_entry (s, &sock_list, all)
		fn(s, ctx);
	spin_unlock_bh(&sock_list_lock);
}

/* ---- dispatch ------------------------------------------------------------ */

int sock_bind(struct socket *s, u32 addr, u16 port)
{
	if (!s || !s->ops->bind)
		return s ? -EOPNOTSUPP : -EBADF;
	return s->ops->bind(s, addr, port);
}

int sock_listen(struct socket *s, int backlog)
{
	if (!s)
		return -EBADF;
	if (!s->ops->listen)
		return -EOPNOTSUPP;
	if (backlog < 0)
		backlog = 0;
	return s->ops->listen(s, backlog);
}

int sock_accept(struct socket *s, struct socket **child, u32 *addr, u16 *port)
{
	if (!s || !child)
		return s ? -EINVAL : -EBADF;
	u32 a;
	u16 p;
	*child = NULL;
	if (!s->ops->accept)
		return -EOPNOTSUPP;
	/* Protocols always get somewhere to write the peer's address. */
	return s->ops->accept(s, child, addr ? addr : &a, port ? port : &p);
}

int sock_connect(struct socket *s, u32 addr, u16 port)
{
	if (!s)
		return -EBADF;
	if (!s->ops->connect)
		return -EOPNOTSUPP;
	return s->ops->connect(s, addr, port);
}

long sock_send(struct socket *s, const void *buf, size_t len, int flags)
{
	if (!s)
		return -EBADF;
	if (!buf && len)
		return -EFAULT;
	return s->ops->sendto(s, buf, len, flags, 0, 0, false);
}

long sock_send_ref(struct socket *s, const void *buf, size_t len, int flags)
{
	if (!s)
		return -EBADF;
	if (!buf && len)
		return -EFAULT;
	if (!s->ops->send_ref)
		return -EOPNOTSUPP;
	return s->ops->send_ref(s, buf, len, flags);
}

long sock_sendto(struct socket *s, const void *buf, size_t len, int flags,
		 u32 addr, u16 port)
{
	if (!s)
		return -EBADF;
	if (!buf && len)
		return -EFAULT;
	return s->ops->sendto(s, buf, len, flags, addr, port, true);
}

long sock_recv(struct socket *s, void *buf, size_t len, int flags)
{
	return sock_recvfrom(s, buf, len, flags, NULL, NULL);
}

long sock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
		   u32 *addr, u16 *port)
{
	if (!s)
		return -EBADF;
	u32 a;
	u16 p;
	if (!buf && len)
		return -EFAULT;
	return s->ops->recvfrom(s, buf, len, flags, addr ? addr : &a,
				port ? port : &p);
}

int sock_shutdown(struct socket *s, int how)
{
	if (!s)
		return -EBADF;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (!s->ops->shutdown)
		return -EOPNOTSUPP;
	return s->ops->shutdown(s, how);
}

int sock_close(struct socket *s)
{
	if (!s)
		return -EBADF;
	if (s->loop)
		sock_loop_del(s->loop, s);
	if (s->ops->close)
		s->ops->close(s);
	sock_free(s);
	return 0;
}

u32 sock_poll(struct socket *s)
{
	return s ? s->ops->poll(s) : 0;
}

/* SO_ERROR is the socket layer's: it reads and clears so_error. */
static int sock_get_error(struct socket *s, void *val, size_t *len)
{
	if (!val || !len || *len < sizeof(int))
		return -EINVAL;
	unsigned long flags = spin_lock_irqsave(&s->lock);
	int err = s->so_error;
	s->so_error = 0;
	spin_unlock_irqrestore(&s->lock, flags);
	memcpy(val, &err, sizeof(err));
	*len = sizeof(int);
	return 0;
}

int sock_setsockopt(struct socket *s, int level, int opt, const void *val,
		    size_t len)
{
	if (!s)
		return -EBADF;
	if (!val && len)
		return -EFAULT;
	if (!s->ops->setsockopt)
		return -ENOPROTOOPT;
	return s->ops->setsockopt(s, level, opt, val, len);
}

int sock_getsockopt(struct socket *s, int level, int opt, void *val,
		    size_t *len)
{
	if (!s)
		return -EBADF;
	if (level == SOL_SOCKET && opt == SO_ERROR)
		return sock_get_error(s, val, len);
	if (!s->ops->getsockopt)
		return -ENOPROTOOPT;
	return s->ops->getsockopt(s, level, opt, val, len);
}

/* ---- readiness and event loops ------------------------------------------ */

/* Events always reported, asked for or not (as epoll's EPOLLERR/HUP). */
#define SOCK_EV_ALWAYS (SOCK_EV_ERR | SOCK_EV_HUP)

/*
 * A wake for an app loop since that CPU's apps_poll began. A wake inside an
 * interrupt that came after the app's turn (during the rest of apps_poll or
 * the shell's poll) raised TASKLET_SOFTIRQ, but irq_exit's softirq run
 * consumed the bit at once, so the idle loop halted with the socket ready
 * until the next interrupt: the 1 kHz tick, so about 1 ms (10 ms with
 * HZ=100) added to 1-25 % of echo round trips. The p99 tail of issue 8.
 */
#define APPS_CPUS_MAX 64 /* as NR_CPUS: an app's CPU is an online one */
static bool apps_woken[APPS_CPUS_MAX];

void sock_wake(struct socket *s)
{
	struct sock_loop *l = __atomic_load_n(&s->loop, __ATOMIC_ACQUIRE);
	if (!l)
		return;
	unsigned long flags = spin_lock_irqsave(&l->lock);
	bool wake = false;
	if (s->loop == l && !s->on_ready_list) {
		list_add_tail(&s->ready, &l->ready_list);
		s->on_ready_list = true;
		wake = true;
	} else if (s->loop == l) {
		/* Marked but maybe in a poll's batch, its readiness already
		 * read: make loop_requeue look again (a lost wakeup
		 * otherwise). */
		s->woken = true;
		wake = true;
	}
	spin_unlock_irqrestore(&l->lock, flags);
	if (wake) {
		if (l->cpu < APPS_CPUS_MAX)
			__atomic_store_n(&apps_woken[l->cpu], true,
					 __ATOMIC_RELEASE);
		platform_wake_cpu(l->cpu);
	}
}

struct sock_loop *sock_loop_create(void)
{
	struct sock_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	spin_lock_init(&l->lock, &loop_lock_class);
	INIT_LIST_HEAD(&l->ready_list);
	l->cpu = this_cpu_id();
	return l;
}

int sock_loop_add(struct sock_loop *l, struct socket *s, u32 interest,
		  void *cookie)
{
	if (!l || !s)
		return -EINVAL;
	unsigned long flags = spin_lock_irqsave(&l->lock);
	if (s->loop) {
		spin_unlock_irqrestore(&l->lock, flags);
		return -EEXIST;
	}
	s->interest = interest;
	s->cookie = cookie;
	__atomic_store_n(&s->loop, l, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&l->lock, flags);
	sock_wake(s); /* it may be ready already */
	return 0;
}

int sock_loop_mod(struct sock_loop *l, struct socket *s, u32 interest)
{
	if (!l || !s || s->loop != l)
		return -ENOENT;
	unsigned long flags = spin_lock_irqsave(&l->lock);
	s->interest = interest;
	spin_unlock_irqrestore(&l->lock, flags);
	sock_wake(s);
	return 0;
}

int sock_loop_del(struct sock_loop *l, struct socket *s)
{
	if (!l || !s || s->loop != l)
		return -ENOENT;
	unsigned long flags = spin_lock_irqsave(&l->lock);
	if (s->on_ready_list) {
		list_del_init(&s->ready);
		s->on_ready_list = false;
	}
	__atomic_store_n(&s->loop, NULL, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&l->lock, flags);
	return 0;
}

/* Take up to max sockets off the ready list (they stay marked on it, so a
 * concurrent sock_wake does not add them twice). */
static int loop_take(struct sock_loop *l, struct socket **batch, int max)
{
	int n = 0;
	unsigned long flags = spin_lock_irqsave(&l->lock);
	while (n < max && !list_empty(&l->ready_list)) {
		struct socket *s =
		    list_first_entry(&l->ready_list, struct socket, ready);
		list_del_init(&s->ready);
		s->woken = false;
		batch[n++] = s;
	}
	spin_unlock_irqrestore(&l->lock, flags);
	return n;
}

/* Level-triggered: a socket whose events still hold goes back on the list
 * (at the tail), so the next poll sees it again; others leave it, unless
 * a sock_wake came after their readiness was read (s->woken). */
static void loop_requeue(struct sock_loop *l, struct socket *s, bool keep)
{
	unsigned long flags = spin_lock_irqsave(&l->lock);
	if ((keep || s->woken) && s->loop == l)
		list_add_tail(&s->ready, &l->ready_list);
	else
		s->on_ready_list = false;
	s->woken = false;
	spin_unlock_irqrestore(&l->lock, flags);
}

int sock_loop_poll(struct sock_loop *l, struct sock_event *ev, int max)
{
	struct socket *batch[SOCK_LOOP_BATCH];
	if (!l || !ev || max <= 0)
		return 0;
	int n =
	    loop_take(l, batch, max < SOCK_LOOP_BATCH ? max : SOCK_LOOP_BATCH);
	int out = 0;
	for (int i = 0; i < n; i++) {
		struct socket *s = batch[i];
		u32 events = s->ops->poll(s) & (s->interest | SOCK_EV_ALWAYS);
		if (events) {
			ev[out].events = events;
			ev[out].cookie = s->cookie;
			ev[out].sock = s;
			out++;
		}
		loop_requeue(l, s, events != 0);
	}
	return out;
}

static bool loop_has_ready(struct sock_loop *l)
{
	return !list_empty(&l->ready_list); /* a hint: read without the lock */
}

/* ---- apps ---------------------------------------------------------------- */

int app_register(const char *name, struct sock_loop *l, app_fn fn, void *arg,
		 u32 cpu, u32 timeout_ms)
{
	if (!name || !l || !fn || cpu >= online_cpus())
		return -EINVAL;
	if (nr_apps == APPS_MAX)
		return -ENOSPC;
	struct app *a = &apps[nr_apps];
	*a = (struct app){name, l, fn, arg, cpu, timeout_ms, 0};
	if (timeout_ms)
		a->next_run_ns = ktime_get_ns() + timeout_ms * 1000000ull;
	l->cpu = cpu;
	__atomic_store_n(&nr_apps, nr_apps + 1, __ATOMIC_RELEASE);
	if (loop_has_ready(l))
		platform_wake_cpu(cpu);
	return 0;
}

/* One turn of one app if it has events or its timeout came. */
static void app_run(struct app *a, struct sock_event *ev, u64 now)
{
	bool due = a->timeout_ms && now >= a->next_run_ns;
	if (!due && !loop_has_ready(a->loop))
		return;
	int n = sock_loop_poll(a->loop, ev, APP_EVENTS);
	if (n == 0 && !due)
		return;
	if (a->timeout_ms)
		a->next_run_ns = now + a->timeout_ms * 1000000ull;
	a->fn(a->loop, ev, n, a->arg);
}

void apps_poll(void)
{
	struct sock_event ev[APP_EVENTS]; /* 1.5 KiB of the idle stack */
	u32 cpu = this_cpu_id();
	u32 n = __atomic_load_n(&nr_apps, __ATOMIC_ACQUIRE);
	u64 now = ktime_get_ns();
	/* Cleared before the lists are looked at: a wake from here on keeps
	 * the idle loop from halting (apps_pending). */
	if (cpu < APPS_CPUS_MAX)
		__atomic_store_n(&apps_woken[cpu], false, __ATOMIC_RELEASE);
	netdev_xmit_batch_begin(); /* one doorbell for all the replies */
	for (u32 i = 0; i < n; i++)
		if (apps[i].cpu == cpu)
			app_run(&apps[i], ev, now);
	netdev_xmit_batch_end();
}

bool apps_pending(void)
{
	u32 cpu = this_cpu_id();
	return cpu < APPS_CPUS_MAX &&
	       __atomic_load_n(&apps_woken[cpu], __ATOMIC_ACQUIRE);
}

void socket_init(void)
{
	pr_info("socket: event loops run from the idle loop, %d apps max\n",
		APPS_MAX);
}

/* ---- ss ------------------------------------------------------------------ */

struct ss_opts {
	bool family[SOCK_MAX_FAMILIES]; /* selected families */
	bool all, listening, info, netid, timers, summary;
	u32 states; /* `state`/`exclude` words: SS_ bits; 0 = none given */
};

/* iproute2's state names and the words the rows show for them. */
enum {
	SS_ESTAB,
	SS_SYN_SENT,
	SS_SYN_RECV,
	SS_FIN_WAIT1,
	SS_FIN_WAIT2,
	SS_TIME_WAIT,
	SS_CLOSED,
	SS_CLOSE_WAIT,
	SS_LAST_ACK,
	SS_LISTEN,
	SS_CLOSING,
	SS_NSTATES
};
static const struct {
	const char *name, *shown;
} ss_states[SS_NSTATES] = {
    [SS_ESTAB] = {"established", "ESTAB"},
    [SS_SYN_SENT] = {"syn-sent", "SYN-SENT"},
    [SS_SYN_RECV] = {"syn-recv", "SYN-RECV"},
    [SS_FIN_WAIT1] = {"fin-wait-1", "FIN-WAIT-1"},
    [SS_FIN_WAIT2] = {"fin-wait-2", "FIN-WAIT-2"},
    [SS_TIME_WAIT] = {"time-wait", "TIME-WAIT"},
    [SS_CLOSED] = {"closed", "UNCONN"},
    [SS_CLOSE_WAIT] = {"close-wait", "CLOSE-WAIT"},
    [SS_LAST_ACK] = {"last-ack", "LAST-ACK"},
    [SS_LISTEN] = {"listening", "LISTEN"},
    [SS_CLOSING] = {"closing", "CLOSING"},
};
#define SS_BIT(i) (1u << (i))
#define SS_ALL (SS_BIT(SS_NSTATES) - 1)
/* connected: all but listening and closed; synchronized: and not
 * SYN-SENT (iproute2's groups). */
#define SS_CONNECTED (SS_ALL & ~SS_BIT(SS_CLOSED) & ~SS_BIT(SS_LISTEN))
#define SS_SYNCHRONIZED (SS_CONNECTED & ~SS_BIT(SS_SYN_SENT))

static u32 ss_state_bit(const char *shown)
{
	for (size_t i = 0; i < ARRAY_SIZE(ss_states); i++)
		if (strcmp(ss_states[i].shown, shown) == 0)
			return SS_BIT(i);
	return 0;
}

/* A `state` or `exclude` word: its bits, or 0 if unknown. */
static u32 ss_state_words(const char *w)
{
	if (strcmp(w, "all") == 0)
		return SS_ALL;
	if (strcmp(w, "connected") == 0)
		return SS_CONNECTED;
	if (strcmp(w, "synchronized") == 0)
		return SS_SYNCHRONIZED;
	if (strcmp(w, "listen") == 0)
		return SS_BIT(SS_LISTEN);
	for (size_t i = 0; i < ARRAY_SIZE(ss_states); i++)
		if (strcmp(ss_states[i].name, w) == 0)
			return SS_BIT(i);
	return 0;
}

static void ss_endpoint(char *buf, size_t cap, u32 addr, u16 port)
{
	char a[16];
	if (port)
		snprintf(buf, cap, "%s:%u", ip_str(addr, a), port);
	else
		snprintf(buf, cap, "%s:*", ip_str(addr, a));
}

/* Without -a, as iproute2's default: connections only, and of those not
 * TIME-WAIT or SYN-RECV (its SS_CONN). */
static bool ss_shown(const struct ss_opts *o, const char *state, bool listening)
{
	if (o->states)
		return (o->states & ss_state_bit(state)) != 0;
	if (o->all)
		return true;
	if (listening != o->listening)
		return false;
	return strcmp(state, "TIME-WAIT") != 0 &&
	       strcmp(state, "SYN-RECV") != 0;
}

/* A timer's time as ss -o shows it: 205ms, 1.500sec, 59sec, 2min5sec. */
static void ss_timer_time(char *buf, size_t n, u32 ms)
{
	u32 s = ms / 1000, min = s / 60;
	if (ms < 1000)
		snprintf(buf, n, "%ums", ms);
	else if (s < 10 && ms % 1000)
		snprintf(buf, n, "%u.%03usec", s, ms % 1000);
	else if (s < 60)
		snprintf(buf, n, "%usec", s);
	else if (s % 60)
		snprintf(buf, n, "%umin%usec", min, s % 60);
	else
		snprintf(buf, n, "%umin", min);
}

static void ss_print(const struct ss_opts *o, const struct sock_family *f,
		     const char *state, u32 recv_q, u32 send_q, u32 la, u16 lp,
		     u32 ra, u16 rp, const struct sock_diag_timer *t)
{
	char l[24], r[24], when[24];
	ss_endpoint(l, sizeof(l), la, lp);
	ss_endpoint(r, sizeof(r), ra, rp);
	if (o->netid)
		shell_printf("%-6s", f->netid);
	shell_printf("%-10s %-6u %-6u %-21s %-21s", state, recv_q, send_q, l,
		     r);
	if (o->timers && t && t->name) {
		ss_timer_time(when, sizeof(when), t->ms);
		shell_printf(" timer:(%s,%s,%u)", t->name, when, t->count);
	}
	shell_printf("\n");
}

/* One row, from the socket's family (each protocol contributes its own). */
static void ss_row(struct socket *s, void *ctx)
{
	const struct ss_opts *o = ctx;
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++) {
		const struct sock_family *f = families[i];
		if (!f || f->ops != s->ops || !o->family[i])
			continue;
		struct sock_diag d = {"UNKNOWN", 0, 0, false, {NULL, 0, 0}};
		u32 la = 0, ra = 0;
		u16 lp = 0, rp = 0;
		f->diag(s, &d);
		if (!ss_shown(o, d.state, d.listening))
			return;
		if (s->ops->names)
			s->ops->names(s, &la, &lp, &ra, &rp);
		ss_print(o, f, d.state, d.recv_q, d.send_q, la, lp, ra, rp,
			 &d.timer);
		if (o->info && f->diag_info)
			f->diag_info(s);
	}
}

struct ss_unowned_ctx {
	const struct ss_opts *o;
	const struct sock_family *f;
};

/* A connection no socket holds (the protocol's copy; ss -i has no more
 * to say of it than the row). */
static void ss_unowned_row(const struct sock_diag_row *r, void *ctx)
{
	const struct ss_unowned_ctx *c = ctx;
	if (ss_shown(c->o, r->state, false))
		ss_print(c->o, c->f, r->state, r->recv_q, r->send_q, r->laddr,
			 r->lport, r->raddr, r->rport, &r->timer);
}

static int ss_parse(int argc, char **argv, struct ss_opts *o)
{
	bool any_family = false;
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		bool state = strcmp(argv[i], "state") == 0;
		if (state || strcmp(argv[i], "exclude") == 0) {
			u32 bits =
			    i + 1 < argc ? ss_state_words(argv[i + 1]) : 0;
			if (!bits) {
				shell_printf(
				    "ss: %s needs a state: established, "
				    "syn-sent, syn-recv, fin-wait-1, "
				    "fin-wait-2, time-wait, closed, "
				    "close-wait, last-ack, listening, "
				    "closing, all, connected, "
				    "synchronized\n",
				    argv[i]);
				return SHELL_ERR_SHOWN;
			}
			if (state)
				o->states |= bits;
			else /* from all, or from the states given so far */
				o->states =
				    (o->states ? o->states : SS_ALL) & ~bits;
			if (!o->states)
				o->states = SS_BIT(31); /* nothing matches */
			i++;
			continue;
		}
		if (argv[i][0] != '-' || !argv[i][1])
			return -EINVAL;
		for (const char *c = argv[i] + 1; *c; c++) {
			int fi = -1;
			for (int k = 0; k < SOCK_MAX_FAMILIES; k++)
				if (families[k] && families[k]->ss_flag == *c)
					fi = k;
			if (fi >= 0) {
				o->family[fi] = any_family = true;
			} else if (*c == 'a') {
				o->all = true;
			} else if (*c == 'l') {
				o->listening = true;
			} else if (*c == 'i') {
				o->info = true;
			} else if (*c == 'o') {
				o->timers = true;
			} else if (*c == 's') {
				o->summary = true;
			} else if (*c == 't' || *c == 'u') {
				any_family = true; /* not registered: no rows */
			} else if (*c != 'n') {
				return -EINVAL;
			}
		}
	}
	int selected = 0;
	for (int k = 0; k < SOCK_MAX_FAMILIES; k++) {
		if (!any_family && families[k])
			o->family[k] = true;
		selected += o->family[k];
	}
	o->netid = selected != 1 || !any_family;
	return 0;
}

struct ss_counts {
	u32 total;
	u32 family[SOCK_MAX_FAMILIES];
};

static void ss_count(struct socket *s, void *ctx)
{
	struct ss_counts *n = ctx;
	n->total++;
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++)
		if (families[i] && families[i]->ops == s->ops)
			n->family[i]++;
}

/* ss -s: the sockets, each family's own line, then a table by transport
 * (IPv4 only: no IPv6 column) with the reassembly queues as FRAG. */
static void ss_summary(void)
{
	struct ss_counts n = {0};
	u32 count[SOCK_MAX_FAMILIES] = {0}, inet = 0;
	struct ipfrag_stats frag;
	sock_for_each(ss_count, &n);
	shell_printf("Total: %u\n", n.total);
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++) {
		if (!families[i])
			continue;
		count[i] = families[i]->diag_summary
			       ? families[i]->diag_summary()
			       : n.family[i];
		inet += count[i];
	}
	ipfrag_get_stats(&frag);
	shell_printf("\nTransport Total     IP\n");
	for (int i = 0; i < SOCK_MAX_FAMILIES; i++) {
		if (!families[i])
			continue;
		char name[8];
		size_t k = 0;
		for (; families[i]->netid[k] && k < sizeof(name) - 1; k++)
			name[k] = (char)toupper(families[i]->netid[k]);
		name[k] = 0;
		shell_printf("%-9s %-9u %u\n", name, count[i], count[i]);
	}
	shell_printf("%-9s %-9u %u\n", "INET", inet, inet);
	shell_printf("%-9s %-9u %u\n", "FRAG", frag.queues, frag.queues);
}

static int cmd_ss(int argc, char **argv)
{
	struct ss_opts o;
	int err = ss_parse(argc, argv, &o);
	if (err)
		return err;
	if (o.summary) { /* as iproute2: the summary alone */
		ss_summary();
		return 0;
	}
	if (o.netid)
		shell_printf("%-6s", "Netid");
	shell_printf("%-10s %-6s %-6s %-21s %-21s\n", "State", "Recv-Q",
		     "Send-Q", "Local Address:Port", "Peer Address:Port");
	sock_for_each(ss_row, &o);
	for (int k = 0; k < SOCK_MAX_FAMILIES; k++) {
		const struct sock_family *f = families[k];
		if (!f || !o.family[k] || !f->diag_unowned ||
		    (o.listening && !o.all && !o.states))
			continue;
		struct ss_unowned_ctx c = {&o, f};
		if (f->diag_unowned(ss_unowned_row, &c) == -ENOMEM) {
			shell_printf("ss: no memory to list the %s connections "
				     "that no socket holds\n",
				     f->netid);
			return SHELL_ERR_SHOWN;
		}
	}
	return 0;
}
SHELL_CMD("ss", cmd_ss,
	  "ss [-t] [-u] [-a|-l] [-n] [-i] [-o] [state S|exclude S]... | ss -s",
	  "sockets and connections, like iproute2 ss (-tan: every TCP one, "
	  "TIME-WAIT too)");
