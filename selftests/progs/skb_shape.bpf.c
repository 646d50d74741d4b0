// SPDX-License-Identifier: GPL-2.0
/*
 * tc ingress: how the receiving driver built its skbs.  For frames with
 * more than a header's worth of bytes, count those whose payload sits in
 * frags (the linear part is shorter than the skb) and track the longest
 * linear part seen.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define TC_ACT_OK	0
#define BIG		512

__u64 big_skbs;
__u64 big_nonlinear;
__u64 max_linear;

SEC("tc")
int skb_shape(struct __sk_buff *skb)
{
	__u64 linear = skb->data_end - skb->data;

	if (skb->len < BIG)
		return TC_ACT_OK;
	__sync_fetch_and_add(&big_skbs, 1);
	if (linear < skb->len)
		__sync_fetch_and_add(&big_nonlinear, 1);
	if (linear > max_linear)
		max_linear = linear;
	return TC_ACT_OK;
}
