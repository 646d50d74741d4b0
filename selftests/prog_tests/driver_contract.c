// SPDX-License-Identifier: GPL-2.0
/*
 * The driver contract (docs/drivers.md) and the policy lifecycle: only a
 * driver that declares it refills through bpf_mp_refill() can be attached;
 * the queues of one attach share a DMA device; a host pool that does not
 * match the payload pool is refused; a policy's init() runs before the
 * queue is live and can refuse it, and every init is paired with one
 * release, across unregister, re-register and a policy replaced in place
 * under traffic (no select outside init..release, no refill without a
 * policy, all or nothing); the policy-get dump counts
 * per netns; a queue keeps its identity when its device changes netns;
 * XDP hints count on the queue a frame arrived on, exactly, and never
 * from a cpumap program or BPF_PROG_RUN.
 */
#define _GNU_SOURCE
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ynl.h>

#include "bpf-mp-user.h"
#include "mp.h"
#include "nsim.h"
#include "test_progs.h"
#include "mp_lifecycle.skel.h"
#include "mp_policies.skel.h"
#include "mp_replace.skel.h"
#include "xdp_hint_paths.skel.h"

#define NQ	4
#define ID	32

struct dc {
	struct nsim_pair p;
	struct mp_policies *pol;
	struct bpf_link *upper;
	struct ynl_sock *ys;	/* bpf-mp socket, in the receiver's netns */
	int ifindex;		/* receiver's, in its netns */
};

static const unsigned int q0[] = { 0 }, q01[] = { 0, 1 }, all_q[] = { 0, 1, 2, 3 };

/* Write @val to the receiver port's netdevsim debugfs knob @knob. */
static int knob(struct dc *d, const char *name, const char *val)
{
	return test__sh("echo %s >/sys/kernel/debug/netdevsim/netdevsim%u/ports/0/%s",
			val, d->p.rx.id, name);
}

static bool extack_has(struct dc *d, const char *text)
{
	bool ok = strstr(d->ys->err.msg, text);

	if (!ok)
		fprintf(stderr, "extack: \"%s\", wanted \"%s\"\n", d->ys->err.msg, text);
	return ok;
}

static int attached(struct dc *d)
{
	return mp_attached_queues(d->ys, d->ifindex);
}

/* A driver with the queue API that does not declare bpfmp is refused. */
static void not_a_bpfmp_driver(struct dc *d)
{
	if (!ASSERT_OK(knob(d, "bpf_mp_driver", "N"), "declaration off"))
		return;
	ASSERT_EQ(mp_attach(d->ys, d->ifindex, "t_upper", q0, 1, -1, false),
		  -EOPNOTSUPP, "attach to a driver that does not declare bpfmp");
	ASSERT_TRUE(extack_has(d, "does not refill RX through bpf_mp_refill()"),
		    "extack names the reason");
	ASSERT_EQ(attached(d), 0, "nothing attached");
	ASSERT_OK(knob(d, "bpf_mp_driver", "Y"), "declaration on");
	ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", q0, 1, -1, false),
		  "attach once declared");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q0, 1), "detach");
}

/* XDP (native mode) may share a bpfmp device only if the driver marks net_iov frags. */
static int xdp_set(struct dc *d, int fd)
{
	int err;

	nsim_enter_ns(NSIM_RX_NS);
	err = fd >= 0 ? bpf_xdp_attach(d->ifindex, fd, XDP_FLAGS_DRV_MODE, NULL) :
			bpf_xdp_detach(d->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	nsim_enter_ns(NULL);
	return err;
}

static void xdp_needs_marking_driver(struct dc *d)
{
	struct xdp_hint_paths *skel = xdp_hint_paths__open_and_load();
	int fd;

	if (!ASSERT_OK_PTR(skel, "load an XDP program"))
		return;
	fd = bpf_program__fd(skel->progs.hint_rx);
	if (!ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", q0, 1, -1, false), "attach"))
		goto out;
	ASSERT_OK(knob(d, "bpf_mp_driver", "N"), "declaration off");
	ASSERT_EQ(xdp_set(d, fd), -EBUSY, "XDP refused on a driver that does not mark frags");
	ASSERT_OK(knob(d, "bpf_mp_driver", "Y"), "declaration on");
	ASSERT_OK(xdp_set(d, fd), "XDP allowed once the driver declares it");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q0, 1), "detach under XDP");
	ASSERT_OK(knob(d, "bpf_mp_driver", "N"), "declaration off");
	ASSERT_EQ(mp_attach(d->ys, d->ifindex, "t_upper", q0, 1, -1, false), -EOPNOTSUPP,
		  "no bpfmp under XDP without the declaration");
	ASSERT_OK(knob(d, "bpf_mp_driver", "Y"), "declaration on");
	ASSERT_OK(xdp_set(d, -1), "XDP off");
out:
	xdp_hint_paths__destroy(skel);
}

/* Every queue of an attach with device memory uses the same DMA device. */
static void dma_dev_per_queue(struct dc *d)
{
	int buf = udmabuf_create(256);

	if (!ASSERT_GE(buf, 0, "udmabuf"))
		return;
	/* queues 2 and 3 now DMA through another device, as on a multi-PF NIC */
	if (!ASSERT_OK(knob(d, "dma_dev_split", "2"), "split DMA devices"))
		goto out;
	ASSERT_EQ(mp_attach(d->ys, d->ifindex, "t_upper", all_q, NQ, buf, false),
		  -EOPNOTSUPP, "attach across DMA devices");
	ASSERT_TRUE(extack_has(d, "use different DMA devices"), "extack names the reason");
	ASSERT_EQ(attached(d), 0, "nothing attached");
	ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", q01, 2, buf, false),
		  "queues of one DMA device attach");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q01, 2), "detach");
	ASSERT_OK(knob(d, "dma_dev_split", "0"), "one DMA device again");
out:
	close(buf);
}

/* A header-sized host payload pool never fills payload slots. */
static void host_pool_mismatch(struct dc *d)
{
	struct bpf_mp_queue_get_rsp s;

	if (!ASSERT_OK(knob(d, "bpf_mp_host_max_len", "256"), "header-sized host payload pool"))
		return;
	/* attach restarts the queue: its new header pool is header-sized */
	if (!ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", q0, 1, -1, false), "attach"))
		goto out;
	test__sh(IN_RX "ethtool -N %s flow-type udp4 dst-port 5500 action 0 >/dev/null",
		 d->p.rx_if);
	test__sh(IN_TX STREAM " udp " NSIM_RX_IP " 5500 16");
	usleep(test__slow() ? 2000000 : 300000);
	s = mp_queue_stats(d->ys, d->ifindex, 0);
	ASSERT_GT(s.pool_mismatch, 0, "refills refused and counted");
	ASSERT_EQ(s.bufs_host, 0, "no header-pool page in a payload slot");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q0, 1), "detach");
	test__sh(IN_RX "ethtool -N %s delete $(" IN_RX "ethtool -n %s | awk '/^Filter:/ { print $2; exit }') 2>/dev/null",
		 d->p.rx_if, d->p.rx_if);
out:
	knob(d, "bpf_mp_host_max_len", "0");
}

/* init() runs first and may refuse; init and release always pair. */
static void init_release_pairs(struct dc *d)
{
	struct mp_lifecycle *skel = mp_lifecycle__open_and_load();
	struct bpf_link *link;

	if (!ASSERT_OK_PTR(skel, "load t_life"))
		return;
	link = bpf_map__attach_struct_ops(skel->maps.t_life);
	if (!ASSERT_OK_PTR(link, "register t_life"))
		goto out;

	/* a refused queue fails the attach and leaves nothing attached */
	skel->data->refuse_queue = 1;
	ASSERT_EQ(mp_attach(d->ys, d->ifindex, "t_life", q01, 2, -1, false), -EINVAL,
		  "attach a queue init refuses");
	ASSERT_TRUE(extack_has(d, "refused queue 1"), "extack names the queue");
	ASSERT_EQ(attached(d), 0, "nothing attached");
	ASSERT_EQ(skel->bss->refused, 1, "init asked once");
	ASSERT_EQ(skel->bss->inits, skel->bss->releases, "queue 0's init was released");
	skel->data->refuse_queue = ~0U;

	ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_life", q01, 2, -1, false), "attach");
	ASSERT_EQ(skel->bss->inits - skel->bss->releases, 2, "two queues held");
	/* unregister: both released; re-register: both given back */
	bpf_link__destroy(link);
	ASSERT_EQ(skel->bss->inits, skel->bss->releases, "unregister releases");
	link = bpf_map__attach_struct_ops(skel->maps.t_life);
	ASSERT_OK_PTR(link, "re-register t_life");
	ASSERT_EQ(skel->bss->inits - skel->bss->releases, 2, "re-register inits again");
	test__sh(IN_TX STREAM " udp " NSIM_RX_IP " 5501 16");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q01, 2), "detach");
	ASSERT_EQ(skel->bss->inits, skel->bss->releases, "detach releases");
	ASSERT_EQ(skel->bss->selects_unowned, 0, "no refill outside init..release");
	bpf_link__destroy(link);
out:
	mp_lifecycle__destroy(skel);
}

/* Every queue's no-policy and invalid-verdict fallbacks, summed. */
static long long no_policy_fallbacks(struct dc *d)
{
	struct bpf_mp_queue_get_rsp s;
	long long n = 0;
	unsigned int q;

	for (q = 0; q < NQ; q++) {
		s = mp_queue_stats(d->ys, d->ifindex, q);
		n += s.fallback_no_policy + s.fallback_invalid;
	}
	return n;
}

static bool policy_is(struct dc *d, unsigned int q, const char *want)
{
	char name[16];

	if (mp_queue_policy(d->ys, d->ifindex, q, name, sizeof(name)) ||
	    strcmp(name, want)) {
		fprintf(stderr, "queue %u: policy \"%s\", wanted \"%s\"\n", q, name, want);
		return false;
	}
	return true;
}

/*
 * replace: four queues swapped between rep_host and rep_dev over and over
 * while UDP traffic refills them: every swap succeeds, no select runs on
 * a queue its policy has not inited or has released, no refill goes
 * without a policy, and init/release pair up.  Then the refusals, which
 * change nothing: an unknown name, a queue not attached.
 */
#define SWAPS	40
static void replace_in_place(struct dc *d)
{
	static const unsigned int q012[] = { 0, 1, 2 }, q3[] = { 3 };
	struct mp_replace *skel = mp_replace__open_and_load();
	struct bpf_link *host = NULL, *dev = NULL;
	int i, swaps, failed = 0;

	if (!ASSERT_OK_PTR(skel, "load mp_replace"))
		return;
	host = bpf_map__attach_struct_ops(skel->maps.rep_host);
	dev = bpf_map__attach_struct_ops(skel->maps.rep_dev);
	if (!ASSERT_OK_PTR(host, "register rep_host") || !ASSERT_OK_PTR(dev, "register rep_dev"))
		goto out;
	if (!ASSERT_OK(mp_attach(d->ys, d->ifindex, "rep_host", all_q, NQ, -1, false),
		       "attach rep_host"))
		goto out;
	/* datagrams until told to stop, spread over the queues by RSS; the
	 * swaps start once they refill the queues
	 */
	ASSERT_OK(test__sh("(" IN_TX "sh -c 'while :; do " STREAM " udp " NSIM_RX_IP
			   " 5530 64; done' >/dev/null 2>&1 & echo $! >/tmp/replace_udp.pid)"),
		  "start traffic");
	for (i = 0; i < 300 && !skel->data_rep->host_selects; i++)
		usleep(100000);
	ASSERT_GT(skel->data_rep->host_selects, 0, "traffic refills the queues");
	/* a pause on each policy, so that both serve refills in between */
	for (i = 0; i < SWAPS; i++) {
		failed += !!mp_replace_policy(d->ys, d->ifindex, "rep_dev", all_q, NQ);
		usleep(20000);
		failed += !!mp_replace_policy(d->ys, d->ifindex, "rep_host", all_q, NQ);
		usleep(20000);
	}
	/* traffic on rep_dev at least once, if the pauses were too short */
	for (i = 0; i < 20 && !skel->data_rep->dev_selects; i++) {
		failed += !!mp_replace_policy(d->ys, d->ifindex, "rep_dev", all_q, NQ);
		usleep(200000);
		failed += !!mp_replace_policy(d->ys, d->ifindex, "rep_host", all_q, NQ);
	}
	swaps = SWAPS + i;
	test__sh("kill $(cat /tmp/replace_udp.pid); rm -f /tmp/replace_udp.pid");
	ASSERT_EQ(failed, 0, "every replace succeeded");
	ASSERT_GT(skel->data_rep->dev_selects, 0, "rep_dev selected");
	ASSERT_EQ(skel->data_rep->host_unowned, 0, "no rep_host select outside init..release");
	ASSERT_EQ(skel->data_rep->dev_unowned, 0, "no rep_dev select outside init..release");
	ASSERT_EQ(no_policy_fallbacks(d), 0, "no refill without a policy");
	ASSERT_EQ(skel->data_rep->host_inits, NQ * (swaps + 1), "rep_host init per swap");
	ASSERT_EQ(skel->data_rep->host_releases, NQ * swaps, "rep_host release per swap");
	ASSERT_EQ(skel->data_rep->dev_inits, NQ * swaps, "rep_dev init per swap");
	ASSERT_EQ(skel->data_rep->dev_releases, NQ * swaps, "rep_dev release per swap");

	/* the refusals leave every queue on rep_host, with no init run */
	ASSERT_EQ(mp_replace_policy(d->ys, d->ifindex, "t_nosuch", all_q, NQ), -ENOENT,
		  "replace to an unregistered name");
	ASSERT_TRUE(extack_has(d, "no bpf_mp_ops policy registered under this name"),
		    "extack: not registered");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q3, 1), "detach queue 3");
	ASSERT_EQ(mp_replace_policy(d->ys, d->ifindex, "rep_dev", all_q, NQ), -ENOENT,
		  "replace with a queue not attached");
	ASSERT_TRUE(extack_has(d, "queue 3 is not attached"), "extack names the queue");
	ASSERT_EQ(skel->data_rep->dev_inits, NQ * swaps, "no init for a refused request");
	ASSERT_TRUE(policy_is(d, 0, "rep_host") && policy_is(d, 2, "rep_host"),
		    "queues keep their policy");
	/* the policy the queues have: nothing happens */
	ASSERT_OK(mp_replace_policy(d->ys, d->ifindex, "rep_host", q012, 3), "replace to itself");
	ASSERT_EQ(skel->data_rep->host_inits, NQ * (swaps + 1), "no init for the same policy");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q012, 3), "detach");
	ASSERT_EQ(skel->data_rep->host_inits, skel->data_rep->host_releases,
		  "every rep_host init released");
out:
	bpf_link__destroy(dev);
	bpf_link__destroy(host);
	mp_replace__destroy(skel);
}

/* Policies are global; the queues policy-get counts are the caller's netns's. */
static void policy_users_per_netns(struct dc *d)
{
	struct bpf_mp_policy_get_list *list;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	long long users = -1;

	if (!ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", q01, 2, -1, false), "attach"))
		return;
	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);	/* initial netns */
	if (ASSERT_OK_PTR(ys, "bpf-mp socket")) {
		list = bpf_mp_policy_get_dump(ys);
		if (ASSERT_OK_PTR(list, "policy dump"))
			ynl_dump_foreach(list, it)
				if (!strcmp(it->name, "t_upper"))
					users = it->queues;
		bpf_mp_policy_get_list_free(list);
		ynl_sock_destroy(ys);
	}
	ASSERT_EQ(users, 0, "another netns's queues are not counted");
	users = -1;
	list = bpf_mp_policy_get_dump(d->ys);
	if (ASSERT_OK_PTR(list, "policy dump in the receiver's netns"))
		ynl_dump_foreach(list, it)
			if (!strcmp(it->name, "t_upper"))
				users = it->queues;
	bpf_mp_policy_get_list_free(list);
	ASSERT_EQ(users, 2, "the receiver's netns counts its queues");
	ASSERT_OK(mp_detach(d->ys, d->ifindex, q01, 2), "detach");
}

/*
 * Move the attached device into a netns where its ifindex is taken: it
 * gets a new one there, and bpf-mp must report and find it by that one.
 */
static void netns_move_keeps_queue(struct dc *d)
{
	struct bpf_mp_queue_get_rsp s;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	char out[32] = "";
	int newidx = 0;

	if (!ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", q0, 1, -1, false), "attach"))
		return;
	if (!ASSERT_OK(test__sh("ip netns add bpfmp_mv && ip -n bpfmp_mv link add bpfmp_d0 index %d type dummy"
				" && " IN_RX "ip link set %s netns bpfmp_mv",
				d->ifindex, d->p.rx_if), "move the device"))
		goto out;
	test__sh_out(out, sizeof(out), "ip -n bpfmp_mv -o link show %s | cut -d: -f1",
		     d->p.rx_if);
	newidx = atoi(out);
	ASSERT_GT(newidx, 0, "new ifindex");
	ASSERT_NEQ(newidx, d->ifindex, "ifindex changed");
	nsim_enter_ns("bpfmp_mv");
	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
	nsim_enter_ns(NULL);
	if (ASSERT_OK_PTR(ys, "bpf-mp socket in the new netns")) {
		s = mp_queue_stats(ys, newidx, 0);
		ASSERT_EQ(s.ifindex, newidx, "queue found and reported by its new ifindex");
		ASSERT_OK(mp_detach(ys, newidx, q0, 1), "detach by the new ifindex");
		ynl_sock_destroy(ys);
	}
out:
	/* deleting the netns sends the device back to the initial netns */
	test__sh("ip netns del bpfmp_mv 2>/dev/null");
}

/* XDP on the receiver (generic mode), a cpumap program, BPF_PROG_RUN. */
static void hints_only_from_rx_queues(struct dc *d)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct bpf_cpumap_val cv = { .qsize = 256 };
	struct xdp_md md = { .rx_queue_index = 2 };
	struct bpf_mp_queue_get_rsp q0, q2;
	struct xdp_hint_paths *skel;
	char pkt[64] = {};
	__u32 key = 0;
	int err;

	skel = xdp_hint_paths__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load xdp_hint_paths"))
		return;
	if (!ASSERT_OK(mp_attach(d->ys, d->ifindex, "t_upper", all_q, NQ, -1, false), "attach"))
		goto out;
	cv.bpf_prog.fd = bpf_program__fd(skel->progs.hint_cpu);
	nsim_enter_ns(NSIM_RX_NS);
	err = bpf_map__update_elem(skel->maps.hint_cpus, &key, sizeof(key), &cv, sizeof(cv), 0);
	err = err ?: bpf_xdp_attach(d->ifindex, bpf_program__fd(skel->progs.hint_rx),
				    XDP_FLAGS_SKB_MODE, NULL);
	nsim_enter_ns(NULL);
	if (!ASSERT_OK(err, "cpumap entry and XDP program"))
		goto out_detach;
	test__sh(IN_RX "ethtool -N %s flow-type udp4 dst-port 5510 action 2 >/dev/null", d->p.rx_if);
	test__sh(IN_RX "ethtool -N %s flow-type udp4 dst-port 5511 action 2 >/dev/null", d->p.rx_if);
	test__sh(IN_TX STREAM " udp " NSIM_RX_IP " 5510 100");
	test__sh(IN_TX STREAM " udp " NSIM_RX_IP " 5511 20");
	usleep(test__slow() ? 2000000 : 500000);

	/* BPF_PROG_RUN naming no device (loopback's queue 0): refused;
	 * naming the receiver's queue 2: counted there, as its frame
	 */
	run.data_in = pkt;
	run.data_size_in = sizeof(pkt);
	nsim_enter_ns(NSIM_RX_NS);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.hint_run), &run);
	md.ingress_ifindex = d->ifindex;
	run.ctx_in = &md;
	run.ctx_size_in = sizeof(md);
	err = err ?: bpf_prog_test_run_opts(bpf_program__fd(skel->progs.hint_run), &run);
	nsim_enter_ns(NULL);
	ASSERT_OK(err, "BPF_PROG_RUN");

	q0 = mp_queue_stats(d->ys, d->ifindex, 0);
	q2 = mp_queue_stats(d->ys, d->ifindex, 2);
	ASSERT_EQ(skel->bss->rx_refused, 0, "hints on the RX queue accepted");
	ASSERT_EQ(q2.hints_device, skel->bss->rx_hinted, "every hint counted, on queue 2");
	ASSERT_GE(skel->bss->rx_hinted, 90, "the frames were hinted");
	/* generic XDP hands the cpumap an skb that knows its RX queue: its
	 * program's hints count there; a native xdp_frame's would be refused
	 */
	ASSERT_EQ(skel->bss->cpu_refused + skel->bss->cpu_hinted, 20, "cpumap program ran");
	ASSERT_EQ(q2.hints_host, skel->bss->cpu_hinted + 1, "cpumap and PROG_RUN hints on queue 2");
	ASSERT_EQ(skel->bss->run_refused, 1, "BPF_PROG_RUN without a device refused");
	ASSERT_EQ(skel->bss->run_hinted, 1, "BPF_PROG_RUN naming queue 2 counted");
	ASSERT_EQ(q0.hints_host + q0.hints_device, 0, "nothing landed on queue 0");

	nsim_enter_ns(NSIM_RX_NS);
	bpf_xdp_detach(d->ifindex, XDP_FLAGS_SKB_MODE, NULL);
	nsim_enter_ns(NULL);
	test__sh("for i in 1 2; do " IN_RX "ethtool -N %s delete $(" IN_RX "ethtool -n %s | awk '/^Filter:/ { print $2; exit }') 2>/dev/null; done",
		 d->p.rx_if, d->p.rx_if);
out_detach:
	ASSERT_OK(mp_detach(d->ys, d->ifindex, all_q, NQ), "detach");
out:
	xdp_hint_paths__destroy(skel);
}

/* Back to a clean device before each subtest, so one failure stays one. */
static void fresh(struct dc *d)
{
	knob(d, "bpf_mp_driver", "Y");
	knob(d, "bpf_mp_host_max_len", "0");
	knob(d, "dma_dev_split", "0");
	nsim_enter_ns(NSIM_RX_NS);
	bpf_xdp_detach(d->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(d->ifindex, XDP_FLAGS_SKB_MODE, NULL);
	nsim_enter_ns(NULL);
	for (unsigned int i = 0; i < NQ && attached(d) > 0; i++)
		mp_detach(d->ys, d->ifindex, &all_q[i], 1);
}

#define SUBTEST(name, d) do {					\
	if (test__start_subtest(#name)) {			\
		fresh(d);					\
		name(d);					\
	}							\
} while (0)

void test_driver_contract(void)
{
	struct dc d = {};

	if (!ASSERT_OK(nsim_pair_create(&d.p, ID, NQ), "netdevsim pair"))
		return;
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s on 0", d.p.rx_if), "header split on");
	d.pol = mp_policies__open_and_load();
	if (!ASSERT_OK_PTR(d.pol, "load policies"))
		goto out;
	d.upper = bpf_map__attach_struct_ops(d.pol->maps.t_upper);
	if (!ASSERT_OK_PTR(d.upper, "register t_upper"))
		goto out;
	d.ys = mp_sock_rx(d.p.rx_if, &d.ifindex);
	if (!ASSERT_OK_PTR(d.ys, "bpf-mp genl socket"))
		goto out;

	SUBTEST(not_a_bpfmp_driver, &d);
	SUBTEST(xdp_needs_marking_driver, &d);
	SUBTEST(dma_dev_per_queue, &d);
	SUBTEST(host_pool_mismatch, &d);
	SUBTEST(init_release_pairs, &d);
	SUBTEST(replace_in_place, &d);
	SUBTEST(policy_users_per_netns, &d);
	SUBTEST(hints_only_from_rx_queues, &d);
	/* last: the device comes back with another ifindex and no address */
	SUBTEST(netns_move_keeps_queue, &d);
out:
	if (d.ys)
		ynl_sock_destroy(d.ys);
	nsim_pair_destroy(&d.p);
	bpf_link__destroy(d.upper);
	mp_policies__destroy(d.pol);
}
