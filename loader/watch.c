// SPDX-License-Identifier: GPL-2.0
/*
 * mpctl show --watch: the picture of each queue's recent mix under the
 * table, and a frame that fits the terminal.
 *
 * Each refresh takes the difference of every queue's buffer counters
 * since the refresh before (on a queue's first one: since its attach)
 * and draws it as a bar: device-memory buffers '#', host pages the
 * policy chose '-', host pages that replaced device memory it could not
 * have '!' (the fallbacks).  After the bar, a sparkline of the device
 * share of the last refreshes, newest on the right, as tall as the share
 * (8 levels; block characters in a UTF-8 locale, ASCII otherwise; a blank
 * where the queue had no refill).
 *
 * The frame is written to memory first and each line cut at the
 * terminal's width (TIOCGWINSZ on stdout, else $COLUMNS, else not cut),
 * as watch(1) does, so that nothing wraps and each redraw overwrites the
 * last in place.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mpctl.h"

#define MIX_BAR_DEFAULT		40	/* not a terminal, no $COLUMNS */
#define MIX_SPARK_DEFAULT	30
#define MIX_BAR_MAX		60
#define MIX_LABEL_MAX		(16 + 1 + 5)	/* IF:QUEUE */

struct mix_sample {
	uint64_t dev, host, fb;	/* buffers: device, host by choice, fallback */
	bool valid;
};

struct mix_queue {
	uint32_t ifindex, queue;
	char label[MIX_LABEL_MAX + 1];
	uint64_t bufs_host, bufs_dev, fb;	/* the counters last seen */
	unsigned int frame;			/* last frame it was seen in */
	unsigned int nhist, head;		/* hist[] as a ring, newest at head */
	struct mix_sample hist[MIX_HIST];
};

static struct mix_queue *mix_find(struct mix *m, uint32_t ifindex,
				  uint32_t queue)
{
	struct mix_queue *q;

	for (unsigned int i = 0; i < m->n; i++)
		if (m->q[i]->ifindex == ifindex && m->q[i]->queue == queue)
			return m->q[i];
	if (m->n == m->cap) {
		unsigned int cap = m->cap ? 2 * m->cap : 8;
		struct mix_queue **nq = realloc(m->q, cap * sizeof(*nq));

		if (!nq)
			return NULL;
		m->q = nq;
		m->cap = cap;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->ifindex = ifindex;
	q->queue = queue;
	m->q[m->n++] = q;
	return q;
}

void mix_frame_begin(struct mix *m)
{
	m->frame++;
	m->nshown = 0;
	free(m->shown);
	m->shown = NULL;
}

int mix_update(struct mix *m, uint32_t ifindex, uint32_t queue,
	       const char *label, uint64_t bufs_host, uint64_t bufs_dev,
	       uint64_t fallbacks)
{
	struct mix_queue *q = mix_find(m, ifindex, queue), **shown;
	struct mix_sample s = { .valid = true };
	uint64_t dh, dd, df;

	if (!q)
		return -1;
	shown = realloc(m->shown, (m->nshown + 1) * sizeof(*shown));
	if (!shown)
		return -1;
	m->shown = shown;
	m->shown[m->nshown++] = q;
	snprintf(q->label, sizeof(q->label), "%s", label);
	/*
	 * Not seen last frame (new, or detached and attached again in
	 * between), or a counter went back (a new attach): the counters
	 * count from the attach.
	 */
	if (q->frame + 1 != m->frame || bufs_host < q->bufs_host ||
	    bufs_dev < q->bufs_dev || fallbacks < q->fb) {
		q->bufs_host = q->bufs_dev = q->fb = 0;
		if (q->frame + 1 != m->frame)
			q->nhist = 0;
	}
	dh = bufs_host - q->bufs_host;
	dd = bufs_dev - q->bufs_dev;
	df = fallbacks - q->fb;
	/* fallback buffers are host buffers; a host refill may come up short */
	s.fb = df < dh ? df : dh;
	s.host = dh - s.fb;
	s.dev = dd;
	q->bufs_host = bufs_host;
	q->bufs_dev = bufs_dev;
	q->fb = fallbacks;
	q->frame = m->frame;
	q->head = (q->head + 1) % MIX_HIST;
	q->hist[q->head] = s;
	if (q->nhist < MIX_HIST)
		q->nhist++;
	return 0;
}

/*
 * @w characters for @v of @total: at least one for a nonzero @v, so a
 * lone fallback stays visible.
 */
static unsigned int share(uint64_t v, uint64_t total, unsigned int w)
{
	unsigned int c;

	if (!v || !total)
		return 0;
	c = (unsigned int)((v * w + total / 2) / total);
	return c ? c : 1;
}

static unsigned int pct(uint64_t v, uint64_t total)
{
	return (unsigned int)((v * 100 + total / 2) / total);
}

static void print_bar(FILE *f, const struct mix_sample *s, unsigned int w)
{
	uint64_t total = s->dev + s->host + s->fb;
	unsigned int nd, nf, nh;

	fputc('[', f);
	if (!total) {
		for (unsigned int i = 0; i < w; i++)
			fputc('.', f);
		fputc(']', f);
		return;
	}
	nd = share(s->dev, total, w);
	nf = share(s->fb, total, w);
	/* the rounding's excess comes out of the larger part */
	while (nd + nf > w) {
		if (nd > nf)
			nd--;
		else
			nf--;
	}
	nh = w - nd - nf;
	if (s->host && !nh && w > 1) {
		nh = 1;
		if (nd > nf)
			nd--;
		else
			nf--;
	} else if (!s->host && nh) {
		/* rounding left room: give it to the larger of the others */
		if (nd >= nf)
			nd += nh;
		else
			nf += nh;
		nh = 0;
	}
	for (unsigned int i = 0; i < nd; i++)
		fputc('#', f);
	for (unsigned int i = 0; i < nh; i++)
		fputc('-', f);
	for (unsigned int i = 0; i < nf; i++)
		fputc('!', f);
	fputc(']', f);
}

static void print_spark(FILE *f, const struct mix_queue *q, unsigned int w,
			bool utf8)
{
	static const char *const blocks[8] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char ascii[8] = "_.-:=+*#";
	unsigned int n = q->nhist < w ? q->nhist : w;

	for (unsigned int i = n; i < w; i++)
		fputc(' ', f);
	for (unsigned int i = n; i-- > 0;) {
		const struct mix_sample *s =
			&q->hist[(q->head + MIX_HIST - i) % MIX_HIST];
		uint64_t total = s->dev + s->host + s->fb;
		unsigned int lvl;

		if (!s->valid || !total) {
			fputc(' ', f);
			continue;
		}
		lvl = (unsigned int)((s->dev * 7 + total / 2) / total);
		if (utf8)
			fputs(blocks[lvl], f);
		else
			fputc(ascii[lvl], f);
	}
}

void mix_print(struct mix *m, FILE *f, unsigned int cols,
	       unsigned long interval)
{
	unsigned int lw = 0, bar, spark;

	if (!m->nshown)
		return;
	for (unsigned int i = 0; i < m->nshown; i++) {
		size_t l = strlen(m->shown[i]->label);

		if (l > lw)
			lw = (unsigned int)l;
	}
	if (!cols) {
		bar = MIX_BAR_DEFAULT;
		spark = MIX_SPARK_DEFAULT;
	} else {
		/* "LABEL  [BAR] dev NNN% fb NNN%  SPARK": 21 besides the parts */
		int room = (int)cols - (int)lw - 21;

		if (room < 30) {
			bar = room > 4 ? (unsigned int)room : 4;
			spark = 0;
		} else {
			spark = (unsigned int)(room - 2) / 3;
			bar = (unsigned int)room - 2 - spark;
			if (bar > MIX_BAR_MAX) {
				spark += bar - MIX_BAR_MAX;
				bar = MIX_BAR_MAX;
			}
			if (spark > MIX_HIST)
				spark = MIX_HIST;
		}
	}
	fputc('\n', f);
	if (m->frame == 1)
		fprintf(f, "MIX since attach");
	else
		fprintf(f, "MIX last %lus", interval);
	fprintf(f, ": # device memory, - host pages, ! fallback to host%s\n",
		spark ? " | device share per refresh, newest right" : "");
	for (unsigned int i = 0; i < m->nshown; i++) {
		const struct mix_queue *q = m->shown[i];
		const struct mix_sample *s = &q->hist[q->head];
		uint64_t total = s->dev + s->host + s->fb;

		fprintf(f, "%-*s  ", (int)lw, q->label);
		print_bar(f, s, bar);
		if (total)
			fprintf(f, " dev %3u%% fb %3u%%", pct(s->dev, total),
				pct(s->fb, total));
		else
			fprintf(f, " dev    - fb    -");
		if (spark) {
			fputs("  ", f);
			print_spark(f, q, spark, m->utf8);
		}
		fputc('\n', f);
	}
}

void mix_init(struct mix *m)
{
	const char *cs;

	memset(m, 0, sizeof(*m));
	/* only the character type: numbers stay in the C locale */
	if (setlocale(LC_CTYPE, "")) {
		cs = nl_langinfo(CODESET);
		m->utf8 = cs && !strcmp(cs, "UTF-8");
	}
}

void mix_free(struct mix *m)
{
	for (unsigned int i = 0; i < m->n; i++)
		free(m->q[i]);
	free(m->q);
	free(m->shown);
	memset(m, 0, sizeof(*m));
}

unsigned int term_cols(void)
{
	struct winsize ws;
	const char *env;
	unsigned long n;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	env = getenv("COLUMNS");
	if (env && !uint_parse(env, 100000, &n) && n)
		return (unsigned int)n;
	return 0;
}

/* A UTF-8 sequence's continuation bytes take no column of their own. */
static bool starts_column(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

void print_clipped(FILE *out, const char *buf, size_t len, unsigned int cols)
{
	const char *end = buf + len;

	while (buf < end) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		const char *eol = nl ? nl : end;
		const char *p = buf;
		unsigned int c = 0;

		if (cols) {
			for (; p < eol; p++) {
				if (starts_column((unsigned char)*p) && c++ == cols)
					break;
			}
		} else {
			p = eol;
		}
		fwrite(buf, 1, (size_t)(p - buf), out);
		if (nl)
			fputc('\n', out);
		buf = nl ? nl + 1 : end;
	}
}
