// SPDX-License-Identifier: GPL-2.0
/*
 * The setup file of "mpctl apply": INI, parsed by libinih (Debian's
 * libinih-dev; why INI and inih: docs/apply.md).  Only the syntax and the
 * values' form are checked here; apply.c checks them against the system.
 *
 *	[policies]          object = PATH (repeatable)
 *	[policy NAME]       KEY = VALUE: tunables
 *	[queues IF LIST]    policy, udmabuf, strict, flow, per-queue tunables
 *	[xdp IF]            prog, object, ports, mode
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"

enum { SEC_NONE, SEC_POLICIES, SEC_POLICY, SEC_QUEUES, SEC_XDP, SEC_BAD };

void conf_error(const struct conf *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		fprintf(stderr, "mpctl: %s:%d: ", c->file, line);
	else
		fprintf(stderr, "mpctl: %s: ", c->file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Remember the first error; inih goes on, we report only that one. */
static int fail(struct conf *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct conf *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line)
		return 0;
	c->err_line = c->line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return 0;
}

static int copy(struct conf *c, char *dst, size_t len, const char *src,
		const char *what)
{
	if (strlen(src) >= len)
		return fail(c, "%s '%s': too long (at most %zu characters)", what,
			    src, len - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 1;
}

static int bool_parse(const char *v, bool *b)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*b = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") ||
		 !strcmp(v, "off") || !strcmp(v, "0"))
		*b = false;
	else
		return -1;
	return 0;
}

/* A section header "[WORD ARG...]": split, and start the section. */
static void section_start(struct conf *c, const char *name)
{
	char word[32] = "", a1[64] = "", a2[64] = "", extra[8] = "";
	int n = sscanf(name, "%31s %63s %63s %7s", word, a1, a2, extra);
	char err[256];

	c->kind = SEC_BAD;
	if (!strcmp(word, "policies") && n == 1) {
		c->kind = SEC_POLICIES;
	} else if (!strcmp(word, "policy") && n == 2) {
		struct conf_pol *p;

		for (unsigned int i = 0; i < c->npol; i++)
			if (!strcmp(c->pol[i].name, a1)) {
				fail(c, "[policy %s] again (first at line %d)", a1,
				     c->pol[i].line);
				return;
			}
		if (c->npol == CONF_MAX_POLS || strlen(a1) > MPCTL_POLICY_NAME_MAX) {
			fail(c, "[policy %s]: %s", a1, c->npol == CONF_MAX_POLS ?
			     "too many policy sections" : "names are at most 15 characters");
			return;
		}
		p = &c->pol[c->npol++];
		p->line = c->line;
		snprintf(p->name, sizeof(p->name), "%s", a1);
		c->kind = SEC_POLICY;
	} else if (!strcmp(word, "queues") && n == 3) {
		struct conf_q *q;

		if (c->nq == CONF_MAX_QSECS) {
			fail(c, "too many [queues] sections");
			return;
		}
		q = &c->q[c->nq];
		memset(q, 0, sizeof(*q));
		q->line = c->line;
		if (!copy(c, q->ifname, sizeof(q->ifname), a1, "interface") ||
		    !copy(c, q->list, sizeof(q->list), a2, "queue list"))
			return;
		if (queue_list_parse(a2, &q->ql, err, sizeof(err))) {
			fail(c, "[queues %s %s]: '%s': %s", a1, a2, a2, err);
			return;
		}
		c->nq++;
		c->kind = SEC_QUEUES;
	} else if (!strcmp(word, "xdp") && n == 2) {
		struct conf_xdp *x;

		for (unsigned int i = 0; i < c->nxdp; i++)
			if (!strcmp(c->xdp[i].ifname, a1)) {
				fail(c, "[xdp %s] again (first at line %d)", a1,
				     c->xdp[i].line);
				return;
			}
		if (c->nxdp == CONF_MAX_XDP) {
			fail(c, "too many [xdp] sections");
			return;
		}
		x = &c->xdp[c->nxdp];
		memset(x, 0, sizeof(*x));
		x->line = c->line;
		snprintf(x->prog, sizeof(x->prog), "mp_classify");
		if (!copy(c, x->ifname, sizeof(x->ifname), a1, "interface"))
			return;
		c->nxdp++;
		c->kind = SEC_XDP;
	} else {
		fail(c, "[%s]: unknown section (valid: [policies], [policy NAME], [queues IF LIST], [xdp IF])",
		     name);
	}
}

static int kv_add(struct conf *c, struct conf_kv *kv, unsigned int *n,
		  const char *key, const char *val)
{
	if (*n == CONF_MAX_KV)
		return fail(c, "too many tunables in one section");
	kv[*n].line = c->line;
	if (!copy(c, kv[*n].key, sizeof(kv[*n].key), key, "key") ||
	    !copy(c, kv[*n].val, sizeof(kv[*n].val), val, "value"))
		return 0;
	(*n)++;
	return 1;
}

static int queues_key(struct conf *c, struct conf_q *q, const char *key,
		      const char *val)
{
	char err[256];

	if (!strcmp(key, "policy")) {
		q->policy_line = c->line;
		if (strlen(val) > MPCTL_POLICY_NAME_MAX)
			return fail(c, "policy '%s': names are at most 15 characters", val);
		return copy(c, q->policy, sizeof(q->policy), val, "policy");
	}
	if (!strcmp(key, "udmabuf")) {
		long page = sysconf(_SC_PAGESIZE);

		if (size_parse(val, &q->udmabuf) || !q->udmabuf)
			return fail(c, "udmabuf '%s': not a size (e.g. 4096, 64M, 1G)", val);
		if (page > 0 && q->udmabuf % (uint64_t)page)
			return fail(c, "udmabuf '%s': not a multiple of the page size (%ld)",
				    val, page);
		return copy(c, q->udmabuf_s, sizeof(q->udmabuf_s), val, "udmabuf");
	}
	if (!strcmp(key, "strict")) {
		if (bool_parse(val, &q->strict))
			return fail(c, "strict '%s': expected yes or no", val);
		return 1;
	}
	if (!strcmp(key, "flow")) {
		struct flow_spec f;

		q->flow_line = c->line;
		if (flow_parse(val, &f, err, sizeof(err)))
			return fail(c, "flow '%s': %s", val, err);
		q->flow_port = f.port;
		return 1;
	}
	/* anything else is one of the policy's per-queue tunables */
	return kv_add(c, q->kv, &q->nkv, key, val);
}

static int xdp_key(struct conf *c, struct conf_xdp *x, const char *key,
		   const char *val)
{
	char err[256];

	if (!strcmp(key, "prog"))
		return copy(c, x->prog, sizeof(x->prog), val, "prog");
	if (!strcmp(key, "object"))
		return copy(c, x->obj, sizeof(x->obj), val, "object");
	if (!strcmp(key, "mode")) {
		if (strcmp(val, "native") && strcmp(val, "generic"))
			return fail(c, "mode '%s': expected native or generic", val);
		x->generic = val[0] == 'g';
		return 1;
	}
	if (!strcmp(key, "ports")) {
		free(x->ports);
		x->ports = NULL;
		if (strcmp(val, "none") &&
		    xdp_ports_parse(val, &x->ports, &x->nports, err, sizeof(err)))
			return fail(c, "ports: %s", err);
		return copy(c, x->ports_s, sizeof(x->ports_s), val, "ports");
	}
	return fail(c, "[xdp %s]: unknown key '%s' (valid: prog, object, ports, mode)",
		    x->ifname, key);
}

static int handler(void *user, const char *section, const char *key,
		   const char *val)
{
	struct conf *c = user;

	(void)section;		/* section_start() saw the header */
	if (c->err_line)
		return 0;
	switch (c->kind) {
	case SEC_NONE:
		return fail(c, "'%s' before any section", key);
	case SEC_BAD:
		return 0;	/* the header's error is reported */
	case SEC_POLICIES:
		if (strcmp(key, "object"))
			return fail(c, "[policies]: unknown key '%s' (valid: object)", key);
		if (c->nobj == CONF_MAX_OBJS)
			return fail(c, "too many objects");
		c->obj[c->nobj].line = c->line;
		if (!copy(c, c->obj[c->nobj].path, sizeof(c->obj[0].path), val, "object"))
			return 0;
		c->nobj++;
		return 1;
	case SEC_POLICY:
		return kv_add(c, c->pol[c->npol - 1].kv, &c->pol[c->npol - 1].nkv,
			      key, val);
	case SEC_QUEUES:
		return queues_key(c, &c->q[c->nq - 1], key, val);
	case SEC_XDP:
		return xdp_key(c, &c->xdp[c->nxdp - 1], key, val);
	}
	return 0;
}

struct reader {
	FILE *f;
	struct conf *c;
};

/*
 * inih's line source: counts lines, so that every error names its line,
 * and starts sections itself, so an empty one ([xdp eth1], all defaults)
 * counts too (inih only reports sections that hold a key).
 */
static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	const char *s;
	char name[256];
	size_t n;

	if (!fgets(str, num, r->f))
		return NULL;
	r->c->line++;
	for (s = str; isspace((unsigned char)*s); s++)
		;
	if (*s == '[' && strchr(s, ']') && !r->c->err_line) {
		n = (size_t)(strchr(s, ']') - s - 1);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, s + 1, n);
		name[n] = '\0';
		section_start(r->c, name);
	}
	return str;
}

int conf_parse(const char *file, struct conf *c)
{
	struct reader r = { .c = c };
	int rc;

	memset(c, 0, sizeof(*c));
	c->file = file;
	r.f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	if (!r.f) {
		conf_error(c, 0, "%s", strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(read_line, &r, handler, c);
	if (r.f != stdin)
		fclose(r.f);
	if (c->err_line) {
		conf_error(c, c->err_line, "%s", c->err);
		return -1;
	}
	if (rc) {
		conf_error(c, rc > 0 ? rc : 0, "%s", rc > 0 ?
			   "not KEY = VALUE or [SECTION] (a line too long, or a missing ']' or '=')" :
			   "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < c->nq; i++)
		if (!c->q[i].policy[0]) {
			conf_error(c, c->q[i].line, "[queues %s %s]: no 'policy = NAME'",
				   c->q[i].ifname, c->q[i].list);
			return -1;
		}
	return 0;
}

void conf_free(struct conf *c)
{
	for (unsigned int i = 0; i < c->nq; i++)
		queue_list_free(&c->q[i].ql);
	for (unsigned int i = 0; i < c->nxdp; i++)
		free(c->xdp[i].ports);
	c->nq = c->nxdp = 0;
}
