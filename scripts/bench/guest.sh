#!/bin/bash
# Runs inside the test VM (scripts/bench.sh boots it): one netdevsim port
# with 4 queues in the initial netns, queue 2 attached to bpfmp (static_map,
# no entry = host pages, 16 MiB udmabuf), queue 3 bound with upstream's
# netdev bind-rx (16 MiB udmabuf), then the in-kernel refill benchmark
# (debugfs bpf_mp_bench, docs/bench.md).  Raw samples go to $1/raw.txt.
#   guest.sh OUTDIR REPEATS BUFFERS
set -euo pipefail
out=$1 reps=${2:-7} bufs=${3:-2048}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
MPCTL=build/mpctl NLTOOL=build/selftests/nltool
BENCH=/sys/kernel/debug/bpf_mp_bench
[ -e $BENCH ] || { echo "bench: $BENCH missing (kernel without CONFIG_BPF_MP_BENCH)" >&2; exit 1; }

echo "97 1 4" >/sys/bus/netdevsim/new_device
udevadm settle 2>/dev/null || sleep 0.5
ifc=$(ls /sys/bus/netdevsim/devices/netdevsim97/net/)
ip link set "$ifc" up
$NLTOOL hds "$ifc" on 0
$MPCTL policy load build/bpf/provider.bpf.o >/dev/null
$MPCTL attach "$ifc" --queues 2 --policy static_map --udmabuf 16M
# devmem_rx makes the udmabuf and runs bind-rx with it; nltool's child
# keeps the binding, devmem_rx waits for a stream that never comes
build/devmem_rx --port 5999 --size 16M --no-check -- $NLTOOL bind-rx "$ifc" 3 >"$out/bind.log" 2>&1 &
rx=$!
for _ in $(seq 100); do grep -q '^listening' "$out/bind.log" && break; sleep 0.1; done
grep -q '^bound' "$out/bind.log" || { cat "$out/bind.log" >&2; exit 1; }

ifindex=$(cat /sys/class/net/"$ifc"/ifindex)
uname -r >"$out/kernel.txt"
t0=$(date +%s.%N)
echo "$ifindex 2 3 $reps $bufs" >$BENCH
t1=$(date +%s.%N)
cat $BENCH >"$out/raw.txt.tmp" && mv "$out/raw.txt.tmp" "$out/raw.txt"
echo "bench: $(wc -l <"$out/raw.txt") samples in $(echo "$t1 - $t0" | bc) s (guest clock)"
# the queue is as it was: its counters and free count read sanely
$MPCTL show "$ifc" >"$out/show.txt"
kill $rx 2>/dev/null || true
$MPCTL detach "$ifc"
$MPCTL policy unload --all >/dev/null
