#!/usr/bin/env bash
# Standard tools see bpfmp: upstream's YNL CLI (tools/net/ynl/pyynl/cli.py
# of the kernel tree the project builds) drives the bpf-mp family from
# kernel/specs/bpf-mp.yaml (policy-get, attach, queue-get, detach), and the
# netdev family's queue-get and page-pool-get show a bpfmp queue and its
# pools as they show devmem and io_uring ones: a bpf-mp nest, and the
# dma-buf binding's id when the queue has one.  mpctl only loads the
# policies and reads back what the CLI did.
set -u
cd "$(dirname "$0")/../.."
. selftests/lib.sh
MPCTL=build/mpctl
LINUX=$(kernel_tree)
PY=/usr/bin/python3
YNL="$PY $LINUX/tools/net/ynl/pyynl/cli.py"
# kernel/specs has no schema beside it (the CLI looks for ../genetlink.yaml):
# our spec is validated once, against the tree's, below; the others are
# upstream's.  Validating at every call costs seconds under TCG.
BPF_MP="$YNL --spec kernel/specs/bpf-mp.yaml --no-schema --output-json"
NETDEV="$YNL --spec $LINUX/Documentation/netlink/specs/netdev.yaml --no-schema --output-json"
pair_up 60 4
$IN_RX build/selftests/nltool hds "$RX_IF" on 0
IFINDEX=$($IN_RX cat /sys/class/net/"$RX_IF"/ifindex)

expect_json() { # jq condition, cmd...: cmd's JSON output satisfies it
	local cond=$1 out
	shift
	out=$("$@") || { echo "failed: $*"; echo "$out"; return 1; }
	echo "$out"
	echo "$out" | jq -e "$cond" >/dev/null || { echo "not $cond"; return 1; }
}

t spec_valid	$YNL --spec kernel/specs/bpf-mp.yaml \
	--schema "$LINUX/Documentation/netlink/genetlink.yaml" --validate
t policy_load	$MPCTL policy load build/bpf/provider.bpf.o
t policy_get	expect_json 'map(.name) | contains(["static_map", "watermark", "split", "alternate", "xdp_hint"])' \
	$IN_RX $BPF_MP --dump policy-get
t queue_get_empty	expect_json '. == []' \
	$IN_RX $BPF_MP --dump queue-get --json "{\"ifindex\": $IFINDEX}"

# attach: queue 1 host pages only; queue 2 strict, with a 16 MiB udmabuf
# that python makes (memfd, sealed, UDMABUF_CREATE) and hands to the CLI
t attach_host	expect_json '. == null' $IN_RX $BPF_MP --do attach \
	--json "{\"ifindex\": $IFINDEX, \"queue-id\": [1], \"policy\": \"static_map\"}"
attach_device() {
	$IN_RX $PY -c '
import fcntl, json, os, struct, sys
size = 16 << 20
memfd = os.memfd_create("bpfmp-ynl", os.MFD_ALLOW_SEALING)
os.ftruncate(memfd, size)
fcntl.fcntl(memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
dev = os.open("/dev/udmabuf", os.O_RDWR)
# UDMABUF_CREATE: _IOW(u, 0x42, struct udmabuf_create {memfd, flags, offset, size})
arg = bytearray(struct.pack("IIQQ", memfd, 0, 0, size))
dmabuf = fcntl.ioctl(dev, 0x40187542, arg, True)
os.set_inheritable(dmabuf, True)
req = {"ifindex": int(sys.argv[1]), "queue-id": [2], "policy": "watermark",
       "dmabuf-fd": dmabuf, "flags": ["strict"]}
cli = sys.argv[2:] + ["--do", "attach", "--json", json.dumps(req)]
os.execv(cli[0], cli)
' "$IFINDEX" $BPF_MP
}
t attach_device	expect_json '. == null' attach_device
# the kernel's refusal, as the CLI prints it, and nothing changed
refused() {
	local out
	out=$($IN_RX $BPF_MP --do attach \
		--json "{\"ifindex\": $IFINDEX, \"queue-id\": [1], \"policy\": \"split\"}") &&
		{ echo "attached a busy queue: $out"; return 1; }
	echo "$out"
	[[ $out == *"queue 1 already attached"* ]]
}
t attach_refused	refused

# what the CLI attached, read back by the CLI and by mpctl
DMABUF=
queue_get() {
	local out
	out=$($IN_RX $BPF_MP --dump queue-get --json "{\"ifindex\": $IFINDEX}") || return 1
	echo "$out"
	echo "$out" | jq -e "length == 2 and
		(.[] | select(.[\"queue-id\"] == [1]) | .policy == \"static_map\" and
			.flags == [] and has(\"dmabuf-id\") == false and .[\"device-total\"] == 0) and
		(.[] | select(.[\"queue-id\"] == [2]) | .policy == \"watermark\" and
			.flags == [\"strict\"] and .[\"dmabuf-id\"] > 0 and .[\"device-total\"] == 4096)" \
		>/dev/null || return 1
	DMABUF=$(echo "$out" | jq '.[] | select(.["queue-id"] == [2]) | .["dmabuf-id"]')
	echo "$DMABUF" >/tmp/ynl.dmabuf
}
t queue_get	queue_get
DMABUF=$(cat /tmp/ynl.dmabuf 2>/dev/null || echo 0)
t queue_get_do	expect_json '.policy == "static_map" and .["queue-id"] == [1]' \
	$IN_RX $BPF_MP --do queue-get --json "{\"ifindex\": $IFINDEX, \"queue-id\": [1]}"
t mpctl_sees	expect_json "length == 2 and
	(.[] | select(.queue == 2) | .dmabuf_id == $DMABUF and .flags == [\"strict\"]) and
	(.[] | select(.queue == 1) | .dmabuf_id == null and .policy == \"static_map\")" \
	$IN_RX $MPCTL show "$RX_IF" --json
t policy_get_queues	expect_json '(.[] | select(.name == "static_map") | .queues == 1) and
	(.[] | select(.name == "watermark") | .queues == 1) and
	(.[] | select(.name == "split") | .queues == 0)' \
	$IN_RX $BPF_MP --dump policy-get

# the netdev family: both queues carry the bpf-mp nest, queue 2 its
# binding's id as devmem's would; the other queues neither
t netdev_queue_get	expect_json "
	(map(select(.type == \"rx\" and .id == 1))[0] | has(\"bpf-mp\") and has(\"dmabuf\") == false) and
	(map(select(.type == \"rx\" and .id == 2))[0] | .[\"bpf-mp\"] == {} and .dmabuf == $DMABUF) and
	([.[] | select(.type == \"rx\" and (.id == 0 or .id == 3)) |
		has(\"bpf-mp\") or has(\"dmabuf\")] | any | not)" \
	$IN_RX $NETDEV --dump queue-get --json "{\"ifindex\": $IFINDEX}"
t netdev_queue_get_do	expect_json '.["bpf-mp"] == {} and .dmabuf == '"$DMABUF" \
	$IN_RX $NETDEV --do queue-get --json "{\"ifindex\": $IFINDEX, \"type\": \"rx\", \"id\": 2}"
# the listed pool of each bpfmp queue is its bpfmp pool (the host payload
# pool has no .netdev, so it is not listed): two bpf-mp pools, one on the
# binding; no pool shows a dmabuf without the nest (nothing else is devmem)
t netdev_page_pool_get	expect_json "
	[.[] | select(has(\"detach-time\") | not) | select(has(\"bpf-mp\"))] as \$mp |
	(\$mp | length) == 2 and ([\$mp[] | select(.dmabuf == $DMABUF)] | length) == 1 and
	([\$mp[] | select(.ifindex == $IFINDEX)] | length) == 2 and
	([.[] | select(has(\"dmabuf\") and (has(\"bpf-mp\") | not))] | length) == 0" \
	$IN_RX $NETDEV --dump page-pool-get --json "{\"ifindex\": $IFINDEX}"

# detach by the CLI: gone from both families and from mpctl show
t detach	expect_json '. == null' $IN_RX $BPF_MP --do detach \
	--json "{\"ifindex\": $IFINDEX, \"queue-id\": [1, 2]}"
t queue_get_detached	expect_json '. == []' \
	$IN_RX $BPF_MP --dump queue-get --json "{\"ifindex\": $IFINDEX}"
t mpctl_sees_detached	expect_json '. == []' $IN_RX $MPCTL show "$RX_IF" --json
t policy_get_detached	expect_json 'all(.[]; .queues == 0)' $IN_RX $BPF_MP --dump policy-get
t netdev_queue_get_detached	expect_json '[.[] | has("bpf-mp") or has("dmabuf")] | any | not' \
	$IN_RX $NETDEV --dump queue-get --json "{\"ifindex\": $IFINDEX}"
# a bpfmp pool still draining says so with detach-time; none is live
t netdev_page_pool_detached	expect_json '[.[] | select(has("bpf-mp") and (has("detach-time") | not))] == []' \
	$IN_RX $NETDEV --dump page-pool-get --json "{\"ifindex\": $IFINDEX}"
t policy_unload	$MPCTL policy unload --all
rm -f /tmp/ynl.dmabuf
pair_down
t_summary
