/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mpctl apply/save: a setup file (INI, docs/apply.md) read into a struct
 * conf, the system's state read into a struct sys, and what apply changes.
 */
#ifndef MPCTL_APPLY_H
#define MPCTL_APPLY_H

#include <linux/limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "mpctl.h"

#define CONF_MAX_OBJS	4
#define CONF_MAX_POLS	16
#define CONF_MAX_KV	16
#define CONF_MAX_QSECS	32
#define CONF_MAX_XDP	8
#define CONF_MAX_NAMES	16

struct conf_kv {
	char key[64];
	char val[128];
	int line;
};

/* [policies] object = PATH */
struct conf_obj {
	int line;
	char path[PATH_MAX];
	char names[CONF_MAX_NAMES][16];	/* its struct_ops policies */
	unsigned int nnames;
	bool load;			/* none registered: apply loads it */
	void *bpf_obj;			/* struct bpf_object, opened, not loaded */
};

/* [policy NAME]: tunables */
struct conf_pol {
	int line;
	char name[16];
	struct conf_kv kv[CONF_MAX_KV];
	unsigned int nkv;
};

/* [queues IF LIST] */
struct conf_q {
	int line;
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	struct queue_list ql;
	char list[64];			/* LIST as written */
	char policy[16];
	int policy_line;
	uint64_t udmabuf;		/* 0: no device memory */
	char udmabuf_s[32];
	bool strict;
	uint16_t flow_port;		/* 0: no --flow */
	int flow_line;
	struct conf_kv kv[CONF_MAX_KV];	/* the policy's per-queue tunables */
	unsigned int nkv;
};

/* [xdp IF] */
struct conf_xdp {
	int line;
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	char obj[PATH_MAX];		/* "": the policy library */
	char prog[16];
	char ports_s[256];
	uint16_t *ports;
	unsigned int nports;
	bool generic;
};

struct conf {
	const char *file;
	struct conf_obj obj[CONF_MAX_OBJS];
	unsigned int nobj;
	struct conf_pol pol[CONF_MAX_POLS];
	unsigned int npol;
	struct conf_q q[CONF_MAX_QSECS];
	unsigned int nq;
	struct conf_xdp xdp[CONF_MAX_XDP];
	unsigned int nxdp;
	/* while parsing */
	int line;			/* of the line the reader returned last */
	int kind;			/* the current section's */
	int err_line;			/* the first error's line, 0: none */
	char err[1024];
};

/* Parse @file; 0, or -1 after printing "mpctl: FILE:LINE: reason". */
int conf_parse(const char *file, struct conf *c);
void conf_free(struct conf *c);
/* Print "mpctl: FILE:LINE: fmt..." (LINE 0: no line). */
void conf_error(const struct conf *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One attached queue, from a queue-get dump. */
struct sys_queue {
	unsigned int ifindex;
	uint32_t queue;
	char policy[16];
	bool strict;
	bool has_binding;
	uint32_t dmabuf_id;
	uint64_t device_bytes;		/* device_total buffers * page size */
	uint16_t flow_port;		/* an "attach --flow" on this queue */
};

struct sys {
	struct sys_queue *q;
	unsigned int nq;
	char registered[64][16];
	unsigned int nreg;
};

/* The attached queues of this netns and the registered policies. */
int sys_read(struct sys *s);
void sys_free(struct sys *s);
bool sys_registered(const struct sys *s, const char *name);
struct sys_queue *sys_queue(const struct sys *s, unsigned int ifindex,
			    uint32_t queue);
/* The ports in the map mp_dev_ports of XDP program @id (sorted). */
int sys_xdp_ports(uint32_t id, uint16_t *ports, unsigned int max,
		  unsigned int *n);
/* "64M" style, what size_parse() reads back. */
void size_short(uint64_t size, char *buf, size_t len);

#endif /* MPCTL_APPLY_H */
