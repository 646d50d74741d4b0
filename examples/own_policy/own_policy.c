// SPDX-License-Identifier: GPL-2.0
/*
 * own_policy: an application that carries its own bpfmp refill policy,
 * the way a sched_ext scheduler carries its BPF side (scx_<name>.c).
 *
 *   own_policy IF QUEUE [--udmabuf MB] [--device] [--min-free PCT] [--seconds N]
 *
 * It opens and loads the policy through its libbpf skeleton, registers it
 * (the struct_ops link: the name "own_policy" exists while the link
 * does), attaches RX queue QUEUE of IF over the bpf-mp generic netlink
 * family (libynl, as mpctl does), prints the queue's counters every
 * second, and on SIGINT/SIGTERM or after N seconds detaches the queue and
 * drops the link, which unregisters the policy.  Nothing is pinned:
 * policy and attachment live exactly as long as the process.
 */
#define _GNU_SOURCE	/* memfd_create, F_ADD_SEALS */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ynl.h>

#include "bpf-mp-user.h"
#include "own_policy.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* A dma-buf of @mb MiB from a sealed memfd: device memory for a test. */
static int udmabuf_make(unsigned long mb)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = (__u64)mb << 20 };
	int memfd, dev, buf = -1;

	memfd = memfd_create("own_policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -1;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev >= 0 && !ftruncate(memfd, (off_t)c.size) &&
	    !fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		c.memfd = (__u32)memfd;
		buf = ioctl(dev, UDMABUF_CREATE, &c);
	}
	if (dev >= 0)
		close(dev);
	close(memfd);
	return buf;
}

static int queue_attach(struct ynl_sock *ys, unsigned int ifindex,
			__u32 queue, int dmabuf)
{
	struct bpf_mp_attach_req *req = bpf_mp_attach_req_alloc();
	__u32 *ids = malloc(sizeof(*ids));	/* the request frees it */
	int err;

	if (!req || !ids) {
		free(ids);
		free(req);
		return -1;
	}
	*ids = queue;
	bpf_mp_attach_req_set_ifindex(req, ifindex);
	__bpf_mp_attach_req_set_queue_id(req, ids, 1);
	bpf_mp_attach_req_set_policy(req, "own_policy");
	if (dmabuf >= 0)
		bpf_mp_attach_req_set_dmabuf_fd(req, (__u32)dmabuf);
	err = bpf_mp_attach(ys, req);
	bpf_mp_attach_req_free(req);
	return err;
}

static int queue_detach(struct ynl_sock *ys, unsigned int ifindex, __u32 queue)
{
	struct bpf_mp_detach_req *req = bpf_mp_detach_req_alloc();
	__u32 *ids = malloc(sizeof(*ids));	/* the request frees it */
	int err;

	if (!req || !ids) {
		free(ids);
		free(req);
		return -1;
	}
	*ids = queue;
	bpf_mp_detach_req_set_ifindex(req, ifindex);
	__bpf_mp_detach_req_set_queue_id(req, ids, 1);
	err = bpf_mp_detach(ys, req);
	bpf_mp_detach_req_free(req);
	return err;
}

/* One line: what the policy counted and what the kernel counts. */
static void report(struct ynl_sock *ys, struct own_policy_bpf *skel,
		   unsigned int ifindex, __u32 queue)
{
	struct bpf_mp_queue_get_req_dump *d = bpf_mp_queue_get_req_dump_alloc();
	struct bpf_mp_queue_get_list *qs;

	if (!d)
		return;
	bpf_mp_queue_get_req_dump_set_ifindex(d, ifindex);
	qs = bpf_mp_queue_get_dump(ys, d);
	bpf_mp_queue_get_req_dump_free(d);
	if (!qs)
		return;
	ynl_dump_foreach(qs, q) {
		if (!q->_count.queue_id || q->queue_id[0] != queue)
			continue;
		printf("queue %u: policy saw %llu batches (%llu to device); kernel: host %llu, device %llu refills, device free %llu/%llu\n",
		       queue, (unsigned long long)skel->bss->batches,
		       (unsigned long long)skel->bss->device_batches,
		       (unsigned long long)q->refills_host,
		       (unsigned long long)q->refills_device,
		       (unsigned long long)q->device_free,
		       (unsigned long long)q->device_total);
	}
	bpf_mp_queue_get_list_free(qs);
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "Usage: own_policy IF QUEUE [--udmabuf MB] [--device] [--min-free PCT] [--seconds N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long mb = 0, min_free = 25, seconds = 0, queue;
	struct own_policy_bpf *skel = NULL;
	struct ynl_error yerr = {};
	struct bpf_link *link = NULL;
	struct ynl_sock *ys = NULL;
	bool device = false, attached = false;
	unsigned int ifindex;
	int dmabuf = -1, rc = 1;
	char *end;

	if (argc < 3)
		return usage();
	ifindex = if_nametoindex(argv[1]);
	queue = strtoul(argv[2], &end, 10);
	if (*end || end == argv[2])
		return usage();
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--device"))
			device = true;
		else if (i + 1 < argc && !strcmp(argv[i], "--udmabuf"))
			mb = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--min-free"))
			min_free = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--seconds"))
			seconds = strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (!ifindex) {
		fprintf(stderr, "own_policy: %s: no such interface\n", argv[1]);
		return 1;
	}

	/* 1. the skeleton: open, set .rodata, load (the verifier runs here) */
	skel = own_policy_bpf__open();
	if (!skel) {
		fprintf(stderr, "own_policy: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->min_free_pct = (__u32)min_free;
	if (own_policy_bpf__load(skel)) {
		fprintf(stderr, "own_policy: load: %s (libbpf's messages above)\n",
			strerror(errno));
		goto out;
	}
	skel->bss->want_device = device;

	/* 2. register: the link is the registration */
	link = bpf_map__attach_struct_ops(skel->maps.own_policy);
	if (!link) {
		fprintf(stderr, "own_policy: register: %s%s\n", strerror(errno),
			errno == EEXIST ? " (a policy of that name is registered)" : "");
		goto out;
	}

	/* 3. attach the queue, with device memory if asked */
	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
	if (!ys) {
		fprintf(stderr, "own_policy: bpf-mp family: %s\n", yerr.msg);
		goto out;
	}
	if (mb) {
		dmabuf = udmabuf_make(mb);
		if (dmabuf < 0) {
			fprintf(stderr, "own_policy: udmabuf of %lu MiB: %s\n", mb,
				strerror(errno));
			goto out;
		}
	}
	if (queue_attach(ys, ifindex, (__u32)queue, dmabuf)) {
		fprintf(stderr, "own_policy: attach %s queue %lu: %s\n", argv[1],
			queue, ys->err.msg[0] ? ys->err.msg : strerror((int)ys->err.code));
		goto out;
	}
	attached = true;
	printf("own_policy: registered, %s queue %lu attached (%s, min free %lu%%%s)\n",
	       argv[1], queue, device ? "device memory wanted" : "host pages",
	       min_free, mb ? ", udmabuf" : ", no device memory");
	fflush(stdout);

	/* 4. run: report every second until told to stop */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (unsigned long t = 0; !stop && (!seconds || t < seconds); t++) {
		sleep(1);
		report(ys, skel, ifindex, (__u32)queue);
	}
	rc = 0;
out:
	/* 5. undo in reverse: detach, then unregister with the link */
	if (attached && queue_detach(ys, ifindex, (__u32)queue)) {
		fprintf(stderr, "own_policy: detach: %s\n", ys->err.msg);
		rc = 1;
	}
	if (dmabuf >= 0)
		close(dmabuf);
	if (ys)
		ynl_sock_destroy(ys);
	bpf_link__destroy(link);
	own_policy_bpf__destroy(skel);
	if (!rc)
		printf("own_policy: detached and unregistered\n");
	return rc;
}
