// SPDX-License-Identifier: GPL-2.0
/* A sleepable select: select runs in NAPI, the verifier must refuse it. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/select")
u32 BPF_PROG(bad_sleepable_select, struct bpf_mp_ctx *req)
{
	return BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops bad_sleepable = {
	.select	= (void *)bad_sleepable_select,
	.name	= "bad_sleepable",
};
