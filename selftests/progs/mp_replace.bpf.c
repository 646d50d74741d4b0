// SPDX-License-Identifier: GPL-2.0
/*
 * Policies for "mpctl attach --replace" (selftests/cli/replace.sh):
 * rep_host (host pages) and rep_dev (device memory) swap places on a
 * queue under traffic; rep_refuse's init refuses every queue, rep_half's
 * every queue from 2 up.  Each counts its inits, refusals, releases and
 * selects, and the selects of a queue it does not hold (before its init
 * of the queue returned, or after its release): the swap must never give
 * one.  The counters live in .data.rep, which the suite reads with
 * bpftool.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define REP_EXDEV	18
/* a queue id no queue has: a policy that takes every queue */
#define REP_ALL		0xffffffffU

static __always_inline __u64 qbit(const struct bpf_mp_ctx *req)
{
	return req->queue_id < 64 ? 1ULL << req->queue_id : 0;
}

/*
 * Policy rep_P: its select() answers @verdict, its init() takes the
 * queues below @takes and refuses the others.  Its counters, in
 * .data.rep: P_inits (accepted), P_refused, P_releases, P_selects,
 * P_unowned (selects of a queue it does not hold) and P_owned (the
 * queues it holds, a bit per queue id below 64).
 */
#define REP_POLICY(P, verdict, takes)					\
__u64 P##_inits SEC(".data.rep") = 0;					\
__u64 P##_refused SEC(".data.rep") = 0;					\
__u64 P##_releases SEC(".data.rep") = 0;				\
__u64 P##_selects SEC(".data.rep") = 0;					\
__u64 P##_unowned SEC(".data.rep") = 0;					\
__u64 P##_owned SEC(".data.rep") = 0;					\
									\
u32 BPF_MP_POLICY(rep_##P##_select, select, struct bpf_mp_ctx *req)	\
{									\
	__sync_fetch_and_add(&P##_selects, 1);				\
	if (!(P##_owned & qbit(req)))					\
		__sync_fetch_and_add(&P##_unowned, 1);			\
	return verdict;							\
}									\
									\
int BPF_MP_POLICY(rep_##P##_init, init, struct bpf_mp_ctx *req)		\
{									\
	if (req->queue_id >= (takes)) {					\
		__sync_fetch_and_add(&P##_refused, 1);			\
		return -REP_EXDEV;					\
	}								\
	__sync_fetch_and_or(&P##_owned, qbit(req));			\
	__sync_fetch_and_add(&P##_inits, 1);				\
	return 0;							\
}									\
									\
void BPF_MP_POLICY(rep_##P##_release, release, struct bpf_mp_ctx *req)	\
{									\
	__sync_fetch_and_and(&P##_owned, ~qbit(req));			\
	__sync_fetch_and_add(&P##_releases, 1);				\
}									\
									\
SEC(".struct_ops.link")							\
struct bpf_mp_ops rep_##P = {						\
	.select		= (void *)rep_##P##_select,			\
	.init		= (void *)rep_##P##_init,			\
	.release	= (void *)rep_##P##_release,			\
	.name		= "rep_" #P,					\
}

REP_POLICY(host, BPF_MP_HOST, REP_ALL);
REP_POLICY(dev, BPF_MP_DEVICE, REP_ALL);
/* takes no queue */
REP_POLICY(refuse, BPF_MP_DEVICE, 0);
/* takes queues 0 and 1 only */
REP_POLICY(half, BPF_MP_DEVICE, 2);
