#!/usr/bin/env bash
# The bpfmp demo, inside the VM (make demo boots it): two netdevsim ports
# with 4 queues, a 64 MiB udmabuf as device memory, policies registered
# with bpftool, static_map (host) on queues 0-1, watermark with device
# memory on queues 2-3, traffic, and mpctl show before and after; then the
# devmem TCP receiver (examples/devmem_rx) on a queue whose policy mixes
# device memory and host pages; last, an XDP classifier hinting a queue
# whose xdp_hint policy switches providers as the traffic mix changes.
#
# Every command that changes something is printed before it runs ("$ "),
# so README.md shows all of it; selftests/cli/readme.sh checks that the
# README's commands are these, in this order, and that the demo succeeds.
set -eu
cd "$(dirname "$0")/.."
. selftests/lib.sh
MPCTL=build/mpctl
say() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
# the command as one would type it: words with spaces in single quotes
cmdline() {
	local a out=
	for a; do
		case $a in *[[:space:]]*) out+=" '$a'" ;; *) out+=" $a" ;; esac
	done
	printf '$%s' "$out"
}
run() { cmdline "$@"; echo; "$@"; }
# in the background, printed with its "&"
bg() { cmdline "$@"; echo " &"; "$@" & }
# until PORT listens in the receiver's netns (not printed: a person
# typing the commands waits anyway)
listening() { for _ in $(seq 100); do $IN_RX ss -Htln "sport = :$1" | grep -q . && return; sleep 0.1; done; }

say "two netdevsim ports with 4 queues, linked as peers (pair_up in selftests/lib.sh)"
pair_up 70 4
echo "$TX_IF $TX_IP (netns $TX_NS) <-> $RX_IF $RX_IP (netns $RX_NS)"
say "header split on with hds-thresh 0, which bpfmp queues need (ethtool 6.1 cannot set it; docs/mpctl.md)"
run $IN_RX build/selftests/nltool hds "$RX_IF" on 0

say "register the policy library with stock bpftool"
run bpftool struct_ops register build/bpf/provider.bpf.o /sys/fs/bpf/bpfmp
run bpftool struct_ops list
say "watermark: device memory above 90% free, host pages below 80% (defaults 50/25)"
run $MPCTL policy set watermark high=90 low=80
run $MPCTL policy show watermark

say "attach: host pages on queues 0-1, watermark + 64 MiB device memory on 2-3"
run $IN_RX $MPCTL attach "$RX_IF" --queues 0-1 --policy static_map
run $IN_RX $MPCTL attach "$RX_IF" --queues 2-3 --policy watermark --udmabuf 64M
run $IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 6000 action 0
run $IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 6002 action 2
say "before traffic"
run $IN_RX $MPCTL show "$RX_IF"

say "8 MiB TCP stream to queue 0 (host pages), checked byte for byte"
bg $IN_RX $STREAM recv 6000
rx=$!
run $IN_TX $STREAM send $RX_IP 6000 $((8 << 20))
wait $rx
say "a stalled application on queue 2 holds 20 MiB of device memory"
say "(a receive window big enough for the data to pile up unread)"
run sysctl -qw net.core.rmem_max=$((64 << 20))
run $IN_RX sysctl -qw net.ipv4.tcp_rmem="4096 $((32 << 20)) $((64 << 20))"
bg $IN_RX $STREAM hold 6002 60
listening 6002
# the sender stalls once the window is full: 10 s is enough to fill it
run $IN_TX timeout 10 $STREAM send $RX_IP 6002 $((20 << 20)) || true
say "device memory below the low mark: watermark switched queues 2-3 to host pages"
run $IN_RX $MPCTL show "$RX_IF"
run $IN_RX pkill -f "stream hold 6002"
wait 2>/dev/null || true
sleep 2
say "the application let go: device memory is free again"
run $IN_RX $MPCTL show "$RX_IF"
run $IN_RX $MPCTL detach "$RX_IF"

say "devmem TCP: examples/devmem_rx on queue 3, the 'alternate' policy mixes providers"
# devmem_rx makes a 16 MiB udmabuf and runs the attach command with
# --dmabuf-fd N appended; --flow sets up header split and steering.
run $IN_RX build/selftests/nltool hds "$RX_IF" off 0
bg $IN_RX build/devmem_rx --port 6004 --size 16M --expect 16M -- \
	$MPCTL attach "$RX_IF" --queues 3 --policy alternate --flow tcp:6004
rx=$!
run $IN_TX $STREAM send $RX_IP 6004 $((16 << 20))
wait $rx
run $IN_RX $MPCTL show "$RX_IF"
run $IN_RX $MPCTL detach "$RX_IF"

say "XDP hints: the classifier marks UDP 6101 as device-memory traffic, xdp_hint follows"
run $IN_RX build/selftests/nltool hds "$RX_IF" on 0
run $IN_RX $MPCTL xdp attach "$RX_IF" --port 6101
run $IN_RX $MPCTL attach "$RX_IF" --queues 1 --policy xdp_hint --udmabuf 16M
run $IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 6101 action 1
run $IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 6102 action 1
udp() { # port n: n datagrams of 1200 bytes
	run $IN_TX $STREAM udp $RX_IP "$1" "$2"
	sleep 1
}
say "300 datagrams to 6101 (device-memory traffic): refills come from device memory"
udp 6101 300
run $IN_RX $MPCTL show "$RX_IF"
say "300 datagrams to 6102 (host traffic): the next refills are host pages"
udp 6102 300
run $IN_RX $MPCTL show "$RX_IF"
say "back to 6101: device memory again"
udp 6101 300
run $IN_RX $MPCTL show "$RX_IF"
run $IN_RX $MPCTL detach "$RX_IF"
run $IN_RX $MPCTL xdp detach "$RX_IF"
run $MPCTL policy unload --all
pair_down
