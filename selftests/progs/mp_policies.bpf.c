// SPDX-License-Identifier: GPL-2.0
/* Refill policies with known, simple behaviour for the core tests. */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

/* queues 2 and up from device memory, the rest from host pages */
u32 BPF_MP_POLICY(t_upper_select, select, struct bpf_mp_ctx *req)
{
	return req->queue_id >= 2 ? BPF_MP_DEVICE : BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops t_upper = {
	.select	= (void *)t_upper_select,
	.name	= "t_upper",
};

/* every refill from device memory */
u32 BPF_MP_POLICY(t_device_select, select, struct bpf_mp_ctx *req)
{
	return BPF_MP_DEVICE;
}

SEC(".struct_ops.link")
struct bpf_mp_ops t_device = {
	.select	= (void *)t_device_select,
	.name	= "t_device",
};

/* half of each batch from device memory */
__u64 split_calls;

u32 BPF_MP_POLICY(t_half_select, select, struct bpf_mp_ctx *req)
{
	if (bpf_mp_split(req, req->count / 2))
		return BPF_MP_HOST;
	__sync_fetch_and_add(&split_calls, 1);
	return BPF_MP_SPLIT;
}

SEC(".struct_ops.link")
struct bpf_mp_ops t_half = {
	.select	= (void *)t_half_select,
	.name	= "t_half",
};

/* a verdict that is no backend: must be counted, not obeyed */
u32 BPF_MP_POLICY(t_garbage_select, select, struct bpf_mp_ctx *req)
{
	return 0x1234;
}

SEC(".struct_ops.link")
struct bpf_mp_ops t_garbage = {
	.select	= (void *)t_garbage_select,
	.name	= "t_garbage",
};
