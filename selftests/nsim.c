// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
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

/* The port's netdev is the only entry under .../netdevsim<id>/net/. */
static int port_netdev(struct nsim_dev *dev, unsigned int port)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int tries;

	snprintf(path, sizeof(path), NSIM_BUS "/devices/netdevsim%u/net", dev->id);
	for (tries = 0; tries < 100; tries++) {
		d = opendir(path);
		if (d)
			break;
		usleep(10000);
	}
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		char p[512];
		unsigned int port_idx;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/phys_port_name", path, de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		/* netdevsim names ports "p<index>" */
		if (fscanf(f, "p%u", &port_idx) == 1 && port_idx == port) {
			snprintf(dev->ifname[port], IF_NAMESIZE, "%s", de->d_name);
			dev->ifindex[port] = if_nametoindex(de->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return dev->ifindex[port] > 0 ? 0 : -ENOENT;
}

int nsim_create(struct nsim_dev *dev, unsigned int id, unsigned int ports,
		unsigned int queues)
{
	char buf[64];
	unsigned int i;
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
	for (i = 0; i < ports; i++) {
		err = port_netdev(dev, i);
		if (err) {
			nsim_destroy(dev);
			return err;
		}
	}
	return 0;
}

void nsim_destroy(struct nsim_dev *dev)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", dev->id);
	write_str(NSIM_BUS "/del_device", buf);
}
