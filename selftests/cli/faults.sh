#!/usr/bin/env bash
# Faults a memory provider owes its users, each checked byte for byte and
# for leftovers: the last put of a binding (a page_pool draining after its
# tokens come back, on a workqueue) racing other attaches, over and over
# (DEBUG_LIST, and KASAN on the DEBUG kernel, catch a shared list edited
# without its lock); queue restarts while the reader holds tokens; one
# binding shared by two queues; privilege and namespaces; allocation
# failures (fault injection: a refused attach changes nothing, a short
# refill is counted and the stream survives); churn; the receiver's netns
# deleted mid stream.
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

# --- allocation failures (fault injection, docs/harness.md) ---
# failslab, fail_page_alloc and fail_function, each narrowed to bpfmp:
# a stacktrace filter (the function whose code must be on the stack),
# /proc/PID/fail-nth (one process), and
# fail_function on bpfmp's ALLOW_ERROR_INJECTION sites.
FI=/sys/kernel/debug
fi_have() {
	[ -e $FI/failslab/require-start ] && [ -d $FI/fail_page_alloc ] &&
		[ -e $FI/fail_function/inject ] && [ -e /proc/self/fail-nth ]
}
fi_set() { echo "$3" >"$FI/$1/$2"; }	# attr file value
fi_reset() {
	local a
	echo >$FI/fail_function/inject
	for a in failslab fail_page_alloc fail_function; do
		fi_set $a probability 0
		fi_set $a times 1
		fi_set $a space 0
		fi_set $a interval 1
		fi_set $a task-filter N
		fi_set $a verbose 1
		fi_set $a require-start 0
		fi_set $a require-end 0xffffffffffffffff
	done
	fi_set failslab ignore-gfp-wait Y
	fi_set fail_page_alloc ignore-gfp-wait Y
	fi_set fail_page_alloc ignore-gfp-highmem Y
	fi_set fail_page_alloc min-order 1
}
# "START END" of kernel function $1: its address and the next one up
ksym_range() {
	LC_ALL=C sort /proc/kallsyms | LC_ALL=C awk -v f="$1" '
		s != "" && $1 > s { print "0x" s, "0x" $1; exit }
		$3 == f && s == "" { s = $1 }'
}
# what a refused attach must leave as it found it: the bpf-mp dump, the
# page pools (how many, none waiting), dma-bufs, BPF objects
fi_state() {
	local pools
	pools=$($IN_RX $NLTOOL pools-all "$RX_IF" 2>&1)
	$IN_RX $MPCTL show "$RX_IF" --json
	echo "pools $(echo "$pools" | grep -c '^queue') waiting $(echo "$pools" | grep -c 'detached 1')"
	echo "dmabufs $(dmabufs)"
	$NLTOOL bpf-count
}
fi_state_is() { # state: dma-bufs and pools go asynchronously
	for _ in $(seq $((50 * SLOW))); do
		[ "$(fi_state)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "state before:"; echo "$1"
	echo "state after:"; fi_state
	return 1
}
# mpctl attach (netdevsim's queues 1-2, e1000e's one queue; 64K of device
# memory: 16 pages keep the dma-buf's scatterlist, and so the sweep below,
# short) in a process of its own that first runs CMD on itself (its
# fail-nth)
if [ "$DRIVER" = netdevsim ]; then FI_Q=1-2 FI_NQ=2; else FI_Q=0 FI_NQ=1; fi
fi_attach() { # shell-command
	$IN_RX sh -c "$1"' && exec "$@"' sh $MPCTL attach "$RX_IF" --queues $FI_Q \
		--policy static_map --udmabuf 64K 2>&1
}
# ENOMEM, or what the kernel's extack says instead (mpctl then prints
# only that: devmem's "Failed to bind dmabuf to device" for a failing
# dma-buf attachment)
enomem() {
	[[ $1 == "mpctl: attach $RX_IF "*"Cannot allocate memory"* ]] ||
		[[ $1 == "mpctl: attach $RX_IF "*": Kernel error: '"* ]]
}

# fail_function on one of bpfmp's own allocations, made by the attach
# only: the attach is refused with ENOMEM and nothing changed.  Not
# task-filter: on x86 without ftrace a kprobe handler runs from int3, as
# an NMI, where in_task() is false, so a task filter never matches; the
# stacktrace filter (bpf_mp_nl_attach_doit on the stack) scopes it.
attach_fail_function() { # function call-to-fail
	local fn=$1 nth=$2 base out rc left range
	detach >/dev/null 2>&1
	base=$(fi_state)
	range=$(ksym_range bpf_mp_nl_attach_doit)
	[ -n "$range" ] || { echo "no bpf_mp_nl_attach_doit in /proc/kallsyms"; return 1; }
	echo "$fn" >$FI/fail_function/inject || return 1
	fi_set fail_function require-start "${range% *}"
	fi_set fail_function require-end "${range#* }"
	fi_set fail_function space "$nth"	# size 1 per call: call NTH fails
	fi_set fail_function times 1
	fi_set fail_function probability 100
	out=$(fi_attach true)
	rc=$?
	left=$(cat $FI/fail_function/times)
	fi_reset
	echo "$fn, call $nth failing: $out (exit $rc, failures left $left)"
	[ "$rc" != 0 ] && [ "$left" = 0 ] && enomem "$out" || return 1
	fi_state_is "$base"
}

# The call chain of the last failure injected (with verbose 2, which
# dumps its stack), innermost first, on one line
fi_trace() {
	dmesg | awk '
		/FAULT_INJECTION: forcing a failure/ { t = ""; on = 1; next }
		on && /<\/TASK>/ { on = 0; next }
		on && match($0, /[A-Za-z_][A-Za-z0-9_.]*\+0x/) {
			t = t (t == "" ? "" : " < ") substr($0, RSTART, RLENGTH - 3)
		}
		END { print t }'
}

# Allocation N refused the attach with the wrong errno: the same again,
# with the stack of the failure, for the message
fi_why() { # n output
	local a
	detach >/dev/null 2>&1
	for a in failslab fail_page_alloc; do
		fi_set $a verbose 2
		fi_set $a times 1
	done
	fi_attach "echo $1 >/proc/self/fail-nth" >/dev/null
	echo "allocation $1: $2, under: $(fi_trace)"
	detach >/dev/null 2>&1
}

# Every slab and page allocation an attach makes (binding, dma-buf
# mapping, genpool, page pools, queue restarts), failed one at a time:
# the N-th allocation made with bpf_mp_nl_attach_doit on the stack in
# the mpctl process (fail-nth) fails.  Each attach is refused with ENOMEM
# and leaves nothing, or absorbs the failure and attaches both queues;
# the sweep ends at the first N past the attach's last allocation.  Each
# of the first 64 (the binding, the dma-buf mapping, the genpool, the
# queues' page pools), then N grows by a quarter each step: the rest are
# the rings' fills, a buffer each (hundreds on e1000e).  verbose 1: a line
# per failure, no stack (hundreds of stacks would wrap the kernel log the
# runner's gates read); a wrong errno is tried again with verbose 2 for
# its call chain.
attach_fail_nth() {
	local range n out rc hit base refused=0 absorbed=0 max=${BPFMP_FAULT_SWEEP:-2000} a done=0
	detach >/dev/null 2>&1
	range=$(ksym_range bpf_mp_nl_attach_doit)
	[ -n "$range" ] || { echo "no bpf_mp_nl_attach_doit in /proc/kallsyms"; return 1; }
	for a in failslab fail_page_alloc; do
		fi_set $a require-start "${range% *}"
		fi_set $a require-end "${range#* }"
		fi_set $a ignore-gfp-wait N
	done
	fi_set fail_page_alloc ignore-gfp-highmem N
	fi_set fail_page_alloc min-order 0
	base=$(fi_state)
	local budget=$((SECONDS + ${BPFMP_FAULT_SWEEP_S:-$((T_LIMIT - 60))}))
	for n in $(seq 64) $(awk -v m="$max" 'BEGIN { for (n = 80; n <= m; n += int(n / 4)) print n }'); do
		[ $SECONDS -lt $budget ] || { echo "allocation $n: out of time (the sweep is cut short)"; break; }
		fi_set failslab times 1
		fi_set fail_page_alloc times 1
		out=$(fi_attach "echo $n >/proc/self/fail-nth")
		rc=$?
		hit=$((2 - $(cat $FI/failslab/times) - $(cat $FI/fail_page_alloc/times)))
		if [ "$rc" = 0 ]; then
			[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = $FI_NQ ] ||
				{ echo "allocation $n: attach succeeded without its queues"; break; }
			detach >/dev/null || { echo "allocation $n: detach failed"; break; }
			[ "$hit" = 0 ] && { done=1; break; }
			absorbed=$((absorbed + 1))
		else
			[ "$hit" = 1 ] || { echo "allocation $n: refused with no fault injected: $out"; break; }
			enomem "$out" || { fi_why "$n" "$out"; break; }
			refused=$((refused + 1))
		fi
		fi_state_is "$base" || { echo "allocation $n: $out"; break; }
	done
	fi_reset
	echo "attach fault sweep: allocations 1-64, then 80, 100, ... to $n failed one at a time:" \
		"$refused refused with ENOMEM, $absorbed absorbed" | tee /tmp/faults-sweep
	[ "$done" = 1 ] && [ "$n" -gt 1 ] && fi_state_is "$base"
}

rxstat() { nic_stat "rx2_$1"; }
steer() { $IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port "$1" action 2 >/dev/null; }
unsteer() {
	local id
	for id in $($IN_RX ethtool -n "$RX_IF" | awk '/^Filter:/ { print $2 }'); do
		$IN_RX ethtool -N "$RX_IF" delete "$id"
	done
}

# A device refill that finds no memory (fail_function on the provider's
# alloc_netmems, TIMES times, from NAPI): without --strict the buffers
# come from host pages, counted fallback-exhausted; with --strict the
# refill comes up short (strict-short, netdevsim's rx2_alloc_fail).  The
# devmem stream is intact either way.
refill_device_short() { # port [--strict]
	local port=$1 strict=${2:-} times=4 left af0 af1 d0 d1 rc=0
	detach >/dev/null 2>&1
	verdict_dev 2
	devrx_start "$port" --size 16M --hold 64M --expect $((4 * MB)) -- \
		$MPCTL attach "$RX_IF" --queues 2 --policy static_map $strict || return 1
	steer "$port"
	af0=$(rxstat alloc_fail) d0=$(rxstat drops)
	echo bpf_mp_pp_alloc >$FI/fail_function/inject || return 1
	fi_set fail_function times $times
	fi_set fail_function probability 100
	send "$port" $((4 * MB)) || rc=1
	left=$(cat $FI/fail_function/times)
	fi_reset
	devrx_wait "$port" && ok_line "$port" || rc=1
	af1=$(rxstat alloc_fail) d1=$(rxstat drops)
	qfields 2 fallback_exhausted strict_short bufs_device bufs_host
	echo "failures left $left; rx2 alloc_fail $af0 -> $af1, drops $d0 -> $d1"
	[ "$left" = 0 ] || rc=1
	if [ -z "$strict" ]; then
		[ "$Q_fallback_exhausted" -ge $times ] && [ "$Q_strict_short" = 0 ] || rc=1
	else
		[ "$Q_strict_short" -ge $times ] && [ "$Q_fallback_exhausted" = 0 ] &&
			[ "$af1" -gt "$af0" ] && [ "$(result host "$port")" = 0 ] || rc=1
	fi
	unsteer
	detach || rc=1
	all_released || rc=1
	return $rc
}

# Host pages that cannot be had (fail_page_alloc, only for allocations
# made under bpf_mp_refill(), TIMES times, from NAPI): the refill comes up
# short (rx2_alloc_fail), frames find no buffer, TCP recovers.
refill_host_short() {
	local port=5763 times=4 range out left af0 af1 d0 d1 rc=0
	detach >/dev/null 2>&1
	bpftool map update name static_queues key $(le32 "$IFX") $(le32 2) value 0 0 0 0
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy static_map >/dev/null || return 1
	steer $port
	range=$(ksym_range bpf_mp_refill)
	[ -n "$range" ] || { echo "no bpf_mp_refill in /proc/kallsyms"; return 1; }
	fi_set fail_page_alloc require-start "${range% *}"
	fi_set fail_page_alloc require-end "${range#* }"
	fi_set fail_page_alloc min-order 0
	fi_set fail_page_alloc times $times
	af0=$(rxstat alloc_fail) d0=$(rxstat drops)
	fi_set fail_page_alloc probability 100
	out=$(stream $port $((2 * MB)))
	left=$(cat $FI/fail_page_alloc/times)
	fi_reset
	af1=$(rxstat alloc_fail) d1=$(rxstat drops)
	qfields 2 bufs_host bufs_device refills_host
	echo "stream: $out; failures left $left; rx2 alloc_fail $af0 -> $af1, drops $d0 -> $d1"
	[ "$out" = "$((2 * MB)) ok" ] && [ "$left" = 0 ] && [ "$af1" -gt "$af0" ] || rc=1
	unsteer
	detach || rc=1
	all_released || rc=1
	return $rc
}

if fi_have; then
	fi_reset
	t attach_fail_queue_alloc	attach_fail_function bpf_mp_queue_alloc $FI_NQ
	t attach_fail_binding_alloc	attach_fail_function bpf_mp_binding_alloc 1
	t attach_fail_stack_alloc	attach_fail_function bpf_mp_stack_alloc 1
	T_LIMIT=$((T_LIMIT * 3)) t attach_fail_nth	attach_fail_nth
	cat /tmp/faults-sweep 2>/dev/null
	if [ "$DRIVER" = netdevsim ]; then
		t refill_device_short	refill_device_short 5761
		t refill_device_short_strict	refill_device_short 5762 --strict
		t refill_host_short	refill_host_short
	else
		for n in refill_device_short refill_device_short_strict refill_host_short; do
			t_skip $n "netdevsim only: counts its rx2_alloc_fail and steers with ntuple, which e1000e has not"
		done
	fi
	fi_reset
else
	for n in attach_fail_queue_alloc attach_fail_binding_alloc attach_fail_stack_alloc \
		attach_fail_nth refill_device_short refill_device_short_strict refill_host_short; do
		t_skip $n "no fault injection in this kernel (failslab, fail_page_alloc, fail_function, stacktrace filter)"
	done
fi

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

# The receiver's netns deleted while a devmem stream flows into the device-memory queue
# and the application holds its tokens: the netns lives on in the
# application; killing it (the socket dies with the tokens) ends the
# netns, and the device comes back to the initial netns still attached
# (an attachment follows its device across netns, docs/core.md) with no
# pool waiting; detaching it there releases the dma-buf.
netns_deleted_mid_stream() {
	local port=5765 sender dev i out before now rc=0
	detach >/dev/null 2>&1
	verdict_dev $DQ
	devrx_start $port --size 16M --hold 64M --linger --expect $((4 * MB)) -- \
		$MPCTL attach "$RX_IF" --queues $DQ --policy static_map || return 1
	[ "$DRIVER" = netdevsim ] && steer $port
	$IN_TX timeout $((60 * SLOW)) $STREAM send $RX_IP $port $((4 * MB)) 16 >/dev/null 2>&1 &
	sender=$!
	wait_field $DQ bufs_device 64 || rc=1
	before=$(qfield $DQ bufs_device)
	ip netns del $RX_NS || return 1
	# the netns, now without a name, as devmem_rx sees it: still receiving
	for i in $(seq $((100 * SLOW))); do
		now=$(nsenter -t $DEVRX_PID -n $MPCTL show "$RX_IF" --json |
			jq -r '.[] | select(.queue == '$DQ') | .bufs_device')
		[ "${now:-0}" -gt "$before" ] && break
		sleep 0.1
	done
	echo "device buffers $before before the netns was deleted, ${now:-?} after"
	[ "${now:-0}" -gt "$before" ] || rc=1
	kill -0 $DEVRX_PID || { echo "devmem_rx died when its netns name went"; rc=1; }
	kill -KILL $DEVRX_PID
	wait $DEVRX_PID 2>/dev/null
	wait $sender 2>/dev/null
	for i in $(seq $((300 * SLOW))); do
		if [ "$DRIVER" = netdevsim ]; then
			dev=$(ls /sys/bus/netdevsim/devices/netdevsim$((PAIR_ID + 1))/net/ 2>/dev/null)
		else
			dev=$(if_by_mac $E1000E_RX_MAC)
		fi
		[ -n "$dev" ] && [ -e /sys/class/net/"$dev" ] && break
		dev=
		sleep 0.1
	done
	[ -n "$dev" ] || { echo "the device never came back to the initial netns"; return 1; }
	echo "back in the initial netns as $dev"
	out=$($MPCTL show "$dev" --json)
	echo "$out"
	[ "$(echo "$out" | jq '[.[] | select(.queue == '$DQ')] | length')" = 1 ] || rc=1
	for i in $(seq $((100 * SLOW))); do
		! $NLTOOL pools-all "$dev" | grep -q 'detached 1' && break
		sleep 0.1
	done
	$NLTOOL pools-all "$dev" | grep 'detached 1' && { echo "a pool still waits for buffers"; rc=1; }
	[ "$(dmabufs)" = 1 ] || { echo "dma-bufs: $(dmabufs), the attachment's one expected"; rc=1; }
	$MPCTL detach "$dev" >/dev/null || rc=1
	for i in $(seq $((100 * SLOW))); do
		[ "$(dmabufs)" = 0 ] && ! $NLTOOL pools-all "$dev" | grep -q 'detached 1' && break
		sleep 0.1
	done
	[ "$(dmabufs)" = 0 ] || { echo "dma-bufs left: $(dmabufs)"; rc=1; }
	[ "$($MPCTL show --json | jq length)" = 0 ] || { $MPCTL show; rc=1; }
	return $rc
}
t netns_deleted_mid_stream	netns_deleted_mid_stream

[ -z "$OTHER_IF" ] || echo "$OTHER" >/sys/bus/netdevsim/del_device
unload_all
link_down 2>/dev/null
t_summary
