/* SPDX-License-Identifier: GPL-2.0 */
/* The bpf-mp generic netlink family through YNL. */
#ifndef MPCTL_NL_H
#define MPCTL_NL_H

#include <stddef.h>
#include <ynl.h>

#include "bpf-mp-user.h"

/* A socket on the bpf-mp family, or NULL after printing why not. */
struct ynl_sock *nl_open(void);
/*
 * The reason the last request on @ys failed: the kernel's extack message,
 * else strerror(), with a hint for EPERM.
 */
const char *nl_strerror(struct ynl_sock *ys, char *buf, size_t len);
/*
 * For a failed attach/detach request carrying @n queue ids after an
 * ifindex: the index of the queue-id attribute the kernel's extack points
 * at, or -1.
 */
int nl_bad_queue(struct ynl_sock *ys, unsigned int n);
/* 1 if a policy named @name is registered, 0 if not, -1 on error (printed). */
int nl_policy_registered(struct ynl_sock *ys, const char *name);

#endif /* MPCTL_NL_H */
