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
[ "${DEBUG:-0}" = 0 ] && vm_timeout=3000 || vm_timeout=14400

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
# A VM that did not report, or whose guest runner failed with no test
# counted, is a named failure of its own.
vm_check() { # name done-file rc what
	if [ ! -f "$results/$2" ]; then
		echo "#- $1:FAIL (the $4 exited $3 without reporting)"
		fail=$((fail + 1))
	elif [ "$fail" -eq 0 ] && [ "$3" -ne 0 ]; then
		echo "#- $1:FAIL (guest runner exited $3)"
		fail=$((fail + 1))
	fi
}
vm_check vm_suites vm.done "$vm_rc" VM
if [ -z "${BPFMP_TEST_FILTER:-}" ]; then
	vm_check vm_e1000e vm.e1000e.done "$e1000e_rc" "e1000e VM"
	vm_check vm_nomp vm.nomp.done "$nomp_rc" "CONFIG_BPF_MEM_PROVIDER=n VM"
fi
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
