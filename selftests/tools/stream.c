// SPDX-License-Identifier: GPL-2.0
/*
 * Test traffic of known content, in C because a python start costs about
 * a second in the TCG guest and the suites start hundreds of them.
 *
 *   stream recv PORT               accept one TCP connection, print
 *                                  "BYTES ok|bad" at its end
 *   stream send HOST PORT BYTES [MBIT]
 *                                  send BYTES of the pattern (paced at MBIT
 *                                  Mbit/s), wait for the receiver to close,
 *                                  print BYTES
 *   stream hold PORT SECONDS [RCVBUF]
 *                                  accept one connection and never read it
 *                                  (a stalled application), for SECONDS
 *   stream udp HOST PORT COUNT [SIZE]
 *                                  send COUNT datagrams of SIZE (1200) zeros
 *
 * The pattern is (offset % 251): a prime period, so misplaced or repeated
 * chunks of any power-of-two size show up as mismatches.  examples/devmem_rx
 * checks the same pattern.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PERIOD	251
#define CHUNK	(1 << 16)

static unsigned char pattern[PERIOD + CHUNK];

static void die(const char *what)
{
	fprintf(stderr, "stream: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long num(const char *s, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < 0) {
		fprintf(stderr, "stream: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons(num(port, "port"));
	if (host && inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "stream: bad IPv4 address '%s'\n", host);
		exit(2);
	}
	return a;
}

static int listen_one(const char *port, int rcvbuf)
{
	struct sockaddr_in a = addr_of(NULL, port);
	int one = 1, s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* before listen(), so the window the sender sees is the small one */
	if (rcvbuf && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUF");
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		die("bind/listen");
	return s;
}

static int do_recv(const char *port)
{
	static unsigned char buf[CHUNK];
	long long total = 0;
	bool good = true;
	int s, c;

	s = listen_one(port, 0);
	c = accept(s, NULL, NULL);
	if (c < 0)
		die("accept");
	for (;;) {
		ssize_t n = recv(c, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* e.g. EFAULT on device memory without MSG_SOCK_DEVMEM */
			printf("%lld error %s\n", total, strerror(errno));
			return 1;
		}
		if (!n)
			break;
		if (good && memcmp(buf, pattern + total % PERIOD, n))
			good = false;
		total += n;
	}
	printf("%lld %s\n", total, good ? "ok" : "bad");
	return 0;
}

static int connect_retry(const char *host, const char *port)
{
	struct sockaddr_in a = addr_of(host, port);
	struct timespec wait = { 0, 100 * 1000 * 1000 };
	int i, s;

	/* the receiver may still be starting */
	for (i = 0; i < 100; i++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			die("socket");
		if (!connect(s, (struct sockaddr *)&a, sizeof(a)))
			return s;
		if (errno != ECONNREFUSED)
			die("connect");
		close(s);
		nanosleep(&wait, NULL);
	}
	fprintf(stderr, "stream: %s:%s refused\n", host, port);
	exit(1);
}

static int do_send(const char *host, const char *port, const char *bytes,
		   const char *mbit)
{
	long long nbytes = num(bytes, "byte count"), off = 0;
	char c;
	int s;

	s = connect_retry(host, port);
	/* TCP's own pacing: a stream that lasts long enough to act during it */
	if (mbit) {
		unsigned int rate = num(mbit, "rate") * 1000 * 1000 / 8;

		if (setsockopt(s, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof(rate)))
			die("SO_MAX_PACING_RATE");
	}
	while (off < nbytes) {
		size_t len = nbytes - off < CHUNK ? nbytes - off : CHUNK;
		ssize_t n = send(s, pattern + off % PERIOD, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("send");
		off += n;
	}
	shutdown(s, SHUT_WR);
	/* the receiver's close: everything was read (or refused) */
	while (recv(s, &c, 1, 0) < 0 && errno == EINTR)
		;
	close(s);
	printf("%lld\n", off);
	return 0;
}

static int do_hold(const char *port, const char *secs, const char *rcvbuf)
{
	long long sec = num(secs, "seconds");
	struct timeval tv = { .tv_sec = sec };
	struct timespec until;
	int s;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += sec;
	s = listen_one(port, rcvbuf ? num(rcvbuf, "receive buffer") : 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (accept(s, NULL, NULL) < 0)
		return 0;	/* nobody came within SECONDS */
	/* SECONDS from the start, as an application that gives up */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
	return 0;
}

static int do_udp(const char *host, const char *port, const char *count,
		  const char *size)
{
	static unsigned char buf[65507];
	long long i, n = num(count, "count"), len = size ? num(size, "size") : 1200;
	struct sockaddr_in a = addr_of(host, port);
	int s;

	if (len > (long long)sizeof(buf)) {
		fprintf(stderr, "stream: datagram size %lld too large\n", len);
		return 2;
	}
	/* unconnected: an ICMP unreachable must not fail later sends */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	for (i = 0; i < n; i++)
		if (sendto(s, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("sendto");
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 0; i < (int)sizeof(pattern); i++)
		pattern[i] = i % PERIOD;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc == 3 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "hold"))
		return do_hold(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "udp"))
		return do_udp(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	fprintf(stderr,
		"usage: stream recv PORT\n"
		"       stream send HOST PORT BYTES [MBIT]\n"
		"       stream hold PORT SECONDS [RCVBUF]\n"
		"       stream udp HOST PORT COUNT [SIZE]\n");
	return 2;
}
