#!/usr/bin/env bash
# Regenerate kernel/patches/ from the commits on top of "base" in the cache
# tree (see scripts/kernel.sh): edit there, commit one logical change per
# commit, then run "make patches".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BPFMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfmp}
src=$cache/linux
[ -d "$src/.git" ] || { echo "patches: no tree at $src; run 'make kernel'" >&2; exit 1; }
if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
	echo "patches: $src has uncommitted changes; commit them first" >&2
	exit 1
fi
rm -f "$top"/kernel/patches/*.patch
git -C "$src" -c diff.suppressBlankEmpty=true -c user.name=bpfmp -c user.email=bpfmp@localhost format-patch --signoff -q -N --no-signature --zero-commit \
	-o "$top/kernel/patches" base..HEAD
# The tree now matches the series exactly: no need to re-apply it.
cat "$top"/kernel/patches/*.patch | sha256sum | cut -d' ' -f1 >"$src/.bpfmp-series"
ls "$top"/kernel/patches
