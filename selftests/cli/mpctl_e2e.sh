#!/usr/bin/env bash
# mpctl against the real kernel (in the VM): load the policy library,
# attach with device memory, read it back, refuse bad requests without
# changing anything, detach, unload.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
MPCTL=build/mpctl
link_up 50 4 || { t_skip all "no $DRIVER pair"; t_summary; exit; }
$IN_RX build/selftests/nltool hds "$RX_IF" on 0
# The queues: on netdevsim (4 RX queues) device memory on 2-3, host pages
# on 1, 3 for the policies under pressure, ntuple rules steering each test's
# traffic; on e1000e (BPFMP_DRIVER) its one RX queue for all of them, one
# at a time, and everything reaches it.
if [ "$DRIVER" = netdevsim ]; then
	DEVQ=2-3 DEVQ_LIST="2, 3" DEVQ_SAY="queues 2-3" NDEV=2 HQ=1 WQ=3 BUSY=1-2 BUSYQ=2
	UNREG=watermark UQ=2
else
	DEVQ=0 DEVQ_LIST=0 DEVQ_SAY="queue 0" NDEV=1 HQ=0 WQ=0 BUSY=0 BUSYQ=0
	UNREG=split UQ=0
fi
rule() { # flow-type port queue: steer it there (netdevsim)
	[ "$DRIVER" = netdevsim ] || return 0
	$IN_RX ethtool -N "$RX_IF" flow-type "$1" dst-port "$2" action "$3" >/dev/null
}
qf() { # queue field, from mpctl show --json
	$IN_RX $MPCTL show "$RX_IF" --json | jq -r ".[] | select(.queue == $1) | .$2"
}

expect_fail() { # substring cmd...
	local want=$1 out
	shift
	out=$("$@" 2>&1) && { echo "succeeded: $*"; return 1; }
	[[ $out == *"$want"* ]] || { echo "stderr lacks '$want': $out"; return 1; }
}
json_check() { # jq condition over "mpctl show --json"
	$IN_RX $MPCTL show "$RX_IF" --json | jq -e "$1" >/dev/null
}

LIBRARY="static_map, watermark, split, alternate, xdp_hint"
expect_out() { # substring cmd...: succeeds and prints substring on stdout
	local want=$1 out
	shift
	out=$("$@") || { echo "failed: $*"; return 1; }
	echo "$out"
	[[ $out == *"$want"* ]] || { echo "stdout lacks '$want'"; return 1; }
}
t policy_load	expect_out "registered ${LIBRARY//,/} (pinned in /sys/fs/bpf/bpfmp)" \
	$MPCTL policy load build/bpf/provider.bpf.o
t policy_list	sh -c "$MPCTL policy list | grep -qw watermark && $MPCTL policy list | grep -qw static_map"
t policy_list_json	sh -c "$MPCTL policy list -j | jq -e '(map(.name) | contains([\"static_map\", \"watermark\", \"split\", \"alternate\", \"xdp_hint\"])) and all(.[]; .queues == 0)'"
# loading the object again: every pin in the way named, and the way out
t policy_load_again	expect_fail "/sys/fs/bpf/bpfmp has pins for $LIBRARY already (loaded already? 'mpctl policy unload --all' removes them" \
	$MPCTL policy load build/bpf/provider.bpf.o
# header split off (nothing attached yet: with a provider bound the kernel
# keeps it on): the kernel refuses, mpctl says how to turn it on
hds_hint() {
	local rc=0
	$IN_RX build/selftests/nltool hds "$RX_IF" off 0 >/dev/null || return 1
	expect_fail "tcp-data-split is disabled' (bpfmp queues need header split on with hds-thresh 0: add --flow tcp:PORT" \
		$IN_RX $MPCTL attach "$RX_IF" --queues $HQ --policy static_map || rc=1
	$IN_RX build/selftests/nltool hds "$RX_IF" on 0 >/dev/null || rc=1
	return $rc
}
t hds_hint	hds_hint
t bpftool_lists	sh -c "bpftool struct_ops list | grep -qw watermark"
# host pages only: said so, and DEV_FREE/TOTAL is '-' (no binding)
t attach_host_only	expect_out "$RX_IF: queue $HQ attached to static_map; host pages only (no device memory)" \
	$IN_RX $MPCTL attach "$RX_IF" --queues $HQ --policy static_map
t show_no_binding	sh -c "$IN_RX $MPCTL show $RX_IF | awk '\$2 == $HQ { f = \$10 } END { exit f != \"-\" }'"
t show_no_binding_json	json_check ".[] | select(.queue == $HQ) | .dmabuf_id == null"
# a plain TCP stream through the host-pages queue: intact, on host pages
traffic() {
	local h0
	rule tcp4 5400 $HQ || return 1
	h0=$(qf $HQ bufs_host)
	stream 5400 1048576 | grep -q ' ok' || return 1
	echo "queue $HQ: host buffers $h0 -> $(qf $HQ bufs_host), device $(qf $HQ bufs_device)"
	[ "$(qf $HQ bufs_host)" -gt $((h0 + 256)) ] && [ "$(qf $HQ bufs_device)" = 0 ]
}
t traffic	traffic
t detach_host_only	$IN_RX $MPCTL detach "$RX_IF" --queues $HQ
t attach	expect_out "$RX_IF: $DEVQ_SAY attached to watermark; device memory: 16 MiB udmabuf, dma-buf binding " \
	$IN_RX $MPCTL attach "$RX_IF" --queues $DEVQ --policy watermark --udmabuf 16M
t attach_buffers	sh -c "$IN_RX $MPCTL show $RX_IF --json | jq -e 'all(.[]; .dmabuf_id != null)' >/dev/null"
t show_json	json_check "length == $NDEV and all(.[]; .device_total == 4096 and .policy_registered)"
t show_table	sh -c "$IN_RX $MPCTL show $RX_IF | grep -q watermark"
t bad_queue	expect_fail "out of range" $IN_RX $MPCTL attach "$RX_IF" --queues 9 --policy watermark
t bad_policy	expect_fail "not registered (see 'mpctl policy list'; register it with 'mpctl policy load OBJ'" \
	$IN_RX $MPCTL attach "$RX_IF" --queues 0 --policy nosuch
# the failure is one line on stderr
t bad_policy_one_line	sh -c "[ \$($IN_RX $MPCTL attach $RX_IF --queues 0 --policy nosuch 2>&1 | wc -l) = 1 ]"
t busy_queue	expect_fail "queue $BUSYQ already attached' (detach it first: 'mpctl detach $RX_IF --queues $BUSYQ')" \
	$IN_RX $MPCTL attach "$RX_IF" --queues $BUSY --policy static_map
t unchanged	json_check "[.[].queue] | sort == [$DEVQ_LIST]"
# --pretty: the same JSON, indented; --watch redraws until interrupted
pretty() {
	local a b
	a=$($IN_RX $MPCTL show "$RX_IF" --pretty) || return 1
	echo "$a" | head -n 5
	[ "$(echo "$a" | wc -l)" -gt 10 ] && echo "$a" | grep -qE '^ +"policy": "watermark"' || return 1
	a=$(echo "$a" | jq -c 'map({queue, policy, device_total})')
	b=$($IN_RX $MPCTL show "$RX_IF" --json | jq -c 'map({queue, policy, device_total})')
	[ -n "$a" ] && [ "$a" = "$b" ]
}
t show_pretty	pretty
# two refreshes of --watch 1 within WATCH_S seconds: on the DEBUG kernel
# (KASAN under TCG) 3.5 s gave mpctl's start and only one refresh
WATCH_S=$([ "${DEBUG:-0}" = 0 ] && echo 3.5 || echo 20)
watch_json() {
	local out
	out=$($IN_RX timeout $WATCH_S $MPCTL show "$RX_IF" --watch 1 --json)
	echo "$out"
	[ "$(echo "$out" | wc -l)" -ge 2 ] &&
		echo "$out" | jq -e "length == $NDEV" >/dev/null &&
		[ "$(echo "$out" | jq -s "map(length == $NDEV) | all")" = true ]
}
t show_watch_json	watch_json
watch_table() {
	local out
	out=$($IN_RX timeout $WATCH_S $MPCTL show "$RX_IF" --watch 1)
	echo "$out" | cat -v | head -n 8
	[ "$(echo "$out" | grep -c "Every 1s: mpctl show $RX_IF")" -ge 2 ] &&
		[ "$(echo "$out" | grep -c '^IF  *QUEUE')" -ge 2 ]
}
t show_watch_table	watch_table
# watermark under pressure: 1024 buffers, device above 90% free, host below
# 80%; an application that stops reading pushes free below the low mark,
# and once it lets go, refills go back to device memory.
q3() { qf $WQ "$1"; }	# the queue under pressure (3; e1000e's 0)
watermark_cycle() {
	local host0 dev1
	$MPCTL policy set watermark high=90 low=80 &&
	$IN_RX $MPCTL detach "$RX_IF" --queues $WQ &&
	$IN_RX $MPCTL attach "$RX_IF" --queues $WQ --policy watermark --udmabuf 4M &&
	rule tcp4 5410 $WQ || return 1
	sysctl -qw net.core.rmem_max=$((16 << 20))
	$IN_RX sh -c "$STREAM hold 5410 120 $((8 << 20)) >/dev/null 2>&1 &"
	for _ in $(seq 300); do $IN_RX ss -Htln 'sport = :5410' | grep -q . && break; sleep 0.1; done
	$IN_TX timeout $([ "${DEBUG:-0}" = 0 ] && echo 5 || echo 40) $STREAM send $RX_IP 5410 $((4 << 20)) >/dev/null 2>&1
	host0=$(q3 refills_host)
	echo "under pressure: free $(q3 device_free)/1024, host refills $host0, device $(q3 refills_device)"
	[ "$host0" -gt 0 ] || return 1
	$IN_RX pkill -f "stream hold 5410"
	sleep 1
	dev1=$(q3 refills_device)
	# traffic again: the policy sees the memory back and returns to it
	stream 5410 $((1 << 20)) >/dev/null
	echo "after release: free $(q3 device_free)/1024, device refills $dev1 -> $(q3 refills_device)"
	[ "$(q3 refills_device)" -gt "$dev1" ]
}
t watermark_cycle	watermark_cycle
# the library's split: weight% of every batch on device memory, exactly
# over many batches (a carried remainder); here 30% for 300 datagrams
split_ratio() {
	local bd bh fb before
	$MPCTL policy set split weight=30 >/dev/null &&
	$IN_RX $MPCTL detach "$RX_IF" --queues $WQ >/dev/null &&
	$IN_RX $MPCTL attach "$RX_IF" --queues $WQ --policy split --udmabuf 16M >/dev/null &&
	rule udp4 5420 $WQ || return 1
	before=$(( $(q3 bufs_device) + $(q3 bufs_host) ))
	$IN_TX $STREAM udp $RX_IP 5420 300
	sleep 1
	bd=$(q3 bufs_device) bh=$(q3 bufs_host)
	fb=$(( $(q3 fallback_no_device) + $(q3 fallback_exhausted) + $(q3 fallback_invalid) ))
	echo "split 30%: $bd device, $bh host buffers ($before at attach), fallbacks $fb"
	$MPCTL policy set split weight=0 >/dev/null
	# 100 * device within a buffer of 30% of all, and traffic beyond the first fill
	[ "$fb" = 0 ] && [ $((bd + bh - before)) -ge 250 ] &&
		[ $((100 * bd - 30 * (bd + bh))) -le 100 ] && [ $((30 * (bd + bh) - 100 * bd)) -le 100 ]
}
t split_ratio	split_ratio
# a policy unloaded under its queues: show marks them (netdevsim: queue 2's
# watermark, and queue 3's split stays; e1000e: its queue's split)
unregistered() {
	local out
	$MPCTL policy unload $UNREG || return 1
	for _ in $(seq 50); do
		json_check ".[] | select(.queue == $UQ) | .policy_registered == false" && break
		sleep 0.1
	done
	out=$($IN_RX $MPCTL show "$RX_IF")
	echo "$out"
	echo "$out" | awk -v q=$UQ -v p="$UNREG*" '$2 == q { exit $3 != p }' &&
		[[ $out == *"* policy not registered: these queues get host pages"* ]] || return 1
	[ "$DRIVER" != netdevsim ] || json_check '.[] | select(.queue == 3) | .policy_registered'
}
t show_unregistered	unregistered
t detach	$IN_RX $MPCTL detach "$RX_IF"
t detached	json_check ". == []"
# mpctl show --watch in a real terminal (tmux, 160x40, then 50 wide): under
# the table each queue's mix of the last refresh, with traffic on three
# static_map queues: 1 host pages (no entry), 2 device memory, 3 device
# memory wanted but none bound (every buffer a fallback).  A narrow
# terminal cuts the lines instead of wrapping them.  e1000e has one queue:
# the device-memory one alone (MIX_H and MIX_N empty).
if [ "$DRIVER" = netdevsim ]; then MIX_H=1 MIX_D=2 MIX_N=3; else MIX_H='' MIX_D=0 MIX_N=''; fi
TMUX_WATCH="tmux -L bpfmp_watch -f /dev/null"
watch_capture() { # [-J]: the pane as text, -J joining wrapped lines
	# (-J keeps trailing blanks, which the plain capture drops)
	$TMUX_WATCH capture-pane -p ${1:-} -t watch | sed 's/ *$//'
}
watch_until() { # each queue's mix shown within 15 s, and never another's
	local out s1= s2= s3=
	[ -n "$MIX_H" ] || s1=1
	[ -n "$MIX_N" ] || s3=1
	for _ in $(seq 30); do
		out=$(watch_capture) || return 1
		# a refresh can find a queue idle, so not all on one screen
		[ -z "$MIX_H" ] || echo "$out" | grep -Eq "^$RX_IF:$MIX_H +\[-+\] dev +0% fb +0%" && s1=1
		echo "$out" | grep -Eq "^$RX_IF:$MIX_D +\[#+\] dev 100% fb +0%" && s2=1
		[ -z "$MIX_N" ] || echo "$out" | grep -Eq "^$RX_IF:$MIX_N +\[!+\] dev +0% fb 100%" && s3=1
		# host pages only: never device memory, never a fallback; no
		# device memory: never a device buffer
		if { [ -n "$MIX_H" ] && echo "$out" | grep -Eq "^$RX_IF:$MIX_H +\[[^]]*[#!]"; } ||
			{ [ -n "$MIX_N" ] && echo "$out" | grep -Eq "^$RX_IF:$MIX_N +\[[^]]*#"; }; then
			echo "a queue shows what it cannot have:"
			echo "$out" | grep .
			return 1
		fi
		[ "$s1$s2$s3" = 111 ] && return 0
		sleep 0.5
	done
	echo "mixes seen: host ${s1:-no}, device ${s2:-no}, no device ${s3:-no}; the pane (blank lines left out):"
	watch_capture | grep .
	$TMUX_WATCH list-panes -t watch -F 'pane dead #{pane_dead} status #{pane_dead_status} #{pane_width}x#{pane_height}'
	$IN_RX $MPCTL show "$RX_IF" --json | jq -c '.[] | [.queue, .bufs_host, .bufs_device, .fallback_no_device, .fallback_exhausted]'
	return 1
}
watch_mix() {
	local rc=0 out tx q ports
	if [ -n "$MIX_H" ]; then
		$IN_RX $MPCTL attach "$RX_IF" --queues $MIX_H --policy static_map >/dev/null || return 1
	fi
	$IN_RX $MPCTL attach "$RX_IF" --queues $MIX_D --policy static_map --udmabuf 16M >/dev/null &&
		$IN_RX $MPCTL policy set static_map "$RX_IF:$MIX_D=device" >/dev/null || return 1
	if [ -n "$MIX_N" ]; then
		$IN_RX $MPCTL attach "$RX_IF" --queues $MIX_N --policy static_map >/dev/null &&
			$IN_RX $MPCTL policy set static_map "$RX_IF:$MIX_N=device" >/dev/null || return 1
	fi
	for q in $MIX_H $MIX_D $MIX_N; do
		rule udp4 $((5440 + q)) $q || return 1
	done
	# datagrams to the queues until the test ends (the ports on one line:
	# a newline would end sh's for list)
	ports=$(for q in $MIX_H $MIX_D $MIX_N; do printf '%s ' $((5440 + q)); done)
	$IN_TX sh -c "while :; do for p in $ports; do $STREAM udp $RX_IP \$p 50; done; sleep 0.1; done" \
		>/dev/null 2>&1 &
	tx=$!
	$TMUX_WATCH kill-server 2>/dev/null
	$TMUX_WATCH new-session -d -s watch -x 160 -y 40 -c "$PWD" \
		"env LC_ALL=C $IN_RX $MPCTL show $RX_IF --watch 1" \; \
		set-option -g status off \; set-option -g remain-on-exit on ||
		rc=1
	watch_until || rc=1
	out=$(watch_capture)
	echo "$out" | grep -E "^Every|^MIX|^$RX_IF:"
	[[ $(echo "$out" | head -n 1) == "Every 1s: mpctl show $RX_IF "* ]] || rc=1
	# narrow: every line cut at 50 columns, none wrapped, the bars still there
	$TMUX_WATCH resize-window -t watch -x 50 -y 40 || rc=1
	sleep 2.5
	watch_until || rc=1
	out=$(watch_capture)
	echo "at 50 columns:"
	echo "$out" | grep -E "^Every|^IF|^MIX|^$RX_IF"
	[ -z "$(echo "$out" | awk 'length > 50')" ] || { echo "a line is wider than 50"; rc=1; }
	# -J joins wrapped lines: one capture with it, every line within 50
	# (two captures would straddle a redraw: the clock differs)
	out=$(watch_capture -J)
	[ -z "$(echo "$out" | awk 'length > 50')" ] || { echo "lines wrapped:"; echo "$out" | grep .; rc=1; }
	[ "$(echo "$out" | grep -c '^Every 1s')" = 1 ] || rc=1
	$TMUX_WATCH kill-server
	kill "$tx"
	wait "$tx" 2>/dev/null
	$IN_RX $MPCTL detach "$RX_IF" >/dev/null || rc=1
	return $rc
}
t show_watch_mix	watch_mix
unload_all() {
	local out
	out=$($MPCTL policy unload --all) || return 1
	echo "$out"
	[ "$(echo "$out" | grep -c '^policy .*: unpinned /sys/fs/bpf/bpfmp/')" = 4 ] &&
		! $MPCTL policy list | grep -qwE 'static_map|watermark|split|alternate|xdp_hint'
}
t unload_all	unload_all
# a library registered elsewhere (bpftool into /sys/fs/bpf, as the demo
# once did): the refusal names the pin and how to unload it
registered_elsewhere() {
	local rc=0
	bpftool struct_ops register build/bpf/provider.bpf.o /sys/fs/bpf >/dev/null || return 1
	expect_fail "register: File exists (a policy of that name is registered already, its link pinned at /sys/fs/bpf/static_map: 'mpctl policy unload static_map --pin /sys/fs/bpf' unloads it)" \
		$MPCTL policy load build/bpf/provider.bpf.o || rc=1
	# the failed load left nothing behind
	[ ! -e /sys/fs/bpf/bpfmp/watermark ] || rc=1
	$MPCTL policy unload --all --pin /sys/fs/bpf | grep -c unpinned | grep -qx 5 || rc=1
	return $rc
}
t registered_elsewhere	registered_elsewhere
link_down
t_summary
