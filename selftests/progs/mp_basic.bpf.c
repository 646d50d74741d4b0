// SPDX-License-Identifier: GPL-2.0
/* Minimal refill policies used by the registration tests. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

u32 BPF_MP_POLICY(basic_select, select, struct bpf_mp_ctx *ctx)
{
	return ctx->queue_id & 1 ? BPF_MP_DEVICE : BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops basic = {
	.select	= (void *)basic_select,
	.name	= "st_basic",
};
