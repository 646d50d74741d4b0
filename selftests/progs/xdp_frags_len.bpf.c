// SPDX-License-Identifier: GPL-2.0
/* xdp.frags: count frames whose data spans more than one buffer; pass all. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

__u64 frames;
__u64 multibuf;

SEC("xdp.frags")
int xdp_frags_len(struct xdp_md *ctx)
{
	__u64 linear = (long)ctx->data_end - (long)ctx->data;

	__sync_fetch_and_add(&frames, 1);
	if (bpf_xdp_get_buff_len(ctx) > linear)
		__sync_fetch_and_add(&multibuf, 1);
	return XDP_PASS;
}
