// SPDX-License-Identifier: GPL-2.0
/*
 * A policy reading past the documented fields of its context (where the
 * kernel once kept a pointer to its private queue state).
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

__u64 leaked;

u32 BPF_MP_POLICY(bad_ctx_read_select, select, struct bpf_mp_ctx *req)
{
	leaked = *(u64 *)((char *)req + 16);
	return BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops bad_ctx_read = {
	.select	= (void *)bad_ctx_read_select,
	.name	= "bad_ctx_read",
};
