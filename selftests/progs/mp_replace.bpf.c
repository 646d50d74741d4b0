// SPDX-License-Identifier: GPL-2.0
/*
 * Policies for "mpctl attach --replace" (selftests/cli/replace.sh):
 * rep_host (host pages) and rep_dev (device memory) swap places on a
 * queue under traffic; rep_refuse's init refuses every queue, rep_half's
 * every queue from 2 up.  Each counts its inits, releases and selects,
 * and the selects of a queue it does not hold (before its init of the
 * queue returned, or after its release): the swap must never give one.
 * The counters live in .data.rep, which the suite reads with bpftool.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define REP_EXDEV	18

/* per policy: inits (accepted), refusals, releases, selects, unowned */
__u64 host_inits SEC(".data.rep") = 0;
__u64 host_releases SEC(".data.rep") = 0;
__u64 host_selects SEC(".data.rep") = 0;
__u64 host_unowned SEC(".data.rep") = 0;
__u64 host_owned SEC(".data.rep") = 0;
__u64 dev_inits SEC(".data.rep") = 0;
__u64 dev_releases SEC(".data.rep") = 0;
__u64 dev_selects SEC(".data.rep") = 0;
__u64 dev_unowned SEC(".data.rep") = 0;
__u64 dev_owned SEC(".data.rep") = 0;
__u64 refuse_refused SEC(".data.rep") = 0;
__u64 refuse_releases SEC(".data.rep") = 0;
__u64 refuse_selects SEC(".data.rep") = 0;
__u64 half_inits SEC(".data.rep") = 0;
__u64 half_refused SEC(".data.rep") = 0;
__u64 half_releases SEC(".data.rep") = 0;
__u64 half_selects SEC(".data.rep") = 0;

static __always_inline __u64 qbit(const struct bpf_mp_ctx *req)
{
	return req->queue_id < 64 ? 1ULL << req->queue_id : 0;
}

/* rep_host */

u32 BPF_MP_POLICY(rep_host_select, select, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&host_selects, 1);
	if (!(host_owned & qbit(req)))
		__sync_fetch_and_add(&host_unowned, 1);
	return BPF_MP_HOST;
}

int BPF_MP_POLICY(rep_host_init, init, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_or(&host_owned, qbit(req));
	__sync_fetch_and_add(&host_inits, 1);
	return 0;
}

void BPF_MP_POLICY(rep_host_release, release, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_and(&host_owned, ~qbit(req));
	__sync_fetch_and_add(&host_releases, 1);
}

SEC(".struct_ops.link")
struct bpf_mp_ops rep_host = {
	.select		= (void *)rep_host_select,
	.init		= (void *)rep_host_init,
	.release	= (void *)rep_host_release,
	.name		= "rep_host",
};

/* rep_dev */

u32 BPF_MP_POLICY(rep_dev_select, select, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&dev_selects, 1);
	if (!(dev_owned & qbit(req)))
		__sync_fetch_and_add(&dev_unowned, 1);
	return BPF_MP_DEVICE;
}

int BPF_MP_POLICY(rep_dev_init, init, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_or(&dev_owned, qbit(req));
	__sync_fetch_and_add(&dev_inits, 1);
	return 0;
}

void BPF_MP_POLICY(rep_dev_release, release, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_and(&dev_owned, ~qbit(req));
	__sync_fetch_and_add(&dev_releases, 1);
}

SEC(".struct_ops.link")
struct bpf_mp_ops rep_dev = {
	.select		= (void *)rep_dev_select,
	.init		= (void *)rep_dev_init,
	.release	= (void *)rep_dev_release,
	.name		= "rep_dev",
};

/* rep_refuse: takes no queue */

u32 BPF_MP_POLICY(rep_refuse_select, select, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&refuse_selects, 1);
	return BPF_MP_DEVICE;
}

int BPF_MP_POLICY(rep_refuse_init, init, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&refuse_refused, 1);
	return -REP_EXDEV;
}

void BPF_MP_POLICY(rep_refuse_release, release, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&refuse_releases, 1);
}

SEC(".struct_ops.link")
struct bpf_mp_ops rep_refuse = {
	.select		= (void *)rep_refuse_select,
	.init		= (void *)rep_refuse_init,
	.release	= (void *)rep_refuse_release,
	.name		= "rep_refuse",
};

/* rep_half: takes queues 0 and 1 only */

u32 BPF_MP_POLICY(rep_half_select, select, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&half_selects, 1);
	return BPF_MP_DEVICE;
}

int BPF_MP_POLICY(rep_half_init, init, struct bpf_mp_ctx *req)
{
	if (req->queue_id >= 2) {
		__sync_fetch_and_add(&half_refused, 1);
		return -REP_EXDEV;
	}
	__sync_fetch_and_add(&half_inits, 1);
	return 0;
}

void BPF_MP_POLICY(rep_half_release, release, struct bpf_mp_ctx *req)
{
	__sync_fetch_and_add(&half_releases, 1);
}

SEC(".struct_ops.link")
struct bpf_mp_ops rep_half = {
	.select		= (void *)rep_half_select,
	.init		= (void *)rep_half_init,
	.release	= (void *)rep_half_release,
	.name		= "rep_half",
};
