/*
 * test_echo.c - the TCP half of the echo app (apps/echo/echo.c) against a
 * mock SOCK_STREAM protocol registered with the socket layer, so the app's
 * accept loop, echo, back-pressure and close are tested before (and apart
 * from) the real TCP. The mock keeps each connection's bytes in memory:
 * rx (what the peer sent, for the app to recv), tx (what the app sent,
 * up to tx_cap: a full send buffer), fin (the peer closed), err.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/apps.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/net/sock_internal.h>
#include <skiff/net/socket.h>

#include "../host/host.h"

#define MOCK_PENDING 8

struct mock {
	struct socket *s;
	bool listening, closed, fin;
	int err;
	struct mock *pending[MOCK_PENDING];
	int npending;
	u8 rx[4096];
	u32 rx_len;
	u8 tx[65536];
	u32 tx_len, tx_cap;
};

static struct mock *listener;

static struct mock *sk_mock(struct socket *s)
{
	return s->proto;
}

static int mock_create(struct socket *s)
{
	struct mock *m = calloc(1, sizeof(*m));
	m->s = s;
	m->tx_cap = sizeof(m->tx);
	s->proto = m;
	return 0;
}

static int mock_bind(struct socket *s, u32 addr, u16 port)
{
	(void)s, (void)addr;
	return port == 7007 ? 0 : -EADDRINUSE;
}

static int mock_listen(struct socket *s, int backlog)
{
	assert_true(backlog > 0);
	sk_mock(s)->listening = true;
	listener = sk_mock(s);
	return 0;
}

static int mock_accept(struct socket *s, struct socket **child, u32 *addr,
		       u16 *port)
{
	struct mock *m = sk_mock(s);
	assert_non_null(addr); /* socket.c always passes somewhere */
	assert_non_null(port);
	if (!m->npending)
		return -EAGAIN;
	struct mock *c = m->pending[--m->npending];
	*child = sock_alloc(s->ops);
	assert_non_null(*child);
	(*child)->proto = c;
	c->s = *child;
	return 0;
}

static long mock_sendto(struct socket *s, const void *buf, size_t len,
			int flags, u32 addr, u16 port, bool has_addr)
{
	struct mock *m = sk_mock(s);
	(void)flags, (void)addr, (void)port;
	assert_false(has_addr);
	u32 room = m->tx_cap - m->tx_len;
	if (!room)
		return -EAGAIN;
	u32 n = len < room ? (u32)len : room;
	memcpy(m->tx + m->tx_len, buf, n);
	m->tx_len += n;
	return n;
}

static long mock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
			  u32 *addr, u16 *port)
{
	struct mock *m = sk_mock(s);
	(void)addr, (void)port;
	if (m->err)
		return -m->err;
	if (!m->rx_len)
		return m->fin ? 0 : -EAGAIN;
	u32 n = len < m->rx_len ? (u32)len : m->rx_len;
	memcpy(buf, m->rx, n);
	if (flags & MSG_PEEK) /* the echo peeks, then consumes what it sent */
		return n;
	memmove(m->rx, m->rx + n, m->rx_len - n);
	m->rx_len -= n;
	return n;
}

static void mock_close(struct socket *s)
{
	sk_mock(s)->closed = true; /* the test owns and frees the mock */
}

static u32 mock_poll(struct socket *s)
{
	struct mock *m = sk_mock(s);
	if (m->listening)
		return m->npending ? SOCK_EV_IN : 0;
	u32 ev = 0;
	if (m->rx_len || m->fin)
		ev |= SOCK_EV_IN;
	if (m->fin)
		ev |= SOCK_EV_RDHUP;
	if (m->tx_len < m->tx_cap)
		ev |= SOCK_EV_OUT;
	if (m->err)
		ev |= SOCK_EV_ERR;
	return ev;
}

static int mock_setsockopt(struct socket *s, int level, int opt,
			   const void *val, size_t len)
{
	(void)s, (void)val, (void)len;
	return level == SOL_SOCKET && opt == SO_REUSEADDR ? 0 : -ENOPROTOOPT;
}

static void mock_names(struct socket *s, u32 *la, u16 *lp, u32 *ra, u16 *rp)
{
	(void)s;
	*la = *ra = 0;
	*lp = 7007;
	*rp = 0;
}

static void mock_diag(struct socket *s, struct sock_diag *d)
{
	d->state = sk_mock(s)->listening ? "LISTEN" : "ESTAB";
	d->listening = sk_mock(s)->listening;
}

static const struct proto_ops mock_ops = {
    .type = SOCK_STREAM,
    .create = mock_create,
    .bind = mock_bind,
    .listen = mock_listen,
    .accept = mock_accept,
    .sendto = mock_sendto,
    .recvfrom = mock_recvfrom,
    .close = mock_close,
    .poll = mock_poll,
    .setsockopt = mock_setsockopt,
    .names = mock_names,
};

static const struct sock_family mock_family = {
    .ops = &mock_ops,
    .netid = "tcp",
    .ss_flag = 't',
    .diag = mock_diag,
};

/* A connection from a peer that has sent `data`. */
static struct mock *peer_connects(const char *data, u32 tx_cap)
{
	struct mock *c = calloc(1, sizeof(*c));
	c->tx_cap = tx_cap;
	c->rx_len = (u32)strlen(data);
	memcpy(c->rx, data, c->rx_len);
	listener->pending[listener->npending++] = c;
	sock_wake(listener->s);
	return c;
}

static void run_app(void)
{
	for (int i = 0; i < 4; i++)
		apps_poll();
}

static int group_setup(void **state)
{
	(void)state;
	host_init();
	config_defaults(&kcfg); /* echo.idle_timeout=300 */
	/* Not net_init: the real TCP, once there, would own SOCK_STREAM. */
	udp_init();
	socket_init();
	assert_int_equal(sock_register(&mock_family), 0);
	assert_int_equal(sock_register(&mock_family), -EEXIST);
	assert_int_equal(echo_start(7007), 0);
	assert_non_null(listener);
	assert_true(host_log_contains("echo: listening on UDP and TCP port "
				      "7007, idle timeout 300s"));
	return 0;
}

static void test_echo_and_close(void **state)
{
	(void)state;
	struct mock *c = peer_connects("hello, echo", sizeof(c->tx));
	run_app();
	assert_non_null(c->s);
	assert_int_equal(c->tx_len, 11);
	assert_memory_equal(c->tx, "hello, echo", 11);
	assert_false(c->closed);
	/* More data, then the peer's FIN: echoed, then closed. */
	memcpy(c->rx, "more", 4);
	c->rx_len = 4;
	c->fin = true;
	sock_wake(c->s);
	run_app();
	assert_int_equal(c->tx_len, 15);
	assert_memory_equal(c->tx + 11, "more", 4);
	assert_true(c->closed);
	assert_int_equal(host_locks_held(), 0);
	free(c);
}

static void test_back_pressure(void **state)
{
	(void)state;
	struct mock *c = peer_connects("0123456789", 3);
	run_app();
	assert_int_equal(c->tx_len, 3);
	/* Send buffer full: the app waits for OUT and consumes nothing more
	 * (what it could not send stays in the receive buffer). */
	assert_int_equal(c->rx_len, 7);
	memcpy(c->rx + c->rx_len, "abc", 3);
	c->rx_len += 3;
	sock_wake(c->s);
	run_app();
	assert_int_equal(c->rx_len, 10);
	assert_int_equal(c->tx_len, 3);
	/* The peer takes what was sent; room again: the rest goes out. */
	u8 seen[32];
	u32 got = 0;
	for (int i = 0; i < 10 && got < 13; i++) {
		memcpy(seen + got, c->tx, c->tx_len);
		got += c->tx_len;
		c->tx_len = 0;
		sock_wake(c->s);
		run_app();
	}
	assert_int_equal(got, 13);
	assert_memory_equal(seen, "0123456789abc", 13);
	assert_false(c->closed);
	/* An error on the connection: closed. */
	c->err = ECONNRESET;
	sock_wake(c->s);
	run_app();
	assert_true(c->closed);
	free(c);
}

static void test_many_connections(void **state)
{
	(void)state;
	struct mock *c[MOCK_PENDING];
	for (int i = 0; i < MOCK_PENDING; i++)
		c[i] = peer_connects("x", 100);
	run_app();
	for (int i = 0; i < MOCK_PENDING; i++) {
		assert_int_equal(c[i]->tx_len, 1);
		c[i]->fin = true;
		sock_wake(c[i]->s);
	}
	run_app();
	assert_int_equal(host_shell_run("ss -tan"), 0);
	assert_non_null(strstr(host_shell_output(), "LISTEN"));
	assert_null(strstr(host_shell_output(), "ESTAB"));
	for (int i = 0; i < MOCK_PENDING; i++) {
		assert_true(c[i]->closed);
		free(c[i]);
	}
}

/* The peer sends one byte more: echoed, so the connection moved. */
static void poke(struct mock *c)
{
	c->rx[c->rx_len++] = 'y';
	sock_wake(c->s);
	run_app();
}

/* echo.idle_timeout=5: a connection that moves no byte for 5 s is closed
 * (on the app's 1 s tick), each byte echoed restarts its 5 s, and the
 * closes are counted by `echod`. Least recent first: the older of two
 * goes first. */
static void test_idle_timeout(void **state)
{
	(void)state;
	kcfg.echo_idle_timeout = 5;
	struct mock *a = peer_connects("x", 100);
	run_app();
	host_clock_advance_ms(2000);
	struct mock *b = peer_connects("x", 100);
	run_app();
	host_clock_advance_ms(2500);
	run_app();
	poke(a); /* a: active at 4.5 s, b at 2 s */
	assert_int_equal(a->tx_len, 2);
	host_clock_advance_ms(3000); /* 7.5 s: b idle 5.5 s, a 3 s */
	run_app();
	assert_true(b->closed);
	assert_false(a->closed);
	host_clock_advance_ms(1500); /* 9 s: a idle 4.5 s */
	run_app();
	assert_false(a->closed);
	host_clock_advance_ms(1000); /* 10 s: a idle 5.5 s */
	run_app();
	assert_true(a->closed);
	assert_int_equal(host_shell_run("echod"), 0);
	assert_non_null(strstr(host_shell_output(), "tcp: 0 open, "));
	assert_non_null(
	    strstr(host_shell_output(),
		   " accepted, 2 closed idle (echo.idle_timeout 5s)"));
	kcfg.echo_idle_timeout = 300;
	free(a);
	free(b);
}

/* echo.idle_timeout=0: an idle connection stays, a day later too. */
static void test_no_idle_timeout(void **state)
{
	(void)state;
	kcfg.echo_idle_timeout = 0;
	struct mock *c = peer_connects("x", 100);
	run_app();
	for (int h = 0; h < 24; h++) {
		host_clock_advance_ms(3600 * 1000);
		run_app();
	}
	assert_false(c->closed);
	kcfg.echo_idle_timeout = 300;
	c->fin = true;
	sock_wake(c->s);
	run_app();
	assert_true(c->closed);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo_and_close),
	    cmocka_unit_test(test_back_pressure),
	    cmocka_unit_test(test_many_connections),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_no_idle_timeout),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
