// SPDX-License-Identifier: GPL-2.0
/*
 * provider.bpf.c - the bpfmp policy library: refill policies (struct_ops
 * bpf_mp_ops) an operator registers in one go with
 *
 *	bpftool struct_ops register build/bpf/provider.bpf.o /sys/fs/bpf/bpfmp
 *	(or: mpctl policy load build/bpf/provider.bpf.o)
 *
 * and an application owner attaches to RX queues by name with
 * "mpctl attach DEV --queues LIST --policy NAME".  Every policy's variable
 * (the struct_ops map name bpftool shows) equals its .name.
 *
 * static_map  per-queue verdict from the map static_queues; no entry = host.
 * watermark   device memory while free > high mark, host below the low
 *             mark, the previous verdict in between (hysteresis).
 * split       weight% of every batch from device memory, the rest host.
 * alternate   device memory and host pages in turn, batch by batch: a
 *             stream of mixed skbs, for testing devmem readers.
 *
 * Tunables live in the array map mp_config (see enum mp_cfg_key); an entry
 * whose "set" field is 0 means "use the .rodata default", which a loader
 * using libbpf may change before load.  Keys and values are little-endian
 * u32s, so with bpftool (maps are found by name; x86 byte order):
 *
 *   ifindex 3 queue 2 on device memory, for static_map:
 *	bpftool map update name static_queues key 3 0 0 0 2 0 0 0 value 1 0 0 0
 *   back to host pages (or delete the entry):
 *	bpftool map delete name static_queues key 3 0 0 0 2 0 0 0
 *   watermark high mark 80%, low mark 40%:
 *	bpftool map update name mp_config key 0 0 0 0 value 1 0 0 0 80 0 0 0
 *	bpftool map update name mp_config key 1 0 0 0 value 1 0 0 0 40 0 0 0
 *   split weight 30%:
 *	bpftool map update name mp_config key 2 0 0 0 value 1 0 0 0 30 0 0 0
 *   show what is set:
 *	bpftool map dump name static_queues
 *
 * (docs/mpctl.md, "Policies", says the same.)
 *
 * (The per-queue verdict policy is "static_map", not "static": "static" is
 * a C keyword and cannot be the variable, hence the map, name.)
 */
#include "bpf_mp.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MP_MAX_QUEUES	4096

/* A queue: the key of every per-queue map below. */
struct mp_qkey {
	__u32 ifindex;
	__u32 queue_id;
};

/* Index into mp_config. */
enum mp_cfg_key {
	MP_CFG_WM_HIGH_PCT	= 0,	/* watermark: high mark, % of total */
	MP_CFG_WM_LOW_PCT	= 1,	/* watermark: low mark, % of total */
	MP_CFG_SPLIT_WEIGHT_PCT	= 2,	/* split: % of each batch on device */
	MP_CFG_MAX,
};

struct mp_cfg_val {
	__u32 set;	/* 0: use the .rodata default */
	__u32 pct;	/* 0..100, larger values are clamped to 100 */
};

/* .rodata defaults; a libbpf loader may set them before load. */
const volatile __u32 wm_high_pct = 50;
const volatile __u32 wm_low_pct = 25;
const volatile __u32 split_weight_pct = 50;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MP_CFG_MAX);
	__type(key, __u32);
	__type(value, struct mp_cfg_val);
} mp_config SEC(".maps");

/* static_map: (ifindex, queue_id) -> enum bpf_mp_backend, set by the operator. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_QUEUES);
	__type(key, struct mp_qkey);
	__type(value, __u32);
} static_queues SEC(".maps");

/* watermark: the queue's current verdict (the hysteresis state). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_QUEUES);
	__type(key, struct mp_qkey);
	__type(value, __u32);
} wm_state SEC(".maps");

/* split: the queue's carried remainder (in 1/100 buffers) so that the
 * weight holds over many small batches, e.g. count == 1.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_QUEUES);
	__type(key, struct mp_qkey);
	__type(value, __u32);
} split_state SEC(".maps");

static __always_inline struct mp_qkey qkey(struct bpf_mp_ctx *req)
{
	struct mp_qkey k = {
		.ifindex = req->ifindex,
		.queue_id = req->queue_id,
	};

	return k;
}

static __always_inline __u32 cfg_pct(__u32 key, __u32 dflt)
{
	struct mp_cfg_val *v = bpf_map_lookup_elem(&mp_config, &key);
	__u32 pct = v && v->set ? v->pct : dflt;

	return pct > 100 ? 100 : pct;
}

/* --- static_map ----------------------------------------------------------- */

u32 BPF_MP_POLICY(static_map_select, select, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	__u32 *backend = bpf_map_lookup_elem(&static_queues, &k);

	/* Only whole-batch verdicts make sense without a split request. */
	if (backend && *backend == BPF_MP_DEVICE)
		return BPF_MP_DEVICE;
	return BPF_MP_HOST;
}

SEC(".struct_ops.link")
struct bpf_mp_ops static_map = {
	.select	= (void *)static_map_select,
	.name	= "static_map",
};

/* --- watermark ------------------------------------------------------------ */

/* A queue starts on host memory until free rises above the high mark. */
int BPF_MP_POLICY(watermark_init, init, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	__u32 v = BPF_MP_HOST;

	bpf_map_update_elem(&wm_state, &k, &v, BPF_ANY);
	return 0;
}

void BPF_MP_POLICY(watermark_release, release, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);

	bpf_map_delete_elem(&wm_state, &k);
}

u32 BPF_MP_POLICY(watermark_select, select, struct bpf_mp_ctx *req)
{
	__u64 total = bpf_mp_device_total(req), free, high, low;
	__u32 hi_pct, lo_pct, verdict, *state;
	struct mp_qkey k = qkey(req);

	if (!total)
		return BPF_MP_HOST;	/* no device memory bound */

	hi_pct = cfg_pct(MP_CFG_WM_HIGH_PCT, wm_high_pct);
	lo_pct = cfg_pct(MP_CFG_WM_LOW_PCT, wm_low_pct);
	if (lo_pct > hi_pct)
		lo_pct = hi_pct;
	high = total * hi_pct / 100;
	low = total * lo_pct / 100;
	free = bpf_mp_device_free(req);

	state = bpf_map_lookup_elem(&wm_state, &k);
	verdict = state ? *state : BPF_MP_HOST;
	if (free > high)
		verdict = BPF_MP_DEVICE;
	else if (free < low)
		verdict = BPF_MP_HOST;

	if (state)
		*state = verdict;
	else
		bpf_map_update_elem(&wm_state, &k, &verdict, BPF_ANY);
	return verdict;
}

SEC(".struct_ops.link")
struct bpf_mp_ops watermark = {
	.select		= (void *)watermark_select,
	.init		= (void *)watermark_init,
	.release	= (void *)watermark_release,
	.name		= "watermark",
};

/* --- split ---------------------------------------------------------------- */

int BPF_MP_POLICY(split_init, init, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	__u32 carry = 0;

	bpf_map_update_elem(&split_state, &k, &carry, BPF_ANY);
	return 0;
}

void BPF_MP_POLICY(split_release, release, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);

	bpf_map_delete_elem(&split_state, &k);
}

u32 BPF_MP_POLICY(split_select, select, struct bpf_mp_ctx *req)
{
	__u32 weight, count = req->count, dev, *carry;
	struct mp_qkey k = qkey(req);
	__u64 acc;

	if (!count || !bpf_mp_device_total(req))
		return BPF_MP_HOST;

	weight = cfg_pct(MP_CFG_SPLIT_WEIGHT_PCT, split_weight_pct);
	carry = bpf_map_lookup_elem(&split_state, &k);
	acc = (__u64)count * weight + (carry ? *carry : 0);
	dev = acc / 100;
	if (dev > count)
		dev = count;
	if (carry)
		*carry = acc - (__u64)dev * 100 < 100 ?
			 acc - (__u64)dev * 100 : 0;

	if (!dev)
		return BPF_MP_HOST;
	if (dev == count)
		return BPF_MP_DEVICE;
	if (bpf_mp_split(req, dev))
		return BPF_MP_HOST;
	return BPF_MP_SPLIT;
}

SEC(".struct_ops.link")
struct bpf_mp_ops split = {
	.select		= (void *)split_select,
	.init		= (void *)split_init,
	.release	= (void *)split_release,
	.name		= "split",
};

/* --- alternate ------------------------------------------------------------ */

/* alternate: the verdict of the queue's next batch. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_QUEUES);
	__type(key, struct mp_qkey);
	__type(value, __u32);
} alt_state SEC(".maps");

int BPF_MP_POLICY(alternate_init, init, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	__u32 next = BPF_MP_DEVICE;

	bpf_map_update_elem(&alt_state, &k, &next, BPF_ANY);
	return 0;
}

void BPF_MP_POLICY(alternate_release, release, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);

	bpf_map_delete_elem(&alt_state, &k);
}

u32 BPF_MP_POLICY(alternate_select, select, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	__u32 *next = bpf_map_lookup_elem(&alt_state, &k);
	__u32 verdict;

	if (!next)
		return BPF_MP_HOST;
	verdict = *next;
	*next = verdict == BPF_MP_DEVICE ? BPF_MP_HOST : BPF_MP_DEVICE;
	return verdict;
}

SEC(".struct_ops.link")
struct bpf_mp_ops alternate = {
	.select		= (void *)alternate_select,
	.init		= (void *)alternate_init,
	.release	= (void *)alternate_release,
	.name		= "alternate",
};
