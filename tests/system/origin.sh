#!/bin/bash
# Where probes come from: --source ADDR and -I ADDR (the source address),
# -I IFACE (SO_BINDTODEVICE) and --ttl N (TTL / hop limit), checked by
# nftables counters on the receiving side, which match on the fields
# themselves. Two namespaces: the client's end has 10.200.0.1 and a second
# address, 10.200.0.11.
#   --server --source .11 --ttl 7: every probe arrives from .11 with TTL 7,
#     the control connection from .11, nothing from .1; the session's local
#     address is .11
#   --stamp --source .11 --ttl 5, --icmp -I .11 --ttl 9: the same
#   -I IFACE: with a more specific route sending 10.200.0.2 into a dead
#     end, ICMP without -I is all lost; with -I the veth, --icmp and
#     --server (control connection and probes) get every reply
#   --ttl 9 over IPv6 loopback: echo requests carry hop limit 9
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init origin 90
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

SRC=10.200.0.11
netns_pair pko
ip -n "$NS_A" addr add "$SRC/24" dev "$VETH_A"
pki_make --server-name "$NS_ADDR_B"
port=4010
mapfile -t certs < <(pm_client_args)
pm_start_server "$NS_B" "$NS_ADDR_B:$port" --stamp-allow 10.200.0.0/24

nft_table "$NS_B" pmo
count() {
	nft_counter "$NS_B" pmo in "$1"
}

# client NAME EXIT ARGS...: a run in the client's namespace, JSON in C.
client() {
	local name=$1 want=$2 rc=0
	shift 2
	ip netns exec "$NS_A" timeout 30 "$PM_CLIENT" "$@" --json --db "$PM_TMP/$name.db" \
		>"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	expect_eq "$name: exit status" "$want" "$rc"
	pm_json_load "$PM_TMP/$name.out" C
}

# 1. --server with --source and --ttl.
nft_rule "$NS_B" pmo in probe ip saddr "$SRC" ip ttl 7 udp dport "$port" counter
nft_rule "$NS_B" pmo in ctl ip saddr "$SRC" tcp dport "$port" counter
nft_rule "$NS_B" pmo in primary ip saddr "$NS_ADDR_A" counter
client server 0 "${certs[@]}" --server "$NS_ADDR_B:$port" --source "$SRC" --ttl 7 -c 20 -i 20ms
expect_eq "--server --source $SRC --ttl 7: received" 20 "${C[received]-missing}"
expect_eq "--server: probes arriving from $SRC with TTL 7" 20 "$(count probe)"
expect_ge "--server: control connection packets from $SRC" 3 "$(count ctl)"
expect_eq "--server: packets from $NS_ADDR_A (the address not chosen)" 0 "$(count primary)"
expect_eq "--server: session local address" "$SRC" \
	"$(pm_sql "$PM_TMP/server.db" 'SELECT local_addr FROM sessions')"

# 2. --stamp with --source and --ttl, --icmp with -I ADDR and --ttl.
nft_rule "$NS_B" pmo in stamp ip saddr "$SRC" ip ttl 5 udp dport "$port" counter
client stamp 0 --stamp "$NS_ADDR_B:$port" --source "$SRC" --ttl 5 -c 10 -i 20ms
expect_eq "--stamp --source $SRC --ttl 5: received" 10 "${C[received]-missing}"
expect_eq "--stamp: probes arriving from $SRC with TTL 5" 10 "$(count stamp)"
nft_rule "$NS_B" pmo in icmp ip saddr "$SRC" ip ttl 9 icmp type echo-request counter
client icmp 0 --icmp "$NS_ADDR_B" -I "$SRC" --ttl 9 -c 10 -i 20ms
expect_eq "--icmp -I $SRC --ttl 9: received" 10 "${C[received]-missing}"
expect_eq "--icmp: echo requests from $SRC with TTL 9" 10 "$(count icmp)"
expect_eq "packets from $NS_ADDR_A so far" 0 "$(count primary)"

# 3. -I IFACE: a /32 route into a dead end (a veth pair with both ends in
# the client's namespace: nobody answers ARP there) wins over the veth's
# subnet route, unless the socket is bound to the veth.
ip -n "$NS_A" link add pkox0 type veth peer name pkox1
ip -n "$NS_A" link set pkox0 up
ip -n "$NS_A" link set pkox1 up
ip -n "$NS_A" route add "$NS_ADDR_B/32" dev pkox0
client blackhole 1 --icmp "$NS_ADDR_B" -c 3 -i 20ms -W 200ms
expect_eq "--icmp without -I (route into the dead end): received" 0 "${C[received]-missing}"
client icmp-dev 0 --icmp "$NS_ADDR_B" -I "$VETH_A" -c 5 -i 20ms
expect_eq "--icmp -I $VETH_A: received" 5 "${C[received]-missing}"
client server-dev 0 "${certs[@]}" --server "$NS_ADDR_B:$port" -I "$VETH_A" -c 10 -i 20ms
expect_eq "--server -I $VETH_A: received" 10 "${C[received]-missing}"

# 4. Hop limit over IPv6 loopback, in the server's namespace.
nft_rule "$NS_B" pmo in hop ip6 saddr ::1 icmpv6 type echo-request ip6 hoplimit 9 counter
rc=0
ip netns exec "$NS_B" timeout 20 "$PM_CLIENT" --icmp ::1 --ttl 9 -c 5 -i 20ms --json \
	--db "$PM_TMP/v6.db" >"$PM_TMP/v6.out" 2>"$PM_TMP/v6.err" || rc=$?
expect_eq "--icmp ::1 --ttl 9: exit status" 0 "$rc"
expect_eq "--icmp ::1: echo requests with hop limit 9" 5 "$(count hop)"

pm_stop_server
pm_check_sanitizers
pass "source address, interface and TTL seen on the wire for --server (probes and control)," \
	"--stamp and --icmp; -I IFACE beats a black-hole route; hop limit 9 over IPv6"
