/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfmp: BPF-steered RX memory providers - the driver-facing refill API.
 *
 * A driver whose RX queue has bpfmp attached keeps two page_pools for the
 * queue: its ordinary host pool (pages) and a pool created with
 * PP_FLAG_ALLOW_UNREADABLE_NETMEM, .netdev and .queue_idx, which picks up
 * bpfmp's memory provider and hands out device memory (net_iovs).  At
 * refill time the driver asks bpf_mp_refill() for N buffers instead of
 * calling page_pool_alloc_netmems() itself; bpfmp runs the queue's BPF
 * policy once for the batch and draws from either pool or both.  Each
 * buffer recycles into the pool it came from (netmem_get_pp()).
 */
#ifndef _NET_BPF_MP_H
#define _NET_BPF_MP_H

#include <linux/types.h>
#include <net/netmem.h>

struct page_pool;
struct netdev_rx_queue;

#if IS_ENABLED(CONFIG_BPF_MEM_PROVIDER)
bool bpf_mp_pool_attached(const struct page_pool *pool);
unsigned int bpf_mp_refill(struct page_pool *host, struct page_pool *device,
			   netmem_ref *bufs, unsigned int n, gfp_t gfp);
#else
static inline bool bpf_mp_pool_attached(const struct page_pool *pool)
{
	return false;
}

static inline unsigned int bpf_mp_refill(struct page_pool *host,
					 struct page_pool *device,
					 netmem_ref *bufs, unsigned int n,
					 gfp_t gfp)
{
	return 0;
}
#endif

#endif /* _NET_BPF_MP_H */
