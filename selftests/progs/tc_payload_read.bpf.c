// SPDX-License-Identifier: GPL-2.0
/*
 * tc ingress: try to read one payload byte past the linear part of each
 * big UDP/TCP skb.  Device-memory (net_iov) frags are unreadable, so the
 * read fails there and succeeds on host pages.
 */
#include "bpf_mp.bpf.h"

char _license[] SEC("license") = "GPL";

__u64 readable;
__u64 unreadable;

SEC("tc")
int tc_payload_read(struct __sk_buff *skb)
{
	__u32 linear = skb->data_end - skb->data;
	__u8 byte;

	if (skb->len < 512 || linear >= skb->len)
		return 0;
	if (bpf_skb_load_bytes(skb, linear, &byte, 1))
		__sync_fetch_and_add(&unreadable, 1);
	else
		__sync_fetch_and_add(&readable, 1);
	return 0;
}
