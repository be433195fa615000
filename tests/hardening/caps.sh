#!/bin/bash
# Per-server and per-client caps for authenticated peers (not in the fault
# table; found while writing T16).
#   --max-clients 2: a third client that authenticates is refused (the help
#       text: "authenticated clients"), also when there is room under
#       --max-preauth for its handshake.
#   --max-sessions 1: a second OPEN on one connection gets ERROR (limit); and
#       RENEW cannot be used to go around the cap: renewing the same session
#       again and again without closing the old ones (15 times: one more
#       would hit the table of 16 per connection, and that ERROR closes the
#       connection, which would hide the count) may leave at most one
#       draining session beside each live one (2 x max-sessions in all).
#   --max-per-identity 3 (issue 12 #6): of 6 clients with one certificate,
#       3 authenticate and 3 are refused with ERROR 9, counted as
#       refused_identity_cap, while --max-clients has room; a client with
#       another certificate still gets in.
# Every check runs and the failures are listed together.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init caps 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
HX_PORT=$(pm_free_port 127.0.0.1)
max_clients=2 max_sessions=1
pm_start_server - "127.0.0.1:$HX_PORT" --max-clients "$max_clients" --max-preauth 8 \
	--max-sessions "$max_sessions"
bad=()

# --- --max-clients ----------------------------------------------------------------
hx_peer clients 6 --hold 2 >"$PM_TMP/clients.kv" &
p=$!
pm_track "$p"
pm_wait_for "$PM_TMP/clients.kv" '^up=' 20 "$p" || fail "clients run: no result ($(tail -n 2 "$PM_TMP/peer.err"))"
s=$(pm_server_stats)
line=$(<"$PM_TMP/clients.kv")
pm_log "6 clients against --max-clients $max_clients: $line; server clients=$(pm_stat "$s" clients)"
up=$(hx_kv "$line" up)
((up <= max_clients)) ||
	bad+=("--max-clients $max_clients: $up clients authenticated and were served WELCOME (server clients=$(pm_stat "$s" clients), refused_clients=$(pm_stat "$s" refused_clients))")
wait "$p" || true

# --- --max-sessions -----------------------------------------------------------------
open=010300080000271000709c40	# OPEN 10 ms, 112 octets, port 40000
line=$(hx_peer send "${open}${open}" --hello)
[[ $(hx_kv "$line" error_code) == 3 && $(hx_kv "$line" msgs) == 4,10 ]] ||
	bad+=("second OPEN over --max-sessions $max_sessions: expected ACCEPT then ERROR 3, got: $line")

hx_peer renew 15 --hold 1.5 >"$PM_TMP/renew.kv" &
p=$!
pm_track "$p"
pm_wait_for "$PM_TMP/renew.kv" '^opened=' 30 "$p" || fail "renew run: no result ($(tail -n 2 "$PM_TMP/peer.err"))"
s=$(pm_server_stats)
line=$(<"$PM_TMP/renew.kv")
sessions=$(pm_stat "$s" sessions)
pm_log "OPEN + 15 RENEW of the same session, never closed, --max-sessions $max_sessions: $line; server sessions=$sessions"
((sessions <= 2 * max_sessions)) ||
	bad+=("--max-sessions $max_sessions: one connection holds $sessions probe sessions after $(hx_kv "$line" renewed) RENEWs of the same session without CLOSE (expected <= $((2 * max_sessions)))")
wait "$p" || true

[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "the server died"
pm_stop_server

# --- --max-per-identity --------------------------------------------------------------
hx_ca_init
hx_issue other-client client_ext
per_id=3
mv "$PM_TMP/server.log" "$PM_TMP/server-caps.log"
HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT" --max-clients 10 --max-per-identity "$per_id"
hx_peer clients 6 --hold 3 >"$PM_TMP/perid.kv" &
p=$!
pm_track "$p"
pm_wait_for "$PM_TMP/perid.kv" '^up=' 20 "$p" || fail "per-identity run: no result ($(tail -n 2 "$PM_TMP/peer.err"))"
line=$(<"$PM_TMP/perid.kv")
other=$(hx_peer clients 1 --cert "$PM_TMP/ca/other-client.crt" --key "$PM_TMP/ca/other-client.key")
s=$(pm_server_stats)
pm_log "6 clients of one certificate against --max-per-identity $per_id: $line; another certificate meanwhile: $other"
[[ $(hx_kv "$line" up) == "$per_id" && $(hx_kv "$line" refused) == 3 && $(hx_kv "$line" refusals) == error:9 ]] ||
	bad+=("--max-per-identity $per_id: expected up=$per_id refused=3 refusals=error:9 for 6 clients of one certificate, got: $line")
[[ $(hx_kv "$other" up) == 1 ]] ||
	bad+=("--max-per-identity $per_id: a client with another certificate was refused: $other")
[[ $(pm_stat "$s" refused_identity_cap) == 3 && $(pm_stat "$s" refused_clients) == 0 ]] ||
	bad+=("--max-per-identity $per_id: expected refused_identity_cap=3 refused_clients=0, got $(pm_stat "$s" refused_identity_cap) and $(pm_stat "$s" refused_clients)")
grep -q 'too many connections with this client identity (max-per-identity 3)' "$PM_TMP/server.log" ||
	bad+=("--max-per-identity: no 'too many connections with this client identity' line in the server log")
wait "$p" || true
pm_stop_server
pm_check_sanitizers
if ((${#bad[@]})); then
	msg=$(printf '%s; ' "${bad[@]}")
	fail "${#bad[@]} cap(s) not held: ${msg%; }"
fi
pass "--max-clients $max_clients held; --max-sessions $max_sessions held against OPEN and RENEW; --max-per-identity $per_id held, another identity admitted"
