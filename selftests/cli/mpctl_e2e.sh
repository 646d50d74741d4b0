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
json_check() { # python expression over the parsed "mpctl show --json"
	$IN_RX $MPCTL show "$RX_IF" --json |
		python3 -c "import json, sys; q = json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

t policy_load	$MPCTL policy load build/bpf/provider.bpf.o
t policy_list	sh -c "$MPCTL policy list | grep -qw watermark && $MPCTL policy list | grep -qw static_map"
t bpftool_lists	sh -c "bpftool struct_ops list | grep -qw watermark"
t attach	$IN_RX $MPCTL attach "$RX_IF" --queues 2-3 --policy watermark --udmabuf 16M
t show_json	json_check "len(q) == 2 and all(e['device_total'] == 4096 for e in q)"
t show_table	sh -c "$IN_RX $MPCTL show $RX_IF | grep -q watermark"
t bad_queue	expect_fail "out of range" $IN_RX $MPCTL attach "$RX_IF" --queues 9 --policy watermark
t bad_policy	expect_fail "not registered" $IN_RX $MPCTL attach "$RX_IF" --queues 0 --policy nosuch
t busy_queue	expect_fail "queue 2" $IN_RX $MPCTL attach "$RX_IF" --queues 1-2 --policy static_map
t unchanged	json_check "sorted(e['queue'] for e in q) == [2, 3]"
traffic() {
	$IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 5400 action 0 >/dev/null &&
		stream 5400 1048576 | grep -q ' ok'
}
t traffic	traffic
t detach	$IN_RX $MPCTL detach "$RX_IF"
t detached	json_check "q == []"
t unload	sh -c "$MPCTL policy unload watermark && ! $MPCTL policy list | grep -qw watermark"
pair_down
t_summary
