// SPDX-License-Identifier: GPL-2.0
/*
 * Numbers on mpctl's command line, shared with devmem_rx: sizes (--udmabuf,
 * devmem_rx --size) and plain decimal counts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

int size_parse(const char *s, uint64_t *size)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -1;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*size = (uint64_t)v << shift;
	return 0;
}

void size_format(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	const int nunits = (int)(sizeof(units) / sizeof(units[0]));
	uint64_t unit = 1;
	int u = -1;

	while (u + 1 < nunits && size >= unit * 1024) {
		unit *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)size);
	else if (size % unit)	/* one decimal, rounded down */
		snprintf(buf, len, "%llu.%llu %s",
			 (unsigned long long)(size / unit),
			 (unsigned long long)(size % unit * 10 / unit), units[u]);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)(size / unit),
			 units[u]);
}

int uint_parse(const char *s, unsigned long max, unsigned long *val)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*val = v;
	return 0;
}
