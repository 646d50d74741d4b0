#!/usr/bin/env bash
# Faults a memory provider owes its users, each checked byte for byte and
# for leftovers: the last put of a binding (a page_pool draining after its
# tokens come back, on a workqueue) racing other attaches, over and over
# (DEBUG_LIST, and KASAN on the DEBUG kernel, catch a shared list edited
# without its lock); queue restarts while the reader holds tokens; one
# binding shared by two queues; privilege and namespaces; churn.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh

ROUNDS=${BPFMP_FAULT_ROUNDS:-$([ "${DEBUG:-0}" = 0 ] && echo 4 || echo 2)}
OTHER=64	# a lone netdevsim device whose queue attaches meanwhile

unload_all() {
	local p
	for p in static_map watermark split alternate xdp_hint; do
		$MPCTL policy unload $p >/dev/null 2>&1
	done
}
unload_all
link_up 62 4 || { t_skip all "no $DRIVER pair"; t_summary; exit; }
# the queues: netdevsim's device-memory queue 2 ($DQ), 1 for host pages,
# all four for churn; e1000e's one queue for each
if [ "$DRIVER" = netdevsim ]; then PQ=1 ALLQ=0-3; else PQ=0 ALLQ=0; fi
IFX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)
# header split on for the tests that attach without --flow (those that use
# --flow turn it on and restore this)
$IN_RX $NLTOOL hds "$RX_IF" on 0 >/dev/null
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
dmabufs() { awk '/^Total .* objects/ { print $2 }' /sys/kernel/debug/dma_buf/bufinfo; }
# every dma-buf released and no old pool waiting for buffers, within a while
all_released() {
	for _ in $(seq $((100 * SLOW))); do
		! $IN_RX $NLTOOL pools-all "$RX_IF" 2>/dev/null | grep -q 'detached 1' &&
			[ "$(dmabufs)" = 0 ] && return 0
		sleep 0.1
	done
	$IN_RX $NLTOOL pools-all "$RX_IF" 2>/dev/null
	cat /sys/kernel/debug/dma_buf/bufinfo
	return 1
}

t policy_load_faults	$MPCTL policy load build/bpf/provider.bpf.o
bpftool map update name static_queues key $(le32 "$IFX") $(le32 $DQ) value 1 0 0 0
# the other device is a netdevsim one on either driver (the race is in
# bpfmp's bindings, not in a driver)
OTHER_IF=
if [ -e /sys/bus/netdevsim/new_device ]; then
	echo "$OTHER 1 2" >/sys/bus/netdevsim/new_device
	udevadm settle 2>/dev/null || sleep 0.5
	OTHER_IF=$(ls /sys/bus/netdevsim/devices/netdevsim$OTHER/net/)
	ip link set "$OTHER_IF" up
	$NLTOOL hds "$OTHER_IF" on 0 >/dev/null
fi

# One round: a reader holds every token of a stream on queue 2, the queue
# is detached (its old pool now waits for the tokens), then the tokens go
# back (the pool drains and drops the last binding reference from the
# page_pool release worker) while the other device attaches and detaches
# device memory in a loop.
round() { # port
	local port=$1 churn rc=0
	devrx_start "$port" --size 4M --hold 64M --linger --expect $MB -- \
		$MPCTL attach "$RX_IF" --queues $DQ --policy static_map $(flow "$port") ||
		return 1
	send "$port" $MB >/dev/null 2>&1 &
	local sender=$!
	for _ in $(seq $((100 * SLOW))); do
		grep -q '^end of stream, holding' /tmp/devrx."$port" && break
		sleep 0.1
	done
	grep -q '^end of stream, holding' /tmp/devrx."$port" || { cat /tmp/devrx."$port"; return 1; }
	detach || return 1
	(for _ in 1 2 3 4 5 6; do
		$MPCTL attach "$OTHER_IF" --queues 0 --policy static_map --udmabuf 1M >/dev/null &&
			$MPCTL detach "$OTHER_IF" >/dev/null || exit 1
	done) &
	churn=$!
	kill -USR1 $DEVRX_PID
	devrx_wait "$port" >/dev/null && ok_line "$port" || rc=1
	wait $sender
	wait $churn || { echo "attach/detach on $OTHER_IF failed"; rc=1; }
	return $rc
}
races() {
	local i
	for i in $(seq "$ROUNDS"); do
		round $((5700 + i)) || { echo "round $i failed"; return 1; }
	done
	# every binding went: no dma-buf, no pool waiting
	all_released
}
if [ -n "$OTHER_IF" ]; then
	t binding_put_races_attach	races
else
	t_skip binding_put_races_attach "needs a second device: no netdevsim in this kernel"
fi

verdict_dev() { bpftool map update name static_queues key $(le32 "$IFX") $(le32 "$1") value 1 0 0 0; }
wait_field() { # queue field minimum
	for _ in $(seq $((100 * SLOW))); do
		[ "$(qfield "$1" "$2")" -ge "$3" ] 2>/dev/null && return 0
		sleep 0.1
	done
	echo "queue $1: $2 = $(qfield "$1" "$2"), wanted >= $3"
	return 1
}


# Queue restarts under a devmem stream whose reader holds its tokens: the
# stream stays intact, the old pools drain once the tokens come back,
# nothing is left after detach.  netdevsim: both modes of its debugfs
# queue_reset.  e1000e: the driver's own two ways of restarting its ring
# with the provider installed, each twice: a ring resize (ethtool -G: a
# new ring and new page_pools, which pick up the provider, the old pools
# left to drain) and a reset (ethtool -K rxvlan: the same ring emptied and
# refilled through bpf_mp_refill()).
RING0=$($IN_RX ethtool -g "$RX_IF" 2>/dev/null | awk '/^Current/ { c = 1 } c && /^RX:/ { print $2; exit }')
restart() { # i
	if [ "$DRIVER" = netdevsim ]; then
		echo "2 $(($1 % 2))" >/sys/kernel/debug/netdevsim/netdevsim$((PAIR_ID + 1))/ports/0/queue_reset
		return
	fi
	case $1 in
	0) $IN_RX ethtool -G "$RX_IF" rx $((RING0 * 2)) ;;
	1) $IN_RX ethtool -K "$RX_IF" rxvlan off ;;
	2) $IN_RX ethtool -G "$RX_IF" rx "$RING0" ;;
	3) $IN_RX ethtool -K "$RX_IF" rxvlan on ;;
	esac
}
restart_with_tokens() {
	local i b0
	verdict_dev $DQ
	detach >/dev/null 2>&1
	devrx_start 5731 --size 16M --hold 64M --linger --expect $((4 * MB)) -- \
		$MPCTL attach "$RX_IF" --queues $DQ --policy static_map $(flow 5731) || return 1
	b0=$(qfield $DQ bufs_device)
	$IN_TX timeout $((60 * SLOW)) $STREAM send $RX_IP 5731 $((4 * MB)) 16 >/dev/null &
	local sender=$!
	for i in 0 1 2 3; do
		wait_field $DQ bufs_device $((b0 + 64 * (i + 1))) >/dev/null
		restart $i || { kill $sender; return 1; }
	done
	for _ in $(seq $((200 * SLOW))); do
		grep -q '^end of stream, holding' /tmp/devrx.5731 && break
		sleep 0.1
	done
	# e1000e's resizes replaced the pools that hold the reader's buffers
	if [ "$DRIVER" != netdevsim ]; then
		$IN_RX $NLTOOL pools-all "$RX_IF"
		$IN_RX $NLTOOL pools-all "$RX_IF" | grep -q 'detached 1' ||
			{ echo "no old pool waiting for the held tokens"; kill -USR1 $DEVRX_PID; return 1; }
	fi
	kill -USR1 $DEVRX_PID
	devrx_wait 5731 && ok_line 5731 || return 1
	wait $sender
	detach || return 1
	all_released
}
t restart_with_tokens	restart_with_tokens

# One dma-buf on two queues, its fd closed by mpctl right after attach:
# detaching one queue leaves the other on device memory; detaching both
# releases the dma-buf.
shared_binding() {
	local before
	detach >/dev/null 2>&1
	$IN_RX $MPCTL attach "$RX_IF" --queues 2-3 --policy static_map --udmabuf 8M >/dev/null || return 1
	verdict_dev 3
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5732 action 3 >/dev/null
	$IN_RX $MPCTL detach "$RX_IF" --queues 2 >/dev/null || return 1
	before=$(qfield 3 bufs_device)
	$IN_TX $STREAM udp $RX_IP 5732 200
	wait_field 3 bufs_device $((before + 32)) || return 1
	[ "$(dmabufs)" = 1 ] || return 1
	$IN_RX ethtool -N "$RX_IF" delete "$($IN_RX ethtool -n "$RX_IF" | awk '/^Filter:/ { print $2; exit }')"
	$IN_RX $MPCTL detach "$RX_IF" --queues 3 >/dev/null || return 1
	all_released
}
if [ "$DRIVER" = netdevsim ]; then
	t shared_binding	shared_binding
else
	t_skip shared_binding "$DRIVER has one RX queue: no two queues to share a binding"
fi

# Without CAP_NET_ADMIN (capabilities dropped, or root of a user
# namespace) attach and detach are refused and change nothing; another
# netns neither sees nor reaches the receiver's queues.
privilege_and_netns() {
	local nocap="setpriv --inh-caps=-net_admin --bounding-set=-net_admin --" out rc=0
	detach >/dev/null 2>&1
	out=$($IN_RX $nocap $MPCTL attach "$RX_IF" --queues $PQ --policy static_map 2>&1) && rc=1
	echo "attach without CAP_NET_ADMIN: $out"
	[[ $out == *"Operation not permitted"* ]] || rc=1
	[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 0 ] || rc=1
	$IN_RX $MPCTL attach "$RX_IF" --queues $PQ --policy static_map >/dev/null || return 1
	out=$($IN_RX $nocap $MPCTL detach "$RX_IF" --queues $PQ 2>&1) && rc=1
	echo "detach without CAP_NET_ADMIN: $out"
	[[ $out == *"Operation not permitted"* ]] || rc=1
	[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 1 ] || rc=1
	# the initial netns has no such device, and its dump holds no queue of bpfmp_rx
	out=$($MPCTL attach "$RX_IF" --queues $PQ --policy static_map 2>&1) && rc=1
	echo "attach from another netns: $out"
	[ "$($MPCTL show --json | jq "[.[] | select(.ifindex == $IFX and .queue == $PQ)] | length")" = 0 ] || rc=1
	$IN_RX $MPCTL detach "$RX_IF" --queues $PQ >/dev/null || rc=1
	return $rc
}
t privilege_and_netns	privilege_and_netns

# root of a user namespace has CAP_NET_ADMIN only there: refused
userns_attach() {
	local out
	out=$($IN_RX unshare -Ur $MPCTL attach "$RX_IF" --queues $PQ --policy static_map 2>&1) && return 1
	echo "attach from a user namespace: $out"
	[[ $out == *"Operation not permitted"* ]] &&
		[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 0 ]
}
if $IN_RX unshare -Ur true 2>/dev/null; then
	t userns_attach	userns_attach
else
	t_skip userns_attach "no user namespaces here: $($IN_RX unshare -Ur true 2>&1 | head -n1)"
fi

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# Attach/detach cycles, device memory on all four queues then host only,
# under traffic; then two attachers on different queues of one device
# racing a third process that dumps queue-get (e1000e, one queue each: the
# receiver's and the sender's NIC, two devices of the driver restarting
# their queues at once).  Afterwards: no pool left
# waiting, no dma-buf, slab back within 1 MiB.
churn() {
	local n=${BPFMP_CHURN:-$([ "${DEBUG:-0}" = 0 ] && echo 10 || echo 4)} i s0 s1 a b d rc=0
	s0=$(slab_kb)
	$IN_TX sh -c "$STREAM udp $RX_IP 5740 3000 >/dev/null 2>&1" &
	local traffic=$!
	for i in $(seq "$n"); do
		$IN_RX $MPCTL attach "$RX_IF" --queues $ALLQ --policy static_map --udmabuf 1M >/dev/null &&
			$IN_RX $MPCTL detach "$RX_IF" >/dev/null &&
			$IN_RX $MPCTL attach "$RX_IF" --queues $ALLQ --policy static_map >/dev/null &&
			$IN_RX $MPCTL detach "$RX_IF" >/dev/null || { echo "cycle $i failed"; rc=1; break; }
	done
	kill $traffic 2>/dev/null; pkill -f "udp $RX_IP 5740"
	(for i in $(seq "$n"); do
		$IN_RX $MPCTL attach "$RX_IF" --queues 0 --policy static_map --udmabuf 1M >/dev/null &&
			$IN_RX $MPCTL detach "$RX_IF" --queues 0 >/dev/null || exit 1
	done) & a=$!
	local in_b=$IN_RX if_b=$RX_IF q_b=1
	if [ "$DRIVER" != netdevsim ]; then
		in_b=$IN_TX if_b=$TX_IF q_b=0
		$in_b $NLTOOL hds "$if_b" on 0 >/dev/null || return 1
	fi
	(for i in $(seq "$n"); do
		$in_b $MPCTL attach "$if_b" --queues $q_b --policy static_map >/dev/null &&
			$in_b $MPCTL detach "$if_b" --queues $q_b >/dev/null || exit 1
	done) & b=$!
	(while kill -0 $a 2>/dev/null || kill -0 $b 2>/dev/null; do
		$IN_RX $MPCTL show "$RX_IF" --json >/dev/null || exit 1
	done) & d=$!
	wait $a || { echo "attacher of queue 0 failed"; rc=1; }
	wait $b || { echo "attacher of $if_b queue $q_b failed"; rc=1; }
	wait $d || { echo "dumper failed"; rc=1; }
	[ "$DRIVER" = netdevsim ] || $in_b $NLTOOL hds "$if_b" off 0 >/dev/null
	all_released || rc=1
	s1=$(slab_kb)
	echo "$n cycles: slab ${s0} kB -> ${s1} kB"
	[ $((s1 - s0)) -lt 1024 ] || rc=1
	return $rc
}
t churn	churn

[ -z "$OTHER_IF" ] || echo "$OTHER" >/sys/bus/netdevsim/del_device
unload_all
link_down 2>/dev/null
t_summary
