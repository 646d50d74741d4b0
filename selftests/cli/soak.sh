#!/usr/bin/env bash
# The soak (make soak; not in make test: too long for it under TCG).
# BPFMP_SOAK cycles (1000) on a netdevsim pair with four RX queues: queues
# 0, 1 and 3 attached with device memory, detached, attached host only,
# detached, under UDP traffic spread over all queues by RSS, while a
# second process runs byte-checked devmem TCP streams into queue 2 (each
# attaching and detaching it with its own dma-buf) and a third dumps
# queue-get in a loop.  Then: every stream intact, no pool waiting, no
# dma-buf, slab back within 2 MiB, and a kmemleak scan clean where the
# kernel has kmemleak (DEBUG=1 make soak).
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh

N=${BPFMP_SOAK:-1000}

# what kmemleak finds from before (boot) is not the soak's: scan, forget
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
fi
link_up 62 4 || { t_skip all "no netdevsim pair"; t_summary; exit; }
$IN_RX $NLTOOL hds "$RX_IF" on 0 >/dev/null
IFX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)
t soak_policy_load	$MPCTL policy load build/bpf/provider.bpf.o
for q in 0 1 2 3; do
	bpftool map update name static_queues key $(le32 "$IFX") $(le32 $q) value 1 0 0 0
done

# queues 0, 1, 3: N cycles of device memory (a fresh 1 MiB udmabuf each),
# then host only, one netlink request per step (nltool cycle: with an mpctl
# exec per step, the first 1000-cycle run had not ended after 65 minutes
# under TCG); its progress goes to the suite's log as it comes (fd 3), for
# "tail -f build/soak-results/soak.log"
exec 3>&1
cycler() {
	$IN_RX $NLTOOL cycle "$RX_IF" 0,1,3 static_map "$N" 256 >&3
}
# queue 2: devmem streams, one after another, until the cycler is done
streamer() { # cycler-pid
	local k=0 port
	while kill -0 "$1" 2>/dev/null; do
		k=$((k + 1)) port=$((5900 + k % 50))
		devrx_start "$port" --size 16M --expect $((2 * MB)) -- \
			$MPCTL attach "$RX_IF" --queues 2 --policy static_map --flow tcp:"$port" ||
			{ echo "stream $k: devmem_rx did not start"; return 1; }
		send "$port" $((2 * MB)) || { echo "stream $k: send failed"; kill $DEVRX_PID; }
		devrx_wait "$port" >/tmp/soak.stream && ok_line "$port" ||
			{ cat /tmp/soak.stream; echo "stream $k: not intact"; return 1; }
		[ "$(result device "$port")" -gt 0 ] || { echo "stream $k: no device bytes"; return 1; }
		$IN_RX $MPCTL detach "$RX_IF" --queues 2 >/dev/null ||
			{ echo "stream $k: detach of queue 2 failed"; return 1; }
	done
	echo "$k devmem streams of 2 MiB, each byte checked" >&3
}
soak() {
	local s0 s1 cyc str dump traffic rc=0
	s0=$(slab_kb)
	$IN_TX sh -c "while :; do $STREAM udp $RX_IP 5740 3000; sleep 0.5; done >/dev/null 2>&1" &
	traffic=$!
	cycler & cyc=$!
	streamer $cyc & str=$!
	(while kill -0 $cyc 2>/dev/null; do
		$IN_RX $MPCTL show "$RX_IF" --json >/dev/null || exit 1
	done) & dump=$!
	wait $cyc || rc=1
	wait $str || rc=1
	wait $dump || { echo "the queue-get dumper failed"; rc=1; }
	kill $traffic 2>/dev/null; pkill -f "udp $RX_IP 5740"
	all_released || { echo "pools still waiting or dma-bufs left"; rc=1; }
	[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 0 ] || { echo "queues left attached"; rc=1; }
	s1=$(slab_kb)
	echo "$N cycles: slab $s0 kB -> $s1 kB" >&3
	[ $((s1 - s0)) -lt 2048 ] || rc=1
	return $rc
}
T_LIMIT=$((N * 12 + 600)) t soak_cycles	soak

kmemleak() {
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	if grep -q . /sys/kernel/debug/kmemleak; then
		head -n 40 /sys/kernel/debug/kmemleak
		return 1
	fi
	echo "kmemleak: no leak reported"
}
if [ -e /sys/kernel/debug/kmemleak ]; then
	t soak_kmemleak	kmemleak
else
	t_skip soak_kmemleak "no kmemleak in this kernel (DEBUG=1 make soak)"
fi
# the library's every policy: the runner counts the programs left behind
$MPCTL policy unload --all >/dev/null 2>&1
link_down 2>/dev/null
t_summary
