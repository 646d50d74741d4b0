// SPDX-License-Identifier: GPL-2.0
/* XDP: drop ICMP over IPv4 and count it; pass everything else. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define ETH_P_IP	0x0800
#define IPPROTO_ICMP_	1

__u64 dropped;
__u64 passed;

SEC("xdp")
int xdp_drop_icmp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end)
		goto pass;
	if (eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_ICMP_) {
		__sync_fetch_and_add(&dropped, 1);
		return XDP_DROP;
	}
pass:
	__sync_fetch_and_add(&passed, 1);
	return XDP_PASS;
}
