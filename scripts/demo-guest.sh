#!/usr/bin/env bash
# The bpfmp demo, inside the VM (make demo boots it): two netdevsim ports
# with 4 queues, a 64 MiB udmabuf as device memory, policies registered
# with bpftool, static_map (host) on queues 0-1, watermark with device
# memory on queues 2-3, traffic, and mpctl show before and after; then the
# devmem TCP receiver (examples/devmem_rx) on a queue whose policy mixes
# device memory and host pages; last, an XDP classifier hinting a queue
# whose xdp_hint policy switches providers as the traffic mix changes.
set -eu
cd "$(dirname "$0")/.."
. selftests/lib.sh
MPCTL=build/mpctl
say() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

pair_up 70 4
$IN_RX build/selftests/nltool hds "$RX_IF" on 0

say "register the policy library with stock bpftool"
run bpftool struct_ops register build/bpf/provider.bpf.o /sys/fs/bpf
run bpftool struct_ops list
say "watermark: device memory above 90% free, host pages below 80%"
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
stream 6000 $((8 << 20))
say "a stalled application on queue 2 holds 20 MiB of device memory"
# a receive window big enough for the data to pile up unread
sysctl -qw net.core.rmem_max=$((64 << 20))
$IN_RX sysctl -qw net.ipv4.tcp_rmem="4096 $((32 << 20)) $((64 << 20))"
$IN_RX sh -c "$STREAM hold 6002 60 >/dev/null 2>&1 &"
$IN_TX timeout 10 $STREAM send $RX_IP 6002 $((20 << 20)) \
	>/dev/null 2>&1 || true
say "device memory below the low mark: watermark switched queues 2-3 to host pages"
run $IN_RX $MPCTL show "$RX_IF"
$IN_RX pkill -f "stream hold 6002" || true
sleep 2
say "the application let go: device memory is free again"
run $IN_RX $MPCTL show "$RX_IF"
run $IN_RX $MPCTL detach "$RX_IF"

say "devmem TCP: examples/devmem_rx on queue 3, the 'alternate' policy mixes providers"
# devmem_rx makes a 16 MiB udmabuf and runs the attach command with
# --dmabuf-fd N appended; --flow sets up header split and steering.
run $IN_RX build/selftests/nltool hds "$RX_IF" off 0
printf '$ %s\n' "devmem_rx --port 6004 --size 16 --expect $((16 << 20)) -- mpctl attach $RX_IF --queues 3 --policy alternate --flow tcp:6004 &"
$IN_RX build/devmem_rx --port 6004 --size 16 --expect $((16 << 20)) -- \
	$MPCTL attach "$RX_IF" --queues 3 --policy alternate --flow tcp:6004 &
rx=$!
for _ in $(seq 100); do $IN_RX ss -Htln 'sport = :6004' | grep -q . && break; sleep 0.1; done
$IN_TX $STREAM send $RX_IP 6004 $((16 << 20)) >/dev/null
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
	$IN_TX $STREAM udp $RX_IP "$1" "$2"
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
pair_down
