// SPDX-License-Identifier: GPL-2.0
/*
 * A policy's tunables from its object's BTF.  The registered policy's
 * struct_ops link names its map; every map libbpf loaded from the same
 * object shares that map's BTF id, so the object's other maps are found by
 * it.  The decl tags BPF_MP_TUNABLE/BPF_MP_QUEUE_TUNABLE/BPF_MP_RANGE
 * (include/bpf_mp.bpf.h) say which variables are tunables.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpctl.h"
#include "tunables.h"

#define TAG_GLOBAL	"bpf_mp_tunable:"
#define TAG_QUEUE	"bpf_mp_queue_tunable:"
#define TAG_RANGE	"bpf_mp_range:"

/* The DATASEC holding variable @var_id, with the variable's offset. */
static int var_section(const struct btf *btf, uint32_t var_id, uint32_t *off)
{
	uint32_t n = btf__type_cnt(btf);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *vsi;

		if (!btf_is_datasec(t))
			continue;
		vsi = btf_var_secinfos(t);
		for (unsigned int i = 0; i < btf_vlen(t); i++, vsi++)
			if (vsi->type == var_id) {
				*off = vsi->offset;
				return (int)id;
			}
	}
	return -1;
}

/* The range tag on member @idx of struct @sid, if any. */
static void member_range(const struct btf *btf, uint32_t sid, int idx,
			 struct tun_key *k)
{
	uint32_t n = btf__type_cnt(btf);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tag;
		long long lo, hi;

		if (!btf_is_decl_tag(t) || t->type != sid ||
		    btf_decl_tag(t)->component_idx != idx)
			continue;
		tag = btf__name_by_offset(btf, t->name_off);
		if (strncmp(tag, TAG_RANGE, strlen(TAG_RANGE)) ||
		    sscanf(tag + strlen(TAG_RANGE), "%lld:%lld", &lo, &hi) != 2)
			continue;
		k->ranged = true;
		k->min = lo;
		k->max = hi;
	}
}

/* Fill @k's type from @type_id: 0 if it is an int or enum we can write. */
static int key_type(const struct btf *btf, uint32_t type_id, struct tun_key *k)
{
	int id = btf__resolve_type(btf, type_id);
	const struct btf_type *t;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (uint32_t)id);
	k->type_id = (uint32_t)id;
	if (btf_is_int(t)) {
		k->size = t->size;
		k->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		k->is_bool = btf_int_encoding(t) & BTF_INT_BOOL;
	} else if (btf_is_any_enum(t)) {
		k->size = t->size;
		k->is_enum = true;
		k->is_signed = btf_kflag(t);
	} else {
		return -1;
	}
	return k->size == 1 || k->size == 2 || k->size == 4 || k->size == 8 ?
	       0 : -1;
}

static int add_map(struct tun_policy *tp, const char *name, bool per_queue,
		   uint32_t value_type_id)
{
	struct tun_map *m;

	for (unsigned int i = 0; i < tp->nmaps; i++)
		if (!strcmp(tp->maps[i].name, name))
			return (int)i;
	if (tp->nmaps == TUN_MAX_MAPS)
		return -1;
	m = &tp->maps[tp->nmaps];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->per_queue = per_queue;
	m->value_type_id = value_type_id;
	m->fd = -1;
	return (int)tp->nmaps++;
}

static struct tun_key *new_key(struct tun_policy *tp, const char *name,
			       unsigned int map)
{
	struct tun_key *k;

	if (tp->nkeys == TUN_MAX_KEYS)
		return NULL;
	k = &tp->keys[tp->nkeys];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->map = map;
	return k;
}

/* BPF_MP_TUNABLE on variable @var_id: its struct's members, or itself. */
static int add_global(struct tun_policy *tp, uint32_t var_id, char *err,
		      size_t len)
{
	const struct btf *btf = tp->btf;
	const struct btf_type *var = btf__type_by_id(btf, var_id);
	const char *vname = btf__name_by_offset(btf, var->name_off);
	const struct btf_type *sec, *t;
	uint32_t off;
	int sid, map, tid;

	sid = var_section(btf, var_id, &off);
	if (sid < 0) {
		snprintf(err, len, "tunable %s is in no data section", vname);
		return -1;
	}
	sec = btf__type_by_id(btf, (uint32_t)sid);
	map = add_map(tp, btf__name_by_offset(btf, sec->name_off), false,
		      (uint32_t)sid);
	if (map < 0) {
		snprintf(err, len, "too many tunable maps");
		return -1;
	}
	tp->maps[map].value_size = sec->size;
	tid = btf__resolve_type(btf, var->type);
	t = tid < 0 ? NULL : btf__type_by_id(btf, (uint32_t)tid);
	if (t && btf_is_struct(t)) {
		const struct btf_member *m = btf_members(t);

		for (unsigned int i = 0; i < btf_vlen(t); i++, m++) {
			struct tun_key *k = new_key(tp,
				btf__name_by_offset(btf, m->name_off),
				(unsigned int)map);

			if (!k)
				break;
			/* bitfields are not worth the bit twiddling */
			if (btf_member_bitfield_size(t, i) ||
			    btf_member_bit_offset(t, i) % 8 ||
			    key_type(btf, m->type, k))
				continue;
			k->off = off + btf_member_bit_offset(t, i) / 8;
			member_range(btf, (uint32_t)tid, (int)i, k);
			tp->nkeys++;
		}
		return 0;
	}
	{
		struct tun_key *k = new_key(tp, vname, (unsigned int)map);

		if (k && !key_type(btf, var->type, k)) {
			k->off = off;
			tp->nkeys++;
		}
	}
	return 0;
}

/* The type of member @name of the .maps definition @def (a PTR's target). */
static int def_member(const struct btf *btf, const struct btf_type *def,
		      const char *name)
{
	const struct btf_member *m = btf_members(def);

	for (unsigned int i = 0; i < btf_vlen(def); i++, m++) {
		const struct btf_type *p;

		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		p = btf__type_by_id(btf, m->type);
		return p && btf_is_ptr(p) ? (int)p->type : -1;
	}
	return -1;
}

/* Offset of the __u32 member @name of struct @t, or -1. */
static int u32_member(const struct btf *btf, const struct btf_type *t,
		      const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (unsigned int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name) &&
		    btf__resolve_size(btf, m->type) == 4 &&
		    !btf_member_bitfield_size(t, i))
			return (int)(btf_member_bit_offset(t, i) / 8);
	return -1;
}

/* BPF_MP_QUEUE_TUNABLE(policy, key) on the map variable @var_id. */
static int add_queue(struct tun_policy *tp, uint32_t var_id, const char *key,
		     char *err, size_t len)
{
	const struct btf *btf = tp->btf;
	const struct btf_type *var = btf__type_by_id(btf, var_id);
	const char *vname = btf__name_by_offset(btf, var->name_off);
	const struct btf_type *def, *kt;
	int kid, vid, map, ifo, qo;
	struct tun_key *k;

	def = btf__type_by_id(btf, var->type);
	kid = def && btf_is_struct(def) ? def_member(btf, def, "key") : -1;
	vid = kid < 0 ? -1 : def_member(btf, def, "value");
	kid = kid < 0 ? -1 : btf__resolve_type(btf, (uint32_t)kid);
	kt = kid < 0 ? NULL : btf__type_by_id(btf, (uint32_t)kid);
	ifo = kt && btf_is_struct(kt) ? u32_member(btf, kt, "ifindex") : -1;
	qo = ifo < 0 ? -1 : u32_member(btf, kt, "queue_id");
	if (vid < 0 || qo < 0) {
		snprintf(err, len, "map %s: a per-queue tunable needs a key struct with ifindex and queue_id",
			 vname);
		return -1;
	}
	map = add_map(tp, vname, true, (uint32_t)vid);
	k = map < 0 ? NULL : new_key(tp, key, (unsigned int)map);
	if (!k) {
		snprintf(err, len, "too many tunables");
		return -1;
	}
	if (key_type(btf, (uint32_t)vid, k)) {
		snprintf(err, len, "map %s: values must be integers or enums",
			 vname);
		return -1;
	}
	tp->maps[map].key_size = kt->size;
	tp->maps[map].ifindex_off = (uint32_t)ifo;
	tp->maps[map].queue_off = (uint32_t)qo;
	tp->maps[map].value_size = k->size;
	tp->nkeys++;
	return 0;
}

/* Collect the tunables tagged for @tp->name from @tp->btf. */
static int collect(struct tun_policy *tp, char *err, size_t len)
{
	const struct btf *btf = tp->btf;
	uint32_t n = btf__type_cnt(btf);
	size_t gl = strlen(TAG_GLOBAL), ql = strlen(TAG_QUEUE);
	size_t nl = strlen(tp->name);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_type *target;
		const char *tag;
		int rc = 0;

		if (!btf_is_decl_tag(t) || btf_decl_tag(t)->component_idx != -1)
			continue;
		target = btf__type_by_id(btf, t->type);
		if (!target || !btf_is_var(target))
			continue;
		tag = btf__name_by_offset(btf, t->name_off);
		if (!strncmp(tag, TAG_GLOBAL, gl) && !strcmp(tag + gl, tp->name))
			rc = add_global(tp, t->type, err, len);
		else if (!strncmp(tag, TAG_QUEUE, ql) &&
			 !strncmp(tag + ql, tp->name, nl) && tag[ql + nl] == ':')
			rc = add_queue(tp, t->type, tag + ql + nl + 1, err, len);
		if (rc)
			return -1;
	}
	return 0;
}

int tun_policy_from_btf(const char *name, const struct btf *btf,
			struct tun_policy *tp, char *err, size_t len)
{
	uint32_t size;
	const void *raw = btf__raw_data(btf, &size);

	memset(tp, 0, sizeof(*tp));
	snprintf(tp->name, sizeof(tp->name), "%s", name);
	/* a copy: the caller's BTF belongs to its object */
	tp->btf = raw ? btf__new(raw, size) : NULL;
	if (!tp->btf) {
		snprintf(err, len, "policy %s: copy BTF: %s", name,
			 strerror(errno));
		return -1;
	}
	if (collect(tp, err, len)) {
		tun_policy_close(tp);
		return -1;
	}
	return 0;
}

/* The BTF id of the registered struct_ops policy @name's object, or 0. */
static int policy_btf_id(const char *name, uint32_t *btf_id, char *err,
			 size_t len)
{
	uint32_t id = 0;

	*btf_id = 0;
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info li = {};
		struct bpf_map_info mi = {};
		uint32_t l = sizeof(li), m = sizeof(mi);
		int fd = bpf_link_get_fd_by_id(id), mfd;

		if (fd < 0)
			continue;
		if (bpf_link_get_info_by_fd(fd, &li, &l) ||
		    li.type != BPF_LINK_TYPE_STRUCT_OPS) {
			close(fd);
			continue;
		}
		close(fd);
		mfd = bpf_map_get_fd_by_id(li.struct_ops.map_id);
		if (mfd < 0)
			continue;
		if (!bpf_map_get_info_by_fd(mfd, &mi, &m) &&
		    !strncmp(mi.name, name, sizeof(mi.name) - 1)) {
			close(mfd);
			*btf_id = mi.btf_id;
			return 1;
		}
		close(mfd);
	}
	if (errno != ENOENT) {
		snprintf(err, len, "policy %s: list BPF links: %s%s", name,
			 strerror(errno),
			 errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return -1;
	}
	snprintf(err, len, "policy %s: not registered (see 'mpctl policy list')",
		 name);
	return 0;
}

/* Open the maps in @tp among those loaded with BTF @btf_id. */
static int open_maps(struct tun_policy *tp, uint32_t btf_id, char *err,
		     size_t len)
{
	uint32_t id = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		struct bpf_map_info mi = {};
		uint32_t l = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(id);
		bool kept = false;

		if (fd < 0)
			continue;
		if (bpf_map_get_info_by_fd(fd, &mi, &l) || mi.btf_id != btf_id) {
			close(fd);
			continue;
		}
		for (unsigned int i = 0; i < tp->nmaps && !kept; i++) {
			struct tun_map *m = &tp->maps[i];

			/* the kernel keeps 15 characters of a map's name */
			if (m->fd >= 0 || mi.btf_value_type_id != m->value_type_id ||
			    strncmp(mi.name, m->name, sizeof(mi.name) - 1) ||
			    mi.value_size != m->value_size)
				continue;
			m->fd = fd;
			kept = true;
		}
		if (!kept)
			close(fd);
	}
	for (unsigned int i = 0; i < tp->nmaps; i++)
		if (tp->maps[i].fd < 0) {
			snprintf(err, len, "policy %s: map %s not found", tp->name,
				 tp->maps[i].name);
			return -1;
		}
	return 0;
}

int tun_policy_open(const char *name, struct tun_policy *tp, char *err,
		    size_t len)
{
	uint32_t btf_id;
	int rc;

	memset(tp, 0, sizeof(*tp));
	snprintf(tp->name, sizeof(tp->name), "%s", name);
	rc = policy_btf_id(name, &btf_id, err, len);
	if (rc <= 0)
		return -1;
	if (!btf_id)		/* loaded without BTF: no tunables to find */
		return 0;
	tp->btf = btf__load_from_kernel_by_id(btf_id);
	if (!tp->btf) {
		snprintf(err, len, "policy %s: BTF %u: %s", name, btf_id,
			 strerror(errno));
		return -1;
	}
	if (collect(tp, err, len) || open_maps(tp, btf_id, err, len)) {
		tun_policy_close(tp);
		return -1;
	}
	return 0;
}

void tun_policy_close(struct tun_policy *tp)
{
	for (unsigned int i = 0; i < tp->nmaps; i++)
		if (tp->maps[i].fd >= 0)
			close(tp->maps[i].fd);
	tp->nmaps = 0;
	tp->nkeys = 0;
	btf__free(tp->btf);
	tp->btf = NULL;
}

/*
 * Enum value @i's name as operators write it: lower case, without the
 * prefix all the enum's names share up to an '_'.
 */
static void enum_name(const struct btf *btf, const struct btf_type *t,
		      unsigned int i, char *buf, size_t len)
{
	const char *first, *name;
	size_t pfx = 0, n;

	first = btf__name_by_offset(btf, btf_is_enum(t) ? btf_enum(t)[0].name_off :
				    btf_enum64(t)[0].name_off);
	for (size_t c = 0; first[c]; c++) {
		bool all = true;

		if (first[c] != '_')
			continue;
		for (unsigned int j = 1; j < btf_vlen(t) && all; j++) {
			const char *o = btf__name_by_offset(btf, btf_is_enum(t) ?
				btf_enum(t)[j].name_off : btf_enum64(t)[j].name_off);

			all = !strncmp(o, first, c + 1) && o[c + 1];
		}
		if (all)
			pfx = c + 1;
	}
	if (btf_vlen(t) < 2)
		pfx = 0;
	name = btf__name_by_offset(btf, btf_is_enum(t) ? btf_enum(t)[i].name_off :
				   btf_enum64(t)[i].name_off) + pfx;
	for (n = 0; name[n] && n + 1 < len; n++)
		buf[n] = (char)tolower((unsigned char)name[n]);
	buf[n] = '\0';
}

static uint64_t enum_val(const struct btf_type *t, unsigned int i)
{
	return btf_is_enum(t) ? (uint64_t)(int64_t)btf_enum(t)[i].val :
	       btf_enum64_value(&btf_enum64(t)[i]);
}

static uint64_t size_mask(uint32_t size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

/* "u32 0-100", "s8", "host|device", "bool". */
static void key_values(const struct tun_policy *tp, const struct tun_key *k,
		       char *buf, size_t len)
{
	const struct btf_type *t = btf__type_by_id(tp->btf, k->type_id);
	size_t off = 0;

	if (k->is_enum) {
		buf[0] = '\0';
		for (unsigned int i = 0; i < btf_vlen(t); i++) {
			char name[TUN_NAME_MAX];

			enum_name(tp->btf, t, i, name, sizeof(name));
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
						"%s%s", i ? "|" : "", name);
		}
	} else if (k->is_bool) {
		snprintf(buf, len, "yes|no");
	} else if (k->ranged) {
		snprintf(buf, len, "%" PRId64 "-%" PRId64, k->min, k->max);
	} else {
		snprintf(buf, len, "%c%u", k->is_signed ? 's' : 'u', k->size * 8);
	}
}

void tun_valid_keys(const struct tun_policy *tp, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < tp->nkeys; i++) {
		const struct tun_key *k = &tp->keys[i];
		char vals[256];

		key_values(tp, k, vals, sizeof(vals));
		if (tp->maps[k->map].per_queue)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
						"%sIF:QUEUE%s%s=%s", i ? ", " : "",
						tun_queue_key(tp, NULL) < 0 ? "." : "",
						tun_queue_key(tp, NULL) < 0 ? k->name : "",
						vals);
		else
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
						"%s%s=%s", i ? ", " : "", k->name, vals);
	}
	if (!tp->nkeys)
		snprintf(buf, len, "none");
}

int tun_queue_key(const struct tun_policy *tp, const char *name)
{
	int found = -1;

	for (unsigned int i = 0; i < tp->nkeys; i++) {
		if (!tp->maps[tp->keys[i].map].per_queue)
			continue;
		if (name ? !strcmp(name, tp->keys[i].name) : found < 0)
			found = (int)i;
		else if (!name)
			return -1;	/* more than one: the caller must name it */
	}
	return found;
}

bool tun_is_number(const struct tun_policy *tp, unsigned int key)
{
	return !tp->keys[key].is_enum && !tp->keys[key].is_bool;
}

int tun_parse_value(const struct tun_policy *tp, unsigned int key,
		    const char *val, struct tun_assign *a, char *err,
		    size_t len)
{
	const struct tun_key *k = &tp->keys[key];
	const struct btf_type *t = btf__type_by_id(tp->btf, k->type_id);
	char vals[256], *end;

	a->key = key;
	key_values(tp, k, vals, sizeof(vals));
	if (k->is_enum) {
		for (unsigned int i = 0; i < btf_vlen(t); i++) {
			char name[TUN_NAME_MAX];

			enum_name(tp->btf, t, i, name, sizeof(name));
			if (!strcmp(name, val)) {
				a->raw = enum_val(t, i) & size_mask(k->size);
				return 0;
			}
		}
		snprintf(err, len, "%s: '%s' is not one of %s", k->name, val, vals);
		return -1;
	}
	if (k->is_bool) {
		if (!strcmp(val, "yes") || !strcmp(val, "true") ||
		    !strcmp(val, "on") || !strcmp(val, "1"))
			a->raw = 1;
		else if (!strcmp(val, "no") || !strcmp(val, "false") ||
			 !strcmp(val, "off") || !strcmp(val, "0"))
			a->raw = 0;
		else {
			snprintf(err, len, "%s: '%s' is not %s", k->name, val, vals);
			return -1;
		}
		return 0;
	}
	errno = 0;
	if (k->is_signed) {
		long long v = strtoll(val, &end, 0);
		long long lo = k->size >= 8 ? INT64_MIN : -(1LL << (k->size * 8 - 1));
		long long hi = k->size >= 8 ? INT64_MAX : (1LL << (k->size * 8 - 1)) - 1;

		if (k->ranged) {
			lo = k->min;
			hi = k->max;
		}
		if (!*val || *end || errno || v < lo || v > hi) {
			snprintf(err, len, "%s: '%s' is not a number in %lld-%lld",
				 k->name, val, lo, hi);
			return -1;
		}
		a->raw = (uint64_t)v & size_mask(k->size);
	} else {
		unsigned long long v = strtoull(val, &end, 0);
		unsigned long long lo = 0, hi = size_mask(k->size);

		if (k->ranged) {
			lo = (unsigned long long)k->min;
			hi = (unsigned long long)k->max;
		}
		if (!*val || *end || errno || val[0] == '-' || v < lo || v > hi) {
			snprintf(err, len, "%s: '%s' is not a number in %llu-%llu",
				 k->name, val, lo, hi);
			return -1;
		}
		a->raw = v;
	}
	return 0;
}

/* "eth1" or "3" -> ifindex; 0 if neither. */
static uint32_t ifindex_parse(const char *s)
{
	unsigned long v;

	if (!uint_parse(s, UINT32_MAX, &v))
		return (uint32_t)v;
	return strlen(s) < IF_NAMESIZE ? if_nametoindex(s) : 0;
}

int tun_parse(const struct tun_policy *tp, const char *arg,
	      struct tun_assign *a, char *err, size_t len)
{
	char valid[1024], name[TUN_NAME_MAX + 32], *colon, *dot;
	const char *eq = strchr(arg, '=');
	unsigned long q;
	int key = -1;

	tun_valid_keys(tp, valid, sizeof(valid));
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name)) {
		snprintf(err, len, "'%s': expected KEY=VALUE (valid: %s)", arg, valid);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	memset(a, 0, sizeof(*a));
	colon = strchr(name, ':');
	if (!colon) {
		for (unsigned int i = 0; i < tp->nkeys; i++)
			if (!tp->maps[tp->keys[i].map].per_queue &&
			    !strcmp(tp->keys[i].name, name))
				key = (int)i;
		if (key < 0) {
			snprintf(err, len, "no tunable '%s' (valid: %s)", name,
				 valid);
			return -1;
		}
		return tun_parse_value(tp, (unsigned int)key, eq + 1, a, err, len);
	}
	*colon = '\0';
	dot = strchr(colon + 1, '.');
	if (dot)
		*dot = '\0';
	key = tun_queue_key(tp, dot ? dot + 1 : NULL);
	if (key < 0) {
		snprintf(err, len, "no per-queue tunable%s%s (valid: %s)",
			 dot ? " " : "", dot ? dot + 1 : "", valid);
		return -1;
	}
	a->ifindex = ifindex_parse(name);
	if (!a->ifindex) {
		snprintf(err, len, "'%s': %s: no such interface", arg, name);
		return -1;
	}
	if (uint_parse(colon + 1, MPCTL_MAX_QUEUE_ID, &q)) {
		snprintf(err, len, "'%s': '%s' is not a queue id", arg, colon + 1);
		return -1;
	}
	a->queue = (uint32_t)q;
	return tun_parse_value(tp, (unsigned int)key, eq + 1, a, err, len);
}

static void put_raw(void *p, uint32_t size, uint64_t raw)
{
	uint8_t b1 = (uint8_t)raw;
	uint16_t b2 = (uint16_t)raw;
	uint32_t b4 = (uint32_t)raw;

	switch (size) {
	case 1: memcpy(p, &b1, 1); break;
	case 2: memcpy(p, &b2, 2); break;
	case 4: memcpy(p, &b4, 4); break;
	default: memcpy(p, &raw, 8); break;
	}
}

static uint64_t get_raw(const void *p, uint32_t size, bool is_signed)
{
	int8_t s1; int16_t s2; int32_t s4;
	uint8_t u1; uint16_t u2; uint32_t u4;
	uint64_t u8;

	switch (size) {
	case 1:
		memcpy(&u1, p, 1); s1 = (int8_t)u1;
		return is_signed ? (uint64_t)(int64_t)s1 : u1;
	case 2:
		memcpy(&u2, p, 2); s2 = (int16_t)u2;
		return is_signed ? (uint64_t)(int64_t)s2 : u2;
	case 4:
		memcpy(&u4, p, 4); s4 = (int32_t)u4;
		return is_signed ? (uint64_t)(int64_t)s4 : u4;
	default:
		memcpy(&u8, p, 8);
		return u8;
	}
}

static void queue_key(const struct tun_map *m, uint32_t ifindex,
		      uint32_t queue, uint8_t *key)
{
	memset(key, 0, m->key_size);
	memcpy(key + m->ifindex_off, &ifindex, 4);
	memcpy(key + m->queue_off, &queue, 4);
}

/* What one map held before tun_write() changed it, to put back. */
struct undo {
	unsigned int map;
	uint8_t key[64];
	uint8_t *old;		/* NULL: a per-queue entry that did not exist */
};

int tun_write(const struct tun_policy *tp, const struct tun_assign *a,
	      unsigned int n, char *err, size_t len)
{
	struct undo *undo = calloc(n + tp->nmaps, sizeof(*undo));
	unsigned int nu = 0;
	uint8_t *val = NULL;
	int rc = -1;

	if (!undo) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	/* the data sections: read, patch every key of this request, write once */
	for (unsigned int m = 0; m < tp->nmaps; m++) {
		const struct tun_map *tm = &tp->maps[m];
		uint32_t zero = 0;
		bool touched = false;

		if (tm->per_queue)
			continue;
		for (unsigned int i = 0; i < n; i++)
			touched |= tp->keys[a[i].key].map == m;
		if (!touched)
			continue;
		free(val);
		val = malloc(tm->value_size);
		undo[nu].old = malloc(tm->value_size);
		if (!val || !undo[nu].old ||
		    bpf_map_lookup_elem(tm->fd, &zero, undo[nu].old)) {
			snprintf(err, len, "map %s: read: %s", tm->name,
				 strerror(errno));
			free(undo[nu].old);
			goto rollback;
		}
		undo[nu].map = m;
		memcpy(val, undo[nu].old, tm->value_size);
		nu++;
		for (unsigned int i = 0; i < n; i++) {
			const struct tun_key *k = &tp->keys[a[i].key];

			if (k->map == m)
				put_raw(val + k->off, k->size, a[i].raw);
		}
		if (bpf_map_update_elem(tm->fd, &zero, val, BPF_ANY)) {
			snprintf(err, len, "map %s: write: %s", tm->name,
				 strerror(errno));
			goto rollback;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct tun_key *k = &tp->keys[a[i].key];
		const struct tun_map *tm = &tp->maps[k->map];
		uint8_t v[8];

		if (!tm->per_queue)
			continue;
		if (tm->key_size > sizeof(undo[nu].key)) {
			snprintf(err, len, "map %s: key too large", tm->name);
			goto rollback;
		}
		queue_key(tm, a[i].ifindex, a[i].queue, undo[nu].key);
		undo[nu].map = k->map;
		undo[nu].old = malloc(8);
		if (!undo[nu].old) {
			snprintf(err, len, "out of memory");
			goto rollback;
		}
		if (bpf_map_lookup_elem(tm->fd, undo[nu].key, undo[nu].old)) {
			free(undo[nu].old);
			undo[nu].old = NULL;
		}
		nu++;
		put_raw(v, k->size, a[i].raw);
		if (bpf_map_update_elem(tm->fd, undo[nu - 1].key, v, BPF_ANY)) {
			snprintf(err, len, "map %s: write: %s", tm->name,
				 strerror(errno));
			goto rollback;
		}
	}
	rc = 0;
	goto out;
rollback:
	while (nu--) {
		const struct tun_map *tm = &tp->maps[undo[nu].map];
		uint32_t zero = 0;

		if (!tm->per_queue)
			bpf_map_update_elem(tm->fd, &zero, undo[nu].old, BPF_ANY);
		else if (undo[nu].old)
			bpf_map_update_elem(tm->fd, undo[nu].key, undo[nu].old, BPF_ANY);
		else
			bpf_map_delete_elem(tm->fd, undo[nu].key);
		free(undo[nu].old);
		undo[nu].old = NULL;
	}
	nu = 0;
out:
	for (unsigned int i = 0; i < nu; i++)
		free(undo[i].old);
	free(undo);
	free(val);
	return rc;
}

void tun_format(const struct tun_policy *tp, unsigned int key, uint64_t raw,
		char *buf, size_t len)
{
	const struct tun_key *k = &tp->keys[key];
	const struct btf_type *t = btf__type_by_id(tp->btf, k->type_id);

	if (k->is_enum) {
		for (unsigned int i = 0; i < btf_vlen(t); i++)
			if ((enum_val(t, i) & size_mask(k->size)) ==
			    (raw & size_mask(k->size))) {
				enum_name(tp->btf, t, i, buf, len);
				return;
			}
		/* a number bpftool wrote that the enum does not name */
		snprintf(buf, len, "%" PRIu64, raw & size_mask(k->size));
	} else if (k->is_bool) {
		snprintf(buf, len, "%s", raw ? "yes" : "no");
	} else if (k->is_signed) {
		snprintf(buf, len, "%" PRId64, (int64_t)raw);
	} else {
		snprintf(buf, len, "%" PRIu64, raw);
	}
}

int tun_read(const struct tun_policy *tp, unsigned int key, uint32_t ifindex,
	     uint32_t queue, char *buf, size_t len)
{
	const struct tun_key *k = &tp->keys[key];
	const struct tun_map *tm = &tp->maps[k->map];
	uint8_t qk[64], v[8], *val;
	uint32_t zero = 0;
	int rc = 1;

	if (tm->per_queue) {
		if (tm->key_size > sizeof(qk))
			return -1;
		queue_key(tm, ifindex, queue, qk);
		if (bpf_map_lookup_elem(tm->fd, qk, v))
			return errno == ENOENT ? 0 : -1;
		tun_format(tp, key, get_raw(v, k->size, k->is_signed), buf, len);
		return 1;
	}
	val = malloc(tm->value_size);
	if (!val)
		return -1;
	if (bpf_map_lookup_elem(tm->fd, &zero, val))
		rc = -1;
	else
		tun_format(tp, key, get_raw(val + k->off, k->size, k->is_signed),
			   buf, len);
	free(val);
	return rc;
}

int tun_queue_entries(const struct tun_policy *tp, unsigned int key,
		      void (*fn)(void *ctx, uint32_t ifindex, uint32_t queue,
				 const char *val),
		      void *ctx)
{
	const struct tun_key *k = &tp->keys[key];
	const struct tun_map *tm = &tp->maps[k->map];
	uint8_t cur[64], next[64], v[8];
	bool first = true;

	if (!tm->per_queue || tm->key_size > sizeof(cur))
		return -1;
	while (!bpf_map_get_next_key(tm->fd, first ? NULL : cur, next)) {
		uint32_t ifindex, queue;
		char buf[TUN_VAL_MAX];

		first = false;
		memcpy(cur, next, tm->key_size);
		if (bpf_map_lookup_elem(tm->fd, cur, v))
			continue;	/* deleted meanwhile */
		memcpy(&ifindex, cur + tm->ifindex_off, 4);
		memcpy(&queue, cur + tm->queue_off, 4);
		tun_format(tp, key, get_raw(v, k->size, k->is_signed), buf,
			   sizeof(buf));
		fn(ctx, ifindex, queue, buf);
	}
	return errno == ENOENT ? 0 : -1;
}

int tun_delete(const struct tun_policy *tp, unsigned int key, uint32_t ifindex,
	       uint32_t queue)
{
	const struct tun_map *tm = &tp->maps[tp->keys[key].map];
	uint8_t qk[64];

	if (!tm->per_queue || tm->key_size > sizeof(qk))
		return -1;
	queue_key(tm, ifindex, queue, qk);
	return bpf_map_delete_elem(tm->fd, qk) && errno != ENOENT ? -1 : 0;
}
