# shellcheck shell=bash
# Helpers for the device-memory CLI tests (after selftests/lib.sh and
# pair_up): examples/devmem_rx driven through mpctl attach --flow, and
# the queue counters of "mpctl show --json".
MPCTL=build/mpctl DEVRX=build/devmem_rx NLTOOL=build/selftests/nltool
MB=$((1 << 20))
# a DEBUG=1 (KASAN, lockdep) kernel under TCG is several times slower
# BYTES for the streams that show where payload lands, HALF where the
# point is elsewhere (fallback, coexistence)
if [ "${DEBUG:-0}" = 0 ]; then SLOW=1 BYTES=$((16 * MB)); else SLOW=5 BYTES=$((4 * MB)); fi
HALF=$((BYTES / 2))

# The device-memory queue, and how a flow reaches it: on netdevsim queue 2,
# steered by "mpctl attach --flow" (header split and an ntuple rule); on
# e1000e its one RX queue, header split turned on by the suite.
if [ "$DRIVER" = netdevsim ]; then DQ=2; else DQ=0; fi
flow() { [ "$DRIVER" = netdevsim ] && echo "--flow tcp:$1"; }
# One "ethtool -S" counter of the receiving NIC, by its exact name.
nic_stat() { $IN_RX ethtool -S "$RX_IF" | awk -v k="$1:" '$1 == k { print $2 }'; }
# The device's per-queue RX counters, and the frames it dropped for want
# of RX buffers.
ring_stats() {
	if [ "$DRIVER" = netdevsim ]; then
		$IN_RX ethtool -S "$RX_IF" | grep "rx$DQ"
	else
		$IN_RX ethtool -S "$RX_IF" | grep -E 'rx_(no_buffer_count|missed_errors|header_split|devmem)'
	fi
}
ring_drops() {
	if [ "$DRIVER" = netdevsim ]; then
		nic_stat "rx${DQ}_drops"
	else
		$IN_RX ethtool -S "$RX_IF" |
			awk '/rx_no_buffer_count|rx_missed_errors/ { n += $2 } END { print n + 0 }'
	fi
}

# What --flow may touch and must give back: header split, ntuple rules and
# the RSS indirection table (none on e1000e).
nic_state() {
	$IN_RX $NLTOOL rings "$RX_IF" && $IN_RX ethtool -n "$RX_IF"
	$IN_RX ethtool -x "$RX_IF" 2>&1
}
# The queues the RSS indirection table points to, one per line, sorted.
rss_queues() {
	$IN_RX ethtool -x "$RX_IF" | awk '/^ *[0-9]+:/ { for (i = 2; i <= NF; i++) print $i }' | sort -un
}
# A field of queue Q in "mpctl show --json".
qfield() { # queue field
	$IN_RX $MPCTL show "$RX_IF" --json | jq -r ".[] | select(.queue == $1) | .$2"
}

# Fields of queue Q in "mpctl show --json" as $Q_<field>, printed.
qfields() { # queue field...
	local q=$1 f filter=
	shift
	for f in "$@"; do filter+="${filter:+, }\"Q_$f=\\(.$f)\""; done
	eval "$($IN_RX $MPCTL show "$RX_IF" --json | jq -r ".[] | select(.queue == $q) | $filter")"
	for f in "$@"; do eval "echo $f \$Q_$f"; done
}

# devmem_rx in the receiver's netns; its output (and mpctl's) in /tmp/devrx.PORT
devrx_start() { # port devmem_rx-args... -- attach-cmd...
	local port=$1
	shift
	rm -f /tmp/devrx."$port"
	$IN_RX $DEVRX --port "$port" "$@" >/tmp/devrx."$port" 2>&1 &
	DEVRX_PID=$!
	for _ in $(seq $((300 * SLOW))); do
		grep -q '^listening' /tmp/devrx."$port" && return 0
		kill -0 $DEVRX_PID 2>/dev/null || break
		sleep 0.1
	done
	cat /tmp/devrx."$port"
	return 1
}
# Wait for devmem_rx; show its output; its status.
devrx_wait() { # port
	local rc
	wait "$DEVRX_PID"
	rc=$?
	cat /tmp/devrx."$1"
	return $rc
}
send() { # port bytes
	$IN_TX timeout $((60 * SLOW)) $STREAM send $RX_IP "$1" "$2" >/dev/null
}
# "host H device D tokens N ok" -> the number after word $1
result() { # host|device|tokens port
	awk -v k="$1" '$1 == "host" { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' /tmp/devrx."$2"
}
ok_line() { grep -q "^host .* ok$" /tmp/devrx."$1"; }

# One stream into queue $DQ with POLICY; checks the receiver's verdict.
stream_through() { # port policy bytes [devmem_rx-args...]
	local port=$1 policy=$2 bytes=$3
	shift 3
	devrx_start "$port" --size 16M --expect "$bytes" "$@" -- \
		$MPCTL attach "$RX_IF" --queues $DQ --policy "$policy" $(flow "$port") ||
		return 1
	send "$port" "$bytes" || { kill $DEVRX_PID; devrx_wait "$port"; return 1; }
	devrx_wait "$port" && ok_line "$port"
}
detach() { $IN_RX $MPCTL detach "$RX_IF"; }

# a u32 as the four bytes bpftool map update takes
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# dma-bufs alive in the kernel
dmabufs() { awk '/^Total .* objects/ { print $2 }' /sys/kernel/debug/dma_buf/bufinfo; }
# the kernel's slab memory, kB
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# every dma-buf released and no old pool waiting for buffers, within a while
all_released() {
	for _ in $(seq $((100 * SLOW))); do
		! $IN_RX $NLTOOL pools-all "$RX_IF" 2>/dev/null | grep -q 'detached 1' &&
			[ "$(dmabufs)" = 0 ] && return 0
		sleep 0.1
	done
	$IN_RX $NLTOOL pools-all "$RX_IF" 2>/dev/null
	cat /sys/kernel/debug/dma_buf/bufinfo
	return 1
}
