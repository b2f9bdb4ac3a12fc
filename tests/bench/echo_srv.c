/*
 * echo_srv - a small TCP echo server (RFC 862) for the Linux peer guest of
 * the benchmark: busybox has no echo service, and Skiff's echo runs on
 * port 7, so the Linux guest runs this one (built with gcc -static) there.
 *
 * One thread, epoll, non-blocking sockets; every byte read is written back
 * (what does not fit in the send buffer waits in a per-connection buffer,
 * and reading pauses until it drains).
 *
 *   echo_srv [PORT]      default 7
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 16384

struct conn {
	int fd;
	size_t len; /* bytes in buf not yet written back */
	size_t off;
	char buf[BUF_SIZE];
};

static int listen_on(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void accept_all(int ep, int lfd)
{
	int one = 1;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
	}
}

/* Write back what is pending; returns -1 on a dead connection. */
static int flush_conn(struct conn *c)
{
	while (c->len) {
		ssize_t n = write(c->fd, c->buf + c->off, c->len);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->off += (size_t)n;
		c->len -= (size_t)n;
	}
	c->off = 0;
	return 0;
}

static int serve(struct conn *c)
{
	if (flush_conn(c) < 0)
		return -1;
	while (c->len == 0) {
		ssize_t n = read(c->fd, c->buf, sizeof(c->buf));
		if (n == 0)
			return -1;
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->len = (size_t)n;
		if (flush_conn(c) < 0)
			return -1;
	}
	return 0;
}

static void update(int ep, struct conn *c)
{
	struct epoll_event ev = {.events = c->len ? EPOLLOUT : EPOLLIN,
				 .data.ptr = c};

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7;
	int lfd = listen_on(port);
	int ep = epoll_create1(0);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	struct epoll_event evs[64];

	if (lfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
		perror("echo_srv");
		return 1;
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				accept_all(ep, lfd);
			} else if (serve(c) < 0) {
				close(c->fd);
				free(c);
			} else {
				update(ep, c);
			}
		}
	}
}
