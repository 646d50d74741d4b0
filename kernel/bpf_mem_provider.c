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
 * Pieces, in order: the policy registry (struct_ops), the per-queue
 * state, the memory provider that serves device memory to the queue's
 * bpfmp page_pool, the refill API drivers call, the policy kfuncs, the
 * XDP kfuncs that hint future refills, and the "bpf-mp" generic netlink
 * family that attaches queues.
 *
 * Locking: bpf_mp_mutex protects the registry, the queue list and every
 * queue's policy pointer updates.  The refill path (NAPI) reads the policy
 * under RCU and touches only its own queue's counters: NAPI serialises a
 * queue's refills, readers see each counter with READ_ONCE.  XDP finds
 * a queue through an RCU hash table keyed by its netdev_rx_queue; queues
 * are freed after a grace period.  Hint counters are written by XDP on
 * any CPU and are atomic.
 *
 * Policy names are global, like TCP congestion control names: queues of
 * every netns re-bind to whatever registers under their policy's name, so
 * registering takes CAP_NET_ADMIN in the initial user namespace.
 */

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/dma-buf.h>
#include <linux/error-injection.h>
#include <linux/filter.h>
#include <linux/genalloc.h>
#include <linux/hashtable.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/bpf_mp.h>
#include <net/netdev_lock.h>
#include <net/netdev_netlink.h>
#include <net/netdev_queues.h>
#include <net/netdev_rx_queue.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/memory_provider.h>
#include <net/sock.h>
#include <net/xdp.h>

#include "devmem.h"
#include "page_pool_priv.h"
#include "bpf_mp-nl-gen.h"

#define BPF_MP_NAME_MAX		16

/**
 * enum bpf_mp_backend - where a refill batch comes from (select()'s verdict)
 * @BPF_MP_HOST: host pages from the queue's ordinary page_pool
 * @BPF_MP_DEVICE: net_iovs from the queue's device-memory binding
 * @BPF_MP_SPLIT: as many buffers as bpf_mp_split() said from device
 *	memory, the rest from host pages
 */
enum bpf_mp_backend {
	BPF_MP_HOST	= 0,
	BPF_MP_DEVICE	= 1,
	BPF_MP_SPLIT	= 2,
};

/**
 * enum bpf_mp_stat_id - counters a policy can read with bpf_mp_stat()
 * @BPF_MP_STAT_REFILLS_HOST: refill batches served (partly) by host pages
 * @BPF_MP_STAT_REFILLS_DEVICE: refill batches served (partly) by device memory
 * @BPF_MP_STAT_BUFS_HOST: host buffers handed to the driver
 * @BPF_MP_STAT_BUFS_DEVICE: device buffers handed to the driver
 * @BPF_MP_STAT_FALLBACKS: buffers that fell back to host pages, all reasons
 * @BPF_MP_STAT_INFLIGHT_DEVICE: device buffers not free in the binding
 */
enum bpf_mp_stat_id {
	BPF_MP_STAT_REFILLS_HOST,
	BPF_MP_STAT_REFILLS_DEVICE,
	BPF_MP_STAT_BUFS_HOST,
	BPF_MP_STAT_BUFS_DEVICE,
	BPF_MP_STAT_FALLBACKS,
	BPF_MP_STAT_INFLIGHT_DEVICE,
};

/**
 * enum bpf_mp_hint - what an XDP program says a frame is (bpf_xdp_mp_hint())
 * @BPF_MP_HINT_HOST: traffic the host reads; host pages suit it
 * @BPF_MP_HINT_DEVICE: traffic whose payload belongs in device memory
 */
enum bpf_mp_hint {
	BPF_MP_HINT_HOST	= 0,
	BPF_MP_HINT_DEVICE	= 1,
};

struct bpf_mp_queue;

/**
 * struct bpf_mp_ctx - what a policy sees of one call (read-only)
 * @ifindex: the device, in its current netns
 * @queue_id: the RX queue
 * @count: buffers the driver asks for in this batch; 0 in init and release
 *
 * This is the whole BPF-visible type: the verifier refuses reads beyond
 * it and every write.  What the kernel keeps for the call lives in the
 * &struct bpf_mp_req around it.
 */
struct bpf_mp_ctx {
	u32 ifindex;
	u32 queue_id;
	u32 count;
};

/**
 * struct bpf_mp_req - one policy call, kernel side
 * @ctx: what the program gets; kfuncs find the request with container_of()
 * @split: device share set by bpf_mp_split()
 * @q: the queue
 * @pool: the device pool being refilled (select only), else NULL
 */
struct bpf_mp_req {
	struct bpf_mp_ctx ctx;
	u32 split;
	struct bpf_mp_queue *q;
	struct page_pool *pool;
};

static struct bpf_mp_req *bpf_mp_req_of(struct bpf_mp_ctx *ctx)
{
	return container_of(ctx, struct bpf_mp_req, ctx);
}

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

/**
 * struct bpf_mp_binding - a dma-buf binding shared by the queues of one attach
 * @owner: devmem's per-socket binding list, here one per binding: the list
 *	is only touched under @owner.lock, at bind and at the last put, and
 *	no other binding shares it, so a put from a workqueue (the last pool
 *	going away) never races with another attach's bind
 * @devmem: devmem's binding: the dma-buf's net_iovs and their genpool
 * @users: queues using it; the last one unbinds
 * @lock: protects @stack and @nfree (refills in NAPI, releases on any CPU)
 * @stack: the net_iovs no pool holds: bpfmp draws every one of them from
 *	devmem's genpool at bind time and gives them back at unbind, so a
 *	refill takes a batch under one lock instead of one genpool search
 *	per buffer
 * @nfree: entries in @stack, the exact free count (O(1))
 * @total: buffers in the binding
 */
struct bpf_mp_binding {
	struct netdev_nl_sock owner;
	struct net_devmem_dmabuf_binding *devmem;
	refcount_t users;
	spinlock_t lock;	/* protects @stack, @nfree */
	struct net_iov **stack;
	unsigned long nfree;
	unsigned long total;
};

enum bpf_mp_counter {
	BPF_MP_C_REFILLS_HOST,
	BPF_MP_C_REFILLS_DEVICE,
	BPF_MP_C_BUFS_HOST,
	BPF_MP_C_BUFS_DEVICE,
	BPF_MP_C_FB_NO_DEVICE,
	BPF_MP_C_FB_EXHAUSTED,
	BPF_MP_C_FB_NO_POLICY,
	BPF_MP_C_FB_INVALID,
	BPF_MP_C_STRICT_SHORT,
	BPF_MP_C_POOL_MISMATCH,
	BPF_MP_C_MAX,
};

/**
 * struct bpf_mp_queue - bpfmp state of one RX queue (the provider's mp_priv)
 * @list: link in bpf_mp_queues
 * @hnode: link in bpf_mp_by_rxq, for XDP
 * @rxq: the queue's netdev_rx_queue, bpf_mp_by_rxq's key
 * @rcu: frees the queue after XDP readers are done with it
 * @dev: the device (not referenced: the queue is detached before the
 *	device goes; only read while attached or from the device's NAPI)
 * @queue_id: RX queue index
 * @name: policy name; the policy may come and go under it, and replace
 *	changes it (both under bpf_mp_mutex)
 * @ops: the registered policy called @name, or NULL
 * @inited: the policy's init() succeeded and its release() is owed
 * @binding: device memory, or NULL
 * @strict: never fall back from device memory to host pages
 * @attached: false once detached (pools may still hold the queue)
 * @pool_lock: protects @pool
 * @pool: the queue's current device pool, for netlink's free count
 * @host_ok: the last host pool bpf_mp_refill() found to match the device pool
 * @want: device buffers the running refill still needs, for the provider's
 *	bulk draw, counted down by what it draws (buffers the pool's cache
 *	serves are not: at most one cache refill too many is drawn, and stays
 *	free in the cache); written and read in the refill context only
 * @refs: the attachment and each page_pool using the queue
 * @stats: counters, indexed by &enum bpf_mp_counter
 * @hints: XDP hints by &enum bpf_mp_hint, from any CPU
 */
struct bpf_mp_queue {
	struct list_head list;
	struct hlist_node hnode;
	const struct netdev_rx_queue *rxq;
	struct rcu_head rcu;
	struct net_device *dev;
	u32 queue_id;
	char name[BPF_MP_NAME_MAX];
	struct bpf_mp_ops __rcu *ops;
	bool inited;
	struct bpf_mp_binding *binding;
	bool strict;
	bool attached;
	spinlock_t pool_lock;	/* protects @pool */
	struct page_pool *pool;
	const struct page_pool *host_ok;
	unsigned int want;
	refcount_t refs;
	u64 stats[BPF_MP_C_MAX];
	atomic64_t hints[2];
};

static DEFINE_MUTEX(bpf_mp_mutex);
static LIST_HEAD(bpf_mp_policies);
static LIST_HEAD(bpf_mp_queues);
/* attached queues by netdev_rx_queue; written under bpf_mp_mutex */
static DEFINE_HASHTABLE(bpf_mp_by_rxq, 6);

static void bpf_mp_count(struct bpf_mp_queue *q, enum bpf_mp_counter c, u64 n)
{
	WRITE_ONCE(q->stats[c], q->stats[c] + n);
}

static u64 bpf_mp_counter_read(const struct bpf_mp_queue *q, enum bpf_mp_counter c)
{
	return READ_ONCE(q->stats[c]);
}

static struct bpf_mp_ops *bpf_mp_find(const char *name)
{
	struct bpf_mp_ops *ops;

	lockdep_assert_held(&bpf_mp_mutex);
	list_for_each_entry(ops, &bpf_mp_policies, list)
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

/* A policy call's request for @q outside a refill (init, release). */
static struct bpf_mp_req bpf_mp_req_for(struct bpf_mp_queue *q)
{
	return (struct bpf_mp_req) {
		.ctx = {
			.ifindex = READ_ONCE(q->dev->ifindex),
			.queue_id = q->queue_id,
		},
		.q = q,
	};
}

/* @ops's init() for @q: 0 if it takes the queue (or has no init). */
static int bpf_mp_call_init(struct bpf_mp_queue *q, struct bpf_mp_ops *ops)
{
	struct bpf_mp_req req = bpf_mp_req_for(q);

	lockdep_assert_held(&bpf_mp_mutex);
	return ops->init ? ops->init(&req.ctx) : 0;
}

/* @ops's release() for @q, owed by a bpf_mp_call_init() that returned 0. */
static void bpf_mp_call_release(struct bpf_mp_queue *q, struct bpf_mp_ops *ops)
{
	struct bpf_mp_req req = bpf_mp_req_for(q);

	lockdep_assert_held(&bpf_mp_mutex);
	if (ops->release)
		ops->release(&req.ctx);
}

/*
 * Give @q to @ops: init() first, so a policy that refuses the queue never
 * sees a refill of it.  Every successful init() is paired with exactly one
 * release() (bpf_mp_policy_release()), whether the queue is detached, the
 * device goes away, the policy is unregistered or replaced
 * (bpf_mp_nl_replace_doit(), which pairs them itself).
 */
static int bpf_mp_policy_init(struct bpf_mp_queue *q, struct bpf_mp_ops *ops)
{
	int err = bpf_mp_call_init(q, ops);

	q->inited = !err;
	return err;
}

static void bpf_mp_policy_release(struct bpf_mp_queue *q, struct bpf_mp_ops *ops)
{
	lockdep_assert_held(&bpf_mp_mutex);
	if (!q->inited)
		return;
	q->inited = false;
	bpf_mp_call_release(q, ops);
}

static int bpf_mp_register(struct bpf_mp_ops *ops)
{
	struct bpf_mp_queue *q;
	int err = 0;

	/* names are global: a user namespace may not claim one */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	mutex_lock(&bpf_mp_mutex);
	if (bpf_mp_find(ops->name)) {
		pr_notice("bpf_mp: policy %s already registered\n", ops->name);
		err = -EEXIST;
		goto out;
	}
	list_add_tail(&ops->list, &bpf_mp_policies);
	/* queues attached by name pick the policy up again, if it wants them */
	list_for_each_entry(q, &bpf_mp_queues, list) {
		if (strcmp(q->name, ops->name))
			continue;
		err = bpf_mp_policy_init(q, ops);
		if (err) {
			pr_notice("bpf_mp: policy %s refused queue %u of %s (%d)\n",
				  ops->name, q->queue_id, netdev_name(q->dev), err);
			err = 0;
			continue;
		}
		rcu_assign_pointer(q->ops, ops);
	}
out:
	mutex_unlock(&bpf_mp_mutex);
	return err;
}

static void bpf_mp_unregister(struct bpf_mp_ops *ops)
{
	struct bpf_mp_queue *q;

	mutex_lock(&bpf_mp_mutex);
	list_del(&ops->list);
	/* its queues fall back to host pages until it comes back */
	list_for_each_entry(q, &bpf_mp_queues, list)
		if (rcu_access_pointer(q->ops) == ops)
			RCU_INIT_POINTER(q->ops, NULL);
	/* no refill may still be running the policy when it is released */
	synchronize_rcu();
	list_for_each_entry(q, &bpf_mp_queues, list)
		if (!strcmp(q->name, ops->name))
			bpf_mp_policy_release(q, ops);
	mutex_unlock(&bpf_mp_mutex);
}

static void bpf_mp_binding_put(struct bpf_mp_binding *b)
{
	if (!b || !refcount_dec_and_test(&b->users))
		return;
	/* buffers still out (skbs, devmem tokens) keep devmem's binding
	 * alive through its own references; this only drops ours.  May run
	 * from page_pool's release worker: the list it edits is this
	 * binding's own, under its lock.
	 */
	/* every pool is gone, so every net_iov is back on the stack */
	WARN_ON_ONCE(b->nfree != b->total);
	while (b->nfree)
		net_devmem_free_dmabuf(b->stack[--b->nfree]);
	kvfree(b->stack);
	mutex_lock(&b->owner.lock);
	net_devmem_unbind_dmabuf(b->devmem);
	mutex_unlock(&b->owner.lock);
	mutex_destroy(&b->owner.lock);
	kfree(b);
}

static void bpf_mp_queue_put(struct bpf_mp_queue *q)
{
	if (!refcount_dec_and_test(&q->refs))
		return;
	bpf_mp_binding_put(q->binding);
	kfree_rcu(q, rcu);
}

/* Unlink a queue from bpfmp; pools that still use it keep it alive. */
static void bpf_mp_queue_release(struct bpf_mp_queue *q)
{
	struct bpf_mp_ops *ops;

	lockdep_assert_held(&bpf_mp_mutex);
	ops = rcu_dereference_protected(q->ops, lockdep_is_held(&bpf_mp_mutex));
	if (ops)
		bpf_mp_policy_release(q, ops);
	list_del(&q->list);
	hash_del_rcu(&q->hnode);
	RCU_INIT_POINTER(q->ops, NULL);
	q->attached = false;
	bpf_mp_queue_put(q);
}

/* The memory provider: device memory for the queue's bpfmp page_pool */

static int bpf_mp_pp_init(struct page_pool *pool)
{
	struct bpf_mp_queue *q = pool->mp_priv;

	if (!q)
		return -EINVAL;
	if (q->binding && pool->p.order)
		return -E2BIG;
	/* dma-buf addresses are not synced through the DMA API */
	pool->dma_sync = false;
	pool->dma_sync_for_cpu = false;
	refcount_inc(&q->refs);
	if (q->binding)
		net_devmem_dmabuf_binding_get(q->binding->devmem);
	/* a restart's new pool replaces the old one */
	spin_lock_bh(&q->pool_lock);
	q->pool = pool;
	spin_unlock_bh(&q->pool_lock);
	return 0;
}

#ifdef CONFIG_BPF_MP_BENCH
/* the bench compares the bulk draw with one net_iov per call */
static bool bpf_mp_bulk = true;
#else
#define bpf_mp_bulk true
#endif

/*
 * Called by page_pool only with its cache empty: draw what the running
 * refill still needs (@q->want, at most a cache refill's worth) from the
 * binding's stack under one lock, hand one back and put the rest in the
 * pool's cache for the same refill to take, as io_uring zcrx does.
 * fail_function may make it find nothing (faults.sh: a short device refill).
 */
static netmem_ref bpf_mp_pp_alloc(struct page_pool *pool, gfp_t gfp)
{
	struct bpf_mp_queue *q = pool->mp_priv;
	struct bpf_mp_binding *b = q->binding;
	struct net_iov *niovs[PP_ALLOC_CACHE_REFILL];
	unsigned int i, n;
	netmem_ref netmem;

	if (!b)
		return 0;
	n = bpf_mp_bulk ? clamp(q->want, 1U, (unsigned int)PP_ALLOC_CACHE_REFILL) : 1;
	spin_lock_bh(&b->lock);
	n = min_t(unsigned long, n, b->nfree);
	for (i = 0; i < n; i++)
		niovs[i] = b->stack[--b->nfree];
	spin_unlock_bh(&b->lock);
	if (!n)
		return 0;
	q->want -= min(q->want, n);
	for (i = 0; i < n; i++) {
		netmem = net_iov_to_netmem(niovs[i]);
		page_pool_set_pp_info(pool, netmem);
		pool->pages_state_hold_cnt++;
		if (i + 1 < n)
			net_mp_netmem_place_in_cache(pool, netmem);
	}
	return netmem;
}
ALLOW_ERROR_INJECTION(bpf_mp_pp_alloc, NULL);

static bool bpf_mp_pp_release(struct page_pool *pool, netmem_ref netmem)
{
	struct bpf_mp_queue *q = pool->mp_priv;

	if (WARN_ON_ONCE(!netmem_is_net_iov(netmem)))
		return false;
	page_pool_clear_pp_info(netmem);
	spin_lock_bh(&q->binding->lock);
	q->binding->stack[q->binding->nfree++] = netmem_to_net_iov(netmem);
	spin_unlock_bh(&q->binding->lock);
	/* net_iovs go back to the genpool, never to put_page() */
	return false;
}

static void bpf_mp_pp_destroy(struct page_pool *pool)
{
	struct bpf_mp_queue *q = pool->mp_priv;

	spin_lock_bh(&q->pool_lock);
	if (q->pool == pool)
		q->pool = NULL;
	spin_unlock_bh(&q->pool_lock);
	if (q->binding)
		net_devmem_dmabuf_binding_put(q->binding->devmem);
	bpf_mp_queue_put(q);
}

/*
 * netdev queue-get (@rxq set) and page-pool-get (@rxq NULL): the provider
 * is bpfmp (an empty bpf-mp nest, present on host-only queues too) and,
 * as devmem reports it, the id of the queue's dma-buf binding if it has
 * one.  The policy and the counters are in the bpf-mp family.
 */
static int bpf_mp_pp_nl_fill(void *mp_priv, struct sk_buff *rsp,
			     struct netdev_rx_queue *rxq)
{
	const struct bpf_mp_queue *q = mp_priv;
	int dmabuf = rxq ? NETDEV_A_QUEUE_DMABUF : NETDEV_A_PAGE_POOL_DMABUF;
	int nest = rxq ? NETDEV_A_QUEUE_BPF_MP : NETDEV_A_PAGE_POOL_BPF_MP;

	if (q->binding && nla_put_u32(rsp, dmabuf, q->binding->devmem->id))
		return -EMSGSIZE;
	return nla_put_empty_nest(rsp, nest);
}

/*
 * The device is going away with the queue still attached.  Its DMA
 * mapping goes now, while the device (and its IOMMU domain) still exist;
 * net_iovs still in sockets stay valid memory for the application until
 * it returns them, only the device may no longer write them.  The queue
 * forgets the provider, as after a close: @q may be freed (by RCU) before
 * @rxq is.
 */
static void bpf_mp_pp_uninstall(void *mp_priv, struct netdev_rx_queue *rxq)
{
	struct bpf_mp_queue *q = mp_priv;

	mutex_lock(&bpf_mp_mutex);
	if (q->binding)
		net_devmem_dmabuf_unmap(q->binding->devmem);
	if (q->attached)
		bpf_mp_queue_release(q);
	rxq->mp_params.mp_ops = NULL;
	rxq->mp_params.mp_priv = NULL;
	mutex_unlock(&bpf_mp_mutex);
}

static const struct memory_provider_ops bpf_mp_provider_ops = {
	.init		= bpf_mp_pp_init,
	.alloc_netmems	= bpf_mp_pp_alloc,
	.release_netmem	= bpf_mp_pp_release,
	.destroy	= bpf_mp_pp_destroy,
	.nl_fill	= bpf_mp_pp_nl_fill,
	.uninstall	= bpf_mp_pp_uninstall,
	/* XDP may run on the queue: the XDP core refuses device payload */
	.xdp_safe	= true,
};

/* The refill API */

/**
 * bpf_mp_pool_attached() - is this page_pool served by bpfmp?
 * @pool: a driver's RX page_pool created with PP_FLAG_ALLOW_UNREADABLE_NETMEM
 *
 * Return: true if the pool's queue is attached to bpfmp, so the driver
 * should fill the queue's ring with bpf_mp_refill().
 */
bool bpf_mp_pool_attached(const struct page_pool *pool)
{
	return pool && pool->mp_ops == &bpf_mp_provider_ops;
}
EXPORT_SYMBOL_GPL(bpf_mp_pool_attached);

/*
 * Host pages go into the slots the device pool's buffers would fill: the
 * host pool must be one made for payload, like the device pool (same page
 * order, buffers at least as long, same DMA direction and device, mapped
 * by the pool), not the header pool of a driver whose headers are small.
 */
static bool bpf_mp_pools_match(const struct page_pool *host,
			       const struct page_pool *device)
{
	return host && !host->mp_ops && host->dma_map &&
	       host->p.order == device->p.order &&
	       host->p.max_len >= device->p.max_len &&
	       host->p.dma_dir == device->p.dma_dir &&
	       host->p.dev == device->p.dev;
}

static unsigned int bpf_mp_fill(struct page_pool *pool, netmem_ref *bufs,
				unsigned int n, gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		bufs[i] = page_pool_alloc_netmems(pool, gfp);
		if (!bufs[i])
			break;
	}
	return i;
}

/*
 * From the device pool: when its cache runs dry, its provider draws what is
 * left of @n at once (@q->want, set once here rather than per buffer: the
 * loop is the steady-state hot path).
 */
static unsigned int bpf_mp_fill_device(struct bpf_mp_queue *q, struct page_pool *pool,
				       netmem_ref *bufs, unsigned int n, gfp_t gfp)
{
	unsigned int i;

	q->want = n;
	i = bpf_mp_fill(pool, bufs, n, gfp);
	q->want = 0;
	return i;
}

/* Ask the policy how many of @n buffers come from device memory. */
static unsigned int bpf_mp_select(struct bpf_mp_queue *q, struct page_pool *pool,
				  unsigned int n)
{
	struct bpf_mp_req req = {
		.ctx = {
			.ifindex = READ_ONCE(q->dev->ifindex),
			.queue_id = q->queue_id,
			.count = n,
		},
		.q = q,
		.pool = pool,
	};
	struct bpf_mp_ops *ops;
	unsigned int ndev = 0;
	u32 verdict;

	rcu_read_lock();
	ops = rcu_dereference(q->ops);
	if (!ops) {
		rcu_read_unlock();
		bpf_mp_count(q, BPF_MP_C_FB_NO_POLICY, n);
		return 0;
	}
	verdict = ops->select(&req.ctx);
	rcu_read_unlock();

	switch (verdict) {
	case BPF_MP_HOST:
		break;
	case BPF_MP_DEVICE:
		ndev = n;
		break;
	case BPF_MP_SPLIT:
		ndev = min(req.split, n);
		break;
	default:
		/* never trusted: counted and served from host pages */
		bpf_mp_count(q, BPF_MP_C_FB_INVALID, n);
		break;
	}
	return ndev;
}

/**
 * bpf_mp_refill() - get RX buffers for a bpfmp queue, as its policy says
 * @host: the queue's host page_pool (pages, DMA-mapped by the pool)
 * @device: the queue's bpfmp page_pool (bpf_mp_pool_attached() is true)
 * @bufs: where to store the buffers
 * @n: how many the driver wants
 * @gfp: allocation flags (GFP_ATOMIC from NAPI)
 *
 * Runs the queue's policy once for the batch and fills @bufs from device
 * memory, host pages, or both.  Device memory the policy wants but cannot
 * get is replaced by host pages and counted per reason, unless the queue
 * is strict: then the batch comes back short, like an empty ring.  Each
 * buffer belongs to the pool it came from (netmem_get_pp()); its DMA
 * address is page_pool_get_dma_addr_netmem().
 *
 * @host must be a pool made for payload like @device: same page order,
 * buffers at least @device's max_len, same DMA direction and device, no
 * memory provider.  Otherwise nothing is handed out, the refusal is
 * counted (netlink pool-mismatch) and logged: the ring stays short.
 *
 * Context: the queue's refill context (NAPI, or with NAPI disabled).
 * Return: the number of buffers stored in @bufs.
 */
unsigned int bpf_mp_refill(struct page_pool *host, struct page_pool *device,
			   netmem_ref *bufs, unsigned int n, gfp_t gfp)
{
	struct bpf_mp_queue *q;
	unsigned int ndev, got_dev = 0, got_host, want_host;

	if (WARN_ON_ONCE(!bpf_mp_pool_attached(device)))
		return 0;
	q = device->mp_priv;
	/* checked once per host pool: the refill context owns host_ok */
	if (unlikely(q->host_ok != host)) {
		if (!bpf_mp_pools_match(host, device)) {
			bpf_mp_count(q, BPF_MP_C_POOL_MISMATCH, n);
			net_warn_ratelimited("%s: bpfmp queue %u: host pool does not match the payload pool, refill refused\n",
					     netdev_name(q->dev), q->queue_id);
			return 0;
		}
		q->host_ok = host;
	}

	ndev = bpf_mp_select(q, device, n);
	if (ndev) {
		if (!q->binding) {
			bpf_mp_count(q, BPF_MP_C_FB_NO_DEVICE, ndev);
		} else {
			got_dev = bpf_mp_fill_device(q, device, bufs, ndev, gfp);
			bpf_mp_count(q, BPF_MP_C_REFILLS_DEVICE, !!got_dev);
			bpf_mp_count(q, BPF_MP_C_BUFS_DEVICE, got_dev);
			if (got_dev < ndev)
				bpf_mp_count(q, q->strict ? BPF_MP_C_STRICT_SHORT :
					     BPF_MP_C_FB_EXHAUSTED, ndev - got_dev);
		}
	}
	want_host = n - ndev;
	if (got_dev < ndev && !(q->strict && q->binding))
		want_host += ndev - got_dev;
	got_host = bpf_mp_fill(host, bufs + got_dev, want_host, gfp);
	bpf_mp_count(q, BPF_MP_C_REFILLS_HOST, !!got_host);
	bpf_mp_count(q, BPF_MP_C_BUFS_HOST, got_host);
	return got_dev + got_host;
}
EXPORT_SYMBOL_GPL(bpf_mp_refill);

/* kfuncs for policies */

/*
 * Device buffers the queue's pool got back from the stack (returned
 * tokens, freed skbs) and keeps in its ring and its alloc cache for the
 * next refills: free as far as the queue is concerned, though not in the
 * binding.  The ring is counted under both of its locks, in
 * ptr_ring_resize()'s order, so its indexes are stable and in range; the
 * alloc cache belongs to the refill context, which moves buffers from the
 * ring into it (up to PP_ALLOC_CACHE_REFILL at once): exact there, and a
 * snapshot that is exact whenever the queue is idle from anywhere else.
 */
static u64 bpf_mp_pool_recycled(struct page_pool *pool)
{
	struct ptr_ring *r = &pool->ring;
	int n;

	spin_lock_bh(&r->consumer_lock);
	spin_lock(&r->producer_lock);
	n = r->producer - r->consumer_head;
	if (n < 0 || (!n && r->size && r->queue[r->producer]))
		n += r->size;
	spin_unlock(&r->producer_lock);
	spin_unlock_bh(&r->consumer_lock);
	return n + READ_ONCE(pool->alloc.count);
}

/* Free device buffers: in the binding, plus recycled in @pool. */
static u64 bpf_mp_dev_free(const struct bpf_mp_queue *q, struct page_pool *pool)
{
	if (!q->binding)
		return 0;
	return READ_ONCE(q->binding->nfree) +
	       (pool ? bpf_mp_pool_recycled(pool) : 0);
}

/* What bpf_mp_device_free() tells the policy, outside a refill. */
static u64 bpf_mp_dev_free_all(struct bpf_mp_queue *q)
{
	u64 n;

	if (!q->binding)
		return 0;
	spin_lock_bh(&q->pool_lock);
	n = bpf_mp_dev_free(q, q->pool);
	spin_unlock_bh(&q->pool_lock);
	return n;
}

static u64 bpf_mp_dev_total(const struct bpf_mp_queue *q)
{
	return q->binding ? q->binding->total : 0;
}

__bpf_kfunc_start_defs();

/**
 * bpf_mp_device_free() - device-memory buffers available to the queue
 * @ctx: the policy's context
 *
 * Return: buffers free in the dma-buf binding serving the queue (shared
 * by the queues of one attach) plus those its device pool has recycled
 * into its ring for its next refills; 0 if the queue has no device memory.
 * O(1) in the binding's size.
 */
__bpf_kfunc u64 bpf_mp_device_free(struct bpf_mp_ctx *ctx)
{
	struct bpf_mp_req *req = bpf_mp_req_of(ctx);

	return req->pool ? bpf_mp_dev_free(req->q, req->pool) :
	       bpf_mp_dev_free_all(req->q);
}

/**
 * bpf_mp_device_total() - size of the queue's device memory, in buffers
 * @ctx: the policy's context
 *
 * Return: buffers in the dma-buf binding, 0 without device memory.
 */
__bpf_kfunc u64 bpf_mp_device_total(struct bpf_mp_ctx *ctx)
{
	return bpf_mp_dev_total(bpf_mp_req_of(ctx)->q);
}

/**
 * bpf_mp_stat() - read one of the queue's counters
 * @ctx: the policy's context
 * @counter: an &enum bpf_mp_stat_id
 *
 * Return: the counter's value, 0 for an unknown counter.
 */
__bpf_kfunc u64 bpf_mp_stat(struct bpf_mp_ctx *ctx, u32 counter)
{
	const struct bpf_mp_queue *q = bpf_mp_req_of(ctx)->q;

	switch (counter) {
	case BPF_MP_STAT_REFILLS_HOST:
		return bpf_mp_counter_read(q, BPF_MP_C_REFILLS_HOST);
	case BPF_MP_STAT_REFILLS_DEVICE:
		return bpf_mp_counter_read(q, BPF_MP_C_REFILLS_DEVICE);
	case BPF_MP_STAT_BUFS_HOST:
		return bpf_mp_counter_read(q, BPF_MP_C_BUFS_HOST);
	case BPF_MP_STAT_BUFS_DEVICE:
		return bpf_mp_counter_read(q, BPF_MP_C_BUFS_DEVICE);
	case BPF_MP_STAT_FALLBACKS:
		return bpf_mp_counter_read(q, BPF_MP_C_FB_NO_DEVICE) +
		       bpf_mp_counter_read(q, BPF_MP_C_FB_EXHAUSTED) +
		       bpf_mp_counter_read(q, BPF_MP_C_FB_NO_POLICY) +
		       bpf_mp_counter_read(q, BPF_MP_C_FB_INVALID);
	case BPF_MP_STAT_INFLIGHT_DEVICE:
		return bpf_mp_dev_total(q) - bpf_mp_device_free(ctx);
	}
	return 0;
}

/**
 * bpf_mp_split() - split this refill batch between device memory and host
 * @ctx: the select program's context (the verifier refuses other members)
 * @device_count: buffers to take from device memory, the rest from host
 *
 * Takes effect when select() then returns %BPF_MP_SPLIT.
 *
 * Return: 0, or -EINVAL if @device_count exceeds the batch.
 */
__bpf_kfunc int bpf_mp_split(struct bpf_mp_ctx *ctx, u32 device_count)
{
	if (device_count > ctx->count)
		return -EINVAL;
	bpf_mp_req_of(ctx)->split = device_count;
	return 0;
}

/**
 * bpf_mp_hints() - how many frames XDP hinted one way on this queue
 * @ctx: the policy's context
 * @hint: an &enum bpf_mp_hint
 *
 * XDP programs on the queue hint each frame with bpf_xdp_mp_hint(); the
 * queue counts hints of each kind since it was attached, from any CPU.
 * A policy keeps the values it saw last and compares to learn the recent
 * traffic mix.
 *
 * Return: the number of @hint hints, 0 for an unknown hint.
 */
__bpf_kfunc u64 bpf_mp_hints(struct bpf_mp_ctx *ctx, u32 hint)
{
	if (hint != BPF_MP_HINT_HOST && hint != BPF_MP_HINT_DEVICE)
		return 0;
	return atomic64_read(&bpf_mp_req_of(ctx)->q->hints[hint]);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(bpf_mp_kfunc_ids)
BTF_ID_FLAGS(func, bpf_mp_device_free)
BTF_ID_FLAGS(func, bpf_mp_device_total)
BTF_ID_FLAGS(func, bpf_mp_stat)
BTF_ID_FLAGS(func, bpf_mp_split)
BTF_ID_FLAGS(func, bpf_mp_hints)
BTF_KFUNCS_END(bpf_mp_kfunc_ids)

static struct bpf_struct_ops bpf_bpf_mp_ops;

BTF_ID_LIST_SINGLE(bpf_mp_split_id, func, bpf_mp_split)

/* Only bpf_mp_ops programs may call them, and split only from select. */
static int bpf_mp_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&bpf_mp_kfunc_ids, kfunc_id))
		return 0;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS ||
	    prog->aux->st_ops != &bpf_bpf_mp_ops)
		return -EACCES;
	if (kfunc_id == bpf_mp_split_id[0] &&
	    prog->aux->attach_st_ops_member_off != offsetof(struct bpf_mp_ops, select))
		return -EACCES;
	return 0;
}

static const struct btf_kfunc_id_set bpf_mp_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &bpf_mp_kfunc_ids,
	.filter	= bpf_mp_kfunc_filter,
};

/* kfuncs for XDP programs */

/* The bpfmp queue @xdp was received on, or NULL.  Caller holds RCU. */
static struct bpf_mp_queue *bpf_mp_xdp_queue(const struct xdp_buff *xdp)
{
	struct xdp_rxq_info *xrxq = xdp->rxq;
	const struct netdev_rx_queue *rxq;
	struct bpf_mp_queue *q;

	/* cpumap and devmap programs run on an rxq built on the stack, with
	 * queue_index 0 whatever queue the frame came from: not registered
	 */
	if (!xrxq || !xrxq->dev || !xdp_rxq_info_is_reg(xrxq) ||
	    xrxq->queue_index >= xrxq->dev->num_rx_queues)
		return NULL;
	rxq = __netif_get_rx_queue(xrxq->dev, xrxq->queue_index);
	hash_for_each_possible_rcu(bpf_mp_by_rxq, q, hnode, (unsigned long)rxq)
		if (q->rxq == rxq)
			return q;
	return NULL;
}

__bpf_kfunc_start_defs();

/**
 * bpf_xdp_mp_hint() - tell the refill policy what kind of traffic this is
 * @x: the XDP program's context
 * @hint: an &enum bpf_mp_hint
 *
 * Counts the hint on the bpfmp queue the frame was received on, where
 * the queue's policy reads it with bpf_mp_hints() at its next refill.
 * The frame itself is not changed.
 *
 * Only frames of a known RX queue count: a program run by a cpumap or a
 * devmap entry on an xdp_frame does not know the frame's queue and is
 * refused.  BPF_PROG_RUN counts on the queue it names (ingress_ifindex,
 * rx_queue_index), as a frame of that queue would.
 *
 * Return: 0; -EINVAL for an unknown @hint; -ENODEV if the frame's RX
 * queue has no bpfmp policy attached or the frame's queue is unknown.
 */
__bpf_kfunc int bpf_xdp_mp_hint(struct xdp_md *x, u32 hint)
{
	struct bpf_mp_queue *q;

	if (hint != BPF_MP_HINT_HOST && hint != BPF_MP_HINT_DEVICE)
		return -EINVAL;
	q = bpf_mp_xdp_queue((struct xdp_buff *)x);
	if (!q)
		return -ENODEV;
	atomic64_inc(&q->hints[hint]);
	return 0;
}

/**
 * bpf_xdp_mp_device_frags() - how many of the frame's frags are device memory
 * @x: the XDP program's context
 *
 * Device-memory frags cannot be read or written from XDP: helpers that
 * would touch their bytes fail with -EFAULT.  The linear part (headers,
 * with header split) is always host memory.
 *
 * Return: the number of frags backed by net_iovs, 0 for a linear frame.
 */
__bpf_kfunc int bpf_xdp_mp_device_frags(struct xdp_md *x)
{
	struct xdp_buff *xdp = (struct xdp_buff *)x;
	const struct skb_shared_info *sinfo;
	int i, n = 0;

	if (!xdp_buff_has_frags(xdp))
		return 0;
	sinfo = xdp_get_shared_info_from_buff(xdp);
	for (i = 0; i < sinfo->nr_frags; i++)
		n += netmem_is_net_iov(skb_frag_netmem(&sinfo->frags[i]));
	return n;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(bpf_mp_xdp_kfunc_ids)
BTF_ID_FLAGS(func, bpf_xdp_mp_hint)
BTF_ID_FLAGS(func, bpf_xdp_mp_device_frags)
BTF_KFUNCS_END(bpf_mp_xdp_kfunc_ids)

/* registered for BPF_PROG_TYPE_XDP only: the verifier refuses them elsewhere */
static const struct btf_kfunc_id_set bpf_mp_xdp_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &bpf_mp_xdp_kfunc_ids,
};

/* struct_ops glue */

static int bpf_mp_ops_init(struct btf *btf)
{
	return 0;
}

/*
 * The program's argument is a trusted pointer to struct bpf_mp_ctx, whose
 * BTF is all it may read (btf_struct_access() refuses reads past it, and
 * writes: no btf_struct_access callback here).
 */
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

/* select runs in the driver's refill path, in NAPI: it may not sleep. */
static int bpf_mp_check_member(const struct btf_type *t,
			       const struct btf_member *member,
			       const struct bpf_prog *prog)
{
	u32 off = __btf_member_bit_offset(t, member) / 8;

	if (prog->sleepable && off == offsetof(struct bpf_mp_ops, select))
		return -EINVAL;
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
	.check_member	= bpf_mp_check_member,
	.validate	= bpf_mp_validate,
	.reg		= bpf_mp_reg,
	.unreg		= bpf_mp_unreg,
	.cfi_stubs	= &__bpf_mp_ops_stubs,
	.name		= "bpf_mp_ops",
	.owner		= THIS_MODULE,
};

/* The "bpf-mp" netlink family */

/*
 * The allocations of an attach that bpfmp makes itself, each in a function
 * of its own so that fail_function can make exactly that one fail
 * (faults.sh): NULL is their only failure.
 */
static noinline struct bpf_mp_binding *bpf_mp_binding_alloc(void)
{
	struct bpf_mp_binding *b;

	return kzalloc_obj(*b, GFP_KERNEL);
}
ALLOW_ERROR_INJECTION(bpf_mp_binding_alloc, NULL);

static noinline struct net_iov **bpf_mp_stack_alloc(unsigned long n)
{
	return kvmalloc_array(n, sizeof(struct net_iov *), GFP_KERNEL);
}
ALLOW_ERROR_INJECTION(bpf_mp_stack_alloc, NULL);

static noinline struct bpf_mp_queue *bpf_mp_queue_alloc(void)
{
	struct bpf_mp_queue *q;

	return kzalloc_obj(*q, GFP_KERNEL);
}
ALLOW_ERROR_INJECTION(bpf_mp_queue_alloc, NULL);

static struct bpf_mp_queue *bpf_mp_rxq_queue(struct net_device *dev, u32 qid)
{
	struct netdev_rx_queue *rxq = __netif_get_rx_queue(dev, qid);

	if (rxq->mp_params.mp_ops != &bpf_mp_provider_ops)
		return NULL;
	return rxq->mp_params.mp_priv;
}

/* Collect the request's queue ids into @qids; all checked against @dev. */
static int bpf_mp_nl_queues(struct genl_info *info, struct net_device *dev,
			    u32 *qids, unsigned int *nq)
{
	const struct nlattr *attr;
	int rem;

	*nq = 0;
	nlmsg_for_each_attr_type(attr, BPF_MP_A_QUEUE_QUEUE_ID, info->nlhdr,
				 GENL_HDRLEN, rem) {
		u32 qid = nla_get_u32(attr);
		unsigned int i;

		if (qid >= dev->real_num_rx_queues) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
						"queue %u out of range (device has %u RX queues)",
						qid, dev->real_num_rx_queues);
			return -EINVAL;
		}
		for (i = 0; i < *nq; i++)
			if (qids[i] == qid) {
				NL_SET_ERR_MSG_ATTR(info->extack, attr,
						    "queue listed twice");
				return -EINVAL;
			}
		qids[(*nq)++] = qid;
	}
	if (!*nq) {
		NL_SET_ERR_MSG(info->extack, "no queue-id given");
		return -EINVAL;
	}
	return 0;
}

static struct net_device *bpf_mp_nl_dev(struct genl_info *info)
{
	struct net_device *dev;

	if (GENL_REQ_ATTR_CHECK(info, BPF_MP_A_QUEUE_IFINDEX))
		return ERR_PTR(-EINVAL);
	dev = netdev_get_by_index_lock(genl_info_net(info),
				       nla_get_u32(info->attrs[BPF_MP_A_QUEUE_IFINDEX]));
	if (!dev) {
		NL_SET_BAD_ATTR(info->extack, info->attrs[BPF_MP_A_QUEUE_IFINDEX]);
		return ERR_PTR(-ENODEV);
	}
	return dev;
}

/* What attach, detach and replace take from a request before they act. */
struct bpf_mp_nl_req {
	struct net_device *dev;
	struct bpf_mp_ops *ops;
	struct bpf_mp_queue **qs;
	u32 *qids;
	unsigned int nq;
};

static void bpf_mp_nl_req_end(struct bpf_mp_nl_req *req)
{
	kfree(req->qs);
	kfree(req->qids);
	mutex_unlock(&bpf_mp_mutex);
	netdev_unlock(req->dev);
}

/*
 * The common start of the queue ops: the device (its instance lock
 * taken, then bpf_mp_mutex), room for a queue id and a queue pointer per
 * RX queue, the registered policy the request names (only if @policy)
 * and the request's queue ids.  0 with both locks held, to be ended by
 * bpf_mp_nl_req_end(); or a negative errno, with an extack message where
 * one helps, and nothing held.
 */
static int bpf_mp_nl_req_begin(struct genl_info *info, bool policy,
			       struct bpf_mp_nl_req *req)
{
	int err;

	memset(req, 0, sizeof(*req));
	if (policy && GENL_REQ_ATTR_CHECK(info, BPF_MP_A_QUEUE_POLICY))
		return -EINVAL;

	/* lock order: the netdev instance lock, then bpf_mp_mutex */
	req->dev = bpf_mp_nl_dev(info);
	if (IS_ERR(req->dev))
		return PTR_ERR(req->dev);
	mutex_lock(&bpf_mp_mutex);
	req->qids = kcalloc(req->dev->real_num_rx_queues, sizeof(*req->qids),
			    GFP_KERNEL);
	req->qs = kcalloc(req->dev->real_num_rx_queues, sizeof(*req->qs),
			  GFP_KERNEL);
	err = -ENOMEM;
	if (!req->qids || !req->qs)
		goto err;
	if (policy) {
		req->ops = bpf_mp_find(nla_data(info->attrs[BPF_MP_A_QUEUE_POLICY]));
		if (!req->ops) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[BPF_MP_A_QUEUE_POLICY],
					    "no bpf_mp_ops policy registered under this name");
			err = -ENOENT;
			goto err;
		}
	}
	err = bpf_mp_nl_queues(info, req->dev, req->qids, &req->nq);
	if (err)
		goto err;
	return 0;

err:
	bpf_mp_nl_req_end(req);
	return err;
}

/*
 * Policy @ops refused queue @qid: its init() returned @err.  Says so in
 * the extack (its text is cut at 79 characters) and gives the errno of
 * the request: @err if it is one, else -EINVAL.
 */
static int bpf_mp_nl_refused(struct genl_info *info,
			     const struct bpf_mp_ops *ops, u32 qid, int err)
{
	NL_SET_ERR_MSG_FMT(info->extack,
			   "policy %s refused queue %u: its init returned %d",
			   ops->name, qid, err);
	return err < 0 && err >= -MAX_ERRNO ? err : -EINVAL;
}

/*
 * Map the dma-buf for the DMA device of the request's queues: all of them
 * must DMA through the same device (a multi-PF NIC may have queues behind
 * several), since the binding holds one mapping.
 */
static struct bpf_mp_binding *bpf_mp_nl_bind(struct genl_info *info,
					     struct net_device *dev,
					     const u32 *qids, unsigned int nq)
{
	struct net_devmem_dmabuf_binding *devmem;
	struct device *dma_dev, *other;
	struct bpf_mp_binding *b;
	struct dma_buf *dmabuf;
	unsigned int i;
	u32 fd;

	dma_dev = netdev_queue_get_dma_dev(dev, qids[0], NETDEV_QUEUE_TYPE_RX);
	if (!dma_dev) {
		NL_SET_ERR_MSG_FMT(info->extack, "queue %u has no DMA device", qids[0]);
		return ERR_PTR(-EOPNOTSUPP);
	}
	for (i = 1; i < nq; i++) {
		other = netdev_queue_get_dma_dev(dev, qids[i], NETDEV_QUEUE_TYPE_RX);
		if (other != dma_dev) {
			NL_SET_ERR_MSG_FMT(info->extack,
					   "queues %u and %u use different DMA devices (multi-PF device?): attach them separately",
					   qids[0], qids[i]);
			return ERR_PTR(-EOPNOTSUPP);
		}
	}
	/* devmem says only -EINVAL (or -EBADF) for an fd that is no dma-buf */
	fd = nla_get_u32(info->attrs[BPF_MP_A_QUEUE_DMABUF_FD]);
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, info->attrs[BPF_MP_A_QUEUE_DMABUF_FD],
					"dmabuf-fd %u is %s", fd,
					PTR_ERR(dmabuf) == -EBADF ? "not an open file" :
					"not a dma-buf");
		return ERR_CAST(dmabuf);
	}
	dma_buf_put(dmabuf);
	b = bpf_mp_binding_alloc();
	if (!b)
		return ERR_PTR(-ENOMEM);
	mutex_init(&b->owner.lock);
	INIT_LIST_HEAD(&b->owner.bindings);
	mutex_lock(&b->owner.lock);
	devmem = net_devmem_bind_dmabuf(dev, NULL, dma_dev, DMA_FROM_DEVICE, fd,
					PAGE_SHIFT, &b->owner, info->extack);
	mutex_unlock(&b->owner.lock);
	if (IS_ERR(devmem)) {
		mutex_destroy(&b->owner.lock);
		kfree(b);
		return ERR_CAST(devmem);
	}
	b->devmem = devmem;
	refcount_set(&b->users, 1);
	spin_lock_init(&b->lock);
	b->total = gen_pool_size(devmem->chunk_pool) >> PAGE_SHIFT;
	b->stack = bpf_mp_stack_alloc(b->total);
	if (!b->stack) {
		b->total = 0;
		bpf_mp_binding_put(b);
		return ERR_PTR(-ENOMEM);
	}
	/* bpfmp owns the free net_iovs from now on: one draw per buffer here,
	 * none in the refill path
	 */
	while (b->nfree < b->total) {
		struct net_iov *niov = net_devmem_alloc_dmabuf(devmem);

		if (WARN_ON_ONCE(!niov))
			break;
		b->stack[b->nfree++] = niov;
	}
	b->total = b->nfree;
	return b;
}

int bpf_mp_nl_attach_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct bpf_mp_binding *binding = NULL;
	struct pp_memory_provider_params mp = { .mp_ops = &bpf_mp_provider_ops };
	struct bpf_mp_nl_req req;
	struct net_device *dev;
	struct bpf_mp_ops *ops;
	unsigned int i;
	int err;

	err = bpf_mp_nl_req_begin(info, true, &req);
	if (err)
		return err;
	dev = req.dev;
	ops = req.ops;
	if (!netdev_need_ops_lock(dev) || !dev->queue_mgmt_ops) {
		NL_SET_ERR_MSG(info->extack, "driver cannot restart queues (no queue API)");
		err = -EOPNOTSUPP;
		goto out_free;
	}
	/* the queue API alone is not enough: the driver's payload refill
	 * must ask bpfmp (docs/drivers.md), or the policy never runs
	 */
	if (!(dev->queue_mgmt_ops->supported_params & QCFG_RX_BPF_MP)) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "driver %s does not refill RX through bpf_mp_refill() (not a bpfmp driver)",
				   dev->dev.parent && dev->dev.parent->driver ?
				   dev->dev.parent->driver->name : netdev_name(dev));
		err = -EOPNOTSUPP;
		goto out_free;
	}
	for (i = 0; i < req.nq; i++) {
		if (bpf_mp_rxq_queue(dev, req.qids[i])) {
			NL_SET_ERR_MSG_FMT(info->extack, "queue %u already attached",
					   req.qids[i]);
			err = -EBUSY;
			goto out_free;
		}
	}
	if (info->attrs[BPF_MP_A_QUEUE_DMABUF_FD]) {
		binding = bpf_mp_nl_bind(info, dev, req.qids, req.nq);
		if (IS_ERR(binding)) {
			err = PTR_ERR(binding);
			binding = NULL;
			goto out_free;
		}
	}

	for (i = 0; i < req.nq; i++) {
		struct bpf_mp_queue *q = bpf_mp_queue_alloc();

		if (!q) {
			err = -ENOMEM;
			goto out_rollback;
		}
		q->dev = dev;
		q->queue_id = req.qids[i];
		strscpy(q->name, ops->name);
		rcu_assign_pointer(q->ops, ops);
		q->strict = info->attrs[BPF_MP_A_QUEUE_FLAGS] &&
			    (nla_get_u32(info->attrs[BPF_MP_A_QUEUE_FLAGS]) &
			     BPF_MP_ATTACH_FLAGS_STRICT);
		if (binding) {
			refcount_inc(&binding->users);
			q->binding = binding;
		}
		refcount_set(&q->refs, 1);
		spin_lock_init(&q->pool_lock);
		q->attached = true;
		/* before the queue is live: a policy that refuses it fails
		 * the attach before any refill
		 */
		err = bpf_mp_policy_init(q, ops);
		if (err) {
			err = bpf_mp_nl_refused(info, ops, req.qids[i], err);
			bpf_mp_queue_put(q);
			goto out_rollback;
		}
		mp.mp_priv = q;
		/* restarts the queue: the driver's new pools pick up q */
		err = netif_mp_open_rxq(dev, req.qids[i], &mp, info->extack);
		if (err) {
			bpf_mp_policy_release(q, ops);
			bpf_mp_queue_put(q);
			goto out_rollback;
		}
		list_add_tail(&q->list, &bpf_mp_queues);
		q->rxq = __netif_get_rx_queue(dev, req.qids[i]);
		hash_add_rcu(bpf_mp_by_rxq, &q->hnode, (unsigned long)q->rxq);
		req.qs[i] = q;
	}
	err = 0;
	goto out_free;

out_rollback:
	while (i--) {
		mp.mp_priv = req.qs[i];
		netif_mp_close_rxq(dev, req.qids[i], &mp);
		bpf_mp_queue_release(req.qs[i]);
	}
out_free:
	bpf_mp_binding_put(binding);
	bpf_mp_nl_req_end(&req);
	return err;
}

int bpf_mp_nl_detach_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pp_memory_provider_params mp = { .mp_ops = &bpf_mp_provider_ops };
	struct bpf_mp_nl_req req;
	unsigned int i;
	int err;

	err = bpf_mp_nl_req_begin(info, false, &req);
	if (err)
		return err;
	for (i = 0; i < req.nq; i++) {
		req.qs[i] = bpf_mp_rxq_queue(req.dev, req.qids[i]);
		if (!req.qs[i]) {
			NL_SET_ERR_MSG_FMT(info->extack, "queue %u is not attached",
					   req.qids[i]);
			err = -ENOENT;
			goto out;
		}
	}
	for (i = 0; i < req.nq; i++) {
		mp.mp_priv = req.qs[i];
		netif_mp_close_rxq(req.dev, req.qids[i], &mp);
		bpf_mp_queue_release(req.qs[i]);
	}
out:
	bpf_mp_nl_req_end(&req);
	return err;
}

/**
 * bpf_mp_nl_replace_doit() - swap the policy of attached queues in place
 * @skb: the request
 * @info: its attributes: ifindex, the queue ids, the new policy's name
 *
 * Like tc's "qdisc replace", for queues that are attached: they are not
 * restarted, so their page_pools, their dma-buf binding and their
 * counters stay, and the next refill batch is the new policy's.  The
 * order keeps the rule that every select() of a policy on a queue runs
 * between its init() and its release() for that queue, with no refill
 * left without a policy:
 *
 * 1. the new policy's init() for every queue; one that refuses fails the
 *    request, after release() for the queues it had taken, and every
 *    queue stays on its old policy;
 * 2. each queue's policy pointer goes from the old policy to the new one
 *    with rcu_assign_pointer(): a refill (NAPI, under RCU) runs one or
 *    the other, never none;
 * 3. once a grace period has passed no select() of the old policy is
 *    running on these queues, and its release() runs for each.
 *
 * A queue already on the policy is left alone (no init, no release).  A
 * queue whose policy was unregistered (host pages, fallback-no-policy)
 * owes no release.  Lock order as attach: the netdev instance lock, then
 * bpf_mp_mutex; holding it also keeps the old policy registered (its
 * unregister waits for the mutex) until its release() has returned.
 *
 * Context: process context; the op needs CAP_NET_ADMIN (admin-perm).
 * Return: 0, or a negative errno with an extack message.
 */
int bpf_mp_nl_replace_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct bpf_mp_nl_req req;
	struct bpf_mp_queue **qs;
	struct bpf_mp_ops **old;
	struct bpf_mp_ops *ops;
	bool swapped = false;
	unsigned int i;
	int err;

	err = bpf_mp_nl_req_begin(info, true, &req);
	if (err)
		return err;
	qs = req.qs;
	ops = req.ops;
	old = kcalloc(req.nq, sizeof(*old), GFP_KERNEL);
	err = -ENOMEM;
	if (!old)
		goto out;
	for (i = 0; i < req.nq; i++) {
		qs[i] = bpf_mp_rxq_queue(req.dev, req.qids[i]);
		if (!qs[i]) {
			NL_SET_ERR_MSG_FMT(info->extack,
					   "queue %u is not attached: replace only changes attached queues",
					   req.qids[i]);
			err = -ENOENT;
			goto out;
		}
		/* NULL if its policy was unregistered: no release owed */
		old[i] = rcu_dereference_protected(qs[i]->ops,
						   lockdep_is_held(&bpf_mp_mutex));
		WARN_ON_ONCE(old[i] && !qs[i]->inited);
	}

	/* 1: the new policy takes every queue, or none */
	for (i = 0; i < req.nq; i++) {
		if (old[i] == ops)
			continue;
		err = bpf_mp_call_init(qs[i], ops);
		if (!err)
			continue;
		err = bpf_mp_nl_refused(info, ops, req.qids[i], err);
		/* it never ran select() on them: release() pairs each init() */
		while (i--)
			if (old[i] != ops)
				bpf_mp_call_release(qs[i], ops);
		goto out;
	}

	/* 2: every refill from now on is the new policy's */
	for (i = 0; i < req.nq; i++) {
		if (old[i] == ops)
			continue;
		rcu_assign_pointer(qs[i]->ops, ops);
		strscpy(qs[i]->name, ops->name);
		qs[i]->inited = true;
		swapped = true;
	}

	/* 3: the old policies' last select() has returned; release them */
	if (swapped)
		synchronize_rcu();
	for (i = 0; i < req.nq; i++)
		if (old[i] && old[i] != ops)
			bpf_mp_call_release(qs[i], old[i]);
	err = 0;
out:
	kfree(old);
	bpf_mp_nl_req_end(&req);
	return err;
}

static int bpf_mp_nl_fill_queue(struct sk_buff *rsp, const struct genl_info *info,
				struct bpf_mp_queue *q)
{
	static const u16 attr_of[] = {
		[BPF_MP_C_REFILLS_HOST]		= BPF_MP_A_QUEUE_REFILLS_HOST,
		[BPF_MP_C_REFILLS_DEVICE]	= BPF_MP_A_QUEUE_REFILLS_DEVICE,
		[BPF_MP_C_BUFS_HOST]		= BPF_MP_A_QUEUE_BUFS_HOST,
		[BPF_MP_C_BUFS_DEVICE]		= BPF_MP_A_QUEUE_BUFS_DEVICE,
		[BPF_MP_C_FB_NO_DEVICE]		= BPF_MP_A_QUEUE_FALLBACK_NO_DEVICE,
		[BPF_MP_C_FB_EXHAUSTED]		= BPF_MP_A_QUEUE_FALLBACK_EXHAUSTED,
		[BPF_MP_C_FB_NO_POLICY]		= BPF_MP_A_QUEUE_FALLBACK_NO_POLICY,
		[BPF_MP_C_FB_INVALID]		= BPF_MP_A_QUEUE_FALLBACK_INVALID,
		[BPF_MP_C_STRICT_SHORT]		= BPF_MP_A_QUEUE_STRICT_SHORT,
		[BPF_MP_C_POOL_MISMATCH]	= BPF_MP_A_QUEUE_POOL_MISMATCH,
	};
	unsigned int c;
	void *hdr;

	hdr = genlmsg_iput(rsp, info);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(rsp, BPF_MP_A_QUEUE_IFINDEX, q->dev->ifindex) ||
	    nla_put_u32(rsp, BPF_MP_A_QUEUE_QUEUE_ID, q->queue_id) ||
	    nla_put_string(rsp, BPF_MP_A_QUEUE_POLICY, q->name) ||
	    nla_put_u32(rsp, BPF_MP_A_QUEUE_FLAGS,
			q->strict ? BPF_MP_ATTACH_FLAGS_STRICT : 0) ||
	    (q->binding && nla_put_u32(rsp, BPF_MP_A_QUEUE_DMABUF_ID,
				       q->binding->devmem->id)) ||
	    nla_put_uint(rsp, BPF_MP_A_QUEUE_DEVICE_FREE, bpf_mp_dev_free_all(q)) ||
	    nla_put_uint(rsp, BPF_MP_A_QUEUE_DEVICE_TOTAL, bpf_mp_dev_total(q)) ||
	    nla_put_uint(rsp, BPF_MP_A_QUEUE_HINTS_HOST,
			 atomic64_read(&q->hints[BPF_MP_HINT_HOST])) ||
	    nla_put_uint(rsp, BPF_MP_A_QUEUE_HINTS_DEVICE,
			 atomic64_read(&q->hints[BPF_MP_HINT_DEVICE])))
		goto err_cancel;
	for (c = 0; c < ARRAY_SIZE(attr_of); c++)
		if (nla_put_uint(rsp, attr_of[c], bpf_mp_counter_read(q, c)))
			goto err_cancel;
	genlmsg_end(rsp, hdr);
	return 0;
err_cancel:
	genlmsg_cancel(rsp, hdr);
	return -EMSGSIZE;
}

int bpf_mp_nl_queue_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct bpf_mp_queue *q = NULL, *it;
	struct sk_buff *rsp;
	u32 ifindex, qid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, BPF_MP_A_QUEUE_IFINDEX) ||
	    GENL_REQ_ATTR_CHECK(info, BPF_MP_A_QUEUE_QUEUE_ID))
		return -EINVAL;
	ifindex = nla_get_u32(info->attrs[BPF_MP_A_QUEUE_IFINDEX]);
	qid = nla_get_u32(info->attrs[BPF_MP_A_QUEUE_QUEUE_ID]);
	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	mutex_lock(&bpf_mp_mutex);
	list_for_each_entry(it, &bpf_mp_queues, list)
		if (it->dev->ifindex == ifindex && it->queue_id == qid &&
		    net_eq(dev_net(it->dev), genl_info_net(info)))
			q = it;
	err = q ? bpf_mp_nl_fill_queue(rsp, info, q) : -ENOENT;
	mutex_unlock(&bpf_mp_mutex);
	if (err) {
		if (err == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "queue is not attached to bpfmp");
		nlmsg_free(rsp);
		return err;
	}
	return genlmsg_reply(rsp, info);
}

int bpf_mp_nl_queue_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	unsigned long *skip = (unsigned long *)cb->ctx;
	struct bpf_mp_queue *q;
	unsigned long n = 0;
	u32 ifindex = 0;
	int err = 0;

	if (info->attrs[BPF_MP_A_QUEUE_IFINDEX])
		ifindex = nla_get_u32(info->attrs[BPF_MP_A_QUEUE_IFINDEX]);
	mutex_lock(&bpf_mp_mutex);
	list_for_each_entry(q, &bpf_mp_queues, list) {
		if (!net_eq(dev_net(q->dev), sock_net(skb->sk)) ||
		    (ifindex && q->dev->ifindex != ifindex))
			continue;
		if (n++ < *skip)
			continue;
		err = bpf_mp_nl_fill_queue(skb, info, q);
		if (err)
			break;
		(*skip)++;
	}
	mutex_unlock(&bpf_mp_mutex);
	return err;
}

int bpf_mp_nl_policy_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	unsigned long *skip = (unsigned long *)cb->ctx;
	struct bpf_mp_ops *ops;
	struct bpf_mp_queue *q;
	unsigned long n = 0;
	int err = 0;

	mutex_lock(&bpf_mp_mutex);
	list_for_each_entry(ops, &bpf_mp_policies, list) {
		unsigned int users = 0;
		void *hdr;

		if (n++ < *skip)
			continue;
		/* the name is global, its users are counted per netns */
		list_for_each_entry(q, &bpf_mp_queues, list)
			users += rcu_access_pointer(q->ops) == ops &&
				 net_eq(dev_net(q->dev), sock_net(skb->sk));
		hdr = genlmsg_iput(skb, info);
		if (!hdr ||
		    nla_put_string(skb, BPF_MP_A_POLICY_NAME, ops->name) ||
		    nla_put_uint(skb, BPF_MP_A_POLICY_QUEUES, users)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		(*skip)++;
	}
	mutex_unlock(&bpf_mp_mutex);
	return err;
}

static int __init bpf_mp_init(void)
{
	int err;

	/* policy and XDP authors get the hint values from vmlinux.h */
	BTF_TYPE_EMIT_ENUM(BPF_MP_HINT_DEVICE);
	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &bpf_mp_kfunc_set);
	err = err ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &bpf_mp_xdp_kfunc_set);
	err = err ?: register_bpf_struct_ops(&bpf_bpf_mp_ops, bpf_mp_ops);
	err = err ?: genl_register_family(&bpf_mp_nl_family);
	return err;
}
late_initcall(bpf_mp_init);

#ifdef CONFIG_BPF_MP_BENCH
/*
 * The refill microbenchmark (docs/bench.md): write "IFINDEX BPFQ DEVQ
 * REPEATS BUFFERS" to debugfs bpf_mp_bench, read the raw samples back.
 * BPFQ must be attached to bpfmp with device memory and a BPF policy that
 * says host (static_map with no entry), DEVQ bound with netdev bind-rx.
 * The bench makes pools of its own on both queues, as a driver's
 * ndo_queue_mem_alloc would, under the device's instance lock, and swaps
 * BPFQ's policy for built-in C ones under bpf_mp_mutex: the device must
 * carry no traffic meanwhile.  Every cell (variant, mode, batch) is one
 * timed run of BUFFERS buffers with BHs off; the cells of one repeat run
 * back to back, the repeats one after the other, so a ratio of two cells
 * is measured under the same conditions.
 */
#include <linux/debugfs.h>
#include <linux/nsproxy.h>
#include <linux/timekeeping.h>

#define BPF_MP_BENCH_MAX_BATCH	64

static u32 bpf_mp_bench_c_host(struct bpf_mp_ctx *ctx)
{
	return BPF_MP_HOST;
}

static u32 bpf_mp_bench_c_device(struct bpf_mp_ctx *ctx)
{
	return BPF_MP_DEVICE;
}

static u32 bpf_mp_bench_c_split(struct bpf_mp_ctx *ctx)
{
	bpf_mp_split(ctx, ctx->count / 2);
	return BPF_MP_SPLIT;
}

static struct bpf_mp_ops bpf_mp_bench_ops[] = {
	{ .select = bpf_mp_bench_c_host, .name = "bench_c_host" },
	{ .select = bpf_mp_bench_c_device, .name = "bench_c_device" },
	{ .select = bpf_mp_bench_c_split, .name = "bench_c_split" },
};

enum bpf_mp_bench_mode { BENCH_STEADY, BENCH_COLD, BENCH_RING };
static const char * const bpf_mp_bench_modes[] = { "steady", "cold", "ring" };

/* what fills a batch, and from where */
struct bpf_mp_bench_variant {
	const char *name;
	int pool;		/* 0: host alloc loop, 1: upstream devmem loop, 2: bpf_mp_refill */
	int ops;		/* bpf_mp_bench_ops index, -1: the queue's BPF policy */
	bool bulk;
	unsigned int modes;	/* BIT(enum bpf_mp_bench_mode) */
};

#define BENCH_WARM_COLD	(BIT(BENCH_STEADY) | BIT(BENCH_COLD))

static const struct bpf_mp_bench_variant bpf_mp_bench_variants[] = {
	{ "pp_alloc_host",	0, -1, true, BENCH_WARM_COLD | BIT(BENCH_RING) },
	{ "bpfmp_bpf_host",	2, -1, true, BENCH_WARM_COLD },
	{ "bpfmp_c_host",	2, 0, true, BENCH_WARM_COLD },
	{ "bpfmp_device",	2, 1, true, BENCH_WARM_COLD },
	{ "bpfmp_device_1",	2, 1, false, BENCH_WARM_COLD },
	{ "upstream_devmem",	1, -1, true, BENCH_WARM_COLD },
	{ "bpfmp_split",	2, 2, true, BENCH_WARM_COLD },
};

static const unsigned int bpf_mp_bench_batches[] = { 1, 16, 64 };

struct bpf_mp_bench {
	struct page_pool *host, *dev, *up;
	struct bpf_mp_queue *q;
	char *out;
	size_t len, size;
};

static DEFINE_MUTEX(bpf_mp_bench_lock);
static char *bpf_mp_bench_out;
static size_t bpf_mp_bench_len;

static unsigned int bpf_mp_bench_fill(struct bpf_mp_bench *b,
				      const struct bpf_mp_bench_variant *v,
				      netmem_ref *bufs, unsigned int n)
{
	switch (v->pool) {
	case 0:
		return bpf_mp_fill(b->host, bufs, n, GFP_ATOMIC);
	case 1:
		return bpf_mp_fill(b->up, bufs, n, GFP_ATOMIC);
	}
	return bpf_mp_refill(b->host, b->dev, bufs, n, GFP_ATOMIC);
}

static void bpf_mp_bench_return(netmem_ref *bufs, unsigned int n,
				enum bpf_mp_bench_mode mode)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page_pool *pp = netmem_get_pp(bufs[i]);

		if (mode == BENCH_COLD)
			page_pool_bench_return_netmem(pp, bufs[i]);
		else
			page_pool_put_full_netmem(pp, bufs[i], mode == BENCH_STEADY);
	}
}

/* One cell: @total buffers in batches of @batch; its time in ns, or < 0. */
static s64 bpf_mp_bench_cell(struct bpf_mp_bench *b,
			     const struct bpf_mp_bench_variant *v,
			     enum bpf_mp_bench_mode mode, unsigned int batch,
			     unsigned int total)
{
	netmem_ref bufs[BPF_MP_BENCH_MAX_BATCH];
	unsigned int done = 0, got;
	u64 t0, t1;

	bpf_mp_bulk = v->bulk;
	local_bh_disable();
	t0 = ktime_get_ns();
	while (done < total) {
		got = bpf_mp_bench_fill(b, v, bufs, batch);
		bpf_mp_bench_return(bufs, got, mode);
		if (got < batch)
			break;
		done += got;
	}
	t1 = ktime_get_ns();
	local_bh_enable();
	bpf_mp_bulk = true;
	return done < total ? -ENOMEM : (s64)(t1 - t0);
}

/* Every batch size of one variant and mode; repeat @r > 0 is reported. */
static int bpf_mp_bench_mode(struct bpf_mp_bench *b,
			     const struct bpf_mp_bench_variant *v,
			     enum bpf_mp_bench_mode m, unsigned int r,
			     unsigned int total)
{
	unsigned int bi;

	for (bi = 0; bi < ARRAY_SIZE(bpf_mp_bench_batches); bi++) {
		unsigned int batch = bpf_mp_bench_batches[bi];
		unsigned int n = rounddown(total, batch);
		s64 ns = bpf_mp_bench_cell(b, v, m, batch, n);

		if (ns < 0)
			return ns;
		if (r && b->len < b->size)
			b->len += scnprintf(b->out + b->len, b->size - b->len,
					    "%s %s %u %u %lld %u\n", v->name,
					    bpf_mp_bench_modes[m], batch, r, ns, n);
		cond_resched();
	}
	return 0;
}

static int bpf_mp_bench_run(struct bpf_mp_bench *b, unsigned int reps,
			    unsigned int total)
{
	struct bpf_mp_ops *bpf_ops;
	unsigned int r, vi, m;
	int err = 0;

	mutex_lock(&bpf_mp_mutex);
	bpf_ops = rcu_dereference_protected(b->q->ops, lockdep_is_held(&bpf_mp_mutex));
	/* the BPF row is a host policy, or the comparison is meaningless */
	if (!bpf_ops || bpf_mp_select(b->q, b->dev, 1)) {
		err = -EINVAL;
		goto out;
	}
	/* repeat 0 is a warm-up, not reported */
	for (r = 0; r <= reps && !err; r++) {
		for (vi = 0; vi < ARRAY_SIZE(bpf_mp_bench_variants) && !err; vi++) {
			const struct bpf_mp_bench_variant *v = &bpf_mp_bench_variants[vi];

			rcu_assign_pointer(b->q->ops, v->ops < 0 ? bpf_ops :
					   &bpf_mp_bench_ops[v->ops]);
			for (m = 0; m <= BENCH_RING && !err; m++)
				if (v->modes & BIT(m))
					err = bpf_mp_bench_mode(b, v, m, r, total);
		}
	}
out:
	if (bpf_ops)
		rcu_assign_pointer(b->q->ops, bpf_ops);
	mutex_unlock(&bpf_mp_mutex);
	return err;
}

static struct page_pool *bpf_mp_bench_pool(struct net_device *dev, int qid)
{
	struct page_pool_params pp = {
		.flags		= PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
		.pool_size	= 256,
		.nid		= NUMA_NO_NODE,
		.dev		= dev->dev.parent,
		.dma_dir	= DMA_FROM_DEVICE,
		.max_len	= PAGE_SIZE,
	};

	if (qid >= 0) {
		pp.flags |= PP_FLAG_ALLOW_UNREADABLE_NETMEM;
		pp.netdev = dev;
		pp.queue_idx = qid;
	}
	return page_pool_create(&pp);
}

static ssize_t bpf_mp_bench_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	unsigned int ifindex, bq, dq, reps, total;
	struct bpf_mp_bench b = {};
	struct netdev_rx_queue *rxq;
	struct bpf_mp_queue *q = NULL;
	struct page_pool *saved = NULL;
	struct net_device *dev;
	char buf[80];
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	if (sscanf(buf, "%u %u %u %u %u", &ifindex, &bq, &dq, &reps, &total) != 5 ||
	    !reps || reps > 50 || total < BPF_MP_BENCH_MAX_BATCH || total > 1 << 20)
		return -EINVAL;
	dev = dev_get_by_index(current->nsproxy->net_ns, ifindex);
	if (!dev)
		return -ENODEV;
	b.size = 64 << 10;
	b.out = kvzalloc(b.size, GFP_KERNEL);
	if (!b.out) {
		dev_put(dev);
		return -ENOMEM;
	}
	mutex_lock(&bpf_mp_bench_lock);
	netdev_lock(dev);
	err = -EINVAL;
	if (bq >= dev->real_num_rx_queues || dq >= dev->real_num_rx_queues ||
	    !dev->dev.parent)
		goto unlock;
	/* the queue's own pool stays its netlink view: the bench's replaces
	 * it until destroyed (no restart meanwhile: the instance lock)
	 */
	rxq = __netif_get_rx_queue(dev, bq);
	if (rxq->mp_params.mp_ops == &bpf_mp_provider_ops) {
		q = rxq->mp_params.mp_priv;
		spin_lock_bh(&q->pool_lock);
		saved = q->pool;
		spin_unlock_bh(&q->pool_lock);
	}
	b.host = bpf_mp_bench_pool(dev, -1);
	b.dev = bpf_mp_bench_pool(dev, bq);
	b.up = bpf_mp_bench_pool(dev, dq);
	if (IS_ERR(b.host) || IS_ERR(b.dev) || IS_ERR(b.up))
		goto destroy;
	/* a bpfmp queue with device memory, and upstream's devmem provider */
	if (!bpf_mp_pool_attached(b.dev) || !b.up->mp_ops || bpf_mp_pool_attached(b.up))
		goto destroy;
	b.q = b.dev->mp_priv;
	if (b.q != q || !b.q->binding)
		goto destroy;
	err = bpf_mp_bench_run(&b, reps, total);
destroy:
	if (!IS_ERR(b.up))
		page_pool_destroy(b.up);
	if (!IS_ERR(b.dev))
		page_pool_destroy(b.dev);
	if (!IS_ERR(b.host))
		page_pool_destroy(b.host);
	if (q) {
		spin_lock_bh(&q->pool_lock);
		q->pool = saved;
		spin_unlock_bh(&q->pool_lock);
		/* the bench's host pool is gone: the driver's is checked again */
		q->host_ok = NULL;
	}
unlock:
	netdev_unlock(dev);
	dev_put(dev);
	if (!err) {
		kvfree(bpf_mp_bench_out);
		bpf_mp_bench_out = b.out;
		bpf_mp_bench_len = b.len;
	} else {
		kvfree(b.out);
	}
	mutex_unlock(&bpf_mp_bench_lock);
	return err ?: count;
}

static ssize_t bpf_mp_bench_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&bpf_mp_bench_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, bpf_mp_bench_out,
				      bpf_mp_bench_len);
	mutex_unlock(&bpf_mp_bench_lock);
	return ret;
}

static const struct file_operations bpf_mp_bench_fops = {
	.owner	= THIS_MODULE,
	.write	= bpf_mp_bench_write,
	.read	= bpf_mp_bench_read,
	.llseek	= default_llseek,
};

static int __init bpf_mp_bench_init(void)
{
	debugfs_create_file("bpf_mp_bench", 0600, NULL, NULL, &bpf_mp_bench_fops);
	return 0;
}
late_initcall(bpf_mp_bench_init);
#endif /* CONFIG_BPF_MP_BENCH */
