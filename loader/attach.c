// SPDX-License-Identifier: GPL-2.0
/* mpctl attach / detach: bind RX queues to a policy, and unbind them. */
#include <errno.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "mpctl.h"
#include "nl.h"

static const char attach_usage[] =
"Usage: mpctl attach IF --queues LIST --policy NAME\n"
"                    [--dmabuf-fd N | --udmabuf SIZE] [--strict]\n"
"                    [--flow tcp:PORT]\n"
"       mpctl attach IF --queues LIST --policy NAME --replace\n"
"\n"
"Attach the registered refill policy NAME to RX queues LIST of interface IF,\n"
"in one request: either every queue is attached or none is.\n"
"\n"
"With --replace, the queues must be attached already: their policy becomes\n"
"NAME in place, as 'tc qdisc replace' does.  The queues are not restarted:\n"
"their page pools, device memory, strict mode, flow setup and counters stay,\n"
"and the next refill is NAME's.  NAME's init runs for every queue first; if\n"
"it refuses one, no queue changes policy.\n"
"\n"
"  --queues LIST    queue ids and ranges, e.g. 0-3,5\n"
"  --policy NAME    a registered bpf_mp_ops policy (see 'mpctl policy list')\n"
"  --dmabuf-fd N    device memory: the dma-buf open on file descriptor N\n"
"  --udmabuf SIZE   device memory: a new udmabuf of SIZE bytes (K, M, G, T\n"
"                   suffixes, page aligned), e.g. 64M; it must leave an\n"
"                   eighth of MemAvailable (64M at least) free and be\n"
"                   within udmabuf's size_limit_mb\n"
"  --strict         refills the policy sends to device memory come up short\n"
"                   when it is exhausted, instead of using host pages\n"
"                   (needs --dmabuf-fd or --udmabuf)\n"
"  --flow tcp:PORT  set the NIC up for the flow: header split on with\n"
"                   hds-thresh 0 if it is not, an ntuple rule steering\n"
"                   TCP/IPv4 to dst-port PORT to the first queue of LIST,\n"
"                   and with device memory, LIST taken out of the RSS\n"
"                   indirection table so no other flow lands there;\n"
"                   'mpctl detach' undoes exactly what this changed\n"
"  --replace        swap the policy of attached queues in place (above);\n"
"                   goes with --queues and --policy only\n"
"\n"
"Prints what it attached.  The kernel keeps its own reference to the\n"
"dma-buf: mpctl need not stay.\n";

static const char detach_usage[] =
"Usage: mpctl detach IF [--queues LIST]\n"
"\n"
"Detach RX queues of interface IF from bpfmp, back to the plain page_pool.\n"
"Without --queues, every attached queue of IF.  What 'attach --flow' set up\n"
"for these queues is undone: the steering rule is deleted and, once no queue\n"
"of IF is attached any more, header split goes back to how it was.\n";

static int usage_error(const char *verb)
{
	fprintf(stderr, "Try 'mpctl %s --help'.\n", verb);
	return MPCTL_USAGE;
}

/* ifindex of @ifname, or 0 after printing why not. */
static unsigned int ifindex_of(const char *ifname)
{
	unsigned int ifindex = strlen(ifname) < IF_NAMESIZE ?
			       if_nametoindex(ifname) : 0;

	if (!ifindex)
		fprintf(stderr, "mpctl: %s: no such interface\n", ifname);
	return ifindex;
}

/* 0 if every queue in @ql exists on @ifname, else prints why and -1. */
static int check_queues(const char *ifname, const struct queue_list *ql)
{
	unsigned int bad = 0;
	uint32_t *out;
	char list[256];
	int nrx;

	nrx = netdev_rx_queues(ifname);
	if (nrx < 0) {
		fprintf(stderr, "mpctl: %s: cannot count RX queues in /sys/class/net/%s/queues: %s\n",
			ifname, ifname, strerror(-nrx));
		return -1;
	}
	out = calloc(ql->n, sizeof(*out));
	if (!out) {
		fprintf(stderr, "mpctl: out of memory\n");
		return -1;
	}
	for (unsigned int i = 0; i < ql->n; i++)
		if (ql->ids[i] >= (uint32_t)nrx)
			out[bad++] = ql->ids[i];
	if (bad) {
		queue_list_format(out, bad, list, sizeof(list));
		if (nrx > 1)
			fprintf(stderr, "mpctl: %s: queue%s %s out of range (%s has %d RX queues, 0-%d)\n",
				ifname, bad > 1 ? "s" : "", list, ifname, nrx,
				nrx - 1);
		else if (nrx == 1)
			fprintf(stderr, "mpctl: %s: queue%s %s out of range (%s has one RX queue, 0)\n",
				ifname, bad > 1 ? "s" : "", list, ifname);
		else
			fprintf(stderr, "mpctl: %s: queue%s %s out of range (%s has no RX queues)\n",
				ifname, bad > 1 ? "s" : "", list, ifname);
	}
	free(out);
	return bad ? -1 : 0;
}

/*
 * The ifindex of @ifname if it has every queue of @ql (NULL: none
 * checked), else 0 after printing why.
 */
static unsigned int target_ifindex(const char *ifname,
				   const struct queue_list *ql)
{
	unsigned int ifindex = ifindex_of(ifname);

	if (!ifindex || (ql && check_queues(ifname, ql)))
		return 0;
	return ifindex;
}

/*
 * A bpf-mp socket for a request that names @policy, or NULL after
 * printing why: no socket, no policy list, or @policy not registered
 * (that message ends with @after).
 */
static struct ynl_sock *policy_sock(const char *policy, const char *after)
{
	struct ynl_sock *ys = nl_open();
	int reg;

	if (!ys)
		return NULL;
	reg = nl_policy_registered(ys, policy);
	if (reg > 0)
		return ys;
	if (!reg)
		fprintf(stderr, "mpctl: policy %s: not registered (see 'mpctl policy list'; register it with 'mpctl policy load OBJ' or 'bpftool struct_ops register OBJ DIR')%s\n",
			policy, after);
	ynl_sock_destroy(ys);
	return NULL;
}

/*
 * 0 if @fd is an open dma-buf, else prints what it is instead and -1: the
 * kernel would only say "Invalid argument" or "Bad file descriptor".
 */
static int check_dmabuf_fd(int fd)
{
	char link[32], what[256];
	struct statfs sfs;
	ssize_t n;

	if (fstatfs(fd, &sfs)) {
		if (errno == EBADF)
			fprintf(stderr, "mpctl: --dmabuf-fd %d: not an open file descriptor\n",
				fd);
		else
			fprintf(stderr, "mpctl: --dmabuf-fd %d: %s\n", fd,
				strerror(errno));
		return -1;
	}
	if (sfs.f_type == DMA_BUF_MAGIC)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, what, sizeof(what) - 1);
	if (n > 0) {
		what[n] = '\0';
		fprintf(stderr, "mpctl: --dmabuf-fd %d: not a dma-buf (it is %s)\n",
			fd, what);
	} else {
		fprintf(stderr, "mpctl: --dmabuf-fd %d: not a dma-buf\n", fd);
	}
	return -1;
}

/*
 * "queue 2" (the one the kernel pointed at, or the only one) or
 * "queues 0-3,5": what a failed request was about.
 */
static const char *queues_subject(struct ynl_sock *ys,
				  const struct queue_list *ql, char *buf,
				  size_t len)
{
	int bad = nl_bad_queue(ys, ql->n);
	char list[200];

	if (bad >= 0 || ql->n == 1) {
		snprintf(buf, len, "queue %u", ql->ids[bad >= 0 ? bad : 0]);
	} else {
		queue_list_format(ql->ids, ql->n, list, sizeof(list));
		snprintf(buf, len, "queues %s", list);
	}
	return buf;
}

/* Copy @ql's ids into a malloc'ed array the YNL request may own. */
static uint32_t *ids_dup(const struct queue_list *ql)
{
	uint32_t *ids = malloc(ql->n * sizeof(*ids));

	if (ids)
		memcpy(ids, ql->ids, ql->n * sizeof(*ids));
	else
		fprintf(stderr, "mpctl: out of memory\n");
	return ids;
}

static int attached_queues(struct ynl_sock *ys, const char *ifname,
			   unsigned int ifindex, struct queue_list *ql);

/* Did the kernel refuse the attach for want of header split? */
static bool hds_refused(const struct ynl_sock *ys)
{
	return strstr(ys->err.msg, "tcp-data-split") ||
	       strstr(ys->err.msg, "hds-thresh");
}

/*
 * What to do next after the kernel refused an attach, for the refusals
 * an operator can fix from here; "" otherwise.
 */
static const char *attach_hint(const struct ynl_sock *ys, const char *ifname,
			       const char *subj, char *buf, size_t len)
{
	const char *m = strstr(ys->err.msg, "queue ");
	unsigned int busy;

	buf[0] = '\0';
	if (hds_refused(ys))
		snprintf(buf, len, " (bpfmp queues need header split on with hds-thresh 0: add --flow tcp:PORT, which sets it, or set it as docs/mpctl.md 'Header split' shows)");
	/* the kernel names the queue in its text, not as the bad attribute */
	else if (ys->err.code == EBUSY && m &&
		 sscanf(m, "queue %u already attached", &busy) == 1)
		snprintf(buf, len, " (detach it first: 'mpctl detach %s --queues %u')",
			 ifname, busy);
	else if (ys->err.code == EBUSY)
		snprintf(buf, len, " (detach first: 'mpctl detach %s --queues %s')",
			 ifname, strchr(subj, ' ') ? strchr(subj, ' ') + 1 : subj);
	return buf;
}

/*
 * "eth1: queues 2-3 attached to watermark; device memory: 64 MiB udmabuf,
 * dma-buf binding 3 (16384 buffers)": read back from a queue-get dump, so
 * it says what the kernel has, not what was asked for.
 */
static void attach_report(struct ynl_sock *ys, const char *ifname,
			  unsigned int ifindex, const struct queue_list *ql,
			  const char *policy, const char *size_s, int fd,
			  bool strict)
{
	struct bpf_mp_queue_get_req_dump *dreq;
	struct bpf_mp_queue_get_list *qs = NULL;
	char list[200], what[64] = "";
	long long binding = -1;
	uint64_t total = 0;

	queue_list_format(ql->ids, ql->n, list, sizeof(list));
	dreq = bpf_mp_queue_get_req_dump_alloc();
	if (dreq) {
		bpf_mp_queue_get_req_dump_set_ifindex(dreq, ifindex);
		qs = bpf_mp_queue_get_dump(ys, dreq);
		bpf_mp_queue_get_req_dump_free(dreq);
	}
	if (qs) {
		ynl_dump_foreach(qs, q)
			if (q->ifindex == ifindex && q->_count.queue_id &&
			    q->queue_id[0] == ql->ids[0] && q->_present.dmabuf_id) {
				binding = q->dmabuf_id;
				total = q->device_total;
			}
		bpf_mp_queue_get_list_free(qs);
	}
	printf("%s: queue%s %s attached to %s", ifname, ql->n > 1 ? "s" : "",
	       list, policy);
	if (binding < 0) {
		printf("; host pages only (no device memory)\n");
		return;
	}
	if (size_s) {
		uint64_t size = 0;

		size_parse(size_s, &size);
		size_format(size, what, sizeof(what));
		printf("; device memory: %s udmabuf", what);
	} else {
		printf("; device memory: dma-buf fd %d", fd);
	}
	printf(", dma-buf binding %lld (%llu buffers)%s\n", binding,
	       (unsigned long long)total, strict ? ", strict" : "");
}

/* One detach request for @ql; 0, -ENOMEM, or -1 with the reason in @ys. */
static int detach_queues(struct ynl_sock *ys, unsigned int ifindex,
			 const struct queue_list *ql)
{
	struct bpf_mp_detach_req *req = bpf_mp_detach_req_alloc();
	uint32_t *ids = ids_dup(ql);
	int err;

	if (!req || !ids) {
		free(ids);
		if (req)
			bpf_mp_detach_req_free(req);
		return -ENOMEM;
	}
	bpf_mp_detach_req_set_ifindex(req, ifindex);
	__bpf_mp_detach_req_set_queue_id(req, ids, ql->n);
	err = bpf_mp_detach(ys, req) ? -1 : 0;
	bpf_mp_detach_req_free(req);
	return err;
}

/* Detach @ql again after a failed --flow setup; prints why if it cannot. */
static void undo_attach(struct ynl_sock *ys, const char *ifname,
			unsigned int ifindex, const struct queue_list *ql)
{
	char err[600];

	if (detach_queues(ys, ifindex, ql) == -1)
		fprintf(stderr, "mpctl: %s: detach again: %s\n", ifname,
			nl_strerror(ys, err, sizeof(err)));
}

/*
 * After the attach: the steering rule to the first queue, and the record
 * of what --flow changed.  On failure the attach is rolled back.
 */
static int flow_finish(struct ynl_sock *ys, const char *ifname,
		       unsigned int ifindex, const struct queue_list *ql,
		       const struct flow_spec *flow, struct flow_undo *undo,
		       bool devmem)
{
	struct flow_undo hds = *undo, rule = {};
	char what[16];

	if (flow_rule_add(ifname, flow->port, ql->ids[0], &rule)) {
		undo_attach(ys, ifname, ifindex, ql);
		flow_hds_restore(ifname, undo);
		return -1;
	}
	/* other flows hashed onto a device-memory queue could not be read */
	if (devmem && rss_exclude(ifname, ifindex, ql)) {
		flow_rule_del(ifname, &rule);
		undo_attach(ys, ifname, ifindex, ql);
		flow_hds_restore(ifname, undo);
		return -1;
	}
	snprintf(what, sizeof(what), "q%u", ql->ids[0]);
	/* a failed save was printed; the NIC is set up all the same */
	flow_state_save(ifindex, what, &rule);
	if (hds.hds_changed)
		flow_state_save(ifindex, "hds", &hds);
	return 0;
}

/* Undo what "attach --flow" did for the queues in @ql. */
static void flow_teardown(struct ynl_sock *ys, const char *ifname,
			  unsigned int ifindex, const struct queue_list *ql)
{
	struct queue_list left = {};
	struct flow_undo u;
	char what[16];

	for (unsigned int i = 0; i < ql->n; i++) {
		snprintf(what, sizeof(what), "q%u", ql->ids[i]);
		if (flow_state_take(ifindex, what, &u))
			flow_rule_del(ifname, &u);
	}
	rss_restore(ifname, ifindex, ql);
	/* header split is the device's: only once no queue needs it */
	if (attached_queues(ys, ifname, ifindex, &left))
		return;
	if (!left.n && flow_state_take(ifindex, "hds", &u))
		flow_hds_restore(ifname, &u);
	queue_list_free(&left);
}

/* A queue-get dump of @ifindex; NULL after printing why. */
static struct bpf_mp_queue_get_list *queue_dump(struct ynl_sock *ys,
						const char *ifname,
						unsigned int ifindex)
{
	struct bpf_mp_queue_get_req_dump *dreq;
	struct bpf_mp_queue_get_list *qs;
	char err[600];

	dreq = bpf_mp_queue_get_req_dump_alloc();
	if (!dreq) {
		fprintf(stderr, "mpctl: out of memory\n");
		return NULL;
	}
	bpf_mp_queue_get_req_dump_set_ifindex(dreq, ifindex);
	qs = bpf_mp_queue_get_dump(ys, dreq);
	bpf_mp_queue_get_req_dump_free(dreq);
	if (!qs)
		fprintf(stderr, "mpctl: %s: list attached queues: %s\n", ifname,
			nl_strerror(ys, err, sizeof(err)));
	return qs;
}

/*
 * The policy of each queue of @ql on @ifindex, from a queue-get dump, in
 * @names (ql->n slots of 16, "" for a queue not attached); -1 if the dump
 * failed (printed).
 */
static int queue_policies(struct ynl_sock *ys, const char *ifname,
			  unsigned int ifindex, const struct queue_list *ql,
			  char (*names)[16])
{
	struct bpf_mp_queue_get_list *qs;

	qs = queue_dump(ys, ifname, ifindex);
	if (!qs)
		return -1;
	for (unsigned int i = 0; i < ql->n; i++)
		names[i][0] = '\0';
	ynl_dump_foreach(qs, q) {
		if (q->ifindex != ifindex || !q->_count.queue_id || !q->policy)
			continue;
		for (unsigned int i = 0; i < ql->n; i++)
			if (ql->ids[i] == q->queue_id[0])
				snprintf(names[i], sizeof(names[i]), "%s", q->policy);
	}
	bpf_mp_queue_get_list_free(qs);
	return 0;
}

/*
 * "eth1: queue 2 replaced in place: alternate -> watermark (not restarted:
 * page pools and device memory kept)", the new policy read back from the
 * kernel.
 */
static void replace_report(struct ynl_sock *ys, const char *ifname,
			   unsigned int ifindex, const struct queue_list *ql,
			   char (*was)[16])
{
	char (*now)[16] = calloc(ql->n, sizeof(*now));
	char list[200], from[200] = "";
	size_t len = 0;

	if (!now || queue_policies(ys, ifname, ifindex, ql, now)) {
		free(now);
		return;
	}
	/* "alternate", or "alternate, static_map" for queues that differed */
	for (unsigned int i = 0; i < ql->n && len < sizeof(from); i++) {
		unsigned int j;

		for (j = 0; j < i && strcmp(was[j], was[i]); j++)
			;
		if (j < i)
			continue;
		len += snprintf(from + len, sizeof(from) - len, "%s%s",
				len ? ", " : "", was[i]);
	}
	queue_list_format(ql->ids, ql->n, list, sizeof(list));
	printf("%s: queue%s %s replaced in place: %s -> %s (not restarted: page pools and device memory kept)\n",
	       ifname, ql->n > 1 ? "s" : "", list, from, now[0]);
	free(now);
}

/* What to do next after the kernel refused a replace; "" otherwise. */
static const char *replace_hint(const struct ynl_sock *ys, const char *ifname,
				const char *policy, char *buf, size_t len)
{
	const char *m = strstr(ys->err.msg, "queue ");
	unsigned int q;

	buf[0] = '\0';
	/* the kernel's text is short (extack is cut at 79 characters) */
	if (strstr(ys->err.msg, "refused queue"))
		snprintf(buf, len, " (no queue changed policy)");
	else if (ys->err.code == ENOENT && m &&
		 sscanf(m, "queue %u is not attached", &q) == 1)
		snprintf(buf, len, " (attach it first, without --replace: 'mpctl attach %s --queues %u --policy %s')",
			 ifname, q, policy);
	/* genetlink's answer to an op the family does not have */
	else if (ys->err.code == EOPNOTSUPP && !ys->err.msg[0])
		snprintf(buf, len, " (this kernel's bpf-mp family has no replace operation: detach and attach again instead)");
	return buf;
}

/* mpctl attach --replace: the checked command line, from cmd_attach(). */
static int attach_replace(const char *ifname, const struct queue_list *ql,
			  const char *policy)
{
	struct bpf_mp_replace_req *req = NULL;
	char err[600], subj[256], hint[512];
	struct ynl_sock *ys = NULL;
	char (*was)[16] = NULL;
	int rc = MPCTL_FAIL;
	unsigned int ifindex;
	uint32_t *ids;

	ifindex = target_ifindex(ifname, ql);
	if (!ifindex)
		goto out;
	ys = policy_sock(policy, "; no queue changed policy");
	if (!ys)
		goto out;
	/* for the report; the kernel says which queues are not attached */
	was = calloc(ql->n, sizeof(*was));
	if (!was) {
		fprintf(stderr, "mpctl: out of memory\n");
		goto out;
	}
	if (queue_policies(ys, ifname, ifindex, ql, was))
		goto out;
	req = bpf_mp_replace_req_alloc();
	ids = ids_dup(ql);
	if (!req || !ids) {
		free(ids);
		goto out;
	}
	bpf_mp_replace_req_set_ifindex(req, ifindex);
	__bpf_mp_replace_req_set_queue_id(req, ids, ql->n);
	bpf_mp_replace_req_set_policy(req, policy);
	if (bpf_mp_replace(ys, req)) {
		queues_subject(ys, ql, subj, sizeof(subj));
		fprintf(stderr, "mpctl: replace %s %s: %s%s\n", ifname, subj,
			nl_strerror(ys, err, sizeof(err)),
			replace_hint(ys, ifname, policy, hint, sizeof(hint)));
		goto out;
	}
	replace_report(ys, ifname, ifindex, ql, was);
	rc = MPCTL_OK;
out:
	if (req)
		bpf_mp_replace_req_free(req);
	if (ys)
		ynl_sock_destroy(ys);
	free(was);
	return rc;
}

/* Device memory on queues RSS still feeds: say what that means. */
static void rss_warn(const char *ifname, const struct queue_list *ql)
{
	struct queue_list fed;
	char list[128];

	if (rss_feeds(ifname, ql, &fed) || !fed.n) {
		queue_list_free(&fed);
		return;
	}
	queue_list_format(fed.ids, fed.n, list, sizeof(list));
	fprintf(stderr, "mpctl: warning: %s queue%s %s still in the RSS indirection table: any flow hashed there lands in device memory and its ordinary reader gets EFAULT; attach with --flow tcp:PORT (which takes %s out of RSS) or set the table with 'ethtool -X %s'\n",
		ifname, fed.n > 1 ? "s" : "", list, fed.n > 1 ? "them" : "it",
		ifname);
	queue_list_free(&fed);
}

int cmd_attach(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	 OPT_FLAG,  NULL },
		{ "--queues",	 OPT_VALUE, NULL },
		{ "--policy",	 OPT_VALUE, NULL },
		{ "--dmabuf-fd", OPT_VALUE, NULL },
		{ "--udmabuf",	 OPT_VALUE, NULL },
		{ "--strict",	 OPT_FLAG,  NULL },
		{ "--flow",	 OPT_VALUE, NULL },
		{ "--replace",	 OPT_FLAG,  NULL },
		{ NULL,		 OPT_FLAG,  NULL },
	};
	const char *pos[1], *queues, *policy, *fd_s, *size_s, *flow_s;
	struct flow_undo undo = {};
	struct flow_spec flow = {};
	struct bpf_mp_attach_req *req = NULL;
	struct queue_list ql = {};
	struct ynl_sock *ys = NULL;
	char err[600], subj[256], hint[512];
	unsigned long dmabuf_fd = 0;
	int npos, rc = MPCTL_FAIL, buf = -1, attach_err;
	uint64_t size = 0;
	unsigned int ifindex;
	uint32_t *ids;

	if (opts_parse("attach", argc - 1, argv + 1, opts, pos, 1, &npos))
		return usage_error("attach");
	if (opt_val(opts, "--help")) {
		fputs(attach_usage, stdout);
		return MPCTL_OK;
	}
	queues = opt_val(opts, "--queues");
	policy = opt_val(opts, "--policy");
	fd_s = opt_val(opts, "--dmabuf-fd");
	size_s = opt_val(opts, "--udmabuf");
	flow_s = opt_val(opts, "--flow");
	if (npos != 1) {
		fprintf(stderr, "mpctl attach: missing interface\n");
		return usage_error("attach");
	}
	if (!queues || !policy) {
		fprintf(stderr, "mpctl attach: %s is required\n",
			queues ? "--policy" : "--queues");
		return usage_error("attach");
	}
	if (queue_list_parse(queues, &ql, err, sizeof(err))) {
		fprintf(stderr, "mpctl attach: --queues '%s': %s\n", queues, err);
		return usage_error("attach");
	}
	if (strlen(policy) > MPCTL_POLICY_NAME_MAX) {
		fprintf(stderr, "mpctl attach: --policy '%s': names are at most %d characters\n",
			policy, MPCTL_POLICY_NAME_MAX);
		goto usage;
	}
	/* replace changes the policy only: the rest of the attach stays */
	if (opt_val(opts, "--replace")) {
		const char *keeps[] = { "--dmabuf-fd", "--udmabuf", "--strict",
					"--flow" };

		for (size_t k = 0; k < sizeof(keeps) / sizeof(keeps[0]); k++) {
			if (!opt_val(opts, keeps[k]))
				continue;
			fprintf(stderr, "mpctl attach: --replace changes the policy only and keeps the queues' device memory, strict mode and flow setup: %s cannot go with it (detach and attach again to change it)\n",
				keeps[k]);
			goto usage;
		}
		rc = attach_replace(pos[0], &ql, policy);
		queue_list_free(&ql);
		return rc;
	}
	if (flow_s && flow_parse(flow_s, &flow, err, sizeof(err))) {
		fprintf(stderr, "mpctl attach: --flow '%s': %s\n", flow_s, err);
		goto usage;
	}
	if (fd_s && size_s) {
		fprintf(stderr, "mpctl attach: --dmabuf-fd and --udmabuf exclude each other\n");
		goto usage;
	}
	/* strict only changes what device memory does when it runs out */
	if (opt_val(opts, "--strict") && !fd_s && !size_s) {
		fprintf(stderr, "mpctl attach: --strict needs device memory (--dmabuf-fd N or --udmabuf SIZE): without it every refill is host pages and there is nothing to be strict about\n");
		goto usage;
	}
	if (fd_s && uint_parse(fd_s, 0x7fffffff, &dmabuf_fd)) {
		fprintf(stderr, "mpctl attach: --dmabuf-fd '%s': not a file descriptor number\n",
			fd_s);
		goto usage;
	}
	if (size_s) {
		long page = sysconf(_SC_PAGESIZE);

		if (size_parse(size_s, &size) || !size) {
			fprintf(stderr, "mpctl attach: --udmabuf '%s': not a size (e.g. 4096, 64M, 1G)\n",
				size_s);
			goto usage;
		}
		if (page > 0 && size % (uint64_t)page) {
			fprintf(stderr, "mpctl attach: --udmabuf '%s': not a multiple of the page size (%ld)\n",
				size_s, page);
			goto usage;
		}
	}

	/* The command line is sound: now look at the system. */
	ifindex = target_ifindex(pos[0], &ql);
	if (!ifindex)
		goto out;
	if (fd_s && check_dmabuf_fd((int)dmabuf_fd))
		goto out;
	/* a udmabuf's pages are pinned at once: refuse what cannot be had */
	if (size_s && udmabuf_check_size(size, err, sizeof(err))) {
		fprintf(stderr, "mpctl: --udmabuf %s: %s\n", size_s, err);
		goto out;
	}
	ys = policy_sock(policy, "");
	if (!ys)
		goto out;
	if (size_s) {
		buf = udmabuf_create(size, err, sizeof(err));
		if (buf < 0) {
			fprintf(stderr, "mpctl: --udmabuf %s: %s\n", size_s, err);
			goto out;
		}
		dmabuf_fd = (unsigned long)buf;
	}

	req = bpf_mp_attach_req_alloc();
	ids = ids_dup(&ql);
	if (!req || !ids) {
		free(ids);
		goto out;
	}
	bpf_mp_attach_req_set_ifindex(req, ifindex);
	__bpf_mp_attach_req_set_queue_id(req, ids, ql.n);
	bpf_mp_attach_req_set_policy(req, policy);
	if (fd_s || size_s)
		bpf_mp_attach_req_set_dmabuf_fd(req, (__u32)dmabuf_fd);
	if (opt_val(opts, "--strict"))
		bpf_mp_attach_req_set_flags(req, BPF_MP_ATTACH_FLAGS_STRICT);
	/* the kernel wants header split before it installs the provider */
	if (flow_s && flow_hds_enable(pos[0], &undo, false))
		goto out;
	attach_err = bpf_mp_attach(ys, req);
	/* drivers report "auto" header split as on: set it for real, once */
	if (attach_err && flow_s && !undo.hds_changed && hds_refused(ys)) {
		if (flow_hds_enable(pos[0], &undo, true))
			goto out;
		attach_err = bpf_mp_attach(ys, req);
	}
	if (attach_err) {
		queues_subject(ys, &ql, subj, sizeof(subj));
		fprintf(stderr, "mpctl: attach %s %s: %s%s\n", pos[0], subj,
			nl_strerror(ys, err, sizeof(err)),
			attach_hint(ys, pos[0], subj, hint, sizeof(hint)));
		flow_hds_restore(pos[0], &undo);
		goto out;
	}
	if (flow_s && flow_finish(ys, pos[0], ifindex, &ql, &flow, &undo,
				  fd_s || size_s))
		goto out;
	if (!flow_s && (fd_s || size_s))
		rss_warn(pos[0], &ql);
	attach_report(ys, pos[0], ifindex, &ql, policy, size_s, (int)dmabuf_fd,
		      opt_val(opts, "--strict"));
	rc = MPCTL_OK;
out:
	if (req)
		bpf_mp_attach_req_free(req);
	if (ys)
		ynl_sock_destroy(ys);
	if (buf >= 0)
		close(buf);
	queue_list_free(&ql);
	return rc;
usage:
	queue_list_free(&ql);
	return usage_error("attach");
}

/* The attached queues of @ifindex, from a queue-get dump. */
static int attached_queues(struct ynl_sock *ys, const char *ifname,
			   unsigned int ifindex, struct queue_list *ql)
{
	struct bpf_mp_queue_get_list *qs;
	unsigned int n = 0;

	qs = queue_dump(ys, ifname, ifindex);
	if (!qs)
		return -1;
	ynl_dump_foreach(qs, q)
		n++;
	ql->ids = malloc((n ? n : 1) * sizeof(*ql->ids));
	ql->n = 0;
	if (!ql->ids) {
		bpf_mp_queue_get_list_free(qs);
		fprintf(stderr, "mpctl: out of memory\n");
		return -1;
	}
	ynl_dump_foreach(qs, q)
		if (q->ifindex == ifindex && q->_count.queue_id)
			ql->ids[ql->n++] = q->queue_id[0];
	bpf_mp_queue_get_list_free(qs);
	return 0;
}

int cmd_detach(int argc, char **argv)
{
	struct opt opts[] = {
		{ "--help",	OPT_FLAG,  NULL },
		{ "--queues",	OPT_VALUE, NULL },
		{ NULL,		OPT_FLAG,  NULL },
	};
	const char *pos[1], *queues;
	struct queue_list ql = {};
	struct ynl_sock *ys = NULL;
	char err[600], subj[256];
	int npos, rc = MPCTL_FAIL, err_no;
	unsigned int ifindex;

	if (opts_parse("detach", argc - 1, argv + 1, opts, pos, 1, &npos))
		return usage_error("detach");
	if (opt_val(opts, "--help")) {
		fputs(detach_usage, stdout);
		return MPCTL_OK;
	}
	if (npos != 1) {
		fprintf(stderr, "mpctl detach: missing interface\n");
		return usage_error("detach");
	}
	queues = opt_val(opts, "--queues");
	if (queues && queue_list_parse(queues, &ql, err, sizeof(err))) {
		fprintf(stderr, "mpctl detach: --queues '%s': %s\n", queues, err);
		return usage_error("detach");
	}

	ifindex = target_ifindex(pos[0], queues ? &ql : NULL);
	if (!ifindex)
		goto out;
	ys = nl_open();
	if (!ys)
		goto out;
	if (!queues) {
		if (attached_queues(ys, pos[0], ifindex, &ql))
			goto out;
		if (!ql.n) {
			fprintf(stderr, "mpctl: %s: no queues attached to bpfmp\n",
				pos[0]);
			goto out;
		}
		/* the dump's order is the kernel's; requests read better sorted */
		for (unsigned int i = 1; i < ql.n; i++)
			for (unsigned int j = i; j && ql.ids[j - 1] > ql.ids[j]; j--) {
				uint32_t t = ql.ids[j];

				ql.ids[j] = ql.ids[j - 1];
				ql.ids[j - 1] = t;
			}
	}

	err_no = detach_queues(ys, ifindex, &ql);
	if (err_no == -ENOMEM)
		goto out;
	if (err_no) {
		fprintf(stderr, "mpctl: detach %s %s: %s\n", pos[0],
			queues_subject(ys, &ql, subj, sizeof(subj)),
			nl_strerror(ys, err, sizeof(err)));
		goto out;
	}
	flow_teardown(ys, pos[0], ifindex, &ql);
	rc = MPCTL_OK;
out:
	if (ys)
		ynl_sock_destroy(ys);
	queue_list_free(&ql);
	return rc;
}
