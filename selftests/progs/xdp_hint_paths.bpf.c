// SPDX-License-Identifier: GPL-2.0
/*
 * Hints from where they count and from where they must not: an XDP
 * program on the receiver hints every UDP frame to port 5510 and sends
 * frames to port 5511 on to a cpumap whose program hints too (it runs
 * on an rxq built on the stack, queue 0, whatever queue the frame came
 * from); the same program run by BPF_PROG_RUN.
 */
#include "bpf_mp.bpf.h"

#define ETH_P_IP	0x0800

char _license[] SEC("license") = "GPL";

__u64 rx_hinted, rx_refused, cpu_hinted, cpu_refused, run_hinted, run_refused;

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} hint_cpus SEC(".maps");

/* 0 if not UDP to a port; else the destination port */
static int udp_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return 0;
	return bpf_ntohs(udp->dest);
}

SEC("xdp.frags")
int hint_rx(struct xdp_md *ctx)
{
	int port = udp_port(ctx);

	if (port == 5510) {
		if (bpf_xdp_mp_hint(ctx, BPF_MP_HINT_DEVICE))
			__sync_fetch_and_add(&rx_refused, 1);
		else
			__sync_fetch_and_add(&rx_hinted, 1);
	}
	if (port == 5511)
		return bpf_redirect_map(&hint_cpus, 0, XDP_PASS);
	return XDP_PASS;
}

SEC("xdp.frags/cpumap")
int hint_cpu(struct xdp_md *ctx)
{
	if (bpf_xdp_mp_hint(ctx, BPF_MP_HINT_HOST))
		__sync_fetch_and_add(&cpu_refused, 1);
	else
		__sync_fetch_and_add(&cpu_hinted, 1);
	return XDP_DROP;
}

SEC("xdp")
int hint_run(struct xdp_md *ctx)
{
	if (bpf_xdp_mp_hint(ctx, BPF_MP_HINT_HOST))
		__sync_fetch_and_add(&run_refused, 1);
	else
		__sync_fetch_and_add(&run_hinted, 1);
	return XDP_PASS;
}
