#!/usr/bin/env bash
# The drivers without bpfmp: a kernel built from the same series with
# CONFIG_BPF_MEM_PROVIDER=n (make kernel-nomp), booted with two e1000e NICs
# (and netdevsim).  The driver patches must leave each driver working on
# the stubs of net/bpf_mp.h: TCP byte for byte with header split off and
# on, upstream's devmem bind-rx on e1000e's payload pool, and mpctl saying
# why it cannot attach.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh

no_bpfmp() {
	local n
	n=$(grep -cE ' (bpf_mp_refill|bpf_mp_nl_attach_doit)$' /proc/kallsyms)
	echo "bpfmp symbols in this kernel: $n"
	[ "$n" = 0 ]
}
t kernel_without_bpfmp	no_bpfmp

link_up 62 4 || { t_skip all "no $DRIVER pair"; t_summary; exit; }

# mpctl names the missing family and changes nothing
mpctl_refused() {
	local out rc
	out=$($IN_RX $MPCTL attach "$RX_IF" --queues 0 --policy static_map 2>&1)
	rc=$?
	echo "$out (exit $rc)"
	[ "$rc" != 0 ] && [[ $out == *"family bpf-mp: not found: this kernel has no bpfmp"* ]]
}
t mpctl_without_bpfmp	mpctl_refused

hds() { # on|off
	$IN_RX $NLTOOL hds "$RX_IF" "$1" 0 >/dev/null &&
		$IN_RX ethtool -g "$RX_IF" | grep -q "^TCP data split:.*$1"
}
stream_ok() { # port
	local out
	out=$(stream "$1" "$BYTES")
	echo "stream: $out"
	[ "$out" = "$BYTES ok" ]
}
t stream_split_off	eval 'hds off && stream_ok 5801'
t stream_split_on	eval 'hds on && stream_ok 5802'

# upstream devmem on the driver's payload pool, with no bpfmp in the kernel
upstream_devmem() {
	local rc=0
	devrx_start 5803 --size 16M --expect "$HALF" -- $NLTOOL bind-rx "$RX_IF" $DQ || return 1
	send 5803 "$HALF" || rc=1
	devrx_wait 5803 && ok_line 5803 || rc=1
	echo "device bytes: $(result device 5803)"
	[ "$(result device 5803)" = "$HALF" ] || rc=1
	pkill -f "nltool bind-rx"
	return $rc
}
t upstream_devmem	upstream_devmem
link_down 2>/dev/null

# netdevsim's patches on the stubs too: a pair, a stream
if [ "$DRIVER" != netdevsim ] && [ -e /sys/bus/netdevsim/new_device ]; then
	nsim_stream() {
		local rc=0
		DRIVER=netdevsim link_up 66 2 || return 1
		stream_ok 5804 || rc=1
		pair_down
		return $rc
	}
	t netdevsim_stream	nsim_stream
fi
t_summary
