/*
 * test_sock_loop.c - the socket event loop's readiness bookkeeping
 * (net/socket.c): a wakeup that arrives while a poll has the socket off
 * the ready list, after its readiness was read, must not be lost.
 *
 * The protocol's poll is a fake that, the first time, reports nothing and
 * calls sock_wake itself, just as a softirq on another CPU delivering data
 * (or a FIN) between the read of readiness and the requeue would. Before
 * the fix the socket then left the ready list for good: an echo
 * connection stuck in CLOSE-WAIT, or with data never read (found by the
 * soak test, tests/integration/test_soak.py).
 *
 * Also: sockets are allocated from their own slab cache and returned to it,
 * and a wake during an app's turn keeps its CPU from halting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/net.h>
#include <skiff/net/socket.h>
#include <skiff/mm.h>
#include <skiff/slab.h>

#include "../host/host.h"

static struct {
	int polls;
	bool ready;
} fake;

static u32 fake_poll(struct socket *s)
{
	fake.polls++;
	if (fake.polls == 1) {
		fake.ready = true; /* data arrives now, on "another CPU" */
		sock_wake(s);
		return 0; /* but this poll read the state before it */
	}
	return fake.ready ? SOCK_EV_IN : 0;
}

static const struct proto_ops fake_ops = {.type = SOCK_DGRAM,
					  .poll = fake_poll};

static void test_wake_during_poll_not_lost(void **state)
{
	(void)state;
	struct socket s;
	struct sock_event ev[4];

	memset(&s, 0, sizeof(s));
	memset(&fake, 0, sizeof(fake));
	s.ops = &fake_ops;
	INIT_LIST_HEAD(&s.ready);
	struct sock_loop *l = sock_loop_create();
	assert_non_null(l);
	assert_int_equal(sock_loop_add(l, &s, SOCK_EV_IN, &s), 0);
	/* First poll: readiness read as none, the wake lands meanwhile. */
	assert_int_equal(sock_loop_poll(l, ev, 4), 0);
	/* The wake is remembered: the next poll reports the data. */
	assert_int_equal(sock_loop_poll(l, ev, 4), 1);
	assert_int_equal(ev[0].events, SOCK_EV_IN);
	assert_ptr_equal(ev[0].sock, &s);
	/* Level-triggered: still ready, still reported. */
	assert_int_equal(sock_loop_poll(l, ev, 4), 1);
	/* Not ready and no wake: it leaves the list. */
	fake.ready = false;
	assert_int_equal(sock_loop_poll(l, ev, 4), 0);
	assert_int_equal(sock_loop_poll(l, ev, 4), 0);
	assert_int_equal(fake.polls, 4);
	assert_int_equal(sock_loop_del(l, &s), 0);
	free(l); /* a loop has no destructor: apps keep theirs */
}

static void test_plain_wake(void **state)
{
	(void)state;
	struct socket s;
	struct sock_event ev[4];

	memset(&s, 0, sizeof(s));
	memset(&fake, 0, sizeof(fake));
	fake.polls = 1; /* skip the racing first call */
	s.ops = &fake_ops;
	INIT_LIST_HEAD(&s.ready);
	struct sock_loop *l = sock_loop_create();
	assert_int_equal(sock_loop_add(l, &s, SOCK_EV_IN, &s), 0);
	assert_int_equal(sock_loop_poll(l, ev, 4), 0); /* nothing yet */
	assert_int_equal(sock_loop_poll(l, ev, 4), 0); /* off the list */
	fake.ready = true;
	sock_wake(&s);
	assert_int_equal(sock_loop_poll(l, ev, 4), 1);
	assert_int_equal(sock_loop_del(l, &s), 0);
	free(l); /* a loop has no destructor: apps keep theirs */
}

static void count_socket_cache(void *ctx, const struct kmem_cache *c)
{
	if (strcmp(c->name, "socket") == 0)
		*(u64 *)ctx = c->active_objs;
}

static u64 sockets_in_cache(void)
{
	u64 n = 0;
	kcache_for_each(count_socket_cache, &n);
	return n;
}

/* Sockets come from the "socket" slab cache and go back to it on close
 * (one is kept per idle connection; malloc cost 24 bytes more each). */
static void test_sockets_from_their_cache(void **state)
{
	(void)state;
	struct socket *s[100];
	u64 before = sockets_in_cache();
	for (int i = 0; i < 100; i++)
		assert_int_equal(sock_create(SOCK_DGRAM, &s[i]), 0);
	assert_int_equal(sockets_in_cache(), before + 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(sock_close(s[i]), 0);
	assert_int_equal(sockets_in_cache(), before);
}

static struct {
	struct socket *s;
	int turns, events;
	bool wake_in_turn; /* a wake during the turn, as from an interrupt */
} app;

static void app_turn(struct sock_loop *l, struct sock_event *ev, int n,
		     void *arg)
{
	(void)l, (void)ev, (void)arg;
	app.turns++;
	app.events += n;
	if (app.wake_in_turn)
		sock_wake(app.s);
}

/* The idle loop may halt only when no app loop was woken since its
 * CPU's apps_poll began: a wake that arrives during the turn (an
 * interrupt's softirq delivering data) keeps apps_pending() true, so the
 * next turn sees it without waiting for another interrupt. */
static void test_wake_after_turn_keeps_cpu_awake(void **state)
{
	(void)state;
	struct socket s;
	memset(&s, 0, sizeof(s));
	memset(&fake, 0, sizeof(fake));
	memset(&app, 0, sizeof(app));
	fake.polls = 1;
	fake.ready = true;
	s.ops = &fake_ops;
	INIT_LIST_HEAD(&s.ready);
	app.s = &s;
	struct sock_loop *l = sock_loop_create();
	assert_int_equal(app_register("t", l, app_turn, NULL, 0, 0), 0);
	apps_poll();
	assert_false(apps_pending()); /* nothing woken: may halt */
	assert_int_equal(sock_loop_add(l, &s, SOCK_EV_IN, &s), 0);
	assert_true(apps_pending()); /* ready on add: a wake */
	app.wake_in_turn = true;
	apps_poll();
	assert_int_equal(app.turns, 1);
	assert_true(apps_pending()); /* woken during the turn: no halt */
	app.wake_in_turn = false;
	fake.ready = false;
	apps_poll(); /* looked at again: no data now, so no turn; it leaves */
	assert_int_equal(app.turns, 1);
	assert_false(apps_pending());
	assert_int_equal(sock_loop_del(l, &s), 0);
}

int main(void)
{
	host_init();
	net_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wake_during_poll_not_lost),
	    cmocka_unit_test(test_plain_wake),
	    cmocka_unit_test(test_sockets_from_their_cache),
	    cmocka_unit_test(test_wake_after_turn_keeps_cpu_awake),
	};
	return cmocka_run_group_tests_name("sock_loop", tests, NULL, NULL);
}
