/* SPDX-License-Identifier: GPL-2.0 */
/* netdevsim devices for tests: create, find their netdevs, remove. */
#ifndef BPFMP_NSIM_H
#define BPFMP_NSIM_H

#include <net/if.h>

struct nsim_dev {
	unsigned int id;
	unsigned int nports;
	char ifname[4][IF_NAMESIZE];	/* one netdev per port */
	int ifindex[4];
};

/* Create netdevsim<id> with @ports ports of @queues queues each. */
int nsim_create(struct nsim_dev *dev, unsigned int id, unsigned int ports,
		unsigned int queues);
/* Remove it again (its netdevs go with it). */
void nsim_destroy(struct nsim_dev *dev);

/*
 * Two netdevsim ports linked as peers, each in its own netns with an IPv4
 * address: the sender "tx" (NSIM_TX_NS, 192.0.2.1) and the receiver "rx"
 * (NSIM_RX_NS, 192.0.2.2).
 */
#define NSIM_TX_NS	"bpfmp_tx"
#define NSIM_RX_NS	"bpfmp_rx"
#define NSIM_TX_IP	"192.0.2.1"
#define NSIM_RX_IP	"192.0.2.2"

struct nsim_pair {
	struct nsim_dev tx, rx;
	const char *tx_if, *rx_if;
};

int nsim_pair_create(struct nsim_pair *p, unsigned int id, unsigned int queues);
void nsim_pair_destroy(struct nsim_pair *p);
/* An "ethtool -S" counter of the receiver, or -1. */
long long nsim_rx_stat(struct nsim_pair *p, const char *name);
/* Sum of rx<q>_<field> over the receiver's @queues queues. */
long long nsim_rx_stat_sum(struct nsim_pair *p, const char *field,
			   unsigned int queues);
/* Enter netns @name (NULL: back to where we started); 0 or -errno. */
int nsim_enter_ns(const char *name);

/* Commands the tests run through test__sh(), from the repository's top. */
#define IN_RX	"ip netns exec " NSIM_RX_NS " "
#define IN_TX	"ip netns exec " NSIM_TX_NS " "
#define NLTOOL	"build/selftests/nltool"
#define STREAM	"build/selftests/stream"

/*
 * A TCP stream of @bytes of known content (selftests/tools/stream.c) from
 * the sender to @port of the receiver: 0 if every byte arrived intact and
 * in order.  @sent and @rcvd (may be NULL) get the byte counts, -1 if unknown.
 */
int nsim_tcp_stream(int port, long long bytes, long long *sent, long long *rcvd);

#endif
