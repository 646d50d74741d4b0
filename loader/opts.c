// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing for mpctl: options and queue lists (sizes: size.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpctl.h"

static struct opt *opt_find(struct opt *opts, const char *name, size_t len)
{
	for (struct opt *o = opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

/* OPT_MULTI: append @v to o->val, which is malloc'ed and comma-joined. */
static int opt_multi_add(const char *verb, struct opt *o, const char *v)
{
	size_t old = o->val ? strlen(o->val) : 0;
	char *joined;

	if (!v) {
		fprintf(stderr, "mpctl %s: %s needs a value\n", verb, o->name);
		return -1;
	}
	if (!*v) {
		fprintf(stderr, "mpctl %s: %s: empty value\n", verb, o->name);
		return -1;
	}
	joined = realloc((char *)o->val, old + strlen(v) + 2);
	if (!joined) {
		fprintf(stderr, "mpctl: out of memory\n");
		return -1;
	}
	if (old)
		joined[old++] = ',';
	strcpy(joined + old, v);
	o->val = joined;
	return 0;
}

int opts_parse(const char *verb, int argc, char **argv, struct opt *opts,
	       const char **pos, int max_pos, int *npos)
{
	bool only_pos = false;

	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		struct opt *o;

		if (only_pos || a[0] != '-' || !a[1]) {
			if (*npos >= max_pos) {
				fprintf(stderr, "mpctl %s: unexpected argument '%s'\n",
					verb, a);
				return -1;
			}
			pos[(*npos)++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		/* the short forms every verb shares */
		if (!strcmp(a, "-h"))
			a = "--help";
		else if (!strcmp(a, "-j"))
			a = "--json";
		eq = strchr(a, '=');
		o = opt_find(opts, a, eq ? (size_t)(eq - a) : strlen(a));
		if (!o) {
			fprintf(stderr, "mpctl %s: unknown option '%s'\n", verb, a);
			return -1;
		}
		switch (o->arg) {
		case OPT_FLAG:
			if (eq) {
				fprintf(stderr, "mpctl %s: %s takes no value\n",
					verb, o->name);
				return -1;
			}
			o->val = "";
			break;
		case OPT_VALUE:
			if (eq) {
				o->val = eq + 1;
			} else if (i + 1 < argc) {
				o->val = argv[++i];
			} else {
				fprintf(stderr, "mpctl %s: %s needs a value\n",
					verb, o->name);
				return -1;
			}
			if (!*o->val) {
				fprintf(stderr, "mpctl %s: %s: empty value\n",
					verb, o->name);
				return -1;
			}
			break;
		case OPT_MULTI:
			if (opt_multi_add(verb, o, eq ? eq + 1 :
					  i + 1 < argc ? argv[++i] : NULL))
				return -1;
			break;
		case OPT_OPTIONAL_NUM:
			if (eq)
				o->val = eq + 1;
			else if (i + 1 < argc && isdigit((unsigned char)argv[i + 1][0]))
				o->val = argv[++i];
			else
				o->val = "";
			break;
		}
	}
	return 0;
}

void opts_free(struct opt *opts)
{
	for (struct opt *o = opts; o->name; o++) {
		if (o->arg == OPT_MULTI)
			free((char *)o->val);
		o->val = NULL;
	}
}

const char *opt_val(const struct opt *opts, const char *name)
{
	for (const struct opt *o = opts; o->name; o++)
		if (!strcmp(o->name, name))
			return o->val;
	return NULL;
}

/*
 * Parse a queue id at *s, advancing *s: 0, -1 if there is no number,
 * -2 if it is larger than MPCTL_MAX_QUEUE_ID.
 */
static int queue_id_parse(const char **s, uint32_t *id)
{
	unsigned long v = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > MPCTL_MAX_QUEUE_ID)
			return -2;
	}
	*id = (uint32_t)v;
	*s = p;
	return 0;
}

int queue_list_parse(const char *s, struct queue_list *ql, char *err,
		     size_t errlen)
{
	/* A bitmap of the ids seen: the list comes out sorted and unique. */
	const unsigned int nbits = MPCTL_MAX_QUEUE_ID + 1;
	unsigned char *seen = calloc(nbits / 8, 1);
	const char *p = s;
	unsigned int n = 0;
	int rc;

	ql->ids = NULL;
	ql->n = 0;
	if (!seen) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		const char *item = p;
		uint32_t lo = 0, hi = 0;

		rc = queue_id_parse(&p, &lo);
		if (!rc && *p == '-') {
			p++;
			rc = queue_id_parse(&p, &hi);
			if (!rc && hi < lo) {
				snprintf(err, errlen, "range '%.*s' runs backwards",
					 (int)(p - item), item);
				goto fail;
			}
		} else {
			hi = lo;
		}
		if (rc == -2) {
			snprintf(err, errlen, "queue ids go up to %u",
				 MPCTL_MAX_QUEUE_ID);
			goto fail;
		}
		if (rc || (*p && *p != ',')) {
			snprintf(err, errlen,
				 "expected a queue id or range (N or N-M) at '%s'",
				 *p ? p : "end of list");
			goto fail;
		}
		for (uint32_t q = lo; q <= hi; q++) {
			if (!(seen[q / 8] & (1u << (q % 8))))
				n++;
			seen[q / 8] |= 1u << (q % 8);
		}
		if (!*p)
			break;
		p++;	/* the comma */
	}

	ql->ids = malloc(n * sizeof(*ql->ids));
	if (!ql->ids) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned int q = 0; q < nbits; q++)
		if (seen[q / 8] & (1u << (q % 8)))
			ql->ids[ql->n++] = q;
	free(seen);
	return 0;
fail:
	free(seen);
	return -1;
}

void queue_list_format(const uint32_t *ids, unsigned int n, char *buf,
		       size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int i = 0; i < n && off < len; ) {
		unsigned int j = i;
		int w;

		while (j + 1 < n && ids[j + 1] == ids[j] + 1)
			j++;
		if (j == i)
			w = snprintf(buf + off, len - off, "%s%u",
				     off ? "," : "", ids[i]);
		else
			w = snprintf(buf + off, len - off, "%s%u-%u",
				     off ? "," : "", ids[i], ids[j]);
		if (w < 0)
			break;
		off += (size_t)w;
		i = j + 1;
	}
}

int queue_list_add(struct queue_list *ql, uint32_t id)
{
	unsigned int at = 0;
	uint32_t *ids;

	while (at < ql->n && ql->ids[at] < id)
		at++;
	if (at < ql->n && ql->ids[at] == id)
		return 0;
	ids = realloc(ql->ids, (ql->n + 1) * sizeof(*ids));
	if (!ids)
		return -1;
	memmove(ids + at + 1, ids + at, (ql->n - at) * sizeof(*ids));
	ids[at] = id;
	ql->ids = ids;
	ql->n++;
	return 0;
}

void queue_list_free(struct queue_list *ql)
{
	free(ql->ids);
	ql->ids = NULL;
	ql->n = 0;
}
