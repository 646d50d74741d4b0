// SPDX-License-Identifier: GPL-2.0
/*
 * XDP on bpfmp queues: what a program may do with a frame whose payload is
 * in device memory.  UDP to port TEST_PORT is probed and given the verdict
 * the test chose; everything else passes untouched.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

#define TEST_PORT	5400
#define ETH_P_IP	0x0800
#define EFAULT		14

/* kfunc prototypes come from vmlinux.h */

enum verdict { V_PASS, V_DROP, V_TX, V_REDIRECT_CPU, V_REDIRECT_DEV, V_RANDOM };

/* set by the test before traffic */
volatile const int hint = -1;		/* bpf_mp_hint value, -1: none */
int verdict;				/* enum verdict */

/* frames seen, and what the helpers did, split by device/host frames */
__u64 frames, dev_frames, host_frames, dev_frags;
__u64 hdr_ok;				/* UDP header read by direct access */
__u64 load_ok, load_efault, load_other;
__u64 store_efault, dynptr_efault, pull_efault, output_efault, grow_refused;
__u64 hint_ok, hint_enodev, hint_einval;
__u64 fuzz_calls;

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static int redirect(int v)
{
	if (v == V_REDIRECT_CPU)
		return bpf_redirect_map(&cpus, 0, XDP_DROP);
	return bpf_redirect_map(&devs, 0, XDP_DROP);
}

static void count_err(int err, __u64 *efault, __u64 *other)
{
	if (err == -EFAULT)
		__sync_fetch_and_add(efault, 1);
	else if (err && other)
		__sync_fetch_and_add(other, 1);
}

/* Every helper that could touch payload, at payload offset @off. */
static void probe(struct xdp_md *ctx, __u32 off)
{
	struct bpf_dynptr ptr;
	__u8 buf[8] = {};
	int err;

	err = bpf_xdp_load_bytes(ctx, off, buf, sizeof(buf));
	if (!err)
		__sync_fetch_and_add(&load_ok, 1);
	count_err(err, &load_efault, &load_other);
	count_err(bpf_xdp_store_bytes(ctx, off, buf, sizeof(buf)), &store_efault, NULL);
	if (!bpf_dynptr_from_xdp(ctx, 0, &ptr))
		count_err(bpf_dynptr_read(buf, sizeof(buf), &ptr, off, 0),
			  &dynptr_efault, NULL);
	count_err(bpf_perf_event_output(ctx, &events,
					((__u64)(off + 8) << 32) | BPF_F_CURRENT_CPU,
					buf, 1), &output_efault, NULL);
	/* growing the tail would write zeroes into the last frag */
	if (bpf_xdp_adjust_tail(ctx, 16))
		__sync_fetch_and_add(&grow_refused, 1);
	else
		bpf_xdp_adjust_tail(ctx, -16);
	/* last: a successful pull changes the linear part */
	count_err(bpf_xdp_pull_data(ctx, off + 8), &pull_efault, NULL);
}

/* Random helper calls with random arguments, then a random verdict. */
static int fuzz(struct xdp_md *ctx)
{
	__u32 r = bpf_get_prandom_u32(), len = bpf_xdp_get_buff_len(ctx);
	__u32 off = r % (len + 64);
	struct bpf_dynptr ptr;
	__u8 buf[32] = {};
	int i;

	__sync_fetch_and_add(&fuzz_calls, 1);
	for (i = 0; i < 4; i++) {
		r = bpf_get_prandom_u32();
		switch (r % 8) {
		case 0:
			bpf_xdp_load_bytes(ctx, off, buf, 1 + (r >> 8) % 32);
			break;
		case 1:
			bpf_xdp_store_bytes(ctx, off, buf, 1 + (r >> 8) % 32);
			break;
		case 2:
			bpf_xdp_adjust_tail(ctx, (int)((r >> 8) % 512) - 400);
			break;
		case 3:
			bpf_xdp_pull_data(ctx, (r >> 8) % 2048);
			break;
		case 4:
			bpf_xdp_adjust_head(ctx, (int)((r >> 8) % 64) - 32);
			break;
		case 5:
			if (!bpf_dynptr_from_xdp(ctx, 0, &ptr))
				bpf_dynptr_write(&ptr, off, buf, 1 + (r >> 8) % 32, 0);
			break;
		case 6:
			if (!bpf_dynptr_from_xdp(ctx, 0, &ptr))
				bpf_dynptr_slice(&ptr, off, buf, sizeof(buf));
			break;
		default:
			bpf_xdp_mp_hint(ctx, (r >> 8) % 3);
			break;
		}
		off = bpf_get_prandom_u32() % (bpf_xdp_get_buff_len(ctx) + 64);
	}
	switch (bpf_get_prandom_u32() % 6) {
	case 0:
		return XDP_PASS;
	case 1:
		return XDP_DROP;
	case 2:
		return XDP_TX;
	case 3:
		return XDP_ABORTED;
	case 4:
		return redirect(V_REDIRECT_CPU);
	}
	return redirect(V_REDIRECT_DEV);
}

SEC("xdp.frags")
int xdp_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	int nd, err;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(TEST_PORT))
		return XDP_PASS;
	__sync_fetch_and_add(&hdr_ok, 1);
	__sync_fetch_and_add(&frames, 1);

	if (hint >= 0) {
		err = bpf_xdp_mp_hint(ctx, hint);
		if (!err)
			__sync_fetch_and_add(&hint_ok, 1);
		else if (err == -19)	/* ENODEV */
			__sync_fetch_and_add(&hint_enodev, 1);
		else if (err == -22)	/* EINVAL */
			__sync_fetch_and_add(&hint_einval, 1);
	}

	nd = bpf_xdp_mp_device_frags(ctx);
	if (nd > 0) {
		__sync_fetch_and_add(&dev_frames, 1);
		__sync_fetch_and_add(&dev_frags, nd);
	} else {
		__sync_fetch_and_add(&host_frames, 1);
	}
	if (verdict == V_RANDOM)
		return fuzz(ctx);
	/* the first payload byte: in a frag with header split, but generic
	 * XDP copies a host frame small enough into the linear part
	 */
	probe(ctx, sizeof(*eth) + sizeof(*ip) + sizeof(*udp));

	switch (verdict) {
	case V_DROP:
		return XDP_DROP;
	case V_TX:
		return XDP_TX;
	case V_REDIRECT_CPU:
	case V_REDIRECT_DEV:
		return redirect(verdict);
	}
	return XDP_PASS;
}

/* the XDP kfuncs outside XDP: must not load (autoload off, test loads it) */
SEC("?tc")
int tc_calls_xdp_kfunc(struct __sk_buff *skb)
{
	return bpf_xdp_mp_device_frags((struct xdp_md *)skb);
}
