// SPDX-License-Identifier: GPL-2.0
/*
 * A udmabuf for --udmabuf SIZE: a sealed memfd exported as a dma-buf by
 * /dev/udmabuf.  The bpf-mp binding takes its own reference to the dma-buf,
 * so the fds may be closed once the attach request is done.
 */
#define _GNU_SOURCE	/* memfd_create, F_ADD_SEALS */
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpctl.h"

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
