// SPDX-License-Identifier: GPL-2.0
/* Counts frames by EtherType; passes IPv4, drops the rest. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define ETH_P_IP 0x0800

__u64 ipv4_seen;
__u64 other_seen;

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		__sync_fetch_and_add(&ipv4_seen, 1);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&other_seen, 1);
	return XDP_DROP;
}
