// SPDX-License-Identifier: GPL-2.0
/* A policy writing its (read-only) context. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

u32 BPF_MP_POLICY(bad_ctx_write_select, select, struct bpf_mp_ctx *req)
{
	req->count = 1;
	return BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops bad_ctx_write = {
	.select	= (void *)bad_ctx_write_select,
	.name	= "bad_ctx_write",
};
