/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpctl: attach bpfmp refill policies to RX queues and watch them.
 * Declarations shared between the loader's files.
 */
#ifndef MPCTL_H
#define MPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses: every verb returns one of these. */
enum {
	MPCTL_OK	= 0,
	MPCTL_FAIL	= 1,	/* the operation failed; the reason was printed */
	MPCTL_USAGE	= 2,	/* bad command line */
};

#define MPCTL_POLICY_NAME_MAX	15	/* bpf_mp_ops.name[16], NUL included */
#define MPCTL_MAX_QUEUE_ID	65535	/* upper bound on a parsed queue id */
#define MPCTL_PIN_DIR		"/sys/fs/bpf/bpfmp"

/* opts.c: command-line parsing, no side effects beyond stderr. */

enum opt_arg {
	OPT_FLAG,		/* --strict */
	OPT_VALUE,		/* --policy NAME or --policy=NAME */
	OPT_OPTIONAL_NUM,	/* --watch [SEC]: takes the next word if numeric */
	OPT_MULTI,		/* --port P, repeatable: values joined with ',' */
};

struct opt {
	const char *name;	/* with the dashes: "--queues" */
	enum opt_arg arg;
	const char *val;	/* set when seen: the value, or "" */
};

/*
 * Split @argv into the options in @opts (their .val set) and at most
 * @max_pos positional words (stored in @pos, count in *@npos).  On a usage
 * error prints "mpctl VERB: ..." and returns -1.
 */
int opts_parse(const char *verb, int argc, char **argv, struct opt *opts,
	       const char **pos, int max_pos, int *npos);
const char *opt_val(const struct opt *opts, const char *name);
/* Free what opts_parse() allocated for OPT_MULTI options (also on error). */
void opts_free(struct opt *opts);

/* A sorted, duplicate-free list of queue ids. */
struct queue_list {
	uint32_t *ids;
	unsigned int n;
};

/* "0-3,5" -> {0,1,2,3,5}.  On error fills @err and returns -1. */
int queue_list_parse(const char *s, struct queue_list *ql, char *err,
		     size_t errlen);
/* {0,1,2,3,5} -> "0-3,5" (truncated to @len). */
void queue_list_format(const uint32_t *ids, unsigned int n, char *buf,
		       size_t len);
/* Add @id, keeping the list sorted and unique; -1 out of memory. */
int queue_list_add(struct queue_list *ql, uint32_t id);
void queue_list_free(struct queue_list *ql);

#include "size.h"	/* size_parse(), size_format(), uint_parse() */

/* netdev.c: what the host says about an interface. */

/* The RX queue count from /sys/class/net/IF/queues/rx-*, or -errno. */
int netdev_rx_queues(const char *ifname);
/* The interface name for @ifindex, or its number if it has none. */
const char *netdev_name(uint32_t ifindex, char *buf, size_t len);

/* udmabuf.c */

/*
 * 0 if a udmabuf of @size bytes can be made: no larger than udmabuf's
 * size_limit_mb and than the memory available (MemAvailable less a margin).
 * Else -1 with the reason, numbers included, in @err.  Creates nothing.
 */
int udmabuf_check_size(uint64_t size, char *err, size_t errlen);
/*
 * Create a udmabuf of @size bytes backed by a sealed memfd; returns the
 * dma-buf fd, or -1 with the reason in @err.
 */
int udmabuf_create(uint64_t size, char *err, size_t errlen);

/* flow.c: --flow tcp:PORT, the ethtool side of a devmem queue. */

#define MPCTL_STATE_DIR		"/run/bpfmp"

struct flow_spec {
	uint16_t port;		/* TCP destination port, IPv4 */
};

/* What mpctl changed for one attach, so that detach undoes only that. */
struct flow_undo {
	bool hds_changed;	/* header split was turned on by mpctl */
	uint8_t old_split;	/* enum ethtool_tcp_data_split before */
	uint32_t old_thresh;	/* hds-thresh before */
	bool has_rule;		/* an ntuple rule was installed */
	uint32_t loc;		/* its location */
	uint16_t port;
	uint32_t queue;
};

/* "tcp:5201" -> port 5201.  On error fills @err and returns -1. */
int flow_parse(const char *s, struct flow_spec *f, char *err, size_t len);
/*
 * Header split on with hds-thresh 0 unless reported so; records the old
 * state.  @force: set it even so (drivers report "auto" as on, but memory
 * providers need it set explicitly).
 */
int flow_hds_enable(const char *ifname, struct flow_undo *u, bool force);
/* Put back what flow_hds_enable() changed, unless changed since. */
int flow_hds_restore(const char *ifname, const struct flow_undo *u);
/* Steer TCP/IPv4 to dst-port @port to @queue (ethtool ntuple rule). */
int flow_rule_add(const char *ifname, uint16_t port, uint32_t queue,
		  struct flow_undo *u);
/* Delete the rule flow_rule_add() made, unless changed since. */
int flow_rule_del(const char *ifname, const struct flow_undo *u);
/* Remember @u for @ifindex under @what ("hds", "q2"); -1 if it could not. */
int flow_state_save(unsigned int ifindex, const char *what,
		    const struct flow_undo *u);
/* Read and forget what was remembered: 1 if there was something, else 0. */
int flow_state_take(unsigned int ifindex, const char *what,
		    struct flow_undo *u);
/* The same without forgetting it. */
int flow_state_peek(unsigned int ifindex, const char *what,
		    struct flow_undo *u);
/* The state file of @ifindex named @what, in this network namespace. */
int flow_state_path(char *buf, size_t len, unsigned int ifindex,
		    const char *what);
/* An ethtool ioctl on @ifname; 0 or -errno. */
int ethtool_ioctl(const char *ifname, void *data);

/*
 * rss.c: device-memory queues out of the RSS indirection table.
 * rss_exclude() takes @ql out (after a --flow attach with device memory)
 * and remembers the table from before; rss_restore() forgets the detached
 * @ql and writes that table back once none is left, unless changed since.
 * rss_feeds() lists the queues of @ql the table points to (-EOPNOTSUPP:
 * the device has no table).
 */
int rss_exclude(const char *ifname, unsigned int ifindex,
		const struct queue_list *ql);
int rss_restore(const char *ifname, unsigned int ifindex,
		const struct queue_list *ql);
int rss_feeds(const char *ifname, const struct queue_list *ql,
	      struct queue_list *fed);

/* libbpf_log.c: libbpf's messages. */

/*
 * Send libbpf's warnings to stderr (all its messages with MPCTL_VERBOSE=1).
 * @keep_extack: keep the kernel's netlink error message it reports for
 * libbpf_log_extack() instead of printing it.
 */
void libbpf_log_init(bool keep_extack);
void libbpf_log_extack_clear(void);
/* The kernel's message for the last failed libbpf netlink call, or NULL. */
const char *libbpf_log_extack(void);
/* libbpf's errors (LIBBPF_ERRNO__*) and errnos alike; @err is negative. */
const char *bpf_strerror(int err, char *buf, size_t len);

/* json.c: a minimal JSON writer on stdout, bpftool style. */

struct json {
	int depth;
	bool first;	/* no comma before the next value */
	bool after_key;	/* the next value is a member's */
	bool pretty;
};

void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_key(struct json *j, const char *key);
/* @key NULL: an array element. */
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_s64(struct json *j, const char *key, int64_t val);
void json_null(struct json *j, const char *key);
void json_bool(struct json *j, const char *key, bool val);

/* watch.c: mpctl show --watch's mix of each queue, and a frame that fits. */

#define MIX_HIST	120	/* refreshes a queue's sparkline remembers */

struct mix_queue;

struct mix {
	struct mix_queue **q;		/* every queue seen, in order seen */
	unsigned int n, cap;
	struct mix_queue **shown;	/* this frame's, in the table's order */
	unsigned int nshown;
	unsigned int frame;		/* refreshes so far, 1 the first */
	bool utf8;			/* block characters for the sparkline */
};

/* Empty, and the locale's character set looked at (LC_CTYPE). */
void mix_init(struct mix *m);
void mix_free(struct mix *m);
/* A new refresh: the queues mix_update() then gets are the ones shown. */
void mix_frame_begin(struct mix *m);
/* One queue's counters now, under @label ("eth1:2"); -1: out of memory. */
int mix_update(struct mix *m, uint32_t ifindex, uint32_t queue,
	       const char *label, uint64_t bufs_host, uint64_t bufs_dev,
	       uint64_t fallbacks);
/* The MIX block of this frame, fitted to @cols columns (0: no limit). */
void mix_print(struct mix *m, FILE *f, unsigned int cols,
	       unsigned long interval);
/* stdout's terminal width (TIOCGWINSZ), else $COLUMNS, else 0. */
unsigned int term_cols(void);
/* @buf's lines, each cut at @cols columns (0: whole); UTF-8 aware. */
void print_clipped(FILE *out, const char *buf, size_t len, unsigned int cols);

/* xdp.c: XDP programs on bpfmp devices. */

struct xdp_state {
	uint32_t id;		/* the program's id; 0: none attached */
	const char *mode;	/* "native", "generic" or "offload" */
	char name[16];		/* "" if it could not be looked up */
};

/* The XDP program on @ifindex (native first): 0, or a negative errno. */
int xdp_state_get(unsigned int ifindex, struct xdp_state *xs);
/* "5201,5202" -> sorted unique ports (malloc'ed); -1 with @err on error. */
int xdp_ports_parse(const char *list, uint16_t **ports, unsigned int *n,
		    char *err, size_t errlen);

/* paths.c: the policy library and the version. */

#define MPCTL_DEFAULT_OBJ	"provider.bpf.o"	/* the policy library */

/*
 * The path of the policy library's @file: beside the build-tree binary,
 * in the installed tree around the binary, or in the configured library
 * directory (the last when none exists).  -1 if it does not fit @len.
 */
int mpctl_lib_path(const char *file, char *buf, size_t len);
/* mpctl --version: the version and the policy library it would load. */
int mpctl_version(void);

/* Verbs: argv[0] is the verb. */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_xdp(int argc, char **argv);
/* policy_tun.c: "policy set" and "policy show", argv[0] the subcommand */
int cmd_policy_set(int argc, char **argv);
int cmd_policy_show(int argc, char **argv);
/* apply.c, save.c */
int cmd_apply(int argc, char **argv);
int cmd_save(int argc, char **argv);

#endif /* MPCTL_H */
