// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl policy load|list|unload: register the struct_ops policies of a BPF
 * object the way "bpftool struct_ops register OBJ DIR" does (links pinned
 * as DIR/MAP_NAME), and list what the kernel has registered.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "mpctl.h"
#include "nl.h"

static const char policy_usage[] =
"Usage: mpctl policy load OBJ [--pin DIR]\n"
"       mpctl policy unload NAME|--all [--pin DIR]\n"
"       mpctl policy list [--json]\n"
"       mpctl policy set NAME KEY=VALUE...\n"
"       mpctl policy show [NAME] [--json] [--pretty]\n"
"\n"
"load    load the BPF object OBJ and register every struct_ops policy in it;\n"
"        each link is pinned as DIR/NAME (default " MPCTL_PIN_DIR ") so the\n"
"        policy stays registered after mpctl exits.  All or nothing.\n"
"unload  remove the pin DIR/NAME (--all: every policy pinned in DIR): the\n"
"        policy is unregistered once nothing else holds its link.\n"
"list    the registered policies and how many queues use each (--json,\n"
"        -j: a JSON array of {\"name\", \"queues\"}).\n"
"set     set tunables of policy NAME by name ('mpctl policy set --help').\n"
"show    the tunables of policy NAME, or of every registered one.\n"
"\n"
"MPCTL_VERBOSE=1 shows libbpf's informational and debug messages.\n";

static int usage_error(void)
{
	fprintf(stderr, "Try 'mpctl policy --help'.\n");
	return MPCTL_USAGE;
}

/*
 * 0 if @dir is, or can be made (one level) as, a directory on a BPF
 * filesystem; prints why not and -1 otherwise.  Creates nothing.
 */
static int pin_dir_check(const char *dir)
{
	char parent[PATH_MAX];
	const char *where = dir;
	struct statfs sfs;
	char *slash;

	if (statfs(dir, &sfs)) {
		if (errno != ENOENT) {
			fprintf(stderr, "mpctl: %s: %s\n", dir, strerror(errno));
			return -1;
		}
		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(parent, sizeof(parent), ".");
		where = parent;
		if (statfs(parent, &sfs)) {
			fprintf(stderr, "mpctl: %s: %s\n", parent, strerror(errno));
			return -1;
		}
	}
	if (sfs.f_type != BPF_FS_MAGIC) {
		fprintf(stderr, "mpctl: %s: not on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf)\n",
			where);
		return -1;
	}
	return 0;
}

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len) {
		fprintf(stderr, "mpctl: %s/%s: path too long\n", dir, name);
		return -1;
	}
	return 0;
}


/*
 * The struct_ops map name of the link pinned at @path, in @name (16
 * bytes); 0, or -1 if @path is not a pinned struct_ops link.
 */
static int pinned_policy(const char *path, char *name)
{
	struct bpf_link_info li = {};
	struct bpf_map_info mi = {};
	uint32_t llen = sizeof(li), mlen = sizeof(mi);
	int fd, mfd, rc = -1;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (!bpf_link_get_info_by_fd(fd, &li, &llen) &&
	    li.type == BPF_LINK_TYPE_STRUCT_OPS) {
		mfd = bpf_map_get_fd_by_id(li.struct_ops.map_id);
		if (mfd >= 0) {
			if (!bpf_map_get_info_by_fd(mfd, &mi, &mlen)) {
				snprintf(name, 16, "%s", mi.name);
				rc = 0;
			}
			close(mfd);
		}
	}
	close(fd);
	return rc;
}

/*
 * Where under @dir (a BPF filesystem, searched @depth levels down) the
 * link of policy @want is pinned: 0 with the path in @found, else -1.
 * For "register: File exists", which otherwise leaves the operator to
 * hunt for whoever registered the name first.
 */
static int find_policy_pin(const char *dir, const char *want, int depth,
			   char *found, size_t len)
{
	char path[PATH_MAX], name[16];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int rc = -1;

	if (!d)
		return -1;
	while (rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) ||
		    lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				rc = find_policy_pin(path, want, depth - 1,
						     found, len);
		} else if (S_ISREG(st.st_mode) && !pinned_policy(path, name) &&
			   !strcmp(name, want)) {
			snprintf(found, len, "%s", path);
			rc = 0;
		}
	}
	closedir(d);
	return rc;
}

/* "'mpctl policy unload NAME'" plus " --pin DIR" unless DIR is the default */
static const char *unload_cmd(const char *what, const char *dir, char *buf,
			      size_t len)
{
	snprintf(buf, len, "'mpctl policy unload %s%s%s'", what,
		 strcmp(dir, MPCTL_PIN_DIR) ? " --pin " : "",
		 strcmp(dir, MPCTL_PIN_DIR) ? dir : "");
	return buf;
}

static int policy_load(const char *file, const char *dir)
{
	struct bpf_link **links = NULL;
	struct bpf_object *obj;
	unsigned int n = 0, i;
	char path[PATH_MAX], err[256], names[128] = "", cmd[PATH_MAX + 64];
	struct bpf_map *map;
	int rc = MPCTL_FAIL;
	bool made_dir = false;
	size_t off = 0;

	libbpf_log_init(false);
	obj = bpf_object__open_file(file, NULL);
	if (!obj) {
		fprintf(stderr, "mpctl: policy load %s: %s\n", file,
			bpf_strerror(-errno, err, sizeof(err)));
		return MPCTL_FAIL;
	}
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			n++;
	if (!n) {
		fprintf(stderr, "mpctl: policy load %s: no struct_ops policies in it\n",
			file);
		goto out;
	}
	if (pin_dir_check(dir))
		goto out;
	/*
	 * Refuse before loading anything if a pin is in the way, naming
	 * every one: the usual cause is the whole object loaded already.
	 */
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (pin_path(path, sizeof(path), dir, bpf_map__name(map)))
			goto out;
		if (!access(path, F_OK) && off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off,
						"%s%s", off ? ", " : "",
						bpf_map__name(map));
	}
	if (off) {
		fprintf(stderr, "mpctl: policy load %s: %s has pins for %s already (loaded already? %s removes them; or --pin another DIR)\n",
			file, dir, names, unload_cmd("--all", dir, cmd, sizeof(cmd)));
		goto out;
	}
	i = (unsigned int)-bpf_object__load(obj);
	if (i) {
		fprintf(stderr, "mpctl: policy load %s: %s (libbpf's messages above say more)\n",
			file, bpf_strerror(-(int)i, err, sizeof(err)));
		goto out;
	}

	links = calloc(n, sizeof(*links));
	if (!links) {
		fprintf(stderr, "mpctl: out of memory\n");
		goto out;
	}
	if (!mkdir(dir, 0700)) {
		made_dir = true;
	} else if (errno != EEXIST) {
		fprintf(stderr, "mpctl: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	i = 0;
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		int e;

		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		links[i] = bpf_map__attach_struct_ops(map);
		if (!links[i] && errno == EEXIST) {
			char pin[PATH_MAX], pdir[PATH_MAX], *slash;

			if (!find_policy_pin("/sys/fs/bpf", name, 3, pin, sizeof(pin))) {
				snprintf(pdir, sizeof(pdir), "%s", pin);
				slash = strrchr(pdir, '/');
				*slash = '\0';
				fprintf(stderr, "mpctl: policy %s: register: File exists (a policy of that name is registered already, its link pinned at %s: %s unloads it)\n",
					name, pin,
					strcmp(slash + 1, name) ?
					"rm of that pin" :
					unload_cmd(name, pdir, cmd, sizeof(cmd)));
			} else {
				fprintf(stderr, "mpctl: policy %s: register: File exists (a policy of that name is registered already, by a link not pinned under /sys/fs/bpf: see 'bpftool struct_ops list' and 'bpftool link list')\n",
					name);
			}
			goto undo;
		}
		if (!links[i]) {
			fprintf(stderr, "mpctl: policy %s: register: %s\n", name,
				strerror(errno));
			goto undo;
		}
		i++;
		if (!(bpf_map__map_flags(map) & BPF_F_LINK)) {
			/* SEC(".struct_ops"): registered until the map is deleted */
			fprintf(stderr, "mpctl: policy %s: registered without a link (SEC(\".struct_ops\")): not pinned; 'bpftool struct_ops unregister name %s' removes it\n",
				name, name);
			continue;
		}
		if (pin_path(path, sizeof(path), dir, name))
			goto undo;
		e = bpf_link__pin(links[i - 1], path);
		if (e) {
			fprintf(stderr, "mpctl: policy %s: pin %s: %s\n", name, path,
				strerror(-e));
			goto undo;
		}
	}
	/* Keep them: the pins hold the links after our fds are gone. */
	off = 0;
	names[0] = '\0';
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS &&
		    off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off,
						"%s%s", off ? " " : "",
						bpf_map__name(map));
	for (i = 0; i < n; i++)
		bpf_link__disconnect(links[i]);
	printf("registered %s (pinned in %s)\n", names, dir);
	rc = MPCTL_OK;
undo:
	/* On failure: unpinning and destroying our links unregisters them. */
	for (unsigned int k = 0; k < n && links[k]; k++) {
		if (rc != MPCTL_OK && bpf_link__pin_path(links[k]))
			bpf_link__unpin(links[k]);
		bpf_link__destroy(links[k]);
	}
out:
	if (rc != MPCTL_OK && made_dir)
		rmdir(dir);
	free(links);
	bpf_object__close(obj);
	return rc;
}

static int policy_unload(const char *name, const char *dir)
{
	char path[PATH_MAX];

	if (pin_path(path, sizeof(path), dir, name))
		return MPCTL_FAIL;
	if (unlink(path)) {
		fprintf(stderr, "mpctl: policy %s: %s: %s%s\n", name, path,
			strerror(errno),
			errno == ENOENT ? " (registered some other way? see 'bpftool struct_ops list')" : "");
		return MPCTL_FAIL;
	}
	printf("policy %s: unpinned %s\n", name, path);
	return MPCTL_OK;
}

/* Every policy link pinned in @dir (not below it): what load pinned. */
static int policy_unload_all(const char *dir)
{
	char path[PATH_MAX], name[16];
	int rc = MPCTL_OK, n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "mpctl: policy unload --all: %s: %s\n", dir,
			strerror(errno));
		return MPCTL_FAIL;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) ||
		    pinned_policy(path, name))
			continue;
		n++;
		if (unlink(path)) {
			fprintf(stderr, "mpctl: policy %s: %s: %s\n", name, path,
				strerror(errno));
			rc = MPCTL_FAIL;
			continue;
		}
		printf("policy %s: unpinned %s\n", name, path);
	}
	closedir(d);
	if (!n) {
		fprintf(stderr, "mpctl: policy unload --all: no policy links pinned in %s\n",
			dir);
		return MPCTL_FAIL;
	}
	return rc;
}

static int policy_list(bool json)
{
	struct json j = { .first = true };
	struct bpf_mp_policy_get_list *pl;
	struct ynl_sock *ys;
	char err[600];

	ys = nl_open();
	if (!ys)
		return MPCTL_FAIL;
	pl = bpf_mp_policy_get_dump(ys);
	if (!pl) {
		fprintf(stderr, "mpctl: policy list: %s\n",
			nl_strerror(ys, err, sizeof(err)));
		ynl_sock_destroy(ys);
		return MPCTL_FAIL;
	}
	if (json) {
		json_begin_array(&j);
		ynl_dump_foreach(pl, p) {
			json_begin_object(&j);
			json_str(&j, "name", p->name ? p->name : "?");
			json_u64(&j, "queues", p->queues);
			json_end_object(&j);
		}
		json_end_array(&j);
	} else {
		printf("%-15s %6s\n", "NAME", "QUEUES");
		ynl_dump_foreach(pl, p)
			printf("%-15s %6llu\n", p->name ? p->name : "?",
			       (unsigned long long)p->queues);
	}
	bpf_mp_policy_get_list_free(pl);
	ynl_sock_destroy(ys);
	return MPCTL_OK;
}

int cmd_policy(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG,  NULL },
		{ "--pin",	OPT_VALUE, NULL },
		{ "--all",	OPT_FLAG,  NULL },
		{ "--json",	OPT_FLAG,  NULL },
		{ NULL,		OPT_FLAG,  NULL },
	};
	const char *pos[2], *dir;
	int npos;

	/* set/show take their own arguments: KEY=VALUE lists, --json */
	if (argc > 1 && !strcmp(argv[1], "set"))
		return cmd_policy_set(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "show"))
		return cmd_policy_show(argc - 1, argv + 1);
	if (opts_parse("policy", argc - 1, argv + 1, opts, pos, 2, &npos))
		return usage_error();
	if (opt_val(opts, "--help")) {
		fputs(policy_usage, stdout);
		return MPCTL_OK;
	}
	if (!npos) {
		fprintf(stderr, "mpctl policy: missing subcommand (load, unload, list, set, show)\n");
		return usage_error();
	}
	dir = opt_val(opts, "--pin");
	if (!dir)
		dir = MPCTL_PIN_DIR;
	if ((opt_val(opts, "--all") && strcmp(pos[0], "unload")) ||
	    (opt_val(opts, "--json") && strcmp(pos[0], "list"))) {
		fprintf(stderr, "mpctl policy %s: %s is for %s\n", pos[0],
			opt_val(opts, "--all") ? "--all" : "--json",
			opt_val(opts, "--all") ? "unload" : "list");
		return usage_error();
	}
	if (!strcmp(pos[0], "unload") && opt_val(opts, "--all")) {
		if (npos != 1) {
			fprintf(stderr, "mpctl policy unload: a NAME or --all, not both\n");
			return usage_error();
		}
		return policy_unload_all(dir);
	}
	if (!strcmp(pos[0], "load") || !strcmp(pos[0], "unload")) {
		bool load = pos[0][0] == 'l';

		if (npos != 2) {
			fprintf(stderr, "mpctl policy %s: missing %s\n", pos[0],
				load ? "object file" : "policy name (or --all)");
			return usage_error();
		}
		if (!load && (strchr(pos[1], '/') ||
			      strlen(pos[1]) > MPCTL_POLICY_NAME_MAX)) {
			fprintf(stderr, "mpctl policy unload: '%s': not a policy name\n",
				pos[1]);
			return usage_error();
		}
		return load ? policy_load(pos[1], dir) : policy_unload(pos[1], dir);
	}
	if (!strcmp(pos[0], "list")) {
		if (npos != 1 || opt_val(opts, "--pin")) {
			fprintf(stderr, "mpctl policy list: takes no arguments\n");
			return usage_error();
		}
		return policy_list(opt_val(opts, "--json"));
	}
	fprintf(stderr, "mpctl policy: unknown subcommand '%s' (load, unload, list, set, show)\n",
		pos[0]);
	return usage_error();
}
