// SPDX-License-Identifier: GPL-2.0
/*
 * nltool: netlink bits the tests need that Debian 12's ethtool/iproute2
 * lack.  Run it inside the device's netns (ip netns exec).
 *
 *   nltool hds DEV on|off THRESH   set tcp-data-split and hds-thresh
 *   nltool pools DEV               one line per RX queue page_pool:
 *        queue Q pool ID inflight N detached D alloc A recycle R
 *   nltool pools-all DEV           every pool of DEV, incl. detached ones
 *   nltool rings DEV               "split S thresh T" (tcp-data-split enum)
 *   nltool bpf-count               "bpf-progs=N bpf-maps=M": BPF objects now
 *   nltool bind-rx DEV QUEUE --dmabuf-fd N
 *        upstream devmem: bind the dma-buf to QUEUE with netdev bind-rx,
 *        print "bound ID", and keep the binding (it lives as long as the
 *        netlink socket) in a background process until that is killed
 *   nltool cycle DEV QUEUES POLICY N PAGES
 *        N times: attach QUEUES (comma-separated) with POLICY and a fresh
 *        udmabuf of PAGES pages, detach, attach host only, detach; one
 *        request each, so that make soak's cycles cost the kernel's time,
 *        not an mpctl exec's.  Progress every 10 cycles on stdout.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <ynl.h>

#include "ethtool-user.h"
#include "mp.h"
#include "netdev-user.h"

static int hds(const char *dev, const char *onoff, unsigned int thresh)
{
	struct ethtool_rings_set_req *req;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	int err;

	ys = ynl_sock_create(&ynl_ethtool_family, &yerr);
	if (!ys) {
		fprintf(stderr, "nltool: ethtool netlink: %s\n", yerr.msg);
		return 1;
	}
	req = ethtool_rings_set_req_alloc();
	ethtool_rings_set_req_set_header_dev_name(req, dev);
	ethtool_rings_set_req_set_tcp_data_split(req, strcmp(onoff, "on") ?
		ETHTOOL_TCP_DATA_SPLIT_DISABLED : ETHTOOL_TCP_DATA_SPLIT_ENABLED);
	ethtool_rings_set_req_set_hds_thresh(req, thresh);
	err = ethtool_rings_set(ys, req);
	if (err)
		fprintf(stderr, "nltool: %s: rings-set: %s\n", dev, ys->err.msg);
	ethtool_rings_set_req_free(req);
	ynl_sock_destroy(ys);
	return err ? 1 : 0;
}

static int rings(const char *dev)
{
	struct ethtool_rings_get_req *req;
	struct ethtool_rings_get_rsp *rsp;
	struct ynl_error yerr;
	struct ynl_sock *ys;

	ys = ynl_sock_create(&ynl_ethtool_family, &yerr);
	if (!ys) {
		fprintf(stderr, "nltool: ethtool netlink: %s\n", yerr.msg);
		return 1;
	}
	req = ethtool_rings_get_req_alloc();
	ethtool_rings_get_req_set_header_dev_name(req, dev);
	rsp = ethtool_rings_get(ys, req);
	ethtool_rings_get_req_free(req);
	if (!rsp) {
		fprintf(stderr, "nltool: %s: rings-get: %s\n", dev, ys->err.msg);
		ynl_sock_destroy(ys);
		return 1;
	}
	printf("split %u thresh %u\n", rsp->tcp_data_split, rsp->hds_thresh);
	ethtool_rings_get_rsp_free(rsp);
	ynl_sock_destroy(ys);
	return 0;
}

static int bind_rx(const char *dev, unsigned int queue, unsigned int fd)
{
	struct netdev_bind_rx_req *req;
	struct netdev_bind_rx_rsp *rsp;
	struct netdev_queue_id *q;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	int ifindex = if_nametoindex(dev);

	ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!ifindex || !ys) {
		fprintf(stderr, "nltool: %s: no such device or no netdev netlink\n", dev);
		return 1;
	}
	req = netdev_bind_rx_req_alloc();
	q = netdev_queue_id_alloc(1);
	netdev_queue_id_set_id(q, queue);
	netdev_queue_id_set_type(q, NETDEV_QUEUE_TYPE_RX);
	netdev_bind_rx_req_set_ifindex(req, ifindex);
	netdev_bind_rx_req_set_fd(req, fd);
	__netdev_bind_rx_req_set_queues(req, q, 1);
	rsp = netdev_bind_rx(ys, req);
	netdev_bind_rx_req_free(req);
	if (!rsp) {
		fprintf(stderr, "nltool: %s: bind-rx queue %u: %s\n", dev, queue,
			ys->err.msg);
		return 1;
	}
	printf("bound %u\n", rsp->id);
	fflush(stdout);
	netdev_bind_rx_rsp_free(rsp);
	close(fd);
	if (fork())
		_exit(0);	/* the binding stays with the child's socket */
	setsid();
	/* nobody waits on our output any more */
	if (!freopen("/dev/null", "w", stdout) ||
	    !freopen("/dev/null", "w", stderr))
		_exit(1);
	for (;;)
		pause();
}

/* RX queue served by NAPI @napi_id, or -1. */
static int napi_queue(struct netdev_queue_get_list *qs, __u32 napi_id)
{
	ynl_dump_foreach(qs, q)
		if (q->type == NETDEV_QUEUE_TYPE_RX && q->_present.napi_id &&
		    q->napi_id == napi_id)
			return q->id;
	return -1;
}

static int pools(const char *dev, int all)
{
	struct netdev_page_pool_stats_get_req_dump *sreq;
	struct netdev_page_pool_stats_get_list *stats;
	struct netdev_page_pool_get_req_dump *preq;
	struct netdev_queue_get_req_dump *qreq;
	struct netdev_page_pool_get_list *pps;
	struct netdev_queue_get_list *qs;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	int ifindex = if_nametoindex(dev);

	if (!ifindex) {
		fprintf(stderr, "nltool: no device %s\n", dev);
		return 1;
	}
	ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!ys) {
		fprintf(stderr, "nltool: netdev netlink: %s\n", yerr.msg);
		return 1;
	}
	qreq = netdev_queue_get_req_dump_alloc();
	netdev_queue_get_req_dump_set_ifindex(qreq, ifindex);
	qs = netdev_queue_get_dump(ys, qreq);
	netdev_queue_get_req_dump_free(qreq);
	preq = netdev_page_pool_get_req_dump_alloc();
	netdev_page_pool_get_req_dump_set_ifindex(preq, ifindex);
	pps = netdev_page_pool_get_dump(ys, preq);
	netdev_page_pool_get_req_dump_free(preq);
	sreq = netdev_page_pool_stats_get_req_dump_alloc();
	netdev_page_pool_stats_get_req_dump_set_info_ifindex(sreq, ifindex);
	stats = netdev_page_pool_stats_get_dump(ys, sreq);
	netdev_page_pool_stats_get_req_dump_free(sreq);
	if (!qs || !pps || !stats) {
		fprintf(stderr, "nltool: dump failed: %s\n", ys->err.msg);
		return 1;
	}
	ynl_dump_foreach(pps, pp) {
		unsigned long long alloc = 0, recycle = 0;
		int q = pp->_present.napi_id ? napi_queue(qs, pp->napi_id) : -1;

		if (pp->ifindex != (__u32)ifindex || (q < 0 && !all))
			continue;
		ynl_dump_foreach(stats, st) {
			if (st->info.id != pp->id)
				continue;
			alloc = st->alloc_fast + st->alloc_slow;
			recycle = st->recycle_cached + st->recycle_ring;
		}
		printf("queue %d pool %llu inflight %llu detached %d alloc %llu recycle %llu\n",
		       q, (unsigned long long)pp->id,
		       (unsigned long long)pp->inflight, !!pp->_present.detach_time,
		       alloc, recycle);
	}
	netdev_queue_get_list_free(qs);
	netdev_page_pool_get_list_free(pps);
	netdev_page_pool_stats_get_list_free(stats);
	ynl_sock_destroy(ys);
	return 0;
}

/* How many BPF objects of one kind exist (the runner's left-behind gate;
 * "bpftool prog list" loads a BPF iterator per call, seconds under TCG).
 */
static unsigned int bpf_count(int cmd)
{
	union bpf_attr attr;
	unsigned int n = 0;
	__u32 id = 0;

	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (syscall(__NR_bpf, cmd, &attr, sizeof(attr)))
			return n;
		id = attr.next_id;
		n++;
	}
}

static int parse_queues(char *list, unsigned int *qs, unsigned int max)
{
	unsigned int n = 0;
	char *tok, *end;

	for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		if (n == max)
			return -1;
		qs[n++] = strtoul(tok, &end, 0);
		if (*end)
			return -1;
	}
	return n ? (int)n : -1;
}

/* One soak cycle: NULL, or the step that failed. */
static const char *cycle_once(struct ynl_sock *ys, int ifindex,
			      const char *policy, const unsigned int *qs,
			      unsigned int nq, unsigned int pages)
{
	int buf, err;

	buf = udmabuf_create(pages);
	if (buf < 0)
		return "udmabuf";
	/* the binding holds the dma-buf from here; our fd can go */
	err = mp_attach(ys, ifindex, policy, qs, nq, buf, false);
	close(buf);
	if (err)
		return "device attach";
	if (mp_detach(ys, ifindex, qs, nq))
		return "device detach";
	if (mp_attach(ys, ifindex, policy, qs, nq, -1, false))
		return "host attach";
	if (mp_detach(ys, ifindex, qs, nq))
		return "host detach";
	return NULL;
}

static int cycle(const char *dev, char *queues, const char *policy,
		 unsigned long n, unsigned int pages)
{
	unsigned int qs[64];
	struct ynl_error yerr;
	struct ynl_sock *ys;
	const char *step;
	unsigned long i;
	time_t start;
	int nq, ifindex;

	nq = parse_queues(queues, qs, 64);
	ifindex = if_nametoindex(dev);
	if (nq < 0 || !ifindex) {
		fprintf(stderr, "nltool: cycle: bad queue list or no device %s\n", dev);
		return 2;
	}
	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
	if (!ys) {
		fprintf(stderr, "nltool: bpf-mp netlink: %s\n", yerr.msg);
		return 1;
	}
	start = time(NULL);
	for (i = 1; i <= n; i++) {
		step = cycle_once(ys, ifindex, policy, qs, nq, pages);
		if (step) {
			/* udmabuf failures leave errno; requests leave ys->err */
			fprintf(stderr, "nltool: cycle %lu: %s failed: %s\n", i, step,
				!strcmp(step, "udmabuf") ? strerror(errno) :
				ys->err.msg[0] ? ys->err.msg : strerror(ys->err.code));
			ynl_sock_destroy(ys);
			return 1;
		}
		if (i % 10 == 0 || i == n) {
			printf("cycle %lu (%ld s)\n", i, (long)(time(NULL) - start));
			fflush(stdout);
		}
	}
	ynl_sock_destroy(ys);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bpf-count")) {
		printf("bpf-progs=%u bpf-maps=%u\n", bpf_count(BPF_PROG_GET_NEXT_ID),
		       bpf_count(BPF_MAP_GET_NEXT_ID));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "hds"))
		return hds(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "pools"))
		return pools(argv[2], 0);
	if (argc == 3 && !strcmp(argv[1], "pools-all"))
		return pools(argv[2], 1);
	if (argc == 3 && !strcmp(argv[1], "rings"))
		return rings(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "bind-rx") &&
	    !strcmp(argv[4], "--dmabuf-fd"))
		return bind_rx(argv[2], strtoul(argv[3], NULL, 0),
			       strtoul(argv[5], NULL, 0));
	if (argc == 7 && !strcmp(argv[1], "cycle"))
		return cycle(argv[2], argv[3], argv[4], strtoul(argv[5], NULL, 0),
			     strtoul(argv[6], NULL, 0));
	fprintf(stderr, "usage: nltool hds DEV on|off THRESH | pools[-all] DEV | rings DEV\n"
		"       nltool bind-rx DEV QUEUE --dmabuf-fd N | bpf-count\n"
		"       nltool cycle DEV QUEUES POLICY N PAGES\n");
	return 2;
}
