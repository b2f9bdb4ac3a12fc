/*
 * echo.c - the echo service (RFC 862) on UDP and TCP, one event loop
 * written against the socket API only (net/socket.h).
 *
 *   UDP: every datagram is sent back to where it came from, up to
 *     ECHO_UDP_BURST per turn (level-triggered readiness brings us back
 *     for the rest). Datagrams from the ports of other "reflecting"
 *     services (echo, daytime, chargen, time) are dropped so two such
 *     services cannot bounce a datagram between them forever (as BSD
 *     inetd's check_loop).
 *   TCP: accept every connection. A connection has no buffer of its own:
 *     each round peeks (MSG_PEEK) what arrived into one shared buffer,
 *     sends what the send buffer takes, and only then consumes exactly
 *     that much. What could not be sent stays in the receive buffer, so
 *     when the send buffer is full the connection waits for SOCK_EV_OUT
 *     only (back-pressure: the peer's data stays in our receive window).
 *     After the peer's FIN and the last byte sent, close (our FIN). An
 *     idle connection costs only its socket and a struct echo_conn.
 *   Idle timeout: a connection that moves no byte either way for
 *     echo.idle_timeout seconds (0: never) is closed, as a peer that went
 *     away without a word (its RST lost, its host gone) would otherwise
 *     hold it forever. Connections sit on one list in the order they last
 *     moved a byte, so the once-a-second check looks only at the head.
 *
 * Read first: RFC 862.
 */
#include <skiff/apps.h>
#include <skiff/config.h>
#include <skiff/kernel.h>
#include <skiff/list.h>
#include <skiff/net/inet.h>
#include <skiff/net/socket.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/time.h>
#include <errno.h>
#include <stdlib.h>

#define ECHO_UDP_BURST 64  /* datagrams per turn */
#define ECHO_TCP_BUF 16384 /* bytes moved per round (one shared buffer) */
#define ECHO_TCP_ROUNDS 8  /* read/send rounds per connection per turn */
#define ECHO_BACKLOG 128
#define ECHO_TICK_MS 1000 /* the idle timeout's resolution */

struct echo_conn {
	struct socket *s;
	struct list_head idle; /* on echo.by_activity */
	u64 active_ns;	       /* when it last moved a byte */
};

static struct echo {
	struct sock_loop *loop;
	struct socket *udp, *tcp;
	struct list_head by_activity; /* TCP connections, least recent first */
	u32 conns;		      /* TCP connections open */
	u64 accepted, timeouts;	      /* TCP */
	u64 udp_echoed, udp_loops;    /* UDP: sent back, dropped (loop port) */
	u8 dgram[65536];
	u8 stream[ECHO_TCP_BUF]; /* one round of one connection at a time */
} echo;

/* BSD inetd's list of services that answer anything they receive. */
static bool echo_loop_port(u16 port)
{
	return port == 7 || port == 13 || port == 19 || port == 37;
}

static void echo_udp(void)
{
	for (int i = 0; i < ECHO_UDP_BURST; i++) {
		u32 addr;
		u16 port;
		long n = sock_recvfrom(echo.udp, echo.dgram, sizeof(echo.dgram),
				       0, &addr, &port);
		if (n == -EAGAIN)
			return;
		if (n < 0)
			continue;
		if (echo_loop_port(port)) {
			echo.udp_loops++;
			continue;
		}
		if (sock_sendto(echo.udp, echo.dgram, (size_t)n, 0, addr,
				port) >= 0)
			echo.udp_echoed++;
	}
}

static void echo_conn_close(struct echo_conn *c)
{
	list_del(&c->idle);
	sock_close(c->s);
	free(c);
	echo.conns--;
}

/* It moved a byte: to the tail of the activity list. */
static void echo_conn_active(struct echo_conn *c)
{
	c->active_ns = ktime_get_ns();
	list_move_tail(&c->idle, &echo.by_activity);
}

/* Close the connections idle for echo.idle_timeout seconds (0: never). */
static void echo_expire(void)
{
	u64 timeout_ns = kcfg.echo_idle_timeout * 1000000000ull;
	u64 now = ktime_get_ns();
	while (timeout_ns && !list_empty(&echo.by_activity)) {
		struct echo_conn *c =
		    list_first_entry(&echo.by_activity, struct echo_conn, idle);
		if (now - c->active_ns < timeout_ns)
			return;
		echo.timeouts++;
		echo_conn_close(c);
	}
}

/* One round: echo what the send buffer takes of what arrived. 1 = all
 * of it went, 0 = wait (for input or send space, interest set), -1 =
 * close (EOF with everything echoed, or an error). */
static int echo_conn_round(struct echo_conn *c)
{
	long n = sock_recv(c->s, echo.stream, sizeof(echo.stream), MSG_PEEK);
	if (n == -EAGAIN) {
		sock_loop_mod(echo.loop, c->s, SOCK_EV_IN | SOCK_EV_RDHUP);
		return 0;
	}
	if (n <= 0)
		return -1; /* 0: the peer's FIN, all echoed */
	long sent = sock_send(c->s, echo.stream, (size_t)n, 0);
	if (sent == -EAGAIN) {
		sock_loop_mod(echo.loop, c->s, SOCK_EV_OUT);
		return 0;
	}
	if (sent < 0)
		return -1;
	if (sent > 0)
		echo_conn_active(c);
	sock_recv(c->s, echo.stream, (size_t)sent, 0); /* consume it */
	if (sent < n) {
		sock_loop_mod(echo.loop, c->s, SOCK_EV_OUT);
		return 0;
	}
	return 1;
}

/* One turn of one connection; false when it was closed. */
static bool echo_conn_pump(struct echo_conn *c)
{
	for (int round = 0; round < ECHO_TCP_ROUNDS; round++) {
		int r = echo_conn_round(c);
		if (r <= 0)
			return r == 0;
	}
	/* Out of rounds: level-triggered readiness brings us back. */
	sock_loop_mod(echo.loop, c->s, SOCK_EV_IN | SOCK_EV_RDHUP);
	return true;
}

static void echo_accept(void)
{
	for (;;) {
		struct socket *child;
		if (sock_accept(echo.tcp, &child, NULL, NULL) < 0)
			return;
		struct echo_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			sock_close(child); /* out of memory: refuse politely */
			continue;
		}
		c->s = child;
		list_add_tail(&c->idle, &echo.by_activity);
		c->active_ns = ktime_get_ns();
		echo.conns++;
		echo.accepted++;
		if (sock_loop_add(echo.loop, child, SOCK_EV_IN | SOCK_EV_RDHUP,
				  c) < 0)
			echo_conn_close(c);
	}
}

static void echo_events(struct sock_loop *l, struct sock_event *ev, int n,
			void *arg)
{
	(void)l;
	(void)arg;
	for (int i = 0; i < n; i++) {
		if (ev[i].sock == echo.udp) {
			echo_udp();
		} else if (ev[i].sock == echo.tcp) {
			echo_accept();
		} else {
			struct echo_conn *c = ev[i].cookie;
			if ((ev[i].events & SOCK_EV_ERR) || !echo_conn_pump(c))
				echo_conn_close(c);
		}
	}
	echo_expire();
}

static int echo_start_udp(u16 port)
{
	int err = sock_create(SOCK_DGRAM, &echo.udp);
	if (!err)
		err = sock_bind(echo.udp, INADDR_ANY, port);
	if (!err)
		err = sock_loop_add(echo.loop, echo.udp, SOCK_EV_IN, NULL);
	if (err && echo.udp) {
		sock_close(echo.udp);
		echo.udp = NULL;
	}
	return err;
}

static int echo_start_tcp(u16 port)
{
	int one = 1;
	int err = sock_create(SOCK_STREAM, &echo.tcp);
	if (err == -EPROTONOSUPPORT) {
		pr_info("echo: TCP not available yet, UDP only\n");
		return err;
	}
	if (!err)
		sock_setsockopt(echo.tcp, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one));
	if (!err)
		err = sock_bind(echo.tcp, INADDR_ANY, port);
	if (!err)
		err = sock_listen(echo.tcp, ECHO_BACKLOG);
	if (!err)
		err = sock_loop_add(echo.loop, echo.tcp, SOCK_EV_IN, NULL);
	if (err && echo.tcp) {
		pr_warn("echo: TCP port %u: error %d\n", port, err);
		sock_close(echo.tcp);
		echo.tcp = NULL;
	}
	return err;
}

int echo_start(u16 port)
{
	if (echo.loop)
		return -EALREADY;
	INIT_LIST_HEAD(&echo.by_activity);
	echo.loop = sock_loop_create();
	if (!echo.loop)
		return -ENOMEM;
	int err = echo_start_udp(port);
	if (err) {
		pr_warn("echo: UDP port %u: error %d\n", port, err);
		return err;
	}
	echo_start_tcp(port);
	err =
	    app_register("echo", echo.loop, echo_events, NULL, 0, ECHO_TICK_MS);
	if (!err)
		pr_info("echo: listening on UDP%s port %u, idle timeout %us\n",
			echo.tcp ? " and TCP" : "", port,
			kcfg.echo_idle_timeout);
	return err;
}

/* ---- console ----------------------------------------------------------- */

static int cmd_echod(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!echo.loop) {
		shell_printf("echod: not running\n");
		return SHELL_ERR_SHOWN;
	}
	shell_printf("tcp: %u open, %llu accepted, %llu closed idle "
		     "(echo.idle_timeout %us)\n",
		     echo.conns, (unsigned long long)echo.accepted,
		     (unsigned long long)echo.timeouts, kcfg.echo_idle_timeout);
	shell_printf("udp: %llu echoed, %llu dropped from a reflecting port\n",
		     (unsigned long long)echo.udp_echoed,
		     (unsigned long long)echo.udp_loops);
	return 0;
}
SHELL_CMD("echod", cmd_echod, "echod",
	  "echo service counters: TCP connections, idle timeouts, UDP");
