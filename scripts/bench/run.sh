#!/usr/bin/env bash
# "make bench": boot the test VM, run scripts/bench/guest.sh in it, then
# print the tables and targets and write CSV, JSON and PNG plots to
# build/bench/ (docs/bench.md).  BENCH_MODE=smoke: a short run that only
# shows every part still works (make test runs it, with no timing checks).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mode=${BENCH_MODE:-full}
out=${BENCH_OUT:-$top/build/bench}
rm -rf "$out"
mkdir -p "$out"
echo "bench: $mode run in the VM (TCG: every figure is a ratio within this run)"
t0=$SECONDS
BPFMP_VM_SMP=${BPFMP_VM_SMP:-2} scripts/vm run --timeout 3000 -- scripts/bench/guest.sh "$out" "$mode"
echo "bench: VM part took $((SECONDS - t0)) s"
if [ "$mode" = full ]; then
	# the same streams through a real driver: two e1000e NICs on a QEMU hub
	t0=$SECONDS
	scripts/vm run --e1000e --timeout 3000 -- env BPFMP_DRIVER=e1000e \
		scripts/bench/guest.sh "$out" "$mode" e2e
	echo "bench: e1000e VM part took $((SECONDS - t0)) s"
fi
/usr/bin/python3 scripts/bench/report.py "$out" | tee "$out/table.txt"
if command -v gnuplot >/dev/null; then
	gnuplot -e "dir='$out'" scripts/bench/plot.gp
	echo "bench: $(cd "$out" && ls ./*.csv ./*.json ./*.png | tr '\n' ' ')in $out"
else
	echo "bench: gnuplot missing (make deps installs gnuplot-nox): no PNG" >&2
	exit 1
fi
