// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl save: the current setup in "mpctl apply"'s format, so that
 * "mpctl save > f; mpctl apply f" changes nothing.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "tunables.h"

static const char save_usage[] =
"Usage: mpctl save [IF]\n"
"\n"
"Print the registered policies' tunables, the attached queues (of IF, or of\n"
"every interface) and their XDP programs as a setup file 'mpctl apply'\n"
"reads (docs/apply.md).  Device memory is written as a udmabuf of the\n"
"binding's size, whatever made it.\n";

/* [policies]: the policy library, if every policy in it is registered. */
static void save_objects(const struct sys *s)
{
	char path[PATH_MAX];
	struct bpf_object *obj;
	struct bpf_map *map;
	bool all = true;

	if (mpctl_lib_path(MPCTL_DEFAULT_OBJ, path, sizeof(path)))
		return;
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return;
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			all &= sys_registered(s, bpf_map__name(map));
	bpf_object__close(obj);
	if (all)
		printf("[policies]\nobject = %s\n\n", path);
	else
		printf("# [policies]: not all of %s's policies are registered\n\n", path);
}

static void save_tunables(const struct sys *s)
{
	for (unsigned int i = 0; i < s->nreg; i++) {
		struct tun_policy tp;
		char err[600], val[TUN_VAL_MAX];
		bool header = false;

		if (tun_policy_open(s->registered[i], &tp, err, sizeof(err))) {
			printf("# [policy %s]: %s\n\n", s->registered[i], err);
			continue;
		}
		for (unsigned int k = 0; k < tp.nkeys; k++) {
			if (tp.maps[tp.keys[k].map].per_queue ||
			    tun_read(&tp, k, 0, 0, val, sizeof(val)) <= 0)
				continue;
			if (!header)
				printf("[policy %s]\n", tp.name);
			header = true;
			printf("%s = %s\n", tp.keys[k].name, val);
		}
		if (header)
			putchar('\n');
		tun_policy_close(&tp);
	}
}

/* The per-queue tunables of @q as "key = val\n" lines, for grouping. */
static void queue_tunables(struct tun_cache *tc, const struct sys_queue *q,
			   char *buf, size_t len)
{
	const struct tun_policy *tp = NULL;
	char err[600];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < tc->n; i++)
		if (!strcmp(tc->tp[i].name, q->policy))
			tp = tc->ok[i] ? &tc->tp[i] : NULL;
	if (!tp && tc->n < TUN_CACHE_MAX && q->policy[0]) {
		bool found = false;

		for (unsigned int i = 0; i < tc->n; i++)
			found |= !strcmp(tc->tp[i].name, q->policy);
		if (!found) {
			tc->ok[tc->n] = !tun_policy_open(q->policy, &tc->tp[tc->n],
							 err, sizeof(err));
			snprintf(tc->tp[tc->n].name, sizeof(tc->tp[0].name), "%s", q->policy);
			tp = tc->ok[tc->n] ? &tc->tp[tc->n] : NULL;
			tc->n++;
		}
	}
	for (unsigned int k = 0; tp && k < tp->nkeys; k++) {
		char val[TUN_VAL_MAX];

		if (!tp->maps[tp->keys[k].map].per_queue ||
		    tun_read(tp, k, q->ifindex, q->queue, val, sizeof(val)) <= 0)
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					"%s = %s\n", tp->keys[k].name, val);
	}
}

/* [queues IF LIST]: the queues one attach would make, with their setup. */
static void save_queues(const struct sys *s, unsigned int only)
{
	struct tun_cache *tc = calloc(1, sizeof(*tc));
	bool *done = calloc(s->nq ? s->nq : 1, sizeof(*done));
	char (*tun)[512] = calloc(s->nq ? s->nq : 1, sizeof(*tun));

	if (!tc || !done || !tun)
		goto out;
	for (unsigned int i = 0; i < s->nq; i++)
		queue_tunables(tc, &s->q[i], tun[i], sizeof(tun[i]));
	for (unsigned int i = 0; i < s->nq; i++) {
		const struct sys_queue *a = &s->q[i];
		char ifname[IF_NAMESIZE + 12], list[256], sz[32];
		uint32_t ids[256];
		uint16_t flow = 0;
		unsigned int n = 0;

		if (done[i] || (only && a->ifindex != only))
			continue;
		for (unsigned int j = i; j < s->nq && n < 256; j++) {
			const struct sys_queue *b = &s->q[j];
			bool same;

			if (done[j] || b->ifindex != a->ifindex ||
			    b->has_binding != a->has_binding)
				continue;
			/* a binding is one attach; without one, alike queues are */
			same = a->has_binding ? b->dmabuf_id == a->dmabuf_id :
			       !strcmp(a->policy, b->policy) && a->strict == b->strict &&
			       !a->flow_port && !b->flow_port && !strcmp(tun[i], tun[j]);
			if (!same && j != i)
				continue;
			done[j] = true;
			ids[n++] = b->queue;
			if (b->flow_port)
				flow = b->flow_port;
		}
		for (unsigned int x = 1; x < n; x++)
			for (unsigned int y = x; y && ids[y - 1] > ids[y]; y--) {
				uint32_t t = ids[y];

				ids[y] = ids[y - 1];
				ids[y - 1] = t;
			}
		queue_list_format(ids, n, list, sizeof(list));
		printf("[queues %s %s]\npolicy = %s\n",
		       netdev_name(a->ifindex, ifname, sizeof(ifname)), list, a->policy);
		if (a->has_binding) {
			size_short(a->device_bytes, sz, sizeof(sz));
			printf("udmabuf = %s\n", sz);
		}
		if (a->strict)
			printf("strict = yes\n");
		if (flow)
			printf("flow = tcp:%u\n", flow);
		/* the group's queues may differ here only with a binding */
		fputs(tun[i], stdout);
		putchar('\n');
	}
out:
	if (tc)
		tun_cache_free(tc);
	free(tc);
	free(done);
	free(tun);
}

static void save_xdp(const struct sys *s, unsigned int only)
{
	for (unsigned int i = 0; i < s->nq; i++) {
		char ifname[IF_NAMESIZE + 12];
		struct xdp_state xs;
		uint16_t ports[1024];
		unsigned int n = 0;
		bool seen = false;

		for (unsigned int j = 0; j < i; j++)
			seen |= s->q[j].ifindex == s->q[i].ifindex;
		if (seen || (only && s->q[i].ifindex != only) ||
		    xdp_state_get(s->q[i].ifindex, &xs) || !xs.id)
			continue;
		printf("[xdp %s]\nprog = %s\nmode = %s\n",
		       netdev_name(s->q[i].ifindex, ifname, sizeof(ifname)),
		       xs.name[0] ? xs.name : "?", xs.mode);
		if (!sys_xdp_ports(xs.id, ports, 1024, &n) && n) {
			printf("ports = ");
			for (unsigned int k = 0; k < n; k++)
				printf("%s%u", k ? "," : "", ports[k]);
			putchar('\n');
		}
		putchar('\n');
	}
}

int cmd_save(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG, NULL },
		{ NULL,		OPT_FLAG, NULL },
	};
	unsigned int only = 0;
	const char *pos[1];
	struct sys s;
	int npos;

	if (opts_parse("save", argc - 1, argv + 1, opts, pos, 1, &npos)) {
		fprintf(stderr, "Try 'mpctl save --help'.\n");
		return MPCTL_USAGE;
	}
	if (opt_val(opts, "--help")) {
		fputs(save_usage, stdout);
		return MPCTL_OK;
	}
	if (npos) {
		only = strlen(pos[0]) < IF_NAMESIZE ? if_nametoindex(pos[0]) : 0;
		if (!only) {
			fprintf(stderr, "mpctl: %s: no such interface\n", pos[0]);
			return MPCTL_FAIL;
		}
	}
	libbpf_log_init(true);
	if (sys_read(&s))
		return MPCTL_FAIL;
	printf("# mpctl save: 'mpctl apply FILE' sets this up again (docs/apply.md)\n\n");
	save_objects(&s);
	save_tunables(&s);
	save_queues(&s, only);
	save_xdp(&s, only);
	sys_free(&s);
	fflush(stdout);
	return ferror(stdout) ? MPCTL_FAIL : MPCTL_OK;
}
