# Network namespace and nftables helpers (sourced after common.sh).
#
# netns_pair makes two namespaces joined by a veth pair:
#   $NS_A  10.200.0.1/24 on $VETH_A   (the client side)
#   $NS_B  10.200.0.2/24 on $VETH_B   (the server side)
# Names carry the shell's PID so parallel runs do not collide; the pair is
# removed by the cleanup trap (deleting a namespace removes its veth end).
# Loss is injected with nftables on the *receiver's* input hook: a drop in the
# sender's output chain makes sendto() fail, which is a local error, not loss.

NS_ADDR_A=10.200.0.1
NS_ADDR_B=10.200.0.2

# netns_usable: can this process make namespaces and nftables tables?
# Prints the reason and returns 1 when not.
netns_usable() {
	local probe=pkmP$$
	if [[ $(id -u) -ne 0 ]]; then
		echo "not root (uid $(id -u))"
		return 1
	fi
	command -v ip >/dev/null || { echo "ip (iproute2) not installed"; return 1; }
	command -v nft >/dev/null || { echo "nft (nftables) not installed"; return 1; }
	ip netns add "$probe" 2>/dev/null || { echo "cannot create a network namespace"; return 1; }
	if ! ip netns exec "$probe" nft add table inet pmprobe 2>/dev/null; then
		ip netns del "$probe" 2>/dev/null
		echo "nftables does not work inside a network namespace"
		return 1
	fi
	ip netns del "$probe"
	return 0
}

# netns_pair [PREFIX]: create the pair (PREFIX defaults to "pkm").
netns_pair() {
	local p=${1:-pkm}
	NS_A=${p}A$$ NS_B=${p}B$$ VETH_A=${p}a$$ VETH_B=${p}b$$
	# Interface names are limited to 15 characters.
	VETH_A=${VETH_A:0:15} VETH_B=${VETH_B:0:15}
	pm_register_cleanup "netns_destroy $NS_A $NS_B"
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	ip link add "$VETH_A" type veth peer name "$VETH_B"
	ip link set "$VETH_A" netns "$NS_A"
	ip link set "$VETH_B" netns "$NS_B"
	ip -n "$NS_A" addr add "$NS_ADDR_A/24" dev "$VETH_A"
	ip -n "$NS_B" addr add "$NS_ADDR_B/24" dev "$VETH_B"
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	ip -n "$NS_A" link set "$VETH_A" up
	ip -n "$NS_B" link set "$VETH_B" up
	# Wait until both ends have carrier (IPv4 needs no address DAD).
	local n=50
	while ((n-- > 0)); do
		ip -n "$NS_A" link show "$VETH_A" | grep -q LOWER_UP &&
			ip -n "$NS_B" link show "$VETH_B" | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	echo "netns_pair: $VETH_A/$VETH_B did not come up" >&2
	return 1
}

netns_destroy() {
	local ns
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

# nft_table NS TABLE: an inet table with chains "in" (input hook) and "out"
# (output hook), both accepting by default.
nft_table() {
	ip netns exec "$1" nft -f - <<NFT
table inet $2 {
	chain in { type filter hook input priority 0; policy accept; }
	chain out { type filter hook output priority 0; policy accept; }
}
NFT
}

# nft_rule NS TABLE CHAIN TAG RULE...: add RULE, tagged with a comment so its
# counter can be read back and the rule deleted by tag.
nft_rule() {
	local ns=$1 table=$2 chain=$3 tag=$4
	shift 4
	ip netns exec "$ns" nft add rule inet "$table" "$chain" "$@" comment "\"$tag\""
}

# nft_handle NS TABLE CHAIN TAG: the handle of the rule tagged TAG.
nft_handle() {
	ip netns exec "$1" nft -a list chain inet "$2" "$3" |
		sed -n "s/.*comment \"$4\" # handle \([0-9]*\).*/\1/p" | head -n 1
}

# nft_delete NS TABLE CHAIN TAG: delete the rule tagged TAG.
nft_delete() {
	local h
	h=$(nft_handle "$@")
	[[ -n $h ]] || { echo "nft_delete: no rule tagged $4" >&2; return 1; }
	ip netns exec "$1" nft delete rule inet "$2" "$3" handle "$h"
}

# nft_counter NS TABLE CHAIN TAG: packets counted by the rule tagged TAG.
nft_counter() {
	ip netns exec "$1" nft -j list chain inet "$2" "$3" | "${PM_PY:-python3}" -c '
import json, sys
tag = sys.argv[1]
for item in json.load(sys.stdin)["nftables"]:
    rule = item.get("rule")
    if not rule or rule.get("comment") != tag:
        continue
    for expr in rule["expr"]:
        if "counter" in expr:
            print(expr["counter"]["packets"])
            sys.exit(0)
sys.exit("no counter in the rule tagged %s" % tag)
' "$4"
}

# nft_table_delete NS TABLE
nft_table_delete() {
	ip netns exec "$1" nft delete table inet "$2"
}
