// SPDX-License-Identifier: GPL-2.0
/*
 * devmem_rx - a devmem TCP receiver on a bpfmp queue.
 *
 * It binds nothing itself: it makes a udmabuf (the stand-in for GPU
 * memory), hands it to an attach command (normally "mpctl attach ...
 * --flow tcp:PORT", which gets "--dmabuf-fd N" appended) so that bpfmp owns
 * the binding, then receives one TCP connection with MSG_SOCK_DEVMEM.
 * Payload in device memory arrives as SCM_DEVMEM_DMABUF cmsgs (offset into
 * the dma-buf, token); host bytes of the same packets (the policy put part
 * of a frame in host pages) as one SCM_DEVMEM_LINEAR per contiguous run,
 * copied to the receive buffer, in stream order.  Packets wholly in host
 * pages are regular data: a recvmsg() with no cmsgs (devmem.rst's rule;
 * one call never mixes the two).
 * Every byte is checked against the stream pattern (offset % 251, see
 * selftests/tools/stream.c): device bytes by reading the udmabuf's memfd
 * mapping at the cmsg offset.  With --no-check any sender will do (nc,
 * socat, an application): bytes are counted, not compared.  Tokens go back
 * with SO_DEVMEM_DONTNEED.
 *
 * Sizes are parsed by mpctl's own parser (loader/size.c), and the udmabuf
 * is checked against udmabuf.size_limit_mb and the memory available as
 * "mpctl attach --udmabuf" checks it (loader/udmabuf.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/udmabuf.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../loader/mpctl.h"	/* size_parse(), udmabuf_check_size() */

/*
 * From include/uapi/linux/uio.h, which cannot be included next to glibc's
 * <sys/uio.h> (both define struct iovec).
 */
struct dmabuf_cmsg {
	uint64_t frag_offset;	/* offset into the dma-buf */
	uint32_t frag_size;
	uint32_t frag_token;	/* for SO_DEVMEM_DONTNEED */
	uint32_t dmabuf_id;	/* the binding's id */
	uint32_t flags;
};

struct dmabuf_token {
	uint32_t token_start;
	uint32_t token_count;
};

#ifndef MSG_SOCK_DEVMEM
#define MSG_SOCK_DEVMEM		0x2000000	/* include/linux/socket.h */
#endif

#define PATTERN_PERIOD		251
#define RECV_LEN		(64 * 1024)
#define DONTNEED_MAX		128		/* token ranges per setsockopt */
#define DONTNEED_FRAGS		1024		/* tokens per setsockopt */
/* a cmsg per frag: at least one per 64 bytes is plenty */
#define DEFAULT_CTRL		(RECV_LEN / 64 * CMSG_SPACE(sizeof(struct dmabuf_cmsg)) / 8)

static const char usage[] =
"Usage: devmem_rx --port PORT --size SIZE [--hold SIZE] [--linger]\n"
"                 [--expect SIZE] [--no-check] -- ATTACH_CMD [ARGS...]\n"
"\n"
"Make a udmabuf of SIZE bytes, run ATTACH_CMD ARGS --dmabuf-fd N with it,\n"
"then receive one TCP connection on PORT into device memory and check\n"
"every byte of the stream pattern (offset %% 251, what\n"
"'build/selftests/stream send' sends).\n"
"\n"
"SIZE as mpctl takes it: bytes with K, M, G, T suffixes (powers of 1024),\n"
"e.g. 16M; --size must be a multiple of the page size.\n"
"\n"
"  --hold SIZE    keep the tokens of the first SIZE bytes of device payload\n"
"                 instead of returning them at once, until SIGUSR1 (or the\n"
"                 end of the stream)\n"
"  --linger       at the end of the stream, with tokens still held, wait\n"
"                 for SIGUSR1 before returning them\n"
"  --expect SIZE  fail unless the stream is exactly SIZE bytes long\n"
"  --ctrl BYTES   control buffer per recvmsg (default 16 KiB; 0: none)\n"
"  --no-check     do not compare the bytes with the pattern: any sender\n"
"                 will do (nc, socat, an application)\n"
"\n"
"Prints 'listening on PORT' once attached, then at the end 'host BYTES\n"
"device BYTES tokens N regular BYTES linear_cmsgs N max_linear BYTES ok'\n"
"(or 'bad: why'): host counts regular data and SCM_DEVMEM_LINEAR bytes.\n"
"Exit status: 0 ok, 1 failed, 2 bad command line.\n";

struct rx {
	uint8_t *dmabuf_map;	/* the udmabuf's memfd, read-only */
	uint64_t dmabuf_size;
	int64_t dmabuf_id;	/* the binding's id, -1 until seen */
	uint64_t off;		/* stream offset of the next byte */
	uint64_t host, device;	/* bytes by where they arrived */
	uint64_t regular;	/* host bytes that came with no cmsg */
	uint64_t linear_cmsgs, max_linear;	/* SCM_DEVMEM_LINEAR runs */
	uint64_t tokens;	/* device frags received */
	uint64_t hold;		/* device bytes whose tokens to keep */
	bool no_check;		/* count the bytes, do not compare them */
	uint32_t *held;		/* tokens kept */
	uint64_t *held_off;	/* and their frags' dma-buf offsets */
	size_t nheld, held_cap;
	char bad[200];
};

static volatile sig_atomic_t release_now;

static void on_usr1(int sig)
{
	(void)sig;
	release_now = 1;
}

/* A sealed memfd of @size bytes mapped at *@map, exported as a udmabuf. */
static int make_udmabuf(uint64_t size, uint8_t **map)
{
	struct udmabuf_create create = { .size = size };
	int memfd, devfd, buf;

	memfd = memfd_create("devmem_rx", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		perror("devmem_rx: memfd");
		return -1;
	}
	*map = mmap(NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
	if (*map == MAP_FAILED) {
		perror("devmem_rx: mmap memfd");
		return -1;
	}
	devfd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		perror("devmem_rx: /dev/udmabuf");
		return -1;
	}
	create.memfd = memfd;
	buf = ioctl(devfd, UDMABUF_CREATE, &create);	/* not CLOEXEC */
	if (buf < 0)
		fprintf(stderr, "devmem_rx: UDMABUF_CREATE of %llu bytes: %s%s\n",
			(unsigned long long)size, strerror(errno),
			errno == EINVAL ? " (larger than udmabuf.size_limit_mb?)" : "");
	close(devfd);
	close(memfd);
	return buf;
}

/* Run @argv with "--dmabuf-fd @fd" appended; its exit status. */
static int run_attach(char **argv, int argc, int fd)
{
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	char fdstr[16];
	int status;
	pid_t pid;

	if (!args)
		return -1;
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	args[argc] = "--dmabuf-fd";
	args[argc + 1] = fdstr;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execvp(args[0], args);
		fprintf(stderr, "devmem_rx: %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	free(args);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Is [@p, @p + @n) the pattern at the current stream offset? */
static bool check(struct rx *rx, const uint8_t *p, uint32_t n, const char *where)
{
	for (uint32_t i = 0; i < n && !rx->no_check; i++)
		if (p[i] != (rx->off + i) % PATTERN_PERIOD) {
			snprintf(rx->bad, sizeof(rx->bad),
				 "byte %llu (%s) is %u, expected %u",
				 (unsigned long long)(rx->off + i), where, p[i],
				 (unsigned int)((rx->off + i) % PATTERN_PERIOD));
			return false;
		}
	rx->off += n;
	return true;
}

static int dontneed(int fd, const uint32_t *tok, size_t n)
{
	struct dmabuf_token t[DONTNEED_MAX];
	size_t i = 0, k, frags;
	int ret;

	while (i < n) {
		/* consecutive tokens go in one range; the kernel takes at
		 * most DONTNEED_FRAGS frags per call
		 */
		for (k = 0, frags = 0; k < DONTNEED_MAX && i < n &&
		     frags < DONTNEED_FRAGS; k++) {
			t[k].token_start = tok[i];
			t[k].token_count = 1;
			frags++;
			while (++i < n && tok[i] == tok[i - 1] + 1 &&
			       frags < DONTNEED_FRAGS) {
				t[k].token_count++;
				frags++;
			}
		}
		ret = setsockopt(fd, SOL_SOCKET, SO_DEVMEM_DONTNEED, t,
				 (socklen_t)(k * sizeof(t[0])));
		if (ret < 0) {
			perror("devmem_rx: SO_DEVMEM_DONTNEED");
			return -1;
		}
		/* it returns how many it took back */
		if ((size_t)ret != frags) {
			fprintf(stderr, "devmem_rx: SO_DEVMEM_DONTNEED took %d of %zu tokens\n",
				ret, frags);
			return -1;
		}
	}
	return 0;
}

static int keep(struct rx *rx, uint32_t token, uint64_t off)
{
	if (rx->nheld == rx->held_cap) {
		size_t cap = rx->held_cap ? rx->held_cap * 2 : 1024;
		uint32_t *h = realloc(rx->held, cap * sizeof(*h));
		uint64_t *o;

		if (!h)
			return -1;
		rx->held = h;
		o = realloc(rx->held_off, cap * sizeof(*o));
		if (!o)
			return -1;
		rx->held_off = o;
		rx->held_cap = cap;
	}
	rx->held[rx->nheld] = token;
	rx->held_off[rx->nheld++] = off;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Device buffers (net_iovs, one page each) behind the held tokens: a frag
 * read in two recvmsg calls has two tokens on one buffer.
 */
static size_t held_buffers(struct rx *rx)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	size_t n = 0;

	for (size_t i = 0; i < rx->nheld; i++)
		rx->held_off[i] /= page;
	qsort(rx->held_off, rx->nheld, sizeof(*rx->held_off), cmp_u64);
	for (size_t i = 0; i < rx->nheld; i++)
		n += !i || rx->held_off[i] != rx->held_off[i - 1];
	return n;
}

static int release_held(struct rx *rx, int fd)
{
	int err = dontneed(fd, rx->held, rx->nheld);

	if (rx->nheld)
		printf("returned %zu held tokens\n", rx->nheld);
	fflush(stdout);
	rx->nheld = 0;
	rx->hold = 0;
	return err;
}

/*
 * Walk one recvmsg's cmsgs in stream order; @ret bytes in all, the linear
 * ones in @buf.  Returns the tokens to give back now in @ret_tok.
 */
static int consume(struct rx *rx, struct msghdr *msg, const uint8_t *buf,
		   ssize_t ret, uint32_t *ret_tok, size_t *nret)
{
	uint64_t described = 0, linear = 0;
	struct cmsghdr *cm;

	*nret = 0;
	if (msg->msg_flags & MSG_CTRUNC) {
		snprintf(rx->bad, sizeof(rx->bad), "control data truncated");
		return -1;
	}
	/* regular data: every byte is in @buf */
	if (!CMSG_FIRSTHDR(msg)) {
		if (!check(rx, buf, ret, "regular"))
			return -1;
		rx->host += ret;
		rx->regular += ret;
		return 0;
	}
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		struct dmabuf_cmsg *d = (struct dmabuf_cmsg *)CMSG_DATA(cm);

		if (cm->cmsg_level != SOL_SOCKET ||
		    (cm->cmsg_type != SCM_DEVMEM_LINEAR &&
		     cm->cmsg_type != SCM_DEVMEM_DMABUF))
			continue;
		described += d->frag_size;
		if (cm->cmsg_type == SCM_DEVMEM_LINEAR) {
			if (!check(rx, buf + linear, d->frag_size, "host"))
				return -1;
			linear += d->frag_size;
			rx->host += d->frag_size;
			rx->linear_cmsgs++;
			if (d->frag_size > rx->max_linear)
				rx->max_linear = d->frag_size;
			continue;
		}
		if (rx->dmabuf_id < 0)
			rx->dmabuf_id = d->dmabuf_id;
		if (d->dmabuf_id != rx->dmabuf_id ||
		    d->frag_offset + d->frag_size > rx->dmabuf_size) {
			snprintf(rx->bad, sizeof(rx->bad),
				 "frag outside our dma-buf (id %u, offset %llu)",
				 d->dmabuf_id, (unsigned long long)d->frag_offset);
			return -1;
		}
		if (!check(rx, rx->dmabuf_map + d->frag_offset, d->frag_size,
			   "device"))
			return -1;
		rx->device += d->frag_size;
		rx->tokens++;
		if (rx->device <= rx->hold) {
			if (keep(rx, d->frag_token, d->frag_offset))
				return -1;
		} else {
			ret_tok[(*nret)++] = d->frag_token;
		}
	}
	if (described != (uint64_t)ret) {
		snprintf(rx->bad, sizeof(rx->bad),
			 "recvmsg returned %zd bytes, cmsgs describe %llu",
			 ret, (unsigned long long)described);
		return -1;
	}
	return 0;
}

static int receive(struct rx *rx, int fd, bool linger, size_t ctrl_len)
{
	static uint8_t buf[RECV_LEN];
	static uint8_t ctrl[DEFAULT_CTRL];
	static uint32_t now[RECV_LEN];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	size_t nret;
	ssize_t ret;

	for (;;) {
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctrl_len ? ctrl : NULL,
			.msg_controllen = ctrl_len,
		};

		if (release_now && (release_now = 0, release_held(rx, fd)))
			return -1;
		ret = recvmsg(fd, &msg, MSG_SOCK_DEVMEM);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			snprintf(rx->bad, sizeof(rx->bad), "recvmsg: %s",
				 strerror(errno));
			return -1;
		}
		if (!ret)
			break;
		if (consume(rx, &msg, buf, ret, now, &nret) ||
		    dontneed(fd, now, nret))
			return -1;
	}
	if (linger && rx->nheld) {
		printf("end of stream, holding %zu tokens (%zu buffers) until SIGUSR1\n",
		       rx->nheld, held_buffers(rx));
		fflush(stdout);
		while (!release_now)
			pause();
	}
	return release_held(rx, fd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port",   required_argument, NULL, 'p' },
		{ "size",   required_argument, NULL, 's' },
		{ "hold",   required_argument, NULL, 'H' },
		{ "linger", no_argument,       NULL, 'l' },
		{ "expect", required_argument, NULL, 'e' },
		{ "no-check", no_argument,     NULL, 'n' },
		{ "ctrl",   required_argument, NULL, 'c' },
		{ "help",   no_argument,       NULL, 'h' },
		{}
	};
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct rx rx = { .dmabuf_id = -1 };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	uint64_t expect = 0;
	bool linger = false, has_expect = false;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long port = 0;
	size_t ctrl_len = DEFAULT_CTRL;
	int c, dmabuf, srv, fd, one = 1, rc;
	const char *size_s = NULL;
	char err[256];

	while ((c = getopt_long(argc, argv, "+p:s:H:le:nc:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (uint_parse(optarg, 65535, &port) || !port) {
				fprintf(stderr, "devmem_rx: --port '%s': not a port (1-65535)\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			size_s = optarg;
			if (size_parse(optarg, &rx.dmabuf_size) || !rx.dmabuf_size) {
				fprintf(stderr, "devmem_rx: --size '%s': not a size (e.g. 16M, 1G)\n",
					optarg);
				return 2;
			}
			if (page > 0 && rx.dmabuf_size % (uint64_t)page) {
				fprintf(stderr, "devmem_rx: --size '%s': not a multiple of the page size (%ld)\n",
					optarg, page);
				return 2;
			}
			break;
		case 'H':
			if (size_parse(optarg, &rx.hold)) {
				fprintf(stderr, "devmem_rx: --hold '%s': not a size (e.g. 2M)\n",
					optarg);
				return 2;
			}
			break;
		case 'l':
			linger = true;
			break;
		case 'e':
			if (size_parse(optarg, &expect)) {
				fprintf(stderr, "devmem_rx: --expect '%s': not a size (e.g. 16777216, 16M)\n",
					optarg);
				return 2;
			}
			has_expect = true;
			break;
		case 'n':
			rx.no_check = true;
			break;
		case 'c':
		{
			unsigned long v;

			if (uint_parse(optarg, DEFAULT_CTRL, &v)) {
				fprintf(stderr, "devmem_rx: --ctrl '%s': not a number of bytes (at most %zu)\n",
					optarg, (size_t)DEFAULT_CTRL);
				return 2;
			}
			ctrl_len = v;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!port || !rx.dmabuf_size || optind >= argc) {
		fprintf(stderr, "devmem_rx: %s\n", !port ? "--port is required" :
			!rx.dmabuf_size ? "--size is required" :
			"missing the attach command after --");
		fputs(usage, stderr);
		return 2;
	}
	/* its pages are pinned at once: refuse what cannot be had, as mpctl does */
	if (udmabuf_check_size(rx.dmabuf_size, err, sizeof(err))) {
		fprintf(stderr, "devmem_rx: --size %s: %s\n", size_s, err);
		return 1;
	}
	sigaction(SIGUSR1, &sa, NULL);

	dmabuf = make_udmabuf(rx.dmabuf_size, &rx.dmabuf_map);
	if (dmabuf < 0)
		return 1;
	rc = run_attach(argv + optind, argc - optind, dmabuf);
	if (rc) {
		fprintf(stderr, "devmem_rx: attach command failed (%d)\n", rc);
		return 1;
	}
	/* the binding holds the dma-buf now; the memfd mapping stays ours */
	close(dmabuf);

	srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	addr.sin_port = htons((uint16_t)port);
	if (srv < 0 ||
	    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(srv, (struct sockaddr *)&addr, sizeof(addr)) || listen(srv, 1)) {
		perror("devmem_rx: listen");
		return 1;
	}
	printf("listening on %lu\n", port);
	fflush(stdout);
	do
		fd = accept(srv, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		perror("devmem_rx: accept");
		return 1;
	}

	rc = receive(&rx, fd, linger, ctrl_len);
	if (!rc && has_expect && rx.off != expect)
		snprintf(rx.bad, sizeof(rx.bad), "stream of %llu bytes, expected %llu",
			 (unsigned long long)rx.off, (unsigned long long)expect);
	printf("host %llu device %llu tokens %llu regular %llu linear_cmsgs %llu max_linear %llu %s%s\n",
	       (unsigned long long)rx.host, (unsigned long long)rx.device,
	       (unsigned long long)rx.tokens, (unsigned long long)rx.regular,
	       (unsigned long long)rx.linear_cmsgs,
	       (unsigned long long)rx.max_linear, rx.bad[0] ? "bad: " : "ok",
	       rx.bad);
	close(fd);
	close(srv);
	return rx.bad[0] || rc ? 1 : 0;
}
