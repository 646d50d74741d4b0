// SPDX-License-Identifier: GPL-2.0
/* What the host says about a network interface. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "mpctl.h"

int netdev_rx_queues(const char *ifname)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n;
}

const char *netdev_name(uint32_t ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (if_indextoname(ifindex, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", ifindex);
	return buf;
}
