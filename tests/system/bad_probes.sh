#!/bin/bash
# Probes the reflector must drop silently while a real session runs: wrong
# HMAC, right HMAC from the wrong source port, bad lengths, unknown SSID. No
# reply may leave for any of them, the server counts them, and the real
# client is not disturbed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init bad-probes 90
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"

keylog=$PM_TMP/keylog
mapfile -t certs < <(pm_client_args)
timeout 40 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/history.db" \
	-i 0.05 -w 6 --keylog "$keylog" --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

pm_wait_for "$keylog" '^PKTMON_STAMP_KEY [0-9]+ [0-9]+ [0-9a-fA-F]{64}$' 10 "$client" ||
	fail "expected a 'PKTMON_STAMP_KEY <ssid> <port> <64 hex>' line in the keylog within 10 s," \
		"got: $(head -c 200 "$keylog" 2>/dev/null || echo '<no file>')"
read -r _ ssid cport key < <(grep '^PKTMON_STAMP_KEY' "$keylog" | tail -n 1)
pm_log "session ssid=$ssid client port $cport"

out=$(timeout 20 "$PM_PY" "$(dirname "$0")/bad_probes.py" 127.0.0.1 "$port" "$ssid" "$key" "$cport" \
	2>"$PM_TMP/python.err") || fail "bad_probes.py failed: $(tail -n 3 "$PM_TMP/python.err")"
replies=$(sed -n 's/^replies=\([0-9]*\).*/\1/p' <<<"$out")
expect_eq "replies to 80 bad probes" 0 "$replies"

stats=$(pm_server_stats)
[[ -n $stats ]] || fail "expected a 'stats:' line on the server's stderr after SIGUSR1, got none"
pm_log "$stats"
expect_ge "server bad_hmac" 20 "$(pm_stat "$stats" bad_hmac)"
expect_ge "server wrong_source" 20 "$(pm_stat "$stats" wrong_source)"
# 0, 1 and 47 octets fit no session; an oversize datagram may instead be
# dropped at the session lookup (its SSID octets are random).
bad_length=$(pm_stat "$stats" bad_length) unknown_ssid=$(pm_stat "$stats" unknown_ssid)
expect_ge "server bad_length (0, 1 and 47 octets)" 15 "$bad_length"
expect_ge "server unknown_ssid" 20 "$unknown_ssid"
expect_ge "server bad_length + unknown_ssid" 40 $((bad_length + unknown_ssid))

rc=0
wait "$client" || rc=$?
pm_json_load "$PM_TMP/client.json" C
expect_ge "client probes sent in 6 s at 50 ms" 60 "${C[sent]-missing}"
expect_eq "client received (= sent; the bad probes must not disturb the session)" \
	"${C[sent]-missing}" "${C[received]-missing}"
expect_eq "client exit status" 0 "$rc"

pm_stop_server
pm_check_sanitizers
pass "0 replies to 80 bad probes; client ${C[received]}/${C[sent]}"
