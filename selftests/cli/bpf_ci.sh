#!/usr/bin/env bash
# Upstream's runner: BPF CI's test_progs, built from the kernel tree with
# only the bpf_mp test (make bpf-ci, scripts/bpf-ci.sh), run as BPF CI runs
# it.  Its own output is shown as it is; the counts are turned into ours:
# each subtest is a test (leaves, as our runner counts), a failing
# subtest a failure, and a run that dies before its Summary line, or
# exits non-zero with nothing failed, is bpf_ci/run:FAIL.
set -u
cd "$(dirname "$0")/../.."
TP=build/bpf-ci/test_progs
if [ ! -x "$TP" ]; then
	echo "#1 bpf_ci/run:FAIL ($TP missing: make bpf-ci)"
	echo "Summary: 0 PASSED, 0 SKIPPED, 1 FAILED"
	exit 1
fi
limit=$([ "${DEBUG:-0}" = 0 ] && echo 300 || echo 1500)
out=$(mktemp)
timeout -k 10 "$limit" "$TP" -t bpf_mp >"$out" 2>&1
rc=$?
cat "$out"
# upstream: "Summary: T/S PASSED, K SKIPPED, F/G FAILED" (T and F tests,
# S and G subtests)
sum=$(grep -E '^Summary: [0-9]+/[0-9]+ PASSED, [0-9]+ SKIPPED, [0-9]+(/[0-9]+)? FAILED' "$out" | tail -n 1)
rm -f "$out"
if [ -z "$sum" ]; then
	why="exited $rc"
	[ "$rc" = 124 ] && why="killed after $limit s"
	echo "#1 bpf_ci/run:FAIL (test_progs $why without its Summary line)"
	echo "Summary: 0 PASSED, 0 SKIPPED, 1 FAILED"
	exit 1
fi
read -r sub skip fail subfail <<<"$(echo "$sum" |
	sed -E 's/^Summary: [0-9]+\/([0-9]+) PASSED, ([0-9]+) SKIPPED, ([0-9]+)\/?([0-9]*) FAILED.*/\1 \2 \3 \4/')"
# failing subtests when it names them, else failing tests
[ "${subfail:-0}" -gt 0 ] && fail=$subfail
if [ "$rc" -ne 0 ] && [ "$fail" = 0 ]; then
	echo "#1 bpf_ci/run:FAIL (test_progs exited $rc with nothing failed)"
	fail=1
fi
echo "Summary: $sub PASSED, $skip SKIPPED, $fail FAILED"
[ "$fail" = 0 ]
