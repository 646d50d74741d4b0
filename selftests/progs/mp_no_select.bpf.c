// SPDX-License-Identifier: GPL-2.0
/* A policy without the mandatory select(): the kernel must refuse it. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

int BPF_MP_POLICY(nosel_init, init, struct bpf_mp_ctx *req)
{
	return 0;
}

SEC(".struct_ops.link")
struct bpf_mp_ops st_no_select = {
	.init	= (void *)nosel_init,
	.name	= "st_no_select",
};
