// SPDX-License-Identifier: GPL-2.0
/* mpctl show: attached queues and their counters, as a table or JSON. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpctl.h"
#include "nl.h"
#include "tunables.h"

static const char show_usage[] =
"Usage: mpctl show [IF] [--json] [--pretty] [--watch [SEC]]\n"
"\n"
"Show the RX queues attached to bpfmp (of IF, or of every interface) with\n"
"their policy and counters.\n"
"\n"
"  --json          a JSON array of objects, one per queue, every counter\n"
"  --pretty        indented JSON (implies --json)\n"
"  --watch [SEC]   redraw every SEC seconds (default 1) until interrupted,\n"
"                  with each queue's mix since the last redraw under the\n"
"                  table: a bar of its buffers ('#' device memory, '-' host\n"
"                  pages, '!' fallbacks to host) and a sparkline of the\n"
"                  device share per redraw; lines cut at the terminal's\n"
"                  width (or $COLUMNS).  With --json: one array a line\n"
"\n"
"Columns: HOST_REFILLS/DEV_REFILLS are refill batches (or parts of split\n"
"batches) served by host pages/device memory; FALLBACKS sums the buffers\n"
"(not batches) that wanted device memory or a verdict and got host pages\n"
"(no device memory bound, exhausted, policy not registered, invalid\n"
"verdict); a POLICY marked '*' is not registered now, so its queue gets\n"
"host pages until a policy of that name registers again;\n"
"HINTS_HOST/HINTS_DEV count frames an XDP program hinted as host or\n"
"device-memory traffic (bpf_xdp_mp_hint()); DEV_FREE/TOTAL are buffers of\n"
"the queue's dma-buf binding, '-' without one; XDP is the device's XDP\n"
"program as NAME(ID,MODE), MODE native, generic or offload, or '-';\n"
"TUNABLES are the policy's tunables the queue runs with (see 'mpctl\n"
"policy show').\n";

static int by_queue(const void *a, const void *b)
{
	const struct bpf_mp_queue_get_rsp *x = *(const void *const *)a;
	const struct bpf_mp_queue_get_rsp *y = *(const void *const *)b;
	uint32_t qx = x->_count.queue_id ? x->queue_id[0] : 0;
	uint32_t qy = y->_count.queue_id ? y->queue_id[0] : 0;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return qx < qy ? -1 : qx > qy;
}

/* "strict" etc., or "-": the names the spec gives the flag bits. */
static const char *flags_str(uint32_t flags, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int bit = 0; bit < 32; bit++) {
		const char *name;

		if (!(flags & (1u << bit)))
			continue;
		name = bpf_mp_attach_flags_str(1u << bit);
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					"%s%s", off ? "," : "", name ? name : "?");
		if (off >= len)
			break;
	}
	return buf[0] ? buf : "-";
}

static uint64_t fallbacks(const struct bpf_mp_queue_get_rsp *q)
{
	return q->fallback_no_device + q->fallback_exhausted +
	       q->fallback_no_policy + q->fallback_invalid;
}

/* The last device's XDP program: the queues come sorted by device. */
struct xdp_cache {
	unsigned int ifindex;
	int err;
	struct xdp_state xs;
};

/* The XDP program of @ifindex; NULL if there is none or it cannot be told. */
static const struct xdp_state *xdp_of(struct xdp_cache *c,
				      unsigned int ifindex)
{
	if (c->ifindex != ifindex) {
		c->ifindex = ifindex;
		c->err = xdp_state_get(ifindex, &c->xs);
	}
	return c->err || !c->xs.id ? NULL : &c->xs;
}

/*
 * Is @name among the registered policies @pl (NULL: could not be told)?
 * @pl is not const only because ynl_dump_foreach() takes a plain pointer.
 */
static bool registered(struct bpf_mp_policy_get_list *pl,
		       const char *name)
{
	if (!pl || !name)
		return true;
	ynl_dump_foreach(pl, p)
		if (p->name && !strcmp(p->name, name))
			return true;
	return false;
}

static void print_table(FILE *out, struct bpf_mp_queue_get_rsp **qs,
			unsigned int n, struct bpf_mp_policy_get_list *pl,
			struct tun_cache *tc)
{
	struct xdp_cache xc = {};
	bool unreg = false;

	fprintf(out, "%-15s %5s  %-15s %12s %12s %10s %11s %11s %15s  %-6s  %-22s  %s\n",
	       "IF", "QUEUE", "POLICY", "HOST_REFILLS", "DEV_REFILLS",
	       "FALLBACKS", "HINTS_HOST", "HINTS_DEV", "DEV_FREE/TOTAL",
	       "FLAGS", "XDP", "TUNABLES");
	for (unsigned int i = 0; i < n; i++) {
		const struct bpf_mp_queue_get_rsp *q = qs[i];
		char ifname[IF_NAMESIZE + 12], dev[48], fl[64], xdp[64];
		const struct xdp_state *xs = xdp_of(&xc, q->ifindex);
		uint32_t queue = q->_count.queue_id ? q->queue_id[0] : 0;
		char tun[256];
		char policy[MPCTL_POLICY_NAME_MAX + 2];
		bool reg = registered(pl, q->policy);

		unreg |= !reg;
		snprintf(policy, sizeof(policy), "%s%s",
			 q->policy ? q->policy : "-", reg ? "" : "*");
		/* the kernel sends device-total (0) without a binding too */
		if (q->_present.dmabuf_id)
			snprintf(dev, sizeof(dev), "%llu/%llu",
				 (unsigned long long)q->device_free,
				 (unsigned long long)q->device_total);
		else
			snprintf(dev, sizeof(dev), "-");
		if (xs)
			snprintf(xdp, sizeof(xdp), "%s(%u,%s)",
				 xs->name[0] ? xs->name : "?", xs->id, xs->mode);
		else
			snprintf(xdp, sizeof(xdp), "-");
		tun_show_queue(tc, q->policy, q->ifindex, queue, NULL, tun,
			       sizeof(tun));
		fprintf(out, "%-15s %5u  %-15s %12llu %12llu %10llu %11llu %11llu %15s  %-6s  %-22s  %s\n",
		       netdev_name(q->ifindex, ifname, sizeof(ifname)), queue,
		       policy, (unsigned long long)q->refills_host,
		       (unsigned long long)q->refills_device,
		       (unsigned long long)fallbacks(q),
		       (unsigned long long)q->hints_host,
		       (unsigned long long)q->hints_device, dev,
		       flags_str(q->flags, fl, sizeof(fl)), xdp, tun);
	}
	if (unreg)
		fprintf(out, "* policy not registered: these queues get host pages (fallback-no-policy) until one of that name registers\n");
}

#define JSON_COUNTER(j, q, field) do {				\
	if ((q)->_present.field)				\
		json_u64(j, #field, (q)->field);		\
	else							\
		json_null(j, #field);				\
} while (0)

static void print_json(struct bpf_mp_queue_get_rsp **qs, unsigned int n,
		       bool pretty, struct bpf_mp_policy_get_list *pl,
		       struct tun_cache *tc)
{
	struct json j = { .first = true, .pretty = pretty };
	struct xdp_cache xc = {};

	json_begin_array(&j);
	for (unsigned int i = 0; i < n; i++) {
		const struct bpf_mp_queue_get_rsp *q = qs[i];
		const struct xdp_state *xs = xdp_of(&xc, q->ifindex);
		char ifname[IF_NAMESIZE + 12];

		json_begin_object(&j);
		json_u64(&j, "ifindex", q->ifindex);
		json_str(&j, "ifname", netdev_name(q->ifindex, ifname, sizeof(ifname)));
		json_u64(&j, "queue", q->_count.queue_id ? q->queue_id[0] : 0);
		if (q->policy)
			json_str(&j, "policy", q->policy);
		else
			json_null(&j, "policy");
		json_bool(&j, "policy_registered", registered(pl, q->policy));
		json_key(&j, "flags");
		json_begin_array(&j);
		for (unsigned int bit = 0; bit < 32; bit++) {
			const char *name;

			if (!(q->flags & (1u << bit)))
				continue;
			name = bpf_mp_attach_flags_str(1u << bit);
			json_str(&j, NULL, name ? name : "unknown");
		}
		json_end_array(&j);
		JSON_COUNTER(&j, q, dmabuf_id);
		JSON_COUNTER(&j, q, refills_host);
		JSON_COUNTER(&j, q, refills_device);
		JSON_COUNTER(&j, q, bufs_host);
		JSON_COUNTER(&j, q, bufs_device);
		JSON_COUNTER(&j, q, fallback_no_device);
		JSON_COUNTER(&j, q, fallback_exhausted);
		JSON_COUNTER(&j, q, fallback_no_policy);
		JSON_COUNTER(&j, q, fallback_invalid);
		JSON_COUNTER(&j, q, strict_short);
		JSON_COUNTER(&j, q, device_free);
		JSON_COUNTER(&j, q, device_total);
		JSON_COUNTER(&j, q, hints_host);
		JSON_COUNTER(&j, q, hints_device);
		if (xs) {
			json_key(&j, "xdp");
			json_begin_object(&j);
			json_u64(&j, "id", xs->id);
			if (xs->name[0])
				json_str(&j, "name", xs->name);
			else
				json_null(&j, "name");
			json_str(&j, "mode", xs->mode);
			json_end_object(&j);
		} else {
			json_null(&j, "xdp");
		}
		tun_show_queue(tc, q->policy, q->ifindex,
			       q->_count.queue_id ? q->queue_id[0] : 0, &j, NULL, 0);
		json_end_object(&j);
	}
	json_end_array(&j);
}

/* Each queue's counters into the --watch picture of the mix. */
static int mix_add(struct mix *m, struct bpf_mp_queue_get_rsp **qs,
		   unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct bpf_mp_queue_get_rsp *q = qs[i];
		uint32_t queue = q->_count.queue_id ? q->queue_id[0] : 0;
		char ifname[IF_NAMESIZE + 12], label[IF_NAMESIZE + 24];

		snprintf(label, sizeof(label), "%s:%u",
			 netdev_name(q->ifindex, ifname, sizeof(ifname)), queue);
		if (mix_update(m, q->ifindex, queue, label, q->bufs_host,
			       q->bufs_device, fallbacks(q)))
			return -1;
	}
	return 0;
}

/*
 * One dump, printed to @out.  @ifindex 0: every interface.  @mix (the
 * table only): the queues' recent mix under the table, to @cols columns.
 */
static int show_once(FILE *out, struct ynl_sock *ys, unsigned int ifindex,
		     bool json, bool pretty, struct mix *mix,
		     unsigned int cols, unsigned long interval)
{
	struct bpf_mp_queue_get_req_dump *dreq;
	struct bpf_mp_queue_get_rsp **sorted;
	struct bpf_mp_policy_get_list *pl;
	struct bpf_mp_queue_get_list *qs;
	struct tun_cache *tc;
	unsigned int n = 0;
	char err[600];

	dreq = bpf_mp_queue_get_req_dump_alloc();
	if (!dreq) {
		fprintf(stderr, "mpctl: out of memory\n");
		return -1;
	}
	if (ifindex)
		bpf_mp_queue_get_req_dump_set_ifindex(dreq, ifindex);
	qs = bpf_mp_queue_get_dump(ys, dreq);
	bpf_mp_queue_get_req_dump_free(dreq);
	if (!qs) {
		fprintf(stderr, "mpctl: show: dump queues: %s\n",
			nl_strerror(ys, err, sizeof(err)));
		return -1;
	}
	ynl_dump_foreach(qs, q)
		n++;
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	tc = calloc(1, sizeof(*tc));
	if (!sorted || !tc) {
		free(sorted);
		free(tc);
		bpf_mp_queue_get_list_free(qs);
		fprintf(stderr, "mpctl: out of memory\n");
		return -1;
	}
	n = 0;
	ynl_dump_foreach(qs, q)
		if (!ifindex || q->ifindex == ifindex)
			sorted[n++] = q;
	qsort(sorted, n, sizeof(*sorted), by_queue);
	/* to mark queues whose policy went away; unmarked if this fails */
	pl = bpf_mp_policy_get_dump(ys);
	if (json)
		print_json(sorted, n, pretty, pl, tc);
	else
		print_table(out, sorted, n, pl, tc);
	if (mix && !json) {
		mix_frame_begin(mix);
		if (mix_add(mix, sorted, n))
			fprintf(stderr, "mpctl: out of memory\n");
		else
			mix_print(mix, out, cols, interval);
	}
	fflush(out);
	if (pl)
		bpf_mp_policy_get_list_free(pl);
	tun_cache_free(tc);
	free(tc);
	free(sorted);
	bpf_mp_queue_get_list_free(qs);
	return 0;
}

/*
 * --watch without --json: every @interval seconds the screen is cleared
 * and a frame drawn, the table and the mix under it, each line cut to the
 * terminal's width as it is then, so that a frame never wraps.
 */
static int watch_table(struct ynl_sock *ys, unsigned int ifindex,
		       const char *ifname, unsigned long interval)
{
	int rc = MPCTL_OK;
	struct mix mix;

	mix_init(&mix);
	for (;;) {
		struct timespec ts = { .tv_sec = (time_t)interval };
		unsigned int cols = term_cols();
		time_t now = time(NULL);
		size_t len = 0;
		char stamp[64];
		char *buf = NULL;
		FILE *frame;
		int err;

		frame = open_memstream(&buf, &len);
		if (!frame) {
			fprintf(stderr, "mpctl: out of memory\n");
			rc = MPCTL_FAIL;
			break;
		}
		strftime(stamp, sizeof(stamp), "%F %T", localtime(&now));
		fprintf(frame, "Every %lus: mpctl show %s    %s\n\n", interval,
			ifname, stamp);
		err = show_once(frame, ys, ifindex, false, false, &mix, cols,
				interval);
		fclose(frame);
		if (err) {
			free(buf);
			rc = MPCTL_FAIL;
			break;
		}
		fputs("\033[H\033[2J", stdout);
		print_clipped(stdout, buf, len, cols);
		fflush(stdout);
		free(buf);
		nanosleep(&ts, NULL);
	}
	mix_free(&mix);
	return rc;
}

int cmd_show(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG,	  NULL },
		{ "--json",	OPT_FLAG,	  NULL },
		{ "--pretty",	OPT_FLAG,	  NULL },
		{ "--watch",	OPT_OPTIONAL_NUM, NULL },
		{ NULL,		OPT_FLAG,	  NULL },
	};
	unsigned long interval = 0;
	unsigned int ifindex = 0;
	const char *pos[1], *watch;
	struct ynl_sock *ys;
	bool json, pretty;
	int npos, rc = MPCTL_OK;

	if (opts_parse("show", argc - 1, argv + 1, opts, pos, 1, &npos)) {
		fprintf(stderr, "Try 'mpctl show --help'.\n");
		return MPCTL_USAGE;
	}
	if (opt_val(opts, "--help")) {
		fputs(show_usage, stdout);
		return MPCTL_OK;
	}
	pretty = opt_val(opts, "--pretty");
	json = pretty || opt_val(opts, "--json");
	watch = opt_val(opts, "--watch");
	if (watch) {
		if (!*watch)
			interval = 1;
		else if (uint_parse(watch, 86400, &interval) || !interval) {
			fprintf(stderr, "mpctl show: --watch '%s': not a number of seconds (1-86400)\n",
				watch);
			fprintf(stderr, "Try 'mpctl show --help'.\n");
			return MPCTL_USAGE;
		}
	}
	if (npos) {
		ifindex = strlen(pos[0]) < IF_NAMESIZE ? if_nametoindex(pos[0]) : 0;
		if (!ifindex) {
			fprintf(stderr, "mpctl: %s: no such interface\n", pos[0]);
			return MPCTL_FAIL;
		}
	}
	ys = nl_open();
	if (!ys)
		return MPCTL_FAIL;
	/* the XDP column's lookups: no libbpf chatter in the table */
	libbpf_log_init(true);
	if (!interval || json) {
		/* once, or one JSON array a line: nothing to fit or draw */
		for (;;) {
			struct timespec ts = { .tv_sec = (time_t)interval };

			if (show_once(stdout, ys, ifindex, json, pretty, NULL,
				      0, interval)) {
				rc = MPCTL_FAIL;
				break;
			}
			if (!interval)
				break;
			nanosleep(&ts, NULL);
		}
	} else {
		rc = watch_table(ys, ifindex, npos ? pos[0] : "", interval);
	}
	ynl_sock_destroy(ys);
	return rc;
}
