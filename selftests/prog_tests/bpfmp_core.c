// SPDX-License-Identifier: GPL-2.0
/*
 * bpfmp's core: policies choose per queue and per refill batch between
 * host pages and device memory (a udmabuf), fallbacks are counted, bad
 * requests change nothing, and detach gives everything back.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/udmabuf.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ynl.h>

#include "bpf-mp-user.h"
#include "mp.h"
#include "nsim.h"
#include "test_progs.h"
#include "mp_policies.skel.h"
#include "tc_payload_read.skel.h"
#include "xdp_calls_mp_kfunc.skel.h"

#define NQ	4

struct core {
	struct nsim_pair p;
	struct mp_policies *skel;
	struct bpf_link *links[4];
	struct ynl_sock *ys;	/* bpf-mp socket, in the receiver's netns */
	int ifindex;		/* receiver's, in its netns */
};

static int attach(struct core *c, const char *policy, const unsigned int *qs,
		  unsigned int nq, int dmabuf, bool strict)
{
	return mp_attach(c->ys, c->ifindex, policy, qs, nq, dmabuf, strict);
}

static int detach(struct core *c, const unsigned int *qs, unsigned int nq)
{
	return mp_detach(c->ys, c->ifindex, qs, nq);
}

static struct bpf_mp_queue_get_rsp queue_stats(struct core *c, unsigned int q)
{
	return mp_queue_stats(c->ys, c->ifindex, q);
}

static int attached_queues(struct core *c)
{
	return mp_attached_queues(c->ys, c->ifindex);
}

static const unsigned int all_q[NQ] = { 0, 1, 2, 3 };

/* Steer TCP/UDP port @port to queue @q on the receiver. */
static int steer(struct core *c, const char *proto, int port, int q)
{
	return test__sh(IN_RX "ethtool -N %s flow-type %s4 dst-port %d action %d >/dev/null",
			c->p.rx_if, proto, port, q);
}

/* @n UDP datagrams of 1200 bytes to @port (nobody listens: we count rings). */
static void udp_burst(int port, int n)
{
	test__sh(IN_TX STREAM " udp " NSIM_RX_IP " %d %d", port, n);
	usleep(test__slow() ? 2000000 : 300000);
}

static void per_queue_choice(struct core *c)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct bpf_mp_queue_get_rsp q0, q2;
	struct tc_payload_read *tc;
	int buf;

	buf = udmabuf_create(4096);
	if (!ASSERT_GE(buf, 0, "udmabuf"))
		return;
	if (!ASSERT_OK(attach(c, "t_upper", all_q, NQ, buf, false), "attach t_upper"))
		goto out_buf;
	q2 = queue_stats(c, 2);
	ASSERT_EQ(q2.device_total, 4096, "device memory total");
	ASSERT_EQ(attached_queues(c), NQ, "queues attached");

	tc = tc_payload_read__open_and_load();
	if (!ASSERT_OK_PTR(tc, "tc prog"))
		goto out_detach;
	nsim_enter_ns(NSIM_RX_NS);
	hook.ifindex = c->ifindex;
	bpf_tc_hook_create(&hook);
	opts.prog_fd = bpf_program__fd(tc->progs.tc_payload_read);
	ASSERT_OK(bpf_tc_attach(&hook, &opts), "tc attach");
	nsim_enter_ns(NULL);

	/* host-backed queue 0 carries a TCP stream intact */
	ASSERT_OK(steer(c, "tcp", 5300, 0), "steer tcp to 0");
	ASSERT_OK(nsim_tcp_stream(5300, 1 << 20, NULL, NULL), "stream on host queue intact");
	ASSERT_GT(tc->bss->readable, 10, "payload readable on queue 0");
	/* device-backed queue 2 gets UDP payload into device memory */
	ASSERT_OK(steer(c, "udp", 5301, 2), "steer udp to 2");
	udp_burst(5301, 64);
	ASSERT_GE(tc->bss->unreadable, 32, "payload in net_iovs on queue 2");

	q0 = queue_stats(c, 0);
	q2 = queue_stats(c, 2);
	ASSERT_GT(q0.bufs_host, 0, "queue 0 host buffers");
	ASSERT_EQ(q0.bufs_device, 0, "queue 0 device buffers");
	ASSERT_GT(q2.bufs_device, 0, "queue 2 device buffers");
	ASSERT_EQ(q2.bufs_host, 0, "queue 2 host buffers");
	ASSERT_LT(q2.device_free, 4096, "device memory in use");

	nsim_enter_ns(NSIM_RX_NS);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	nsim_enter_ns(NULL);
	tc_payload_read__destroy(tc);
out_detach:
	ASSERT_OK(detach(c, all_q, NQ), "detach");
	ASSERT_EQ(attached_queues(c), 0, "nothing attached");
out_buf:
	close(buf);
}

static void batch_split(struct core *c)
{
	static const unsigned int q1[] = { 1 };
	struct bpf_mp_queue_get_rsp s;
	int buf = udmabuf_create(1024);

	if (!ASSERT_GE(buf, 0, "udmabuf"))
		return;
	if (!ASSERT_OK(attach(c, "t_half", q1, 1, buf, false), "attach t_half"))
		goto out;
	ASSERT_OK(steer(c, "udp", 5302, 1), "steer udp to 1");
	udp_burst(5302, 40);
	s = queue_stats(c, 1);
	ASSERT_GT(c->skel->bss->split_calls, 0, "policy split batches");
	ASSERT_GT(s.bufs_device, 0, "device half");
	ASSERT_GT(s.bufs_host, 0, "host half");
	/* each batch is split in two halves, give or take one buffer */
	ASSERT_LT(s.bufs_host > s.bufs_device ? s.bufs_host - s.bufs_device :
		  s.bufs_device - s.bufs_host, s.refills_host + 1, "halves match");
	ASSERT_OK(detach(c, q1, 1), "detach");
out:
	close(buf);
}

static void garbage_verdict(struct core *c)
{
	static const unsigned int q0[] = { 0 };
	struct bpf_mp_queue_get_rsp s;
	int buf = udmabuf_create(1024);

	if (!ASSERT_GE(buf, 0, "udmabuf"))
		return;
	if (!ASSERT_OK(attach(c, "t_garbage", q0, 1, buf, false), "attach t_garbage"))
		goto out;
	ASSERT_OK(steer(c, "tcp", 5303, 0), "steer tcp to 0");
	ASSERT_OK(nsim_tcp_stream(5303, 256 << 10, NULL, NULL), "stream intact");
	s = queue_stats(c, 0);
	ASSERT_GT(s.fallback_invalid, 0, "invalid verdicts counted");
	ASSERT_EQ(s.bufs_device, 0, "garbage not obeyed");
	ASSERT_GT(s.bufs_host, 0, "served from host");
	ASSERT_OK(detach(c, q0, 1), "detach");
out:
	close(buf);
}

static void unregister_mid_traffic(struct core *c)
{
	static const unsigned int q0[] = { 0 };
	struct bpf_mp_queue_get_rsp s;
	__u64 base;
	int tries;

	if (!ASSERT_OK(attach(c, "t_upper", q0, 1, -1, false), "attach t_upper"))
		return;
	ASSERT_OK(steer(c, "tcp", 5305, 0), "steer tcp to 0");
	/* 4 MiB at 16 Mbit/s: two seconds, so the policy goes mid-stream */
	s = queue_stats(c, 0);
	base = s.refills_host + s.refills_device;	/* the ring's first fill */
	test__sh("rm -f /tmp/core.out; " IN_RX "sh -c '" STREAM
		 " recv 5305 >/tmp/core.out 2>&1 &'; " IN_TX "sh -c '" STREAM
		 " send " NSIM_RX_IP " 5305 %d 16 >/dev/null 2>&1 &'", 4 << 20);
	for (tries = 0; tries < 500; tries++) {
		s = queue_stats(c, 0);
		if (s.refills_host + s.refills_device > base + 4)
			break;
		usleep(20000);
	}
	ASSERT_GT(s.refills_host + s.refills_device, base + 4, "refills under t_upper");
	ASSERT_EQ(s.fallback_no_policy, 0, "no fallback while registered");
	bpf_link__destroy(c->links[0]);		/* t_upper goes away */
	c->links[0] = NULL;
	ASSERT_OK(test__sh("for i in $(seq 200); do [ -s /tmp/core.out ] && break; sleep 0.1; done;"
			   " grep -q ' ok' /tmp/core.out"), "stream intact across unregister");
	s = queue_stats(c, 0);
	ASSERT_GT(s.fallback_no_policy, 0, "no-policy fallbacks counted");
	c->links[0] = bpf_map__attach_struct_ops(c->skel->maps.t_upper);
	ASSERT_OK_PTR(c->links[0], "re-register t_upper");
	ASSERT_OK(detach(c, q0, 1), "detach");
}

static void bad_requests(struct core *c)
{
	static const unsigned int q1[] = { 1 }, q9[] = { 9 }, dup[] = { 1, 1 };
	int ifindex = c->ifindex;

	ASSERT_EQ(attach(c, "no_such_policy", q1, 1, -1, false), -ENOENT, "unknown policy");
	ASSERT_EQ(attach(c, "t_upper", q9, 1, -1, false), -EINVAL, "queue out of range");
	ASSERT_EQ(attach(c, "t_upper", dup, 2, -1, false), -EINVAL, "queue twice");
	ASSERT_EQ(attach(c, "t_upper", q1, 1, 1000, false), -EBADF, "bad dma-buf fd");
	c->ifindex = 999;
	ASSERT_EQ(attach(c, "t_upper", q1, 1, -1, false), -ENODEV, "unknown device");
	c->ifindex = ifindex;
	ASSERT_EQ(detach(c, q1, 1), -ENOENT, "detach unattached queue");
	/* header split off: upstream's queue-restart rules refuse the provider */
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s off 0", c->p.rx_if), "hds off");
	ASSERT_ERR(attach(c, "t_upper", q1, 1, -1, false), "attach without header split");
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s on 0", c->p.rx_if), "hds on");
	/* a second attach of an attached queue */
	ASSERT_OK(attach(c, "t_upper", q1, 1, -1, false), "attach");
	ASSERT_EQ(attach(c, "t_device", all_q, NQ, -1, false), -EBUSY, "already attached");
	ASSERT_EQ(attached_queues(c), 1, "failed requests changed nothing");
	ASSERT_OK(detach(c, q1, 1), "detach");
	ASSERT_EQ(attached_queues(c), 0, "all detached");
}

/* Without CAP_NET_ADMIN, attach is refused. */
static void needs_cap_net_admin(struct core *c)
{
	static const unsigned int q1[] = { 1 };
	int status = -1;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2] = {};
		struct ynl_error yerr;

		data[0].permitted = data[0].effective = 1U << CAP_SYS_ADMIN;
		if (syscall(SYS_capset, &hdr, data))
			_exit(3);
		c->ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
		if (!c->ys)
			_exit(4);
		_exit(attach(c, "t_upper", q1, 1, -1, false) == -EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status), "child exited");
	ASSERT_EQ(WEXITSTATUS(status), 0, "attach without CAP_NET_ADMIN gets EPERM");
	ASSERT_EQ(attached_queues(c), 0, "nothing attached");
}

static void kfunc_outside_policy(void)
{
	struct xdp_calls_mp_kfunc *skel;

	skel = xdp_calls_mp_kfunc__open_and_load();
	ASSERT_FALSE(skel, "XDP program calling a policy kfunc loads");
	xdp_calls_mp_kfunc__destroy(skel);
}

/* After detach, the device pools and the dma-buf binding drain to zero. */
static void nothing_left(struct core *c)
{
	char out[256];

	ASSERT_OK(test__sh_out(out, sizeof(out),
			       "for i in $(seq 50); do " IN_RX NLTOOL " pools-all %s | grep -q 'detached 1' || break;"
			       " sleep 0.1; done; " IN_RX NLTOOL " pools-all %s",
			       c->p.rx_if, c->p.rx_if), "pool dump");
	ASSERT_FALSE(strstr(out, "detached 1"), "no pool left waiting for buffers");
	/* every udmabuf the tests made is closed: bindings let go of them */
	ASSERT_OK(mp_no_dmabufs_left(),
		  "no dma-buf left");
}

/* Left attached (with device memory) for the device to take away.  The
 * dma-buf holds both rings (256 buffers each): a ring fills whole when its
 * first frame comes, and a stray frame on queue 0 (an ARP probe) must not
 * leave queue 1 without device memory.
 */
static void leave_attached(struct core *c)
{
	static const unsigned int q01[] = { 0, 1 };
	struct bpf_mp_queue_get_rsp q1;
	int buf = udmabuf_create(1024);

	if (!ASSERT_GE(buf, 0, "udmabuf"))
		return;
	ASSERT_OK(attach(c, "t_device", q01, 2, buf, false), "attach");
	close(buf);
	ASSERT_OK(steer(c, "udp", 5306, 1), "steer udp to 1");
	udp_burst(5306, 16);
	q1 = queue_stats(c, 1);
	if (!ASSERT_GT(q1.bufs_device, 0, "device memory in the ring"))
		fprintf(stderr, "queue 0: %llu device buffers; queue 1: %llu host buffers, %llu exhausted fallbacks\n",
			(unsigned long long)queue_stats(c, 0).bufs_device,
			(unsigned long long)q1.bufs_host,
			(unsigned long long)q1.fallback_exhausted);
}

/* The device went away attached: its queues are gone from bpfmp. */
static void check_removed(void)
{
	struct bpf_mp_queue_get_req_dump *req;
	struct bpf_mp_queue_get_list *list;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	int n = 0;

	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
	if (!ASSERT_OK_PTR(ys, "bpf-mp socket"))
		return;
	req = bpf_mp_queue_get_req_dump_alloc();
	list = bpf_mp_queue_get_dump(ys, req);
	bpf_mp_queue_get_req_dump_free(req);
	ASSERT_OK_PTR(list, "dump");
	if (list)
		ynl_dump_foreach(list, it)
			n++;
	bpf_mp_queue_get_list_free(list);
	ynl_sock_destroy(ys);
	ASSERT_EQ(n, 0, "queues of the removed device");
	ASSERT_OK(mp_no_dmabufs_left(),
		  "its dma-buf released");
}

void test_bpfmp_core(void)
{
	struct core c = {};
	bool removal = false;
	unsigned int i;

	if (!ASSERT_OK(nsim_pair_create(&c.p, 30, NQ), "netdevsim pair"))
		return;
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s on 0", c.p.rx_if), "header split on");
	c.skel = mp_policies__open_and_load();
	if (!ASSERT_OK_PTR(c.skel, "load policies"))
		goto out;
	c.links[0] = bpf_map__attach_struct_ops(c.skel->maps.t_upper);
	c.links[1] = bpf_map__attach_struct_ops(c.skel->maps.t_device);
	c.links[2] = bpf_map__attach_struct_ops(c.skel->maps.t_half);
	c.links[3] = bpf_map__attach_struct_ops(c.skel->maps.t_garbage);
	for (i = 0; i < 4; i++)
		ASSERT_OK_PTR(c.links[i], "register policy");
	c.ys = mp_sock_rx(c.p.rx_if, &c.ifindex);
	if (!ASSERT_OK_PTR(c.ys, "bpf-mp genl socket"))
		goto out;

	if (test__start_subtest("per_queue_choice"))
		per_queue_choice(&c);
	if (test__start_subtest("batch_split"))
		batch_split(&c);
	if (test__start_subtest("garbage_verdict"))
		garbage_verdict(&c);
	/* device memory exhaustion, with fallback and strict: devmem_e2e.sh,
	 * where a devmem reader hoarding tokens exhausts it mid-stream
	 */
	if (test__start_subtest("unregister_mid_traffic"))
		unregister_mid_traffic(&c);
	if (test__start_subtest("bad_requests"))
		bad_requests(&c);
	if (test__start_subtest("needs_cap_net_admin"))
		needs_cap_net_admin(&c);
	if (test__start_subtest("kfunc_outside_policy"))
		kfunc_outside_policy();
	if (test__start_subtest("nothing_left"))
		nothing_left(&c);
	removal = test__start_subtest("device_removal");
	if (removal)
		leave_attached(&c);
out:
	if (c.ys)
		ynl_sock_destroy(c.ys);
	nsim_pair_destroy(&c.p);
	if (removal)
		check_removed();
	for (i = 0; i < 4; i++)
		bpf_link__destroy(c.links[i]);
	mp_policies__destroy(c.skel);
}
