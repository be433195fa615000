#!/bin/bash
# T19: replayed valid probes, and T18's stale SSID after close.
# In a namespace of its own: a real client probes every 50 ms for 5 s with
# its key in a keylog. The test captures 20 of its probes and 20 of the
# replies off "lo", then, while the session lives:
#   - resends the 20 probes verbatim, from the client's own address and port
#     (raw socket): the replay window drops all 20 (server replayed +20) and
#     no extra reply leaves (server reflected = the client's probes);
#   - resends 10 captured replies to the client: it counts 10 duplicates and
#     no loss.
# After the client has closed its session, the 20 probes are sent again from
# the now free port within 1 s of the close: 0 replies (unknown_ssid +20).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init probe-replay 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

pki_make
ns=hxR$$
pm_register_cleanup "netns_destroy $ns"
ip netns add "$ns"
ip -n "$ns" link set lo up
port=47862
nft_table "$ns" hx
nft_rule "$ns" hx out replies udp sport "$port" counter
pm_start_server "$ns" "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)

hx_keyed_client "$ns" "127.0.0.1:$port" 0.05 5
pm_log "session ssid=$ssid, client port $cport"

probes() {
	ip netns exec "$ns" "$PM_PY" "$HX_PROBES" "$@" --port "$port" --cport "$cport" 2>>"$PM_TMP/probes.err" ||
		fail "probes.py $1 failed: $(tail -n 3 "$PM_TMP/probes.err")"
}

cap=$PM_TMP/captured
line=$(probes capture "$cap" --count 20 --timeout 4)
pm_log "captured: $line"
expect_eq "captured probes" 20 "$(hx_kv "$line" probes)"
expect_eq "captured replies" 20 "$(hx_kv "$line" replies)"

s0=$(pm_server_stats)
probes replay "$cap" --kind probe --count 20 >/dev/null
probes replay "$cap" --kind reply --count 10 >/dev/null
sleep 0.3
s1=$(pm_server_stats)
replayed=$(($(pm_stat "$s1" replayed) - $(pm_stat "$s0" replayed)))
expect_eq "T19 server replayed (20 probes resent while the session lives)" 20 "$replayed"
expect_eq "T19 server wrong_source (the replays came from the registered port)" \
	"$(pm_stat "$s0" wrong_source)" "$(pm_stat "$s1" wrong_source)"

# --- T18 after close: a sender that waits for the server's "closed" line -------
probes stale "$cap" --listen 1 --timeout 10 --after "$PM_TMP/server.log" \
	--pattern "session ssid=$ssid closed" >"$PM_TMP/stale.kv" &
stale=$!
pm_track "$stale"

rc=0
wait "$client" || rc=$?
expect_eq "client exit status" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
sent=${C[sent]-missing}
expect_ge "client probes sent in 5 s at 50 ms (100 nominal)" 40 "$sent"
expect_eq "T19 client received (= sent)" "$sent" "${C[received]-missing}"
expect_eq "T19 client duplicates (= replies injected)" 10 "${C[duplicates]-missing}"
expect_eq "T19 client loss (forward + backward + unknown)" 0 \
	$((${C[lost_forward]-0} + ${C[lost_backward]-0} + ${C[lost_unknown]-0}))

wait "$stale" || fail "the stale-probe sender failed: $(tail -n 3 "$PM_TMP/probes.err")"
line=$(<"$PM_TMP/stale.kv")
pm_log "stale: $line"
s3=$(pm_server_stats)
expect_eq "T18 replies to the closed session's probes" 0 "$(hx_kv "$line" replies)"
stale_ms=$(hx_kv "$line" sent_after_close_ms)
hx_below "T18 stale probes sent after the server logged the close (ms)" 1000 "$stale_ms"
expect_eq "T18 unknown_ssid after close" $(($(pm_stat "$s1" unknown_ssid) + 20)) "$(pm_stat "$s3" unknown_ssid)"
expect_eq "sessions after close" 0 "$(pm_stat "$s3" sessions)"

reflected=$(pm_stat "$s3" reflected)
expect_eq "T19 server reflected (= client probes; none for the replays)" "$sent" "$reflected"
wire=$(nft_counter "$ns" hx out replies)
expect_eq "replies on the wire (server's + 10 injected)" $((reflected + 10)) "$wire"
pm_log "$s3"

pm_stop_server
pm_check_sanitizers
pass "replayed $replayed/20 dropped, reflected $reflected = client sent $sent, client duplicates ${C[duplicates]}/10;" \
	"after close: 0/20 replies ${stale_ms} ms after it, unknown_ssid +20"
