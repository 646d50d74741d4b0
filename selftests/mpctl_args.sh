#!/usr/bin/env bash
# mpctl command-line checks that need no bpfmp kernel: usage errors exit 2
# with a message naming the bad argument, before any netlink traffic.
# Run on the host: bash selftests/mpctl_args.sh [build/mpctl]
set -u
mpctl=${1:-$(dirname "$0")/../build/mpctl}
pass=0 fail=0 skip=0
# mpctl xdp's default object, bpf/provider.bpf.o beside the binary
bin_dir=$(cd "$(dirname "$mpctl")" && pwd -P)
provider=$bin_dir/bpf/provider.bpf.o
xdp_count=$bin_dir/selftests/progs/xdp_count.bpf.o

# check EXIT 'STDERR-SUBSTRING' ARGS...
check() {
	local want=$1 msg=$2 out rc
	shift 2
	out=$("$mpctl" "$@" 2>&1 >/dev/null)
	rc=$?
	# one named line per check, as test_progs prints them
	if [ "$rc" = "$want" ] && [[ $out == *"$msg"* ]]; then
		pass=$((pass + 1))
		echo "#$((pass + fail + skip)) mpctl_args/mpctl $*:OK"
	else
		fail=$((fail + 1))
		echo "#$((pass + fail + skip)) mpctl_args/mpctl $*:FAIL"
		echo "    exit $rc (want $want), stderr: $out (want '$msg')"
	fi
}

# check_out EXIT 'STDOUT-SUBSTRING' ARGS...: what --help says
check_out() {
	local want=$1 msg=$2 out rc
	shift 2
	out=$("$mpctl" "$@" 2>/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && [[ $out == *"$msg"* ]]; then
		pass=$((pass + 1))
		echo "#$((pass + fail + skip)) mpctl_args/mpctl $* (stdout):OK"
	else
		fail=$((fail + 1))
		echo "#$((pass + fail + skip)) mpctl_args/mpctl $* (stdout):FAIL"
		echo "    exit $rc (want $want), stdout lacks '$msg'"
	fi
}

check 2 'Usage: mpctl'			# no verb
check 2 "unknown verb 'frob'"		frob
# check_with FILE EXIT 'STDERR-SUBSTRING' ARGS...: skipped without FILE
check_with() {
	local file=$1
	shift
	if [ -e "$file" ]; then
		check "$@"
	else
		skip=$((skip + 1))
		echo "#$((pass + fail + skip)) mpctl_args/mpctl ${*:3}:SKIP (no $file: make bpf selftests)"
	fi
}

check 0 ''				--help
check_out 0 '[--flow tcp:PORT]'		--help
check_out 0 'attach IF --queues LIST --policy NAME --replace' --help
check_out 0 'policy unload NAME|--all'	--help
check 0 ''				attach --help
check_out 0 '(K, M, G, T'		attach --help
check 0 ''				help show
check 2 'missing interface'		attach
check 2 '--queues is required'		attach lo --policy p
check 2 '--policy is required'		attach lo --queues 0
check 2 "at 'x'"			attach lo --queues 0-3,x --policy p
check 2 "range '3-1' runs backwards"	attach lo --queues 3-1 --policy p
check 2 'queue ids go up to 65535'	attach lo --queues 70000 --policy p
check 2 "at ',1'"			attach lo --queues 0,,1 --policy p
check 2 'end of list'			attach lo --queues 0- --policy p
check 2 'at most 15 characters'		attach lo --queues 0 --policy abcdefghijklmnop
check 2 'exclude each other'		attach lo --queues 0 --policy p --udmabuf 4M --dmabuf-fd 3
check 2 'not a multiple of the page size' attach lo --queues 0 --policy p --udmabuf 5000
check 2 "not a size"			attach lo --queues 0 --policy p --udmabuf 64Q
check 2 "--flow 'udp:53': expected tcp:PORT" attach lo --queues 0 --policy p --flow udp:53
check 2 "--flow 'tcp:0': '0' is not a port" attach lo --queues 0 --policy p --flow tcp:0
check 2 "--flow 'tcp:70000'"		attach lo --queues 0 --policy p --flow tcp:70000
check 2 'not a file descriptor number'	attach lo --queues 0 --policy p --dmabuf-fd -1
check 2 "unknown option '--bogus'"	attach lo --queues 0 --policy p --bogus
check 2 '--queues needs a value'	attach lo --queues
check 2 '--strict takes no value'	attach lo --queues 0 --policy p --strict=1
# --replace changes the policy only: what the attach set up stays
check 2 '--udmabuf cannot go with it'	attach lo --queues 0 --policy p --replace --udmabuf 4M
check 2 '--dmabuf-fd cannot go with it'	attach lo --queues 0 --policy p --replace --dmabuf-fd 3
check 2 '--strict cannot go with it'	attach lo --queues 0 --policy p --replace --strict
check 2 '--flow cannot go with it'	attach lo --queues 0 --policy p --replace --flow tcp:5201
check 2 '--policy is required'		attach lo --queues 0 --replace
check 2 '--replace takes no value'	attach lo --queues 0 --policy p --replace=1
check 1 'nosuch0: no such interface'	attach nosuch0 --queues 0 --policy p --replace
check_out 0 'swap the policy of attached queues in place' attach --help
# --strict only changes what exhausted device memory does: refused without it
check 2 '--strict needs device memory (--dmabuf-fd N or --udmabuf SIZE)' \
	attach lo --queues 0 --policy p --strict
check 1 'nosuch0: no such interface'	attach nosuch0 --queues 0 --policy p
check 1 'out of range'			attach lo --queues 0-3,5 --policy p
# --dmabuf-fd N is checked before any netlink request: open, and a dma-buf
check 1 '--dmabuf-fd 77: not an open file descriptor' \
	attach lo --queues 0 --policy p --dmabuf-fd 77 77<&-
regular=$(mktemp)
check 1 "--dmabuf-fd 5: not a dma-buf (it is $regular)" \
	attach lo --queues 0 --policy p --dmabuf-fd 5 5<"$regular"
rm -f "$regular"
check 1 '--dmabuf-fd 6: not a dma-buf (it is pipe:[' \
	attach lo --queues 0 --policy p --dmabuf-fd 6 6< <(:)
if { true 7<>/dev/ptmx; } 2>/dev/null; then
	check 1 '--dmabuf-fd 7: not a dma-buf (it is /dev/' \
		attach lo --queues 0 --policy p --dmabuf-fd 7 7<>/dev/ptmx
else
	skip=$((skip + 1))
	echo "SKIP: mpctl attach --dmabuf-fd of a tty: cannot open /dev/ptmx"
fi

# --udmabuf SIZE larger than udmabuf allows, or than the memory there is:
# refused before a memfd or udmabuf exists (their pages would be pinned
# at once).  size_limit_mb's default differs between kernels: no fixed size.
size_limit=/sys/module/udmabuf/parameters/size_limit_mb
limit_mb=$(cat "$size_limit" 2>/dev/null)
if [ -n "$limit_mb" ]; then
	check 1 "--udmabuf $((limit_mb + 1))M: larger than udmabuf.size_limit_mb ($limit_mb MiB" \
		attach lo --queues 0 --policy p --udmabuf "$((limit_mb + 1))M"
else
	skip=$((skip + 1))
	echo "SKIP: mpctl attach --udmabuf above size_limit_mb: no $size_limit"
fi
# What a refused --udmabuf must not leave: memfds mpctl made that anyone
# still holds, and udmabufs (debugfs, where there is one).
leftovers() {
	local n
	n=$(find /proc/[0-9]*/fd -lname '/memfd:mpctl-udmabuf*' 2>/dev/null | wc -l)
	if [ -r /sys/kernel/debug/dma_buf/bufinfo ]; then
		n=$((n + $(grep -c udmabuf /sys/kernel/debug/dma_buf/bufinfo)))
	fi
	echo "$n"
}
oom_kills() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }
# more than all of RAM (the issue: 100G in 2 GiB ran the OOM killer)
big=$(( $(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) / 1048576 + 1 ))G
if [ -n "$limit_mb" ] && [ "$limit_mb" -lt "$(( ${big%G} * 1024 ))" ]; then
	skip=$((skip + 1))
	echo "SKIP: mpctl attach --udmabuf $big: above size_limit_mb ($limit_mb), checked above"
else
	sleep 600 & bystander=$!
	left=$(leftovers) kills=$(oom_kills)
	check 1 "--udmabuf $big: more than the " attach lo --queues 0 --policy p --udmabuf "$big"
	check 1 "(MemAvailable " attach lo --queues 0 --policy p --udmabuf "$big"
	if kill -0 "$bystander" 2>/dev/null && [ "$(oom_kills)" = "$kills" ] &&
	   [ "$(leftovers)" = "$left" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: mpctl attach --udmabuf $big: bystander $(kill -0 "$bystander" 2>/dev/null && echo alive || echo dead), oom_kill $kills -> $(oom_kills), leftovers $left -> $(leftovers)"
	fi
	kill "$bystander" 2>/dev/null
	wait "$bystander" 2>/dev/null
fi
check 2 "at 'a'"			detach lo --queues a
check 1 'nosuch0: no such interface'	detach nosuch0
check 2 "--watch '0'"			show --watch 0
check 1 'nosuch0: no such interface'	show nosuch0
check 2 'missing subcommand'		policy
check 2 "unknown subcommand 'frob'"	policy frob
check 2 'missing object file'		policy load
check 2 'not a policy name'		policy unload a/b
check 2 'takes no arguments'		policy list extra
check 2 'missing policy name (or --all)' policy unload
check 2 'a NAME or --all, not both'	policy unload watermark --all
check 2 '--all is for unload'		policy list --all
check 2 '--json is for list'		policy load x.o -j
check 1 'policy load /nonexistent.o'	policy load /nonexistent.o
check 1 'unload --all: /nonexistent: No such file or directory' policy unload --all --pin /nonexistent
# Without the bpf-mp family (the host's kernel): say what kernel it takes.
# Inside the VM the family is there and the message cannot be had.
if out=$("$mpctl" policy list 2>&1 >/dev/null); [[ $out == *"bpf-mp: not found"* ]]; then
	check 1 "this kernel has no bpfmp (it needs Linux 7.3 with kernel/patches/ and CONFIG_BPF_MEM_PROVIDER=y; 'make vm' boots one" \
		policy list
else
	skip=$((skip + 1))
	echo "#$((pass + fail + skip)) mpctl_args/mpctl policy list (no family):SKIP (this kernel has the bpf-mp family)"
fi
# policy set/show and apply/save: a setup file's syntax and values are
# checked, with FILE:LINE, before mpctl looks at the system
check 2 'policy set: missing policy name' policy set
check 2 'policy set: missing KEY=VALUE'	policy set watermark
check 2 "policy set: 'abcdefghijklmnop': not a policy name" policy set abcdefghijklmnop x=1
check 0 ''				policy set --help
check 0 ''				policy show --help
check 0 ''				apply --help
check 0 ''				help save
check 2 'apply: missing FILE'		apply
check 2 "unknown option '--force'"	apply f --force
check 1 '/nonexistent.conf: No such file or directory' apply /nonexistent.conf
conf=$(mktemp)
conf_check() { # 'LINES' 'STDERR-SUBSTRING' [apply options]
	printf "$1" >"$conf"
	local msg=$2
	shift 2
	check 1 "$conf:$msg" apply "$conf" "$@"
}
conf_check '# bpfmp\n[bogus]\nx = 1\n' "2: [bogus]: unknown section (valid: [policies], [policy NAME], [queues IF LIST], [xdp IF])"
conf_check 'policy = x\n' "1: 'policy' before any section"
conf_check '[queues lo 0]\npolicy = p\nudmabuf = 5000\n' "3: udmabuf '5000': not a multiple of the page size"
conf_check '[queues lo 0]\npolicy = p\nudmabuf = 4Q\n' "3: udmabuf '4Q': not a size" --dry-run
conf_check '[queues lo 0]\npolicy = p\nstrict = maybe\n' "3: strict 'maybe': expected yes or no"
conf_check '[queues lo 0]\npolicy = p\nflow = udp:53\n' "3: flow 'udp:53': expected tcp:PORT"
conf_check '[queues lo 0-x]\npolicy = p\n' "1: [queues lo 0-x]: '0-x': expected"
conf_check '\n[queues lo 0]\nudmabuf = 4M\n' "2: [queues lo 0]: no 'policy = NAME'"
conf_check '[xdp lo]\nports = 70000\n' "2: ports: '70000' is not a port (1-65535)"
conf_check '[xdp lo]\nmode = offload\n' "2: mode 'offload': expected native or generic"
conf_check '[xdp lo]\n[xdp lo]\n' "2: [xdp lo] again (first at line 1)"
conf_check '[policies]\nobject\n' "2: not KEY = VALUE or [SECTION]"
conf_check '[policies]\nfile = x.o\n' "2: [policies]: unknown key 'file' (valid: object)"
rm -f "$conf"
# mpctl xdp: every case fails before anything is loaded or attached
check 0 ''				xdp --help
check 0 ''				help xdp
check 2 'missing subcommand (attach, detach)' xdp
check 2 "unknown subcommand 'frob'"	xdp frob
check 2 'xdp attach: missing interface'	xdp attach
check 2 'xdp detach: missing interface'	xdp detach
check 2 "'70000' is not a port (1-65535)" xdp attach lo --port 70000
check 2 "'0' is not a port"		xdp attach lo --port 0
check 2 "'http' is not a port"		xdp attach lo --port 5201 --port http
check 2 "'-1' is not a port"		xdp attach lo --port=-1
check 2 "'5201,,5202': empty item"	xdp attach lo --port 5201,,5202
check 2 '--port needs a value'		xdp attach lo --port
check 2 '--prog: empty value'		xdp attach lo --prog=
check 2 "unknown option '--native'"	xdp attach lo --native
check 2 'takes no options'		xdp detach lo --generic
check 2 "unexpected argument 'x'"	xdp detach lo x
check 1 'xdp attach: nosuch0: no such interface' xdp attach nosuch0 --port 80
check 1 'xdp detach: nosuch0: no such interface' xdp detach nosuch0
check 1 'open /nonexistent.o: '		xdp attach lo /nonexistent.o
check_with "$provider" 1 "lo: no program 'nosuch' in $provider" xdp attach lo "$provider" --prog nosuch
check_with "$provider" 1 "lo: no program 'nosuch' in $provider" xdp attach lo --prog nosuch
check_with "$provider" 1 "'watermark_select' in $provider is struct_ops, not XDP" \
	xdp attach lo --prog watermark_select
check_with "$xdp_count" 1 "--port: no map mp_dev_ports in $xdp_count" \
	xdp attach lo "$xdp_count" --prog xdp_count --port 80
# an mpctl with no bpf/provider.bpf.o beside it (copied, installed)
lone=$(mktemp -d)
cp "$mpctl" "$lone/mpctl"
mpctl_built=$mpctl mpctl=$lone/mpctl
check 1 "/provider.bpf.o: No such file or directory (the default object, not found beside mpctl nor installed: name the object, 'mpctl xdp attach IF OBJ'" \
	xdp attach lo
mpctl=$mpctl_built
rm -rf "$lone"

# examples/devmem_rx: its numbers are parsed as mpctl parses them, and it
# refuses a udmabuf mpctl would refuse, before running the attach command.
devrx=$bin_dir/devmem_rx
check_devrx() { # EXIT 'STDERR-SUBSTRING' ARGS...
	local want=$1 msg=$2 out rc
	shift 2
	out=$("$devrx" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && [[ $out == *"$msg"* ]]; then
		pass=$((pass + 1))
		echo "#$((pass + fail + skip)) mpctl_args/devmem_rx $*:OK"
	else
		fail=$((fail + 1))
		echo "#$((pass + fail + skip)) mpctl_args/devmem_rx $*:FAIL"
		echo "    exit $rc (want $want), stderr: $out (want '$msg')"
	fi
}
if [ -x "$devrx" ]; then
	ran=$(mktemp -u)
	check_devrx 2 "--port '70000': not a port (1-65535)" --port 70000 --size 16M -- touch "$ran"
	check_devrx 2 "--port '60x': not a port"	--port 60x --size 16M -- touch "$ran"
	check_devrx 2 "--size '16Q': not a size"	--port 6000 --size 16Q -- touch "$ran"
	check_devrx 2 "--size '5000': not a multiple of the page size" --port 6000 --size 5000 -- touch "$ran"
	check_devrx 2 "--hold 'lots': not a size"	--port 6000 --size 16M --hold lots -- touch "$ran"
	check_devrx 2 "--expect '1Q': not a size"	--port 6000 --size 16M --expect 1Q -- touch "$ran"
	check_devrx 2 '--size is required'		--port 6000 -- touch "$ran"
	check_devrx 2 'missing the attach command after --' --port 6000 --size 16M
	check_devrx 1 "--size 100T: more than the "	--port 6000 --size 100T -- touch "$ran"
	if [ -n "$limit_mb" ]; then
		check_devrx 1 "--size $((limit_mb + 1))M: larger than udmabuf.size_limit_mb ($limit_mb MiB" \
			--port 6000 --size "$((limit_mb + 1))M" -- touch "$ran"
	fi
	# none of the refusals above ran the attach command
	if [ -e "$ran" ]; then
		fail=$((fail + 1))
		echo "#$((pass + fail + skip)) mpctl_args/devmem_rx refusals ran no attach command:FAIL"
		rm -f "$ran"
	else
		pass=$((pass + 1))
		echo "#$((pass + fail + skip)) mpctl_args/devmem_rx refusals ran no attach command:OK"
	fi
else
	skip=$((skip + 1))
	echo "#$((pass + fail + skip)) mpctl_args/devmem_rx:SKIP (no $devrx: make examples)"
fi

echo "Summary: $pass PASSED, $skip SKIPPED, $fail FAILED"
[ "$fail" = 0 ]
