// SPDX-License-Identifier: GPL-2.0
/*
 * The test NIC: a netdevsim port with 4 RX queues has one page_pool per
 * queue, and the netdev netlink family reports them.
 */
#include <string.h>
#include <unistd.h>
#include <ynl.h>

#include "netdev-user.h"
#include "nsim.h"
#include "test_progs.h"

#define NQ 4

/* Count the page pools of @ifindex in a page-pool-get dump. */
static int count_pools(struct ynl_sock *ys, int ifindex)
{
	struct netdev_page_pool_get_req_dump *req;
	struct netdev_page_pool_get_list *pools;
	int n = 0;

	req = netdev_page_pool_get_req_dump_alloc();
	netdev_page_pool_get_req_dump_set_ifindex(req, ifindex);
	pools = netdev_page_pool_get_dump(ys, req);
	netdev_page_pool_get_req_dump_free(req);
	if (!pools)
		return -1;
	ynl_dump_foreach(pools, pp)
		if (pp->_present.ifindex && pp->ifindex == (__u32)ifindex)
			n++;
	netdev_page_pool_get_list_free(pools);
	return n;
}

void test_netdevsim_pools(void)
{
	struct ynl_error yerr;
	struct ynl_sock *ys;
	struct nsim_dev dev;
	char path[128];
	int i;

	if (!ASSERT_OK(nsim_create(&dev, 11, 1, NQ), "create netdevsim"))
		return;
	for (i = 0; i < NQ; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%d",
			 dev.ifname[0], i);
		ASSERT_OK(access(path, F_OK), path);
	}

	ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!ASSERT_OK_PTR(ys, "netdev genl socket"))
		goto out;
	/* netdevsim creates its pools when the device opens */
	ASSERT_EQ(count_pools(ys, dev.ifindex[0]), 0, "pools while down");
	ASSERT_OK(test__sh("ip link set %s up", dev.ifname[0]), "link up");
	ASSERT_EQ(count_pools(ys, dev.ifindex[0]), NQ, "pools while up");
	ASSERT_OK(test__sh("ip link set %s down", dev.ifname[0]), "link down");
	ASSERT_EQ(count_pools(ys, dev.ifindex[0]), 0, "pools after down");
	ynl_sock_destroy(ys);
out:
	nsim_destroy(&dev);
}
