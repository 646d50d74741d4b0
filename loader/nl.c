// SPDX-License-Identifier: GPL-2.0
/* The bpf-mp generic netlink family through YNL. */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>

#include "mpctl.h"
#include "nl.h"

struct ynl_sock *nl_open(void)
{
	struct ynl_error yerr = {};
	struct ynl_sock *ys;

	ys = ynl_sock_create(&ynl_bpf_mp_family, &yerr);
	if (!ys && yerr.code == ENOENT)
		fprintf(stderr, "mpctl: generic netlink family %s: not found: this kernel has no bpfmp (it needs Linux 7.3 with kernel/patches/ and CONFIG_BPF_MEM_PROVIDER=y; 'make vm' boots one, or run mpctl under 'scripts/vm run -- CMD')\n",
			BPF_MP_FAMILY_NAME);
	else if (!ys)
		fprintf(stderr, "mpctl: generic netlink family %s: %s\n",
			BPF_MP_FAMILY_NAME, yerr.msg[0] ? yerr.msg : strerror((int)yerr.code));
	return ys;
}

const char *nl_strerror(struct ynl_sock *ys, char *buf, size_t len)
{
	int code = (int)ys->err.code;
	const char *msg = ys->err.msg;

	if (!msg[0])
		msg = code > 0 && code < __YNL_ERRNO_END ? strerror(code) :
		      "netlink error";
	snprintf(buf, len, "%s%s", msg,
		 code == EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return buf;
}

int nl_bad_queue(struct ynl_sock *ys, unsigned int n)
{
	/* The request: nlmsghdr, genlmsghdr, ifindex, then the queue ids. */
	const unsigned int first = NLMSG_HDRLEN + GENL_HDRLEN +
				   NLA_HDRLEN + NLA_ALIGN(sizeof(__u32));
	const unsigned int step = NLA_HDRLEN + NLA_ALIGN(sizeof(__u32));
	unsigned int off = ys->err.attr_offs;

	if (off < first || (off - first) % step || (off - first) / step >= n)
		return -1;
	return (int)((off - first) / step);
}

int nl_policy_registered(struct ynl_sock *ys, const char *name)
{
	struct bpf_mp_policy_get_list *pl;
	char err[600];
	int found = 0;

	pl = bpf_mp_policy_get_dump(ys);
	if (!pl) {
		fprintf(stderr, "mpctl: list policies: %s\n",
			nl_strerror(ys, err, sizeof(err)));
		return -1;
	}
	ynl_dump_foreach(pl, p)
		if (p->name && !strcmp(p->name, name))
			found = 1;
	bpf_mp_policy_get_list_free(pl);
	return found;
}
