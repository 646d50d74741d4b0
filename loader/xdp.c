// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl xdp attach|detach: put an XDP program (by default mp_classify from
 * the policy library) on a device whose queues are bpfmp queues, so that
 * it can hint the queues' policies with bpf_xdp_mp_hint(); and what is
 * attached, for mpctl show.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpctl.h"

#define XDP_DEFAULT_PROG	"mp_classify"
#define XDP_PORTS_MAP		"mp_dev_ports"

static const char xdp_usage[] =
"Usage: mpctl xdp attach IF [OBJ] [--prog NAME] [--port P]... [--generic]\n"
"       mpctl xdp detach IF\n"
"\n"
"attach  load the XDP program NAME from the BPF object OBJ and attach it to\n"
"        interface IF, in driver (native) mode unless --generic.  It stays\n"
"        attached after mpctl exits.  Refused if IF has an XDP program.\n"
"detach  remove the XDP program of IF, native or generic.\n"
"\n"
"  OBJ          default: the policy library, " MPCTL_DEFAULT_OBJ " (build/bpf/\n"
"               beside build/mpctl, else PREFIX/lib/bpfmp; 'mpctl --version')\n"
"  --prog NAME  the program's function name in OBJ (default " XDP_DEFAULT_PROG ")\n"
"  --port P     destination port (1-65535) whose TCP/UDP traffic belongs in\n"
"               device memory: a key in OBJ's map " XDP_PORTS_MAP ".  Repeat\n"
"               it, or give a list: --port 5201,5202\n"
"  --generic    generic (skb) XDP instead of the driver's\n"
"\n"
"mp_classify hints every TCP/UDP frame to the queue's refill policy as\n"
"device-memory traffic (a --port) or host traffic; the policy xdp_hint\n"
"follows the hints ('mpctl attach IF --queues LIST --policy xdp_hint').\n"
"The program must be frags-aware (SEC(\"xdp.frags\")): bpfmp queues split\n"
"headers from payload.\n";

static int usage_error(void)
{
	fprintf(stderr, "Try 'mpctl xdp --help'.\n");
	return MPCTL_USAGE;
}

static const char *xdp_mode_name(uint32_t flag)
{
	switch (flag) {
	case XDP_FLAGS_DRV_MODE:	return "native";
	case XDP_FLAGS_SKB_MODE:	return "generic";
	case XDP_FLAGS_HW_MODE:		return "offload";
	}
	return "?";
}

/* The name of program @id, or "" if it cannot be looked up (not root). */
static void prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	uint32_t ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	buf[0] = '\0';
	if (fd < 0)
		return;
	if (!bpf_prog_get_info_by_fd(fd, &info, &ilen))
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

/* The programs on @ifindex by mode: ids[0] native, [1] generic, [2] offload. */
static const uint32_t xdp_modes[3] = {
	XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_HW_MODE,
};

static int xdp_query_ids(unsigned int ifindex, uint32_t ids[3])
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query((int)ifindex, 0, &q);

	if (err)
		return err;
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	ids[2] = q.hw_prog_id;
	return 0;
}

int xdp_state_get(unsigned int ifindex, struct xdp_state *xs)
{
	uint32_t ids[3];
	int err;

	memset(xs, 0, sizeof(*xs));
	err = xdp_query_ids(ifindex, ids);
	if (err)
		return err;
	/* one program per device in practice; native wins if there are more */
	for (int i = 0; i < 3; i++) {
		if (!ids[i])
			continue;
		xs->id = ids[i];
		xs->mode = xdp_mode_name(xdp_modes[i]);
		prog_name(ids[i], xs->name, sizeof(xs->name));
		break;
	}
	return 0;
}

/* "5201,5202" -> sorted unique ports; on error fills @err, returns -1. */
int xdp_ports_parse(const char *list, uint16_t **ports, unsigned int *n,
		    char *err, size_t errlen)
{
	unsigned int max = 1;
	char *copy, *item, *save = NULL;
	uint16_t *p;

	*ports = NULL;
	*n = 0;
	for (const char *c = list; *c; c++)
		max += *c == ',';
	copy = strdup(list);
	p = calloc(max, sizeof(*p));
	if (!copy || !p) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* strtok_r would skip empty items; find them ourselves */
	for (item = copy; item; item = save) {
		unsigned long v;
		unsigned int i;

		save = strchr(item, ',');
		if (save)
			*save++ = '\0';
		if (!*item) {
			snprintf(err, errlen, "'%s': empty item", list);
			goto fail;
		}
		if (uint_parse(item, 65535, &v) || !v) {
			snprintf(err, errlen, "'%s' is not a port (1-65535)", item);
			goto fail;
		}
		/* insertion keeps them sorted and unique */
		for (i = 0; i < *n && p[i] < v; i++)
			;
		if (i < *n && p[i] == v)
			continue;
		memmove(p + i + 1, p + i, (*n - i) * sizeof(*p));
		p[i] = (uint16_t)v;
		(*n)++;
	}
	free(copy);
	*ports = p;
	return 0;
fail:
	free(copy);
	free(p);
	*n = 0;
	return -1;
}

static void ports_format(const uint16_t *ports, unsigned int n, char *buf,
			 size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (unsigned int i = 0; i < n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%u", i ? "," : "",
				 ports[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static unsigned int xdp_ifindex(const char *sub, const char *ifname)
{
	unsigned int ifindex = strlen(ifname) < IF_NAMESIZE ?
			       if_nametoindex(ifname) : 0;

	if (!ifindex)
		fprintf(stderr, "mpctl: xdp %s: %s: no such interface\n", sub,
			ifname);
	return ifindex;
}

/* A hint for the errors bpf_xdp_attach()/bpf_xdp_detach() are known for. */
static const char *xdp_err_hint(int err, const char *ifname, bool generic,
				char *buf, size_t len)
{
	buf[0] = '\0';
	if (err == -EBUSY || err == -EEXIST)
		snprintf(buf, len, " (%s has an XDP program: 'mpctl xdp detach %s' first)",
			 ifname, ifname);
	else if (err == -EPERM)
		snprintf(buf, len, " (needs CAP_NET_ADMIN)");
	else if (err == -EOPNOTSUPP && !generic)
		snprintf(buf, len, " (the driver has no native XDP: try --generic)");
	return buf;
}

/* The libbpf program to attach; everything else in @obj stays unloaded. */
static struct bpf_program *pick_prog(struct bpf_object *obj, const char *name,
				     const char *ifname, const char *file)
{
	struct bpf_program *prog, *p;
	struct bpf_map *map;

	prog = bpf_object__find_program_by_name(obj, name);
	if (!prog) {
		fprintf(stderr, "mpctl: xdp attach: %s: no program '%s' in %s\n",
			ifname, name, file);
		return NULL;
	}
	if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP) {
		const char *t = libbpf_bpf_prog_type_str(bpf_program__type(prog));

		fprintf(stderr, "mpctl: xdp attach: %s: program '%s' in %s is %s, not XDP\n",
			ifname, name, file, t ? t : "of another type");
		return NULL;
	}
	/*
	 * Loading the policies too would register nothing (their maps are
	 * .struct_ops.link) but would fail on a kernel without bpf_mp_ops:
	 * skip them and their programs.
	 */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, false);
	return prog;
}

/* Put @ports into @map (key u16 host order, value: first byte 1). */
static int fill_ports(struct bpf_map *map, const uint16_t *ports,
		      unsigned int n, const char *ifname)
{
	uint32_t vsize = bpf_map__value_size(map);
	unsigned char *val = calloc(1, vsize ? vsize : 1);
	int err = 0;

	if (!val) {
		fprintf(stderr, "mpctl: out of memory\n");
		return -1;
	}
	val[0] = 1;
	for (unsigned int i = 0; i < n && !err; i++) {
		err = bpf_map__update_elem(map, &ports[i], sizeof(ports[i]), val,
					   vsize, BPF_ANY);
		if (err)
			fprintf(stderr, "mpctl: xdp attach: %s: %s: port %u: %s\n",
				ifname, XDP_PORTS_MAP, ports[i], strerror(-err));
	}
	free(val);
	return err ? -1 : 0;
}

static int xdp_attach(const char *ifname, const char *file, const char *name,
		      const char *ports_s, bool generic)
{
	uint32_t flags = (generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE) |
			 XDP_FLAGS_UPDATE_IF_NOEXIST;
	struct bpf_prog_info info = {};
	uint32_t ilen = sizeof(info);
	char path[PATH_MAX], err[600], hint[128], plist[512];
	struct bpf_object *obj = NULL;
	struct bpf_map *ports_map;
	struct bpf_program *prog;
	uint16_t *ports = NULL;
	unsigned int nports = 0, ifindex;
	int rc = MPCTL_FAIL, e, fd;
	const char *msg;

	if (ports_s && xdp_ports_parse(ports_s, &ports, &nports, err, sizeof(err))) {
		fprintf(stderr, "mpctl xdp attach: --port: %s\n", err);
		return usage_error();
	}

	ifindex = xdp_ifindex("attach", ifname);
	if (!ifindex)
		goto out;
	if (!file) {
		if (mpctl_lib_path(MPCTL_DEFAULT_OBJ, path, sizeof(path)))
			goto out;
		file = path;
	}
	libbpf_log_init(true);
	obj = bpf_object__open_file(file, NULL);
	if (!obj) {
		e = errno;
		/* neither beside mpctl nor installed: the user must name one */
		fprintf(stderr, "mpctl: xdp attach: %s: open %s: %s%s\n", ifname,
			file, bpf_strerror(-e, err, sizeof(err)),
			file == path && e == ENOENT ?
			" (the default object, not found beside mpctl nor installed: name the object, 'mpctl xdp attach IF OBJ', e.g. build/bpf/provider.bpf.o)" : "");
		goto out;
	}
	prog = pick_prog(obj, name, ifname, file);
	if (!prog)
		goto out;
	ports_map = bpf_object__find_map_by_name(obj, XDP_PORTS_MAP);
	if (nports && !ports_map) {
		fprintf(stderr, "mpctl: xdp attach: %s: --port: no map %s in %s\n",
			ifname, XDP_PORTS_MAP, file);
		goto out;
	}
	if (ports_map && bpf_map__key_size(ports_map) != sizeof(uint16_t)) {
		fprintf(stderr, "mpctl: xdp attach: %s: map %s in %s: key is %u bytes, not a u16 port\n",
			ifname, XDP_PORTS_MAP, file, bpf_map__key_size(ports_map));
		goto out;
	}
	e = bpf_object__load(obj);
	if (e) {
		fprintf(stderr, "mpctl: xdp attach: %s: load %s: %s (libbpf's messages above say more)\n",
			ifname, file, bpf_strerror(e, err, sizeof(err)));
		goto out;
	}
	/* before the attach: the first frame already sees the ports */
	if (ports_map && fill_ports(ports_map, ports, nports, ifname))
		goto out;

	fd = bpf_program__fd(prog);
	libbpf_log_extack_clear();
	e = bpf_xdp_attach((int)ifindex, fd, flags, NULL);
	if (e) {
		msg = libbpf_log_extack();
		fprintf(stderr, "mpctl: xdp attach: %s: %s: %s%s\n", ifname, name,
			msg ? msg : strerror(-e),
			xdp_err_hint(e, ifname, generic, hint, sizeof(hint)));
		goto out;
	}
	bpf_prog_get_info_by_fd(fd, &info, &ilen);
	printf("%s: xdp %s (id %u, %s) attached", ifname, name, info.id,
	       generic ? "generic" : "native");
	if (ports_map) {
		ports_format(ports, nports, plist, sizeof(plist));
		printf("; device-memory ports: %s", plist);
	}
	putchar('\n');
	rc = MPCTL_OK;
out:
	bpf_object__close(obj);	/* the device holds the program now */
	free(ports);
	return rc;
}

static int xdp_detach(const char *ifname)
{
	char name[16], hint[128];
	unsigned int ifindex;
	uint32_t ids[3];
	int rc = MPCTL_FAIL, e, found = 0;

	ifindex = xdp_ifindex("detach", ifname);
	if (!ifindex)
		return MPCTL_FAIL;
	libbpf_log_init(true);
	libbpf_log_extack_clear();
	e = xdp_query_ids(ifindex, ids);
	if (e) {
		fprintf(stderr, "mpctl: xdp detach: %s: query: %s\n", ifname,
			libbpf_log_extack() ? libbpf_log_extack() : strerror(-e));
		return MPCTL_FAIL;
	}
	rc = MPCTL_OK;
	for (int i = 0; i < 3; i++) {
		if (!ids[i])
			continue;
		found++;
		prog_name(ids[i], name, sizeof(name));
		libbpf_log_extack_clear();
		e = bpf_xdp_detach((int)ifindex, xdp_modes[i], NULL);
		if (e) {
			fprintf(stderr, "mpctl: xdp detach: %s: %s (id %u, %s): %s%s\n",
				ifname, name[0] ? name : "?", ids[i],
				xdp_mode_name(xdp_modes[i]),
				libbpf_log_extack() ? libbpf_log_extack() : strerror(-e),
				xdp_err_hint(e, ifname, true, hint, sizeof(hint)));
			rc = MPCTL_FAIL;
			continue;
		}
		printf("%s: xdp %s (id %u, %s) detached\n", ifname,
		       name[0] ? name : "?", ids[i], xdp_mode_name(xdp_modes[i]));
	}
	if (!found) {
		fprintf(stderr, "mpctl: xdp detach: %s: no XDP program attached\n",
			ifname);
		rc = MPCTL_FAIL;
	}
	return rc;
}

int cmd_xdp(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG,  NULL },
		{ "--prog",	OPT_VALUE, NULL },
		{ "--port",	OPT_MULTI, NULL },
		{ "--generic",	OPT_FLAG,  NULL },
		{ NULL,		OPT_FLAG,  NULL },
	};
	const char *pos[3], *prog;
	int npos, rc;

	if (opts_parse("xdp", argc - 1, argv + 1, opts, pos, 3, &npos)) {
		opts_free(opts);
		return usage_error();
	}
	if (opt_val(opts, "--help")) {
		fputs(xdp_usage, stdout);
		rc = MPCTL_OK;
	} else if (!npos) {
		fprintf(stderr, "mpctl xdp: missing subcommand (attach, detach)\n");
		rc = usage_error();
	} else if (strcmp(pos[0], "attach") && strcmp(pos[0], "detach")) {
		fprintf(stderr, "mpctl xdp: unknown subcommand '%s' (attach, detach)\n",
			pos[0]);
		rc = usage_error();
	} else if (npos < 2) {
		fprintf(stderr, "mpctl xdp %s: missing interface\n", pos[0]);
		rc = usage_error();
	} else if (!strcmp(pos[0], "detach")) {
		if (npos > 2) {
			fprintf(stderr, "mpctl xdp detach: unexpected argument '%s'\n",
				pos[2]);
			rc = usage_error();
		} else if (opt_val(opts, "--prog") || opt_val(opts, "--port") ||
			   opt_val(opts, "--generic")) {
			fprintf(stderr, "mpctl xdp detach: takes no options but the interface\n");
			rc = usage_error();
		} else {
			rc = xdp_detach(pos[1]);
		}
	} else {
		prog = opt_val(opts, "--prog");
		rc = xdp_attach(pos[1], npos > 2 ? pos[2] : NULL,
				prog ? prog : XDP_DEFAULT_PROG,
				opt_val(opts, "--port"),
				opt_val(opts, "--generic"));
	}
	opts_free(opts);
	return rc;
}
