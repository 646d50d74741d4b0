#!/usr/bin/env bash
# "make test": harness tests on the host, then every suite inside one VM
# boot.  Ends with "N passed, N failed, N skipped" and exits non-zero on any
# failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
results=$top/build/test-results
rm -rf "$results"
mkdir -p "$results"
[ "${DEBUG:-0}" = 0 ] && vm_timeout=3000 || vm_timeout=7200

# Each suite leaves "<passed> <skipped> <failed>" in $results/<suite>.summary.
# What gets installed, man pages, completion, the first run's output: host
# only, half a minute, before the VM has the CPUs.
echo "== install, man pages, completion, first run (host) =="
bash scripts/tests/host.sh "$results" >"$results/host.log" 2>&1
cat "$results/host.log"
# The harness tests boot small VMs of their own: they run beside the
# suites' VM (about a minute less in all) and report after it.
bash scripts/tests/harness.sh "$results" >"$results/harness.log" 2>&1 &
harness=$!

# what kernel_splats can catch depends on the checkers the kernel has
[ "${DEBUG:-0}" = 0 ] && flavour=base || flavour=debug
checkers=$(grep -oE '^CONFIG_(KASAN|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_LIST|DEBUG_NET|DEBUG_KMEMLEAK|DEBUG_OBJECTS|DMA_API_DEBUG|KFENCE|UBSAN)=y' \
	"build/kernel-$flavour/.config" 2>/dev/null | sed 's/^CONFIG_//; s/=y$//' | tr '\n' ' ')
echo "kernel checkers: ${checkers:-none}"
echo "== selftests (VM) =="
scripts/vm run --timeout "$vm_timeout" -- selftests/run_in_vm.sh "$results"
vm_rc=$?
# the real-driver suites boot a VM of their own, with two e1000e NICs
e1000e_rc=0
if [ -z "${BPFMP_TEST_FILTER:-}" ]; then
	echo "== selftests on e1000e (VM with QEMU's 82574L model) =="
	scripts/vm run --e1000e --timeout "$vm_timeout" -- selftests/run_in_vm.sh "$results" e1000e
	e1000e_rc=$?
fi
# the drivers without bpfmp: the same series built with
# CONFIG_BPF_MEM_PROVIDER=n, booted with the two e1000e NICs
nomp_rc=0
if [ -z "${BPFMP_TEST_FILTER:-}" ]; then
	echo "== the drivers without bpfmp (CONFIG_BPF_MEM_PROVIDER=n, e1000e VM) =="
	if BPFMP_NOMP=1 bash scripts/kernel.sh >"$results/kernel-nomp.log" 2>&1; then
		tail -n 1 "$results/kernel-nomp.log"
		BPFMP_NOMP=1 scripts/vm run --e1000e --timeout "$vm_timeout" -- \
			selftests/run_in_vm.sh "$results" nomp
		nomp_rc=$?
	else
		tail -n 20 "$results/kernel-nomp.log"
		echo "#- kernel_nomp:FAIL (the CONFIG_BPF_MEM_PROVIDER=n build, $results/kernel-nomp.log)"
		echo "0 0 1" >"$results/kernel_nomp.summary"
		touch "$results/vm.nomp.done"
	fi
fi
wait "$harness"
echo "== harness (host) =="
cat "$results/harness.log"

pass=0 skip=0 fail=0
for s in "$results"/*.summary; do
	[ -f "$s" ] || continue
	read -r p k f <"$s"
	pass=$((pass + p)) skip=$((skip + k)) fail=$((fail + f))
done
if [ ! -f "$results/vm.done" ]; then
	echo "#- vm_suites:FAIL (the VM exited $vm_rc without reporting)"
	fail=$((fail + 1))
fi
[ "$fail" -eq 0 ] && [ "$vm_rc" -ne 0 ] && {
	echo "#- vm_suites:FAIL (guest runner exited $vm_rc)"
	fail=$((fail + 1))
}
if [ -z "${BPFMP_TEST_FILTER:-}" ] && [ ! -f "$results/vm.e1000e.done" ]; then
	echo "#- vm_e1000e:FAIL (the e1000e VM exited $e1000e_rc without reporting)"
	fail=$((fail + 1))
fi
[ "$fail" -eq 0 ] && [ "$e1000e_rc" -ne 0 ] && {
	echo "#- vm_e1000e:FAIL (guest runner exited $e1000e_rc)"
	fail=$((fail + 1))
}
if [ -z "${BPFMP_TEST_FILTER:-}" ] && [ ! -f "$results/vm.nomp.done" ]; then
	echo "#- vm_nomp:FAIL (the CONFIG_BPF_MEM_PROVIDER=n VM exited $nomp_rc without reporting)"
	fail=$((fail + 1))
fi
[ "$fail" -eq 0 ] && [ "$nomp_rc" -ne 0 ] && {
	echo "#- vm_nomp:FAIL (guest runner exited $nomp_rc)"
	fail=$((fail + 1))
}
# the tail of a CI log is all some readers see: name every failure there
# shellcheck source=lib/recap.sh
. "$top/scripts/lib/recap.sh"
recap=$(recap "$results")
if [ -n "$recap" ]; then
	echo "== failures =="
	echo "$recap"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
