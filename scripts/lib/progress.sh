# shellcheck shell=bash
# Plain-text progress for the long steps of the first run (scripts/deps.sh,
# scripts/kernel.sh): one line per step with its time, and a line every
# BPFMP_PROGRESS_EVERY seconds (default 30) while a build runs.  No
# carriage returns or terminal control: CI logs read the same as a tty.

# 75 -> "1m15s", 9 -> "9s"
fmt_secs() {
	local s=$1
	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

# step_done PREFIX WHAT START: "PREFIX: WHAT (12s)", START from $SECONDS
step_done() {
	echo "$1: $2 ($(fmt_secs $((SECONDS - $3))))"
}

# progress_run PREFIX DIR TOTAL CMD...: run CMD; while it runs, every
# BPFMP_PROGRESS_EVERY seconds print "PREFIX: still building, 2m30s, 812
# objects built" (objects: *.o under DIR written since CMD started; of
# about TOTAL when TOTAL, the count a previous full build left, is not
# empty).  Returns CMD's status.
progress_run() {
	local prefix=$1 dir=$2 total=$3 every=${BPFMP_PROGRESS_EVERY:-30}
	local start=$SECONDS last=$SECONDS stamp pid rc=0 n of=''
	shift 3
	stamp=$(mktemp)
	[ -n "$total" ] && of=" of about $total"
	"$@" &
	pid=$!
	# an interrupted script takes its build with it
	trap 'kill "$pid" 2>/dev/null; rm -f "$stamp"' INT TERM
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ $((SECONDS - last)) -ge "$every" ] && kill -0 "$pid" 2>/dev/null; then
			last=$SECONDS
			# Kbuild renames objects into place: find may lose one
			# and fail, which must not stop a "set -e" caller
			n=$(find "$dir" -name '*.o' -newer "$stamp" 2>/dev/null | wc -l) || true
			echo "$prefix: still building, $(fmt_secs $((SECONDS - start))), $n objects built$of"
		fi
	done
	wait "$pid" || rc=$?
	trap - INT TERM
	rm -f "$stamp"
	return "$rc"
}
