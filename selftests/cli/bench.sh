#!/usr/bin/env bash
# "make bench" keeps working: a short run of every part of its VM side
# (scripts/bench/guest.sh smoke) and of the report, with no timing checks:
# each part must produce samples, the report its CSV, JSON and plots, and
# the machine must be left as it was found.
set -u
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh
# not "out": lib.sh's t() has a local of that name, which its tests see
BENCH_DIR=build/bench-smoke
rm -rf "$BENCH_DIR"

guest() {
	bash scripts/bench/guest.sh "$BENCH_DIR" smoke
}
t bench_guest_smoke	guest
samples() {
	local f rc=0
	for f in refill e2e scale latency; do
		echo "$f: $(wc -l <"$BENCH_DIR/$f.txt" 2>/dev/null || echo none) samples"
		[ -s "$BENCH_DIR/$f.txt" ] || rc=1
	done
	# every refill variant of the bench, each batch size
	for f in pp_alloc_host bpfmp_bpf_host bpfmp_c_host bpfmp_device bpfmp_device_1 upstream_devmem bpfmp_split; do
		for b in 1 16 64; do
			grep -q "^$f [a-z]* $b " "$BENCH_DIR/refill.txt" || { echo "no $f batch $b"; rc=1; }
		done
	done
	return $rc
}
t bench_samples		samples
report() {
	/usr/bin/python3 scripts/bench/report.py "$BENCH_DIR" || return 1
	# every target has a measured value (met or not is the bench's to say)
	jq -e '.targets | length >= 6 and all(.[]; .met != null)' "$BENCH_DIR/bench.json" >/dev/null &&
	[ "$(grep -c . "$BENCH_DIR/bench.csv")" -gt 40 ]
}
t bench_report		report
plots() {
	gnuplot -e "dir='$BENCH_DIR'" scripts/bench/plot.gp || return 1
	file "$BENCH_DIR/refill.png" "$BENCH_DIR/e2e.png" | tee /dev/stderr | grep -c 'PNG image' | grep -qx 2
}
t bench_plots		plots
# nothing the bench made is left: no netdevsim device, no attachment, no policy
left() {
	ls /sys/bus/netdevsim/devices/
	$MPCTL policy list
	[ -z "$(ls /sys/bus/netdevsim/devices/)" ] && ! $MPCTL policy list | grep -q static_map
}
MPCTL=build/mpctl
t bench_nothing_left	left
t_summary
