// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsim.h"
#include "test_progs.h"

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

static int ns_ifindex(const char *ns, const char *ifname)
{
	char out[64];

	if (test__sh_out(out, sizeof(out),
			 "ip netns exec %s cat /sys/class/net/%s/ifindex", ns, ifname))
		return -1;
	return atoi(out);
}

int nsim_pair_create(struct nsim_pair *p, unsigned int id, unsigned int queues)
{
	char buf[128];
	int fd_tx = -1, fd_rx = -1, err;

	memset(p, 0, sizeof(*p));
	test__sh("ip netns del " NSIM_TX_NS " 2>/dev/null; ip netns del " NSIM_RX_NS " 2>/dev/null");
	err = nsim_create(&p->tx, id, 1, queues);
	if (err)
		return err;
	err = nsim_create(&p->rx, id + 1, 1, queues);
	if (err)
		goto err_tx;
	p->tx_if = p->tx.ifname[0];
	p->rx_if = p->rx.ifname[0];
	err = -EIO;
	if (test__sh("ip netns add " NSIM_TX_NS " && ip netns add " NSIM_RX_NS
		     " && ip link set %s netns " NSIM_TX_NS
		     " && ip link set %s netns " NSIM_RX_NS,
		     p->tx_if, p->rx_if))
		goto err_rx;
	fd_tx = open("/run/netns/" NSIM_TX_NS, O_RDONLY);
	fd_rx = open("/run/netns/" NSIM_RX_NS, O_RDONLY);
	if (fd_tx < 0 || fd_rx < 0)
		goto err_ns;
	snprintf(buf, sizeof(buf), "%d:%d %d:%d", fd_tx,
		 ns_ifindex(NSIM_TX_NS, p->tx_if), fd_rx,
		 ns_ifindex(NSIM_RX_NS, p->rx_if));
	err = write_str(NSIM_BUS "/link_device", buf);
	if (err)
		goto err_ns;
	err = -EIO;
	if (test__sh("ip -n " NSIM_TX_NS " addr add " NSIM_TX_IP "/24 dev %s &&"
		     " ip -n " NSIM_RX_NS " addr add " NSIM_RX_IP "/24 dev %s &&"
		     " ip -n " NSIM_TX_NS " link set %s up &&"
		     " ip -n " NSIM_RX_NS " link set %s up &&"
		     " ip -n " NSIM_TX_NS " link set lo up &&"
		     " ip -n " NSIM_RX_NS " link set lo up",
		     p->tx_if, p->rx_if, p->tx_if, p->rx_if))
		goto err_ns;
	close(fd_tx);
	close(fd_rx);
	return 0;
err_ns:
	if (fd_tx >= 0)
		close(fd_tx);
	if (fd_rx >= 0)
		close(fd_rx);
	test__sh("ip netns del " NSIM_TX_NS "; ip netns del " NSIM_RX_NS);
err_rx:
	nsim_destroy(&p->rx);
err_tx:
	nsim_destroy(&p->tx);
	return err;
}

void nsim_pair_destroy(struct nsim_pair *p)
{
	/* deleting the netns first returns the ports to init_net */
	test__sh("ip netns pids " NSIM_TX_NS " | xargs -r kill 2>/dev/null;"
		 " ip netns pids " NSIM_RX_NS " | xargs -r kill 2>/dev/null;"
		 " ip netns del " NSIM_TX_NS "; ip netns del " NSIM_RX_NS);
	nsim_destroy(&p->tx);
	nsim_destroy(&p->rx);
}

long long nsim_rx_stat(struct nsim_pair *p, const char *name)
{
	char out[64];

	if (test__sh_out(out, sizeof(out),
			 "ip netns exec " NSIM_RX_NS " ethtool -S %s | awk '$1 == \"%s:\" { print $2 }'",
			 p->rx_if, name) || !out[0])
		return -1;
	return atoll(out);
}

long long nsim_rx_stat_sum(struct nsim_pair *p, const char *field,
			   unsigned int queues)
{
	long long sum = 0, v;
	char name[64];
	unsigned int q;

	for (q = 0; q < queues; q++) {
		snprintf(name, sizeof(name), "rx%u_%s", q, field);
		v = nsim_rx_stat(p, name);
		if (v < 0)
			return -1;
		sum += v;
	}
	return sum;
}

int nsim_enter_ns(const char *name)
{
	static int home = -1;
	char path[128];
	int fd, err = 0;

	if (home < 0)
		home = open("/proc/self/ns/net", O_RDONLY);
	if (!name)
		return setns(home, CLONE_NEWNET) ? -errno : 0;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

int nsim_tcp_stream(int port, long long bytes, long long *sent, long long *rcvd)
{
	long long s = -1, r = -1;
	char out[64], verdict[8] = "";
	int err = -1;

	if (test__sh("rm -f /tmp/stream.%d; " IN_RX "sh -c '" STREAM
		     " recv %d >/tmp/stream.%d 2>&1 &'", port, port, port))
		goto out;
	if (test__sh_out(out, sizeof(out), IN_TX "timeout 120 " STREAM " send " NSIM_RX_IP " %d %lld",
			 port, bytes))
		goto out;
	s = atoll(out);
	/* the receiver prints once the sender's FIN is in; give it a moment */
	if (test__sh_out(out, sizeof(out), "for i in $(seq 50); do [ -s /tmp/stream.%d ] &&"
			 " break; sleep 0.1; done; cat /tmp/stream.%d", port, port))
		goto out;
	if (sscanf(out, "%lld %7s", &r, verdict) == 2 && !strcmp(verdict, "ok"))
		err = 0;
out:
	if (sent)
		*sent = s;
	if (rcvd)
		*rcvd = r;
	return err;
}
