// SPDX-License-Identifier: GPL-2.0
/*
 * attach --flow tcp:PORT: the ethtool state a devmem flow needs (header
 * split with hds-thresh 0, an ntuple rule to the queue), set up before the
 * attach and undone by detach.  What mpctl changed is recorded in
 * MPCTL_STATE_DIR so that a later "mpctl detach" undoes exactly that and
 * nothing the user set by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ynl.h>

#include "ethtool-user.h"
#include "mpctl.h"

int flow_parse(const char *s, struct flow_spec *f, char *err, size_t len)
{
	unsigned long port;

	if (strncmp(s, "tcp:", 4)) {
		snprintf(err, len, "expected tcp:PORT");
		return -1;
	}
	if (uint_parse(s + 4, 65535, &port) || !port) {
		snprintf(err, len, "'%s' is not a port (1-65535)", s + 4);
		return -1;
	}
	f->port = (uint16_t)port;
	return 0;
}

int ethtool_ioctl(const char *ifname, void *data)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	return err;
}

static struct ynl_sock *ethtool_nl_open(const char *ifname)
{
	struct ynl_error yerr = {};
	struct ynl_sock *ys;

	ys = ynl_sock_create(&ynl_ethtool_family, &yerr);
	if (!ys)
		fprintf(stderr, "mpctl: %s: ethtool netlink: %s\n", ifname,
			yerr.msg[0] ? yerr.msg : strerror((int)yerr.code));
	return ys;
}

/* Current header split state of @ifname; 0 or -1 (printed). */
static int hds_get(struct ynl_sock *ys, const char *ifname, uint8_t *split,
		   uint32_t *thresh)
{
	struct ethtool_rings_get_req *req;
	struct ethtool_rings_get_rsp *rsp;

	req = ethtool_rings_get_req_alloc();
	if (!req)
		return -1;
	ethtool_rings_get_req_set_header_dev_name(req, ifname);
	rsp = ethtool_rings_get(ys, req);
	ethtool_rings_get_req_free(req);
	if (!rsp) {
		fprintf(stderr, "mpctl: %s: read ring parameters: %s\n", ifname,
			ys->err.msg[0] ? ys->err.msg : strerror((int)ys->err.code));
		return -1;
	}
	*split = rsp->_present.tcp_data_split ? (uint8_t)rsp->tcp_data_split :
		 ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
	*thresh = rsp->_present.hds_thresh ? rsp->hds_thresh : 0;
	if (!rsp->_present.tcp_data_split || !rsp->_present.hds_thresh) {
		fprintf(stderr, "mpctl: %s: the driver reports no header split settings\n",
			ifname);
		ethtool_rings_get_rsp_free(rsp);
		return -1;
	}
	ethtool_rings_get_rsp_free(rsp);
	return 0;
}

static int hds_set(struct ynl_sock *ys, const char *ifname, uint8_t split,
		   uint32_t thresh)
{
	struct ethtool_rings_set_req *req;
	int err;

	req = ethtool_rings_set_req_alloc();
	if (!req)
		return -1;
	ethtool_rings_set_req_set_header_dev_name(req, ifname);
	ethtool_rings_set_req_set_tcp_data_split(req, split);
	ethtool_rings_set_req_set_hds_thresh(req, thresh);
	err = ethtool_rings_set(ys, req);
	ethtool_rings_set_req_free(req);
	if (err)
		fprintf(stderr, "mpctl: %s: set header split: %s\n", ifname,
			ys->err.msg[0] ? ys->err.msg : strerror((int)ys->err.code));
	return err ? -1 : 0;
}

static const char *split_name(uint8_t split)
{
	switch (split) {
	case ETHTOOL_TCP_DATA_SPLIT_ENABLED:
		return "on";
	case ETHTOOL_TCP_DATA_SPLIT_DISABLED:
		return "off";
	default:
		return "auto";
	}
}

int flow_hds_enable(const char *ifname, struct flow_undo *u, bool force)
{
	struct ynl_sock *ys = ethtool_nl_open(ifname);
	uint8_t split;
	uint32_t thresh;
	int rc = -1;

	if (!ys)
		return -1;
	if (hds_get(ys, ifname, &split, &thresh))
		goto out;
	rc = 0;
	if (split == ETHTOOL_TCP_DATA_SPLIT_ENABLED && !thresh) {
		if (!force)
			goto out;
		/* reported on, yet not set: the driver's "auto" */
		split = ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
	}
	rc = hds_set(ys, ifname, ETHTOOL_TCP_DATA_SPLIT_ENABLED, 0);
	if (rc)
		goto out;
	u->hds_changed = true;
	u->old_split = split;
	u->old_thresh = thresh;
	printf("%s: header split on, hds-thresh 0 (was %s, %u)\n", ifname,
	       split_name(split), thresh);
out:
	ynl_sock_destroy(ys);
	return rc;
}

int flow_hds_restore(const char *ifname, const struct flow_undo *u)
{
	struct ynl_sock *ys;
	uint8_t split;
	uint32_t thresh;
	int rc = -1;

	if (!u->hds_changed)
		return 0;
	ys = ethtool_nl_open(ifname);
	if (!ys)
		return -1;
	if (hds_get(ys, ifname, &split, &thresh))
		goto out;
	if (split != ETHTOOL_TCP_DATA_SPLIT_ENABLED || thresh) {
		/* someone changed it since: theirs now, leave it */
		printf("%s: header split left as is (changed since attach)\n",
		       ifname);
		rc = 0;
		goto out;
	}
	rc = hds_set(ys, ifname, u->old_split, u->old_thresh);
	if (!rc)
		printf("%s: header split back to %s, hds-thresh %u\n", ifname,
		       split_name(u->old_split), u->old_thresh);
out:
	ynl_sock_destroy(ys);
	return rc;
}

static void rule_fill(struct ethtool_rxnfc *nfc, const struct flow_undo *u)
{
	nfc->fs.flow_type = TCP_V4_FLOW;
	nfc->fs.h_u.tcp_ip4_spec.pdst = htons(u->port);
	nfc->fs.m_u.tcp_ip4_spec.pdst = 0xffff;
	nfc->fs.ring_cookie = u->queue;
}

int flow_rule_add(const char *ifname, uint16_t port, uint32_t queue,
		  struct flow_undo *u)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLINS };
	int err;

	u->port = port;
	u->queue = queue;
	rule_fill(&nfc, u);
	nfc.fs.location = RX_CLS_LOC_ANY;
	err = ethtool_ioctl(ifname, &nfc);
	if (err) {
		fprintf(stderr, "mpctl: %s: steer tcp dst-port %u to queue %u: %s%s\n",
			ifname, port, queue, strerror(-err),
			err == -EOPNOTSUPP ? " (driver without ntuple rules?)" : "");
		return -1;
	}
	u->has_rule = true;
	u->loc = nfc.fs.location;
	printf("%s: rule %u: tcp dst-port %u -> queue %u\n", ifname, u->loc,
	       port, queue);
	return 0;
}

int flow_rule_del(const char *ifname, const struct flow_undo *u)
{
	struct ethtool_rxnfc want = {}, nfc = { .cmd = ETHTOOL_GRXCLSRULE };
	int err;

	if (!u->has_rule)
		return 0;
	rule_fill(&want, u);
	nfc.fs.location = u->loc;
	err = ethtool_ioctl(ifname, &nfc);
	if (err || nfc.fs.flow_type != want.fs.flow_type ||
	    nfc.fs.h_u.tcp_ip4_spec.pdst != want.fs.h_u.tcp_ip4_spec.pdst ||
	    nfc.fs.ring_cookie != want.fs.ring_cookie) {
		printf("%s: rule %u left as is (removed or changed since attach)\n",
		       ifname, u->loc);
		return 0;
	}
	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLDEL;
	nfc.fs.location = u->loc;
	err = ethtool_ioctl(ifname, &nfc);
	if (err) {
		fprintf(stderr, "mpctl: %s: delete rule %u: %s\n", ifname,
			u->loc, strerror(-err));
		return -1;
	}
	printf("%s: removed rule %u (tcp dst-port %u -> queue %u)\n", ifname,
	       u->loc, u->port, u->queue);
	return 0;
}

/*
 * State files: one per attached queue with a rule, one per device whose
 * header split mpctl turned on.  Named by network namespace (ifindexes
 * are per namespace) and ifindex.
 */
int flow_state_path(char *buf, size_t len, unsigned int ifindex,
		    const char *what)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	return snprintf(buf, len, "%s/%llu-%u-%s", MPCTL_STATE_DIR,
			(unsigned long long)st.st_ino, ifindex, what) >=
	       (int)len ? -1 : 0;
}

int flow_state_save(unsigned int ifindex, const char *what,
		    const struct flow_undo *u)
{
	char path[256];
	FILE *f;

	if (flow_state_path(path, sizeof(path), ifindex, what))
		return -1;
	if (mkdir(MPCTL_STATE_DIR, 0755) && errno != EEXIST)
		goto fail;
	f = fopen(path, "we");
	if (!f)
		goto fail;
	fprintf(f, "hds %d %u %u\nrule %d %u %u %u\n", u->hds_changed,
		u->old_split, u->old_thresh, u->has_rule, u->loc, u->port,
		u->queue);
	if (fclose(f))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "mpctl: %s: %s (detach will not undo the changes above)\n",
		path, strerror(errno));
	return -1;
}

int flow_state_take(unsigned int ifindex, const char *what,
		    struct flow_undo *u)
{
	char path[256];
	int found = flow_state_peek(ifindex, what, u);

	if (!flow_state_path(path, sizeof(path), ifindex, what))
		unlink(path);
	return found;
}

int flow_state_peek(unsigned int ifindex, const char *what,
		    struct flow_undo *u)
{
	int hds, rule, n;
	unsigned int split, port;
	char path[256];
	FILE *f;

	memset(u, 0, sizeof(*u));
	if (flow_state_path(path, sizeof(path), ifindex, what))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "hds %d %u %u\nrule %d %u %u %u", &hds, &split,
		   &u->old_thresh, &rule, &u->loc, &port, &u->queue);
	fclose(f);
	if (n != 7) {
		fprintf(stderr, "mpctl: %s: unreadable, ignored\n", path);
		memset(u, 0, sizeof(*u));
		return 0;
	}
	u->hds_changed = hds;
	u->old_split = (uint8_t)split;
	u->has_rule = rule;
	u->port = (uint16_t)port;
	return 1;
}
