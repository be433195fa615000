#!/bin/bash
# --stamp toward something that never answers: after 10 probes lost with no
# reply at all, the client says once what to check, instead of looking like
# a path that loses everything. Over loopback, against pktmon servers:
#   no --stamp-allow           the hint, once in 15 probes, naming HOST:PORT
#                              and --stamp-allow; 9 probes: no hint yet
#   --stamp-allow, a key       the client without a key: the hint says
#                              "does it expect authenticated mode"; with
#                              another key: "does it hold this key"
#   --stamp-allow, the key     every probe answered, no hint
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init stamp-hint 40
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
"$PM_PY" -c 'import secrets; print(secrets.token_hex(16))' >"$PM_TMP/key"
"$PM_PY" -c 'import secrets; print(secrets.token_hex(16))' >"$PM_TMP/other-key"
chmod 600 "$PM_TMP/key" "$PM_TMP/other-key"

# server NAME ARGS...: a pktmon server on a port of its own; sets PORT.
server() {
	local name=$1 pid
	shift
	PORT=$(pm_free_port 127.0.0.1)
	"$PM_SERVER" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key" \
		--ca "$PM_PKI/ca.crt" --listen "127.0.0.1:$PORT" "$@" \
		>"$PM_TMP/$name-server.out" 2>"$PM_TMP/$name-server.log" &
	pid=$!
	pm_track "$pid"
	pm_wait_for "$PM_TMP/$name-server.log" 'listening on' 10 "$pid" ||
		fail "$name: server did not print 'listening on' within 10 s"
}

# client NAME EXIT COUNT ARGS...: --stamp toward the last server; sets
# HINTS (the hint lines on stderr).
client() {
	local name=$1 want=$2 count=$3 rc=0
	shift 3
	timeout 20 "$PM_CLIENT" --stamp "127.0.0.1:$PORT" -c "$count" -i 20ms -W 200ms \
		--json --db "$PM_TMP/$name.db" "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	expect_eq "$name: exit status" "$want" "$rc"
	HINTS=$(grep -F 'no reply from' "$PM_TMP/$name.err" || true)
}

hint() {
	printf 'pktmon-client: no reply from 127.0.0.1:%s after 10 probes: is it a STAMP reflector, does it allow this client (a pktmon server needs --stamp-allow), and %s?' \
		"$PORT" "$1"
}

# 1. A pktmon server that does not let plain senders in.
server closed
client closed 1 15
expect_eq "no --stamp-allow, 15 probes: the hint, once" \
	"$(hint 'does it expect authenticated mode (--stamp-key-file)')" "$HINTS"
client closed-9 1 9
expect_eq "no --stamp-allow, 9 probes: no hint yet" "" "$HINTS"

# 2. A server that wants authenticated mode with its key.
server keyed --stamp-allow 127.0.0.0/8 --stamp-key-file "$PM_TMP/key"
client unauth 1 12
expect_eq "authenticated server, client without a key: the hint" \
	"$(hint 'does it expect authenticated mode (--stamp-key-file)')" "$HINTS"
client other-key 1 12 --stamp-key-file "$PM_TMP/other-key"
expect_eq "authenticated server, client with another key: the hint" \
	"$(hint 'does it hold this key (--stamp-key-file)')" "$HINTS"
client same-key 0 12 --stamp-key-file "$PM_TMP/key"
expect_eq "authenticated server, the same key: no hint" "" "$HINTS"
pm_json_load "$PM_TMP/same-key.out" C
expect_eq "authenticated server, the same key: received" 12 "${C[received]-missing}"

pm_check_sanitizers
pass "the hint once after 10 silent probes (none after 9), with the clause for the mode in use; none when answered"
