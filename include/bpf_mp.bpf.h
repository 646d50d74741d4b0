/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_mp.bpf.h - what a bpfmp refill policy (struct_ops "bpf_mp_ops") or
 * an XDP program on a bpfmp queue needs: kernel types from vmlinux.h, the
 * libbpf helpers, kfunc declarations and small conveniences.
 *
 * A policy looks like:
 *
 *	u32 BPF_MP_POLICY(my_select, select, struct bpf_mp_ctx *req)
 *	{
 *		return req->queue_id >= 2 ? BPF_MP_DEVICE : BPF_MP_HOST;
 *	}
 *
 *	SEC(".struct_ops.link")
 *	struct bpf_mp_ops my_policy = {
 *		.select = (void *)my_select,
 *		.name	= "my_policy",
 *	};
 */
#ifndef BPFMP_BPF_H
#define BPFMP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#ifndef BPF_MP_POLICY
/*
 * Declare a struct_ops program for member @op of struct bpf_mp_ops.  The
 * arguments may not be called "ctx": BPF_PROG() uses that name itself.
 */
#define BPF_MP_POLICY(name, op, args...)				\
	SEC("struct_ops/" #op)						\
	BPF_PROG(name, ##args)
#endif

/*
 * Tunables that "mpctl policy set/show" and "mpctl apply" find by BTF, so
 * operators write names and numbers, never bytes.
 *
 * BPF_MP_TUNABLE(policy): on a global variable (a struct, an integer or an
 * enum) of a data section of its own, SEC(".data.POLICY"), whose
 * initializer is the default.  A struct's members are the keys, a scalar's
 * key is the variable's name:
 *
 *	struct wm_tunables {
 *		__u32 high BPF_MP_RANGE(0, 100);
 *	} wm_cfg SEC(".data.wm") BPF_MP_TUNABLE("wm") = { .high = 50 };
 *
 * BPF_MP_QUEUE_TUNABLE(policy, key): on a hash map keyed by a struct with
 * __u32 members "ifindex" and "queue_id" and valued by an integer or an
 * enum: one value per queue, "mpctl policy set POLICY eth1:2=VALUE".
 * Enum values are written by name, lower case, without the enumerators'
 * common prefix (MY_HOST -> "host").
 *
 * BPF_MP_RANGE(min, max): on a member, the values mpctl accepts.
 */
#define BPF_MP_TUNABLE(policy) \
	__attribute__((btf_decl_tag("bpf_mp_tunable:" policy)))
#define BPF_MP_QUEUE_TUNABLE(policy, key) \
	__attribute__((btf_decl_tag("bpf_mp_queue_tunable:" policy ":" key)))
#define BPF_MP_RANGE(min, max) \
	__attribute__((btf_decl_tag("bpf_mp_range:" #min ":" #max)))

/*
 * kfuncs for bpf_mp_ops programs.  @req is the context the program was
 * called with (select, init or release); the queue is req->ifindex and
 * req->queue_id.
 */

/**
 * bpf_mp_device_free() - device-memory buffers free in the queue's binding
 * @req: the policy's context
 *
 * Return: the number of free buffers of the dma-buf bound to the queue,
 * 0 if the queue has no device memory.
 */
extern __u64 bpf_mp_device_free(struct bpf_mp_ctx *req) __ksym;

/**
 * bpf_mp_device_total() - device-memory buffers in the queue's binding
 * @req: the policy's context
 *
 * Return: the size of the binding in buffers, 0 if the queue has none.
 */
extern __u64 bpf_mp_device_total(struct bpf_mp_ctx *req) __ksym;

/**
 * bpf_mp_stat() - read one of the queue's counters
 * @req: the policy's context
 * @counter: an &enum bpf_mp_stat_id
 *
 * Return: the counter's value; 0 for an unknown counter.
 */
extern __u64 bpf_mp_stat(struct bpf_mp_ctx *req, __u32 counter) __ksym;

/**
 * bpf_mp_split() - split this refill batch between device and host memory
 * @req: the select program's context
 * @device_count: buffers of the batch (of req->count) to take from device
 *	memory; the rest come from host pages
 *
 * Only meaningful from select, which must then return BPF_MP_SPLIT.
 *
 * Return: 0 on success, a negative errno (e.g. -EINVAL if @device_count
 * exceeds req->count).
 */
extern int bpf_mp_split(struct bpf_mp_ctx *req, __u32 device_count) __ksym;

/**
 * bpf_mp_hints() - how many frames XDP hinted one way on the queue
 * @req: the policy's context
 * @hint: an &enum bpf_mp_hint
 *
 * XDP programs on the queue hint frames with bpf_xdp_mp_hint().  The
 * count only grows: a policy keeps the value it saw last and takes the
 * difference to learn the recent traffic mix.
 *
 * Return: frames hinted @hint since the queue was attached; 0 for an
 * unknown hint.
 */
extern __u64 bpf_mp_hints(struct bpf_mp_ctx *req, __u32 hint) __ksym;

/*
 * kfuncs for XDP programs (the verifier refuses them in any other program
 * type).  On a bpfmp queue header split is always on, so the program must
 * be frags-aware, SEC("xdp.frags"): the headers are in the linear part,
 * the payload may be in frags of device memory.
 */

/**
 * bpf_xdp_mp_hint() - tell the queue's refill policy what a frame is
 * @ctx: the XDP program's context
 * @hint: an &enum bpf_mp_hint: BPF_MP_HINT_HOST for traffic the host
 *	reads, BPF_MP_HINT_DEVICE for traffic whose payload belongs in
 *	device memory
 *
 * Counts the hint on the bpfmp queue the frame arrived on; the policy
 * reads the counts with bpf_mp_hints() at its next refill.  The frame is
 * not changed.
 *
 * Return: 0; -EINVAL for an unknown @hint; -ENODEV if the frame's RX
 * queue has no bpfmp policy attached.
 */
extern int bpf_xdp_mp_hint(struct xdp_md *ctx, __u32 hint) __ksym;

/**
 * bpf_xdp_mp_device_frags() - how many of the frame's frags are device memory
 * @ctx: the XDP program's context
 *
 * Device-memory frags (net_iovs) cannot be read: bpf_xdp_load_bytes() and
 * friends fail with -EFAULT on them.  The linear part is always host
 * memory and readable by direct packet access.
 *
 * Return: the number of device-memory frags, 0 for a linear frame.
 */
extern int bpf_xdp_mp_device_frags(struct xdp_md *ctx) __ksym;

#endif /* BPFMP_BPF_H */
