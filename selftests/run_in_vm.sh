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
	[ -s "$results/$1.summary" ] || { echo "0 0 1" >"$results/$1.summary"; rc=1; }
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

echo "-- cli --"
{
	bash selftests/mpctl_args.sh build/mpctl
	bash selftests/cli/mpctl_e2e.sh
	bash selftests/cli/devmem_e2e.sh
	bash selftests/cli/xdp_e2e.sh
} >"$results/cli.log" 2>&1
[ $? -eq 0 ] || rc=1
cat "$results/cli.log"
awk '/^Summary:/ { p += $2; k += $4; f += $6 } END { print p + 0, k + 0, f + 0 }' \
	"$results/cli.log" >"$results/cli.summary"
grep -q '^Summary:' "$results/cli.log" || { echo "0 0 1" >"$results/cli.summary"; rc=1; }

echo "-- kernel log --"
dmesg >"$results/dmesg.log"
sh selftests/kernel_splats.sh >"$results/splats.log" 2>&1
[ $? -eq 0 ] || rc=1
cat "$results/splats.log"
summary kernel_splats "$results/splats.log"

touch "$results/vm.done"
exit $rc
