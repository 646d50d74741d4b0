// SPDX-License-Identifier: GPL-2.0
/*
 * bpfmp: BPF-steered RX memory providers.
 *
 * A BPF program of struct_ops type "bpf_mp_ops" decides, once per RX refill
 * batch, whether a queue's ring is filled from host pages or from device
 * memory.  Policies are registered by name, like TCP congestion controls
 * and BPF qdiscs: registering makes the name available, attaching binds it
 * to queues.
 *
 * This file holds the policy registry; the refill path, the memory
 * provider and the netlink family build on it.
 */

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#define BPF_MP_NAME_MAX		16

/**
 * enum bpf_mp_backend - where a refill batch comes from
 * @BPF_MP_HOST: host pages from the queue's ordinary page_pool
 * @BPF_MP_DEVICE: net_iovs from the queue's device-memory binding
 */
enum bpf_mp_backend {
	BPF_MP_HOST	= 0,
	BPF_MP_DEVICE	= 1,
};

/**
 * struct bpf_mp_ctx - what a policy sees of one refill
 * @ifindex: the device
 * @queue_id: the RX queue being refilled
 * @count: buffers the driver asks for in this batch
 */
struct bpf_mp_ctx {
	u32 ifindex;
	u32 queue_id;
	u32 count;
};

/**
 * struct bpf_mp_ops - a refill policy
 * @select: called once per refill batch; returns an &enum bpf_mp_backend
 * @init: optional, called when the policy is attached to a queue
 * @release: optional, called when the policy leaves a queue
 * @name: unique name the policy is attached by
 * @list: kernel-private: link in the registry
 */
struct bpf_mp_ops {
	u32 (*select)(struct bpf_mp_ctx *ctx);
	int (*init)(struct bpf_mp_ctx *ctx);
	void (*release)(struct bpf_mp_ctx *ctx);
	char name[BPF_MP_NAME_MAX];

	struct list_head list;
};

static LIST_HEAD(bpf_mp_policies);
static DEFINE_SPINLOCK(bpf_mp_policies_lock);

static struct bpf_mp_ops *bpf_mp_find(const char *name)
{
	struct bpf_mp_ops *ops;

	list_for_each_entry_rcu(ops, &bpf_mp_policies, list,
				lockdep_is_held(&bpf_mp_policies_lock))
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

static int bpf_mp_register(struct bpf_mp_ops *ops)
{
	int err = 0;

	spin_lock(&bpf_mp_policies_lock);
	if (bpf_mp_find(ops->name)) {
		pr_notice("bpf_mp: policy %s already registered\n", ops->name);
		err = -EEXIST;
	} else {
		list_add_tail_rcu(&ops->list, &bpf_mp_policies);
	}
	spin_unlock(&bpf_mp_policies_lock);
	return err;
}

static void bpf_mp_unregister(struct bpf_mp_ops *ops)
{
	spin_lock(&bpf_mp_policies_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&bpf_mp_policies_lock);
	/* Readers walk the list under RCU; the struct_ops map frees @ops
	 * only after its own grace period.
	 */
}

/* struct_ops glue */

static int bpf_mp_ops_init(struct btf *btf)
{
	return 0;
}

static bool bpf_mp_is_valid_access(int off, int size, enum bpf_access_type type,
				   const struct bpf_prog *prog,
				   struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_verifier_ops bpf_mp_verifier_ops = {
	.get_func_proto		= bpf_base_func_proto,
	.is_valid_access	= bpf_mp_is_valid_access,
};

static int bpf_mp_init_member(const struct btf_type *t,
			      const struct btf_member *member,
			      void *kdata, const void *udata)
{
	const struct bpf_mp_ops *uops = udata;
	struct bpf_mp_ops *ops = kdata;

	switch (__btf_member_bit_offset(t, member) / 8) {
	case offsetof(struct bpf_mp_ops, name):
		if (bpf_obj_name_cpy(ops->name, uops->name,
				     sizeof(ops->name)) <= 0)
			return -EINVAL;
		return 1;
	}
	return 0;
}

static int bpf_mp_validate(void *kdata)
{
	struct bpf_mp_ops *ops = kdata;

	return ops->select ? 0 : -EINVAL;
}

static int bpf_mp_reg(void *kdata, struct bpf_link *link)
{
	return bpf_mp_register(kdata);
}

static void bpf_mp_unreg(void *kdata, struct bpf_link *link)
{
	bpf_mp_unregister(kdata);
}

static u32 bpf_mp_ops__select(struct bpf_mp_ctx *ctx)
{
	return BPF_MP_HOST;
}

static int bpf_mp_ops__init(struct bpf_mp_ctx *ctx)
{
	return 0;
}

static void bpf_mp_ops__release(struct bpf_mp_ctx *ctx)
{
}

static struct bpf_mp_ops __bpf_mp_ops_stubs = {
	.select		= bpf_mp_ops__select,
	.init		= bpf_mp_ops__init,
	.release	= bpf_mp_ops__release,
};

static struct bpf_struct_ops bpf_bpf_mp_ops = {
	.verifier_ops	= &bpf_mp_verifier_ops,
	.init		= bpf_mp_ops_init,
	.init_member	= bpf_mp_init_member,
	.validate	= bpf_mp_validate,
	.reg		= bpf_mp_reg,
	.unreg		= bpf_mp_unreg,
	.cfi_stubs	= &__bpf_mp_ops_stubs,
	.name		= "bpf_mp_ops",
	.owner		= THIS_MODULE,
};

static int __init bpf_mp_init(void)
{
	return register_bpf_struct_ops(&bpf_bpf_mp_ops, bpf_mp_ops);
}
late_initcall(bpf_mp_init);
