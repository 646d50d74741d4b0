#!/usr/bin/env bash
# The installed mpctl against the bpfmp kernel: scripts/tests/host.sh ran
# "make install DESTDIR=RESULTS/install" on the host before the VM booted;
# here that mpctl loads that policy library (by path, and as the default
# object it finds beside itself) and cleans up.
#   bash selftests/cli/installed.sh RESULTS
set -u
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh
results=${1:-build/test-results}
root=$(cd "$results" 2>/dev/null && pwd)/install/usr/local
M=$root/sbin/mpctl
LIB=$root/lib/bpfmp/provider.bpf.o
PIN=/sys/fs/bpf/bpfmp-installed

version_names_lib() {
	$M --version | tee /dev/stderr | grep -qxF "policy library: $LIB"
}
policy_load() {
	$M policy load "$LIB" --pin $PIN && $M policy list | grep -qw watermark &&
		[ -e $PIN/watermark ]
}
attach_show() {
	$IN_RX $M attach "$RX_IF" --queues 1 --policy watermark --udmabuf 4M &&
		$IN_RX $M show "$RX_IF" --json | jq -e '.[0].policy == "watermark"' >/dev/null &&
		$IN_RX $M detach "$RX_IF"
}
# no OBJ: the installed library, found beside the installed binary
xdp_default_obj() {
	local o
	o=$($IN_RX $M xdp attach "$RX_IF" --port 5201 2>&1)
	echo "$o"
	grep -q "xdp mp_classify (id [0-9]*, native) attached; device-memory ports: 5201" <<<"$o" &&
		$IN_RX $M xdp detach "$RX_IF"
}
unload() {
	local p
	for p in static_map watermark split alternate xdp_hint; do
		$M policy unload $p --pin $PIN || return 1
	done
	! $M policy list | grep -qw watermark
}

if [ ! -x "$M" ]; then
	t_skip installed "no $M (scripts/tests/host.sh installs it before the VM)"
else
	pair_up 90 2
	$IN_RX build/selftests/nltool hds "$RX_IF" on 0 >/dev/null
	t version_names_lib version_names_lib
	t policy_load	policy_load
	t attach_show	attach_show
	t xdp_default_obj xdp_default_obj
	t unload	unload
	rmdir $PIN 2>/dev/null
	pair_down
fi
t_summary
