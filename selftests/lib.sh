# shellcheck shell=bash
# Shell helpers for the CLI tests and the demo (inside the VM): a netdevsim
# pair linked as peers, sender in netns bpfmp_tx, receiver in bpfmp_rx.
TX_NS=bpfmp_tx RX_NS=bpfmp_rx TX_IP=192.0.2.1 RX_IP=192.0.2.2
IN_TX="ip netns exec $TX_NS" IN_RX="ip netns exec $RX_NS"
# test traffic of known content (selftests/tools/stream.c)
STREAM=build/selftests/stream

# pair_up ID QUEUES: sets TX_IF and RX_IF
pair_up() {
	local id=$1 q=$2 a b
	echo "$id 1 $q" >/sys/bus/netdevsim/new_device
	echo "$((id + 1)) 1 $q" >/sys/bus/netdevsim/new_device
	udevadm settle 2>/dev/null || sleep 0.5
	a=$(ls /sys/bus/netdevsim/devices/netdevsim$id/net/)
	b=$(ls /sys/bus/netdevsim/devices/netdevsim$((id + 1))/net/)
	ip netns add $TX_NS
	ip netns add $RX_NS
	ip link set "$a" netns $TX_NS
	ip link set "$b" netns $RX_NS
	exec 8</run/netns/$TX_NS 9</run/netns/$RX_NS
	echo "8:$($IN_TX cat /sys/class/net/"$a"/ifindex) 9:$($IN_RX cat /sys/class/net/"$b"/ifindex)" \
		>/sys/bus/netdevsim/link_device
	exec 8<&- 9<&-
	$IN_TX ip addr add $TX_IP/24 dev "$a"
	$IN_RX ip addr add $RX_IP/24 dev "$b"
	$IN_TX ip link set "$a" up
	$IN_RX ip link set "$b" up
	PAIR_ID=$id TX_IF=$a RX_IF=$b
}

# The driver the suites that call link_up run on (BPFMP_DRIVER): a
# netdevsim pair, or the two e1000e NICs of "scripts/vm --e1000e" (QEMU's
# 82574L model on one hub: a wire), one RX queue each.
DRIVER=${BPFMP_DRIVER:-netdevsim}
E1000E_TX_MAC=52:54:00:bf:00:01 E1000E_RX_MAC=52:54:00:bf:00:02

# link_up ID QUEUES: sender and receiver on $DRIVER; sets TX_IF and RX_IF
link_up() {
	if [ "$DRIVER" = netdevsim ]; then pair_up "$@"; else wire_up; fi
}
link_down() {
	if [ "$DRIVER" = netdevsim ]; then pair_down; else wire_down; fi
}

# The interface with MAC address $1, in this netns.
if_by_mac() {
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && basename "$d"
	done
	return 0	# none is an empty answer, not an error (set -e callers)
}

wire_up() {
	local a= b= i
	# a netns deleted just before gives its devices back asynchronously
	for i in $(seq 100); do
		a=$(if_by_mac $E1000E_TX_MAC) b=$(if_by_mac $E1000E_RX_MAC)
		[ -n "$a" ] && [ -n "$b" ] && break
		sleep 0.1
	done
	[ -n "$a" ] && [ -n "$b" ] || {
		echo "wire_up: no e1000e pair (boot with scripts/vm --e1000e)" >&2
		return 1
	}
	ip netns add $TX_NS
	ip netns add $RX_NS
	ip link set "$a" netns $TX_NS
	ip link set "$b" netns $RX_NS
	$IN_TX ip addr add $TX_IP/24 dev "$a"
	$IN_RX ip addr add $RX_IP/24 dev "$b"
	sender_tso_off "$a"
	$IN_TX ip link set "$a" up
	$IN_RX ip link set "$b" up
	for i in $(seq 100); do
		[ "$($IN_TX cat /sys/class/net/"$a"/carrier 2>/dev/null)$($IN_RX cat /sys/class/net/"$b"/carrier 2>/dev/null)" = 11 ] &&
			break
		sleep 0.1
	done
	TX_IF=$a RX_IF=$b
}

# QEMU 7.2's e1000e "segments" a TSO frame by IP fragmentation when its
# peer (here a hub port) takes no virtio-net header: the receiver gets
# fragments of one 64 KiB TCP segment, which header split cannot split at
# TCP and the model gives no checksum status, so every one that hits
# device memory is dropped (rx_devmem_csum_drops) and TCP crawls on
# retransmits.  QEMU 8.0 segments at TCP.  The sender's own GSO does it
# right: TSO off on the sending NIC (BPFMP_SENDER_TSO=on shows the bug:
# devmem_e2e.e1000e's device_checksummed fails).
sender_tso_off() { # ifname, in $TX_NS
	[ "${BPFMP_SENDER_TSO:-off}" = on ] || $IN_TX ethtool -K "$1" tso off
}

# Both netns go, with what runs in them; physical NICs go back to the
# initial netns (wire_down is just this).
netns_down() {
	ip netns pids $TX_NS 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids $RX_NS 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del $TX_NS 2>/dev/null
	ip netns del $RX_NS 2>/dev/null
}
wire_down() { netns_down; }

pair_down() {
	netns_down
	echo "$PAIR_ID" >/sys/bus/netdevsim/del_device
	echo "$((PAIR_ID + 1))" >/sys/bus/netdevsim/del_device
}

# A TCP stream of BYTES checked byte for byte, tx -> rx on PORT; prints the
# receiver's "BYTES ok|bad".
stream() { # port bytes
	rm -f /tmp/stream.$1
	$IN_RX sh -c "$STREAM recv $1 >/tmp/stream.$1 2>&1 &"
	$IN_TX timeout 120 $STREAM send $RX_IP "$1" "$2" >/dev/null
	for _ in $(seq 50); do [ -s /tmp/stream.$1 ] && break; sleep 0.1; done
	cat /tmp/stream.$1
}

# BPF-CI style result lines: t NAME CMD... runs CMD, prints
# #N SUITE/NAME:OK|FAIL (SUITE: the script's name, so names stay unique
# across suites) and, on failure, CMD's output.
T_N=0 T_PASS=0 T_FAIL=0 T_SKIP=0
T_SUITE=$(basename "$0" .sh)
# one suite, run on another driver, is another suite
[ "${BPFMP_DRIVER:-netdevsim}" = netdevsim ] || T_SUITE+=".$BPFMP_DRIVER"
# a test running past this many seconds is killed and named (the watchdog)
T_LIMIT=${BPFMP_TEST_TIMEOUT:-$([ "${DEBUG:-0}" = 0 ] && echo 300 || echo 1500)}
t() {
	local name=$1 start=$SECONDS out pid rc
	shift
	T_N=$((T_N + 1))
	out=$(mktemp)
	# in a process group of its own, so the watchdog takes its children too
	set -m
	(set +m; "$@") >"$out" 2>&1 &
	pid=$!
	set +m
	while kill -0 "$pid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$T_LIMIT" ]; then
			kill -KILL -- -"$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			echo "#$T_N $T_SUITE/$name:FAIL (watchdog: killed after $T_LIMIT s)"
			sed 's/^/    /' "$out" | tail -n 20
			T_FAIL=$((T_FAIL + 1))
			rm -f "$out"
			return
		fi
		sleep 0.2
	done
	wait "$pid"
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "#$T_N $T_SUITE/$name:OK${BPFMP_TIMES:+ ($((SECONDS - start)) s)}"
		T_PASS=$((T_PASS + 1))
	else
		echo "#$T_N $T_SUITE/$name:FAIL"
		sed 's/^/    /' "$out" | tail -n 20
		T_FAIL=$((T_FAIL + 1))
	fi
	rm -f "$out"
}

# t_skip NAME REASON: a test that cannot run here, counted and explained
t_skip() {
	T_N=$((T_N + 1))
	T_SKIP=$((T_SKIP + 1))
	echo "#$T_N $T_SUITE/$1:SKIP ($2)"
}

t_summary() {
	echo "Summary: $T_PASS PASSED, $T_SKIP SKIPPED, $T_FAIL FAILED"
	[ "$T_FAIL" = 0 ]
}

# The kernel tree the test kernel was built from: beside the object tree
# build/kernel-base (DEBUG=1: build/kernel-debug) points into.  readlink -e,
# not -f: -f also resolves a link that is not there, and a DEBUG=1 run, which
# has only kernel-debug, then looked for the tree in build/.
kernel_tree() {
	local k out
	[ "${DEBUG:-0}" = 0 ] && k=build/kernel-base || k=build/kernel-debug
	if [ -n "${BPFMP_CACHE:-}" ]; then
		echo "$BPFMP_CACHE/linux"
	elif out=$(readlink -e "$k"); then
		echo "$(dirname "$out")/linux"
	else
		echo "kernel_tree: $k is not a link to a built kernel" >&2
		echo /nonexistent
	fi
}
