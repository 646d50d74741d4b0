// SPDX-License-Identifier: GPL-2.0
/*
 * xdp.frags in generic mode on the GRO skbs of a devmem TCP stream: the
 * length XDP is told, bpf_xdp_get_buff_len(), must be what the linear part
 * and the frags hold, and bpf_xdp_adjust_tail() must stay within it.  A
 * GRO skb with a frag_list has more bytes than its frags: if XDP were run
 * on one, it would be told of bytes it cannot reach (over_frags) and a cut
 * by "all but the Ethernet header" would move data_end below data.
 *
 * Loaded by bpftool and attached with "ip link ... xdpgeneric", so what the
 * test sets (port, frame_max, frag_max, shrink_min, shrink_budget) lives in .data, and what it
 * reads in .bss, both readable by "bpftool map dump".
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define ETH_P_IP	0x0800
#define ETH_HLEN	14
#define EFAULT		14
__u32 port = 5790;		/* TCP destination port of the stream */
__u32 frame_max = 1514;		/* one frame at the MTU: longer is GRO */
__u32 frag_max = 1460;		/* payload of one frame at the MTU: one frag */
__u32 shrink_min = 11584;	/* cut only GRO skbs of 8 full frames or more */
__u32 shrink_budget = 32;	/* frames still to cut */
__u32 skb_frags = 17;		/* MAX_SKB_FRAGS: a GRO skb this full chains the next */

__u64 frames;		/* TCP to port with device frags */
__u64 merged;		/* of them longer than one frame: GRO */
__u64 max_len;		/* longest bpf_xdp_get_buff_len() seen */
__u64 full;		/* GRO skbs with skb_frags device frags */
__u64 over_frags;	/* more bytes past the linear part than the frags hold */
__u64 tail_read;	/* the last byte "read" from device memory */
__u64 shrunk;		/* frames cut */
__u64 shrink_err;	/* bpf_xdp_adjust_tail() failed */
__u64 below_data;	/* data_end < data after the cut */
__u64 shrink_bad;	/* length after the cut not what was asked */

static __u32 nth;

static bool ours(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP || ip->ihl != 5)
		return false;
	return tcp->dest == bpf_htons(port);
}

/*
 * Cut the tail: every other time by exactly what the frags should hold
 * (the linear part must stay as it is), else by all but the Ethernet
 * header (the most bpf_xdp_adjust_tail() accepts).
 */
static void cut(struct xdp_md *ctx, __u32 len, long linear)
{
	bool exact = shrunk & 1;
	__u32 want = exact ? linear : ETH_HLEN;
	long after;

	__sync_fetch_and_add(&shrunk, 1);
	if (bpf_xdp_adjust_tail(ctx, -(int)(len - want))) {
		__sync_fetch_and_add(&shrink_err, 1);
		return;
	}
	after = (long)ctx->data_end - (long)ctx->data;
	if (after < 0)
		__sync_fetch_and_add(&below_data, 1);
	if (after != want || bpf_xdp_get_buff_len(ctx) != want ||
	    bpf_xdp_mp_device_frags(ctx))
		__sync_fetch_and_add(&shrink_bad, 1);
}

SEC("xdp.frags")
int xdp_gro_frags(struct xdp_md *ctx)
{
	long linear = (long)ctx->data_end - (long)ctx->data;
	__u32 len = bpf_xdp_get_buff_len(ctx);
	__u8 byte;
	int nd;

	if (len <= linear)
		return XDP_PASS;
	nd = bpf_xdp_mp_device_frags(ctx);
	if (nd <= 0 || !ours(ctx))
		return XDP_PASS;

	__sync_fetch_and_add(&frames, 1);
	if (len > frame_max)
		__sync_fetch_and_add(&merged, 1);
	if (len > max_len)
		max_len = len;
	if (nd >= skb_frags)
		__sync_fetch_and_add(&full, 1);
	/* each frag is one frame's payload: more is a frag_list XDP cannot see */
	if (len - linear > (__u64)nd * frag_max)
		__sync_fetch_and_add(&over_frags, 1);
	/* every frag is device memory: the last byte cannot be read */
	if (bpf_xdp_load_bytes(ctx, len - 1, &byte, 1) != -EFAULT)
		__sync_fetch_and_add(&tail_read, 1);

	if (shrink_budget && len >= shrink_min && !(++nth % 2)) {
		shrink_budget--;
		cut(ctx, len, linear);
	}
	return XDP_PASS;
}
