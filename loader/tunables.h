/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A policy's tunables, found by their BTF (BPF_MP_TUNABLE and friends in
 * include/bpf_mp.bpf.h): names, sizes, signedness and enum names come from
 * the object's types, so nothing here knows a policy's layout.
 */
#ifndef MPCTL_TUNABLES_H
#define MPCTL_TUNABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUN_MAX_MAPS	8
#define TUN_MAX_KEYS	32
#define TUN_NAME_MAX	64
#define TUN_VAL_MAX	64	/* a formatted value */

struct btf;

/* One map holding tunables: a data section, or a per-queue hash map. */
struct tun_map {
	char name[TUN_NAME_MAX];	/* the section, or the map variable */
	bool per_queue;
	uint32_t value_type_id;		/* the DATASEC, or the map's value */
	uint32_t value_size;
	uint32_t key_size;		/* per queue: the key struct */
	uint32_t ifindex_off, queue_off;
	int fd;				/* -1: not opened (BTF of a file) */
};

/* One KEY. */
struct tun_key {
	char name[TUN_NAME_MAX];
	unsigned int map;		/* index into tun_policy.maps */
	uint32_t off, size;		/* within the map's value */
	uint32_t type_id;		/* the int or enum, typedefs resolved */
	bool is_signed, is_bool, is_enum;
	bool ranged;
	int64_t min, max;
};

struct tun_policy {
	char name[16];
	struct btf *btf;		/* owned */
	struct tun_map maps[TUN_MAX_MAPS];
	unsigned int nmaps;
	struct tun_key keys[TUN_MAX_KEYS];
	unsigned int nkeys;
};

/* What "KEY=VALUE" or "IF:Q=VALUE" asks for, parsed and checked. */
struct tun_assign {
	unsigned int key;
	uint32_t ifindex, queue;	/* per-queue keys only */
	uint64_t raw;			/* the value, in the key's size */
};

/*
 * The tunables of the registered policy @name: its struct_ops link's map
 * leads to the object's BTF and maps.  0, or -1 with the reason in @err.
 * A policy without tunables has nkeys 0.
 */
int tun_policy_open(const char *name, struct tun_policy *tp, char *err,
		    size_t len);
/* The same from @btf (an object file not loaded yet): no maps open. */
int tun_policy_from_btf(const char *name, const struct btf *btf,
			struct tun_policy *tp, char *err, size_t len);
void tun_policy_close(struct tun_policy *tp);

/* "high (0-100), low (0-100)" or "IF:QUEUE=host|device". */
void tun_valid_keys(const struct tun_policy *tp, char *buf, size_t len);
/* Index of the per-queue key @name, or of the only one if @name is NULL. */
int tun_queue_key(const struct tun_policy *tp, const char *name);

/*
 * Parse "KEY=VALUE" or "IF:QUEUE[.KEY]=VALUE" (interface by name, in this
 * netns, or by index).  0, or -1 with the reason, valid keys and values
 * included, in @err.
 */
int tun_parse(const struct tun_policy *tp, const char *arg,
	      struct tun_assign *a, char *err, size_t len);
/* Parse @val for key @key (a per-queue one needs a->ifindex/queue set). */
int tun_parse_value(const struct tun_policy *tp, unsigned int key,
		    const char *val, struct tun_assign *a, char *err,
		    size_t len);

/*
 * Write @n assignments: all or none (what was written is put back if a
 * later write fails).  0, or -1 with the reason in @err.
 */
int tun_write(const struct tun_policy *tp, const struct tun_assign *a,
	      unsigned int n, char *err, size_t len);

/*
 * The current value of @key (for a per-queue key, of @ifindex/@queue)
 * formatted into @buf: 1, 0 if a per-queue key has no entry, -1 on error.
 */
int tun_read(const struct tun_policy *tp, unsigned int key, uint32_t ifindex,
	     uint32_t queue, char *buf, size_t len);
/* Delete the entry of per-queue key @key for @ifindex/@queue (0 if none). */
int tun_delete(const struct tun_policy *tp, unsigned int key, uint32_t ifindex,
	       uint32_t queue);
/* @raw formatted the way tun_parse_value() reads it. */
void tun_format(const struct tun_policy *tp, unsigned int key, uint64_t raw,
		char *buf, size_t len);
/* Is the formatted value a JSON number (not an enum name)? */
bool tun_is_number(const struct tun_policy *tp, unsigned int key);

/*
 * Every entry of per-queue key @key: calls @fn for each; 0 or -1.  The
 * order is the map's.
 */
int tun_queue_entries(const struct tun_policy *tp, unsigned int key,
		      void (*fn)(void *ctx, uint32_t ifindex, uint32_t queue,
				 const char *val),
		      void *ctx);


/* For "mpctl show": each policy's tunables opened once per dump. */
#define TUN_CACHE_MAX	16
struct json;
struct tun_cache {
	struct tun_policy tp[TUN_CACHE_MAX];
	bool ok[TUN_CACHE_MAX];
	unsigned int n;
};

/*
 * The tunables queue @ifindex/@queue of @policy runs with: into @buf as
 * "high=50,low=25" ("-" if none) and, with @j, as the member "tunables"
 * (null when they cannot be read).  A per-queue key shows the queue's
 * entry, if it has one.
 */
int tun_show_queue(struct tun_cache *c, const char *policy, uint32_t ifindex,
		   uint32_t queue, struct json *j, char *buf, size_t len);
void tun_cache_free(struct tun_cache *c);

#endif /* MPCTL_TUNABLES_H */
