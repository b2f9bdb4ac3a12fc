/*
 * net/sock_internal.h - how protocols plug into the socket layer
 * (net/socket.c). Apps never include this: they use net/socket.h.
 *
 *   sock_register   one struct sock_family per socket type (SOCK_DGRAM from
 *                   net/udp.c, SOCK_STREAM from TCP): its proto_ops and the
 *                   row it contributes to `ss`.
 *   sock_alloc      a struct socket for a protocol that makes one itself
 *                   (TCP accept); sock_create does create for apps.
 *
 * What socket.c does before calling a protocol: NULL sockets are -EBADF;
 * accept and recvfrom always get non-NULL addr/port pointers; send()
 * calls sendto with has_addr false; SOL_SOCKET/SO_ERROR is answered here
 * (read and clear s->so_error under s->lock), so a protocol reports an
 * asynchronous error by setting s->so_error and calling sock_wake;
 * sock_close takes the socket off its loop, calls ops->close, frees it.
 *
 * Locking rules (the order is s->lock -> loop lock, never the reverse):
 * - a protocol may call sock_wake() with its own locks held: it takes only
 *   the loop's lock and never calls back into the protocol;
 * - socket.c calls proto_ops (poll, names, the ss row) with no socket-layer
 *   lock held, except sock_for_each, which holds the socket list lock: so a
 *   protocol must not call sock_alloc or sock_close with its locks held;
 * - after ops->close returns, the protocol never touches the socket again
 *   (no sock_wake): socket.c frees it.
 */
#ifndef SKIFF_NET_SOCK_INTERNAL_H
#define SKIFF_NET_SOCK_INTERNAL_H

#include <skiff/net/socket.h>

/* ss -o: the earliest pending timer, as iproute2 names it ("on": the
 * retransmission, loss-probe or reordering timer; "keepalive";
 * "timewait", also an orphan's FIN-WAIT-2 timeout). name NULL: none. */
struct sock_diag_timer {
	const char *name;
	u32 ms;	   /* until it fires */
	u32 count; /* retransmissions or keepalive probes so far */
};

/* What one socket shows in `ss`. */
struct sock_diag {
	const char *state;  /* "UNCONN", "ESTAB", "LISTEN", ... */
	u32 recv_q, send_q; /* bytes queued (LISTEN: accept queue, backlog) */
	bool listening;	    /* shown by -l / -a only (LISTEN, UNCONN) */
	struct sock_diag_timer timer;
};

/* A connection that no socket holds: one the application closed (FIN-WAIT,
 * CLOSING, LAST-ACK, TIME-WAIT) or has not accepted yet (SYN-RECV, ESTAB
 * in the accept queue). A copy: read after the protocol's lock is gone. */
struct sock_diag_row {
	const char *state; /* static */
	u32 recv_q, send_q;
	u32 laddr, raddr;
	u16 lport, rport;
	struct sock_diag_timer timer;
};

struct sock_family {
	const struct proto_ops *ops;
	const char *netid; /* "udp", "tcp": ss's Netid column */
	char ss_flag;	   /* 'u', 't': the ss option that selects it */
	void (*diag)(struct socket *s, struct sock_diag *d);
	/* ss -i: optional extra line(s) under the row, printed with
	 * shell_printf, indented by a tab. NULL = none. */
	void (*diag_info)(struct socket *s);
	/* ss: the connections no socket holds, each passed to fn with no
	 * lock held. 0, or -ENOMEM (nothing was passed). NULL = none. */
	int (*diag_unowned)(void (*fn)(const struct sock_diag_row *r,
				       void *ctx),
			    void *ctx);
	/* ss -s: print this family's line ("TCP:   5 (estab 1, ...)") and
	 * return its count of sockets and connections. NULL: no line, and
	 * the count is that of its sockets. */
	u32 (*diag_summary)(void);
};

/* 0, -EEXIST (a family for that type is there), -EINVAL. */
int sock_register(const struct sock_family *f);
/* A new socket of ops on the global list (proto NULL), or NULL. */
struct socket *sock_alloc(const struct proto_ops *ops);

/* net/udp.c */
void udp_init(void);

#endif
