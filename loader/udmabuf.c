// SPDX-License-Identifier: GPL-2.0
/*
 * A udmabuf for --udmabuf SIZE: a sealed memfd exported as a dma-buf by
 * /dev/udmabuf.  The bpf-mp binding takes its own reference to the dma-buf,
 * so the fds may be closed once the attach request is done.
 *
 * UDMABUF_CREATE pins every page of the memfd: the kernel allocates them
 * all there and then, and they can be neither reclaimed nor swapped.  So
 * mpctl first checks that the memory is there (udmabuf_check_size()).
 */
#define _GNU_SOURCE	/* memfd_create, F_ADD_SEALS */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpctl.h"

#define UDMABUF_SIZE_LIMIT	"/sys/module/udmabuf/parameters/size_limit_mb"
/* What a udmabuf leaves of MemAvailable: an eighth, at least this much. */
#define UDMABUF_MIN_SPARE	(64ULL << 20)

/* The "KEY: N kB" line of /proc/meminfo, in bytes; -1 if there is none. */
static int meminfo_bytes(const char *key, uint64_t *bytes)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t klen = strlen(key);
	unsigned long long kb;
	char line[256];
	int rc = -1;

	if (!f)
		return -1;
	while (rc && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':' &&
		    sscanf(line + klen + 1, "%llu", &kb) == 1) {
			*bytes = (uint64_t)kb * 1024;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

int udmabuf_check_size(uint64_t size, char *err, size_t errlen)
{
	char can[32], avail_s[32], spare_s[32];
	uint64_t avail, spare, limit;
	long long mb;
	FILE *f;

	/* UDMABUF_CREATE refuses a larger one with nothing but EINVAL */
	f = fopen(UDMABUF_SIZE_LIMIT, "re");
	if (f) {
		if (fscanf(f, "%lld", &mb) == 1 && mb >= 0 && mb <= INT_MAX &&
		    size > (uint64_t)mb << 20) {
			snprintf(err, errlen, "larger than udmabuf.size_limit_mb (%lld MiB, %s)",
				 mb, UDMABUF_SIZE_LIMIT);
			fclose(f);
			return -1;
		}
		fclose(f);
	}
	/* no estimate (a kernel before 3.14): let UDMABUF_CREATE decide */
	if (meminfo_bytes("MemAvailable", &avail))
		return 0;
	spare = avail / 8 > UDMABUF_MIN_SPARE ? avail / 8 : UDMABUF_MIN_SPARE;
	limit = avail > spare ? avail - spare : 0;
	if (size <= limit)
		return 0;
	size_format(limit, can, sizeof(can));
	size_format(avail, avail_s, sizeof(avail_s));
	size_format(spare, spare_s, sizeof(spare_s));
	snprintf(err, errlen, "more than the %s of memory available (MemAvailable %s less %s kept free); choose a smaller size",
		 can, avail_s, spare_s);
	return -1;
}

/*
 * The pinned pages are the memfd's, which the OOM killer counts as no
 * process's: should memory run out during UDMABUF_CREATE all the same
 * (taken by someone else since udmabuf_check_size()), it would kill
 * bystanders before mpctl.  Make mpctl its first choice: its exit frees
 * the memfd.
 */
static void oom_victim_first(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = write(fd, "1000", 4);
	close(fd);
	(void)n;	/* best effort: udmabuf_check_size() is the guard */
}

int udmabuf_create(uint64_t size, char *err, size_t errlen)
{
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = 0,
		.size = size,
	};
	long page = sysconf(_SC_PAGESIZE);
	int memfd, devfd, buf;

	if (!size || page <= 0 || size % (uint64_t)page) {
		snprintf(err, errlen, "size must be a non-zero multiple of the page size (%ld)",
			 page);
		return -1;
	}
	oom_victim_first();
	memfd = memfd_create("mpctl-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(memfd, (off_t)size)) {
		snprintf(err, errlen, "ftruncate memfd to %llu bytes: %s",
			 (unsigned long long)size, strerror(errno));
		close(memfd);
		return -1;
	}
	/* udmabuf refuses memfds that could still shrink under it. */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		snprintf(err, errlen, "seal memfd: %s", strerror(errno));
		close(memfd);
		return -1;
	}
	devfd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		snprintf(err, errlen, "/dev/udmabuf: %s%s", strerror(errno),
			 errno == ENOENT ? " (kernel without CONFIG_UDMABUF?)" : "");
		close(memfd);
		return -1;
	}
	create.memfd = (__u32)memfd;
	buf = ioctl(devfd, UDMABUF_CREATE, &create);
	if (buf < 0)
		snprintf(err, errlen, "UDMABUF_CREATE of %llu bytes: %s%s",
			 (unsigned long long)size, strerror(errno),
			 errno == EINVAL ? " (larger than udmabuf.size_limit_mb?)" : "");
	close(devfd);
	close(memfd);
	return buf < 0 ? -1 : buf;
}
