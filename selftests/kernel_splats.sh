#!/bin/sh
# A test named kernel_splats: fails if the guest kernel log shows a WARN,
# BUG, oops, KASAN/UBSAN report, lockdep splat, RCU stall, hung task or a
# kmemleak-reported leak since boot.
if [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak needs two scans before it reports an object
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
else
	leaks=0
fi
pattern='WARNING:|BUG:|Oops|general protection fault|KASAN:|UBSAN:'
pattern="$pattern|possible circular locking|possible recursive locking"
pattern="$pattern|inconsistent lock state|suspicious RCU usage"
pattern="$pattern|rcu_.*detected stall|blocked for more than|kernel BUG at"
splats=$(dmesg | grep -E "$pattern")
if [ -n "$splats" ] || [ "$leaks" -gt 0 ]; then
	echo "$splats"
	# the first report in full: the stack says where
	[ -n "$splats" ] && { echo "--- first report ---"; dmesg | grep -E -m1 -A 60 "$pattern"; }
	[ "$leaks" -gt 0 ] && head -n 40 /sys/kernel/debug/kmemleak
	echo "#1 kernel_splats:FAIL"
	echo "Summary: 0 PASSED, 0 SKIPPED, 1 FAILED"
	exit 1
fi
echo "#1 kernel_splats:OK"
echo "Summary: 1 PASSED, 0 SKIPPED, 0 FAILED"
