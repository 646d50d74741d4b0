#!/usr/bin/env bash
# Host-side tests of what gets installed and of the first run: make
# install into a DESTDIR and the installed mpctl run from there, the man
# pages linted, bash completion driven, make help, deps.sh's and
# kernel.sh's progress output.  No VM; needs "make build" done.
#   bash scripts/tests/host.sh RESULTS_DIR
# Leaves "<passed> <skipped> <failed>" in RESULTS_DIR/host.summary.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
results=${1:-$top/build/test-results}
mkdir -p "$results"
results=$(cd "$results" && pwd)
n=0 pass=0 fail=0 skip=0
out=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$out" "$work"' EXIT
# a make called from "make test" must not inherit its jobserver
unset MAKEFLAGS MFLAGS MAKELEVEL

SKIP=77
check() { # name, then a command that must succeed (exit 77: skipped)
	local name=$1 rc
	shift
	n=$((n + 1))
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "#$n host/$name:OK"
		pass=$((pass + 1))
	elif [ "$rc" = "$SKIP" ]; then
		echo "#$n host/$name:SKIP ($(tail -n 1 "$out"))"
		skip=$((skip + 1))
	else
		echo "#$n host/$name:FAIL"
		sed 's/^/    /' "$out" | tail -n 30
		fail=$((fail + 1))
	fi
}

need() { # file...: skip unless they exist
	local f
	for f in "$@"; do
		[ -e "$f" ] || { echo "no $f (make build)"; return "$SKIP"; }
	done
}

# --- make help --------------------------------------------------------------

make_help() {
	local h t
	h=$(make -s --no-print-directory help) || return 1
	echo "$h"
	for t in all test demo vm bench install uninstall deps kernel build patches clean; do
		grep -qE "^  ${t}[ (]" <<<"$h" || { echo "make help: no '$t'"; return 1; }
	done
}

# --- man pages --------------------------------------------------------------

man_lint() {
	local p w rc=0
	if command -v mandoc >/dev/null; then
		for p in man/*.[1-9]; do
			mandoc -T lint -W warning "$p" || rc=1
		done
	elif command -v man >/dev/null; then
		for p in man/*.[1-9]; do
			# man --warnings prints groff's warnings on stderr; any is one
			w=$(man --warnings -l "$p" 2>&1 >/dev/null)
			[ -z "$w" ] || { echo "$p: $w"; rc=1; }
		done
	else
		echo "neither mandoc nor man (scripts/deps.sh installs mandoc)"
		return "$SKIP"
	fi
	return $rc
}

# every verb "mpctl --help" lists has its own subsection in mpctl(8)
man_verbs_covered() {
	local v rc=0
	need build/mpctl || return
	for v in $(build/mpctl --help | awk '/^  [a-z]+( |$)/ { print $1 }'); do
		[ "$v" = help ] && continue
		grep -qx ".Ss $v" man/mpctl.8 || { echo "mpctl(8) has no section for '$v'"; rc=1; }
	done
	return $rc
}

# the policy API page names every kfunc and verdict the header declares
man_api_covered() {
	local k rc=0
	for k in $(sed -n 's/^extern .* \(bpf_[a-z_]*\)(.*__ksym;$/\1/p' include/bpf_mp.bpf.h) \
		BPF_MP_HOST BPF_MP_DEVICE BPF_MP_SPLIT; do
		grep -q "$k" man/bpf_mp_ops.7 || { echo "bpf_mp_ops(7) lacks $k"; rc=1; }
	done
	return $rc
}

# --- make install -----------------------------------------------------------

# kept for the VM suite selftests/cli/installed.sh, which loads the
# installed policy library with the installed mpctl into the bpfmp kernel
dest=$results/install
prefix=/usr/local
rm -rf "$dest"

install_destdir() {
	local f
	need build/mpctl build/bpf/provider.bpf.o || return
	make -s --no-print-directory BPFMP_KERNEL_READY=1 install DESTDIR="$dest" || return 1
	for f in sbin/mpctl lib/bpfmp/provider.bpf.o include/bpfmp/bpf_mp.bpf.h \
		include/bpfmp/bpf/bpf_helpers.h share/man/man8/mpctl.8 \
		share/man/man7/bpf_mp_ops.7 share/bash-completion/completions/mpctl; do
		[ -f "$dest$prefix/$f" ] || { echo "not installed: $prefix/$f"; return 1; }
	done
	for f in dist/*.service; do
		[ -e "$f" ] || continue
		[ -f "$dest$prefix/lib/systemd/system/${f##*/}" ] ||
			{ echo "unit not installed: $f"; return 1; }
	done
	find "$dest" -type f | sed "s|^$dest||" | sort
}

# the installed mpctl, run from the DESTDIR: its version, its help, and the
# installed policy library, which it finds beside itself and opens
installed_mpctl_runs() {
	local m=$dest$prefix/sbin/mpctl lib=$dest$prefix/lib/bpfmp/provider.bpf.o v e
	need "$m" || return
	v=$("$m" --version) || return 1
	echo "$v"
	grep -qx "mpctl $(cat VERSION)\(+g[0-9a-f]*\(-dirty\)\{0,1\}\)\{0,1\}" <<<"$v" ||
		{ echo "first line is not 'mpctl $(cat VERSION)[+gREV]'"; return 1; }
	grep -qxF "policy library: $lib" <<<"$v" || { echo "library not $lib"; return 1; }
	[ "$("$m" -V)" = "$v" ] || { echo "-V differs"; return 1; }
	"$m" --help | grep -q '^Usage: mpctl VERB' || return 1
	"$m" xdp --help >/dev/null || return 1
	# opening the object and finding programs in it needs no kernel
	e=$("$m" xdp attach lo --prog nosuch 2>&1)
	[ $? = 1 ] && grep -qF "lo: no program 'nosuch' in $lib" <<<"$e" ||
		{ echo "xdp attach --prog nosuch: $e"; return 1; }
	e=$("$m" xdp attach lo --prog watermark_select 2>&1)
	grep -qF "'watermark_select' in $lib is struct_ops, not XDP" <<<"$e" ||
		{ echo "xdp attach --prog watermark_select: $e"; return 1; }
}

# no tree around it: the directory it was configured for, named as missing
moved_mpctl_names_libdir() {
	local m=$work/elsewhere/mpctl v
	need "$dest$prefix/sbin/mpctl" || return
	mkdir -p "$work/elsewhere"
	cp "$dest$prefix/sbin/mpctl" "$m"
	v=$("$m" --version) || return 1
	echo "$v"
	grep -qxF "policy library: $prefix/lib/bpfmp/provider.bpf.o$([ -e $prefix/lib/bpfmp/provider.bpf.o ] || echo ' (not found)')" <<<"$v"
}

# a policy builds with the installed headers alone (and vmlinux.h)
installed_header_builds() {
	local inc=$dest$prefix/include/bpfmp
	need "$inc/bpf_mp.bpf.h" build/vmlinux.h || return
	command -v clang-19 >/dev/null || { echo "no clang-19"; return "$SKIP"; }
	# the complete policy of bpf_mp_ops(7), taken from the page itself
	awk '/^\/\/ quarter.bpf.c$/ { p = 1 } p && /^\.Ed$/ { exit } p' \
		"$dest$prefix/share/man/man7/bpf_mp_ops.7" >"$work/quarter.bpf.c"
	[ "$(wc -l <"$work/quarter.bpf.c")" -ge 15 ] || { echo "no policy in the page"; return 1; }
	cp build/vmlinux.h "$work/"
	# the flags docs/policies.md gives, and not one warning
	clang-19 -target bpf -O2 -g -fms-extensions -Wno-microsoft-anon-tag \
		-Wall -Werror -I"$work" -I"$inc" -c "$work/quarter.bpf.c" \
		-o "$work/quarter.bpf.o" || return 1
	llvm-objdump-19 -h "$work/quarter.bpf.o" 2>/dev/null | grep -q 'struct_ops.link' ||
		{ echo "no .struct_ops.link section"; return 1; }
}

uninstall_clean() {
	local d=$work/dest2 left
	need "$dest$prefix/sbin/mpctl" || return
	make -s --no-print-directory BPFMP_KERNEL_READY=1 install DESTDIR="$d" >/dev/null &&
		make -s --no-print-directory BPFMP_KERNEL_READY=1 uninstall DESTDIR="$d" >/dev/null ||
		return 1
	left=$(find "$d" -type f)
	[ -z "$left" ] || { echo "left behind:"; echo "$left"; return 1; }
}

# --- bash completion --------------------------------------------------------

# shellcheck source=completion.sh
. scripts/tests/completion.sh
comp_mpctl=$work/comp/mpctl
mkdir -p "$work/comp"
comp_setup "$work/comp"
completion() { # test
	need build/mpctl || return
	"completion_$1" "$comp_mpctl"
}

# --- first run: deps.sh, kernel.sh ------------------------------------------

# kernel.sh's progress: a line per interval with elapsed time and objects
progress_lines() {
	local d=$work/objs o
	mkdir -p "$d"
	touch "$d/old.o"
	# under kernel.sh's "set -euo pipefail"
	o=$(BPFMP_PROGRESS_EVERY=1 bash -c 'set -euo pipefail; . scripts/lib/progress.sh
		progress_run kernel "$1" 40 sh -c "for i in 1 2 3 4; do sleep 1; touch $1/\$i.o; done; exit 3"
		echo "rc=$?"' _ "$d" || echo "rc=$?")
	echo "$o"
	grep -qx 'rc=3' <<<"$o" || { echo "status not passed through"; return 1; }
	grep -qE '^kernel: still building, [0-9]+s, [1-4] objects built of about 40$' <<<"$o" || return 1
	# the object there before the build does not count
	! grep -q ' 5 objects' <<<"$o" || return 1
	[ "$(grep -c 'still building' <<<"$o")" -ge 2 ] || { echo "one line only"; return 1; }
	grep -q $'\r' <<<"$o" && { echo "carriage return in the output"; return 1; }
	grep -q 'progress_run kernel "$out"' scripts/kernel.sh || { echo "kernel.sh does not use it"; return 1; }
	# a find that fails (objects renamed under it, here no directory at
	# all) must not end a "set -e" kernel.sh while its make goes on
	o=$(BPFMP_PROGRESS_EVERY=1 bash -c 'set -euo pipefail; . scripts/lib/progress.sh
		progress_run kernel /nonexistent "" sleep 3; echo "rc=$?"' 2>&1)
	echo "$o"
	grep -qx 'rc=0' <<<"$o" && grep -qx 'kernel: still building, [0-9]*s, 0 objects built' <<<"$o"
}

# deps.sh with a fake apt: one line for the packages, apt's output in the
# log; a failing apt is named with the log's path.  Touches neither the
# system nor the real cache (BPFMP_CACHE, KERNEL_SRC stop before the kernel).
fake_apt() { # dir exit-status
	mkdir -p "$1"
	cat >"$1/dpkg-query" <<'F'
#!/bin/sh
# every package is installed but mandoc
for p; do :; done
[ "$p" = mandoc ] && exit 1
echo "install ok installed"
F
	cat >"$1/apt-get" <<F
#!/bin/sh
for i in \$(seq 40); do echo "Get:\$i http://deb.example fake-noise \$i"; done
exit $2
F
	chmod +x "$1/dpkg-query" "$1/apt-get"
}

deps_one_line() {
	local o
	fake_apt "$work/apt-ok" 0
	o=$(PATH=$work/apt-ok:$PATH BPFMP_CACHE=$work/cache KERNEL_SRC=/nonexistent \
		bash scripts/deps.sh 2>&1) || { echo "$o"; return 1; }
	echo "$o"
	[ "$(wc -l <<<"$o")" -le 2 ] || { echo "more than two lines"; return 1; }
	grep -qE '^deps: installing 1 packages: mandoc \(log: .*/logs/deps-apt.log\)$' <<<"$o" &&
		grep -qE '^deps: 1 packages installed \([0-9]+s\)$' <<<"$o" &&
		grep -q 'Get:40 ' "$work/cache/logs/deps-apt.log"
}

deps_failure_names_log() {
	local o
	fake_apt "$work/apt-bad" 100
	o=$(PATH=$work/apt-bad:$PATH BPFMP_CACHE=$work/cache2 KERNEL_SRC=/nonexistent \
		bash scripts/deps.sh 2>&1) && { echo "succeeded: $o"; return 1; }
	echo "$o"
	grep -qF "failed (exit 100); full log: $work/cache2/logs/deps-apt.log" <<<"$o" &&
		grep -q 'Get:40 ' <<<"$o" && ! grep -q 'Get:1 ' <<<"$o"
}

check make_help make_help
check man_lint man_lint
check man_verbs_covered man_verbs_covered
check man_api_covered man_api_covered
check install_destdir install_destdir
check installed_mpctl_runs installed_mpctl_runs
check moved_mpctl_names_libdir moved_mpctl_names_libdir
check installed_header_builds installed_header_builds
check uninstall_clean uninstall_clean
for c in verbs options interfaces queues policies tunable_keys; do
	check "completion_$c" completion "$c"
done
check progress_lines progress_lines
check deps_one_line deps_one_line
check deps_failure_names_log deps_failure_names_log

echo "Summary: $pass PASSED, $skip SKIPPED, $fail FAILED"
echo "$pass $skip $fail" >"$results/host.summary"
[ "$fail" -eq 0 ]
