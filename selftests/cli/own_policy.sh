#!/usr/bin/env bash
# examples/own_policy (docs/policies.md): an application that carries its
# own policy registers it through its skeleton, attaches a queue with
# device memory over bpf-mp netlink, sees refills while traffic flows, and
# on exit leaves neither the attachment nor the policy behind.
set -u
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh
MPCTL=build/mpctl
OWN=build/examples/own_policy
pair_up 70 2
$IN_RX build/selftests/nltool hds "$RX_IF" on 0 >/dev/null
log=/tmp/own_policy.log

running() {
	$IN_RX sh -c "$OWN $RX_IF 1 --udmabuf 16 --seconds 60 >$log 2>&1 & echo \$! >$log.pid"
	for _ in $(seq 100); do grep -q attached "$log" && break; sleep 0.1; done
	cat "$log"
	grep -q "registered, $RX_IF queue 1 attached" "$log"
}
registered() {
	$MPCTL policy list | awk '$1 == "own_policy" { found = 1 } END { exit !found }'
}
listed() {
	$IN_RX $MPCTL show "$RX_IF" --json |
		jq -e '.[] | select(.queue == 1) | .policy == "own_policy" and .device_total == 4096' >/dev/null
}
# host pages (the application does not want device memory): the reader
# gets its bytes, and both the policy and the kernel count the refills
traffic_counted() {
	$IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 5700 action 1 >/dev/null &&
		stream 5700 1048576 | grep -q ' ok' || return 1
	sleep 2
	tail -n 1 "$log"
	tail -n 1 "$log" | grep -qE 'policy saw [1-9][0-9]* batches \(0 to device\); kernel: host [1-9]'
}
gone_on_exit() {
	kill -TERM "$(cat $log.pid)"
	for _ in $(seq 100); do grep -q unregistered "$log" && break; sleep 0.1; done
	tail -n 1 "$log"
	grep -q 'detached and unregistered' "$log" && ! registered &&
		[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 0 ]
}

if [ ! -x "$OWN" ]; then
	t_skip own_policy "no $OWN (make examples)"
else
	t running	running
	t registered	registered
	t listed	listed
	t traffic_counted traffic_counted
	t gone_on_exit	gone_on_exit
fi
pair_down
t_summary
