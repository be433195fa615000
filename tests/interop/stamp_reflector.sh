#!/bin/bash
# pktmon-client --stamp against a Session-Reflector that is not pktmon's:
# stamp_reflector.py (scapy's STAMP layers for the 44-octet layout, struct
# and Python's hmac for the 112-octet one), over loopback, 30 probes a case.
#   plain-stateful   30/30 answered, RTTs stored, mode 'stamp-plain'
#   plain-drop       stateless reflector leaving every 5th probe unanswered:
#                    24 answered, 6 lost with the direction unknown (fate 5),
#                    as pktmon documents for a reflector without a control
#                    channel, whose numbering it does not trust
#   auth             --stamp-key-file: 30/30, and the reflector verified the
#                    30 probe HMACs with its own code
#   auth-short-key   the same with a 5-octet key (HMAC takes any length),
#                    written "0x..." across two lines
#   auth-wrong-key   the reflector signs with another key: 30 bad replies,
#                    0 received, and the client ends normally (exit 1: loss)
. "$(dirname "$0")/../lib/common.sh"
pm_init stamp-reflector 32
pm_need_binaries "$PM_CLIENT"
"$PM_PY" -c 'import scapy.contrib.stamp' 2>/dev/null ||
	skip "python3-scapy is not installed (needed by stamp_reflector.py)"
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s%N)
N=30
ERRS=()

# want WHAT EXPECTED ACTUAL: note a difference; the case fails at its end.
want() {
	if [[ "$2" != "$3" ]]; then
		ERRS+=("$1: expected $2, got ${3:-<nothing>}")
		pm_log "FAIL: $1: expected $2, got ${3:-<nothing>}"
	fi
}

case_end() {
	((${#ERRS[@]} == 0)) || fail "case $1: ${#ERRS[@]} check(s) differed (above)"
}

# reflector NAME ARGS...: start one for N probes; sets RPID and RPORT.
reflector() {
	local name=$1
	shift
	"$PM_PY" "$HERE/stamp_reflector.py" --port 0 --count "$N" --max-seconds 10 \
		"$@" >"$PM_TMP/$name-reflector.out" 2>"$PM_TMP/$name-reflector.log" &
	RPID=$!
	pm_track "$RPID"
	pm_wait_for "$PM_TMP/$name-reflector.out" '^ready on' 5 "$RPID" ||
		fail "$name: stamp_reflector.py did not print its ready line within 5 s"
	RPORT=$(sed -n 's/^ready on .* port \([0-9]*\) .*/\1/p' "$PM_TMP/$name-reflector.out")
}

# reflector_done NAME: it exits by itself after N datagrams; sets RDONE.
reflector_done() {
	local rc=0 i
	for ((i = 0; i < 60; i++)); do
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$RPID" 2>/dev/null &&
		fail "$1: reflector still running 3 s after the client ended (fewer than $N probes reached it)"
	wait "$RPID" || rc=$?
	want "$1: reflector exit status" 0 "$rc"
	RDONE=$(grep '^done' "$PM_TMP/$1-reflector.out" || true)
}

# rstat NAME: a count from the reflector's done line.
rstat() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$RDONE"
}

# client NAME EXIT [ARGS...]: pktmon-client toward the reflector, JSON in J.
client() {
	local name=$1 exit_want=$2 rc=0
	shift 2
	"$PM_CLIENT" --stamp "127.0.0.1:$RPORT" -c "$N" -i 20ms --json \
		--db "$PM_TMP/$name.db" "$@" >"$PM_TMP/$name.json" \
		2>"$PM_TMP/$name.err" || rc=$?
	want "$name: client exit status (0 all answered, 1 loss seen)" "$exit_want" "$rc"
	((rc < 2)) || fail "$name: client failed with exit $rc"
	pm_json_load "$PM_TMP/$name.json" J
}

# sql NAME QUERY: one value from that case's history.
sql() {
	pm_sql "$PM_TMP/$1.db" "$2"
}

# The reflector's view of what pktmon sent: well-formed, MBZ zero, numbered
# without gaps, and the SSID the client stored.
sender_ok() {
	want "$1: probes reaching the reflector" "$N" "$(rstat received)"
	want "$1: probes the reflector found malformed" 0 "$(rstat malformed)"
	want "$1: probes with MBZ octets not zero" 0 "$(rstat mbz_nonzero)"
	want "$1: gaps in the sender sequence numbers" 0 "$(rstat seq_gaps)"
	want "$1: SSID the reflector saw = SSID stored" "$(sql "$1" 'SELECT ssid FROM sessions')" \
		"$(rstat ssids)"
}

# answered NAME MODE: every probe answered, RTT above zero, stored so.
answered() {
	want "$1: JSON sent" "$N" "${J[sent]-missing}"
	want "$1: JSON received" "$N" "${J[received]-missing}"
	want "$1: JSON lost" 0 "${J[lost]-missing}"
	want "$1: JSON bad_replies" 0 "${J[bad_replies]-missing}"
	want "$1: session mode" "$2" "$(sql "$1" 'SELECT mode FROM sessions')"
	want "$1: session sent/received" "$N/$N" \
		"$(sql "$1" "SELECT sent || '/' || received FROM sessions")"
	want "$1: probes answered (fate 0) with rtt_ns > 0" "$N" \
		"$(sql "$1" 'SELECT count(*) FROM probes WHERE fate = 0 AND rtt_ns > 0')"
	want "$1: reply TTL stored (loopback, sent with 64)" "$N" \
		"$(sql "$1" 'SELECT count(*) FROM probes WHERE ttl = 64')"
	want "$1: replies the reflector sent" "$N" "$(rstat replied)"
}

# 1. Unauthenticated, stateful reflector.
reflector plain-stateful --mode unauth
client plain-stateful 0
reflector_done plain-stateful
answered plain-stateful stamp-plain
sender_ok plain-stateful
rtt_us=$((${J[rtt_ns.median]:-0} / 1000))
case_end plain-stateful

# 2. Unauthenticated, stateless, every 5th probe unanswered: backward loss
# that a plain sender cannot tell from forward loss.
reflector plain-drop --mode unauth --stateless --drop-every 5
client plain-drop 1
reflector_done plain-drop
sender_ok plain-drop
want "plain-drop: replies the reflector sent/left out" 24/6 \
	"$(rstat replied)/$(rstat dropped)"
want "plain-drop: JSON sent/received/lost" "30/24/6" \
	"${J[sent]-missing}/${J[received]-missing}/${J[lost]-missing}"
want "plain-drop: JSON lost_forward/lost_backward/lost_unknown" "0/0/6" \
	"${J[lost_forward]-missing}/${J[lost_backward]-missing}/${J[lost_unknown]-missing}"
want "plain-drop: JSON bad_replies" 0 "${J[bad_replies]-missing}"
want "plain-drop: session mode" stamp-plain "$(sql plain-drop 'SELECT mode FROM sessions')"
want "plain-drop: probes answered (fate 0) with rtt_ns > 0" 24 \
	"$(sql plain-drop 'SELECT count(*) FROM probes WHERE fate = 0 AND rtt_ns > 0')"
lost_seqs=$(sql plain-drop "SELECT group_concat(seq, ',') FROM (SELECT seq FROM probes
	WHERE fate = 5 AND rtt_ns IS NULL ORDER BY seq)")
want "plain-drop: probes lost, direction unknown (fate 5)" "4,9,14,19,24,29" "$lost_seqs"
want "plain-drop: probes given a direction (fate 3 or 4)" 0 \
	"$(sql plain-drop 'SELECT count(*) FROM probes WHERE fate IN (3, 4)')"
want "plain-drop: session lost_forward/lost_backward/lost_unknown" "0/0/6" \
	"$(sql plain-drop "SELECT lost_forward || '/' || lost_backward || '/' || lost_unknown
	FROM sessions")"
want "plain-drop: session reflector_rx (unknown without a pktmon server)" null \
	"$(sql plain-drop "SELECT coalesce(reflector_rx, 'null') FROM sessions")"
case_end plain-drop

# 3. Authenticated, the same key on both ends; -s 112 implied.
"$PM_PY" -c 'import secrets; print(secrets.token_hex(32))' >"$PM_TMP/key"
"$PM_PY" -c 'import secrets; print(secrets.token_hex(32))' >"$PM_TMP/wrong-key"
chmod 600 "$PM_TMP/key" "$PM_TMP/wrong-key"
reflector auth --mode auth --key-file "$PM_TMP/key"
client auth 0 --stamp-key-file "$PM_TMP/key"
reflector_done auth
answered auth stamp-plain-auth
sender_ok auth
want "auth: session probe size" 112 "$(sql auth 'SELECT size FROM sessions')"
want "auth: probe HMACs the reflector rejected" 0 "$(rstat bad_hmac)"
case_end auth

# 3b. A 5-octet key, as another STAMP implementation may be given.
printf '0x0102\n030405\n' >"$PM_TMP/short-key"
chmod 600 "$PM_TMP/short-key"
reflector auth-short-key --mode auth --key-file "$PM_TMP/short-key"
client auth-short-key 0 --stamp-key-file "$PM_TMP/short-key"
reflector_done auth-short-key
answered auth-short-key stamp-plain-auth
sender_ok auth-short-key
want "auth-short-key: probe HMACs the reflector rejected" 0 "$(rstat bad_hmac)"
case_end auth-short-key

# 4. The reflector holds another key and answers anyway (signing with it).
reflector auth-wrong-key --mode auth --key-file "$PM_TMP/wrong-key" --reply-bad-hmac
client auth-wrong-key 1 --stamp-key-file "$PM_TMP/key"
reflector_done auth-wrong-key
want "auth-wrong-key: probe HMACs the reflector rejected" "$N" "$(rstat bad_hmac)"
want "auth-wrong-key: replies the reflector sent" "$N" "$(rstat replied)"
want "auth-wrong-key: JSON sent/received/bad_replies" "30/0/30" \
	"${J[sent]-missing}/${J[received]-missing}/${J[bad_replies]-missing}"
want "auth-wrong-key: JSON lost/lost_unknown" "30/30" \
	"${J[lost]-missing}/${J[lost_unknown]-missing}"
want "auth-wrong-key: probes stored as lost without an RTT" "$N" \
	"$(sql auth-wrong-key 'SELECT count(*) FROM probes WHERE fate = 5 AND rtt_ns IS NULL')"
want "auth-wrong-key: warnings naming the key file" 1 \
	"$(grep -c 'none passed; they count as lost (is --stamp-key-file the reflector.s key?)' \
		"$PM_TMP/auth-wrong-key.err")"
case_end auth-wrong-key

pm_check_sanitizers
ms=$((($(date +%s%N) - T0) / 1000000))
pass "independent reflector: plain stateful $N/$N (median RTT ${rtt_us} us); stateless" \
	"drop-every 5: 24/$N answered, 6 lost, direction unknown (fate 5, seq $lost_seqs);" \
	"authenticated $N/$N, $N probe HMACs verified by the reflector (also with a 5-octet" \
	"key); wrong key: 0 received," \
	"$N bad replies, exit 1; $ms ms"
