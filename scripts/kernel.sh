#!/usr/bin/env bash
# Build the bpfmp kernel: pristine 7.3 tree + our file + kernel/patches, then
# tinyconfig + kernel/config fragments, bzImage, with ccache.
#
# The source tree is a git repository whose first commit ("base") is the
# pristine tree; kernel/patches/*.patch are applied on top with "git am" so
# each patch becomes one commit there (this is also the tree you edit before
# "make patches").  Objects live outside the tree (O=), so resetting the tree
# to base and re-applying the series never leaves a half-patched build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BPFMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfmp}
debug=${DEBUG:-0}
[ "$debug" = 0 ] && flavour=base || flavour=debug
# BPFMP_NOMP=1: the same tree with CONFIG_BPF_MEM_PROVIDER=n, to show the
# drivers build and run without bpfmp (make kernel-nomp)
[ "${BPFMP_NOMP:-0}" = 0 ] || flavour=nomp
src=$cache/linux
out=$cache/out-$flavour
jobs=${JOBS:-3}
# shellcheck source=lib/progress.sh
. "$top/scripts/lib/progress.sh"

export CCACHE_DIR=$cache/ccache
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=bpfmp KBUILD_BUILD_HOST=bpfmp

die() { echo "kernel: $*" >&2; exit 1; }
gitk() { git -C "$src" -c user.name=bpfmp -c user.email=bpfmp@localhost "$@"; }

pristine_id() {
	if [ -n "${KERNEL_SRC:-}" ]; then
		echo "dir:$(cd "$KERNEL_SRC" && pwd)"
	else
		awk '/^sha256/ { print "tar:" $2 }' "$top/kernel/BASE"
	fi
}

make_pristine() {
	local t0=$SECONDS
	echo "kernel: preparing pristine tree in $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	if [ -n "${KERNEL_SRC:-}" ]; then
		rsync -a --exclude .git "$KERNEL_SRC"/ "$src.tmp"/
	else
		tarball=$cache/linux-source-7.3.tar.xz
		[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"
		tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	fi
	# Debian's tarball ignores everything at the top level ("/*"), which
	# would hide the whole tree from git: drop those two lines.
	sed -i '/^\/\*$/d; /^!\/debian\/$/d' "$src.tmp/.gitignore"
	mv "$src.tmp" "$src"
	gitk init -q
	gitk add -A
	gitk commit -q -m base
	gitk tag base
	pristine_id >"$src/.bpfmp-pristine"
	# Our file is copied in at build time; keep it out of commits.
	printf '%s\n' net/core/bpf_mem_provider.c include/net/bpf_mp.h \
		Documentation/netlink/specs/bpf-mp.yaml include/uapi/linux/bpf_mp.h \
		'net/core/bpf_mp-nl-gen.*' >>"$src/.git/info/exclude"
	echo .bpfmp-* >>"$src/.git/info/exclude"
	step_done kernel "pristine tree ready" "$t0"
}

series_id() {
	cat "$top"/kernel/patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Check that the patches in $1 apply in order to base, without touching the
# work tree (a scratch index), naming the first one that does not.
check_series() {
	local dir p idx rc=0
	dir=$(cd "$1" && pwd) || return 1
	idx=$(mktemp)
	GIT_INDEX_FILE=$idx gitk read-tree base
	for p in "$dir"/*.patch; do
		[ -e "$p" ] || continue
		if ! GIT_INDEX_FILE=$idx gitk apply --cached "$p"; then
			echo "kernel: patch $(basename "$p") does not apply" >&2
			rc=1
			break
		fi
	done
	rm -f "$idx"
	return $rc
}

apply_series() {
	local t0=$SECONDS
	check_series "$top/kernel/patches" || exit 1
	echo "kernel: applying kernel/patches to a pristine tree"
	gitk am --abort >/dev/null 2>&1 || true
	gitk reset -q --hard base
	gitk clean -q -fd
	for p in "$top"/kernel/patches/*.patch; do
		[ -e "$p" ] || continue
		if ! gitk am -q "$p" >/tmp/bpfmp-am.$$ 2>&1; then
			cat /tmp/bpfmp-am.$$ >&2
			rm -f /tmp/bpfmp-am.$$
			gitk am --abort >/dev/null 2>&1 || true
			gitk reset -q --hard base
			rm -f "$src/.bpfmp-series"
			die "patch $(basename "$p") does not apply"
		fi
	done
	rm -f /tmp/bpfmp-am.$$
	series_id >"$src/.bpfmp-series"
	step_done kernel "$(ls "$top"/kernel/patches/*.patch 2>/dev/null | wc -l) patches applied" "$t0"
}

copy_if_changed() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}

configure() {
	local frags=("$top/kernel/config/base.config")
	[ "$flavour" = debug ] && frags+=("$top/kernel/config/debug.config")
	[ "$flavour" = nomp ] && frags+=("$top/kernel/config/nomp.config")
	local id
	id=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.bpfmp-config" 2>/dev/null)" = "$id" ]; then
		return
	fi
	local t0=$SECONDS
	echo "kernel: configuring ($flavour)"
	mkdir -p "$out"
	make -s -C "$src" O="$out" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
	make -s -C "$src" O="$out" olddefconfig >/dev/null
	# Kconfig silently drops options whose dependencies are unmet: refuse.
	# A later fragment overrides an earlier one (nomp.config turns bpfmp
	# off), as merge_config.sh does: check each symbol's last request.
	local bad=0 line sym val
	local -A want=()
	while read -r line; do
		case "$line" in
		CONFIG_*=*) want[${line%%=*}]=${line#*=} ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			want[${sym%% *}]=n
			;;
		esac
	done < <(cat "${frags[@]}")
	for sym in "${!want[@]}"; do
		val=${want[$sym]}
		if [ "$val" = n ]; then
			grep -q "^$sym=" "$out/.config" && {
				echo "kernel: $sym requested off but set" >&2
				bad=1
			}
		else
			grep -qx "$sym=$val" "$out/.config" || {
				echo "kernel: $sym=$val requested but not set" >&2
				bad=1
			}
		fi
	done
	[ "$bad" = 0 ] || die "config fragments do not hold"
	echo "$id" >"$out/.bpfmp-config"
	step_done kernel configured "$t0"
}

ensure_pristine() {
	[ -f "$src/.bpfmp-pristine" ] &&
		[ "$(cat "$src/.bpfmp-pristine")" = "$(pristine_id)" ] ||
		make_pristine
}

if [ "${1:-}" = --check-series ]; then
	ensure_pristine
	check_series "$2"
	exit
fi

# Everything a build depends on: if it matches what the last successful
# build recorded, skip Kbuild's own walk of the tree (half a minute even
# with nothing to do).  Hand edits in the tree count through git.
inputs_id() {
	{
		echo "$flavour $(pristine_id) $(series_id)"
		cat "$top/kernel/config/base.config" "$top/kernel/bpf_mem_provider.c" \
			"$top/kernel/bpf_mp.h" "$top/kernel/specs/bpf-mp.yaml"
		[ "$flavour" = debug ] && cat "$top/kernel/config/debug.config"
		[ "$flavour" = nomp ] && cat "$top/kernel/config/nomp.config"
		gitk rev-parse HEAD
		gitk status --porcelain --untracked-files=no
	} | sha256sum | cut -d' ' -f1
}

ensure_pristine
if [ -f "$out/arch/x86/boot/bzImage" ] && [ -f "$out/vmlinux" ] &&
	[ "$(cat "$out/.bpfmp-built" 2>/dev/null)" = "$(inputs_id)" ]; then
	mkdir -p "$top/build"
	ln -sfn "$out" "$top/build/kernel-$flavour"
	echo "kernel: $out/arch/x86/boot/bzImage (up to date)"
	exit 0
fi
rm -f "$out/.bpfmp-built"
[ "$(cat "$src/.bpfmp-series" 2>/dev/null)" = "$(series_id)" ] || apply_series
# Our own files are laid over the tree (only when changed, so make does not
# rebuild them for nothing); the netlink code is generated from our spec.
copy_if_changed "$top/kernel/bpf_mem_provider.c" "$src/net/core/bpf_mem_provider.c"
copy_if_changed "$top/kernel/bpf_mp.h" "$src/include/net/bpf_mp.h"
spec=$src/Documentation/netlink/specs/bpf-mp.yaml
copy_if_changed "$top/kernel/specs/bpf-mp.yaml" "$spec"
ynl_gen() { # mode kind out (the .c names its header after the output)
	local tmp
	tmp=$(mktemp -d)
	python3 "$src/tools/net/ynl/pyynl/ynl_gen_c.py" --mode "$1" "--$2" \
		--spec "$spec" -o "$tmp/$(basename "$3")" >/dev/null
	copy_if_changed "$tmp/$(basename "$3")" "$3"
	rm -rf "$tmp"
}
if [ "$spec" -nt "$src/net/core/bpf_mp-nl-gen.c" ]; then
	ynl_gen uapi header "$src/include/uapi/linux/bpf_mp.h"
	ynl_gen kernel header "$src/net/core/bpf_mp-nl-gen.h"
	ynl_gen kernel source "$src/net/core/bpf_mp-nl-gen.c"
fi
configure

echo "kernel: building bzImage ($flavour, -j$jobs; 6 to 12 minutes on 2 cores from scratch, a line every ${BPFMP_PROGRESS_EVERY:-30}s)"
t0=$SECONDS
# the object count of the last complete build, to say how far this one is
total=$(cat "$out/.bpfmp-objects" 2>/dev/null || true)
progress_run kernel "$out" "$total" \
	make -s -C "$src" O="$out" -j"$jobs" CC="ccache gcc" bzImage
# uapi headers for user space, in $out/usr/include (only changed ones move)
make -s -C "$src" O="$out" headers_install
find "$out" -name '*.o' | wc -l >"$out/.bpfmp-objects"
step_done kernel "bzImage built" "$t0"

inputs_id >"$out/.bpfmp-built"
mkdir -p "$top/build"
ln -sfn "$out" "$top/build/kernel-$flavour"
echo "kernel: $out/arch/x86/boot/bzImage"
