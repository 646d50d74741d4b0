// SPDX-License-Identifier: GPL-2.0
/* bpf_mp_split() only means something in select: refused in init. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

u32 BPF_MP_POLICY(bad_split_select, select, struct bpf_mp_ctx *req)
{
	return BPF_MP_HOST;
}

int BPF_MP_POLICY(bad_split_init_prog, init, struct bpf_mp_ctx *req)
{
	return bpf_mp_split(req, 0);
}

SEC(".struct_ops.link")
struct bpf_mp_ops bad_split_init = {
	.select	= (void *)bad_split_select,
	.init	= (void *)bad_split_init_prog,
	.name	= "bad_split_init",
};
