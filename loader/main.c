// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl: attach bpfmp refill policies (struct_ops bpf_mp_ops) to RX queues,
 * show what they do, load policies, and attach the XDP programs that hint
 * them.  Talks to the kernel over the "bpf-mp" generic netlink family
 * (YNL) and libbpf.
 *
 * Exit status: 0 success, 1 the operation failed (the reason is printed,
 * naming the object), 2 bad command line.
 */
#include <stdio.h>
#include <string.h>

#include "mpctl.h"

static const char usage[] =
"Usage: mpctl VERB [ARGS]\n"
"\n"
"  attach IF --queues LIST --policy NAME [--dmabuf-fd N | --udmabuf SIZE] [--strict]\n"
"         [--flow tcp:PORT]\n"
"  attach IF --queues LIST --policy NAME --replace\n"
"  detach IF [--queues LIST]\n"
"  show [IF] [--json] [--pretty] [--watch [SEC]]\n"
"  policy load OBJ [--pin DIR] | policy unload NAME|--all [--pin DIR]\n"
"         | policy list [--json]\n"
"  policy set NAME KEY=VALUE... | policy show [NAME] [--json]\n"
"  xdp attach IF [OBJ] [--prog NAME] [--port P]... [--generic] | xdp detach IF\n"
"  apply FILE [--dry-run] | save [IF]\n"
"  help [VERB]\n"
"\n"
"'mpctl VERB --help' describes a verb.  Exit status: 0 done, 1 failed,\n"
"2 bad command line.  'mpctl --version': version and policy library.\n";

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "attach", cmd_attach },
	{ "detach", cmd_detach },
	{ "show",   cmd_show },
	{ "policy", cmd_policy },
	{ "xdp",    cmd_xdp },
	{ "apply",  cmd_apply },
	{ "save",   cmd_save },
};

static const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		fputs(usage, stderr);
		return MPCTL_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char help[] = "--help";
			char *hargv[] = { argv[2], help, NULL };

			v = verb_find(argv[2]);
			if (!v) {
				fprintf(stderr, "mpctl: unknown verb '%s'\n", argv[2]);
				return MPCTL_USAGE;
			}
			return v->fn(2, hargv);
		}
		fputs(usage, stdout);
		return MPCTL_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return mpctl_version();
	v = verb_find(argv[1]);
	if (!v) {
		fprintf(stderr, "mpctl: unknown verb '%s'\n%s", argv[1], usage);
		return MPCTL_USAGE;
	}
	return v->fn(argc - 1, argv + 1);
}
