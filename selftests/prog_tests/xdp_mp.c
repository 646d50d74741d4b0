// SPDX-License-Identifier: GPL-2.0
/*
 * XDP on bpfmp queues: XDP and bpfmp coexist in both attach orders while
 * upstream's devmem provider still excludes XDP; headers of a device-memory
 * frame are readable and its payload refused by every helper; verdicts on
 * device frames drop (counted) instead of transmitting device memory; hints
 * reach the queue's counters; the XDP kfuncs load nowhere else; random
 * verdicts and helper calls over mixed frames leave nothing behind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mp.h"
#include "nsim.h"
#include "test_progs.h"
#include "mp_policies.skel.h"
#include "xdp_mp.skel.h"

#define NQ	4
#define PORT	5400	/* the port xdp_mp.bpf.c probes */

enum { V_PASS, V_DROP, V_TX, V_REDIRECT_CPU, V_REDIRECT_DEV, V_RANDOM };

struct xt {
	struct nsim_pair p;
	struct mp_policies *pol;
	struct bpf_link *links[2];
	struct xdp_mp *skel;
	struct ynl_sock *ys;	/* bpf-mp socket, in the receiver's netns */
	int ifindex;		/* receiver's, in its netns */
	int dmabuf, dmabuf2;	/* for queues 1 and 2 */
};

static const unsigned int q1[] = { 1 }, q2[] = { 2 };

/* XDP program @fd (-1: none) on the receiver, in @flags mode; 0 or -errno. */
static int xdp_set(struct xt *x, int fd, __u32 flags)
{
	int err;

	nsim_enter_ns(NSIM_RX_NS);
	if (fd >= 0)
		err = bpf_xdp_attach(x->ifindex, fd, flags, NULL);
	else
		err = bpf_xdp_detach(x->ifindex, flags, NULL);
	nsim_enter_ns(NULL);
	return err;
}

static int steer(struct xt *x, int q)
{
	return test__sh(IN_RX "ethtool -N %s flow-type udp4 dst-port %d action %d loc 1 >/dev/null",
			x->p.rx_if, PORT, q);
}

/* @n UDP datagrams of @size bytes (0: random 1..8000) to PORT, from tx. */
static void udp_send(int n, int size)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	static char buf[8000];
	int fd, i;

	/* in-process: a python per burst costs seconds under TCG */
	if (nsim_enter_ns(NSIM_TX_NS))
		return;
	inet_pton(AF_INET, NSIM_RX_IP, &to.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (i = 0; fd >= 0 && i < n; i++)
		sendto(fd, buf, size ?: 1 + rand() % (int)sizeof(buf), 0,
		       (struct sockaddr *)&to, sizeof(to));
	if (fd >= 0)
		close(fd);
	nsim_enter_ns(NULL);
}

/* Wait until XDP saw @n frames of the burst (or a few seconds passed). */
static void wait_frames(struct xt *x, long long n)
{
	int i;

	for (i = 0; i < (test__slow() ? 100 : 30); i++) {
		if ((long long)x->skel->bss->frames >= n)
			break;
		usleep(100000);
	}
	/* let the last frames finish their way up the stack */
	usleep(test__slow() ? 1000000 : 200000);
}

/* A /proc/net file as the receiver's netns sees it (fixed at open). */
static FILE *rx_proc_net(const char *name)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", name);
	nsim_enter_ns(NSIM_RX_NS);
	f = fopen(path, "r");
	nsim_enter_ns(NULL);
	return f;
}

/* The receiver's rx or tx drops from /proc/net/dev (core stats included). */
static long long rx_drops(struct xt *x, bool tx)
{
	long long v[16] = {};
	char line[512], name[IF_NAMESIZE + 2];
	FILE *f = rx_proc_net("dev");

	if (!f)
		return -1;
	snprintf(name, sizeof(name), "%s:", x->p.rx_if);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, name);

		/* rx: bytes packets errs drop ...; tx (9th on): bytes packets errs drop */
		if (p && sscanf(p + strlen(name), "%lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
				&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
				&v[8], &v[9], &v[10], &v[11]) == 12)
			break;
	}
	fclose(f);
	return tx ? v[11] : v[3];
}

/* Zero the program's counters, keeping its verdict. */
static void reset_counters(struct xt *x)
{
	struct xdp_mp__bss *b = x->skel->bss;
	int verdict = b->verdict;

	memset(b, 0, sizeof(*b));
	b->verdict = verdict;
}

/* Zeroed counters, PORT steered to queue @q, @n datagrams: frames seen. */
static long long burst(struct xt *x, int q, int n)
{
	reset_counters(x);
	if (!ASSERT_OK(steer(x, q), "steer"))
		return -1;
	udp_send(n, 1200);
	wait_frames(x, n);
	return x->skel->bss->frames;
}

/* Redirect targets: cpumap entry 0, devmap entry 0 (the receiver itself). */
static int redirect_targets(struct xt *x)
{
	struct bpf_cpumap_val cv = { .qsize = 256 };
	__u32 key = 0, ifindex = x->ifindex;
	int err;

	/* the devmap resolves the ifindex in the caller's netns */
	nsim_enter_ns(NSIM_RX_NS);
	err = bpf_map__update_elem(x->skel->maps.cpus, &key, sizeof(key), &cv,
				   sizeof(cv), 0) ?:
	      bpf_map__update_elem(x->skel->maps.devs, &key, sizeof(key), &ifindex,
				   sizeof(ifindex), 0);
	nsim_enter_ns(NULL);
	return err;
}

/* XDP and bpfmp in both orders; upstream's devmem provider still excludes XDP. */
static void attach_orders(struct xt *x)
{
	int fd = bpf_program__fd(x->skel->progs.xdp_probe), buf, up, i, err;
	char out[256];

	/* bpfmp first, then XDP */
	ASSERT_OK(mp_attach(x->ys, x->ifindex, "t_device", q1, 1, x->dmabuf, false),
		  "attach bpfmp to queue 1");
	ASSERT_OK(xdp_set(x, fd, XDP_FLAGS_DRV_MODE), "XDP on a device with a bpfmp queue");
	/* XDP first, then bpfmp */
	ASSERT_OK(mp_attach(x->ys, x->ifindex, "t_half", q2, 1, -1, false),
		  "attach bpfmp under XDP");
	ASSERT_OK(mp_detach(x->ys, x->ifindex, q2, 1), "detach queue 2");

	/* upstream's provider refuses a device with XDP... */
	buf = udmabuf_create(64);
	up = fcntl(buf, F_DUPFD, 100);	/* without close-on-exec, for nltool */
	ASSERT_NEQ(test__sh_out(out, sizeof(out), IN_RX NLTOOL " bind-rx %s 3 --dmabuf-fd %d 2>&1",
				x->p.rx_if, up), 0, "netdev bind-rx under XDP fails");
	ASSERT_TRUE(strstr(out, "XDP"), "the refusal names XDP");
	/* ...and XDP refuses a device with upstream's provider */
	ASSERT_OK(xdp_set(x, -1, XDP_FLAGS_DRV_MODE), "XDP off");
	ASSERT_OK(test__sh(IN_RX NLTOOL " bind-rx %s 3 --dmabuf-fd %d >/dev/null", x->p.rx_if, up),
		  "netdev bind-rx without XDP");
	ASSERT_EQ(xdp_set(x, fd, XDP_FLAGS_DRV_MODE), -EBUSY, "XDP with an upstream devmem queue");
	ASSERT_EQ(xdp_set(x, fd, XDP_FLAGS_SKB_MODE), -EBUSY, "generic XDP too");
	test__sh("pkill -f 'nltool bind-rx'");
	close(up);
	close(buf);
	/* the binding goes when the holder's netlink socket is released */
	for (i = 0; i < 100; i++) {
		err = xdp_set(x, fd, XDP_FLAGS_DRV_MODE);
		if (err != -EBUSY)
			break;
		usleep(100000);
	}
	ASSERT_OK(err, "XDP once the devmem binding is gone");
}

/* Headers readable, payload refused, on device frames; host frames readable. */
static void helpers(struct xt *x)
{
	struct xdp_mp__bss *b = x->skel->bss;
	struct bpf_mp_queue_get_rsp s;
	long long n;

	n = burst(x, 1, 32);
	ASSERT_GE(n, 30, "frames seen by XDP");
	ASSERT_EQ(b->dev_frames, n, "every frame has device frags");
	ASSERT_GE(b->dev_frags, n, "device frags counted");
	ASSERT_EQ(b->hdr_ok, n, "UDP header read by direct access");
	ASSERT_EQ(b->load_efault, n, "bpf_xdp_load_bytes: -EFAULT on payload");
	ASSERT_EQ(b->load_ok, 0, "no payload read");
	ASSERT_EQ(b->store_efault, n, "bpf_xdp_store_bytes: -EFAULT");
	ASSERT_EQ(b->dynptr_efault, n, "bpf_dynptr_read: -EFAULT");
	ASSERT_EQ(b->output_efault, n, "bpf_perf_event_output with payload: -EFAULT");
	ASSERT_EQ(b->pull_efault, n, "bpf_xdp_pull_data: -EFAULT");
	ASSERT_EQ(b->grow_refused, n, "tail cannot grow into device memory");
	ASSERT_EQ(b->hint_ok, n, "hints accepted on a bpfmp queue");
	s = mp_queue_stats(x->ys, x->ifindex, 1);
	ASSERT_EQ(s.hints_device, n, "queue counts the device hints");
	ASSERT_EQ(s.hints_host, 0, "no host hints");

	/* queue 0 has no bpfmp: host pages, readable, hints refused */
	n = burst(x, 0, 16);
	ASSERT_GE(n, 14, "frames seen on queue 0");
	ASSERT_EQ(b->host_frames, n, "host frames");
	ASSERT_EQ(b->load_ok, n, "payload readable in host frags");
	ASSERT_EQ(b->load_efault, 0, "no -EFAULT on host frags");
	ASSERT_EQ(b->hint_enodev, n, "hint on a non-bpfmp queue: -ENODEV");
}

/* UDP datagrams the receiver's stack got for a port nobody listens on. */
static long long udp_noports(void)
{
	char line[512];
	FILE *f = rx_proc_net("snmp");
	long long v = -1;

	if (!f)
		return -1;
	/* the second "Udp:" line holds the values: InDatagrams NoPorts ... */
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Udp: ", 5) && line[5] >= '0' && line[5] <= '9')
			sscanf(line + 5, "%*d %lld", &v);
	fclose(f);
	return v;
}

/* One verdict over @n device (queue 1) or host (queue 0) frames. */
struct verdict_run {
	long long seen, delivered, tx_dropped, rx_dropped;
};

static struct verdict_run run_verdict(struct xt *x, int verdict, int q, int n)
{
	struct xdp_mp__bss *b = x->skel->bss;
	long long up = udp_noports(), txd = rx_drops(x, true), rxd = rx_drops(x, false);
	struct verdict_run r;

	b->verdict = verdict;
	burst(x, q, n);
	r.seen = q ? b->dev_frames : b->host_frames;
	r.delivered = udp_noports() - up;
	r.tx_dropped = rx_drops(x, true) - txd;
	r.rx_dropped = rx_drops(x, false) - rxd;
	b->verdict = V_PASS;
	return r;
}

/*
 * Verdicts on device frames: PASS delivers, DROP drops, TX and REDIRECT
 * (cpumap, devmap) drop and count instead of sending device memory; host
 * frames redirected to a cpumap reach the stack.
 */
static void verdicts(struct xt *x)
{
	struct verdict_run r;

	r = run_verdict(x, V_PASS, 1, 16);
	ASSERT_GE(r.seen, 14, "PASS: device frames seen");
	ASSERT_EQ(r.delivered, r.seen, "PASS: delivered to the stack");

	r = run_verdict(x, V_DROP, 1, 16);
	ASSERT_GE(r.seen, 14, "DROP: device frames seen");
	ASSERT_EQ(r.delivered, 0, "DROP: none delivered");

	r = run_verdict(x, V_TX, 1, 16);
	ASSERT_GE(r.seen, 14, "TX: device frames seen");
	ASSERT_EQ(r.tx_dropped, r.seen, "TX of device memory: dropped, in tx_dropped");
	ASSERT_EQ(r.delivered, 0, "TX: none delivered");

	r = run_verdict(x, V_REDIRECT_CPU, 1, 16);
	ASSERT_GE(r.seen, 14, "cpumap: device frames seen");
	ASSERT_EQ(r.rx_dropped, r.seen, "cpumap refuses device memory: in rx_dropped");
	ASSERT_EQ(r.delivered, 0, "cpumap: none delivered");

	r = run_verdict(x, V_REDIRECT_DEV, 1, 16);
	ASSERT_GE(r.seen, 14, "devmap: device frames seen");
	ASSERT_EQ(r.rx_dropped, r.seen, "devmap refuses device memory: in rx_dropped");

	/* host frames go through the cpumap kthread up the stack */
	r = run_verdict(x, V_REDIRECT_CPU, 0, 16);
	ASSERT_GE(r.seen, 14, "cpumap: host frames seen");
	ASSERT_EQ(r.rx_dropped, 0, "host frames are not refused");
	ASSERT_EQ(r.delivered, r.seen, "cpumap: host frames delivered");
}

/* The XDP kfuncs are refused outside XDP programs. */
static void kfuncs_only_in_xdp(void)
{
	struct xdp_mp *skel = xdp_mp__open();

	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_program__set_autoload(skel->progs.tc_calls_xdp_kfunc, true);
	ASSERT_ERR(xdp_mp__load(skel), "tc program calling bpf_xdp_mp_device_frags loads");
	xdp_mp__destroy(skel);
}

/* Random verdicts and helper calls over frames mixing host and device frags. */
static void fuzz(struct xt *x, __u32 mode, const char *what)
{
	struct xdp_mp__bss *b = x->skel->bss;
	int fd = bpf_program__fd(x->skel->progs.xdp_probe);

	ASSERT_OK(xdp_set(x, -1, XDP_FLAGS_DRV_MODE), "XDP off");
	if (!ASSERT_OK(xdp_set(x, fd, mode), what))
		return;
	reset_counters(x);
	b->verdict = V_RANDOM;
	udp_send(test__slow() ? 300 : 1500, 0);
	usleep(test__slow() ? 2000000 : 500000);
	ASSERT_GT(b->fuzz_calls, test__slow() ? 100 : 500, "frames fuzzed");
	ASSERT_GT(b->dev_frames, 0, "some with device frags");
	b->verdict = V_PASS;
	ASSERT_OK(xdp_set(x, -1, mode), "XDP off");
}

/* After detach, pools drain and the dma-buf goes. */
static void nothing_left(struct xt *x)
{
	char out[256];

	ASSERT_OK(mp_detach(x->ys, x->ifindex, q1, 1), "detach queue 1");
	ASSERT_OK(mp_detach(x->ys, x->ifindex, q2, 1), "detach queue 2");
	close(x->dmabuf);
	close(x->dmabuf2);
	x->dmabuf = x->dmabuf2 = -1;
	ASSERT_OK(test__sh_out(out, sizeof(out),
			       "for i in $(seq 50); do " IN_RX NLTOOL " pools-all %s | grep -q 'detached 1' || break;"
			       " sleep 0.1; done; " IN_RX NLTOOL " pools-all %s",
			       x->p.rx_if, x->p.rx_if), "pool dump");
	ASSERT_FALSE(strstr(out, "detached 1"), "no pool left waiting for buffers");
	ASSERT_OK(mp_no_dmabufs_left(), "no dma-buf left");
}

void test_xdp_mp(void)
{
	struct xt x = { .dmabuf = -1, .dmabuf2 = -1 };
	unsigned int i;

	if (!ASSERT_OK(nsim_pair_create(&x.p, 31, NQ), "netdevsim pair"))
		return;
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s on 0", x.p.rx_if), "header split on");
	/* jumbo frames span several RX buffers: mixed frags under t_half */
	ASSERT_OK(test__sh(IN_RX "ip link set %s mtu 9000 && " IN_TX "ip link set %s mtu 9000",
			   x.p.rx_if, x.p.tx_if), "mtu 9000");
	x.pol = mp_policies__open_and_load();
	x.skel = xdp_mp__open();
	if (!ASSERT_OK_PTR(x.pol, "load policies") || !ASSERT_OK_PTR(x.skel, "open xdp_mp"))
		goto out;
	x.skel->rodata->hint = MP_HINT_DEVICE;
	if (!ASSERT_OK(xdp_mp__load(x.skel), "load xdp_mp"))
		goto out;
	x.links[0] = bpf_map__attach_struct_ops(x.pol->maps.t_device);
	x.links[1] = bpf_map__attach_struct_ops(x.pol->maps.t_half);
	for (i = 0; i < 2; i++)
		ASSERT_OK_PTR(x.links[i], "register policy");
	x.ys = mp_sock_rx(x.p.rx_if, &x.ifindex);
	x.dmabuf = udmabuf_create(4096);
	x.dmabuf2 = udmabuf_create(4096);
	if (!ASSERT_OK_PTR(x.ys, "bpf-mp genl socket") || !ASSERT_GE(x.dmabuf, 0, "udmabuf") ||
	    !ASSERT_GE(x.dmabuf2, 0, "udmabuf") || !ASSERT_OK(redirect_targets(&x), "redirect maps"))
		goto out;

	if (test__start_subtest("attach_orders"))
		attach_orders(&x);
	if (test__start_subtest("helpers"))
		helpers(&x);
	if (test__start_subtest("verdicts"))
		verdicts(&x);
	if (test__start_subtest("kfuncs_only_in_xdp"))
		kfuncs_only_in_xdp();
	if (test__start_subtest("fuzz_native")) {
		ASSERT_OK(mp_attach(x.ys, x.ifindex, "t_half", q2, 1, x.dmabuf2, false),
			  "mixed queue 2");
		ASSERT_OK(steer(&x, 2), "steer to the mixed queue");
		fuzz(&x, XDP_FLAGS_DRV_MODE, "native XDP");
	}
	if (test__start_subtest("fuzz_generic"))
		fuzz(&x, XDP_FLAGS_SKB_MODE, "generic XDP");
	if (test__start_subtest("nothing_left"))
		nothing_left(&x);
out:
	xdp_set(&x, -1, XDP_FLAGS_DRV_MODE);
	if (x.ys)
		ynl_sock_destroy(x.ys);
	nsim_pair_destroy(&x.p);
	if (x.dmabuf >= 0)
		close(x.dmabuf);
	if (x.dmabuf2 >= 0)
		close(x.dmabuf2);
	for (i = 0; i < 2; i++)
		bpf_link__destroy(x.links[i]);
	xdp_mp__destroy(x.skel);
	mp_policies__destroy(x.pol);
}
