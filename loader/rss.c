// SPDX-License-Identifier: GPL-2.0
/*
 * attach --flow with device memory: take the device-memory queues out of
 * the RSS indirection table, as upstream's devmem tooling does ("ethtool
 * -X IF equal N"), because any other flow hashed onto such a queue lands
 * in device memory and its ordinary reader gets EFAULT.  The table from
 * before is kept in MPCTL_STATE_DIR and written back when the last such
 * queue is detached, unless the table was changed since.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpctl.h"

struct rss_table {
	uint32_t size;
	uint32_t *ring;
};

static void table_free(struct rss_table *t)
{
	free(t->ring);
	t->ring = NULL;
	t->size = 0;
}

/* The device's indirection table; 0, or -errno (-EOPNOTSUPP: none). */
static int table_get(const char *ifname, struct rss_table *t)
{
	struct ethtool_rxfh_indir q = { .cmd = ETHTOOL_GRXFHINDIR }, *full;
	int err;

	err = ethtool_ioctl(ifname, &q);
	if (err)
		return err;
	if (!q.size)
		return -EOPNOTSUPP;
	full = calloc(1, sizeof(*full) + q.size * sizeof(full->ring_index[0]));
	if (!full)
		return -ENOMEM;
	full->cmd = ETHTOOL_GRXFHINDIR;
	full->size = q.size;
	err = ethtool_ioctl(ifname, full);
	if (!err) {
		t->size = full->size;
		t->ring = malloc(t->size * sizeof(t->ring[0]));
		if (t->ring)
			memcpy(t->ring, full->ring_index, t->size * sizeof(t->ring[0]));
		else
			err = -ENOMEM;
	}
	free(full);
	return err;
}

static int table_set(const char *ifname, const struct rss_table *t)
{
	struct ethtool_rxfh_indir *full;
	int err;

	full = calloc(1, sizeof(*full) + t->size * sizeof(full->ring_index[0]));
	if (!full)
		return -ENOMEM;
	full->cmd = ETHTOOL_SRXFHINDIR;
	full->size = t->size;
	memcpy(full->ring_index, t->ring, t->size * sizeof(t->ring[0]));
	err = ethtool_ioctl(ifname, full);
	free(full);
	return err;
}

static bool table_equal(const struct rss_table *a, const struct rss_table *b)
{
	return a->size == b->size &&
	       !memcmp(a->ring, b->ring, a->size * sizeof(a->ring[0]));
}

static int table_copy(struct rss_table *dst, const struct rss_table *src)
{
	dst->ring = malloc((src->size ? src->size : 1) * sizeof(dst->ring[0]));
	if (!dst->ring)
		return -1;
	memcpy(dst->ring, src->ring, src->size * sizeof(dst->ring[0]));
	dst->size = src->size;
	return 0;
}

static bool in_list(const struct queue_list *ql, uint32_t q)
{
	for (unsigned int i = 0; i < ql->n; i++)
		if (ql->ids[i] == q)
			return true;
	return false;
}

/*
 * State file "rss": the table before mpctl changed it, the one it wrote,
 * and the queues it took out, one line each:
 *   orig N r0 r1 ...   set N r0 r1 ...   out N q0 q1 ...
 */
static int words_read(FILE *f, const char *tag, uint32_t **v, uint32_t *n)
{
	char word[16];

	if (fscanf(f, "%15s %u", word, n) != 2 || strcmp(word, tag) || *n > 65536)
		return -1;
	*v = calloc(*n ? *n : 1, sizeof(**v));
	if (!*v)
		return -1;
	for (uint32_t i = 0; i < *n; i++)
		if (fscanf(f, "%u", &(*v)[i]) != 1)
			return -1;
	return 0;
}

static void words_write(FILE *f, const char *tag, const uint32_t *v, uint32_t n)
{
	fprintf(f, "%s %u", tag, n);
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, " %u", v[i]);
	fputc('\n', f);
}

struct rss_state {
	struct rss_table orig, set;
	struct queue_list out;
};

static void state_free(struct rss_state *s)
{
	table_free(&s->orig);
	table_free(&s->set);
	queue_list_free(&s->out);
}

/* 1 and @s filled if mpctl has changed the table of @ifindex, else 0. */
static int state_load(unsigned int ifindex, struct rss_state *s)
{
	char path[256];
	int ok;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if (flow_state_path(path, sizeof(path), ifindex, "rss"))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	ok = !words_read(f, "orig", &s->orig.ring, &s->orig.size) &&
	     !words_read(f, "set", &s->set.ring, &s->set.size) &&
	     !words_read(f, "out", &s->out.ids, &s->out.n);
	fclose(f);
	if (!ok) {
		fprintf(stderr, "mpctl: %s: unreadable, ignored\n", path);
		state_free(s);
		return 0;
	}
	return 1;
}

static int state_store(unsigned int ifindex, const struct rss_state *s)
{
	char path[256];
	FILE *f;

	if (flow_state_path(path, sizeof(path), ifindex, "rss"))
		return -1;
	if (!s->out.n) {
		unlink(path);
		return 0;
	}
	if (mkdir(MPCTL_STATE_DIR, 0755) && errno != EEXIST)
		goto fail;
	f = fopen(path, "we");
	if (!f)
		goto fail;
	words_write(f, "orig", s->orig.ring, s->orig.size);
	words_write(f, "set", s->set.ring, s->set.size);
	words_write(f, "out", s->out.ids, s->out.n);
	if (fclose(f))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "mpctl: %s: %s (detach will not restore the RSS table)\n",
		path, strerror(errno));
	return -1;
}

/* The RX queue count the indirection table may point to. */
static int rx_rings(const char *ifname)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXRINGS };
	int err = ethtool_ioctl(ifname, &nfc);

	return err ? err : (int)nfc.data;
}

int rss_exclude(const char *ifname, unsigned int ifindex,
		const struct queue_list *ql)
{
	struct rss_state s;
	struct rss_table cur = {};
	uint32_t *keep = NULL, nkeep = 0;
	char list[128];
	int rings, err, rc = -1;
	bool had = state_load(ifindex, &s);

	err = table_get(ifname, &cur);
	if (err == -EOPNOTSUPP) {
		printf("%s: no RSS indirection table: nothing to take out\n", ifname);
		state_free(&s);
		return 0;
	}
	rings = err ? err : rx_rings(ifname);
	if (err || rings < 0) {
		fprintf(stderr, "mpctl: %s: read the RSS indirection table: %s\n",
			ifname, strerror(-(err ? err : rings)));
		goto out;
	}
	/* the table from before mpctl's first change is the one to restore */
	if (!had && table_copy(&s.orig, &cur))
		goto nomem;
	for (unsigned int i = 0; i < ql->n; i++)
		if (!in_list(&s.out, ql->ids[i]) && queue_list_add(&s.out, ql->ids[i]))
			goto nomem;
	keep = calloc(rings ? rings : 1, sizeof(*keep));
	if (!keep)
		goto nomem;
	for (int q = 0; q < rings; q++)
		if (!in_list(&s.out, q))
			keep[nkeep++] = q;
	queue_list_format(s.out.ids, s.out.n, list, sizeof(list));
	if (!nkeep) {
		fprintf(stderr, "mpctl: %s: queues %s would take every RX queue out of RSS: nothing would be left for other flows; keep one queue on host memory\n",
			ifname, list);
		goto out;
	}
	table_free(&s.set);
	s.set.size = cur.size;
	s.set.ring = malloc(cur.size * sizeof(s.set.ring[0]));
	if (!s.set.ring)
		goto nomem;
	for (uint32_t i = 0; i < cur.size; i++)
		s.set.ring[i] = keep[i % nkeep];
	err = table_set(ifname, &s.set);
	if (err) {
		fprintf(stderr, "mpctl: %s: write the RSS indirection table: %s\n",
			ifname, strerror(-err));
		goto out;
	}
	printf("%s: RSS: queue%s %s taken out of the indirection table (other flows hash to the other %u)\n",
	       ifname, s.out.n > 1 ? "s" : "", list, nkeep);
	state_store(ifindex, &s);
	rc = 0;
	goto out;
nomem:
	fprintf(stderr, "mpctl: %s: %s\n", ifname, strerror(ENOMEM));
out:
	free(keep);
	table_free(&cur);
	state_free(&s);
	return rc;
}

int rss_restore(const char *ifname, unsigned int ifindex,
		const struct queue_list *ql)
{
	struct rss_state s;
	struct rss_table cur = {};
	struct queue_list left = {};
	int err, rc = 0;

	if (!state_load(ifindex, &s))
		return 0;
	for (unsigned int i = 0; i < s.out.n; i++)
		if (!in_list(ql, s.out.ids[i]) && queue_list_add(&left, s.out.ids[i]))
			rc = -1;
	queue_list_free(&s.out);
	s.out = left;
	if (s.out.n) {
		/* others still receive device memory: they stay out */
		state_store(ifindex, &s);
		goto out;
	}
	state_store(ifindex, &s);
	err = table_get(ifname, &cur);
	if (err || !table_equal(&cur, &s.set)) {
		printf("%s: RSS indirection table left as is (changed since attach)\n",
		       ifname);
		goto out;
	}
	err = table_set(ifname, &s.orig);
	if (err) {
		fprintf(stderr, "mpctl: %s: restore the RSS indirection table: %s\n",
			ifname, strerror(-err));
		rc = -1;
		goto out;
	}
	printf("%s: RSS indirection table restored\n", ifname);
out:
	table_free(&cur);
	state_free(&s);
	return rc;
}

int rss_feeds(const char *ifname, const struct queue_list *ql,
	      struct queue_list *fed)
{
	struct rss_table cur = {};
	int err;

	memset(fed, 0, sizeof(*fed));
	err = table_get(ifname, &cur);
	if (err)
		return err;
	for (unsigned int i = 0; i < ql->n; i++) {
		for (uint32_t j = 0; j < cur.size; j++) {
			if (cur.ring[j] == ql->ids[i]) {
				if (queue_list_add(fed, ql->ids[i]))
					err = -ENOMEM;
				break;
			}
		}
	}
	table_free(&cur);
	return err;
}
