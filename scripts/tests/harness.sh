#!/usr/bin/env bash
# Host-side tests of the harness itself: the VM runner carries exit codes
# out, reports panics, shares the repo read-write and the host root
# read-only, and a broken patch stops the kernel build by name.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
results=$1
vm=scripts/vm
n=0 pass=0 fail=0 skip=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

check() { # name, then a command that must succeed
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$out" 2>&1; then
		echo "#$n $name:OK"
		pass=$((pass + 1))
	else
		echo "#$n $name:FAIL"
		sed 's/^/    /' "$out" | tail -n 30
		fail=$((fail + 1))
	fi
}

vm_exit_status() {
	$vm run --timeout 120 -- sh -c 'exit 7'
	[ $? -eq 7 ] || { echo "expected exit 7"; return 1; }
	# success comes out as 0 in every other test that boots
	$vm run --timeout 120 -- false && { echo "false succeeded"; return 1; }
	true
}

vm_panic_reported() {
	local log rc
	log=$($vm run --timeout 120 -- sh -c 'echo c >/proc/sysrq-trigger; sleep 30' 2>&1)
	rc=$?
	echo "$log" | tail -n 5
	[ $rc -ne 0 ] || { echo "panic gave exit 0"; return 1; }
	echo "$log" | grep -q 'Kernel panic' || { echo "no panic text in output"; return 1; }
}

vm_shares() {
	local f=build/harness-share.$$
	rm -f "$f"
	$vm run --timeout 120 -- sh -c "echo from-guest >$f && ! touch /usr/bpfmp-ro-check 2>/dev/null && test -w /tmp" ||
		return 1
	grep -qx from-guest "$f"
	local rc=$?
	rm -f "$f"
	return $rc
}

vm_missing_kernel() {
	$vm run --kernel /nonexistent/bzImage -- true && return 1
	return 0
}

# Break one context line of the last patch in a copy of the series: the
# check must fail naming exactly that patch; the intact series must pass.
broken_patch_named() {
	local tmp last rc
	tmp=$(mktemp -d)
	cp kernel/patches/*.patch "$tmp"/
	last=$(ls "$tmp"/*.patch | tail -n1)
	awk '/^@@/ { h = 1 } h && !done && /^ ./ { $0 = $0 "BROKEN"; done = 1 } { print }' \
		"$last" >"$last.new" && mv "$last.new" "$last"
	bash scripts/kernel.sh --check-series "$tmp" 2>"$tmp/err"
	rc=$?
	cat "$tmp/err"
	grep -q "patch $(basename "$last") does not apply" "$tmp/err" && [ $rc -ne 0 ] &&
		bash scripts/kernel.sh --check-series kernel/patches
	rc=$?
	rm -rf "$tmp"
	return $rc
}

# BPFMP_TEST_FILTER selects CLI suites by name, not only test_progs tests:
# "mpctl_args" runs that suite (whole) and no test_progs test, and says
# which suites it left out.
filter_selects_cli() {
	local r=build/harness-filter.$$ rc=0
	rm -rf "$r"
	mkdir -p "$r"
	BPFMP_TEST_FILTER=mpctl_args $vm run --timeout 300 -- selftests/run_in_vm.sh "$r" >"$r/out" 2>&1
	grep -E '^-- |Summary' "$r/out"
	read -r p _ f <"$r/mpctl_args.summary" && [ "$p" -gt 50 ] && [ "$f" = 0 ] || rc=1
	[ "$(cat "$r/test_progs.summary")" = "0 0 0" ] || rc=1
	grep -q -- "-- mpctl_e2e: not selected by BPFMP_TEST_FILTER='mpctl_args' --" "$r/out" || rc=1
	grep -q -- "-- readme: not selected" "$r/out" || rc=1
	[ -f "$r/vm.done" ] || rc=1
	rm -rf "$r"
	return $rc
}

# The make targets the docs name ("make build/mpctl") exist: a dry run,
# with the kernel taken as built, so nothing is built or reset here.
doc_make_targets() {
	make -n --no-print-directory BPFMP_KERNEL_READY=1 build/mpctl build/devmem_rx >/dev/null
}

if [ "${DEBUG:-0}" != 0 ]; then
	# These test the runner, not the kernel: the plain "make test" runs
	# them; a KASAN kernel takes a minute per boot for nothing more.
	for name in vm_exit_status vm_panic_reported vm_shares filter_selects_cli; do
		n=$((n + 1))
		echo "#$n $name:SKIP (boot tests of the VM runner run in plain make test)"
		skip=$((skip + 1))
	done
else
	check vm_exit_status vm_exit_status
	check vm_panic_reported vm_panic_reported
	check vm_shares vm_shares
	check filter_selects_cli filter_selects_cli
fi
check vm_missing_kernel vm_missing_kernel
check broken_patch_named broken_patch_named
check doc_make_targets doc_make_targets

# the failures block at the end of make test: every :FAIL line with its log
failure_recap() {
	local d r
	d=$(mktemp -d)
	printf '#1 a/x:OK\n#2 a/y:FAIL\n    cli why\n#3 a/z:OK\n    not shown\n' >"$d/a.log"
	printf 'tp says\n#4/1 tp/sub:FAIL\n#4 tp:FAIL\n#- b:FAIL (no Summary line)\n' >"$d/b.log"
	printf '#9 dmesg:FAIL\n' >"$d/dmesg.log"
	. scripts/lib/recap.sh
	r=$(recap "$d")
	rm -rf "$d"
	echo "$r"
	[ "$r" = "$(printf '#2 a/y:FAIL\n    cli why\n    tp says\n#4/1 tp/sub:FAIL\n#4 tp:FAIL\n#- b:FAIL (no Summary line)')" ]
}
check failure_recap failure_recap

# The runner cannot lie (issue 13): a suite that dies before its summary, a
# test that hangs and a suite that leaves a netdevsim device (and its page
# pools) behind each fail by name in the guest runner, the rest still runs,
# and make test's failures block repeats all three.
culprits_named() {
	local r=build/harness-culprits.$$ rc=0 rec
	rm -rf "$r"
	mkdir -p "$r/suites"
	printf '. selftests/lib.sh\nt fine true\nexit 3\n' >"$r/suites/suite_vanishes.sh"
	printf 'BPFMP_TEST_TIMEOUT=3\n. selftests/lib.sh\nt stuck sleep 600\nt after_stuck true\nt_summary\n' \
		>"$r/suites/suite_hangs.sh"
	printf '. selftests/lib.sh\nt leaks sh -c "echo 99 1 1 >/sys/bus/netdevsim/new_device"\nt_summary\n' \
		>"$r/suites/suite_leaks.sh"
	BPFMP_TEST_FILTER='suite_*' BPFMP_CLI_SUITES="$(echo "$r"/suites/*.sh)" \
		$vm run --timeout 300 -- selftests/run_in_vm.sh "$r" >"$r/out" 2>&1 && rc=1
	. scripts/lib/recap.sh
	rec=$(recap "$r")
	echo "$rec"
	grep -q '^#- suite_vanishes:FAIL (no Summary line' <<<"$rec" || rc=1
	grep -q '^#1 suite_hangs/stuck:FAIL (watchdog: killed after 3 s)' <<<"$rec" || rc=1
	grep -q '^#2 suite_hangs/after_stuck:OK' "$r/suite_hangs.log" || rc=1
	grep -q '^#- suite_leaks:FAIL (left behind: netdevsim 0->1' <<<"$rec" || rc=1
	[ -f "$r/vm.done" ] || rc=1
	rm -rf "$r"
	return $rc
}
if [ "${DEBUG:-0}" != 0 ]; then
	n=$((n + 1)) skip=$((skip + 1))
	echo "#$n culprits_named:SKIP (boot tests of the VM runner run in plain make test)"
else
	check culprits_named culprits_named
fi

echo "$pass $skip $fail" >"$results/harness.summary"
[ "$fail" -eq 0 ]
