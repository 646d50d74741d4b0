#!/bin/bash
# The VM side of "make bench" (scripts/bench/run.sh boots the VM and turns
# what this writes into tables; docs/bench.md says what each figure is).
#
#   guest.sh OUTDIR full|smoke [PART...]
#
# BPFMP_DRIVER=e1000e (a VM booted with "scripts/vm --e1000e"): the e2e
# part on the two e1000e NICs, into e2e.e1000e.txt.
#
# Four parts, each writing raw samples (one line per sample) to OUTDIR:
#   refill.txt   the in-kernel refill microbenchmark (debugfs bpf_mp_bench)
#   e2e.txt      TCP streams and UDP bursts across a netdevsim pair
#   scale.txt    attach and detach of 1, 8, 64 queues: time, slab growth
#   latency.txt  refill batches served by the old policy after a map update
# Every part interleaves its variants inside each repeat, so a ratio of two
# variants compares samples taken under the same conditions.
set -euo pipefail
out=$1 mode=${2:-full}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. selftests/lib.sh
. selftests/cli/devmem_lib.sh
sfx=
[ "$DRIVER" = netdevsim ] || sfx=.$DRIVER
BENCH=/sys/kernel/debug/bpf_mp_bench
if [ "$mode" = smoke ]; then
	R_REPS=2 R_BUFS=256 E_REPS=1 E_BYTES=$((2 * MB)) E_UDP=200 S_REPS=1 S_SIZES="1 8" L_REPS=1
else
	R_REPS=9 R_BUFS=8192 E_REPS=3 E_BYTES=$((8 * MB)) E_UDP=2000 S_REPS=3 S_SIZES="1 8 64" L_REPS=3
fi
say() { echo "bench: $*" >&2; }
ns_now() { date +%s%N; }
# busy jiffies of the whole VM (user+nice+system+irq+softirq), both ends
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

refill() {
	local ifc ifindex rx cs
	[ -e $BENCH ] || { say "$BENCH missing (kernel without CONFIG_BPF_MP_BENCH)"; return 1; }
	# a cell lasts micro- to milliseconds: a jiffies clock reads most as 0
	cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
	echo "$cs" >"$out/clocksource"
	case $cs in
	*jiffies*) say "refill: the clocksource is $cs: cells shorter than a tick would read 0 ns"; return 1 ;;
	esac
	echo "97 1 4" >/sys/bus/netdevsim/new_device
	udevadm settle 2>/dev/null || sleep 0.5
	ifc=$(ls /sys/bus/netdevsim/devices/netdevsim97/net/)
	ip link set "$ifc" up
	$NLTOOL hds "$ifc" on 0
	# queue 2: bpfmp with device memory, a BPF policy that says host
	# (static_map without an entry); queue 3: upstream's bind-rx
	$MPCTL attach "$ifc" --queues 2 --policy static_map --udmabuf 16M >/dev/null
	# devmem_rx makes the udmabuf and runs bind-rx with it; nltool keeps
	# the binding while devmem_rx waits for a stream that never comes
	$DEVRX --port 5999 --size 16M --no-check -- $NLTOOL bind-rx "$ifc" 3 >"$out/bind.log" 2>&1 &
	rx=$!
	for _ in $(seq 100); do grep -q '^listening' "$out/bind.log" && break; sleep 0.1; done
	grep -q '^listening' "$out/bind.log" || { cat "$out/bind.log" >&2; return 1; }
	ifindex=$(cat /sys/class/net/"$ifc"/ifindex)
	say "refill: $R_REPS repeats of $R_BUFS buffers per cell"
	echo "$ifindex 2 3 $R_REPS $R_BUFS" >$BENCH
	# variant mode batch repeat ns buffers
	cat $BENCH >"$out/refill.txt"
	kill $rx 2>/dev/null || true
	wait $rx 2>/dev/null || true
	$MPCTL detach "$ifc" >/dev/null
	echo 97 >/sys/bus/netdevsim/del_device
}

# One TCP stream of E_BYTES into the receiver by variant; prints
# "ns busy_jiffies".
e2e_tcp() { # variant port
	local v=$1 port=$2 t0 t1 b0 loc=
	case $v in
	none | host)
		rm -f /tmp/stream."$port"
		$IN_RX sh -c "$STREAM recv $port >/tmp/stream.$port 2>&1 &"
		sleep 0.2
		;;
	bpfmp_devmem)
		devrx_start "$port" --size 16M --expect $E_BYTES -- \
			$MPCTL attach "$RX_IF" --queues $DQ --policy static_map $(flow "$port") >/dev/null
		;;
	upstream_devmem)
		[ "$DRIVER" = netdevsim ] &&
			loc=$($IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port "$port" action $DQ |
				awk '/Added rule with ID/ { print $NF }')
		devrx_start "$port" --size 16M --expect $E_BYTES -- $NLTOOL bind-rx "$RX_IF" $DQ >/dev/null
		;;
	esac
	b0=$(busy) t0=$(ns_now)
	$IN_TX timeout 300 $STREAM send $RX_IP "$port" $E_BYTES >/dev/null
	t1=$(ns_now)
	echo "$((t1 - t0)) $(($(busy) - b0))"
	case $v in
	none | host)
		for _ in $(seq 50); do [ -s /tmp/stream."$port" ] && break; sleep 0.1; done
		grep -q "^$E_BYTES ok" /tmp/stream."$port" || { say "$v: $(cat /tmp/stream."$port")"; return 1; }
		;;
	bpfmp_devmem)
		devrx_wait "$port" >/dev/null && ok_line "$port" && [ "$(result device "$port")" -gt 0 ] ||
			{ say "$v: $(cat /tmp/devrx."$port")"; return 1; }
		detach >/dev/null
		;;
	upstream_devmem)
		devrx_wait "$port" >/dev/null && ok_line "$port" ||
			{ say "$v: $(cat /tmp/devrx."$port")"; return 1; }
		pkill -f "nltool bind-rx" || true
		[ -z "$loc" ] || $IN_RX ethtool -N "$RX_IF" delete "$loc"
		;;
	esac
}

# E_UDP datagrams of 64 bytes; prints "ns received".
e2e_udp() {
	local t0 t1 p0
	p0=$($IN_RX cat /sys/class/net/"$RX_IF"/statistics/rx_packets)
	t0=$(ns_now)
	$IN_TX $STREAM udp $RX_IP 5900 $E_UDP 64
	t1=$(ns_now)
	echo "$((t1 - t0)) $(($($IN_RX cat /sys/class/net/"$RX_IF"/statistics/rx_packets) - p0))"
}

e2e() {
	local r v res bad=0 port=6000 all=0-3
	link_up 80 4
	# bpfmp and bind-rx need header split; every variant runs with it on
	$IN_RX $NLTOOL hds "$RX_IF" on 0
	# one RX queue on e1000e (no --flow)
	[ "$DRIVER" = netdevsim ] || all=0
	say "e2e: $E_REPS repeats of a $((E_BYTES / MB)) MiB TCP stream, $E_UDP UDP datagrams"
	# variant kind repeat ns busy_jiffies|received bytes|sent
	for r in $(seq "$E_REPS"); do
		for v in none host bpfmp_devmem upstream_devmem; do
			# host: every queue on bpfmp, static_map with no entry (host)
			[ $v = host ] && $IN_RX $MPCTL attach "$RX_IF" --queues $all --policy static_map >/dev/null
			[ $v = bpfmp_devmem ] && $IN_RX $MPCTL policy set static_map "$RX_IF:$DQ=device" >/dev/null
			port=$((port + 1))
			# a failed sample is said and left out, never counted
			if res=$(e2e_tcp $v $port); then
				echo "$v tcp $r $res $E_BYTES" >>"$out/e2e$sfx.txt"
			else
				bad=1
			fi
			if [ $v = none ] || [ $v = host ]; then
				echo "$v udp $r $(e2e_udp) $E_UDP" >>"$out/e2e$sfx.txt"
			fi
			[ $v = host ] && detach >/dev/null
			[ $v = bpfmp_devmem ] && $IN_RX $MPCTL policy set static_map "$RX_IF:$DQ=host" >/dev/null
		done
	done
	link_down
	return $bad
}

# Attach N queues of a 64-queue netdevsim port, then detach them.
scale() {
	local r n ifc t0 t1 t2 s0 s1
	echo "91 1 64" >/sys/bus/netdevsim/new_device
	udevadm settle 2>/dev/null || sleep 0.5
	ifc=$(ls /sys/bus/netdevsim/devices/netdevsim91/net/)
	ip link set "$ifc" up
	$NLTOOL hds "$ifc" on 0
	say "scale: $S_REPS repeats of $S_SIZES queues"
	slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
	# queues repeat attach_ns detach_ns slab_kib
	for r in $(seq "$S_REPS"); do
		for n in $S_SIZES; do
			s0=$(slab) t0=$(ns_now)
			$MPCTL attach "$ifc" --queues 0-$((n - 1)) --policy static_map >/dev/null
			t1=$(ns_now)
			s1=$(slab)
			$MPCTL detach "$ifc" >/dev/null
			t2=$(ns_now)
			echo "$n $r $((t1 - t0)) $((t2 - t1)) $((s1 - s0))" >>"$out/scale.txt"
		done
	done
	echo 91 >/sys/bus/netdevsim/del_device
}

# Traffic stopped, flip queue 2's static_map entry, send again: how many
# refill batches after the update still follow the old entry.
latency() {
	local r to from h0 d0
	pair_up 84 4
	$IN_RX $NLTOOL hds "$RX_IF" on 0
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5901 action 2 loc 7 >/dev/null
	$IN_RX $MPCTL policy set static_map "$RX_IF:2=host" >/dev/null
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy static_map --udmabuf 16M >/dev/null
	$IN_TX $STREAM udp $RX_IP 5901 300 1200
	say "latency: $L_REPS repeats"
	# repeat from to old_batches new_batches
	for r in $(seq "$L_REPS"); do
		for to in device host; do
			[ $to = device ] && from=host || from=device
			$IN_RX $MPCTL policy set static_map "$RX_IF:2=$to" >/dev/null
			qfields 2 refills_host refills_device >/dev/null
			h0=$Q_refills_host d0=$Q_refills_device
			$IN_TX $STREAM udp $RX_IP 5901 300 1200
			sleep 0.5
			qfields 2 refills_host refills_device >/dev/null
			if [ $to = device ]; then
				echo "$r $from $to $((Q_refills_host - h0)) $((Q_refills_device - d0))"
			else
				echo "$r $from $to $((Q_refills_device - d0)) $((Q_refills_host - h0))"
			fi >>"$out/latency.txt"
		done
	done
	detach >/dev/null
	pair_down
}

parts=${*:3}
[ -n "$parts" ] || parts="refill e2e scale latency"
mkdir -p "$out"
for part in $parts; do rm -f "$out/$part$sfx.txt"; done
[ -n "$sfx" ] || { uname -r; nproc; } >"$out/kernel.txt"
$MPCTL policy load build/bpf/provider.bpf.o >/dev/null
rc=0
for part in $parts; do
	t0=$SECONDS
	if ! $part; then
		say "$part: FAILED"
		rc=1
	fi
	say "$part: $((SECONDS - t0)) s"
done
$MPCTL policy unload --all >/dev/null
exit $rc
