#!/usr/bin/env bash
# XDP on bpfmp queues from the command line: "mpctl xdp attach" puts
# provider.bpf.c's classifier on the device, which hints device memory for
# the ports it is given; the xdp_hint policy makes the queue's refills
# follow the traffic mix; a devmem TCP stream passes through XDP intact;
# generic XDP never sees a GRO skb of device memory with a frag_list.
# On netdevsim (queue 2, native XDP, ntuple rules) or e1000e (BPFMP_DRIVER:
# one queue, generic XDP only, everything reaches queue 0).
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh
POLICIES="static_map watermark split alternate xdp_hint"

for p in $POLICIES; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
link_up 70 4 || { t_skip all "no $DRIVER pair"; t_summary; exit; }
if [ "$DRIVER" = netdevsim ]; then
	MODE=native MODE_ARG=
else
	# no native XDP in e1000e; header split is the suite's to turn on
	MODE=generic MODE_ARG=--generic
	$IN_RX $NLTOOL hds "$RX_IF" on 0
fi
# steer UDP to PORT into queue $DQ as rule LOC (netdevsim; e1000e has one queue)
rule() { # port loc
	[ "$DRIVER" = netdevsim ] || return 0
	$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port "$1" action $DQ loc "$2" >/dev/null
}
unrule() { # loc
	[ "$DRIVER" = netdevsim ] || return 0
	$IN_RX ethtool -N "$RX_IF" delete "$1"
}
# header split: netdevsim's is mpctl --flow's or the test's, e1000e's the suite's
hds() { # on|off
	[ "$DRIVER" = netdevsim ] || return 0
	$IN_RX $NLTOOL hds "$RX_IF" "$1" 0
}
t policy_load	$MPCTL policy load build/bpf/provider.bpf.o

xdp_json() { # jq condition over the "xdp" of queue $DQ in show --json
	$IN_RX $MPCTL show "$RX_IF" --json | jq -e ".[] | select(.queue == $DQ) | .xdp | $1" >/dev/null
}
xdp_on() {
	$IN_RX $MPCTL xdp attach "$RX_IF" $MODE_ARG --port 5700 --port 5701 | tee /dev/stderr |
		grep -q "mp_classify (id [0-9]*, $MODE) attached; device-memory ports: 5700,5701"
}
t xdp_attach	xdp_on
# A devmem TCP stream through XDP_PASS, hinted into device memory: intact,
# and mostly in device memory.
xdp_stream() {
	stream_through 5700 xdp_hint "$HALF" || return 1
	xdp_json ".name == \"mp_classify\" and .mode == \"$MODE\"" || return 1
	qfields $DQ hints_device hints_host
	[ "$Q_hints_device" -gt 0 ] && [ "$(result device 5700)" -gt $((HALF / 2)) ]
}
t xdp_devmem_stream	xdp_stream
t xdp_stream_detach	detach

# N datagrams of 1200 bytes to PORT (steered to queue $DQ)
udp_to() { # port n
	$IN_TX $STREAM udp $RX_IP "$1" "$2"
	sleep "$SLOW"
}
# Traffic on queue $DQ turns from device-port to host-port and back: the
# refills follow within one refill batch.
hint_switch() {
	local rd rh
	hds on &&
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy xdp_hint --udmabuf 16M >/dev/null &&
	rule 5701 10 && rule 5702 11 || return 1
	udp_to 5701 200
	qfields $DQ hints_device hints_host refills_device refills_host
	[ "$Q_hints_device" -ge 150 ] && [ "$Q_refills_device" -gt 0 ] || return 1
	rd=$Q_refills_device rh=$Q_refills_host
	udp_to 5702 200
	qfields $DQ hints_device hints_host refills_device refills_host
	echo "host traffic: device refills +$((Q_refills_device - rd)), host +$((Q_refills_host - rh))"
	[ "$Q_hints_host" -ge 150 ] && [ $((Q_refills_device - rd)) -le 1 ] &&
		[ $((Q_refills_host - rh)) -gt 1 ] || return 1
	rd=$Q_refills_device rh=$Q_refills_host
	udp_to 5701 200
	qfields $DQ refills_device refills_host
	echo "device traffic again: device refills +$((Q_refills_device - rd)), host +$((Q_refills_host - rh))"
	# e1000e refills in smaller batches than netdevsim: one more may be
	# decided before the new hints outnumber the old
	[ $((Q_refills_host - rh)) -le $LAG ] && [ $((Q_refills_device - rd)) -gt 1 ]
}
[ "$DRIVER" = netdevsim ] && LAG=1 || LAG=2
t xdp_hint_switch	hint_switch
xdp_off() {
	unrule 10
	unrule 11
	hds off
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
	hds on &&
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy xdp_hint --udmabuf 16M >/dev/null &&
	rule 5701 10 || return 1
	xdp_json '.mode == "generic" and .name == "mp_classify"' || return 1
	udp_to 5701 100
	qfields $DQ hints_device
	[ "$Q_hints_device" -ge 80 ]
}
t xdp_generic	generic

# mp_classify's parsing of frames the wire cannot bring here (the test
# kernel has no IPv6 stack), run with BPF_PROG_RUN on queue $DQ's rxq, where
# its hints count: 802.1Q + IPv4/UDP and IPv6/UDP to the device port are
# device hints, IPv6/UDP to another port a host hint, IPv6 with an
# extension header no hint at all.
frame() { # file hex...: the bytes, and the xdp_md (data_end, ifindex, queue $DQ)
	local le='s/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/g'
	echo "${@:2}" | tr -d ' ' | xxd -r -p >"$1"
	printf '%08x%08x%08x%08x%08x%08x' 0 "$(stat -c %s "$1")" 0 "$IFX" $DQ 0 |
		sed "$le" | xxd -r -p >"$1.ctx"
}
parse_by_prog_run() {
	local id d0 h0 dir=/tmp/xdp_frames f
	id=$($IN_RX $MPCTL show "$RX_IF" --json | jq -r ".[] | select(.queue == $DQ) | .xdp.id")
	IFX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)
	mkdir -p $dir
	local eth="020000000002 020000000001" udp_dev="1234 1645 0010 0000 0000000000000000"
	local udp_host="1234 1646 0010 0000 0000000000000000"
	local v6="6000000000101140 20010db8000000000000000000000001 20010db8000000000000000000000002"
	frame $dir/vlan4 "$eth 8100 0064 0800 4500002400000000 40110000 c0000201 c0000202 $udp_dev"
	frame $dir/v6dev "$eth 86dd $v6 $udp_dev"
	frame $dir/v6host "$eth 86dd $v6 $udp_host"
	frame $dir/v6ext "$eth 86dd 6000000000180040 ${v6#* } 1100010400000000 $udp_dev"
	qfields $DQ hints_device hints_host
	d0=$Q_hints_device h0=$Q_hints_host
	for f in vlan4 v6dev v6host v6ext; do
		echo "prog run id $id data_in $dir/$f ctx_in $dir/$f.ctx"
	done | $IN_RX bpftool batch file - | tee /dev/stderr | grep -c 'Return value: 2' | grep -qx 4 ||
		return 1
	qfields $DQ hints_device hints_host
	[ $((Q_hints_device - d0)) = 2 ] && [ $((Q_hints_host - h0)) = 1 ]
}
t xdp_parse_vlan_ipv6	parse_by_prog_run
generic_off() {
	local out
	unrule 10
	detach >/dev/null
	hds off
	out=$($IN_RX $MPCTL xdp detach "$RX_IF") || return 1
	echo "$out"
	[[ $out == *"mp_classify (id "*", generic) detached" ]]
}
t xdp_generic_detach	generic_off

# Generic XDP on the GRO skbs of a devmem stream (issue 12 item 7): a GRO
# skb of device memory that outgrows its frags gets a frag_list, which an
# xdp_buff cannot describe.  The program (on a macvlan over the receiver,
# since a device running generic XDP itself gets no GRO) checks the length
# it is told against its frags and cuts some tails by all but the Ethernet
# header; the stream must arrive intact, nothing dropped for it.
GRO_OBJ=build/selftests/progs/xdp_gro_frags.bpf.o GRO_PIN=/sys/fs/bpf/bpfmp_gro_frags
gro_bss() { # field: from the program's .bss
	bpftool -j map dump name xdp_gro_.bss |
		jq -r "[.. | objects | select(has(\"$1\"))][0].$1"
}
gro_frag_list() {
	local f bad=0 drops0
	$IN_RX $MPCTL policy set static_map "$RX_IF:$DQ=device" >/dev/null &&
	$IN_RX ip link add link "$RX_IF" name mv0 type macvlan mode private &&
	$IN_RX ip addr del $RX_IP/24 dev "$RX_IF" &&
	$IN_RX ip addr add $RX_IP/24 dev mv0 &&
	$IN_RX ip link set mv0 up &&
	# both eth and mv0 answer ARP for the address (arp_ignore 0), and
	# the last answer wins: frames to eth's MAC would skip mv0 and its
	# XDP program (frames 0 on two CPUs), so tell the sender mv0's
	$IN_TX ip neigh replace $RX_IP dev "$TX_IF" \
		lladdr "$($IN_RX cat /sys/class/net/mv0/address)" nud permanent &&
	# "ip netns exec" mounts a sysfs of its own, without the bpffs: load,
	# pin and attach in one shell of the receiver's netns on a bpffs of
	# its own (the attachment keeps the program when the shell is gone)
	$IN_RX sh -c "mount -t bpf bpf /sys/fs/bpf &&
		bpftool prog load $GRO_OBJ $GRO_PIN type xdp &&
		ip link set dev mv0 xdpgeneric pinned $GRO_PIN" || return 1
	# QEMU's model interrupts per frame and GRO sees two or three frames
	# per NAPI poll: throttle the interrupts (10 ms) and keep GRO open
	# across polls (2 ms) so GRO skbs fill their frags and would chain more;
	# the sender's GSO autosizing sends two or three segments per burst at
	# TCG's rate: make its bursts 64 segments (wire_up turned TSO off, so
	# the sender's GSO cuts them).  TCP timestamps differ between bursts,
	# and GRO merges only segments whose options match: the sender goes
	# without them here
	$IN_TX sysctl -qw net.ipv4.tcp_min_tso_segs=64 &&
	$IN_TX sysctl -qw net.ipv4.tcp_timestamps=0 &&
	$IN_RX ethtool -C "$RX_IF" rx-usecs 10000 &&
	$IN_RX sh -c "echo 2000000 >/sys/class/net/$RX_IF/gro_flush_timeout &&
		echo 100 >/sys/class/net/$RX_IF/napi_defer_hard_irqs" || return 1
	drops0=$($IN_RX cat /sys/class/net/mv0/statistics/rx_dropped)
	# strict: every frag is device memory, as the program assumes
	devrx_start 5790 --size 16M --expect $HALF -- \
		$MPCTL attach "$RX_IF" --queues $DQ --policy static_map --strict || return 1
	send 5790 $HALF || { kill $DEVRX_PID; bad=1; }
	devrx_wait 5790 && ok_line 5790 || bad=1
	# the counts, kept where the host can read them whether or not it fails
	for f in frames merged max_len full over_frags tail_read shrunk shrink_err below_data shrink_bad; do
		echo "$f $(gro_bss $f)"
	done | tee build/xdp_gro_frags.counts
	echo "mv0 rx_dropped +$(($($IN_RX cat /sys/class/net/mv0/statistics/rx_dropped) - drops0))"
	[ "$bad" = 0 ] && [ "$(gro_bss merged)" -gt 0 ] &&
	for f in over_frags tail_read shrink_err below_data shrink_bad; do
		[ "$(gro_bss $f)" = 0 ] || return 1
	done &&
	[ "$($IN_RX cat /sys/class/net/mv0/statistics/rx_dropped)" = "$drops0" ]
}
gro_full_handled() {
	cat build/xdp_gro_frags.counts
	awk '$1 == "over_frags" || $1 == "below_data" || $1 == "shrink_bad" { bad += $2 }
		END { exit bad != 0 }' build/xdp_gro_frags.counts
}
gro_off() {
	$IN_TX sysctl -qw net.ipv4.tcp_min_tso_segs=2
	$IN_TX sysctl -qw net.ipv4.tcp_timestamps=1
	$IN_RX ethtool -C "$RX_IF" rx-usecs 3
	$IN_RX sh -c "echo 0 >/sys/class/net/$RX_IF/gro_flush_timeout;
		echo 0 >/sys/class/net/$RX_IF/napi_defer_hard_irqs"
	$IN_RX ip link del mv0
	$IN_TX ip neigh del $RX_IP dev "$TX_IF" 2>/dev/null
	$IN_RX ip addr add $RX_IP/24 dev "$RX_IF" 2>/dev/null
	$IN_RX $MPCTL policy set static_map "$RX_IF:$DQ=host" >/dev/null
	detach
}
if [ "$DRIVER" = netdevsim ]; then
	# two frames per NAPI poll: GRO never fills MAX_SKB_FRAGS frags
	t_skip gro_frag_list "netdevsim delivers two frames per NAPI poll: GRO builds no frag_list"
else
	# the GRO skbs XDP saw are told their true length and cut safely
	t gro_xdp_lengths	gro_frag_list
	# GRO skbs whose 17 frags were all device memory: the next segment
	# of each would have gone into a frag_list (what patches 0022/0023
	# are about); gro_xdp_lengths then checked that none reached XDP
	if [ "$(gro_bss full)" -gt 0 ] 2>/dev/null; then
		t gro_frag_list	gro_full_handled
	else
		t_skip gro_frag_list "GRO never filled an skb's 17 frags here (max_len $(gro_bss max_len)): no frag_list to test"
	fi
	t gro_detach	gro_off
fi

for p in $POLICIES; do
	$MPCTL policy unload $p >/dev/null 2>&1
done
link_down 2>/dev/null
t_summary
