#!/usr/bin/env bash
# Install what bpfmp needs on Debian 12 and fetch the kernel source package.
#
# Idempotent: packages already present are not reinstalled, and the kernel
# .deb is fetched only when the cache lacks it.  The trixie-backports suite is
# added with pin priority 1 so nothing is ever upgraded from it; only
# linux-source-7.3 is fetched from it, with "apt-get download".
#
# One line per step, with its time; apt's own output goes to
# $cache/logs/deps-apt.log, which a failure names (and shows the end of).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BPFMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bpfmp}
want_version=${BPFMP_KERNEL_VERSION:-7.3.4}

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# shellcheck source=lib/progress.sh
. "$top/scripts/lib/progress.sh"
mkdir -p "$cache/logs"
log=$cache/logs/deps-apt.log
: >"$log"

# quietly CMD...: run CMD with its output in $log; on failure name the log
# and show its end, then fail.
quietly() {
	echo "+ $*" >>"$log"
	"$@" >>"$log" 2>&1 && return 0
	local rc=$?
	{
		echo "deps: '$*' failed (exit $rc); full log: $log"
		tail -n 15 "$log" | sed 's/^/    /'
	} >&2
	exit "$rc"
}

PKGS=(
	build-essential flex bison bc kmod cpio xz-utils rsync git
	libelf-dev libssl-dev zlib1g-dev libcap-dev libzstd-dev pkg-config
	dwarves ccache python3 python3-yaml python3-jsonschema mandoc
	clang-19 llvm-19 lld-19
	qemu-system-x86 busybox-static
	iproute2 ethtool iperf3 socat iputils-ping jq tmux gnuplot-nox
	libinih-dev
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

updated=0
apt_update() {
	[ "$updated" -eq 1 ] && return
	quietly $SUDO apt-get update
	updated=1
}

t0=$SECONDS
if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${#missing[@]} packages: ${missing[*]} (log: $log)"
	apt_update
	quietly env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y \
		--no-install-recommends "${missing[@]}"
	step_done deps "${#missing[@]} packages installed" "$t0"
else
	echo "deps: all ${#PKGS[@]} packages present"
fi

[ -n "${KERNEL_SRC:-}" ] && exit 0

mkdir -p "$cache"
tarball=$cache/linux-source-7.3.tar.xz
if [ -f "$tarball" ] && [ -f "$cache/linux-source-7.3.version" ]; then
	ver=$(cat "$cache/linux-source-7.3.version")
else
	# The mirror comes from this machine's own sources, never from us.
	src=/etc/apt/sources.list.d/debian.sources
	uri=
	if [ -f "$src" ]; then
		uri=$(awk '/^URIs:/ { print $2; exit }' "$src")
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || { echo "deps: no Debian mirror in apt sources" >&2; exit 1; }
	t0=$SECONDS
	echo "deps: fetching linux-source-7.3 from trixie-backports (pinned to priority 1)"

	list=/etc/apt/sources.list.d/bpfmp-trixie-backports.sources
	pin=/etc/apt/preferences.d/bpfmp-trixie-backports
	# Pin first, so there is never a moment the suite has default priority.
	printf 'Package: *\nPin: release n=trixie-backports\nPin-Priority: 1\n' |
		$SUDO tee "$pin" >/dev/null
	printf 'Types: deb\nURIs: %s\nSuites: trixie-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | $SUDO tee "$list" >/dev/null
	updated=0
	apt_update
	tmp=$(mktemp -d "$cache/deb.XXXXXX")
	# apt's sandbox user cannot write root's cache: download as root quietly.
	(cd "$tmp" && quietly apt-get download -o APT::Sandbox::User=root linux-source-7.3)
	deb=$(ls "$tmp"/linux-source-7.3_*.deb)
	ver=$(dpkg-deb -f "$deb" Version)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO ./usr/src/linux-source-7.3.tar.xz >"$tarball.part"
	mv "$tarball.part" "$tarball"
	echo "$ver" >"$cache/linux-source-7.3.version"
	rm -rf "$tmp"
	step_done deps "linux-source-7.3 $ver fetched" "$t0"
fi

case "$ver" in
"$want_version"*) ;;
*)
	echo "deps: WARNING: wanted linux-source $want_version, got $ver" >&2
	echo "deps: WARNING: the patch series was written against $want_version" >&2
	;;
esac

sum=$(sha256sum "$tarball" | cut -d' ' -f1)
base=$top/kernel/BASE
recorded=$(awk '/^sha256/ { print $2 }' "$base" 2>/dev/null || true)
if [ -n "$recorded" ] && [ "$recorded" != "$sum" ]; then
	echo "deps: WARNING: tarball sha256 $sum differs from kernel/BASE ($recorded)" >&2
fi
if [ -z "$recorded" ]; then
	printf 'package linux-source-7.3\nversion %s\nsha256 %s\n' "$ver" "$sum" >"$base"
fi
echo "deps: linux-source-7.3 $ver ($tarball)"
