/*
 * echo_lat - round-trip latency of small messages over one TCP connection
 * to an echo service (RFC 862): the benchmark's latency workload.
 *
 *   echo_lat ADDR PORT SECONDS [SIZE] [WARMUP]
 *
 * Connects (TCP_NODELAY), then for SECONDS: writes SIZE bytes (default 64)
 * and reads until the same SIZE bytes are back, timing each round trip
 * with CLOCK_MONOTONIC. The first WARMUP round trips (default 20) are not
 * counted. A reply that differs from what was sent is an error. Prints
 *   samples=N p50_us=X p99_us=Y min_us=A max_us=B
 * and exits 0. When a round trip fails (an error, the connection closed, a
 * reply that differs, or none within 5 s) it says so on stderr, prints the
 * figures of the round trips before it with " failed=1" and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 1024
#define MAX_SAMPLES (4 * 1024 * 1024)

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int dial(const char *addr, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 5};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One round trip; returns its time in us, or -1 after saying what failed. */
static double round_trip(int fd, const char *msg, char *back, int size)
{
	double t0 = now_us();
	int got = 0;

	if (write(fd, msg, size) != size) {
		perror("echo_lat: write");
		return -1;
	}
	while (got < size) {
		ssize_t n = read(fd, back + got, size - got);
		if (n < 0) {
			perror("echo_lat: read (SO_RCVTIMEO 5 s)");
			return -1;
		}
		if (n == 0) {
			fprintf(stderr,
				"echo_lat: the server closed after %d of %d "
				"bytes\n",
				got, size);
			return -1;
		}
		got += (int)n;
	}
	if (memcmp(msg, back, size) != 0) {
		fprintf(stderr,
			"echo_lat: the reply differs from what was sent\n");
		return -1;
	}
	return now_us() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, long n, double p)
{
	long i = (long)(p / 100.0 * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: echo_lat ADDR PORT SECONDS [SIZE] [WARMUP]\n");
		return 2;
	}
	double seconds = atof(argv[3]);
	int size = argc > 4 ? atoi(argv[4]) : 64;
	long warmup = argc > 5 ? atol(argv[5]) : 20;
	char msg[MAX_SIZE], back[MAX_SIZE];
	double *samples = malloc(sizeof(double) * MAX_SAMPLES);
	long n = 0;

	if (size < 1 || size > MAX_SIZE || seconds <= 0 || !samples) {
		fprintf(stderr, "echo_lat: bad SIZE (1..%d) or SECONDS\n",
			MAX_SIZE);
		return 2;
	}
	int fd = dial(argv[1], atoi(argv[2]));
	if (fd < 0) {
		perror("echo_lat: connect");
		return 1;
	}
	double end = now_us() + seconds * 1e6;
	int failed = 0;
	for (long i = 0; now_us() < end && n < MAX_SAMPLES; i++) {
		for (int j = 0; j < size; j++)
			msg[j] = (char)('a' + (i + j) % 26);
		double us = round_trip(fd, msg, back, size);
		if (us < 0) {
			fprintf(stderr, "echo_lat: round trip %ld failed\n", i);
			failed = 1;
			break;
		}
		if (i >= warmup)
			samples[n++] = us;
	}
	close(fd);
	if (n == 0) {
		fprintf(stderr, "echo_lat: no samples after the warm-up\n");
		return 1;
	}
	/* After a failure, the figures of the round trips before it. */
	qsort(samples, n, sizeof(double), cmp_double);
	printf(
	    "samples=%ld p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f%s\n",
	    n, pct(samples, n, 50), pct(samples, n, 99), samples[0],
	    samples[n - 1], failed ? " failed=1" : "");
	return failed;
}
