#!/usr/bin/env bash
# Tunables by name (mpctl policy set/show, read back with bpftool too) and
# the declarative setup (mpctl apply/save): round trip, idempotence,
# --dry-run, bad files refused with their line and nothing changed, a
# failing change rolled back.  One netdevsim port in the initial netns:
# policies are pinned on its /sys/fs/bpf, which "ip netns exec" hides.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
MPCTL=$PWD/build/mpctl
OBJ=$PWD/build/bpf/provider.bpf.o
POLICIES="static_map watermark split alternate xdp_hint"
DIR=$(mktemp -d)

for p in $POLICIES; do $MPCTL policy unload $p >/dev/null 2>&1; done
echo "80 1 4" >/sys/bus/netdevsim/new_device
udevadm settle 2>/dev/null || sleep 0.5
IF=$(ls /sys/bus/netdevsim/devices/netdevsim80/net/)
ip link set "$IF" up
build/selftests/nltool hds "$IF" on 0 >/dev/null

expect_fail() { # substring cmd...: fails, exit 1, stderr has substring
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" = 1 ] || { echo "exit $rc (want 1): $out"; return 1; }
	[[ $out == *"$want"* ]] || { echo "output lacks '$want': $out"; return 1; }
}
# the whole state, as save prints it and as bpftool sees the tunables
state() {
	local wm sq
	wm=$(bpftool -j map dump name .data.watermark) &&
	sq=$(bpftool -j map dump name static_queues) || return 1
	$MPCTL save || return 1
	echo "$wm" | jq -ce '[.. | objects | select(has("high"))] | select(length == 1)' &&
	echo "$sq" | jq -ce '[.[].formatted] | sort_by(.key.queue_id)'
}
unchanged_since() { # file from state()
	state >"$DIR/now" || return 1
	diff -u "$1" "$DIR/now"
}

# --- declarative setup, from nothing -------------------------------------

cat >"$DIR/setup.conf" <<EOF
# bpfmp on $IF: host pages on 0-1 but 1 on device memory, watermark on 2-3
[policies]
object = $OBJ

[policy watermark]
high = 70
low = 30

[queues $IF 0-1]
policy = static_map

[queues $IF 2-3]
policy = watermark
udmabuf = 16M

[xdp $IF]
ports = 6101,6102
EOF

nothing_registered() { ! $MPCTL policy list | grep -qw watermark; }
dry_run() {
	$MPCTL apply --dry-run "$DIR/setup.conf" | tee "$DIR/dry" &&
	grep -q "^would load $OBJ" "$DIR/dry" &&
	grep -q "^would attach $IF queues 2-3 policy watermark udmabuf 16M" "$DIR/dry" &&
	grep -q "^would xdp attach $IF mp_classify native ports 6101,6102" "$DIR/dry" &&
	nothing_registered && [ "$(build/mpctl show --json)" = "[]" ] &&
	! ip link show "$IF" | grep -q xdp
}
t apply_dry_run_changes_nothing	dry_run

applied() {
	local j
	$MPCTL apply "$DIR/setup.conf" || return 1
	j=$($MPCTL show "$IF" --json)
	echo "$j" | jq -e '[.[] | .queue] == [0, 1, 2, 3] and
		all(.[] | select(.queue >= 2); .policy == "watermark" and .device_total == 4096 and
		    .tunables.high == 70 and .tunables.low == 30) and
		all(.[] | select(.queue < 2); .policy == "static_map" and .dmabuf_id == null) and
		.[0].xdp.name == "mp_classify"' >/dev/null || { echo "$j"; return 1; }
}
t apply	applied
t apply_again_is_noop	sh -c "$MPCTL apply '$DIR/setup.conf' | grep -qx '$DIR/setup.conf: nothing to change'"

roundtrip() {
	state >"$DIR/before" || return 1
	$MPCTL save >"$DIR/saved.conf" || return 1
	cat "$DIR/saved.conf"
	grep -qx "\[queues $IF 2-3\]" "$DIR/saved.conf" &&
	grep -qx "ports = 6101,6102" "$DIR/saved.conf" &&
	$MPCTL apply --dry-run "$DIR/saved.conf" | grep -q 'nothing to change' &&
	$MPCTL apply "$DIR/saved.conf" | grep -q 'nothing to change' &&
	unchanged_since "$DIR/before"
}
t save_apply_roundtrip	roundtrip

# --- tunables by name ------------------------------------------------------

t tun_set	$MPCTL policy set watermark high=80 low=40
t tun_show	sh -c "$MPCTL policy show watermark | grep -Eqx 'watermark +high=80 low=40'"
t tun_bpftool	sh -c "bpftool -j map dump name .data.watermark | jq -e '[.. | objects | select(has(\"high\"))][0] | .high == 80 and .low == 40' >/dev/null"
t tun_split	sh -c "$MPCTL policy set split weight=30 && $MPCTL policy show split --json | jq -e '.[0].tunables.weight == 30' >/dev/null"
queue_tun() {
	$MPCTL policy set static_map "$IF:1=device" "$IF:0=host" &&
	$MPCTL policy show static_map | tee /dev/stderr | grep -q " $IF:1=device" &&
	$MPCTL show "$IF" --json | jq -e '.[1].tunables.verdict == "device" and .[0].tunables.verdict == "host"' >/dev/null &&
	$MPCTL show "$IF" | grep -E "^$IF +1 .*verdict=device" >/dev/null &&
	bpftool -j map dump name static_queues | jq -e --argjson q 1 \
		'.[].formatted | select(.key.queue_id == $q) | .value == "SM_DEVICE"' >/dev/null
}
t tun_per_queue		queue_tun
t tun_show_column	sh -c "$MPCTL show $IF | grep -E '^$IF +2 .*high=80,low=40' >/dev/null"
# stock bpftool still writes them (little-endian u32s): ifindex, queue 3
raw_bpftool() {
	local ifx le
	ifx=$(cat /sys/class/net/"$IF"/ifindex)
	le() { printf '%d %d %d %d' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $(($1 >> 24)); }
	bpftool map update name static_queues key $(le "$ifx") $(le 3) value 1 0 0 0 &&
	$MPCTL policy show static_map | grep -q " $IF:3=device" &&
	bpftool map delete name static_queues key $(le "$ifx") $(le 3)
}
t tun_bpftool_raw	raw_bpftool

bad_tunables() {
	state >"$DIR/before" || return 1
	expect_fail "mpctl: policy watermark: no tunable 'bogus' (valid: high=0-100, low=0-100)" \
		$MPCTL policy set watermark high=90 bogus=1 &&
	expect_fail "low: '150' is not a number in 0-100" $MPCTL policy set watermark high=90 low=150 &&
	expect_fail "verdict: 'maybe' is not one of host|device" \
		$MPCTL policy set static_map "$IF:2=maybe" &&
	expect_fail "nosuch0: no such interface" $MPCTL policy set static_map nosuch0:2=device &&
	expect_fail "mpctl: policy alternate: no tunable 'x' (valid: none)" \
		$MPCTL policy set alternate x=1 &&
	expect_fail "policy nosuch: not registered" $MPCTL policy set nosuch x=1 &&
	unchanged_since "$DIR/before"
}
t tun_bad_refused_nothing_changed	bad_tunables

# --- changes, bad files, rollback -------------------------------------------

change() {
	sed -e 's/^high = 70/high = 75/' -e 's/^udmabuf = 16M/udmabuf = 8M/' \
		"$DIR/setup.conf" >"$DIR/change.conf"
	$MPCTL apply "$DIR/change.conf" | tee "$DIR/out" &&
	grep -q "^set watermark high=75 (was 80) low=30 (was 40)" "$DIR/out" &&
	grep -q "^detach $IF queues 2-3 (policy watermark, udmabuf 16M)" "$DIR/out" &&
	! grep -q "queues 0-1" "$DIR/out" &&
	$MPCTL show "$IF" --json | jq -e '.[2].device_total == 2048 and .[2].tunables.high == 75' >/dev/null
}
t apply_changes_only_what_differs	change

bad_file() { # line substring: a copy of change.conf with one line edited
	local line=$1 want=$2 out
	state >"$DIR/before" || return 1
	out=$($MPCTL apply "$DIR/bad.conf" 2>&1)
	[ $? = 1 ] || { echo "apply succeeded: $out"; return 1; }
	[[ $out == *"$DIR/bad.conf:$line: $want"* ]] || { echo "want '$DIR/bad.conf:$line: $want', got: $out"; return 1; }
	unchanged_since "$DIR/before"
}
bad_key() {
	sed 's/^low = 30/lo = 30/' "$DIR/change.conf" >"$DIR/bad.conf"
	bad_file 7 "[policy watermark]: no tunable 'lo' (valid: high=0-100, low=0-100)"
}
t bad_config_key	bad_key
bad_value() {
	sed 's/^udmabuf = 8M/udmabuf = 8Q/' "$DIR/change.conf" >"$DIR/bad.conf"
	bad_file 14 "udmabuf '8Q': not a size"
}
t bad_config_value	bad_value
bad_queue() {
	sed "s/^\[queues $IF 0-1\]/[queues $IF 0-1,7]/" "$DIR/change.conf" >"$DIR/bad.conf"
	bad_file 9 "[queues $IF 0-1,7]: queue 7 out of range ($IF has 4 RX queues)"
}
t bad_config_queue	bad_queue
bad_syntax() {
	sed 's/^policy = static_map/policy static_map/' "$DIR/change.conf" >"$DIR/bad.conf"
	bad_file 10 "not KEY = VALUE or [SECTION]"
}
t bad_config_syntax	bad_syntax
# the last change fails (no such XDP program): everything before it undone
rollback() {
	sed -e 's/^high = 75/high = 60/' -e 's/^udmabuf = 8M/udmabuf = 4M/' \
		-e 's/^ports = .*/prog = nosuch/' "$DIR/change.conf" >"$DIR/bad.conf"
	state >"$DIR/before" || return 1
	out=$($MPCTL apply "$DIR/bad.conf" 2>&1)
	[ $? = 1 ] || { echo "apply succeeded: $out"; return 1; }
	echo "$out"
	[[ $out == *"$DIR/bad.conf:16: xdp attach $IF nosuch native ports none: failed (above); undoing the "* ]] &&
	[[ $out == *"undo: set watermark high=60"* ]] &&
	unchanged_since "$DIR/before"
}
t apply_failure_rolls_back	rollback

cleanup() {
	$MPCTL detach "$IF" && $MPCTL xdp detach "$IF" >/dev/null || return 1
	for p in $POLICIES; do $MPCTL policy unload $p || return 1; done
}
t cleanup	cleanup
echo 80 >/sys/bus/netdevsim/del_device
rm -rf "$DIR"
t_summary
