#!/usr/bin/env bash
# README.md's commands as written, in the VM.
#
# - quickstart: the fenced block after "<!-- test: quickstart -->" runs in
#   one bash (errexit, pipefail, xtrace), in the repository, as a reader
#   would paste it into "make vm"; the first command that fails fails the
#   test and is the last "+" line of its output.
# - demo: scripts/demo-guest.sh ("make demo") succeeds, and every "$ "
#   command in the blocks after "<!-- test: demo -->" is one it ran, in
#   the same order: the README shows what the demo really runs.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
README=${README:-README.md}

# The fenced blocks after "<!-- test: MARKER -->" lines, concatenated.
blocks() { # marker
	awk -v m="<!-- test: $1 -->" '
		$0 == m { want = 1; next }
		want && /^```/ { if (inb) { inb = 0; want = 0 } else inb = 1; next }
		inb' "$README"
}

# Leave the VM as the suites before found it: no policies, no netns.
clean() {
	build/mpctl policy unload --all >/dev/null 2>&1
	ip netns del $TX_NS 2>/dev/null
	ip netns del $RX_NS 2>/dev/null
	# a failed quick start leaves its ports (they would rename the demo's)
	for d in 80 81; do
		[ -e /sys/bus/netdevsim/devices/netdevsim$d ] &&
			echo $d >/sys/bus/netdevsim/del_device
	done
	true
}

quickstart() {
	local script
	script=$(blocks quickstart)
	[ -n "$script" ] || { echo "no <!-- test: quickstart --> block in $README"; return 1; }
	bash -euo pipefail -x -c "$script"
}
clean
t quickstart	quickstart
clean

demo() {
	local log=/tmp/readme-demo.log want n=0 line at=0 found
	# the demo's own output, without its bold headings' escapes
	scripts/demo-guest.sh 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$log"
	[ "${PIPESTATUS[0]}" = 0 ] || { tail -n 30 "$log"; echo "demo failed"; return 1; }
	want=$(blocks demo | grep '^\$ ')
	[ -n "$want" ] || { echo "no '\$ ' lines in <!-- test: demo --> blocks of $README"; return 1; }
	# each README command, in order, at or after the previous one's line
	while IFS= read -r line; do
		n=$((n + 1))
		found=$(tail -n +$((at + 1)) "$log" | grep -nxF -m1 -- "$line" | cut -d: -f1)
		if [ -z "$found" ]; then
			echo "README command $n is not what the demo ran next: $line"
			echo "the demo ran:"
			grep '^\$ ' "$log" | sed 's/^/    /'
			return 1
		fi
		at=$((at + found))
	done <<<"$want"
	echo "$n README commands, all run by the demo in that order"
}
t demo	demo
clean
t_summary
