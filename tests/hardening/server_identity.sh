#!/bin/bash
# T7: the server's certificate is from the right CA but names another host
# (DNS:wrong.example): pktmon-client asked for 127.0.0.1 (IP SAN check) or
# localhost (DNS SAN check) must abort with exit 3 and send no UDP at all.
# T8: the server's certificate chains to another CA: exit 3, no UDP.
# Everything runs in a namespace of its own, where an nftables output counter
# sees every UDP datagram sent to the reflector port. The control run (a
# server with the right certificate) shows the counter does count.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init server-identity 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

pki_make
good_pki=$PM_PKI
# Same CA, server certificate for wrong.example only.
wrong=$PM_TMP/wrong
mkdir -p "$wrong"
cp "$PM_PKI/ca.crt" "$PM_PKI/ca.key" "$wrong/"
"$PM_CERTS" "$wrong" --server-name wrong.example 2>"$PM_TMP/wrong.err" ||
	fail "pktmon-certs --server-name wrong.example failed: $(tail -n 1 "$PM_TMP/wrong.err")"
chmod 755 "$wrong"
cmp -s "$wrong/ca.crt" "$PM_PKI/ca.crt" || fail "pktmon-certs replaced the CA in $wrong"
# A server certificate from another CA; the server still trusts our CA for clients.
pki_make_foreign
other=$PM_TMP/other-server
mkdir -p "$other"
chmod 755 "$other"
cp "$PM_FOREIGN/server.crt" "$PM_FOREIGN/server.key" "$PM_PKI/ca.crt" "$other/"

ns=hxI$$
pm_register_cleanup "netns_destroy $ns"
ip netns add "$ns"
ip -n "$ns" link set lo up
nft_table "$ns" hx
port=47862
nft_rule "$ns" hx out udp-out udp dport "$port" counter
mapfile -t certs < <(pm_client_args)

# client_in_ns NAME SERVER-HOST: one pktmon-client run in the namespace; sets
# rc and udp (datagrams it sent to the reflector port).
client_in_ns() {
	local name=$1 host=$2 before
	before=$(nft_counter "$ns" hx out udp-out)
	rc=0
	timeout 30 ip netns exec "$ns" "$PM_CLIENT" "${certs[@]}" --server "$host:$port" \
		--db "$PM_TMP/$name.db" -c 5 -i 0.05 >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	udp=$(($(nft_counter "$ns" hx out udp-out) - before))
}

# Control: the right certificate; the client probes and the counter sees it.
pm_start_server "$ns" "127.0.0.1:$port"
client_in_ns control 127.0.0.1
expect_eq "control (right server certificate): client exit status" 0 "$rc"
expect_eq "control: UDP datagrams (5 probes) counted to the reflector" 5 "$udp"
control_udp=$udp
pm_stop_server

# T7: SAN DNS:wrong.example only.
PM_PKI=$wrong pm_start_server "$ns" "127.0.0.1:$port"
client_in_ns wrong-ip 127.0.0.1
expect_eq "T7 server certificate for wrong.example, client asked for 127.0.0.1: exit status" 3 "$rc"
expect_eq "T7 (127.0.0.1): UDP datagrams sent by the client" 0 "$udp"
grep -Eqi 'verif|certificate|mismatch' "$PM_TMP/wrong-ip.err" ||
	fail "T7: expected the client to say why (certificate/verify), got: $(head -n 2 "$PM_TMP/wrong-ip.err")"
client_in_ns wrong-name localhost
expect_eq "T7 server certificate for wrong.example, client asked for localhost: exit status" 3 "$rc"
expect_eq "T7 (localhost): UDP datagrams sent by the client" 0 "$udp"
stats=$(pm_server_stats)
expect_eq "T7: probe sessions the server granted" 0 "$(pm_stat "$stats" sessions)"
expect_ge "T7: handshakes the server saw fail" 2 "$(pm_stat "$stats" handshake_failed)"
pm_stop_server

# T8: server certificate from another CA.
PM_PKI=$other pm_start_server "$ns" "127.0.0.1:$port"
PM_PKI=$good_pki
client_in_ns other-ca 127.0.0.1
expect_eq "T8 server certificate from another CA: exit status" 3 "$rc"
expect_eq "T8: UDP datagrams sent by the client" 0 "$udp"
grep -Eqi 'verif|certificate|issuer' "$PM_TMP/other-ca.err" ||
	fail "T8: expected the client to say why (certificate/verify), got: $(head -n 2 "$PM_TMP/other-ca.err")"
pm_stop_server

pm_check_sanitizers
pass "control $control_udp UDP sent; T7 (IP and DNS name) exit 3 with 0 UDP; T8 exit 3 with 0 UDP"
