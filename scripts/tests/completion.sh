# shellcheck shell=bash
# shellcheck disable=SC2154 # $top: set by host.sh, which sources this
# Completion tests for scripts/tests/host.sh: completion/mpctl's _mpctl
# driven as bash does (COMP_WORDS, COMP_CWORD), COMPREPLY checked.  Each
# runs in a fresh bash with the completion sourced.
#
# The mpctl on the line is a wrapper around build/mpctl (its real --help
# texts give the verbs and options) that answers "policy list" and
# "policy show NAME -j" itself, as a bpfmp kernel with policies would: the
# host has no bpf-mp family.

comp_setup() { # dir: writes DIR/mpctl
	cat >"$1/mpctl" <<WRAP
#!/bin/sh
case "\$*" in
"policy list")
	printf '%-15s %6s\n' NAME QUEUES static_map 0 watermark 2 split 0
	exit 0 ;;
"policy show watermark -j")
	echo '[{"name":"watermark","tunables":{"high":50,"low":25}}]'
	exit 0 ;;
esac
exec "$top/build/mpctl" "\$@"
WRAP
	chmod +x "$1/mpctl"
}

# comp MPCTL WORD... : the completions of the last WORD, sorted, one a line
comp() {
	bash -c '
		source "$1/completion/mpctl"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_mpctl
		printf "%s\n" "${COMPREPLY[@]}"' comp "$top" "$@" | sed '/^$/d' | sort
}

# want GOT WANT...: GOT (lines) holds every WANT
want() {
	local got=$1 w
	shift
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$got" || {
			echo "missing '$w' in:"
			echo "$got" | sed 's/^/    /'
			return 1
		}
	done
}

# exactly GOT WANT...: GOT is exactly the WANTs
exactly() {
	local got=$1
	shift
	[ "$got" = "$(printf '%s\n' "$@" | sort)" ] || {
		echo "got:"
		echo "$got" | sed 's/^/    /'
		echo "want: $*"
		return 1
	}
}

completion_verbs() {
	local m=$1
	want "$(comp "$m" '')" attach detach show policy xdp help --version &&
		exactly "$(comp "$m" at)" attach &&
		exactly "$(comp "$m" help d)" detach
}

completion_options() {
	local m=$1
	want "$(comp "$m" attach lo --)" --queues --policy --dmabuf-fd --udmabuf --strict --flow --replace &&
		exactly "$(comp "$m" attach lo --r)" --replace &&
		exactly "$(comp "$m" show --p)" --pretty &&
		exactly "$(comp "$m" xdp attach lo --p)" --port --prog &&
		exactly "$(comp "$m" attach lo --flow '')" tcp:
}

completion_interfaces() {
	local m=$1 ifs=() lifs=() d
	for d in /sys/class/net/*; do
		ifs+=("${d##*/}")
		[[ ${d##*/} == l* ]] && lifs+=("${d##*/}")
	done
	exactly "$(comp "$m" attach '')" "${ifs[@]}" &&
		want "$(comp "$m" xdp detach '')" lo &&
		exactly "$(comp "$m" show l)" "${lifs[@]}"
}

# the RX queues of the interface on the line, from its sysfs, also after
# a comma; the interface with the most queues shows the order
completion_queues() {
	local m=$1 ifname n best=0 ids
	for d in /sys/class/net/*; do
		n=$(ls -d "$d"/queues/rx-* 2>/dev/null | wc -l)
		[ "$n" -gt "$best" ] && best=$n ifname=${d##*/}
	done
	[ -n "$ifname" ] || { echo "no interface with RX queues"; return 1; }
	ids=$(ls -d /sys/class/net/"$ifname"/queues/rx-* | sed 's/.*rx-//' | sort -n)
	# queue ids are numbers: split on purpose
	# shellcheck disable=SC2086,SC2046
	exactly "$(comp "$m" attach "$ifname" --queues '')" $ids &&
		exactly "$(comp "$m" detach "$ifname" --queues "0,")" $(sed 's/^/0,/' <<<"$ids") &&
		exactly "$(comp "$m" attach "$ifname" --policy p --queues=0)" \
			$(grep '^0' <<<"$ids" | sed 's/^/--queues=/') &&
		exactly "$(comp "$m" attach nosuch0 --queues '')"
}

completion_policies() {
	local m=$1
	exactly "$(comp "$m" attach lo --queues 0 --policy '')" static_map watermark split &&
		exactly "$(comp "$m" attach lo --policy=wa)" --policy=watermark &&
		exactly "$(comp "$m" policy unload s)" static_map split &&
		exactly "$(comp "$m" policy '')" load unload list set show
}

# "mpctl policy set NAME KEY=VALUE": keys from "policy show NAME -j"
completion_tunable_keys() {
	local m=$1
	command -v jq >/dev/null || { echo "no jq"; return 77; }
	exactly "$(comp "$m" policy set watermark '')" high= low= &&
		exactly "$(comp "$m" policy set watermark high=50 l)" low= &&
		exactly "$(comp "$m" policy set split '')"
}
