// SPDX-License-Identifier: GPL-2.0
/*
 * init/release bookkeeping: every init that succeeded must be paired with
 * one release; init refuses the queue named in refuse_queue.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

__u64 inits, releases, refused;
__u32 refuse_queue = ~0U;
/* a refill of a queue the policy refused, or of one it released */
__u64 selects_unowned;
__u64 owned_mask;

u32 BPF_MP_POLICY(life_select, select, struct bpf_mp_ctx *req)
{
	if (req->queue_id >= 64 || !(owned_mask & (1ULL << req->queue_id)))
		__sync_fetch_and_add(&selects_unowned, 1);
	return BPF_MP_HOST;
}

int BPF_MP_POLICY(life_init, init, struct bpf_mp_ctx *req)
{
	if (req->queue_id == refuse_queue) {
		__sync_fetch_and_add(&refused, 1);
		return -22;	/* -EINVAL */
	}
	if (req->queue_id < 64)
		__sync_fetch_and_or(&owned_mask, 1ULL << req->queue_id);
	__sync_fetch_and_add(&inits, 1);
	return 0;
}

void BPF_MP_POLICY(life_release, release, struct bpf_mp_ctx *req)
{
	if (req->queue_id < 64)
		__sync_fetch_and_and(&owned_mask, ~(1ULL << req->queue_id));
	__sync_fetch_and_add(&releases, 1);
}

SEC(".struct_ops.link")
struct bpf_mp_ops t_life = {
	.select		= (void *)life_select,
	.init		= (void *)life_init,
	.release	= (void *)life_release,
	.name		= "t_life",
};
