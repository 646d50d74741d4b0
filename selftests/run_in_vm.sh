#!/bin/sh
# Runs inside the test VM (scripts/test.sh boots it): every guest suite,
# then the kernel log check.  Writes "<passed> <skipped> <failed>" per suite
# to $1/<suite>.summary.
results=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
rc=0

summary() { # suite log
	awk '/^Summary:/ { print $2, $4, $6 }' "$2" | tail -n1 >"$results/$1.summary"
	[ -s "$results/$1.summary" ] || {
		echo "#- $1:FAIL (no Summary line: the suite died early)"
		echo "0 0 1" >"$results/$1.summary"
		rc=1
	}
}

echo "-- test_progs --"
if [ -n "${BPFMP_TEST_FILTER:-}" ]; then
	build/selftests/test_progs -t "$BPFMP_TEST_FILTER" >"$results/test_progs.log" 2>&1
else
	build/selftests/test_progs >"$results/test_progs.log" 2>&1
fi
[ $? -eq 0 ] || rc=1
cat "$results/test_progs.log"
summary test_progs "$results/test_progs.log"
if [ "$(cat "$results/test_progs.summary")" = "0 0 0" ]; then
	echo "#- test_progs:FAIL (BPFMP_TEST_FILTER='${BPFMP_TEST_FILTER:-}' matches no test)"
	echo "0 0 1" >"$results/test_progs.summary"
	rc=1
fi

SPLATS='WARNING:|BUG:|Oops|general protection fault|KASAN:|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|rcu_.*detected stall|blocked for more than|kernel BUG at|list_(add|del) corruption|stalled pool shutdown|unregister_netdevice: waiting'

# Each CLI suite reports on its own: one that dies before its Summary line,
# or exits non-zero with no failure counted, is a named failure.
cli() { # name script [args...]
	local name=$1 log
	shift
	log=$results/$name.log
	echo "-- $name --"
	mark=$(dmesg | wc -l)
	bash "$@" >"$log" 2>&1
	st=$?
	cat "$log"
	summary "$name" "$log"
	read -r p k f <"$results/$name.summary"
	# the kernel log the suite added: a splat is the suite's failure
	splat=$(dmesg | tail -n +$((mark + 1)) | grep -E "$SPLATS")
	if [ -n "$splat" ]; then
		echo "#- $name:FAIL (kernel splat during the suite)"
		echo "$splat" | sed 's/^/    /' | head -n 20
		f=$((f + 1))
		echo "$p $k $f" >"$results/$name.summary"
		rc=1
	fi
	if [ "$st" -ne 0 ] && [ "$f" = 0 ]; then
		echo "#- $name:FAIL (exited $st after its summary)"
		echo "0 0 1" >"$results/$name.summary"
	fi
	[ "$st" -eq 0 ] || rc=1
}
if [ -n "${BPFMP_TEST_FILTER:-}" ]; then
	echo "-- cli: skipped (BPFMP_TEST_FILTER selects test_progs tests) --"
else
	cli mpctl_args selftests/mpctl_args.sh build/mpctl
	cli mpctl_e2e selftests/cli/mpctl_e2e.sh
	cli devmem_e2e selftests/cli/devmem_e2e.sh
	cli xdp_e2e selftests/cli/xdp_e2e.sh
	cli apply selftests/cli/apply.sh
	cli own_policy selftests/cli/own_policy.sh
	cli installed selftests/cli/installed.sh "$results"
	cli faults selftests/cli/faults.sh
fi

echo "-- kernel log --"
dmesg >"$results/dmesg.log"
sh selftests/kernel_splats.sh >"$results/splats.log" 2>&1
[ $? -eq 0 ] || rc=1
cat "$results/splats.log"
summary kernel_splats "$results/splats.log"

touch "$results/vm.done"
exit $rc
