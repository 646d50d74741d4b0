// SPDX-License-Identifier: GPL-2.0
/*
 * Where mpctl finds the policy library (provider.bpf.o and friends) when
 * the command line names no object, and mpctl --version.
 *
 * Looked up, first existing wins:
 *   1. DIR/bpf/FILE         mpctl run from the build tree (build/mpctl)
 *   2. DIR/../lib/bpfmp/FILE an installed mpctl, wherever the tree was put
 *                            (PREFIX, or a DESTDIR staging tree)
 *   3. MPCTL_LIBDIR/FILE    the directory "make install" was configured for
 * where DIR is the directory of the running binary (/proc/self/exe, so a
 * symlink to mpctl still finds its own tree).  The relative lookups come
 * first so that a build tree or a DESTDIR copy never loads an older
 * installed library by accident.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpctl.h"
#include "mpctl-config.h"	/* generated: MPCTL_VERSION, MPCTL_LIBDIR */

int mpctl_lib_path(const char *file, char *buf, size_t len)
{
	static const char *const rel[] = { "bpf", "../lib/bpfmp" };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if ((size_t)snprintf(buf, len, "%s/%s/%s", exe, rel[i],
					     file) >= len)
				continue;
			if (access(buf, F_OK))
				continue;
			/* "sbin/../lib/bpfmp/x.o" reads better resolved */
			if (realpath(buf, exe))
				snprintf(buf, len, "%s", exe);
			return 0;
		}
	}
	/* not found anywhere: name the configured place in the error */
	if ((size_t)snprintf(buf, len, "%s/%s", MPCTL_LIBDIR, file) >= len) {
		fprintf(stderr, "mpctl: %s/%s: path too long\n", MPCTL_LIBDIR,
			file);
		return -1;
	}
	return 0;
}

int mpctl_version(void)
{
	char path[PATH_MAX];

	printf("mpctl %s\n", MPCTL_VERSION);
	if (!mpctl_lib_path(MPCTL_DEFAULT_OBJ, path, sizeof(path)))
		printf("policy library: %s%s\n", path,
		       access(path, F_OK) ? " (not found)" : "");
	return MPCTL_OK;
}
