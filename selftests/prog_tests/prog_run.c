// SPDX-License-Identifier: GPL-2.0
/* A BPF program loads and runs in this kernel (BPF_PROG_TEST_RUN). */
#include <linux/if_ether.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test_progs.h"
#include "xdp_count.skel.h"

static int run(struct xdp_count *skel, __u16 proto, __u32 *retval)
{
	unsigned char pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = sizeof(pkt),
		.repeat = 3,
	);
	int err;

	pkt[12] = proto >> 8;
	pkt[13] = proto & 0xff;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_count),
				     &opts);
	*retval = opts.retval;
	return err;
}

void test_prog_run(void)
{
	struct xdp_count *skel;
	__u32 ret;

	skel = xdp_count__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	ASSERT_OK(run(skel, ETH_P_IP, &ret), "run ipv4");
	ASSERT_EQ(ret, XDP_PASS, "ipv4 verdict");
	ASSERT_OK(run(skel, ETH_P_ARP, &ret), "run arp");
	ASSERT_EQ(ret, XDP_DROP, "arp verdict");
	ASSERT_EQ(skel->bss->ipv4_seen, 3, "ipv4 counted");
	ASSERT_EQ(skel->bss->other_seen, 3, "arp counted");
	xdp_count__destroy(skel);
}
