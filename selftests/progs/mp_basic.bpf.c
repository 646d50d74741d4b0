// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal refill policy for the registration tests.  The variable and the
 * policy name match, so "bpftool struct_ops list" shows the policy name.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

u32 BPF_MP_POLICY(basic_select, select, struct bpf_mp_ctx *req)
{
	return req->queue_id & 1 ? BPF_MP_DEVICE : BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops st_basic = {
	.select	= (void *)basic_select,
	.name	= "st_basic",
};
