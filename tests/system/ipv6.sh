#!/bin/bash
# The whole path over IPv6 loopback: control channel to [::1]:PORT (the
# server certificate carries ::1), authenticated STAMP probes both ways,
# every probe answered and stored with its hop limit, and the session's
# addresses recorded as IPv6.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init ipv6 40
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
"$PM_PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
	skip "no IPv6 loopback (::1) on this host"

pki_make
port=$(pm_free_port ::1)
pm_start_server - "[::1]:$port"
mapfile -t certs < <(pm_client_args)
db=$PM_TMP/history.db
rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "[::1]:$port" --db "$db" -c 50 -i 0.01 \
	--dscp 46 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" || rc=$?
expect_eq "client exit status over IPv6" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
expect_eq "received over IPv6" 50 "${C[received]-missing}"
expect_eq "rows stored" 50 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate = 0')"
expect_eq "session addresses" "::1 ::1 stamp-auth" \
	"$(pm_sql "$db" "SELECT local_addr || ' ' || remote_addr || ' ' || mode FROM sessions")"
expect_eq "hop limit stored for every reply (64 on loopback)" 50 \
	"$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE ttl = 64')"
expect_eq "session DSCP" 46 "$(pm_sql "$db" 'SELECT dscp FROM sessions')"
pm_stop_server
pm_check_sanitizers
pass "50/50 over [::1]:$port, hop limit 64 on every reply"
