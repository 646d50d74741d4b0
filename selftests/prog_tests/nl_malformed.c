// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed bpf-mp requests, built by hand (no YNL request helpers to
 * tidy them up): each gets its errno and an extack that names the
 * problem, and none leaves anything attached or any dma-buf behind.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <bpf/libbpf.h>
#include <ynl.h>

#include "bpf-mp-user.h"
#include "mp.h"
#include "nsim.h"
#include "test_progs.h"
#include "mp_policies.skel.h"

#define NQ	4

struct raw {
	int fd;
	__u16 family;
	char buf[1024];
	size_t len;
	/* the kernel's answer */
	int err;
	char msg[256];
	int miss_type;
};

static void put_attr(struct raw *r, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)(r->buf + r->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->len += NLA_ALIGN(a->nla_len);
}

static void put_u32(struct raw *r, __u16 type, __u32 v)
{
	put_attr(r, type, &v, sizeof(v));
}

static void start(struct raw *r, __u8 cmd)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)r->buf;
	struct genlmsghdr *g;

	memset(r->buf, 0, sizeof(r->buf));
	nlh->nlmsg_type = r->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = NLMSG_DATA(nlh);
	g->cmd = cmd;
	g->version = 1;
	r->len = NLMSG_HDRLEN + GENL_HDRLEN;
	r->msg[0] = 0;
	r->miss_type = -1;
}

/* Send the request; r->err is its errno (0: accepted), r->msg its extack. */
static int send_req(struct raw *r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)r->buf;
	char ans[4096];
	ssize_t n;

	nlh->nlmsg_len = r->len;
	if (send(r->fd, r->buf, r->len, 0) < 0)
		return -errno;
	n = recv(r->fd, ans, sizeof(ans), 0);
	if (n < (ssize_t)NLMSG_HDRLEN)
		return -EIO;
	nlh = (struct nlmsghdr *)ans;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nlh);
		struct nlattr *a;
		int rem;

		r->err = -e->error;
		/* NETLINK_CAP_ACK: the request is not echoed, TLVs follow */
		a = (struct nlattr *)((char *)e + sizeof(*e));
		rem = (char *)nlh + nlh->nlmsg_len - (char *)a;
		while (rem >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
		       a->nla_len <= rem) {
			if (a->nla_type == NLMSGERR_ATTR_MSG)
				snprintf(r->msg, sizeof(r->msg), "%s",
					 (char *)a + NLA_HDRLEN);
			if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE)
				r->miss_type = *(__u32 *)((char *)a + NLA_HDRLEN);
			rem -= NLA_ALIGN(a->nla_len);
			a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
		}
	} else {
		r->err = 0;
	}
	return 0;
}

struct nm {
	struct nsim_pair p;
	struct mp_policies *pol;
	struct bpf_link *link;
	struct ynl_sock *ys;
	int ifindex;
	struct raw r;
};

/*
 * Expect errno @err (-1: any) and, if @text, an extack containing it;
 * nothing attached.
 */
static void expect(struct nm *m, const char *what, int err, const char *text)
{
	char name[160];

	snprintf(name, sizeof(name), "%s: errno", what);
	if (!ASSERT_OK(send_req(&m->r), "send"))
		return;
	if (err < 0)	/* any errno: the netlink policy decides which */
		ASSERT_GT(m->r.err, 0, name);
	else
		ASSERT_EQ(m->r.err, err, name);
	if (text && !ASSERT_TRUE(strstr(m->r.msg, text), what))
		fprintf(stderr, "%s: extack \"%s\", wanted \"%s\"\n", what, m->r.msg, text);
	snprintf(name, sizeof(name), "%s: nothing attached", what);
	ASSERT_EQ(mp_attached_queues(m->ys, m->ifindex), 0, name);
}

static void attach_start(struct nm *m, bool ifindex, bool policy)
{
	start(&m->r, BPF_MP_CMD_ATTACH);
	if (ifindex)
		put_u32(&m->r, BPF_MP_A_QUEUE_IFINDEX, m->ifindex);
	if (policy)
		put_attr(&m->r, BPF_MP_A_QUEUE_POLICY, "t_upper", 8);
}

/* A replace request for queues to be added, to t_upper. */
static void replace_start(struct nm *m)
{
	start(&m->r, BPF_MP_CMD_REPLACE);
	put_u32(&m->r, BPF_MP_A_QUEUE_IFINDEX, m->ifindex);
	put_attr(&m->r, BPF_MP_A_QUEUE_POLICY, "t_upper", 8);
}

static void malformed(struct nm *m)
{
	char longname[17] = "0123456789abcdef";
	__u16 short_ifindex = m->ifindex;
	unsigned int q;
	int memfd, sock;

	attach_start(m, false, true);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "no ifindex", EINVAL, NULL);
	ASSERT_EQ(m->r.miss_type, BPF_MP_A_QUEUE_IFINDEX, "missing attribute named");

	attach_start(m, true, true);
	expect(m, "no queue-id", EINVAL, "no queue-id given");

	attach_start(m, true, false);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "no policy", EINVAL, NULL);
	ASSERT_EQ(m->r.miss_type, BPF_MP_A_QUEUE_POLICY, "missing attribute named");

	start(&m->r, BPF_MP_CMD_ATTACH);
	put_u32(&m->r, BPF_MP_A_QUEUE_IFINDEX, 0);
	put_attr(&m->r, BPF_MP_A_QUEUE_POLICY, "t_upper", 8);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "ifindex 0", ERANGE, "range");

	attach_start(m, true, false);
	put_attr(&m->r, BPF_MP_A_QUEUE_POLICY, longname, sizeof(longname));
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "16-byte policy name", -1, NULL);

	start(&m->r, BPF_MP_CMD_ATTACH);
	put_attr(&m->r, BPF_MP_A_QUEUE_IFINDEX, &short_ifindex, sizeof(short_ifindex));
	put_attr(&m->r, BPF_MP_A_QUEUE_POLICY, "t_upper", 8);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "2-byte ifindex", EINVAL, "length");

	attach_start(m, true, true);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	put_u32(&m->r, BPF_MP_A_QUEUE_FLAGS, 0x80);
	expect(m, "unknown flag bit", EINVAL, NULL);

	memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	attach_start(m, true, true);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	put_u32(&m->r, BPF_MP_A_QUEUE_DMABUF_FD, memfd);
	expect(m, "memfd as dmabuf-fd", EINVAL, "not a dma-buf");
	close(memfd);

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	attach_start(m, true, true);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	put_u32(&m->r, BPF_MP_A_QUEUE_DMABUF_FD, sock);
	expect(m, "socket as dmabuf-fd", EINVAL, "not a dma-buf");
	close(sock);

	attach_start(m, true, true);
	for (q = 0; q <= NQ; q++)
		put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, q);
	expect(m, "more queue ids than queues", EINVAL, "out of range");

	start(&m->r, BPF_MP_CMD_DETACH);
	put_u32(&m->r, BPF_MP_A_QUEUE_IFINDEX, m->ifindex);
	expect(m, "detach without queue-id", EINVAL, "no queue-id given");

	/* replace: only what it changes (its per-op policy ends at policy),
	 * and only for attached queues
	 */
	start(&m->r, BPF_MP_CMD_REPLACE);
	put_u32(&m->r, BPF_MP_A_QUEUE_IFINDEX, m->ifindex);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "replace without policy", EINVAL, NULL);
	ASSERT_EQ(m->r.miss_type, BPF_MP_A_QUEUE_POLICY, "missing attribute named");

	replace_start(m);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	put_u32(&m->r, BPF_MP_A_QUEUE_DMABUF_FD, 0);
	expect(m, "replace with a dmabuf-fd", EINVAL, "Unknown attribute type");

	replace_start(m);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	put_u32(&m->r, BPF_MP_A_QUEUE_FLAGS, BPF_MP_ATTACH_FLAGS_STRICT);
	expect(m, "replace with flags", EINVAL, "Unknown attribute type");

	replace_start(m);
	put_u32(&m->r, BPF_MP_A_QUEUE_QUEUE_ID, 0);
	expect(m, "replace on a queue not attached", ENOENT, "queue 0 is not attached");

	ASSERT_OK(mp_no_dmabufs_left(), "no dma-buf left");
}

void test_nl_malformed(void)
{
	struct ynl_error yerr;
	struct nm m = {};
	int one = 1;

	if (!ASSERT_OK(nsim_pair_create(&m.p, 34, NQ), "netdevsim pair"))
		return;
	ASSERT_OK(test__sh(IN_RX NLTOOL " hds %s on 0", m.p.rx_if), "header split on");
	m.pol = mp_policies__open_and_load();
	if (!ASSERT_OK_PTR(m.pol, "load policies"))
		goto out;
	m.link = bpf_map__attach_struct_ops(m.pol->maps.t_upper);
	m.ys = mp_sock_rx(m.p.rx_if, &m.ifindex);
	if (!ASSERT_OK_PTR(m.ys, "bpf-mp socket"))
		goto out;
	m.r.family = m.ys->family_id;
	nsim_enter_ns(NSIM_RX_NS);
	m.r.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	nsim_enter_ns(NULL);
	if (!ASSERT_GE(m.r.fd, 0, "raw genetlink socket"))
		goto out;
	setsockopt(m.r.fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(m.r.fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)yerr;

	if (test__start_subtest("malformed_requests"))
		malformed(&m);
	close(m.r.fd);
out:
	if (m.ys)
		ynl_sock_destroy(m.ys);
	nsim_pair_destroy(&m.p);
	bpf_link__destroy(m.link);
	mp_policies__destroy(m.pol);
}
