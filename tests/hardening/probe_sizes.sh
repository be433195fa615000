#!/bin/bash
# T21: bad lengths, and reply size = request size. In a namespace of its own:
#  1. While a real client (112-octet probes) probes every 50 ms for 5 s, the
#     test sends datagrams of 0, 1, 47, 1473 and 65507 octets (65507: the
#     largest UDP payload over IPv4), 4 of each from a socket of its own
#     (random octets) and 4 of each from the client's own address and port
#     (raw socket) that are the session's probe, correctly signed with new
#     sequence numbers, cut or padded to the length. Then 4 each of 111, 113,
#     512 and 1472 octets the same way (sizes the server accepts in general,
#     but not this session's 112). Pass: 0 replies to either sender and to
#     any forged sequence number; bad_length + exactly the 40 of the first
#     set; server reflected = the client's probes; the client sees every
#     reply, no loss.
#  2. Sessions negotiated with larger probes (client -s 512, then -s 1400, 40
#     probes each): every reply, paired with its request by SSID and sequence
#     number on "lo", has the request's size; replies = requests; reply octets
#     / request octets = 1.0000 (the amplification, printed).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init probe-sizes 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

pki_make
ns=hxZ$$
hx_lo_netns "$ns"
port=47862 peer=127.0.0.1
nft_table "$ns" hx
nft_rule "$ns" hx out replies udp sport "$port" counter
pm_start_server "$ns" "$peer:$port"
mapfile -t certs < <(pm_client_args)
forge() {
	ip netns exec "$ns" "$PM_PY" "$(dirname "$0")/probe_forge.py" "$@" --port "$port" 2>>"$PM_TMP/forge.err" ||
		fail "probe_forge.py $1 failed: $(tail -n 3 "$PM_TMP/forge.err")"
}

# --- 1. bad lengths against a live 112-octet session ------------------------------
hx_keyed_client "$ns" "$peer:$port" 0.05 5
pm_log "session ssid=$ssid, client $peer:$cport"
nft_rule "$ns" hx out other-port udp sport "$port" udp dport != "$cport" counter

s0=$(pm_server_stats)
line=$(forge sizes --peer "$peer:$cport" --ssid "$ssid" --key "$key" --count 4 \
	--sizes 0,1,47,1473,65507 --seq0 3000000)
pm_log "T21 sizes: $line"
s1=$(pm_server_stats)
expect_eq "T21 datagrams sent from an own socket" 20 "$(hx_kv "$line" sent_own)"
expect_eq "T21 datagrams sent as the client" 20 "$(hx_kv "$line" sent_peer)"
expect_eq "T21 replies to the own socket (0, 1, 47, 1473, 65507 octets)" 0 "$(hx_kv "$line" replies_own)"
expect_eq "T21 replies to the client for forged sequence numbers" 0 "$(hx_kv "$line" replies_forged)"
expect_eq "T21 server bad_length (= the 40 sent)" \
	$(($(pm_stat "$s0" bad_length) + 40)) "$(pm_stat "$s1" bad_length)"

line2=$(forge sizes --peer "$peer:$cport" --ssid "$ssid" --key "$key" --count 4 \
	--sizes 111,113,512,1472 --seq0 3100000)
pm_log "session-size mismatch: $line2"
s2=$(pm_server_stats)
expect_eq "replies to the own socket (111, 113, 512, 1472 octets)" 0 "$(hx_kv "$line2" replies_own)"
expect_eq "replies to the client for signed probes of the wrong size (111, 113, 512, 1472)" 0 \
	"$(hx_kv "$line2" replies_forged)"
expect_eq "server bad_length + unknown_ssid (= the 32 sent; random octets may name no session)" \
	$(($(pm_stat "$s1" bad_length) + $(pm_stat "$s1" unknown_ssid) + 32)) \
	$(($(pm_stat "$s2" bad_length) + $(pm_stat "$s2" unknown_ssid)))
expect_eq "server bad_hmac and wrong_source (every signed probe failed on its length first)" \
	$(($(pm_stat "$s0" bad_hmac) + $(pm_stat "$s0" wrong_source))) \
	$(($(pm_stat "$s2" bad_hmac) + $(pm_stat "$s2" wrong_source)))

rc=0
wait "$client" || rc=$?
expect_eq "client exit status" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
csent=${C[sent]-missing}
expect_ge "client probes sent in 5 s at 50 ms (100 nominal)" 40 "$csent"
expect_eq "client received (= sent)" "$csent" "${C[received]-missing}"
expect_eq "client duplicates" 0 "${C[duplicates]-missing}"
s3=$(pm_server_stats)
expect_eq "T21 server reflected (= the client's probes; none for the forged ones)" "$csent" "$(pm_stat "$s3" reflected)"
expect_eq "T21 nft: replies to any port but the client's" 0 "$(nft_counter "$ns" hx out other-port)"
expect_eq "nft: replies on the wire (= reflected)" "$(pm_stat "$s3" reflected)" "$(nft_counter "$ns" hx out replies)"

# --- 2. larger negotiated sizes: reply size = request size ------------------------
figures=()
for size in 512 1400; do
	forge measure --seconds 4 >"$PM_TMP/measure-$size.kv" &
	m=$!
	pm_track "$m"
	pm_wait_for "$PM_TMP/measure-$size.kv" '^ready' 10 "$m" || fail "probe_forge.py measure did not start"
	rc=0
	timeout 20 ip netns exec "$ns" "$PM_CLIENT" "${certs[@]}" --server "$peer:$port" \
		--db "$PM_TMP/history-$size.db" -s "$size" -c 40 -i 0.02 --renew=no --json \
		>"$PM_TMP/client-$size.json" 2>"$PM_TMP/client-$size.err" || rc=$?
	expect_eq "client -s $size: exit status" 0 "$rc"
	pm_json_load "$PM_TMP/client-$size.json" S
	expect_eq "client -s $size: received" 40 "${S[received]-missing}"
	wait "$m" || fail "probe_forge.py measure failed: $(tail -n 3 "$PM_TMP/forge.err")"
	line=$(grep -v '^ready' "$PM_TMP/measure-$size.kv")
	pm_log "-s $size: $line"
	expect_eq "-s $size: request sizes on the wire" "$size" "$(hx_kv "$line" request_sizes)"
	expect_eq "-s $size: requests" 40 "$(hx_kv "$line" requests)"
	expect_eq "-s $size: replies (= requests)" 40 "$(hx_kv "$line" replies)"
	expect_eq "-s $size: replies not matching a request" 0 "$(hx_kv "$line" unmatched)"
	expect_eq "-s $size: replies of another size than their request" 0 "$(hx_kv "$line" mismatched)"
	expect_eq "-s $size: reply sizes" "$size" "$(hx_kv "$line" reply_sizes)"
	amp=$(hx_kv "$line" amplification)
	expect_eq "-s $size: amplification (reply octets / request octets)" 1.0000 "$amp"
	figures+=("-s $size: $(hx_kv "$line" replies)/$(hx_kv "$line" requests) replies," \
		"$(hx_kv "$line" reply_octets)/$(hx_kv "$line" request_octets) octets, amplification $amp")
done

pm_stop_server
pm_check_sanitizers
pass "0 replies to 0/1/47/1473/65507-octet datagrams (own socket and as the client, bad_length +40)" \
	"and to signed probes of the wrong size; ${figures[*]}"
