#!/bin/bash
# Probes never go out in fragments. Over a veth pair with an MTU of 1280,
# 1252-octet probes (1280 less the IPv4 and UDP headers) are all answered;
# 1300-octet ones fail at the send (the kernel refuses them, DF set): they
# count as lost, nothing reaches the server, and the client says once that
# they do not fit and how many octets would.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init path-mtu 50
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B" --server-name localhost
netns_pair pkm
ip -n "$NS_A" link set "$VETH_A" mtu 1280
ip -n "$NS_B" link set "$VETH_B" mtu 1280
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"
nft_table "$NS_B" pmmtu
nft_rule "$NS_B" pmmtu in frags ip frag-off '& 0x3fff != 0' counter
nft_rule "$NS_B" pmmtu in probes udp dport "$port" counter
mapfile -t certs < <(pm_client_args)

# run NAME SIZE: 10 probes of SIZE octets, --renew=no; sets rc.
run() {
	rc=0
	ip netns exec "$NS_A" timeout 30 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
		--db "$PM_TMP/$1.db" -s "$2" -c 10 -i 0.05 -W 0.3 --renew=no --json \
		>"$PM_TMP/$1.json" 2>"$PM_TMP/$1.err" || rc=$?
}

run fits 1252
expect_eq "1252-octet probes at MTU 1280: exit status" 0 "$rc"
pm_json_load "$PM_TMP/fits.json" C
expect_eq "1252-octet probes answered" 10 "${C[received]-missing}"

before=$(nft_counter "$NS_B" pmmtu in probes)
run big 1300
expect_eq "1300-octet probes at MTU 1280: exit status (loss)" 1 "$rc"
pm_json_load "$PM_TMP/big.json" D
expect_eq "1300-octet probes lost" 10 "${D[lost]-missing}"
expect_eq "1300-octet probes: send errors" 10 "${D[send_errors]-missing}"
expect_eq "1300-octet probes: slots stored as unsent" 10 \
	"$(pm_sql "$PM_TMP/big.db" 'SELECT count(*) FROM probes WHERE fate = 6')"
expect_eq "UDP probes that reached the server" 0 $(($(nft_counter "$NS_B" pmmtu in probes) - before))
expect_eq "fragments that reached the server" 0 "$(nft_counter "$NS_B" pmmtu in frags)"
expect_eq "the client says once why" 1 \
	"$(grep -c 'probes of 1300 octets do not fit the path MTU of 1280 to the server: at most 1252 fit' "$PM_TMP/big.err")"
# The MTU shrinks under a running session for a while, then comes back:
# the refused probes take no transmit-stamp number, so every later stamp
# still finds its probe (numbering drift would leave them all unmatched).
ip netns exec "$NS_A" timeout 30 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$PM_TMP/shrink.db" -s 1252 -c 40 -i 0.05 -W 0.3 --renew=no --json \
	>"$PM_TMP/shrink.json" 2>"$PM_TMP/shrink.err" &
cpid=$!
pm_track "$cpid"
sleep 0.6
ip -n "$NS_A" link set "$VETH_A" mtu 1200
sleep 0.5
ip -n "$NS_A" link set "$VETH_A" mtu 1280
rc=0
wait "$cpid" || rc=$?
pm_json_load "$PM_TMP/shrink.json" E
refused=${E[send_errors]-missing}
[[ $refused =~ ^[0-9]+$ ]] && ((refused >= 3)) ||
	fail "MTU shrunk for 0.5 s at 20 probes/s: expected at least 3 refused sends, got $refused"
expect_eq "after the MTU came back: transmit stamps no probe took" 0 \
	"${E[tx_stamps_unmatched]-missing}"
# A refused probe's slot is kept, as unsent: slots = sent + refused.
expect_eq "slots whose probe the kernel refused (unsent)" "$refused" "${E[unsent]-missing}"
expect_eq "probes answered = slots - refused" $((${E[slots]} - refused)) "${E[received]-missing}"
expect_eq "probes answered = probes sent" "${E[sent]-missing}" "${E[received]-missing}"
pm_stop_server
pm_check_sanitizers
pass "1252 octets answered, 1300 refused at the send with the reason, 0 fragments;" \
	"MTU shrunk mid-session: $refused refused, every later stamp matched"
