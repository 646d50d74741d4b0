# shellcheck shell=bash
# recap DIR: every ":FAIL" line of the suite logs in DIR with the log lines
# that go with it (test_progs prints a test's log before its line, the CLI
# suites after it), for the tail of a run, which is all CI keeps.
recap() {
	local l
	for l in "$1"/*.log; do
		[ -f "$l" ] || continue
		case $l in */dmesg*) continue ;; esac
		awk '/^#[0-9]+(\/[0-9]+)? .*:FAIL|^#- .*:FAIL/ {
			for (i = (b > 15 ? b - 15 : 0); i < b; i++) print "    " buf[i]
			b = 0; n = 20; print; next }
		     /^#/ { b = 0; n = 0; next }
		     n > 0 && /^    / { print; n--; next }
		     { n = 0; buf[b++] = $0 }' "$l"
	done
}
