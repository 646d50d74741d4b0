#!/usr/bin/env bash
# The e1000e part of the demo ("make demo DRIVER=e1000e" boots a VM with
# two e1000e NICs on one QEMU hub): devmem TCP through a real driver.  The
# receiver's one RX queue gets static_map's device verdict and a 16 MiB
# udmabuf; QEMU's 82574L model splits each frame and DMAs the payload into
# the udmabuf's pages itself; examples/devmem_rx checks every byte through
# the udmabuf's memfd.  Commands are printed before they run ("$ ").
set -eu
cd "$(dirname "$0")/.."
. selftests/lib.sh
MPCTL=build/mpctl
say() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
run() { printf '$'; printf ' %s' "$@"; echo; "$@"; }

say "two e1000e NICs on one QEMU hub, one per netns (wire_up in selftests/lib.sh)"
wire_up
echo "$TX_IF $TX_IP (netns $TX_NS) <-> $RX_IF $RX_IP (netns $RX_NS)"
say "header split: the device writes headers and payload to separate buffers"
run $IN_RX build/selftests/nltool hds "$RX_IF" on 0
run $MPCTL policy load build/bpf/provider.bpf.o
run $IN_RX $MPCTL policy set static_map "$RX_IF:0=device"

say "devmem TCP: devmem_rx makes the udmabuf, mpctl binds it to queue 0"
printf '$ %s &\n' "$IN_RX build/devmem_rx --port 6200 --size 16M --expect 16M -- $MPCTL attach $RX_IF --queues 0 --policy static_map"
$IN_RX build/devmem_rx --port 6200 --size 16M --expect 16M -- \
	$MPCTL attach "$RX_IF" --queues 0 --policy static_map &
rx=$!
for _ in $(seq 100); do $IN_RX ss -Htln "sport = :6200" | grep -q . && break; sleep 0.1; done
run $IN_TX $STREAM send $RX_IP 6200 $((16 << 20))
wait $rx
run $IN_RX $MPCTL show "$RX_IF"
say "the driver's counters: frames split by the device, none dropped for device memory"
$IN_RX ethtool -S "$RX_IF" | grep -E 'rx_header_split|rx_devmem'
run $IN_RX $MPCTL detach "$RX_IF"
run $MPCTL policy unload --all
wire_down
