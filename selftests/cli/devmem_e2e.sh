#!/usr/bin/env bash
# Device memory end to end: devmem TCP receive (examples/devmem_rx) through
# bpfmp queues set up by "mpctl attach --flow", with the payload in device
# memory, in host pages, or both; exhaustion with fallback and in strict
# mode; token return; detach and device removal while tokens are held;
# upstream's devmem provider next to bpfmp.  Each stream is checked byte
# for byte by devmem_rx.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
MPCTL=build/mpctl DEVRX=build/devmem_rx NLTOOL=build/selftests/nltool
MB=$((1 << 20))
# a DEBUG=1 (KASAN, lockdep) kernel under TCG is several times slower
# BYTES for the streams that show where payload lands, HALF where the
# point is elsewhere (fallback, coexistence)
if [ "${DEBUG:-0}" = 0 ]; then SLOW=1 BYTES=$((16 * MB)); else SLOW=5 BYTES=$((4 * MB)); fi
HALF=$((BYTES / 2))

for p in static_map watermark split alternate xdp_hint; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
pair_up 60 4
IFX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)

le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# static_map's verdict for queue Q of the receiver: device or host
verdict() { # queue device|host
	if [ "$2" = device ]; then
		bpftool map update name static_queues key $(le32 "$IFX") $(le32 "$1") value 1 0 0 0
	else
		bpftool map delete name static_queues key $(le32 "$IFX") $(le32 "$1") 2>/dev/null
		true
	fi
}
# What --flow may touch and must give back: header split and ntuple rules.
nic_state() { $IN_RX $NLTOOL rings "$RX_IF" && $IN_RX ethtool -n "$RX_IF"; }
# A field of queue Q in "mpctl show --json".
qfield() { # queue field
	$IN_RX $MPCTL show "$RX_IF" --json |
		python3 -c "import json, sys; print([e for e in json.load(sys.stdin) if e['queue'] == $1][0]['$2'])"
}

# Fields of queue Q in "mpctl show --json" as $Q_<field>, printed.
qfields() { # queue field...
	local q=$1
	shift
	eval "$($IN_RX $MPCTL show "$RX_IF" --json | python3 -c "
import json, sys
e = [e for e in json.load(sys.stdin) if e['queue'] == $q][0]
for f in sys.argv[1:]:
    print('Q_%s=%d' % (f, e[f]))" "$@")"
	for f in "$@"; do eval "echo $f \$Q_$f"; done
}

# devmem_rx in the receiver's netns; its output (and mpctl's) in /tmp/devrx.PORT
devrx_start() { # port devmem_rx-args... -- attach-cmd...
	local port=$1
	shift
	rm -f /tmp/devrx."$port"
	$IN_RX $DEVRX --port "$port" "$@" >/tmp/devrx."$port" 2>&1 &
	DEVRX_PID=$!
	for _ in $(seq $((300 * SLOW))); do
		grep -q '^listening' /tmp/devrx."$port" && return 0
		kill -0 $DEVRX_PID 2>/dev/null || break
		sleep 0.1
	done
	cat /tmp/devrx."$port"
	return 1
}
# Wait for devmem_rx; show its output; its status.
devrx_wait() { # port
	local rc
	wait "$DEVRX_PID"
	rc=$?
	cat /tmp/devrx."$1"
	return $rc
}
send() { # port bytes
	$IN_TX timeout $((60 * SLOW)) python3 selftests/tools/stream.py send $RX_IP "$1" "$2" >/dev/null
}
# "host H device D tokens N ok" -> the number after word $1
result() { # host|device|tokens port
	awk -v k="$1" '$1 == "host" { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' /tmp/devrx."$2"
}
ok_line() { grep -q "^host .* ok$" /tmp/devrx."$1"; }

# One stream into queue 2 with POLICY; checks the receiver's verdict.
stream_through() { # port policy bytes [devmem_rx-args...]
	local port=$1 policy=$2 bytes=$3
	shift 3
	devrx_start "$port" --size 16 --expect "$bytes" "$@" -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy "$policy" --flow tcp:"$port" ||
		return 1
	send "$port" "$bytes" || { kill $DEVRX_PID; devrx_wait "$port"; return 1; }
	devrx_wait "$port" && ok_line "$port"
}
detach() { $IN_RX $MPCTL detach "$RX_IF"; }

t policy_load	$MPCTL policy load build/bpf/provider.bpf.o
BEFORE=$(nic_state)
echo "NIC before: $BEFORE" | head -n 2

# All in device memory; host bytes only where a fallback was counted (a
# reader slower than the stream can leave the binding short for a moment).
device_only() {
	local fb
	verdict 2 device &&
	stream_through 5600 static_map $BYTES || return 1
	qfields 2 fallback_exhausted fallback_no_device fallback_no_policy fallback_invalid
	$IN_RX ethtool -S "$RX_IF" | grep rx2
	fb=$((Q_fallback_exhausted + Q_fallback_no_device + Q_fallback_no_policy + Q_fallback_invalid))
	[ "$(result host 5600)" = 0 ] && [ "$(result device 5600)" = $BYTES ] && return 0
	[ "$fb" -gt 0 ] && [ "$Q_fallback_no_device$Q_fallback_no_policy$Q_fallback_invalid" = 000 ] &&
		[ "$(result device 5600)" -ge $((BYTES * 9 / 10)) ]
}
t device_only	device_only
t flow_setup_printed	grep -q "header split on, hds-thresh 0 (was auto, 0)" /tmp/devrx.5600
t flow_rule_printed	grep -q "rule .*: tcp dst-port 5600 -> queue 2" /tmp/devrx.5600
flow_teardown() {
	local out
	out=$(detach) || return 1
	echo "$out"
	[[ $out == *"removed rule"* && $out == *"header split back to auto"* ]] &&
		[ "$(nic_state)" = "$BEFORE" ]
}
t flow_teardown	flow_teardown

host_only() {
	verdict 2 host &&
	stream_through 5601 static_map $HALF || return 1
	[ "$(result device 5601)" = 0 ] && [ "$(result host 5601)" = $HALF ]
}
t host_only	host_only
t host_only_detach	detach

# Without MSG_SOCK_DEVMEM: device memory is refused (EFAULT, upstream's
# rule), host pages read as always.
plain_reader() { # port expect-substring
	rm -f /tmp/plain.$1
	$IN_RX sh -c "timeout $((30 * SLOW)) python3 selftests/tools/stream.py recv $1 >/tmp/plain.$1 2>&1 &"
	sleep 0.5
	$IN_TX timeout $((20 * SLOW)) python3 selftests/tools/stream.py send $RX_IP "$1" $MB >/dev/null 2>&1
	for _ in $(seq $((50 * SLOW))); do [ -s /tmp/plain.$1 ] && break; sleep 0.1; done
	cat /tmp/plain.$1
	grep -q "$2" /tmp/plain.$1
}
plain_socket() {
	verdict 2 device &&
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy static_map --udmabuf 16M --flow tcp:5602 >/dev/null &&
	plain_reader 5602 "Bad address" &&
	detach >/dev/null &&
	verdict 2 host &&
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy static_map --udmabuf 16M --flow tcp:5602 >/dev/null &&
	plain_reader 5602 "^$MB ok" &&
	detach >/dev/null
}
t plain_socket	plain_socket

mixed() {
	stream_through 5603 alternate $BYTES || return 1
	[ "$(result host 5603)" -gt 0 ] && [ "$(result device 5603)" -gt 0 ] &&
		[ "$(qfield 2 refills_host)" -gt 0 ] && [ "$(qfield 2 refills_device)" -gt 0 ]
}
t mixed_alternate	mixed
t mixed_detach		detach

# 2 MiB of device memory (512 buffers) and a reader that keeps the tokens of
# its first MiB (about 700 buffers): device memory runs out mid-stream.
exhaustion_fallback() {
	verdict 2 device || return 1
	devrx_start 5604 --size 2 --hold 1 --expect $HALF -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy static_map --flow tcp:5604 || return 1
	send 5604 $HALF
	devrx_wait 5604 && ok_line 5604 || return 1
	qfields 2 fallback_exhausted bufs_host strict_short
	[ "$(result host 5604)" -gt 0 ] && [ "$(result device 5604)" -gt 0 ] &&
		[ "$Q_fallback_exhausted" -gt 0 ] && [ "$Q_bufs_host" -gt 0 ] &&
		[ "$Q_strict_short" = 0 ]
}
t exhaustion_fallback	exhaustion_fallback
t exhaustion_detach	detach

# Strict: no host fallback, so the stream stalls while the reader holds
# every token, and resumes (TCP retransmits) once it gives them back.
exhaustion_strict() {
	local sender i drops0
	verdict 2 device || return 1
	drops0=$(nsim_drops)
	devrx_start 5605 --size 2 --hold 64 --expect $((4 * MB)) -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy static_map --strict --flow tcp:5605 || return 1
	$IN_TX timeout $((120 * SLOW)) python3 selftests/tools/stream.py send $RX_IP 5605 $((4 * MB)) >/dev/null &
	sender=$!
	for i in $(seq $((100 * SLOW))); do
		[ "$(qfield 2 strict_short)" -gt 0 ] && break
		sleep 0.1
	done
	sleep $SLOW
	qfields 2 strict_short bufs_host fallback_exhausted
	kill -0 $sender 2>/dev/null || { echo "the sender finished: no stall"; devrx_wait 5605; return 1; }
	# short refills, no host pages, and the NIC drops on an empty ring
	[ "$Q_strict_short" -gt 0 ] && [ "$Q_bufs_host" = 0 ] &&
		[ "$Q_fallback_exhausted" = 0 ] && [ "$(nsim_drops)" -gt "$drops0" ] ||
		{ kill -USR1 $DEVRX_PID; return 1; }
	kill -USR1 $DEVRX_PID
	wait $sender || { echo "sender failed after release"; devrx_wait 5605; return 1; }
	devrx_wait 5605 && ok_line 5605 && [ "$(result host 5605)" = 0 ]
}
nsim_drops() { $IN_RX ethtool -S "$RX_IF" | awk '/rx2_drops/ { print $2 }'; }
t exhaustion_strict	exhaustion_strict
t strict_detach		detach

# The reader keeps every token to the end of the stream; giving them back
# raises the queue's free device memory by exactly the buffers they held.
held_start() { # port
	verdict 2 device &&
	devrx_start "$1" --size 8 --hold 64 --linger --expect $MB -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy static_map --flow tcp:"$1" ||
		return 1
	# the sender waits for the receiver to close: in the background
	send "$1" $MB >/dev/null 2>&1 &
	SENDER=$!
	for _ in $(seq $((100 * SLOW))); do
		grep -q '^end of stream, holding' /tmp/devrx."$1" && break
		sleep 0.1
	done
	HELD=$(awk '/^end of stream, holding/ { print substr($7, 2) }' /tmp/devrx."$1")
	[ -n "$HELD" ] && [ "$HELD" -gt 0 ] || { cat /tmp/devrx."$1"; return 1; }
}
token_return() {
	local free0 free1
	held_start 5606 || return 1
	free0=$(qfield 2 device_free)
	kill -USR1 $DEVRX_PID
	devrx_wait 5606 && ok_line 5606 && wait $SENDER || return 1
	free1=$(qfield 2 device_free)
	echo "free $free0 -> $free1 after returning $HELD buffers"
	[ $((free1 - free0)) = "$HELD" ]
}
t token_return		token_return
t token_detach		detach

dmabufs() { awk '/^Total .* objects/ { print $2 }' /sys/kernel/debug/dma_buf/bufinfo; }
# no old page_pool waiting for buffers, no dma-buf left: everything is back
all_returned() {
	for _ in $(seq $((100 * SLOW))); do
		! $IN_RX $NLTOOL pools-all "$RX_IF" | grep -q 'detached 1' &&
			[ "$(dmabufs)" = 0 ] && return 0
		sleep 0.1
	done
	$IN_RX $NLTOOL pools-all "$RX_IF"
	echo "dma-bufs: $(dmabufs)"
	return 1
}
detach_while_held() {
	held_start 5607 && detach || return 1
	# the queue is back on a plain page_pool, the old one waits for us
	$IN_RX $NLTOOL pools-all "$RX_IF" | grep -q 'detached 1' || {
		echo "no detached pool holding the buffers"; return 1; }
	[ "$(dmabufs)" = 1 ] || { echo "dma-bufs while held: $(dmabufs)"; cat /sys/kernel/debug/dma_buf/bufinfo; $IN_RX $NLTOOL pools-all "$RX_IF"; return 1; }
	kill -USR1 $DEVRX_PID
	devrx_wait 5607 && ok_line 5607 && wait $SENDER && all_returned
}
t detach_while_held	detach_while_held

# Upstream's devmem provider (netdev bind-rx) on queue 1, bpfmp on queue 2:
# both receive; bpfmp refuses queue 1.
coexist() {
	local up bpfmp loc out rc=0
	verdict 2 device &&
	devrx_start 5608 --size 16 --expect $HALF -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy static_map --flow tcp:5608 || return 1
	bpfmp=$DEVRX_PID
	loc=$($IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 5609 action 1 |
		awk '/Added rule with ID/ { print $NF }')
	[ -n "$loc" ] &&
	devrx_start 5609 --size 16 --expect $HALF -- $NLTOOL bind-rx "$RX_IF" 1 || return 1
	up=$DEVRX_PID
	out=$($IN_RX $MPCTL attach "$RX_IF" --queues 1 --policy static_map 2>&1)
	echo "attach to the upstream queue: $out"
	[[ $out == *"queue 1"*"already"* ]] || rc=1
	send 5608 $HALF && send 5609 $HALF || rc=1
	DEVRX_PID=$bpfmp devrx_wait 5608 && ok_line 5608 || rc=1
	DEVRX_PID=$up devrx_wait 5609 && ok_line 5609 || rc=1
	[ "$(result device 5609)" = $HALF ] || rc=1
	pkill -f "nltool bind-rx"
	$IN_RX ethtool -N "$RX_IF" delete "$loc"
	return $rc
}
t coexist_upstream	coexist
t coexist_detach	detach

# XDP on bpfmp queues: provider.bpf.c's classifier hints device memory for
# the ports it is given, the xdp_hint policy follows the hints.
xdp_on() {
	$IN_RX $MPCTL xdp attach "$RX_IF" --port 5700 --port 5701 &&
		$IN_RX $MPCTL show "$RX_IF" --json-devices 2>/dev/null | grep -q mp_classify ||
		$IN_RX $MPCTL show "$RX_IF" | grep -q mp_classify
}
t xdp_attach	xdp_on
# A devmem TCP stream through XDP_PASS: hinted into device memory, intact.
xdp_stream() {
	stream_through 5700 xdp_hint "$HALF" || return 1
	[ "$(result device 5700)" -gt 0 ]
}
t xdp_devmem_stream	xdp_stream
t xdp_stream_detach	detach
# @n datagrams to a port steered to queue 2
udp_to() { # port n
	$IN_TX python3 -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($2): s.sendto(bytes(1200), ('$RX_IP', $1))"
	sleep $SLOW
}
# Traffic on queue 2 turns from device-port to host-port and back: the
# refills follow within one refill batch.
hint_switch() {
	local rd rh
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy xdp_hint --udmabuf 16M >/dev/null &&
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5701 action 2 loc 10 >/dev/null &&
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5702 action 2 loc 11 >/dev/null || return 1
	udp_to 5701 200
	qfields 2 hints_device hints_host refills_device refills_host
	[ "$Q_hints_device" -ge 150 ] && [ "$Q_refills_device" -gt 0 ] || return 1
	rd=$Q_refills_device rh=$Q_refills_host
	udp_to 5702 200
	qfields 2 hints_device hints_host refills_device refills_host
	echo "host traffic: device refills +$((Q_refills_device - rd)), host +$((Q_refills_host - rh))"
	[ "$Q_hints_host" -ge 150 ] && [ $((Q_refills_device - rd)) -le 1 ] &&
		[ $((Q_refills_host - rh)) -gt 1 ] || return 1
	rd=$Q_refills_device rh=$Q_refills_host
	udp_to 5701 200
	qfields 2 refills_device refills_host
	echo "device traffic again: device refills +$((Q_refills_device - rd)), host +$((Q_refills_host - rh))"
	[ $((Q_refills_host - rh)) -le 1 ] && [ $((Q_refills_device - rd)) -gt 1 ]
}
t xdp_hint_switch	hint_switch
xdp_off() {
	$IN_RX ethtool -N "$RX_IF" delete 10 && $IN_RX ethtool -N "$RX_IF" delete 11 &&
	detach && $IN_RX $MPCTL xdp detach "$RX_IF" &&
	! $IN_RX $MPCTL show "$RX_IF" | grep -q mp_classify
}
t xdp_detach	xdp_off

# The device goes away while the reader holds tokens: they are freed when
# it lets go, never before, and nothing leaks.
device_removed() {
	held_start 5610 || return 1
	echo "$((PAIR_ID + 1))" >/sys/bus/netdevsim/del_device || return 1
	[ "$(dmabufs)" = 1 ] || { echo "dma-bufs while held: $(dmabufs)"; cat /sys/kernel/debug/dma_buf/bufinfo; $IN_RX $NLTOOL pools-all "$RX_IF"; return 1; }
	kill -USR1 $DEVRX_PID
	# its peer is gone: no FIN will come
	pkill -f "stream.py send $RX_IP 5610"
	devrx_wait 5610 && ok_line 5610 || return 1
	for _ in $(seq $((100 * SLOW))); do
		[ "$(dmabufs)" = 0 ] && return 0
		sleep 0.1
	done
	echo "dma-bufs left: $(dmabufs)"
	return 1
}
t device_removed	device_removed

for p in static_map watermark split alternate xdp_hint; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
pair_down 2>/dev/null
t_summary
