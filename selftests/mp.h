/* SPDX-License-Identifier: GPL-2.0 */
/* bpfmp for tests: device memory, attach/detach and counters over netlink. */
#ifndef BPFMP_MP_H
#define BPFMP_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <ynl.h>

#include "bpf-mp-user.h"

/* enum bpf_mp_hint (BPF side, vmlinux.h) */
#define MP_HINT_HOST	0
#define MP_HINT_DEVICE	1

/* A DEBUG=1 (KASAN, lockdep) kernel under TCG is several times slower. */
bool test__slow(void);
/* A udmabuf of @pages pages (close-on-exec): the stand-in for device memory. */
int udmabuf_create(unsigned int pages);
/* 0 once every dma-buf in the system is gone (bindings released theirs). */
int mp_no_dmabufs_left(void);

/* A bpf-mp socket in the receiver's netns, and @ifname's ifindex there. */
struct ynl_sock *mp_sock_rx(const char *ifname, int *ifindex);
/* bpf-mp requests on socket @ys for device @ifindex; 0 or -errno. */
int mp_attach(struct ynl_sock *ys, int ifindex, const char *policy,
	      const unsigned int *qs, unsigned int nq, int dmabuf, bool strict);
int mp_detach(struct ynl_sock *ys, int ifindex, const unsigned int *qs,
	      unsigned int nq);
/* Swap the policy of attached queues in place (bpf-mp replace). */
int mp_replace_policy(struct ynl_sock *ys, int ifindex, const char *policy,
		      const unsigned int *qs, unsigned int nq);
/* The policy name of attached queue @q in @buf; 0, or -1 if not attached. */
int mp_queue_policy(struct ynl_sock *ys, int ifindex, unsigned int q,
		    char *buf, size_t len);
/* Counters of queue @q, or a zeroed struct (ifindex 0) if not attached. */
struct bpf_mp_queue_get_rsp mp_queue_stats(struct ynl_sock *ys, int ifindex,
					   unsigned int q);
/* Attached queues of @ifindex, or -1. */
int mp_attached_queues(struct ynl_sock *ys, int ifindex);

#endif
