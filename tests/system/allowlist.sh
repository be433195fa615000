#!/bin/bash
# The client allowlist (--allow, T6): a client whose certificate is good but
# whose identity is not listed is refused before any session exists; listed
# by certificate name or by SHA-256 fingerprint, the same client works.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init allowlist 55
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v openssl >/dev/null || skip "openssl command not installed"
command -v curl >/dev/null || skip "curl not installed"

pki_make
mapfile -t certs < <(pm_client_args)
port=$(pm_free_port 127.0.0.1)
mport=$(pm_free_port 127.0.0.1)

# metric NAME: one sample of the server's OpenMetrics endpoint.
metric() {
	curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics" | sed -n "s/^$1 //p"
}

# run_client NAME: a short good client run; sets rc.
run_client() {
	rc=0
	timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/$1.db" \
		-c 5 -i 0.05 --json >"$PM_TMP/$1.out" 2>"$PM_TMP/$1.err" || rc=$?
}

# restart_server ALLOW...: a fresh server allowing exactly the given IDs.
n=0
restart_server() {
	if ((n > 0)); then
		pm_stop_server
		mv "$PM_TMP/server.log" "$PM_TMP/server-$n.log"
	fi
	n=$((n + 1))
	local a args=()
	for a in "$@"; do
		args+=(--allow "$a")
	done
	pm_start_server - "127.0.0.1:$port" --metrics "127.0.0.1:$mport" "${args[@]}"
}

# 1. Someone else is allowed: refused, exit 3, nothing opened or reflected.
restart_server some-other-name
run_client refused
expect_eq "client not on the allowlist: exit status" 3 "$rc"
stats=$(pm_server_stats)
[[ -n $stats ]] || fail "expected a 'stats:' line on the server's stderr after SIGUSR1, got none"
pm_log "$stats"
expect_ge "server refused_identity" 1 "$(pm_stat "$stats" refused_identity)"
expect_eq "server sessions (refused client)" 0 "$(pm_stat "$stats" sessions)"
expect_eq "server reflected (refused client)" 0 "$(pm_stat "$stats" reflected)"
expect_eq "pktmon_server_sessions_opened_total (refused client)" 0 \
	"$(metric pktmon_server_sessions_opened_total)"
expect_ge 'pktmon_server_connections_refused_total{reason="identity"}' 1 \
	"$(metric 'pktmon_server_connections_refused_total{reason="identity"}')"
if [[ -s $PM_TMP/refused.db ]] && (($(pm_sql "$PM_TMP/refused.db" 'SELECT count(*) FROM sessions') > 0)); then
	fail "client not on the allowlist: expected no session rows in its history, got" \
		"$(pm_sql "$PM_TMP/refused.db" 'SELECT count(*) FROM sessions')"
fi

# 2. Allowed by certificate name (the default client name of pktmon-certs).
restart_server some-other-name pktmon-client
run_client by-name
expect_eq "client allowed by name (--allow pktmon-client): exit status" 0 "$rc"
pm_json_load "$PM_TMP/by-name.out" C
expect_eq "client allowed by name: received" 5 "${C[received]-missing}"

# 3. Allowed by fingerprint, as openssl prints it (upper case, colons).
fp=$(openssl x509 -in "$PM_PKI/client.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
[[ $fp =~ ^([0-9A-F]{2}:){31}[0-9A-F]{2}$ ]] || fail "openssl printed an unexpected fingerprint: '$fp'"
restart_server "sha256:$fp"
run_client by-fp
expect_eq "client allowed by --allow sha256:<openssl fingerprint>: exit status" 0 "$rc"
pm_json_load "$PM_TMP/by-fp.out" C
expect_eq "client allowed by fingerprint: received" 5 "${C[received]-missing}"

# 4. The same fingerprint in lower case without colons.
hex=$(tr -d : <<<"$fp" | tr 'A-F' 'a-f')
restart_server "sha256:$hex"
run_client by-hex
expect_eq "client allowed by --allow sha256:<lower-case hex>: exit status" 0 "$rc"

# 5. A fingerprint one bit off is someone else.
last=${hex: -1}
flip=$(printf '%x' $((16#$last ^ 1)))
restart_server "sha256:${hex%?}$flip"
run_client wrong-fp
expect_eq "client with a fingerprint one bit off the allowed one: exit status" 3 "$rc"
expect_eq "pktmon_server_sessions_opened_total (wrong fingerprint)" 0 \
	"$(metric pktmon_server_sessions_opened_total)"

pm_stop_server
pm_check_sanitizers
pass "refused off the allowlist (exit 3, 0 sessions); allowed by name and by fingerprint"
