#!/bin/bash
# T20: spoofed source with a valid HMAC. In a namespace of its own, with a
# second address on lo (127.0.0.2), a real client probes every 50 ms for 5 s
# with its session key in a keylog. Meanwhile the test sends correctly
# signed probes of that session (right SSID, right size, valid HMAC, new
# sequence numbers), 20 from each of:
#   127.0.0.2 : the client's own port   (second address, same port)
#   127.0.0.2 : another port
#   127.0.0.1 : another port            (registered address, other port)
# Pass: no reply leaves for any of them: the nftables output counters on
# replies to any address other than the registered peer
# (udp sport PORT ip daddr != 127.0.0.1) and to any port other than the
# client's stay 0; the server's wrong_source counter rises by exactly the 60
# sent (and bad_hmac by 0: the HMAC was valid, so the source check refused
# them); server reflected = the client's own probes; the client sees every
# reply, no duplicates, no loss. The counter of all replies equals reflected,
# which shows the counters count.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init probe-spoof 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

pki_make
ns=hxS$$
hx_lo_netns "$ns"
ip -n "$ns" addr add 127.0.0.2/32 dev lo	# the second address (explicit)
port=47862 peer=127.0.0.1
nft_table "$ns" hx
nft_rule "$ns" hx out replies udp sport "$port" counter
nft_rule "$ns" hx out other-addr udp sport "$port" ip daddr != "$peer" counter
pm_start_server "$ns" "$peer:$port"
mapfile -t certs < <(pm_client_args)

hx_keyed_client "$ns" "$peer:$port" 0.05 5
pm_log "session ssid=$ssid, client $peer:$cport"
nft_rule "$ns" hx out other-port udp sport "$port" udp dport != "$cport" counter
other=$((cport == 40000 ? 40001 : 40000))

s0=$(pm_server_stats)
line=$(ip netns exec "$ns" "$PM_PY" "$(dirname "$0")/probe_forge.py" spoof --port "$port" \
	--peer "$peer:$cport" --ssid "$ssid" --key "$key" --count 20 \
	--from "127.0.0.2:$cport,127.0.0.2:$other,127.0.0.1:$other" 2>"$PM_TMP/forge.err") ||
	fail "probe_forge.py spoof failed: $(tail -n 3 "$PM_TMP/forge.err")"
pm_log "spoof: $line"
s1=$(pm_server_stats)
sent=$(hx_kv "$line" sent)
expect_eq "spoofed probes sent (3 sources x 20)" 60 "$sent"
expect_eq "T20 replies the sender saw to ports other than the client's" 0 "$(hx_kv "$line" replies_other_port)"
expect_ge "tap control: the client's own replies seen meanwhile" 1 "$(hx_kv "$line" replies_peer_port)"
expect_eq "T20 server wrong_source (= spoofed probes sent)" \
	$(($(pm_stat "$s0" wrong_source) + sent)) "$(pm_stat "$s1" wrong_source)"
for c in bad_hmac unknown_ssid bad_length replayed; do
	expect_eq "T20 server $c while spoofing (the probes were valid but for their source)" \
		"$(pm_stat "$s0" "$c")" "$(pm_stat "$s1" "$c")"
done

rc=0
wait "$client" || rc=$?
expect_eq "client exit status" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
csent=${C[sent]-missing}
expect_ge "client probes sent in 5 s at 50 ms (100 nominal)" 40 "$csent"
expect_eq "client received (= sent)" "$csent" "${C[received]-missing}"
expect_eq "client duplicates" 0 "${C[duplicates]-missing}"
expect_eq "client lost" 0 "${C[lost]-missing}"

s2=$(pm_server_stats)
pm_log "$s2"
reflected=$(pm_stat "$s2" reflected)
expect_eq "T20 server reflected (= the client's probes; 0 for the spoofed ones)" "$csent" "$reflected"
other_addr=$(nft_counter "$ns" hx out other-addr)
other_port=$(nft_counter "$ns" hx out other-port)
wire=$(nft_counter "$ns" hx out replies)
expect_eq "T20 nft: replies to any address but $peer (udp sport $port ip daddr != $peer)" 0 "$other_addr"
expect_eq "T20 nft: replies to any port but the client's $cport" 0 "$other_port"
expect_eq "nft: all replies on the wire (= reflected; the counters count)" "$reflected" "$wire"

pm_stop_server
pm_check_sanitizers
pass "60 spoofed valid-HMAC probes (127.0.0.2:$cport, 127.0.0.2:$other, 127.0.0.1:$other): wrong_source +$sent," \
	"nft daddr != $peer: $other_addr, dport != $cport: $other_port; reflected $reflected = client sent $csent"
