// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsim.h"

#define NSIM_BUS "/sys/bus/netdevsim"

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(s, f) < 0)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * Fill dev->ifname/ifindex from .../netdevsim<id>/net/, ordered by the port
 * index in each netdev's phys_port_name ("p<index>").
 */
static int find_netdevs(struct nsim_dev *dev)
{
	unsigned int idx[4], found = 0, i, j;
	char path[256], names[4][IF_NAMESIZE];
	struct dirent *de;
	DIR *d = NULL;
	int tries;

	snprintf(path, sizeof(path), NSIM_BUS "/devices/netdevsim%u/net", dev->id);
	/* the netdevs appear asynchronously after new_device */
	for (tries = 0; tries < 200 && found < dev->nports; tries++) {
		if (d)
			closedir(d);
		found = 0;
		usleep(tries ? 10000 : 0);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d)) && found < 4) {
			char p[sizeof(path) + 2 * NAME_MAX];
			FILE *f;

			if (de->d_name[0] == '.' || strlen(de->d_name) >= IF_NAMESIZE)
				continue;
			snprintf(p, sizeof(p), "%s/%s/phys_port_name", path, de->d_name);
			f = fopen(p, "r");
			if (!f)
				continue;
			if (fscanf(f, "p%u", &idx[found]) == 1)
				strcpy(names[found++], de->d_name);
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	if (found != dev->nports)
		return -ENOENT;
	for (i = 0; i < found; i++) {
		unsigned int rank = 0;

		for (j = 0; j < found; j++)
			rank += idx[j] < idx[i];
		strcpy(dev->ifname[rank], names[i]);
		dev->ifindex[rank] = if_nametoindex(names[i]);
		if (dev->ifindex[rank] <= 0)
			return -ENOENT;
	}
	return 0;
}

int nsim_create(struct nsim_dev *dev, unsigned int id, unsigned int ports,
		unsigned int queues)
{
	char buf[64];
	int err;

	memset(dev, 0, sizeof(*dev));
	if (ports > 4)
		return -EINVAL;
	dev->id = id;
	dev->nports = ports;
	snprintf(buf, sizeof(buf), "%u %u %u", id, ports, queues);
	err = write_str(NSIM_BUS "/new_device", buf);
	if (err)
		return err;
	err = find_netdevs(dev);
	if (err)
		nsim_destroy(dev);
	return err;
}

void nsim_destroy(struct nsim_dev *dev)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", dev->id);
	write_str(NSIM_BUS "/del_device", buf);
}
