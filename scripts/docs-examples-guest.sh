#!/usr/bin/env bash
# Runs in the test VM: the commands whose output docs/policies.md and
# mpctl(8) show, from an installed tree.  On the host first:
#   make install DESTDIR=$PWD/build/stage
#   flock /tmp/bpfmp-heavy.lock scripts/vm run -- scripts/docs-examples-guest.sh
# The guest's /usr/local becomes a tmpfs holding build/stage/usr/local, so
# the commands read as they do after "make install" on a real machine.
set -eu
cd "$(dirname "$0")/.."
top=$PWD
. selftests/lib.sh
run() { printf '$ %s\n' "$*"; "$@"; }
say() { printf '\n## %s\n' "$*"; }

mount -t tmpfs tmpfs /usr/local
cp -a build/stage/usr/local/. /usr/local/
export PATH=/usr/local/sbin:$PATH
pair_up 80 4
trap pair_down EXIT
$IN_RX build/selftests/nltool hds "$RX_IF" on 0 >/dev/null

say "policies.md: an empty directory to a registered, attached, observed policy"
mkdir -p /tmp/mine && cd /tmp/mine
awk '/^\/\/ quarter.bpf.c$/ { p = 1 } p && /^\.Ed$/ { exit } p' \
	/usr/local/share/man/man7/bpf_mp_ops.7 | sed 's/\\e/\\/g' >quarter.bpf.c
run cat quarter.bpf.c
printf '$ %s\n' "bpftool btf dump file /sys/kernel/btf/vmlinux format c >vmlinux.h"
bpftool btf dump file /sys/kernel/btf/vmlinux format c >vmlinux.h
run clang-19 -target bpf -O2 -g -fms-extensions -Wno-microsoft-anon-tag -I. -I/usr/local/include/bpfmp -c quarter.bpf.c -o quarter.bpf.o
run mpctl policy load quarter.bpf.o
run mpctl policy list
run $IN_RX mpctl attach "$RX_IF" --queues 2 --policy quarter --udmabuf 16M
run $IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 7000 action 2
printf '$ %s\n' "(300 UDP datagrams of 1200 bytes to port 7000 from the peer)"
$IN_TX "$top/$STREAM" udp $RX_IP 7000 300
sleep 1
run $IN_RX mpctl show "$RX_IF"
run $IN_RX mpctl detach "$RX_IF"
run mpctl policy unload quarter
cd "$top"

say "mpctl(8) examples"
run mpctl --version
run mpctl policy load /usr/local/lib/bpfmp/provider.bpf.o
run mpctl policy list
run $IN_RX mpctl attach "$RX_IF" --queues 0-1 --policy static_map
run $IN_RX mpctl attach "$RX_IF" --queues 2-3 --policy watermark --udmabuf 64M
run $IN_RX mpctl show "$RX_IF"
run $IN_RX mpctl show "$RX_IF" --json
run $IN_RX mpctl xdp attach "$RX_IF" --port 6101
run $IN_RX mpctl xdp detach "$RX_IF"
run $IN_RX mpctl detach "$RX_IF" --queues 0-1
run $IN_RX mpctl detach "$RX_IF"
set +e
run $IN_RX mpctl attach "$RX_IF" --queues 7 --policy watermark
echo "(exit $?)"
run $IN_RX mpctl attach "$RX_IF" --queues 0 --policy nosuch
echo "(exit $?)"
run mpctl attach "$RX_IF" --queues 0-x --policy watermark
echo "(exit $?)"
set -e
for p in static_map watermark split alternate xdp_hint; do
	mpctl policy unload $p
done

say "policies.md: an application with its own policy (examples/own_policy)"
run $IN_RX ethtool -N "$RX_IF" flow-type tcp4 dst-port 7100 action 1
printf '$ %s\n' "ip netns exec bpfmp_rx build/examples/own_policy $RX_IF 1 --udmabuf 16 --seconds 4 &"
$IN_RX build/examples/own_policy "$RX_IF" 1 --udmabuf 16 --seconds 4 &
own=$!
sleep 1
run $IN_RX mpctl show "$RX_IF"
stream 7100 $((4 << 20)) >/dev/null
wait $own
echo "(exit $?)"
run mpctl policy list
