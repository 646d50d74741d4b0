// SPDX-License-Identifier: GPL-2.0
/* An XDP program calling a bpf_mp_ops-only kfunc: the verifier must refuse. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

SEC("xdp")
int xdp_calls_mp_kfunc(struct xdp_md *ctx)
{
	return bpf_mp_device_free((struct bpf_mp_ctx *)ctx) ? XDP_PASS : XDP_DROP;
}
