// SPDX-License-Identifier: GPL-2.0
/*
 * bpfmp for tests: device memory and bpf-mp requests, with no test_progs
 * state, so that nltool links them too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/udmabuf.h>

#include "mp.h"

int udmabuf_create(unsigned int pages)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC };
	int memfd, devfd, buf;

	memfd = memfd_create("bpfmp-test", MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -1;
	create.memfd = memfd;
	create.size = (__u64)pages * getpagesize();
	if (ftruncate(memfd, create.size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		close(memfd);
		return -1;
	}
	devfd = open("/dev/udmabuf", O_RDWR);
	if (devfd < 0) {
		close(memfd);
		return -1;
	}
	buf = ioctl(devfd, UDMABUF_CREATE, &create);
	close(devfd);
	close(memfd);
	return buf;
}

static __u32 *queue_ids(const unsigned int *qs, unsigned int nq)
{
	__u32 *ids = calloc(nq, sizeof(*ids));
	unsigned int i;

	for (i = 0; ids && i < nq; i++)
		ids[i] = qs[i];
	return ids;
}

int mp_attach(struct ynl_sock *ys, int ifindex, const char *policy,
	      const unsigned int *qs, unsigned int nq, int dmabuf, bool strict)
{
	struct bpf_mp_attach_req *req = bpf_mp_attach_req_alloc();
	int err;

	bpf_mp_attach_req_set_ifindex(req, ifindex);
	/* the request owns the id array from here */
	__bpf_mp_attach_req_set_queue_id(req, queue_ids(qs, nq), nq);
	bpf_mp_attach_req_set_policy(req, policy);
	if (dmabuf >= 0)
		bpf_mp_attach_req_set_dmabuf_fd(req, dmabuf);
	if (strict)
		bpf_mp_attach_req_set_flags(req, BPF_MP_ATTACH_FLAGS_STRICT);
	err = bpf_mp_attach(ys, req);
	if (err)
		fprintf(stderr, "attach: %s\n", ys->err.msg);
	bpf_mp_attach_req_free(req);
	return err ? -ys->err.code : 0;
}

int mp_replace_policy(struct ynl_sock *ys, int ifindex, const char *policy,
		      const unsigned int *qs, unsigned int nq)
{
	struct bpf_mp_replace_req *req = bpf_mp_replace_req_alloc();
	int err;

	bpf_mp_replace_req_set_ifindex(req, ifindex);
	__bpf_mp_replace_req_set_queue_id(req, queue_ids(qs, nq), nq);
	bpf_mp_replace_req_set_policy(req, policy);
	err = bpf_mp_replace(ys, req);
	bpf_mp_replace_req_free(req);
	return err ? -ys->err.code : 0;
}

int mp_queue_policy(struct ynl_sock *ys, int ifindex, unsigned int q,
		    char *buf, size_t len)
{
	struct bpf_mp_queue_get_req_dump *req;
	struct bpf_mp_queue_get_list *list;
	int found = -1;

	buf[0] = '\0';
	req = bpf_mp_queue_get_req_dump_alloc();
	bpf_mp_queue_get_req_dump_set_ifindex(req, ifindex);
	list = bpf_mp_queue_get_dump(ys, req);
	bpf_mp_queue_get_req_dump_free(req);
	if (!list)
		return -1;
	ynl_dump_foreach(list, it)
		if (it->_count.queue_id && it->queue_id[0] == q && it->policy) {
			snprintf(buf, len, "%s", it->policy);
			found = 0;
		}
	bpf_mp_queue_get_list_free(list);
	return found;
}

int mp_detach(struct ynl_sock *ys, int ifindex, const unsigned int *qs,
	      unsigned int nq)
{
	struct bpf_mp_detach_req *req = bpf_mp_detach_req_alloc();
	int err;

	bpf_mp_detach_req_set_ifindex(req, ifindex);
	__bpf_mp_detach_req_set_queue_id(req, queue_ids(qs, nq), nq);
	err = bpf_mp_detach(ys, req);
	bpf_mp_detach_req_free(req);
	return err ? -ys->err.code : 0;
}

struct bpf_mp_queue_get_rsp mp_queue_stats(struct ynl_sock *ys, int ifindex,
					   unsigned int q)
{
	struct bpf_mp_queue_get_rsp out = {};
	struct bpf_mp_queue_get_req_dump *req;
	struct bpf_mp_queue_get_list *list;

	req = bpf_mp_queue_get_req_dump_alloc();
	bpf_mp_queue_get_req_dump_set_ifindex(req, ifindex);
	list = bpf_mp_queue_get_dump(ys, req);
	bpf_mp_queue_get_req_dump_free(req);
	if (!list)
		return out;
	ynl_dump_foreach(list, it) {
		if (it->_count.queue_id && it->queue_id[0] == q) {
			out = *it;
			out.queue_id = NULL;
			out.policy = NULL;
		}
	}
	bpf_mp_queue_get_list_free(list);
	return out;
}

int mp_attached_queues(struct ynl_sock *ys, int ifindex)
{
	struct bpf_mp_queue_get_req_dump *req;
	struct bpf_mp_queue_get_list *list;
	int n = 0;

	req = bpf_mp_queue_get_req_dump_alloc();
	list = bpf_mp_queue_get_dump(ys, req);
	bpf_mp_queue_get_req_dump_free(req);
	if (!list)
		return -1;
	ynl_dump_foreach(list, it)
		n += it->ifindex == (__u32)ifindex;
	bpf_mp_queue_get_list_free(list);
	return n;
}
