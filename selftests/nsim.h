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

#endif
