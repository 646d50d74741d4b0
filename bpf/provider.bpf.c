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
 * xdp_hint    follows the traffic mix an XDP program reports with
 *             bpf_xdp_mp_hint(): device memory while device hints
 *             outnumber host hints, host pages otherwise.
 *
 * And one XDP program, mp_classify, which "mpctl xdp attach DEV --port P"
 * attaches: it hints TCP/UDP frames to the ports in the map mp_dev_ports
 * as device-memory traffic and all other TCP/UDP as host traffic, for
 * xdp_hint to act on.
 *
 * Tunables are named in BTF (BPF_MP_TUNABLE, include/bpf_mp.bpf.h), so
 * mpctl sets and shows them by name:
 *
 *	mpctl policy set watermark high=80 low=40
 *	mpctl policy set split weight=30
 *	mpctl policy set static_map eth1:2=device eth1:3=host
 *	mpctl policy show
 *
 * watermark's and split's live in the data sections .data.watermark and
 * .data.split (maps of those names), whose initializers are the defaults;
 * static_map's in the hash map static_queues.  Stock bpftool still works,
 * e.g. ifindex 3 queue 2 on device memory (little-endian u32s):
 *	bpftool map update name static_queues key 3 0 0 0 2 0 0 0 value 1 0 0 0
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

/*
 * watermark's tunables: percentages of the binding's total, so they follow
 * its size.  A low mark above the high mark counts as equal to it.
 */
struct watermark_tunables {
	__u32 high BPF_MP_RANGE(0, 100);	/* device memory while free > high */
	__u32 low BPF_MP_RANGE(0, 100);		/* host pages while free < low */
};

struct watermark_tunables watermark_cfg SEC(".data.watermark")
	BPF_MP_TUNABLE("watermark") = { .high = 50, .low = 25 };

/* split's tunable: the share of each batch taken from device memory. */
struct split_tunables {
	__u32 weight BPF_MP_RANGE(0, 100);	/* % of each batch on device */
};

struct split_tunables split_cfg SEC(".data.split")
	BPF_MP_TUNABLE("split") = { .weight = 50 };

/*
 * static_map's verdicts by name (mpctl: "host", "device"); the same
 * numbers as enum bpf_mp_backend, so a u32 written by bpftool still works.
 */
enum static_map_verdict {
	SM_HOST		= BPF_MP_HOST,
	SM_DEVICE	= BPF_MP_DEVICE,
};

/* static_map: (ifindex, queue_id) -> its verdict, set by the operator. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_QUEUES);
	__type(key, struct mp_qkey);
	__type(value, enum static_map_verdict);
} static_queues SEC(".maps") BPF_MP_QUEUE_TUNABLE("static_map", "verdict");

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

/* Clamp a percentage an operator wrote with bpftool, which checks nothing. */
static __always_inline __u32 pct(__u32 v)
{
	return v > 100 ? 100 : v;
}

/* --- static_map ----------------------------------------------------------- */

u32 BPF_MP_POLICY(static_map_select, select, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	enum static_map_verdict *v = bpf_map_lookup_elem(&static_queues, &k);

	/* Only whole-batch verdicts make sense without a split request. */
	if (v && *v == SM_DEVICE)
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

	hi_pct = pct(watermark_cfg.high);
	lo_pct = pct(watermark_cfg.low);
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

	weight = pct(split_cfg.weight);
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

/* --- xdp_hint ------------------------------------------------------------- */

/* What xdp_hint saw at the queue's previous select. */
struct xh_state {
	__u64 hints_host;	/* bpf_mp_hints(HOST) then */
	__u64 hints_device;	/* bpf_mp_hints(DEVICE) then */
	__u32 verdict;		/* and the verdict it gave */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_QUEUES);
	__type(key, struct mp_qkey);
	__type(value, struct xh_state);
} xh_state SEC(".maps");

/* Start from the counts as they are now, on host pages. */
int BPF_MP_POLICY(xdp_hint_init, init, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);
	struct xh_state st = {
		.hints_host = bpf_mp_hints(req, BPF_MP_HINT_HOST),
		.hints_device = bpf_mp_hints(req, BPF_MP_HINT_DEVICE),
		.verdict = BPF_MP_HOST,
	};

	bpf_map_update_elem(&xh_state, &k, &st, BPF_ANY);
	return 0;
}

void BPF_MP_POLICY(xdp_hint_release, release, struct bpf_mp_ctx *req)
{
	struct mp_qkey k = qkey(req);

	bpf_map_delete_elem(&xh_state, &k);
}

/* How much @now grew since @then; the counts only grow, but a stale
 * state from an earlier attach must not make a huge delta.
 */
static __always_inline __u64 grew(__u64 now, __u64 then)
{
	return now >= then ? now - then : now;
}

u32 BPF_MP_POLICY(xdp_hint_select, select, struct bpf_mp_ctx *req)
{
	__u64 host = bpf_mp_hints(req, BPF_MP_HINT_HOST);
	__u64 dev = bpf_mp_hints(req, BPF_MP_HINT_DEVICE);
	struct mp_qkey k = qkey(req);
	struct xh_state *st, fresh = {};
	__u64 dhost, ddev;

	/* The driver refills a restarted queue before init runs: the
	 * counts start at 0 when the queue is attached.
	 */
	st = bpf_map_lookup_elem(&xh_state, &k);
	if (!st) {
		fresh.verdict = BPF_MP_HOST;
		bpf_map_update_elem(&xh_state, &k, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&xh_state, &k);
		if (!st)
			return BPF_MP_HOST;
	}
	dhost = grew(host, st->hints_host);
	ddev = grew(dev, st->hints_device);
	st->hints_host = host;
	st->hints_device = dev;
	/* No hints since the last batch: the mix has not changed. */
	if (dhost || ddev)
		st->verdict = ddev > dhost ? BPF_MP_DEVICE : BPF_MP_HOST;
	return st->verdict;
}

SEC(".struct_ops.link")
struct bpf_mp_ops xdp_hint = {
	.select		= (void *)xdp_hint_select,
	.init		= (void *)xdp_hint_init,
	.release	= (void *)xdp_hint_release,
	.name		= "xdp_hint",
};

/* --- mp_classify (XDP) ---------------------------------------------------- */

#define MP_MAX_PORTS	1024

#ifndef ETH_P_IP
#define ETH_P_IP	0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6	0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q	0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif
#define MP_IP_OFFSET	0x1fff	/* iphdr.frag_off: the fragment offset */

/*
 * Destination ports (u16, host byte order) whose traffic belongs in device
 * memory; the value is not used.  "mpctl xdp attach --port" fills it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MP_MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} mp_dev_ports SEC(".maps");

/* Index into mp_classify_stats: what mp_classify did with frames. */
enum mp_cls_stat {
	MP_CLS_DEVICE		= 0,	/* hinted BPF_MP_HINT_DEVICE */
	MP_CLS_HOST		= 1,	/* hinted BPF_MP_HINT_HOST */
	MP_CLS_NONE		= 2,	/* not TCP/UDP (or not parsed): no hint */
	MP_CLS_HINT_ERR		= 3,	/* bpf_xdp_mp_hint() failed: not bpfmp */
	MP_CLS_DEV_FRAMES	= 4,	/* had device-memory frags */
	MP_CLS_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MP_CLS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} mp_classify_stats SEC(".maps");

/* 802.1Q/802.1ad tag: not every kernel config has struct vlan_hdr in BTF. */
struct mp_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* The fixed IPv6 header, likewise (the test kernel has no CONFIG_IPV6). */
struct mp_ipv6_hdr {
	__u8 ver_tc;
	__u8 tc_flow[3];
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Enough of a TCP or UDP header for the ports. */
struct mp_l4_ports {
	__be16 source;
	__be16 dest;
};

static __always_inline void cls_count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&mp_classify_stats, &stat);

	if (n)
		*n += 1;	/* per-CPU: no atomics needed */
}

/*
 * The TCP/UDP destination port (host order) of the frame, or -1 if it is
 * not TCP/UDP or its headers are not all in the linear part.  Header split
 * puts them there on bpfmp queues; the payload may be device memory that
 * cannot be read anyway.
 */
static __always_inline int frame_dport(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct mp_l4_ports *ports;
	struct ethhdr *eth = data;
	void *l3 = eth + 1, *l4;
	__be16 proto;
	__u8 ipproto;

	if (l3 > end)
		return -1;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct mp_vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return -1;
		proto = vh->proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;
		__u32 ihl;

		if ((void *)(iph + 1) > end)
			return -1;
		ihl = iph->ihl;
		if (ihl < 5)
			return -1;
		/* later fragments carry no L4 header */
		if (iph->frag_off & bpf_htons(MP_IP_OFFSET))
			return -1;
		ipproto = iph->protocol;
		l4 = l3 + ihl * 4;	/* options included */
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct mp_ipv6_hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		ipproto = ip6->nexthdr;	/* extension headers: not classified */
		l4 = ip6 + 1;
	} else {
		return -1;
	}

	/* constant sizes per branch: the verifier tracks them on l4 itself */
	if (ipproto == IPPROTO_TCP) {
		if (l4 + sizeof(struct tcphdr) > end)
			return -1;
	} else if (ipproto == IPPROTO_UDP) {
		if (l4 + sizeof(struct udphdr) > end)
			return -1;
	} else {
		return -1;
	}
	ports = l4;
	return bpf_ntohs(ports->dest);
}

SEC("xdp.frags")
int mp_classify(struct xdp_md *ctx)
{
	int dport = frame_dport(ctx);
	__u32 hint;
	__u16 port;

	if (bpf_xdp_mp_device_frags(ctx) > 0)
		cls_count(MP_CLS_DEV_FRAMES);
	if (dport < 0) {
		cls_count(MP_CLS_NONE);
		return XDP_PASS;
	}
	port = (__u16)dport;
	hint = bpf_map_lookup_elem(&mp_dev_ports, &port) ?
	       BPF_MP_HINT_DEVICE : BPF_MP_HINT_HOST;
	if (bpf_xdp_mp_hint(ctx, hint))
		cls_count(MP_CLS_HINT_ERR);
	else
		cls_count(hint == BPF_MP_HINT_DEVICE ? MP_CLS_DEVICE : MP_CLS_HOST);
	return XDP_PASS;
}
