// SPDX-License-Identifier: GPL-2.0
/*
 * own_policy.bpf.c - the refill policy an application carries with it
 * (examples/own_policy/own_policy.c loads it through its skeleton).
 *
 * Device memory only while the application says it reads device memory
 * (want_device, which the loader flips at run time through the skeleton)
 * and more than min_free_pct % of the binding is free; host pages
 * otherwise.  An application that is not reading device memory yet, or
 * is falling behind, keeps its queue on host pages.
 */
#include "bpf_mp.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* set before load (.rodata): the loader's --min-free */
const volatile __u32 min_free_pct = 25;
/* set at any time (.bss): the loader's --device */
__u32 want_device;
/* read by the loader: refill batches seen, and those sent to device memory */
__u64 batches, device_batches;

u32 BPF_MP_POLICY(own_select, select, struct bpf_mp_ctx *req)
{
	__u64 total = bpf_mp_device_total(req);

	__sync_fetch_and_add(&batches, 1);
	if (!want_device || !total ||
	    bpf_mp_device_free(req) * 100 <= total * min_free_pct)
		return BPF_MP_HOST;
	__sync_fetch_and_add(&device_batches, 1);
	return BPF_MP_DEVICE;
}

SEC(".struct_ops.link")
struct bpf_mp_ops own_policy = {
	.select	= (void *)own_select,
	.name	= "own_policy",
};
