#!/bin/sh
# Runs inside the test VM (scripts/test.sh boots it): every guest suite,
# then the kernel log check.  Writes "<passed> <skipped> <failed>" per suite
# to $1/<suite>.summary.  With $2 = e1000e (a VM booted with
# "scripts/vm --e1000e"), the suites that run on a real driver, on e1000e;
# with $2 = nomp, the suite for a kernel without bpfmp.
results=$1
drv=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
rc=0
sfx=

# how long each suite took, for the reader of a slow run (in the log and
# in $results/times)
took() { # name start
	echo "-- $1: $(($(date +%s) - $2)) s --" | tee -a "$results/times$sfx"
}

summary() { # suite log
	awk '/^Summary:/ { print $2, $4, $6 }' "$2" | tail -n1 >"$results/$1.summary"
	[ -s "$results/$1.summary" ] || {
		# in the log too, where make test's failures block looks
		echo "#- $1:FAIL (no Summary line: the suite died early)" | tee -a "$2"
		echo "0 0 1" >"$results/$1.summary"
		rc=1
	}
}

# BPFMP_TEST_FILTER: comma-separated NAME[/SUB] globs.  test_progs gets
# them all (-t); a CLI suite runs, whole, when an item's NAME matches the
# suite's name: its tests build on each other, so SUB does not split it.
filter=${BPFMP_TEST_FILTER:-}
CLI_SUITES="mpctl_args mpctl_e2e ynl kselftest bpf_ci devmem_e2e replace xdp_e2e apply own_policy installed faults readme bench"
# on a real driver, the suites that run on one
if [ "$drv" = nomp ]; then
	# a kernel without bpfmp (make kernel-nomp) on e1000e NICs
	export BPFMP_DRIVER=e1000e
	sfx=.nomp
	CLI_SUITES="nomp"
elif [ -n "$drv" ]; then
	export BPFMP_DRIVER=$drv
	sfx=.$drv
	# devmem_e2e last: its device_removed unplugs the receiving NIC
	CLI_SUITES="replace xdp_e2e kselftest mpctl_e2e faults devmem_e2e"
fi
# the harness's own suites (scripts/tests/harness.sh, culprits_named): a
# path runs as the suite named after its file
CLI_SUITES=${BPFMP_CLI_SUITES:-$CLI_SUITES}
cli_selected() { # suite
	local item name=${1##*/} IFS=,
	[ -n "$filter" ] || return 0
	name=${name%.sh}
	for item in $filter; do
		# shellcheck disable=SC2254 # the item is a glob
		case $name in ${item%%/*}) return 0 ;; esac
	done
	return 1
}
cli_any=
for s in $CLI_SUITES; do cli_selected "$s" && cli_any=1; done

# The guest runs on every vCPU scripts/vm gave it: a kernel that cannot
# see them (no ACPI: SeaBIOS's MP table lists one) ran every suite on
# one CPU for twelve sessions without a word.
if [ -n "${BPFMP_VM_CPUS:-}" ] && cli_selected vm_cpus; then
	log=$results/vm_cpus$sfx.log
	have=$(nproc)
	if [ "$have" = "$BPFMP_VM_CPUS" ]; then
		echo "#1 vm_cpus:OK ($have CPUs)"
		echo "1 0 0" >"$results/vm_cpus$sfx.summary"
	else
		echo "#1 vm_cpus:FAIL (nproc $have, scripts/vm gave -smp $BPFMP_VM_CPUS)"
		echo "0 0 1" >"$results/vm_cpus$sfx.summary"
		rc=1
	fi >"$log"
	cat "$log"
fi

[ -n "$drv" ] || {
echo "-- test_progs --"
t0=$(date +%s)
if [ -n "$filter" ]; then
	build/selftests/test_progs -t "$filter" >"$results/test_progs.log" 2>&1
else
	build/selftests/test_progs >"$results/test_progs.log" 2>&1
fi
[ $? -eq 0 ] || rc=1
cat "$results/test_progs.log"
summary test_progs "$results/test_progs.log"
took test_progs "$t0"
if [ "$(cat "$results/test_progs.summary")" = "0 0 0" ] && [ -z "$cli_any" ]; then
	echo "#- test_progs:FAIL (BPFMP_TEST_FILTER='$filter' matches no test and no CLI suite ($CLI_SUITES))"
	echo "0 0 1" >"$results/test_progs.summary"
	rc=1
fi
}

SPLATS='WARNING:|BUG:|Oops|general protection fault|KASAN:|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|rcu_.*detected stall|blocked for more than|kernel BUG at|list_(add|del) corruption|stalled pool shutdown|unregister_netdevice: waiting'

# What a suite must give back: dma-bufs, BPF programs and maps, netdevsim
# devices, network namespaces (global counts, "name=N" words).
held() {
	echo "dma-bufs=$(awk '/^Total/ { print $2 }' /sys/kernel/debug/dma_buf/bufinfo 2>/dev/null)" \
		"$(build/selftests/nltool bpf-count)" \
		"netdevsim=$(ls /sys/bus/netdevsim/devices 2>/dev/null | wc -l)" \
		"netns=$(ip netns list 2>/dev/null | wc -l)"
}
# held's counts that grew from $1 to $2, as "name before->after"
grown() {
	for w in $2; do
		k=${w%%=*} new=${w#*=}
		old=$(echo " $1 " | sed -n "s/.* $k=\([0-9]*\) .*/\1/p")
		[ "${new:-0}" -gt "${old:-0}" ] && echo "$k ${old:-0}->$new"
	done
	return 0
}

# Each CLI suite reports on its own: one that dies before its Summary line,
# or exits non-zero with no failure counted, is a named failure, and so is
# one that leaves a splat in the kernel log or objects behind.
cli() { # name script [args...]
	local name=$1 log before left end t0
	shift
	log=$results/$name.log
	echo "-- $name --"
	t0=$(date +%s)
	mark=$(dmesg | wc -l)
	before=$(held)
	bash "$@" >"$log" 2>&1
	st=$?
	cat "$log"
	summary "$name" "$log"
	read -r p k f <"$results/$name.summary"
	# page pools and sockets let go of dma-bufs asynchronously: 20 s
	end=$(($(date +%s) + 20))
	while :; do
		left=$(grown "$before" "$(held)")
		[ -z "$left" ] || [ "$(date +%s)" -ge "$end" ] && break
		sleep 1
	done
	if [ -n "$left" ]; then
		echo "#- $name:FAIL (left behind: $(echo "$left" | tr '\n' ' '))" | tee -a "$log"
		f=$((f + 1))
		echo "$p $k $f" >"$results/$name.summary"
		rc=1
	fi
	# the kernel log the suite added: a splat is the suite's failure
	splat=$(dmesg | tail -n +$((mark + 1)) | grep -E "$SPLATS")
	if [ -n "$splat" ]; then
		{
			echo "#- $name:FAIL (kernel splat during the suite)"
			echo "$splat" | sed 's/^/    /' | head -n 20
		} | tee -a "$log"
		f=$((f + 1))
		echo "$p $k $f" >"$results/$name.summary"
		rc=1
	fi
	if [ "$st" -ne 0 ] && [ "$f" = 0 ]; then
		echo "#- $name:FAIL (exited $st after its summary)" | tee -a "$log"
		echo "0 0 1" >"$results/$name.summary"
	fi
	[ "$st" -eq 0 ] || rc=1
	took "$name" "$t0"
}
for s in $CLI_SUITES; do
	if ! cli_selected "$s"; then
		echo "-- $s: not selected by BPFMP_TEST_FILTER='$filter' --"
		continue
	fi
	case $s in
	mpctl_args) cli mpctl_args selftests/mpctl_args.sh build/mpctl ;;
	installed) cli installed selftests/cli/installed.sh "$results" ;;
	nomp) cli nomp selftests/cli/nomp.sh ;;
	*/*) cli "$(basename "$s" .sh)" "$s" ;;
	*) cli "$s$sfx" selftests/cli/"$s".sh ;;
	esac
done

echo "-- kernel log --"
dmesg >"$results/dmesg$sfx.log"
sh selftests/kernel_splats.sh >"$results/splats$sfx.log" 2>&1
[ $? -eq 0 ] || rc=1
cat "$results/splats$sfx.log"
summary kernel_splats$sfx "$results/splats$sfx.log"

touch "$results/vm$sfx.done"
exit $rc
