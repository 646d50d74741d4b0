#!/usr/bin/env bash
# mpctl attach --replace: the policy of attached queues swapped in place.
# Under a devmem TCP stream (examples/devmem_rx checks every byte), the
# device-memory queue goes from a host-pages policy to a device-memory one
# and back: the stream stays intact, the queue is not restarted (its page
# pools and its dma-buf binding stay), the refill counters follow the new
# policy from each swap on, no refill goes without a policy, and init and
# release stay paired with no select outside them.  Refusals (an init
# that fails, a queue not attached, a name not registered) change
# nothing.  The policies: selftests/progs/mp_replace.bpf.c.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
. selftests/cli/devmem_lib.sh
OBJ=build/selftests/progs/mp_replace.bpf.o
POLICIES="rep_host rep_dev rep_refuse rep_half"
D=$(mktemp -d)
PORT=5700
# Paced so that both swaps happen while the stream flows: under TCG each
# mpctl call takes a moment, the swaps and the checks between them some
# seconds (on a DEBUG=1 kernel several each); 16 MiB at 3 Mbit/s lasts 45 s,
# at 1 Mbit/s with DEBUG=1 134 s (not devmem_lib's DEBUG 4 MiB: over before
# the swap back).
SWAP_BYTES=$((16 * MB))
[ "${DEBUG:-0}" = 0 ] && RATE=3 || RATE=1

unload() { for p in $POLICIES; do $MPCTL policy unload $p >/dev/null 2>&1; done; }
unload
link_up 66 4 || { t_skip all "no $DRIVER pair"; t_summary; exit; }
# header split for the attaches without --flow (queue 1; e1000e)
$IN_RX $NLTOOL hds "$RX_IF" on 0 >/dev/null

expect_fail() { # substring cmd...: exit 1, stderr has substring
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" = 1 ] || { echo "exit $rc (want 1)"; return 1; }
	[[ $out == *"$want"* ]] || { echo "output lacks '$want'"; return 1; }
}
# "name=value ..." for counters of mp_replace.bpf.c (its .data.rep)
counts() { # name...
	bpftool -j map dump name .data.rep |
		jq -r --arg ks "$*" '[.. | objects | to_entries[]] | from_entries as $m |
			$ks | split(" ") | map("\(.)=\($m[.])") | join(" ")'
}
expect_counts() { # "name=value ..."
	local now
	# shellcheck disable=SC2046 # the names, one word each
	now=$(counts $(echo "$1" | sed 's/=[^ ]*//g'))
	echo "counters: $now"
	[ "$now" = "$1" ] || { echo "want:     $1"; return 1; }
}
# the device's live page pools as "queue:id": a restart makes new ones
pool_ids() {
	$IN_RX $NLTOOL pools-all "$RX_IF" | awk '$8 == 0 { print $2 ":" $4 }' |
		sort | tr '\n' ' '
	echo
}
policy_of() { qfield "$1" policy; }
# wait until queue $DQ's FIELD is above MIN; prints the last value
# (within 20 s, 100 with DEBUG=1: a deadline, not a count of reads, each
# of which is an mpctl call that takes seconds on a DEBUG=1 kernel)
wait_above() { # field min
	local v='' end=$(($(date +%s) + 20 * SLOW))
	while :; do
		v=$(qfield $DQ "$1")
		[ "$v" -gt "$2" ] && { echo "$v"; return 0; }
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.1
	done
	echo "$v"
	return 1
}

t policy_load	$MPCTL policy load $OBJ

# nothing attached yet: refused, with the way to attach
t replace_unattached	expect_fail "queue $DQ is not attached: replace only changes attached queues' (attach it first, without --replace: 'mpctl attach $RX_IF --queues $DQ --policy rep_dev')" \
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy rep_dev --replace
unattached_nothing() {
	[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 0 ] &&
		expect_counts "dev_inits=0 dev_releases=0 dev_selects=0"
}
t replace_unattached_no_init	unattached_nothing

# The swap under traffic: rep_host, then rep_dev, then rep_host again, each
# replace while the paced stream flows.  What each step saw goes to $D.
swap_under_traffic() {
	local sender h0 d1 h2 rc=0
	pool_ids >$D/pools0
	devrx_start $PORT --size 16M --expect $SWAP_BYTES -- \
		$MPCTL attach "$RX_IF" --queues $DQ --policy rep_host $(flow $PORT) ||
		return 1
	pool_ids >$D/pools1
	qfield $DQ dmabuf_id >$D/binding1
	h0=$(qfield $DQ bufs_host)
	$IN_TX timeout $((120 * SLOW)) $STREAM send $RX_IP $PORT $SWAP_BYTES $RATE >/dev/null &
	sender=$!
	# the stream reaches the queue, on host pages
	wait_above bufs_host $((h0 + 64)) >/dev/null || { echo "no traffic on queue $DQ"; rc=1; }
	qfields $DQ refills_host refills_device >$D/before
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy rep_dev --replace >$D/replace1 2>&1 || {
		# nothing to wait for: stop here
		cat $D/replace1
		kill $sender $DEVRX_PID 2>/dev/null
		wait $sender
		devrx_wait $PORT >/dev/null
		return 1
	}
	kill -0 $sender 2>/dev/null && echo yes >$D/flowing1
	pool_ids >$D/pools2
	qfield $DQ dmabuf_id >$D/binding2
	# device memory from the next refills on
	d1=$(qfield $DQ refills_device)
	echo "$d1" >$D/dev_at_swap
	wait_above refills_device $((d1 + 4)) >$D/dev_after || rc=1
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy rep_host --replace >$D/replace2 2>&1 || rc=1
	kill -0 $sender 2>/dev/null && echo yes >$D/flowing2
	# after the grace period no refill can still be rep_dev's
	qfields $DQ refills_device refills_host >$D/at_swap_back
	h2=$(qfield $DQ refills_host)
	wait_above refills_host $((h2 + 4)) >$D/host_after || rc=1
	wait $sender || { echo "sender failed"; rc=1; }
	devrx_wait $PORT >$D/devrx || rc=1
	cat $D/replace1 $D/replace2 $D/devrx
	qfields $DQ refills_device refills_host fallback_no_policy fallback_invalid >$D/end
	pool_ids >$D/pools3
	qfield $DQ dmabuf_id >$D/binding3
	return $rc
}
t swap_under_traffic	swap_under_traffic
t swap_report	grep -q "^$RX_IF: queue $DQ replaced in place: rep_host -> rep_dev (not restarted: page pools and device memory kept)" $D/replace1
stream_intact() {
	cat $D/devrx
	ok_line $PORT && [ "$(result device $PORT)" -gt 0 ] && [ "$(result host $PORT)" -gt 0 ]
}
t stream_intact	stream_intact
# both swaps happened while the sender was still sending
t swaps_while_streaming	test -s $D/flowing1 -a -s $D/flowing2
# the queue was not restarted: the same live pools throughout; the attach
# itself restarted it, so the check sees a restart
pools_unchanged() {
	head $D/pools*
	[ -s $D/pools1 ] && ! cmp -s $D/pools0 $D/pools1 &&
		cmp -s $D/pools1 $D/pools2 && cmp -s $D/pools1 $D/pools3
}
t pools_unchanged	pools_unchanged
binding_kept() {
	head $D/binding*
	grep -qx '[0-9][0-9]*' $D/binding1 && cmp -s $D/binding1 $D/binding2 &&
		cmp -s $D/binding1 $D/binding3
}
t binding_kept	binding_kept
# refills follow the policy of the moment: none from device memory before
# the first swap, some after it, none after the swap back
verdicts_follow() {
	head $D/before $D/dev_at_swap $D/dev_after $D/at_swap_back $D/host_after $D/end
	eval "$(sed 's/ /=/' $D/before | sed 's/^/B_/')"
	eval "$(sed 's/ /=/' $D/at_swap_back | sed 's/^/S_/')"
	eval "$(sed 's/ /=/' $D/end | sed 's/^/E_/')"
	[ "$B_refills_device" = 0 ] && [ "$B_refills_host" -gt 0 ] &&
		[ "$(cat $D/dev_after)" -gt "$(cat $D/dev_at_swap)" ] &&
		[ "$E_refills_device" = "$S_refills_device" ] &&
		[ "$E_refills_host" -gt "$S_refills_host" ]
}
t verdicts_follow	verdicts_follow
# every refill had a policy: no fallback-no-policy, no stray verdict
no_refill_without_policy() {
	cat $D/end
	grep -qx 'fallback_no_policy 0' $D/end && grep -qx 'fallback_invalid 0' $D/end
}
t no_refill_without_policy	no_refill_without_policy
# rep_host init, release at the swap, init at the swap back; rep_dev one
# of each; no select of a queue the policy did not hold
t init_release_paired	expect_counts "host_inits=2 host_releases=1 host_unowned=0 dev_inits=1 dev_releases=1 dev_unowned=0"
selects_both() {
	counts host_selects dev_selects
	[ "$(counts host_selects | cut -d= -f2)" -gt 0 ] && [ "$(counts dev_selects | cut -d= -f2)" -gt 0 ]
}
t selects_both	selects_both

# the policy it has already: nothing to do, no init, no release
same_policy() {
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy rep_host --replace &&
		[ "$(policy_of $DQ)" = rep_host ] &&
		expect_counts "host_inits=2 host_releases=1"
}
t replace_same_policy	same_policy

# A policy whose init refuses the queue: the old policy stays, unreleased;
# the refusing one is never released (it took nothing) and never selects.
refused() {
	local pools
	pools=$(pool_ids)
	expect_fail "policy rep_refuse refused queue $DQ: its init returned -18' (no queue changed policy)" \
		$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy rep_refuse --replace || return 1
	[ "$(policy_of $DQ)" = rep_host ] && [ "$(pool_ids)" = "$pools" ] &&
		expect_counts "refuse_refused=1 refuse_releases=0 refuse_selects=0 host_inits=2 host_releases=1"
}
t replace_init_fails	refused
# Traffic again: its refills are still rep_host's.  Datagrams, not a
# reader: the ring still holds device buffers posted before the swap back
# (a swap changes refills, not what is in the ring), which a plain reader
# could not read.
after_refusal() {
	local h d s
	h=$(qfield $DQ refills_host) d=$(qfield $DQ refills_device)
	s=$(counts host_selects | cut -d= -f2)
	[ "$DRIVER" = netdevsim ] &&
		$IN_RX ethtool -N "$RX_IF" flow-type udp4 dst-port $((PORT + 10)) action $DQ >/dev/null
	$IN_TX $STREAM udp $RX_IP $((PORT + 10)) 300
	sleep 1
	qfields $DQ refills_host refills_device
	counts host_selects refuse_selects
	[ "$Q_refills_host" -gt "$h" ] && [ "$Q_refills_device" = "$d" ] &&
		[ "$(counts host_selects | cut -d= -f2)" -gt "$s" ] &&
		[ "$(counts refuse_selects)" = refuse_selects=0 ]
}
t replace_init_fails_traffic	after_refusal
t replace_init_fails_detach	detach

# a name nobody registered: refused before any request, nothing changes
unregistered() {
	$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy rep_host --udmabuf 4M >/dev/null &&
	expect_fail "policy nosuch: not registered (see 'mpctl policy list'" \
		$IN_RX $MPCTL attach "$RX_IF" --queues $DQ --policy nosuch --replace || return 1
	[ "$(policy_of $DQ)" = rep_host ] &&
		expect_counts "host_inits=3 host_releases=2"
}
t replace_unregistered	unregistered

# Several queues in one request (netdevsim: 4 RX queues)
if [ "$DRIVER" = netdevsim ]; then
	# one of them not attached: refused before any init
	partly() {
		expect_fail "queue 3 is not attached" \
			$IN_RX $MPCTL attach "$RX_IF" --queues $DQ-3 --policy rep_dev --replace || return 1
		[ "$(policy_of $DQ)" = rep_host ] && expect_counts "dev_inits=1 dev_releases=1"
	}
	t replace_partly_attached	partly
	# rep_half takes queue 1 and refuses queue 2: queue 1's init is undone
	# (released) and both stay on rep_host
	all_or_none() {
		$IN_RX $MPCTL attach "$RX_IF" --queues 1 --policy rep_host >/dev/null &&
		expect_fail "policy rep_half refused queue 2: its init returned -18' (no queue changed policy)" \
			$IN_RX $MPCTL attach "$RX_IF" --queues 1-2 --policy rep_half --replace || return 1
		[ "$(policy_of 1)" = rep_host ] && [ "$(policy_of 2)" = rep_host ] &&
			expect_counts "half_inits=1 half_refused=1 half_releases=1 half_selects=0 host_inits=4 host_releases=2"
	}
	t replace_all_or_none	all_or_none
	# both at once, and the policy list counts them on the new policy
	both() {
		expect_out() { local o; o=$("$@") && echo "$o" && [[ $o == *"$RX_IF: queues 1-2 replaced in place: rep_host -> rep_dev"* ]]; }
		expect_out $IN_RX $MPCTL attach "$RX_IF" --queues 1-2 --policy rep_dev --replace &&
			[ "$(policy_of 1)" = rep_dev ] && [ "$(policy_of 2)" = rep_dev ] &&
			$IN_RX $MPCTL policy list -j | jq -e '.[] | select(.name == "rep_dev") | .queues == 2' >/dev/null &&
			expect_counts "dev_inits=3 dev_releases=1 host_inits=4 host_releases=4"
	}
	t replace_two_queues	both
else
	for n in replace_partly_attached replace_all_or_none replace_two_queues; do
		t_skip $n "$DRIVER has one RX queue"
	done
fi

# detach releases what the queues hold: every init paired with a release
paired() {
	detach >/dev/null || return 1
	local c
	c=$(counts host_inits host_releases dev_inits dev_releases half_inits half_releases refuse_releases)
	echo "$c"
	eval "${c// /;}"
	# shellcheck disable=SC2154 # set by the eval
	[ "$host_inits" = "$host_releases" ] && [ "$dev_inits" = "$dev_releases" ] &&
		[ "$half_inits" = "$half_releases" ] && [ "$refuse_releases" = 0 ] &&
		[ "$($IN_RX $MPCTL show "$RX_IF" --json | jq length)" = 0 ]
}
t detach_pairs_all	paired

unload
link_down 2>/dev/null
rm -rf "$D"
t_summary
