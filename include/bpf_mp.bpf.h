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

#endif /* BPFMP_BPF_H */
