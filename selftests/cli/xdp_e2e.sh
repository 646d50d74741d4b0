#!/usr/bin/env bash
# XDP on bpfmp queues from the command line: "mpctl xdp attach" puts
# provider.bpf.c's classifier on the device, which hints device memory for
# the ports it is given; the xdp_hint policy makes the queue's refills
# follow the traffic mix; a devmem TCP stream passes through XDP intact.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh
POLICIES="static_map watermark split alternate xdp_hint"

for p in $POLICIES; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
pair_up 70 4
t policy_load	$MPCTL policy load build/bpf/provider.bpf.o

xdp_json() { # jq condition over the "xdp" of queue 2 in show --json
	$IN_RX $MPCTL show "$RX_IF" --json | jq -e ".[] | select(.queue == 2) | .xdp | $1" >/dev/null
}
xdp_on() {
	$IN_RX $MPCTL xdp attach "$RX_IF" --port 5700 --port 5701 | tee /dev/stderr |
		grep -q "mp_classify (id [0-9]*, native) attached; device-memory ports: 5700,5701"
}
t xdp_attach	xdp_on
# A devmem TCP stream through XDP_PASS, hinted into device memory: intact,
# and mostly in device memory.
xdp_stream() {
	stream_through 5700 xdp_hint "$HALF" || return 1
	xdp_json '.name == "mp_classify" and .mode == "native"' || return 1
	qfields 2 hints_device hints_host
	[ "$Q_hints_device" -gt 0 ] && [ "$(result device 5700)" -gt $((HALF / 2)) ]
}
t xdp_devmem_stream	xdp_stream
t xdp_stream_detach	detach

# N datagrams of 1200 bytes to PORT (steered to queue 2)
udp_to() { # port n
	$IN_TX $STREAM udp $RX_IP "$1" "$2"
	sleep "$SLOW"
}
# Traffic on queue 2 turns from device-port to host-port and back: the
# refills follow within one refill batch.
hint_switch() {
	local rd rh
	$IN_RX $NLTOOL hds "$RX_IF" on 0 &&
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy xdp_hint --udmabuf 16M >/dev/null &&
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5701 action 2 loc 10 >/dev/null &&
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5702 action 2 loc 11 >/dev/null || return 1
	udp_to 5701 200
	qfields 2 hints_device hints_host refills_device refills_host
	[ "$Q_hints_device" -ge 150 ] && [ "$Q_refills_device" -gt 0 ] || return 1
	rd=$Q_refills_device rh=$Q_refills_host
	udp_to 5702 200
	qfields 2 hints_device hints_host refills_device refills_host
	echo "host traffic: device refills +$((Q_refills_device - rd)), host +$((Q_refills_host - rh))"
	[ "$Q_hints_host" -ge 150 ] && [ $((Q_refills_device - rd)) -le 1 ] &&
		[ $((Q_refills_host - rh)) -gt 1 ] || return 1
	rd=$Q_refills_device rh=$Q_refills_host
	udp_to 5701 200
	qfields 2 refills_device refills_host
	echo "device traffic again: device refills +$((Q_refills_device - rd)), host +$((Q_refills_host - rh))"
	[ $((Q_refills_host - rh)) -le 1 ] && [ $((Q_refills_device - rd)) -gt 1 ]
}
t xdp_hint_switch	hint_switch
xdp_off() {
	$IN_RX ethtool -N "$RX_IF" delete 10
	$IN_RX ethtool -N "$RX_IF" delete 11
	$IN_RX $NLTOOL hds "$RX_IF" off 0
	detach
	$IN_RX $MPCTL xdp detach "$RX_IF" &&
	! $IN_RX ip link show "$RX_IF" | grep -q "prog/xdp"
}
t xdp_detach	xdp_off
t xdp_detach_none	sh -c "! $IN_RX $MPCTL xdp detach $RX_IF"

# --generic: generic (skb) XDP, said so, shown so, and it hints as native does
generic() {
	local out
	out=$($IN_RX $MPCTL xdp attach "$RX_IF" --generic --port 5701) || return 1
	echo "$out"
	[[ $out == *"mp_classify (id "*", generic) attached; device-memory ports: 5701" ]] &&
	$IN_RX $NLTOOL hds "$RX_IF" on 0 &&
	$IN_RX $MPCTL attach "$RX_IF" --queues 2 --policy xdp_hint --udmabuf 16M >/dev/null &&
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port 5701 action 2 loc 10 >/dev/null || return 1
	xdp_json '.mode == "generic" and .name == "mp_classify"' || return 1
	udp_to 5701 100
	qfields 2 hints_device
	[ "$Q_hints_device" -ge 80 ]
}
t xdp_generic	generic

# mp_classify's parsing of frames netdevsim cannot bring here (the test
# kernel has no IPv6 stack), run with BPF_PROG_RUN on queue 2's rxq, where
# its hints count: 802.1Q + IPv4/UDP and IPv6/UDP to the device port are
# device hints, IPv6/UDP to another port a host hint, IPv6 with an
# extension header no hint at all.
frame() { # file hex...: the bytes, and the xdp_md (data_end, ifindex, queue 2)
	local le='s/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/g'
	echo "${@:2}" | tr -d ' ' | xxd -r -p >"$1"
	printf '%08x%08x%08x%08x%08x%08x' 0 "$(stat -c %s "$1")" 0 "$IFX" 2 0 |
		sed "$le" | xxd -r -p >"$1.ctx"
}
parse_by_prog_run() {
	local id d0 h0 dir=/tmp/xdp_frames f
	id=$($IN_RX $MPCTL show "$RX_IF" --json | jq -r '.[] | select(.queue == 2) | .xdp.id')
	IFX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)
	mkdir -p $dir
	local eth="020000000002 020000000001" udp_dev="1234 1645 0010 0000 0000000000000000"
	local udp_host="1234 1646 0010 0000 0000000000000000"
	local v6="6000000000101140 20010db8000000000000000000000001 20010db8000000000000000000000002"
	frame $dir/vlan4 "$eth 8100 0064 0800 4500002400000000 40110000 c0000201 c0000202 $udp_dev"
	frame $dir/v6dev "$eth 86dd $v6 $udp_dev"
	frame $dir/v6host "$eth 86dd $v6 $udp_host"
	frame $dir/v6ext "$eth 86dd 6000000000180040 ${v6#* } 1100010400000000 $udp_dev"
	qfields 2 hints_device hints_host
	d0=$Q_hints_device h0=$Q_hints_host
	for f in vlan4 v6dev v6host v6ext; do
		echo "prog run id $id data_in $dir/$f ctx_in $dir/$f.ctx"
	done | $IN_RX bpftool batch file - | tee /dev/stderr | grep -c 'Return value: 2' | grep -qx 4 ||
		return 1
	qfields 2 hints_device hints_host
	[ $((Q_hints_device - d0)) = 2 ] && [ $((Q_hints_host - h0)) = 1 ]
}
t xdp_parse_vlan_ipv6	parse_by_prog_run
generic_off() {
	local out
	$IN_RX ethtool -N "$RX_IF" delete 10
	detach >/dev/null
	$IN_RX $NLTOOL hds "$RX_IF" off 0
	out=$($IN_RX $MPCTL xdp detach "$RX_IF") || return 1
	echo "$out"
	[[ $out == *"mp_classify (id "*", generic) detached" ]]
}
t xdp_generic_detach	generic_off

for p in $POLICIES; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
pair_down 2>/dev/null
t_summary
