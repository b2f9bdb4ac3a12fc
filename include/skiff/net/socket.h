/*
 * net/socket.h - BSD-shaped, non-blocking sockets with epoll-like
 * readiness events: the only interface apps/ use.
 *
 * An app is an ordinary event loop that never blocks:
 *
 *	struct sock_loop *loop = sock_loop_create();
 *	struct socket *ls;
 *	sock_create(SOCK_STREAM, &ls);
 *	sock_bind(ls, INADDR_ANY, 7);
 *	sock_listen(ls, 128);
 *	sock_loop_add(loop, ls, SOCK_EV_IN, ls);
 *	app_register("echo", loop, on_events);   // run from a CPU's idle loop
 *
 *	static void on_events(struct sock_loop *loop, struct sock_event *ev, int
 *n) {	for each ev: sock_accept / sock_recv / sock_send until -EAGAIN }
 *
 * Conventions: every function returns >= 0 on success or a negative errno
 * (-EAGAIN when it would block, -EINPROGRESS for a connect under way,
 * -ECONNRESET, -EPIPE, -ENOTCONN, -EADDRINUSE, -ENOMEM, -EINVAL...).
 * Addresses and ports are HOST byte order. Readiness is level-triggered:
 * a socket stays reported while the condition holds.
 *
 * Protocols plug in below through struct proto_ops (socket.c dispatches):
 * UDP (net/udp.c) and TCP (net/tcp_*.c).
 */
#ifndef SKIFF_NET_SOCKET_H
#define SKIFF_NET_SOCKET_H

#include <skiff/list.h>
#include <skiff/spinlock.h>
#include <skiff/types.h>

#define SOCK_STREAM 1
#define SOCK_DGRAM 2

/* Readiness bits, the values of Linux's EPOLL* so tools print them alike. */
#define SOCK_EV_IN 0x001     /* data, a connection to accept, or EOF */
#define SOCK_EV_OUT 0x004    /* send buffer space; a connect completed */
#define SOCK_EV_ERR 0x008    /* pending error (sock_getsockopt SO_ERROR) */
#define SOCK_EV_HUP 0x010    /* both directions closed */
#define SOCK_EV_RDHUP 0x2000 /* the peer closed its side (FIN seen) */

/* send/recv flags */
#define MSG_PEEK 0x2
#define MSG_DONTWAIT 0x40 /* always implied; accepted for familiarity */
#define MSG_MORE 0x8000	  /* more data follows: hold a partial segment */

/* shutdown */
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

/* setsockopt levels and options (Linux's numbers) */
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define IPPROTO_TCP_LEVEL 6
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_INFO 11
#define TCP_CONGESTION 13

struct linger_opt {
	int l_onoff;
	int l_linger; /* seconds; 0 with l_onoff = abort with RST on close */
};

struct socket;
struct sock_loop;

struct sock_event {
	u32 events;   /* SOCK_EV_* that hold now */
	void *cookie; /* what sock_loop_add was given */
	struct socket *sock;
};

/* What a protocol provides; socket.c checks the arguments first. */
struct proto_ops {
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	int (*create)(struct socket *s);
	int (*bind)(struct socket *s, u32 addr, u16 port);
	int (*listen)(struct socket *s, int backlog);
	int (*accept)(struct socket *s, struct socket **child, u32 *addr,
		      u16 *port);
	int (*connect)(struct socket *s, u32 addr, u16 port);
	long (*sendto)(struct socket *s, const void *buf, size_t len, int flags,
		       u32 addr, u16 port, bool has_addr);
	/* Optional (NULL: -EOPNOTSUPP): sock_send_ref. */
	long (*send_ref)(struct socket *s, const void *buf, size_t len,
			 int flags);
	long (*recvfrom)(struct socket *s, void *buf, size_t len, int flags,
			 u32 *addr, u16 *port);
	int (*shutdown)(struct socket *s, int how);
	void (*close)(struct socket *s); /* the app is done with s */
	u32 (*poll)(struct socket *s);	 /* SOCK_EV_* now */
	int (*setsockopt)(struct socket *s, int level, int opt, const void *val,
			  size_t len);
	int (*getsockopt)(struct socket *s, int level, int opt, void *val,
			  size_t *len);
	/* Local and remote address, for ss and getsockname/getpeername. */
	void (*names)(struct socket *s, u32 *laddr, u16 *lport, u32 *raddr,
		      u16 *rport);
};

/* The generic part every socket has; protocols keep theirs in proto. */
struct socket {
	const struct proto_ops *ops;
	void *proto; /* struct udp_sock / struct tcp_sock */
	spinlock_t lock;
	struct sock_loop *loop; /* readiness goes here, or NULL */
	void *cookie;
	u32 interest; /* SOCK_EV_* the loop asked for */
	bool on_ready_list;
	bool woken;		/* sock_wake while a poll had it off the list */
	struct list_head ready; /* on loop->ready_list */
	struct list_head all;	/* on the global list (ss) */
	int so_error;
};

int sock_create(int type, struct socket **out);
int sock_bind(struct socket *s, u32 addr, u16 port);
int sock_listen(struct socket *s, int backlog);
int sock_accept(struct socket *s, struct socket **child, u32 *addr, u16 *port);
int sock_connect(struct socket *s, u32 addr, u16 port);
long sock_send(struct socket *s, const void *buf, size_t len, int flags);
/*
 * Like sock_send, for memory that is never freed or changed (static
 * content): the stream references it instead of copying it into the send
 * buffer, retransmissions included (TCP: whole 2 KiB chunks of it; the
 * bytes up to the first chunk boundary and the tail under one chunk are
 * copied). Each segment's payload is still copied into its packet. Returns
 * bytes taken, -EAGAIN, or -EOPNOTSUPP (UDP).
 */
long sock_send_ref(struct socket *s, const void *buf, size_t len, int flags);
long sock_sendto(struct socket *s, const void *buf, size_t len, int flags,
		 u32 addr, u16 port);
long sock_recv(struct socket *s, void *buf, size_t len, int flags);
long sock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
		   u32 *addr, u16 *port);
int sock_shutdown(struct socket *s, int how);
int sock_close(struct socket *s);
u32 sock_poll(struct socket *s);
int sock_setsockopt(struct socket *s, int level, int opt, const void *val,
		    size_t len);
int sock_getsockopt(struct socket *s, int level, int opt, void *val,
		    size_t *len);

/*
 * Protocols call this whenever a socket's readiness may have changed (data
 * queued, space freed, state changed). Any context. If the socket is in a
 * loop and now has an event of interest, it goes on the loop's ready list
 * and the loop's CPU is woken.
 */
void sock_wake(struct socket *s);

/* Event loops (like epoll). */
struct sock_loop *sock_loop_create(void);
int sock_loop_add(struct sock_loop *l, struct socket *s, u32 interest,
		  void *cookie);
int sock_loop_mod(struct sock_loop *l, struct socket *s, u32 interest);
int sock_loop_del(struct sock_loop *l, struct socket *s);
/* Up to max ready sockets, never waiting. */
int sock_loop_poll(struct sock_loop *l, struct sock_event *ev, int max);

/*
 * Apps: fn runs from the idle loop of `cpu` whenever the loop has ready
 * sockets (and at least every timeout_ms for the app's own timers, 0 =
 * never). fn must return promptly (it is one turn of an event loop).
 */
typedef void (*app_fn)(struct sock_loop *l, struct sock_event *ev, int n,
		       void *arg);
int app_register(const char *name, struct sock_loop *l, app_fn fn, void *arg,
		 u32 cpu, u32 timeout_ms);
/* Called by every CPU's idle loop: run that CPU's apps with events. */
void apps_poll(void);
/* Has one of this CPU's apps a socket on its ready list? The idle loop
 * asks with interrupts off before it halts: a wake that came in an
 * interrupt after the app's turn (its softirq bit already run) must not
 * wait for the next interrupt. */
bool apps_pending(void);

/* Visit every socket (for ss). */
void sock_for_each(void (*fn)(struct socket *s, void *ctx), void *ctx);

void socket_init(void);

/*
 * In-kernel UDP users that must work before the device has an address
 * (DHCP): fn gets every datagram to `port` on any address, with skb->data
 * at the UDP payload. fn consumes the skb. 0, or -EADDRINUSE.
 */
struct sk_buff;
typedef void (*udp_kernel_rcv_fn)(struct sk_buff *skb, u32 saddr, u16 sport,
				  u32 daddr, void *arg);
int udp_kernel_listen(u16 port, udp_kernel_rcv_fn fn, void *arg);

#endif
