#!/bin/bash
# A pktmon server that drops plain STAMP says so in its log, once per source
# and reason (every 10 minutes), naming the source and why, so a sender that
# sees 100 % loss can learn the cause on the server. Over loopback, 30
# probes of pktmon-client --stamp each:
#   no --stamp-allow                 "this server has no --stamp-allow"
#   --stamp-allow 192.0.2.0/24       "no --stamp-allow prefix covers"
#   --stamp-allow, a key; no key     "unauthenticated, but --stamp-key-file"
#   the same server, another key     "HMAC does not match"
#   the same server, the same key    answered, nothing said
# and a pktmon client's own session adds no such line.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init stamp-drop-log 50
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
"$PM_PY" -c 'import secrets; print(secrets.token_hex(32))' >"$PM_TMP/key"
"$PM_PY" -c 'import secrets; print(secrets.token_hex(32))' >"$PM_TMP/other-key"
chmod 600 "$PM_TMP/key" "$PM_TMP/other-key"

# server NAME ARGS...: a pktmon server on a port of its own; sets PORT, LOG.
server() {
	local name=$1 pid
	shift
	PORT=$(pm_free_port 127.0.0.1)
	LOG=$PM_TMP/$name-server.log
	"$PM_SERVER" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key" \
		--ca "$PM_PKI/ca.crt" --listen "127.0.0.1:$PORT" "$@" \
		>"$PM_TMP/$name-server.out" 2>"$LOG" &
	pid=$!
	pm_track "$pid"
	pm_wait_for "$LOG" 'listening on' 10 "$pid" ||
		fail "$name: server did not print 'listening on' within 10 s"
}

# stamp NAME EXIT ARGS...: 30 probes of --stamp toward the last server.
stamp() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 20 "$PM_CLIENT" --stamp "127.0.0.1:$PORT" -c 30 -i 20ms -W 200ms \
		--json "$@" --db "$PM_TMP/$name.db" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	expect_eq "$name: client exit status" "$want" "$rc"
	sleep 0.2	# the server's line is written as the first probe arrives
}

# drops: the server's drop lines so far.
drops() {
	grep -F 'dropped plain STAMP' "$LOG" || true
}

# expect_one_drop CASE REASON: exactly one drop line, naming 127.0.0.1, a
# 44-octet packet and REASON.
expect_one_drop() {
	local lines n
	lines=$(drops)
	n=$(grep -c . <<<"$lines" || true)
	expect_eq "$1: drop lines in the server log after 30 probes" 1 "$n"
	grep -qF "dropped plain STAMP from 127.0.0.1 (44 octets): $2" <<<"$lines" ||
		fail "$1: expected 'dropped plain STAMP from 127.0.0.1 (44 octets): $2', got: $lines"
}

# 1. No --stamp-allow at all; a second run from the same source adds nothing.
server closed
stamp closed 1
expect_one_drop "no --stamp-allow" 'not allowed: this server has no --stamp-allow'
stamp closed-again 1
expect_eq "no --stamp-allow, a second run within 10 minutes: drop lines" 1 "$(drops | grep -c . || true)"
# A pktmon client's session is no plain STAMP: nothing more is said.
mapfile -t certs < <(pm_client_args)
rc=0
timeout 20 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$PORT" -c 10 -i 20ms \
	--db "$PM_TMP/session.db" >"$PM_TMP/session.out" 2>"$PM_TMP/session.err" || rc=$?
expect_eq "pktmon session against the same server: exit status" 0 "$rc"
expect_eq "after a pktmon session: drop lines" 1 "$(drops | grep -c . || true)"

# 2. --stamp-allow that does not cover the source.
server uncovered --stamp-allow 192.0.2.0/24
stamp uncovered 1
expect_one_drop "--stamp-allow 192.0.2.0/24" 'not allowed: no --stamp-allow prefix covers this source'

# 3. Authenticated mode only: without a key, with another key, with the key.
server keyed --stamp-allow 127.0.0.0/8 --stamp-key-file "$PM_TMP/key"
stamp unauth 1
expect_one_drop "authenticated server, client without a key" \
	'unauthenticated, but --stamp-key-file admits only authenticated senders'
cp "$LOG" "$LOG.seen"
stamp other-key 1 --stamp-key-file "$PM_TMP/other-key"
lines=$(drops | grep -vxF -f <(grep -F 'dropped plain STAMP' "$LOG.seen") || true)
expect_eq "another key: new drop lines" 1 "$(grep -c . <<<"$lines" || true)"
grep -qF 'dropped plain STAMP from 127.0.0.1 (112 octets): its HMAC does not match the --stamp-key-file key' <<<"$lines" ||
	fail "another key: expected 'its HMAC does not match', got: $lines"
stamp same-key 0 --stamp-key-file "$PM_TMP/key"
pm_json_load "$PM_TMP/same-key.out" C
expect_eq "the same key: received" 30 "${C[received]-missing}"
expect_eq "the same key: drop lines (still the two before)" 2 "$(drops | grep -c . || true)"

pm_check_sanitizers
pass "one line per source and reason, naming 127.0.0.1: no --stamp-allow, not covered, unauthenticated, wrong key; none for answered probes or a pktmon session"
