// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf's messages: warnings to stderr, the rest only with MPCTL_VERBOSE,
 * and the kernel's netlink extack message kept for mpctl's own error line
 * (libbpf's netlink calls, e.g. bpf_xdp_attach(), only return an errno).
 */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpctl.h"

static bool keep_extack;
static char extack[512];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	static const char tag[] = "Kernel error message: ";
	const char *v = getenv("MPCTL_VERBOSE");
	char msg[sizeof(extack) + 64];
	const char *m;
	va_list aq;
	size_t len;

	if (level != LIBBPF_WARN && !(v && *v && strcmp(v, "0")))
		return 0;
	if (keep_extack) {
		/* a copy: verifier logs are long and must reach stderr whole */
		va_copy(aq, ap);
		vsnprintf(msg, sizeof(msg), fmt, aq);
		va_end(aq);
		m = strstr(msg, tag);
		if (m) {
			snprintf(extack, sizeof(extack), "%s", m + strlen(tag));
			len = strlen(extack);
			if (len && extack[len - 1] == '\n')
				extack[len - 1] = '\0';
			return 0;
		}
	}
	return vfprintf(stderr, fmt, ap);
}

void libbpf_log_init(bool keep)
{
	keep_extack = keep;
	libbpf_set_print(libbpf_print);
}

void libbpf_log_extack_clear(void)
{
	extack[0] = '\0';
}

const char *libbpf_log_extack(void)
{
	/* libbpf prints "(null)" when the kernel gave no message */
	if (!extack[0] || !strcmp(extack, "(null)"))
		return NULL;
	return extack;
}

const char *bpf_strerror(int err, char *buf, size_t len)
{
	if (libbpf_strerror(err, buf, len))
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}
