// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl policy set NAME KEY=VALUE... / mpctl policy show [NAME]: a
 * registered policy's tunables by name (tunables.c finds them in BTF).
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpctl.h"
#include "nl.h"
#include "tunables.h"

static const char set_usage[] =
"Usage: mpctl policy set NAME KEY=VALUE...\n"
"\n"
"Set tunables of the registered policy NAME, all or none.  KEY=VALUE sets\n"
"a tunable of the policy; IF:QUEUE=VALUE a per-queue one (e.g. static_map's\n"
"verdict: eth1:2=device).  The keys, their types and ranges come from the\n"
"policy object's BTF: 'mpctl policy show NAME' lists them.\n";

static const char show_usage[] =
"Usage: mpctl policy show [NAME] [--json|-j] [--pretty]\n"
"\n"
"The tunables of the registered policy NAME, or of every one, as\n"
"NAME KEY=VALUE..., which 'mpctl policy set' takes back.  Per-queue\n"
"tunables show as IF:QUEUE=VALUE, one per entry.\n";

int cmd_policy_set(int argc, char **argv)
{
	struct tun_assign *a = NULL;
	struct tun_policy tp;
	char err[1400];
	int rc = MPCTL_FAIL, n = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(set_usage, stdout);
		return MPCTL_OK;
	}
	if (argc < 3) {
		fprintf(stderr, "mpctl policy set: %s\n",
			argc < 2 ? "missing policy name" : "missing KEY=VALUE");
		fprintf(stderr, "Try 'mpctl policy set --help'.\n");
		return MPCTL_USAGE;
	}
	if (strlen(argv[1]) > MPCTL_POLICY_NAME_MAX) {
		fprintf(stderr, "mpctl policy set: '%s': not a policy name\n", argv[1]);
		fprintf(stderr, "Try 'mpctl policy set --help'.\n");
		return MPCTL_USAGE;
	}
	if (tun_policy_open(argv[1], &tp, err, sizeof(err))) {
		fprintf(stderr, "mpctl: %s\n", err);
		return MPCTL_FAIL;
	}
	a = calloc((size_t)argc, sizeof(*a));
	if (!a) {
		fprintf(stderr, "mpctl: out of memory\n");
		goto out;
	}
	/* every argument checked before anything is written */
	for (int i = 2; i < argc; i++, n++)
		if (tun_parse(&tp, argv[i], &a[n], err, sizeof(err))) {
			fprintf(stderr, "mpctl: policy %s: %s\n", argv[1], err);
			goto out;
		}
	if (tun_write(&tp, a, (unsigned int)n, err, sizeof(err))) {
		fprintf(stderr, "mpctl: policy %s: %s (nothing changed)\n", argv[1], err);
		goto out;
	}
	rc = MPCTL_OK;
out:
	free(a);
	tun_policy_close(&tp);
	return rc;
}

/* Prints one per-queue entry, as text or JSON. */
struct entry_out {
	const struct tun_policy *tp;
	unsigned int key;
	struct json *j;		/* NULL: text */
	const char *keyname;	/* ".verdict" when there is more than one */
	unsigned int *printed;
};

static void print_entry(void *ctx, uint32_t ifindex, uint32_t queue,
			const char *val)
{
	struct entry_out *o = ctx;
	char ifname[IF_NAMESIZE + 12], k[IF_NAMESIZE + 96];

	snprintf(k, sizeof(k), "%s:%u%s", netdev_name(ifindex, ifname, sizeof(ifname)),
		 queue, o->keyname);
	(*o->printed)++;
	if (!o->j)
		printf(" %s=%s", k, val);
	else if (tun_is_number(o->tp, o->key))
		json_u64(o->j, k, strtoull(val, NULL, 10));
	else
		json_str(o->j, k, val);
}

/* A number formatted by tun_format() as JSON: signed ones keep their sign. */
static void json_number(struct json *j, const char *key, const char *val)
{
	if (val[0] == '-')
		json_s64(j, key, strtoll(val, NULL, 10));
	else
		json_u64(j, key, strtoull(val, NULL, 10));
}

static int show_one(const char *name, struct json *j)
{
	bool one_queue_key = false;
	unsigned int printed = 0;
	struct tun_policy tp;
	char err[600], val[TUN_VAL_MAX];
	int rc = 0;

	if (tun_policy_open(name, &tp, err, sizeof(err))) {
		fprintf(stderr, "mpctl: %s\n", err);
		return -1;
	}
	one_queue_key = tun_queue_key(&tp, NULL) >= 0;
	if (j) {
		json_begin_object(j);
		json_str(j, "policy", name);
		json_key(j, "tunables");
		json_begin_object(j);
	} else {
		printf("%-15s", name);
	}
	for (unsigned int i = 0; i < tp.nkeys; i++) {
		const struct tun_key *k = &tp.keys[i];

		if (tp.maps[k->map].per_queue) {
			char suffix[TUN_NAME_MAX + 1] = "";
			struct entry_out o = { &tp, i, j, suffix, &printed };

			if (!one_queue_key)
				snprintf(suffix, sizeof(suffix), ".%s", k->name);
			if (tun_queue_entries(&tp, i, print_entry, &o))
				rc = -1;
			continue;
		}
		if (tun_read(&tp, i, 0, 0, val, sizeof(val)) < 0) {
			rc = -1;
			continue;
		}
		printed++;
		if (!j)
			printf(" %s=%s", k->name, val);
		else if (tun_is_number(&tp, i))
			json_number(j, k->name, val);
		else
			json_str(j, k->name, val);
	}
	if (j) {
		json_end_object(j);
		json_end_object(j);
	} else {
		/* "-": no tunables, or only per-queue ones without entries */
		printf("%s\n", printed ? "" : " -");
	}
	if (rc)
		fprintf(stderr, "mpctl: policy %s: could not read its maps\n", name);
	tun_policy_close(&tp);
	return rc;
}

int cmd_policy_show(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG, NULL },
		{ "--json",	OPT_FLAG, NULL },
		{ "-j",		OPT_FLAG, NULL },	/* as bpftool and ip take it */
		{ "--pretty",	OPT_FLAG, NULL },
		{ NULL,		OPT_FLAG, NULL },
	};
	struct bpf_mp_policy_get_list *pl;
	struct json js = { .first = true };
	struct json *j = NULL;
	struct ynl_sock *ys;
	const char *pos[1];
	char err[600];
	int npos, rc = MPCTL_OK;

	if (opts_parse("policy show", argc - 1, argv + 1, opts, pos, 1, &npos)) {
		fprintf(stderr, "Try 'mpctl policy show --help'.\n");
		return MPCTL_USAGE;
	}
	if (opt_val(opts, "--help")) {
		fputs(show_usage, stdout);
		return MPCTL_OK;
	}
	if (opt_val(opts, "--json") || opt_val(opts, "-j") || opt_val(opts, "--pretty")) {
		js.pretty = opt_val(opts, "--pretty");
		j = &js;
		json_begin_array(j);
	}
	if (npos) {
		rc = show_one(pos[0], j) ? MPCTL_FAIL : MPCTL_OK;
		goto out;
	}
	ys = nl_open();
	if (!ys)
		return MPCTL_FAIL;
	pl = bpf_mp_policy_get_dump(ys);
	if (!pl) {
		fprintf(stderr, "mpctl: policy show: %s\n",
			nl_strerror(ys, err, sizeof(err)));
		ynl_sock_destroy(ys);
		return MPCTL_FAIL;
	}
	ynl_dump_foreach(pl, p)
		if (p->name && show_one(p->name, j))
			rc = MPCTL_FAIL;
	bpf_mp_policy_get_list_free(pl);
	ynl_sock_destroy(ys);
out:
	if (j)
		json_end_array(j);
	return rc;
}

/* The policy @name's tunables, opened once per "mpctl show" dump. */
static const struct tun_policy *cache_get(struct tun_cache *c,
					  const char *name)
{
	char err[600];

	for (unsigned int i = 0; i < c->n; i++)
		if (!strcmp(c->tp[i].name, name))
			return c->ok[i] ? &c->tp[i] : NULL;
	if (c->n == TUN_CACHE_MAX)
		return NULL;
	/* not registered (fallback-no-policy) or no BTF: no tunables shown */
	c->ok[c->n] = !tun_policy_open(name, &c->tp[c->n], err, sizeof(err));
	if (!c->ok[c->n])
		snprintf(c->tp[c->n].name, sizeof(c->tp[c->n].name), "%s", name);
	c->n++;
	return c->ok[c->n - 1] ? &c->tp[c->n - 1] : NULL;
}

int tun_show_queue(struct tun_cache *c, const char *policy, uint32_t ifindex,
		   uint32_t queue, struct json *j, char *buf, size_t len)
{
	const struct tun_policy *tp = policy ? cache_get(c, policy) : NULL;
	size_t off = 0;

	if (buf)
		snprintf(buf, len, "-");
	if (!tp) {
		if (j)
			json_null(j, "tunables");
		return -1;
	}
	if (j) {
		json_key(j, "tunables");
		json_begin_object(j);
	}
	for (unsigned int i = 0; i < tp->nkeys; i++) {
		const struct tun_key *k = &tp->keys[i];
		char val[TUN_VAL_MAX];

		if (tun_read(tp, i, ifindex, queue, val, sizeof(val)) <= 0)
			continue;	/* a queue without an entry: the default */
		if (j && tun_is_number(tp, i))
			json_number(j, k->name, val);
		else if (j)
			json_str(j, k->name, val);
		if (buf)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
						"%s%s=%s", off ? "," : "", k->name, val);
	}
	if (j)
		json_end_object(j);
	return 0;
}

void tun_cache_free(struct tun_cache *c)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->ok[i])
			tun_policy_close(&c->tp[i]);
	c->n = 0;
}
