#!/usr/bin/env bash
# Lifetime faults of device-memory bindings: the last put of a binding
# (a page_pool draining after its tokens come back, on a workqueue) racing
# other attaches, over and over; run on the DEBUG kernel too, where
# DEBUG_LIST and KASAN catch a shared list edited without its lock.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh

ROUNDS=${BPFMP_FAULT_ROUNDS:-$([ "${DEBUG:-0}" = 0 ] && echo 12 || echo 4)}
OTHER=64	# a lone netdevsim device whose queue attaches meanwhile

for p in static_map watermark split alternate xdp_hint; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
pair_up 62 4
IFX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

t policy_load_faults	$MPCTL policy load build/bpf/provider.bpf.o
bpftool map update name static_queues key $(le32 "$IFX") $(le32 2) value 1 0 0 0
echo "$OTHER 1 2" >/sys/bus/netdevsim/new_device
udevadm settle 2>/dev/null || sleep 0.5
OTHER_IF=$(ls /sys/bus/netdevsim/devices/netdevsim$OTHER/net/)
ip link set "$OTHER_IF" up
$NLTOOL hds "$OTHER_IF" on 0 >/dev/null

# One round: a reader holds every token of a stream on queue 2, the queue
# is detached (its old pool now waits for the tokens), then the tokens go
# back (the pool drains and drops the last binding reference from the
# page_pool release worker) while the other device attaches and detaches
# device memory in a loop.
round() { # port
	local port=$1 churn rc=0
	devrx_start "$port" --size 4 --hold 64 --linger --expect $MB -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy static_map --flow tcp:"$port" ||
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
	for _ in $(seq $((100 * SLOW))); do
		[ "$(awk '/^Total .* objects/ { print $2 }' /sys/kernel/debug/dma_buf/bufinfo)" = 0 ] && return 0
		sleep 0.1
	done
	cat /sys/kernel/debug/dma_buf/bufinfo
	return 1
}
t binding_put_races_attach	races

echo "$OTHER" >/sys/bus/netdevsim/del_device
for p in static_map watermark split alternate xdp_hint; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
pair_down 2>/dev/null
t_summary
