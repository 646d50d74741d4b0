#!/usr/bin/env bash
# mpctl against the real kernel (in the VM): load the policy library,
# attach with device memory, read it back, refuse bad requests without
# changing anything, detach, unload.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
MPCTL=build/mpctl
pair_up 50 4
$IN_RX build/selftests/nltool hds "$RX_IF" on 0

expect_fail() { # substring cmd...
	local want=$1 out
	shift
	out=$("$@" 2>&1) && { echo "succeeded: $*"; return 1; }
	[[ $out == *"$want"* ]] || { echo "stderr lacks '$want': $out"; return 1; }
}
json_check() { # jq condition over "mpctl show --json"
	$IN_RX $MPCTL show "$RX_IF" --json | jq -e "$1" >/dev/null
}

t policy_load	$MPCTL policy load build/bpf/provider.bpf.o
t policy_list	sh -c "$MPCTL policy list | grep -qw watermark && $MPCTL policy list | grep -qw static_map"
t bpftool_lists	sh -c "bpftool struct_ops list | grep -qw watermark"
t attach	$IN_RX $MPCTL attach "$RX_IF" --queues 2-3 --policy watermark --udmabuf 16M
t show_json	json_check "length == 2 and all(.[]; .device_total == 4096)"
t show_table	sh -c "$IN_RX $MPCTL show $RX_IF | grep -q watermark"
t bad_queue	expect_fail "out of range" $IN_RX $MPCTL attach "$RX_IF" --queues 9 --policy watermark
t bad_policy	expect_fail "not registered" $IN_RX $MPCTL attach "$RX_IF" --queues 0 --policy nosuch
t busy_queue	expect_fail "queue 2" $IN_RX $MPCTL attach "$RX_IF" --queues 1-2 --policy static_map
t unchanged	json_check "[.[].queue] | sort == [2, 3]"
traffic() {
	$IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 5400 action 0 >/dev/null &&
		stream 5400 1048576 | grep -q ' ok'
}
t traffic	traffic
# watermark under pressure: 1024 buffers, device above 90% free, host below
# 80%; an application that stops reading pushes free below the low mark,
# and once it lets go, refills go back to device memory.
q3() { # field of queue 3 in mpctl show --json
	$IN_RX $MPCTL show "$RX_IF" --json | jq -r ".[] | select(.queue == 3) | .$1"
}
watermark_cycle() {
	local host0 dev1
	$MPCTL policy set watermark high=90 low=80 &&
	$IN_RX $MPCTL detach "$RX_IF" --queues 3 &&
	$IN_RX $MPCTL attach "$RX_IF" --queues 3 --policy watermark --udmabuf 4M &&
	$IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 5410 action 3 >/dev/null || return 1
	sysctl -qw net.core.rmem_max=$((16 << 20))
	$IN_RX sh -c "$STREAM hold 5410 120 $((8 << 20)) >/dev/null 2>&1 &"
	for _ in $(seq 300); do $IN_RX ss -Htln 'sport = :5410' | grep -q . && break; sleep 0.1; done
	$IN_TX timeout $([ "${DEBUG:-0}" = 0 ] && echo 5 || echo 40) $STREAM send $RX_IP 5410 $((4 << 20)) >/dev/null 2>&1
	host0=$(q3 refills_host)
	echo "under pressure: free $(q3 device_free)/1024, host refills $host0, device $(q3 refills_device)"
	[ "$host0" -gt 0 ] || return 1
	$IN_RX pkill -f "stream hold 5410"
	sleep 1
	dev1=$(q3 refills_device)
	# traffic again: the policy sees the memory back and returns to it
	stream 5410 $((1 << 20)) >/dev/null
	echo "after release: free $(q3 device_free)/1024, device refills $dev1 -> $(q3 refills_device)"
	[ "$(q3 refills_device)" -gt "$dev1" ]
}
t watermark_cycle	watermark_cycle
t detach	$IN_RX $MPCTL detach "$RX_IF"
t detached	json_check ". == []"
t unload	sh -c "$MPCTL policy unload watermark && ! $MPCTL policy list | grep -qw watermark"
pair_down
t_summary
