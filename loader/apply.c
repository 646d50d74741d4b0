// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl apply FILE [--dry-run]: bring policies, tunables, attachments and
 * XDP to what FILE says.  Three steps: check everything FILE says against
 * the system (nothing changes if anything is wrong), plan only what
 * differs (so a second apply does nothing), then do it, undoing what was
 * done, in reverse, if a step fails.  The steps reuse the verbs (attach,
 * detach, policy load, xdp), so their checks and messages stay one.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "tunables.h"

static const char apply_usage[] =
"Usage: mpctl apply FILE [--dry-run]\n"
"\n"
"Bring the system to the setup FILE describes (INI; '-' reads stdin):\n"
"policies to register, their tunables, queues attached with device memory\n"
"and flows, XDP programs.  Only what differs is changed, so applying twice\n"
"changes nothing the second time.  All or nothing: FILE is checked first,\n"
"and if a change fails the ones made are undone.  The interfaces FILE has\n"
"[queues] sections for are FILE's: their other queues are detached.\n"
"\n"
"  --dry-run   print what would change, change nothing\n"
"\n"
"'mpctl save' prints the current setup in the same format; docs/apply.md\n"
"describes it.\n";

#define MAX_ACTS	128
#define MAX_SETS	64
#define SET_LEN		(TUN_NAME_MAX + TUN_VAL_MAX + 40)

enum act_kind { A_LOAD, A_SET, A_DETACH, A_ATTACH, A_XDP_DETACH, A_XDP_ATTACH };

/* One change: what to do, and what undoes it. */
struct act {
	enum act_kind kind;
	int line;			/* of the section that asks for it */
	char what[400];			/* printed before it is done */
	const struct conf_obj *obj;	/* A_LOAD */
	char policy[16];		/* A_SET, A_DETACH's restore */
	char set[MAX_SETS][SET_LEN];	/* A_SET: "high=80", "3:2.verdict=device" */
	char old[MAX_SETS][SET_LEN];	/* what each was; "" if it had no entry */
	unsigned int nset;
	bool live;			/* A_SET: old[] read from the kernel */
	char ifname[IF_NAMESIZE];	/* A_DETACH, A_XDP_DETACH */
	unsigned int ifindex;
	char list[256];			/* A_DETACH: the queues */
	uint64_t bytes;			/* A_DETACH: its device memory, to restore */
	bool strict;
	uint16_t flow_port;
	const struct conf_q *q;		/* A_ATTACH */
	int prog_fd;			/* A_XDP_DETACH: the old program */
	uint32_t xdp_flags;
	const struct conf_xdp *x;	/* A_XDP_ATTACH */
};

struct plan {
	struct act *a;
	unsigned int n;
};

static struct act *act_new(struct plan *p, enum act_kind kind, int line)
{
	struct act *a;

	if (p->n == MAX_ACTS) {
		fprintf(stderr, "mpctl: apply: more than %d changes\n", MAX_ACTS);
		return NULL;
	}
	a = &p->a[p->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->line = line;
	a->prog_fd = -1;
	return a;
}

/* Run verb @fn with the NULL-terminated words: its own checks and output. */
static int run(int (*fn)(int, char **), ...)
{
	char *argv[16];
	int argc = 0, rc;
	va_list ap;
	const char *w;

	va_start(ap, fn);
	while ((w = va_arg(ap, const char *)) && argc < 15)
		argv[argc++] = strdup(w);
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	rc = fn(argc, argv);
	fflush(stdout);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

static int attach_words(int (*fn)(int, char **), const char *ifname,
			const char *list, const char *policy, uint64_t bytes,
			bool strict, uint16_t flow_port)
{
	char size[32] = "", flow[16] = "";
	/* the optional words; the first NULL ends run()'s list */
	const char *w[6] = { NULL };
	int n = 0;

	if (bytes)
		size_short(bytes, size, sizeof(size));
	if (flow_port)
		snprintf(flow, sizeof(flow), "tcp:%u", flow_port);
	if (bytes) {
		w[n++] = "--udmabuf";
		w[n++] = size;
	}
	if (strict)
		w[n++] = "--strict";
	if (flow_port) {
		w[n++] = "--flow";
		w[n++] = flow;
	}
	return run(fn, "attach", ifname, "--queues", list, "--policy", policy,
		   w[0], w[1], w[2], w[3], w[4], NULL);
}

/* --- checks: every section against the system, before any change ------- */

/* Which policy library object registers @name, if FILE loads one. */
static const struct conf_obj *obj_of(const struct conf *c, const char *name)
{
	for (unsigned int i = 0; i < c->nobj; i++)
		for (unsigned int j = 0; j < c->obj[i].nnames; j++)
			if (c->obj[i].load && !strcmp(c->obj[i].names[j], name))
				return &c->obj[i];
	return NULL;
}

/* The tunables of @name, from the kernel or from the object FILE loads. */
static int pol_tunables(const struct conf *c, const struct sys *s,
			const char *name, int line, struct tun_policy *tp,
			bool *live)
{
	const struct conf_obj *o = obj_of(c, name);
	char err[600];

	*live = sys_registered(s, name);
	if (*live) {
		if (!tun_policy_open(name, tp, err, sizeof(err)))
			return 0;
	} else if (o) {
		if (!tun_policy_from_btf(name, bpf_object__btf(o->bpf_obj), tp,
					 err, sizeof(err)))
			return 0;
	} else {
		snprintf(err, sizeof(err),
			 "policy %s: not registered, and no [policies] object has it", name);
	}
	conf_error(c, line, "%s", err);
	return -1;
}

static int check_objs(struct conf *c, const struct sys *s)
{
	for (unsigned int i = 0; i < c->nobj; i++) {
		struct conf_obj *o = &c->obj[i];
		struct bpf_object *obj;
		struct bpf_map *map;
		unsigned int reg = 0;

		obj = bpf_object__open_file(o->path, NULL);
		if (!obj) {
			conf_error(c, o->line, "object %s: %s", o->path, strerror(errno));
			return -1;
		}
		o->bpf_obj = obj;
		bpf_object__for_each_map(map, obj) {
			if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS ||
			    o->nnames == CONF_MAX_NAMES)
				continue;
			snprintf(o->names[o->nnames], 16, "%s", bpf_map__name(map));
			reg += sys_registered(s, o->names[o->nnames]);
			o->nnames++;
		}
		if (!o->nnames) {
			conf_error(c, o->line, "object %s: no struct_ops policies in it",
				   o->path);
			return -1;
		}
		/* half registered: someone else's; loading would collide */
		if (reg && reg != o->nnames) {
			conf_error(c, o->line, "object %s: %u of its %u policies are registered already, not all (unload them or register the rest)",
				   o->path, reg, o->nnames);
			return -1;
		}
		o->load = !reg;
	}
	return 0;
}

static int check_queues(const struct conf *c, const struct sys *s)
{
	for (unsigned int i = 0; i < c->nq; i++) {
		const struct conf_q *q = &c->q[i];
		struct tun_policy tp;
		char err[1024];
		bool live;
		int nrx;

		nrx = netdev_rx_queues(q->ifname);
		if (nrx < 0) {
			conf_error(c, q->line, "[queues %s %s]: %s: no such interface",
				   q->ifname, q->list, q->ifname);
			return -1;
		}
		if (q->ql.ids[q->ql.n - 1] >= (uint32_t)nrx) {
			conf_error(c, q->line, "[queues %s %s]: queue %u out of range (%s has %d RX queues)",
				   q->ifname, q->list, q->ql.ids[q->ql.n - 1],
				   q->ifname, nrx);
			return -1;
		}
		for (unsigned int j = 0; j < i; j++) {
			const struct conf_q *o = &c->q[j];

			if (o->ifindex != q->ifindex)
				continue;
			for (unsigned int a = 0; a < q->ql.n; a++)
				for (unsigned int b = 0; b < o->ql.n; b++)
					if (q->ql.ids[a] == o->ql.ids[b]) {
						conf_error(c, q->line, "[queues %s %s]: queue %u is in [queues %s %s] already (line %d)",
							   q->ifname, q->list, q->ql.ids[a],
							   o->ifname, o->list, o->line);
						return -1;
					}
		}
		if (q->udmabuf && udmabuf_check_size(q->udmabuf, err, sizeof(err))) {
			conf_error(c, q->line, "udmabuf %s: %s", q->udmabuf_s, err);
			return -1;
		}
		if (pol_tunables(c, s, q->policy, q->policy_line, &tp, &live))
			return -1;
		for (unsigned int k = 0; k < q->nkv; k++) {
			int key = tun_queue_key(&tp, q->kv[k].key);
			struct tun_assign a = {};

			if (key < 0) {
				tun_valid_keys(&tp, err, sizeof(err));
				conf_error(c, q->kv[k].line, "[queues %s %s]: '%s' is not a key here (valid: policy, udmabuf, strict, flow%s%s)",
					   q->ifname, q->list, q->kv[k].key,
					   tun_queue_key(&tp, NULL) >= 0 ? ", " : "",
					   tun_queue_key(&tp, NULL) >= 0 ?
					   tp.keys[tun_queue_key(&tp, NULL)].name : "");
				tun_policy_close(&tp);
				return -1;
			}
			if (tun_parse_value(&tp, (unsigned int)key, q->kv[k].val, &a,
					    err, sizeof(err))) {
				conf_error(c, q->kv[k].line, "policy %s: %s", q->policy, err);
				tun_policy_close(&tp);
				return -1;
			}
		}
		tun_policy_close(&tp);
	}
	return 0;
}

static int check_all(struct conf *c, const struct sys *s)
{
	for (unsigned int i = 0; i < c->nq; i++) {
		c->q[i].ifindex = strlen(c->q[i].ifname) < IF_NAMESIZE ?
				  if_nametoindex(c->q[i].ifname) : 0;
		if (!c->q[i].ifindex) {
			conf_error(c, c->q[i].line, "[queues %s %s]: %s: no such interface",
				   c->q[i].ifname, c->q[i].list, c->q[i].ifname);
			return -1;
		}
	}
	for (unsigned int i = 0; i < c->nxdp; i++) {
		struct conf_xdp *x = &c->xdp[i];

		x->ifindex = if_nametoindex(x->ifname);
		if (!x->ifindex) {
			conf_error(c, x->line, "[xdp %s]: %s: no such interface",
				   x->ifname, x->ifname);
			return -1;
		}
		if (x->obj[0] && access(x->obj, R_OK)) {
			conf_error(c, x->line, "[xdp %s]: object %s: %s", x->ifname,
				   x->obj, strerror(errno));
			return -1;
		}
	}
	return check_objs(c, s) || check_queues(c, s) ? -1 : 0;
}

/* --- the plan: only what differs ----------------------------------------- */

static int plan_loads(const struct conf *c, struct plan *p)
{
	for (unsigned int i = 0; i < c->nobj; i++) {
		const struct conf_obj *o = &c->obj[i];
		struct act *a;
		size_t off;

		if (!o->load)
			continue;
		a = act_new(p, A_LOAD, o->line);
		if (!a)
			return -1;
		a->obj = o;
		off = (size_t)snprintf(a->what, sizeof(a->what), "load %s (registers", o->path);
		for (unsigned int j = 0; j < o->nnames && off < sizeof(a->what); j++)
			off += (size_t)snprintf(a->what + off, sizeof(a->what) - off,
						" %s", o->names[j]);
		if (off < sizeof(a->what))
			snprintf(a->what + off, sizeof(a->what) - off, ")");
	}
	return 0;
}

/* Add "KEY=VAL" to @a when it differs from what the kernel has. */
static int plan_one_set(const struct conf *c, struct act *a,
			const struct tun_policy *tp, bool live, int key,
			uint32_t ifindex, uint32_t queue, const char *val,
			int line)
{
	const struct tun_key *k = &tp->keys[key];
	char cur[TUN_VAL_MAX] = "", norm[TUN_VAL_MAX], err[1024];
	struct tun_assign as = {};
	int have = 0;

	if (tun_parse_value(tp, (unsigned int)key, val, &as, err, sizeof(err))) {
		conf_error(c, line, "policy %s: %s", tp->name, err);
		return -1;
	}
	/* compare in the form the kernel's value prints as: 0x10 == 16 */
	tun_format(tp, (unsigned int)key, as.raw, norm, sizeof(norm));
	if (live) {
		have = tun_read(tp, (unsigned int)key, ifindex, queue, cur, sizeof(cur));
		if (have < 0) {
			conf_error(c, line, "policy %s: %s: cannot read it", tp->name, k->name);
			return -1;
		}
		if (have && !strcmp(cur, norm))
			return 0;
	}
	if (a->nset == MAX_SETS) {
		conf_error(c, line, "too many tunables");
		return -1;
	}
	if (tp->maps[k->map].per_queue)
		snprintf(a->set[a->nset], SET_LEN, "%u:%u.%s=%s", ifindex, queue,
			 k->name, norm);
	else
		snprintf(a->set[a->nset], SET_LEN, "%s=%s", k->name, norm);
	if (have)
		snprintf(a->old[a->nset], SET_LEN, "%s", cur);
	else
		a->old[a->nset][0] = '\0';
	a->nset++;
	return 0;
}

static void set_describe(struct act *a, const char *subject)
{
	size_t off = (size_t)snprintf(a->what, sizeof(a->what), "set %s", subject);

	for (unsigned int i = 0; i < a->nset && off < sizeof(a->what); i++) {
		const char *eq = strchr(a->set[i], '=');
		const char *dot = strchr(a->set[i], '.');
		const char *name = dot && dot < eq ? dot + 1 : a->set[i];

		/* a policy FILE registers: its defaults are not known yet */
		off += (size_t)snprintf(a->what + off, sizeof(a->what) - off,
					" %.*s=%s%s%s%s", (int)(eq - name), name, eq + 1,
					a->live ? " (was " : "",
					a->live ? (a->old[i][0] ? a->old[i] : "unset") : "",
					a->live ? ")" : "");
	}
}

static int plan_sets(const struct conf *c, const struct sys *s, struct plan *p)
{
	for (unsigned int i = 0; i < c->npol; i++) {
		const struct conf_pol *pol = &c->pol[i];
		struct tun_policy tp;
		struct act *a;
		bool live;

		if (pol_tunables(c, s, pol->name, pol->line, &tp, &live))
			return -1;
		a = act_new(p, A_SET, pol->line);
		if (!a)
			goto fail;
		snprintf(a->policy, sizeof(a->policy), "%s", pol->name);
		a->live = live;
		for (unsigned int k = 0; k < pol->nkv; k++) {
			char arg[SET_LEN], err[1024];
			struct tun_assign as;

			snprintf(arg, sizeof(arg), "%s=%s", pol->kv[k].key, pol->kv[k].val);
			if (tun_parse(&tp, arg, &as, err, sizeof(err))) {
				conf_error(c, pol->kv[k].line, "[policy %s]: %s", pol->name, err);
				goto fail;
			}
			if (plan_one_set(c, a, &tp, live, (int)as.key, 0, 0,
					 pol->kv[k].val, pol->kv[k].line))
				goto fail;
		}
		tun_policy_close(&tp);
		if (!a->nset)
			p->n--;		/* all as FILE says already */
		else
			set_describe(a, pol->name);
		continue;
fail:
		tun_policy_close(&tp);
		return -1;
	}
	/* per-queue tunables of [queues] sections */
	for (unsigned int i = 0; i < c->nq; i++) {
		const struct conf_q *q = &c->q[i];
		struct tun_policy tp;
		char subj[128];
		struct act *a;
		bool live;

		if (!q->nkv)
			continue;
		if (pol_tunables(c, s, q->policy, q->policy_line, &tp, &live))
			return -1;
		a = act_new(p, A_SET, q->line);
		if (!a) {
			tun_policy_close(&tp);
			return -1;
		}
		snprintf(a->policy, sizeof(a->policy), "%s", q->policy);
		a->live = live;
		for (unsigned int k = 0; k < q->nkv; k++)
			for (unsigned int j = 0; j < q->ql.n; j++)
				if (plan_one_set(c, a, &tp, live,
						 tun_queue_key(&tp, q->kv[k].key),
						 q->ifindex, q->ql.ids[j], q->kv[k].val,
						 q->kv[k].line)) {
					tun_policy_close(&tp);
					return -1;
				}
		tun_policy_close(&tp);
		snprintf(subj, sizeof(subj), "%s %s queues %s", q->policy, q->ifname,
			 q->list);
		if (!a->nset)
			p->n--;
		else
			set_describe(a, subj);
	}
	return 0;
}

/* Is [queues] @q attached as it says? */
static bool q_matches(const struct sys *s, const struct conf_q *q)
{
	uint32_t bind = 0;

	for (unsigned int i = 0; i < q->ql.n; i++) {
		const struct sys_queue *sq = sys_queue(s, q->ifindex, q->ql.ids[i]);

		if (!sq || strcmp(sq->policy, q->policy) || sq->strict != q->strict ||
		    sq->flow_port != (i ? 0 : q->flow_port) ||
		    sq->has_binding != !!q->udmabuf)
			return false;
		if (!q->udmabuf)
			continue;
		if (sq->device_bytes != q->udmabuf || (i && sq->dmabuf_id != bind))
			return false;
		bind = sq->dmabuf_id;
	}
	/* one binding for exactly these queues, as one attach makes it */
	for (unsigned int i = 0; q->udmabuf && i < s->nq; i++) {
		const struct sys_queue *sq = &s->q[i];
		bool in = false;

		if (sq->ifindex != q->ifindex || !sq->has_binding || sq->dmabuf_id != bind)
			continue;
		for (unsigned int j = 0; j < q->ql.n; j++)
			in |= q->ql.ids[j] == sq->queue;
		if (!in)
			return false;
	}
	return true;
}

/* The [queues] section of @ifindex holding @queue, or NULL. */
static const struct conf_q *q_section(const struct conf *c, unsigned int ifindex,
				      uint32_t queue)
{
	for (unsigned int i = 0; i < c->nq; i++)
		for (unsigned int j = 0; c->q[i].ifindex == ifindex && j < c->q[i].ql.n; j++)
			if (c->q[i].ql.ids[j] == queue)
				return &c->q[i];
	return NULL;
}

/* Would @a and @b have come from one attach? */
static bool same_attach(const struct sys_queue *a, const struct sys_queue *b)
{
	if (a->ifindex != b->ifindex || a->has_binding != b->has_binding)
		return false;
	if (a->has_binding)
		return a->dmabuf_id == b->dmabuf_id;
	return !strcmp(a->policy, b->policy) && a->strict == b->strict &&
	       !a->flow_port && !b->flow_port;
}

static int plan_queues(const struct conf *c, const struct sys *s, struct plan *p)
{
	bool *gone = calloc(s->nq ? s->nq : 1, sizeof(*gone));

	if (!gone)
		return -1;
	/* detach: queues of FILE's interfaces that are not as FILE says */
	for (unsigned int i = 0; i < s->nq; i++) {
		const struct conf_q *q;
		bool owned = false;

		for (unsigned int j = 0; j < c->nq; j++)
			owned |= c->q[j].ifindex == s->q[i].ifindex;
		q = q_section(c, s->q[i].ifindex, s->q[i].queue);
		gone[i] = owned && (!q || !q_matches(s, q));
	}
	for (unsigned int i = 0; i < s->nq; i++) {
		uint32_t ids[256];
		unsigned int n = 0;
		struct act *a;
		char sz[32];

		if (!gone[i])
			continue;
		a = act_new(p, A_DETACH, 0);
		if (!a)
			goto fail;
		/* what was attached together goes and comes back together */
		for (unsigned int j = i; j < s->nq && n < 256; j++)
			if (gone[j] && same_attach(&s->q[i], &s->q[j])) {
				ids[n++] = s->q[j].queue;
				gone[j] = false;
				if (s->q[j].flow_port)
					a->flow_port = s->q[j].flow_port;
			}
		for (unsigned int x = 1; x < n; x++)
			for (unsigned int y = x; y && ids[y - 1] > ids[y]; y--) {
				uint32_t t = ids[y];

				ids[y] = ids[y - 1];
				ids[y - 1] = t;
			}
		a->ifindex = s->q[i].ifindex;
		netdev_name(a->ifindex, a->ifname, sizeof(a->ifname));
		queue_list_format(ids, n, a->list, sizeof(a->list));
		snprintf(a->policy, sizeof(a->policy), "%s", s->q[i].policy);
		a->bytes = s->q[i].has_binding ? s->q[i].device_bytes : 0;
		a->strict = s->q[i].strict;
		size_short(a->bytes, sz, sizeof(sz));
		snprintf(a->what, sizeof(a->what), "detach %s queues %s (policy %s%s%s%s)",
			 a->ifname, a->list, a->policy, a->bytes ? ", udmabuf " : "",
			 a->bytes ? sz : "", a->strict ? ", strict" : "");
	}
	free(gone);
	for (unsigned int i = 0; i < c->nq; i++) {
		const struct conf_q *q = &c->q[i];
		struct act *a;

		if (q_matches(s, q))
			continue;
		a = act_new(p, A_ATTACH, q->line);
		if (!a)
			return -1;
		a->q = q;
		snprintf(a->what, sizeof(a->what), "attach %s queues %s policy %s%s%s%s",
			 q->ifname, q->list, q->policy, q->udmabuf ? " udmabuf " : "",
			 q->udmabuf_s, q->strict ? " strict" : "");
		if (q->flow_port)
			snprintf(a->what + strlen(a->what), sizeof(a->what) - strlen(a->what),
				 " flow tcp:%u", q->flow_port);
	}
	return 0;
fail:
	free(gone);
	return -1;
}

static int plan_xdp(const struct conf *c, struct plan *p)
{
	for (unsigned int i = 0; i < c->nxdp; i++) {
		const struct conf_xdp *x = &c->xdp[i];
		const char *mode = x->generic ? "generic" : "native";
		struct xdp_state xs;
		uint16_t ports[1024];
		unsigned int n = 0;
		struct act *a;

		if (xdp_state_get(x->ifindex, &xs)) {
			conf_error(c, x->line, "[xdp %s]: cannot query XDP", x->ifname);
			return -1;
		}
		if (xs.id && !strcmp(xs.name, x->prog) && !strcmp(xs.mode, mode) &&
		    !sys_xdp_ports(xs.id, ports, 1024, &n) && n == x->nports &&
		    !memcmp(ports, x->ports, n * sizeof(*ports)))
			continue;
		if (xs.id) {
			a = act_new(p, A_XDP_DETACH, x->line);
			if (!a)
				return -1;
			a->ifindex = x->ifindex;
			snprintf(a->ifname, sizeof(a->ifname), "%s", x->ifname);
			a->xdp_flags = !strcmp(xs.mode, "generic") ? XDP_FLAGS_SKB_MODE :
				       !strcmp(xs.mode, "offload") ? XDP_FLAGS_HW_MODE :
				       XDP_FLAGS_DRV_MODE;
			snprintf(a->what, sizeof(a->what), "xdp detach %s (%s, id %u, %s)",
				 x->ifname, xs.name[0] ? xs.name : "?", xs.id, xs.mode);
			/* our reference keeps it loaded, to put it back on failure */
			a->prog_fd = bpf_prog_get_fd_by_id(xs.id);
		}
		a = act_new(p, A_XDP_ATTACH, x->line);
		if (!a)
			return -1;
		a->x = x;
		snprintf(a->what, sizeof(a->what), "xdp attach %s %s %s ports %s",
			 x->ifname, x->prog, mode, x->nports ? x->ports_s : "none");
	}
	return 0;
}

/* --- doing it, and undoing it --------------------------------------------- */

/* Write @n "KEY=VALUE" strings (or delete, for an empty value of a queue). */
static int write_sets(const char *policy, char set[][SET_LEN],
		      char old[][SET_LEN], unsigned int n, bool undo)
{
	struct tun_assign *as = calloc(n ? n : 1, sizeof(*as));
	unsigned int m = 0;
	struct tun_policy tp;
	char err[1024];
	int rc = -1;

	if (!as)
		return -1;
	if (tun_policy_open(policy, &tp, err, sizeof(err))) {
		fprintf(stderr, "mpctl: %s\n", err);
		free(as);
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		char arg[2 * SET_LEN];

		if (undo) {
			/* "3:2.verdict=device" -> "3:2.verdict=OLD" */
			int klen = (int)(strchr(set[i], '=') - set[i]);

			if (!old[i][0]) {
				struct tun_assign q;

				snprintf(arg, sizeof(arg), "%.*s=%s", klen, set[i],
					 strchr(set[i], '=') + 1);
				if (!tun_parse(&tp, arg, &q, err, sizeof(err)))
					tun_delete(&tp, q.key, q.ifindex, q.queue);
				continue;
			}
			snprintf(arg, sizeof(arg), "%.*s=%s", klen, set[i], old[i]);
		} else {
			snprintf(arg, sizeof(arg), "%s", set[i]);
		}
		if (tun_parse(&tp, arg, &as[m], err, sizeof(err))) {
			fprintf(stderr, "mpctl: policy %s: %s\n", policy, err);
			goto out;
		}
		m++;
	}
	if (tun_write(&tp, as, m, err, sizeof(err))) {
		fprintf(stderr, "mpctl: policy %s: %s\n", policy, err);
		goto out;
	}
	rc = 0;
out:
	tun_policy_close(&tp);
	free(as);
	return rc;
}

static int act_do(struct act *a)
{
	const struct conf_q *q = a->q;
	const struct conf_xdp *x = a->x;

	switch (a->kind) {
	case A_LOAD:
		return run(cmd_policy, "policy", "load", a->obj->path, NULL);
	case A_SET:
		return write_sets(a->policy, a->set, a->old, a->nset, false);
	case A_DETACH:
		return run(cmd_detach, "detach", a->ifname, "--queues", a->list, NULL);
	case A_ATTACH:
		return attach_words(cmd_attach, q->ifname, q->list, q->policy,
				    q->udmabuf, q->strict, q->flow_port);
	case A_XDP_DETACH:
		return run(cmd_xdp, "xdp", "detach", a->ifname, NULL);
	case A_XDP_ATTACH: {
		char obj[PATH_MAX];

		if (x->obj[0])
			snprintf(obj, sizeof(obj), "%s", x->obj);
		else if (mpctl_lib_path(MPCTL_DEFAULT_OBJ, obj, sizeof(obj)))
			return MPCTL_FAIL;
		if (x->nports)
			return run(cmd_xdp, "xdp", "attach", x->ifname, obj, "--prog",
				   x->prog, "--port", x->ports_s,
				   x->generic ? "--generic" : NULL, NULL);
		return run(cmd_xdp, "xdp", "attach", x->ifname, obj, "--prog",
			   x->prog, x->generic ? "--generic" : NULL, NULL);
	}
	}
	return MPCTL_FAIL;
}

static void act_undo(struct act *a)
{
	int rc = 0;

	printf("undo: %s\n", a->what);
	switch (a->kind) {
	case A_LOAD:
		for (unsigned int i = 0; i < a->obj->nnames; i++)
			rc |= run(cmd_policy, "policy", "unload", a->obj->names[i], NULL);
		break;
	case A_SET:
		/* not live: undoing its A_LOAD takes the values with it */
		if (a->live)
			rc = write_sets(a->policy, a->set, a->old, a->nset, true);
		break;
	case A_DETACH:
		/* the same shape again; device memory is a new udmabuf */
		rc = attach_words(cmd_attach, a->ifname, a->list, a->policy,
				  a->bytes, a->strict, a->flow_port);
		break;
	case A_ATTACH:
		rc = run(cmd_detach, "detach", a->q->ifname, "--queues", a->q->list,
			 NULL);
		break;
	case A_XDP_DETACH:
		rc = a->prog_fd < 0 ? -1 :
		     bpf_xdp_attach((int)a->ifindex, a->prog_fd, a->xdp_flags, NULL);
		break;
	case A_XDP_ATTACH:
		rc = run(cmd_xdp, "xdp", "detach", a->x->ifname, NULL);
		break;
	}
	if (rc)
		fprintf(stderr, "mpctl: apply: could not undo '%s'\n", a->what);
}

int cmd_apply(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG, NULL },
		{ "--dry-run",	OPT_FLAG, NULL },
		{ NULL,		OPT_FLAG, NULL },
	};
	struct plan p = {};
	struct sys s = {};
	struct conf *c;
	const char *pos[1];
	int npos, rc = MPCTL_FAIL;
	unsigned int done = 0;

	if (opts_parse("apply", argc - 1, argv + 1, opts, pos, 1, &npos)) {
		fprintf(stderr, "Try 'mpctl apply --help'.\n");
		return MPCTL_USAGE;
	}
	if (opt_val(opts, "--help")) {
		fputs(apply_usage, stdout);
		return MPCTL_OK;
	}
	if (npos != 1) {
		fprintf(stderr, "mpctl apply: missing FILE\nTry 'mpctl apply --help'.\n");
		return MPCTL_USAGE;
	}
	c = calloc(1, sizeof(*c));
	p.a = calloc(MAX_ACTS, sizeof(*p.a));
	if (!c || !p.a) {
		fprintf(stderr, "mpctl: out of memory\n");
		goto out_free;
	}
	libbpf_log_init(false);
	if (conf_parse(pos[0], c) || sys_read(&s) || check_all(c, &s) ||
	    plan_loads(c, &p) || plan_sets(c, &s, &p) || plan_queues(c, &s, &p) ||
	    plan_xdp(c, &p))
		goto out;

	if (!p.n) {
		printf("%s: nothing to change\n", pos[0]);
		rc = MPCTL_OK;
		goto out;
	}
	if (opt_val(opts, "--dry-run")) {
		for (unsigned int i = 0; i < p.n; i++)
			printf("would %s\n", p.a[i].what);
		rc = MPCTL_OK;
		goto out;
	}
	for (done = 0; done < p.n; done++) {
		struct act *a = &p.a[done];

		printf("%s\n", a->what);
		if (act_do(a)) {
			if (a->line)
				conf_error(c, a->line, "%s: failed (above); undoing the %u change%s made",
					   a->what, done, done == 1 ? "" : "s");
			else
				fprintf(stderr, "mpctl: %s: %s: failed (above); undoing the %u change%s made\n",
					pos[0], a->what, done, done == 1 ? "" : "s");
			while (done--)
				act_undo(&p.a[done]);
			goto out;
		}
	}
	rc = MPCTL_OK;
out:
	for (unsigned int i = 0; i < p.n; i++)
		if (p.a[i].prog_fd >= 0)
			close(p.a[i].prog_fd);
	for (unsigned int i = 0; i < c->nobj; i++)
		bpf_object__close(c->obj[i].bpf_obj);
	conf_free(c);
	sys_free(&s);
out_free:
	free(p.a);
	free(c);
	return rc;
}
