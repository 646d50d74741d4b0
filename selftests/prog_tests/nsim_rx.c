// SPDX-License-Identifier: GPL-2.0
/*
 * The test NIC's RX path: frames are copied into ring buffers taken from
 * each queue's page_pool, steered by RSS/ntuple, split into header and
 * payload, and XDP still runs on them.
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>

#include "nsim.h"
#include "test_progs.h"
#include "skb_shape.skel.h"
#include "xdp_drop_icmp.skel.h"
#include "xdp_frags_len.skel.h"

#define NQ	4

struct pool_snap {
	long long alloc[NQ], recycle[NQ], inflight[NQ];
	int detached;
};

static int pools_snap(struct nsim_pair *p, struct pool_snap *s)
{
	char out[2048], *line, *save = NULL;
	int n = 0;

	memset(s, 0, sizeof(*s));
	if (test__sh_out(out, sizeof(out), IN_RX NLTOOL " pools-all %s", p->rx_if))
		return -1;
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		long long id, infl, alloc, rec;
		int q, det;

		if (sscanf(line, "queue %d pool %lld inflight %lld detached %d alloc %lld recycle %lld",
			   &q, &id, &infl, &det, &alloc, &rec) != 6)
			continue;
		s->detached += det;
		if (q < 0 || q >= NQ || det)
			continue;
		s->alloc[q] += alloc;
		s->recycle[q] += rec;
		s->inflight[q] += infl;
		n++;
	}
	return n;
}

/* UDP through iperf3: bytes sent and bytes of datagrams not lost. */
static int udp(const char *args, long long *sent, long long *rcvd)
{
	char out[128];

	*sent = *rcvd = -1;
	if (test__sh(IN_RX "iperf3 -s -1 -D -p 5201 && sleep 0.5"))
		return -1;
	if (test__sh_out(out, sizeof(out),
			 IN_TX "iperf3 -c " NSIM_RX_IP " -p 5201 -J %s | jq -r '.end.sum |"
			 " \"\\(.bytes) \\((.packets - .lost_packets) *"
			 " (.bytes / ([.packets, 1] | max) | floor))\"'", args))
		return -1;
	return sscanf(out, "%lld %lld", sent, rcvd) == 2 ? 0 : -1;
}

static void tcp_stream(struct nsim_pair *p, bool hds)
{
	long long sent, rcvd, pkts0, pkts1;

	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s %s 0", p->rx_if, hds ? "on" : "off"),
		  "set header split");
	pkts0 = nsim_rx_stat_sum(p, "packets", NQ);
	if (!ASSERT_OK(nsim_tcp_stream(5201, 2 << 20, &sent, &rcvd), "stream intact"))
		return;
	pkts1 = nsim_rx_stat_sum(p, "packets", NQ);
	ASSERT_EQ(sent, 2 << 20, "bytes sent");
	ASSERT_EQ(rcvd, sent, "bytes received");
	/* 2 MiB in MTU frames went through the rings */
	ASSERT_GT(pkts1 - pkts0, (2 << 20) / 1500, "rx ring packets");
}

static void udp_stream(struct nsim_pair *p)
{
	long long sent, rcvd;

	if (!ASSERT_OK(udp("-u -b 5M -l 1000 -n 512K", &sent, &rcvd), "iperf3 -u"))
		return;
	ASSERT_GE(sent, 512 << 10, "bytes sent");
	/* a few datagrams may drop on a slow TCG guest, most must arrive */
	ASSERT_GT(rcvd, sent * 9 / 10, "bytes received");
}

/* An ntuple rule pins the test stream; only that queue's pool works. */
static void steer(struct nsim_pair *p, int queue, int *loc)
{
	struct pool_snap a, b;
	long long sent, rcvd;
	char out[64];
	int q;

	if (*loc >= 0)
		test__sh(IN_RX "ethtool -N %s delete %d", p->rx_if, *loc);
	if (!ASSERT_OK(test__sh_out(out, sizeof(out), IN_RX
			"ethtool -N %s flow-type tcp4 dst-port 5201 action %d | awk '/ID/ {print $NF}'",
			p->rx_if, queue), "ntuple rule"))
		return;
	*loc = atoi(out);
	ASSERT_EQ(pools_snap(p, &a), NQ, "pools before");
	if (!ASSERT_OK(nsim_tcp_stream(5201, 2 << 20, &sent, &rcvd), "stream intact"))
		return;
	ASSERT_EQ(rcvd, sent, "bytes received");
	ASSERT_EQ(pools_snap(p, &b), NQ, "pools after");
	/* 2 MiB is > 1400 buffers; the other queues see at most stray ARP */
	for (q = 0; q < NQ; q++) {
		long long work = (b.alloc[q] - a.alloc[q]) + (b.recycle[q] - a.recycle[q]);

		if (q == queue)
			ASSERT_GT(work, 1200, "steered queue pool alloc+recycle");
		else
			ASSERT_LT(work, 300, "other queue pool alloc+recycle");
	}
	ASSERT_GT(b.recycle[queue] - a.recycle[queue], 500, "steered queue recycles");
}

static void steering(struct nsim_pair *p)
{
	char out[256];
	int loc = -1;

	ASSERT_OK(test__sh_out(out, sizeof(out), IN_RX "ethtool -x %s | head -2", p->rx_if),
		  "ethtool -x");
	ASSERT_TRUE(strstr(out, "4 RX ring"), "indirection table over 4 rings");
	steer(p, 2, &loc);
	steer(p, 1, &loc);
	ASSERT_OK(test__sh(IN_RX "ethtool -N %s delete %d", p->rx_if, loc), "delete rule");
	ASSERT_OK(test__sh(IN_RX "ethtool -n %s | grep -q 'Total 0 rules'", p->rx_if),
		  "no rules left");
}

/* With header split on, big skbs carry headers linear, payload in frags. */
static void header_split_shape(struct nsim_pair *p)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct skb_shape *skel;
	long long sent, rcvd;

	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s on 0", p->rx_if), "header split on");
	skel = skb_shape__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load"))
		return;
	if (!ASSERT_OK(nsim_enter_ns(NSIM_RX_NS), "enter rx netns"))
		goto out;
	hook.ifindex = if_nametoindex(p->rx_if);
	bpf_tc_hook_create(&hook);
	opts.prog_fd = bpf_program__fd(skel->progs.skb_shape);
	ASSERT_OK(bpf_tc_attach(&hook, &opts), "tc attach");
	nsim_enter_ns(NULL);

	if (ASSERT_OK(nsim_tcp_stream(5201, 4 << 20, &sent, &rcvd), "stream intact"))
		ASSERT_EQ(rcvd, sent, "bytes received");
	ASSERT_GT(skel->bss->big_skbs, 20, "big skbs seen");
	ASSERT_EQ(skel->bss->big_nonlinear, skel->bss->big_skbs, "all big skbs have frags");
	/* eth + ip + tcp with options */
	ASSERT_LT(skel->bss->max_linear, 256, "linear part is headers only");

	nsim_enter_ns(NSIM_RX_NS);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	nsim_enter_ns(NULL);
out:
	skb_shape__destroy(skel);
}

/* Restart queues under traffic: no pool may stay behind with buffers. */
static void restart_under_traffic(struct nsim_pair *p)
{
	struct pool_snap s;
	int i, tries;

	ASSERT_OK(test__sh(IN_RX "iperf3 -s -1 -D -p 5202 && sleep 0.5 && "
			   IN_TX "sh -c 'iperf3 -c " NSIM_RX_IP " -p 5202 -t 3 >/tmp/restart.log 2>&1 &'"),
		  "start stream");
	for (i = 0; i < 12; i++) {
		ASSERT_OK(test__sh("echo '%d %d' >/sys/kernel/debug/netdevsim/netdevsim%u/ports/0/queue_reset",
				   i % NQ, i % 2, p->rx.id), "queue_reset");
		usleep(200000);
	}
	ASSERT_OK(test__sh("for i in $(seq %d); do grep -q 'iperf Done' /tmp/restart.log"
			   " && exit 0; sleep 0.1; done; exit 1", 100),
		  "stream survived restarts");
	/* old pools go away once the stack returns their last buffers */
	for (tries = 0; tries < 50; tries++) {
		if (pools_snap(p, &s) == NQ && !s.detached)
			break;
		usleep(100000);
	}
	ASSERT_EQ(s.detached, 0, "detached pools left");
	ASSERT_EQ(pools_snap(p, &s), NQ, "one live pool per queue");
}

static void ring_exhaustion(struct nsim_pair *p)
{
	char knob[128];
	long long drops0, drops1;

	snprintf(knob, sizeof(knob),
		 "/sys/kernel/debug/netdevsim/netdevsim%u/ports/0/rx_refill_stop", p->rx.id);
	ASSERT_OK(test__sh(IN_RX "ethtool -G %s rx 16", p->rx_if), "ring of 16");
	drops0 = nsim_rx_stat_sum(p, "drops", NQ);
	ASSERT_OK(test__sh("echo 1 >%s", knob), "stop refills");
	/* 64 pings into rings of 16 with no refill: the rest must drop (1000
	 * bytes: a frame that fits the header buffer takes no ring buffer)
	 */
	test__sh(IN_TX "ping -q -s 1000 -c 64 -i 0.01 -W 1 " NSIM_RX_IP);
	drops1 = nsim_rx_stat_sum(p, "drops", NQ);
	ASSERT_GT(drops1 - drops0, 0, "drops counted");
	ASSERT_OK(test__sh("echo 0 >%s", knob), "resume refills");
	ASSERT_OK(test__sh(IN_TX "ping -q -c 3 -i 0.2 -W 2 " NSIM_RX_IP), "ping after refill");
	ASSERT_OK(test__sh(IN_RX "ethtool -G %s rx 256", p->rx_if), "ring back to 256");
}

static void xdp_drop(struct nsim_pair *p)
{
	struct xdp_drop_icmp *skel;
	int ifindex, err;

	/* single-buffer XDP and header split exclude each other */
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s off 0", p->rx_if), "header split off");
	skel = xdp_drop_icmp__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load"))
		return;
	if (!ASSERT_OK(nsim_enter_ns(NSIM_RX_NS), "enter rx netns"))
		goto out;
	ifindex = if_nametoindex(p->rx_if);
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_drop_icmp),
			     XDP_FLAGS_DRV_MODE, NULL);
	nsim_enter_ns(NULL);
	if (!ASSERT_OK(err, "xdp attach"))
		goto out;
	ASSERT_NEQ(test__sh(IN_TX "ping -q -c 3 -i 0.2 -W 1 " NSIM_RX_IP), 0,
		   "ping while XDP drops ICMP");
	ASSERT_GE(skel->bss->dropped, 3, "XDP dropped the echo requests");
	nsim_enter_ns(NSIM_RX_NS);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	nsim_enter_ns(NULL);
	ASSERT_OK(test__sh(IN_TX "ping -q -c 2 -i 0.2 -W 2 " NSIM_RX_IP), "ping after detach");
out:
	xdp_drop_icmp__destroy(skel);
}

/*
 * Jumbo frames span several ring buffers (frags); a multi-buffer XDP
 * program sees them whole and passes them, and the stream stays intact.
 */
static void jumbo_multibuf(struct nsim_pair *p)
{
	struct xdp_frags_len *skel;
	long long sent, rcvd;
	int ifindex, err;

	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s off 0", p->rx_if), "header split off");
	if (!ASSERT_OK(test__sh(IN_TX "ip link set %s mtu 9000 && "
				IN_RX "ip link set %s mtu 9000", p->tx_if, p->rx_if), "mtu 9000"))
		return;
	skel = xdp_frags_len__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load"))
		goto out_mtu;
	nsim_enter_ns(NSIM_RX_NS);
	ifindex = if_nametoindex(p->rx_if);
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_frags_len),
			     XDP_FLAGS_DRV_MODE, NULL);
	nsim_enter_ns(NULL);
	ASSERT_OK(err, "attach xdp.frags");
	if (ASSERT_OK(nsim_tcp_stream(5201, 2 << 20, &sent, &rcvd), "stream intact"))
		ASSERT_EQ(rcvd, sent, "bytes received");
	ASSERT_GT(skel->bss->multibuf, 100, "frames spanning buffers");
	nsim_enter_ns(NSIM_RX_NS);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	nsim_enter_ns(NULL);
	xdp_frags_len__destroy(skel);
out_mtu:
	test__sh(IN_TX "ip link set %s mtu 1500; " IN_RX "ip link set %s mtu 1500",
		 p->tx_if, p->rx_if);
}

void test_nsim_rx(void)
{
	struct nsim_pair p;

	if (!ASSERT_OK(nsim_pair_create(&p, 20, NQ), "netdevsim pair"))
		return;
	if (test__start_subtest("tcp_hds_off"))
		tcp_stream(&p, false);
	if (test__start_subtest("tcp_hds_on"))
		tcp_stream(&p, true);
	if (test__start_subtest("udp"))
		udp_stream(&p);
	if (test__start_subtest("steering"))
		steering(&p);
	if (test__start_subtest("header_split_shape"))
		header_split_shape(&p);
	if (test__start_subtest("restart_under_traffic"))
		restart_under_traffic(&p);
	if (test__start_subtest("ring_exhaustion"))
		ring_exhaustion(&p);
	if (test__start_subtest("xdp_drop"))
		xdp_drop(&p);
	if (test__start_subtest("jumbo_multibuf"))
		jumbo_multibuf(&p);
	nsim_pair_destroy(&p);
}
