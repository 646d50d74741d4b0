// SPDX-License-Identifier: GPL-2.0
/* What "mpctl apply" compares a setup file with, and "mpctl save" prints. */
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "nl.h"

int sys_read(struct sys *s)
{
	struct bpf_mp_queue_get_req_dump *dreq;
	struct bpf_mp_policy_get_list *pl;
	struct bpf_mp_queue_get_list *qs;
	long page = sysconf(_SC_PAGESIZE);
	struct ynl_sock *ys;
	unsigned int n = 0;
	char err[600];
	int rc = -1;

	memset(s, 0, sizeof(*s));
	ys = nl_open();
	if (!ys)
		return -1;
	pl = bpf_mp_policy_get_dump(ys);
	if (!pl) {
		fprintf(stderr, "mpctl: list policies: %s\n",
			nl_strerror(ys, err, sizeof(err)));
		goto out;
	}
	ynl_dump_foreach(pl, p)
		if (p->name && s->nreg < sizeof(s->registered) / sizeof(s->registered[0]))
			snprintf(s->registered[s->nreg++], 16, "%s", p->name);
	bpf_mp_policy_get_list_free(pl);

	dreq = bpf_mp_queue_get_req_dump_alloc();
	if (!dreq)
		goto out;
	qs = bpf_mp_queue_get_dump(ys, dreq);
	bpf_mp_queue_get_req_dump_free(dreq);
	if (!qs) {
		fprintf(stderr, "mpctl: list attached queues: %s\n",
			nl_strerror(ys, err, sizeof(err)));
		goto out;
	}
	ynl_dump_foreach(qs, q)
		n++;
	s->q = calloc(n ? n : 1, sizeof(*s->q));
	if (!s->q) {
		bpf_mp_queue_get_list_free(qs);
		goto out;
	}
	ynl_dump_foreach(qs, q) {
		struct sys_queue *sq = &s->q[s->nq];
		struct flow_undo u;
		char what[16];

		if (!q->_count.queue_id)
			continue;
		sq->ifindex = q->ifindex;
		sq->queue = q->queue_id[0];
		snprintf(sq->policy, sizeof(sq->policy), "%s", q->policy ? q->policy : "");
		sq->strict = q->flags & BPF_MP_ATTACH_FLAGS_STRICT;
		sq->has_binding = q->_present.dmabuf_id;
		sq->dmabuf_id = q->dmabuf_id;
		/* devmem's net_iovs are one page each */
		sq->device_bytes = q->device_total * (uint64_t)(page > 0 ? page : 4096);
		snprintf(what, sizeof(what), "q%u", sq->queue);
		if (flow_state_peek(sq->ifindex, what, &u) && u.has_rule)
			sq->flow_port = u.port;
		s->nq++;
	}
	bpf_mp_queue_get_list_free(qs);
	rc = 0;
out:
	ynl_sock_destroy(ys);
	return rc;
}

void sys_free(struct sys *s)
{
	free(s->q);
	s->q = NULL;
	s->nq = 0;
}

bool sys_registered(const struct sys *s, const char *name)
{
	for (unsigned int i = 0; i < s->nreg; i++)
		if (!strcmp(s->registered[i], name))
			return true;
	return false;
}

struct sys_queue *sys_queue(const struct sys *s, unsigned int ifindex,
			    uint32_t queue)
{
	for (unsigned int i = 0; i < s->nq; i++)
		if (s->q[i].ifindex == ifindex && s->q[i].queue == queue)
			return &s->q[i];
	return NULL;
}

int sys_xdp_ports(uint32_t id, uint16_t *ports, unsigned int max,
		  unsigned int *n)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), map_ids[16];
	int fd = bpf_prog_get_fd_by_id(id);

	*n = 0;
	if (fd < 0)
		return -1;
	info.nr_map_ids = sizeof(map_ids) / sizeof(map_ids[0]);
	info.map_ids = (uintptr_t)map_ids;
	if (bpf_prog_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -1;
	}
	close(fd);
	for (uint32_t i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi = {};
		uint32_t ml = sizeof(mi);
		uint16_t key, next;
		bool first = true;
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (bpf_map_get_info_by_fd(mfd, &mi, &ml) ||
		    strcmp(mi.name, "mp_dev_ports") || mi.key_size != 2) {
			close(mfd);
			continue;
		}
		while (*n < max && !bpf_map_get_next_key(mfd, first ? NULL : &key, &next)) {
			unsigned int j;

			first = false;
			key = next;
			for (j = *n; j && ports[j - 1] > key; j--)
				ports[j] = ports[j - 1];
			ports[j] = key;
			(*n)++;
		}
		close(mfd);
		return 0;
	}
	return 0;
}

void size_short(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && size && !(size % 1024)) {
		size /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)size);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)size, units[u]);
}
