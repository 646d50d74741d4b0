#!/usr/bin/env bash
# Upstream's runner: the drivers/net kselftest kernel/patches/0031 adds to
# the kernel tree (tools/testing/selftests/drivers/net/bpfmp.py, on the
# tree's lib.py and YNL library), run as kselftest runs it, from the tree
# the kernel was built from.  With no variables set it makes its own
# netdevsim pair; on e1000e (BPFMP_DRIVER) it gets the receiving NIC as
# NETIF, in this netns, and the sending one in a netns as its "remote"
# (drivers/net/README.rst: REMOTE_TYPE=netns).  Each ksft case ("ok N
# bpfmp.NAME", "not ok N ...", "# SKIP reason") is one test here; the
# case's own output is shown when it fails.  make builds its helper and
# BPF objects in the tree (the kselftest target).
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
LINUX=$(kernel_tree)
KSFT_DIR=tools/testing/selftests/drivers/net
KSFT=$KSFT_DIR/bpfmp.py
# a DEBUG=1 kernel under TCG is several times slower
[ "${DEBUG:-0}" = 0 ] && LIMIT=600 || LIMIT=2400
LOG=$(mktemp)
BIN=$(mktemp -d)
trap 'rm -rf "$LOG" "$BIN"' EXIT

# kernel/patches/0031 adds it: a tree without it is a broken setup, not a
# reason to skip
no_test() { echo "$LINUX has no $KSFT (kernel/patches/0031 adds it)"; return 1; }
[ -f "$LINUX/$KSFT" ] || {
	t tree_has_bpfmp_py no_test
	t_summary
	exit
}
missing=
for f in bpfmp_rx bpfmp.bpf.o bpfmp_xdp.bpf.o; do
	[ -e "$LINUX/$KSFT_DIR/$f" ] || missing+=" $f"
done
not_built() { echo "not built in $LINUX/$KSFT_DIR:$missing ('make kselftest' builds them)"; return 1; }
[ -z "$missing" ] || {
	t build not_built
	t_summary
	exit
}

# The VM has no udev: NetdevSimDev runs "udevadm settle", which has
# nothing to wait for here.
printf '#!/bin/sh\nexit 0\n' >"$BIN/udevadm"
chmod +x "$BIN/udevadm"
export PATH=$BIN:$PATH

# e1000e: the receiving NIC stays here as the device under test (bpffs
# and debugfs are mounted here), the sending one goes to $TX_NS
NIC=
if [ "$DRIVER" != netdevsim ]; then
	a= b=
	for _ in $(seq 100); do
		a=$(if_by_mac $E1000E_TX_MAC) b=$(if_by_mac $E1000E_RX_MAC)
		[ -n "$a" ] && [ -n "$b" ] && break
		sleep 0.1
	done
	[ -n "$a" ] && [ -n "$b" ] || {
		t_skip all "no e1000e pair (boot with scripts/vm --e1000e)"
		t_summary
		exit
	}
	NIC=$b
	ip netns add $TX_NS
	ip link set "$a" netns $TX_NS
	$IN_TX ip addr add $TX_IP/24 dev "$a"
	sender_tso_off "$a"
	$IN_TX ip link set "$a" up
	ip addr add $RX_IP/24 dev "$NIC"
	# Each case attaches, and an e1000e queue restart takes the link down
	# and up (e1000e_down()/e1000e_up(), as a ring resize does).  An ARP
	# that failed meanwhile had the receiver's TCP get a host unreachable
	# for its SYN-ACK, drop the request sock and reset the connection at
	# the client's next ACK (1 case in 20).  Permanent neighbours (kept
	# across carrier changes) leave nothing to resolve.
	$IN_TX ip neigh replace $RX_IP dev "$a" nud permanent \
		lladdr "$(cat /sys/class/net/"$NIC"/address)"
	ip neigh replace $TX_IP dev "$NIC" nud permanent \
		lladdr "$($IN_TX cat /sys/class/net/"$a"/address)"
	ip link set "$NIC" up
	for _ in $(seq 100); do
		[ "$($IN_TX cat /sys/class/net/"$a"/carrier 2>/dev/null)$(cat /sys/class/net/"$NIC"/carrier 2>/dev/null)" = 11 ] &&
			break
		sleep 0.1
	done
	export NETIF=$NIC LOCAL_V4=$RX_IP REMOTE_V4=$TX_IP \
		REMOTE_TYPE=netns REMOTE_ARGS=$TX_NS
fi

# as kselftest runs it: from the tree, python3 on the PATH
(cd "$LINUX" && timeout -k 10 $LIMIT python3 $KSFT) >"$LOG" 2>&1
ksft_rc=$?

if [ -n "$NIC" ]; then
	netns_down
	ip addr flush dev "$NIC"
	ip neigh del $TX_IP dev "$NIC" 2>/dev/null
	ip link set "$NIC" down
fi

# One line of ours per ksft result line; the lines before a result are
# its case's output, shown when it failed.
plan= results=0 out=
while IFS= read -r line; do
	if [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
		plan=${BASH_REMATCH[1]}
		out=
	elif [[ $line =~ ^(not )?ok\ [0-9]+\ [^.\ ]+\.([^ ]+)(\ \#\ (.*))?$ ]]; then
		results=$((results + 1))
		T_N=$((T_N + 1))
		name=${BASH_REMATCH[2]} comment=${BASH_REMATCH[4]}
		if [ -n "${BASH_REMATCH[1]}" ]; then
			echo "#$T_N $T_SUITE/$name:FAIL"
			printf '%s' "$out" | sed 's/^/    /' | tail -n 60
			T_FAIL=$((T_FAIL + 1))
		elif [[ $comment == SKIP* || $comment == XFAIL* ]]; then
			echo "#$T_N $T_SUITE/$name:SKIP (${comment#SKIP })"
			T_SKIP=$((T_SKIP + 1))
		else
			echo "#$T_N $T_SUITE/$name:OK"
			T_PASS=$((T_PASS + 1))
		fi
		out=
	else
		out+="$line"$'\n'
	fi
done <"$LOG"

# what the cases cannot report: the run itself
run_ok() {
	cat "$LOG"
	[ "$ksft_rc" = 124 ] && { echo "killed after $LIMIT s"; return 1; }
	[ -n "$plan" ] || { echo "no ksft plan line (exit $ksft_rc)"; return 1; }
	[ "$results" = "$plan" ] || { echo "$results results for a plan of $plan"; return 1; }
	# exit 1 is "a case failed", counted above; anything else is not a verdict
	[ "$ksft_rc" = 0 ] || [ "$ksft_rc" = 1 ] || { echo "exit $ksft_rc"; return 1; }
}
if [ "$ksft_rc" = 4 ] && [ -z "$plan" ]; then
	t_skip run "the test skipped as a whole: $(grep -v '^ok' "$LOG" | tail -n 1)"
elif ! run_ok >/dev/null; then
	t run run_ok
fi
t_summary
