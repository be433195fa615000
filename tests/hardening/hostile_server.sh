#!/bin/bash
# A hostile server against the real client: ctlpeer.py serve completes mutual
# TLS with a server certificate from the test's CA, then misbehaves. The
# client asks for 1 s probes of 112 octets, with -w 5 and --renew=no.
# Grants with one field wrong (interval 0, which spun the client at 100 % CPU
# past -w and SIGINT; 1 us; 2^32-1 us; size 0, 111 and 65535; UDP port 0;
# SSID 0; an all-zero nonce), and a RENEW answered with interval 0: exit 3
# within 3 s, one line naming the server and the field.
# ACCEPT before WELCOME: the connection fails at start-up: exit 3, one line.
# After a good grant, a RENEWED nobody asked for or a CLOSED for an unknown
# SSID: ignored; -w 5 ends the run (exit 1: nothing answers the probes).
# No session ever starts with a RENEWED answering the OPEN (ignored: the
# client waits for an ACCEPT), a message cut short, or one of length 65535
# (the client drops the channel and reconnects with backoff, one line each
# time). -w counts from the first session (pktmon-client(1)), so it does not
# end these; they must idle, not spin, and SIGINT ends them: within 2 s
# between connections, within the loss timeout and close wait (6 s) while
# connected.
# --keylog: a new file is created 0600 and takes every session's key; an
# existing 0644 one gets no key and one warning for the whole run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init hostile-server 110
pm_need_binaries "$PM_CLIENT"

pki_make
mapfile -t certs < <(pm_client_args)
declare -A cpid t0
rc=0 ms=0

# hs_start NAME SCENARIO [client options]: a hostile server playing SCENARIO
# on a port of its own, and a client against it, both in the background.
hs_start() {
	local name=$1 scen=$2 port peer
	shift 2
	port=$(pm_free_port 127.0.0.1)
	"$PM_PY" "$HX_PEER" serve "$scen" --port "$port" --pki "$PM_PKI" --wait 60 \
		>"$PM_TMP/$name.peer.log" 2>>"$PM_TMP/peer.err" &
	peer=$!
	pm_track "$peer"
	pm_wait_for "$PM_TMP/$name.peer.log" '^listening=' 10 "$peer" ||
		fail "$name: ctlpeer.py serve $scen did not start: $(tail -n 3 "$PM_TMP/peer.err")"
	t0[$name]=$(date +%s%N)
	"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/$name.db" \
		-i 1 -s 112 --renew=no "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" &
	cpid[$name]=$!
	pm_track "${cpid[$name]}"
}

# hs_wait NAME SECONDS: wait until the client has run SECONDS; sets rc (its
# exit status, or "running") and ms (how long it ran, or has run).
hs_wait() {
	local name=$1 pid=${cpid[$1]}
	while kill -0 "$pid" 2>/dev/null &&
		(($(date +%s%N) - t0[$name] < $2 * 1000000000)); do
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0[$name]) / 1000000))
	rc=running
	kill -0 "$pid" 2>/dev/null || { rc=0; wait "$pid" || rc=$?; }
}

# hs_sigint NAME SECONDS: SIGINT to the client, which must end within
# SECONDS; sets rc and ms (from the signal to the exit).
hs_sigint() {
	local name=$1 pid=${cpid[$1]} ts
	ts=$(date +%s%N)
	kill -INT "$pid"
	while kill -0 "$pid" 2>/dev/null && (($(date +%s%N) - ts < $2 * 1000000000)); do
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null &&
		fail "$name: expected SIGINT to end the client within $2 s, it still runs"
	ms=$((($(date +%s%N) - ts) / 1000000))
	rc=0
	wait "$pid" || rc=$?
}

# hs_secs: ms as seconds with decimals.
hs_secs() {
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# hs_cpu_s NAME: CPU seconds the client has used so far.
hs_cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
		"/proc/${cpid[$1]}/stat"
}

# hs_lines NAME REGEX: lines of the client's stderr matching REGEX.
hs_lines() {
	grep -cE -- "$2" "$PM_TMP/$1.err" || true
}

# --- grants with one field wrong: exit 3 within 3 s, one line -------------------
declare -A why=(
	[grant-interval-0]='granted interval 0 us, shorter than the 1000000 us asked'
	[grant-interval-1us]='granted interval 1 us, shorter than the 1000000 us asked'
	[grant-interval-huge]='granted interval 4294967295 us, longer than the 3600000000 us allowed'
	[grant-size-0]='granted probes of 0 octets, shorter than the 112 of an authenticated STAMP probe'
	[grant-size-short]='granted probes of 111 octets, shorter than the 112 of an authenticated STAMP probe'
	[grant-size-65535]='granted probes of 65535 octets, larger than the 112 asked'
	[grant-udp-port-0]='granted UDP port 0 for the reflector'
	[grant-ssid-0]='granted session id 0'
	[grant-nonce-0]='granted an all-zero key nonce'
	[renewed-interval-0]='granted interval 0 us, shorter than the 100000 us asked'
)
declare -A opts=(
	# Probes every 100 ms, lost after 300 ms: the second loss asks for a renewal.
	[renewed-interval-0]='-i 0.1 -W 0.3 --renew=yes --renew-after 2'
)
for scen in grant-interval-0 grant-interval-1us grant-interval-huge grant-size-0 \
	grant-size-short grant-size-65535 grant-udp-port-0 grant-ssid-0 grant-nonce-0 \
	renewed-interval-0; do
	# shellcheck disable=SC2086 # the options are words
	hs_start "$scen" "$scen" -w 5 ${opts[$scen]:-}
	hs_wait "$scen" 8
	[[ $rc != running ]] || fail "$scen: expected the client to refuse the grant and exit, it still runs after 8 s (CPU $(hs_cpu_s "$scen") s)"
	expect_eq "$scen: exit status" 3 "$rc"
	hx_below "$scen: seconds to exit" 3 "$(hs_secs)"
	port=$(sed -n 's/^listening=\([0-9]*\).*/\1/p' "$PM_TMP/$scen.peer.log")
	want="pktmon-client: server 127.0.0.1:$port ${why[$scen]}: refusing"
	expect_eq "$scen: stderr" "$want" "$(cat "$PM_TMP/$scen.err")"
done

# --- ACCEPT before WELCOME: refused at start-up -----------------------------------
hs_start early accept-before-welcome -w 5
hs_wait early 8
expect_eq "ACCEPT before WELCOME: exit status" 3 "$rc"
hx_below "ACCEPT before WELCOME: seconds to exit" 3 "$(hs_secs)"
expect_eq "ACCEPT before WELCOME: lines naming the bad message" 1 \
	"$(hs_lines early '^pktmon-client: server 127\.0\.0\.1 .* sent a bad control message: message not allowed in this state$')"
expect_eq "ACCEPT before WELCOME: lines on stderr" 1 "$(wc -l <"$PM_TMP/early.err")"

# --- the rest at once, each on its own port ---------------------------------------
hs_start renewed unsolicited-renewed -w 5
hs_start closed closed-unknown -w 5
hs_start truncated truncated
hs_start huge huge-length
hs_start foropen renewed-for-open
hs_start truncw truncated -w 5
hs_start hugew huge-length -w 5
hs_start foropenw renewed-for-open -w 5
for name in renewed closed; do
	hs_wait "$name" 8
	[[ $rc != running ]] || fail "$name: expected -w 5 to end the client, it still runs after 8 s"
	expect_eq "$name: exit status (no probe answered)" 1 "$rc"
	# The deadline, then at most the loss timeout (1 s) and the close
	# wait (5 s): the bound the design gives, not a guess at the speed.
	hx_between "$name: seconds to exit with -w 5 and a 1 s loss timeout" 5 11.5 \
		"$(hs_secs)"
	expect_eq "$name: connections" 1 "$(grep -c '^conn=' "$PM_TMP/$name.peer.log" || true)"
	expect_eq "$name: warnings on stderr" 0 "$(wc -l <"$PM_TMP/$name.err")"
done

# None starts a session; without -w they idle (reconnecting or waiting),
# never spin. With -w the deadline counts from the start all the same, so a
# server that never grants a session cannot hold the client.
hs_wait truncated 7
expect_eq "message cut short: still reconnecting at 7 s" running "$rc"
hs_wait huge 7
expect_eq "length 65535: still reconnecting at 7 s" running "$rc"
hs_wait foropen 7
expect_eq "RENEWED for an OPEN: still waiting for an ACCEPT at 7 s" running "$rc"
for name in truncw hugew foropenw; do
	hs_wait "$name" 9
	[[ $rc != running ]] || fail "$name: expected -w 5 to end the client, it still runs after 9 s"
	expect_eq "$name: exit status with -w 5 (no probe answered)" 1 "$rc"
done
expect_eq "RENEWED for an OPEN: connections ended (it stays connected, waiting)" 0 "$(grep -c '^conn=' "$PM_TMP/foropen.peer.log" || true)"
for name in truncated huge foropen; do
	hx_below "$name: CPU seconds in 7 s" 1 "$(hs_cpu_s "$name")"
done
expect_ge "message cut short: silence noticed (lines)" 1 \
	"$(hs_lines truncated '^pktmon-client: server silent for 3 keepalive intervals$')"
expect_eq "message cut short: other lines" 0 \
	"$(grep -cvE 'server silent for 3 keepalive intervals$' "$PM_TMP/truncated.err" || true)"
# Backoff 1 s, 2 s, 4 s (+-20 %): the first at once, then after 0.8-1.2,
# 1.6-2.4 and 3.2-4.8 s more: 4 connections in 7 s, 5 when every wait
# drew its shortest jitter (all by 5.6 s).
hx_between "length 65535: connections in 7 s" 2 5 "$(grep -c '^conn=' "$PM_TMP/huge.peer.log" || true)"
hx_between "message cut short: connections in 7 s" 1 3 "$(grep -c '^conn=' "$PM_TMP/truncated.peer.log" || true)"

# SIGINT: between connections it ends the run at once; while connected and
# waiting for a grant, after the loss timeout and the close wait.
hs_sigint huge 2
expect_eq "length 65535: exit status after SIGINT (no probe answered)" 1 "$rc"
hs_sigint truncated 7
expect_eq "message cut short: exit status after SIGINT (no probe answered)" 1 "$rc"
hs_sigint foropen 7
expect_eq "RENEWED for an OPEN: exit status after SIGINT (no probe answered)" 1 "$rc"
sleep 0.5	# the peer logs each connection when it sees the end
n=$(hs_lines huge '^pktmon-client: server 127\.0\.0\.1 .* sent a bad control message: length not allowed$')
expect_ge "length 65535: lines naming the bad message" 2 "$n"
expect_eq "length 65535: lines naming the bad message, one per connection" \
	"$(grep -c '^conn=' "$PM_TMP/huge.peer.log" || true)" "$n"

# --- --keylog: made 0600; an existing file others may open is refused ------------
printf '%s\n' "# the user's own notes" >"$PM_TMP/keys.open"
chmod 644 "$PM_TMP/keys.open"
hs_start keynew regrant -w 4 --keylog "$PM_TMP/keys.new"
hs_start keyopen regrant -w 4 --keylog "$PM_TMP/keys.open"
hs_wait keynew 9
expect_eq "--keylog new file: exit status" 1 "$rc"
sleep 0.5	# the peer logs each connection when it sees the end
expect_eq "--keylog new file: mode" 600 "$(stat -c %a "$PM_TMP/keys.new")"
n=$(grep -c '^conn=.*sent=regrant' "$PM_TMP/keynew.peer.log")
expect_ge "--keylog new file: sessions granted" 2 "$n"
expect_eq "--keylog new file: one key line per session" "$n" \
	"$(grep -cE '^PKTMON_STAMP_KEY [0-9]+ [0-9]+ [0-9a-f]{64}$' "$PM_TMP/keys.new")"
hs_wait keyopen 9
expect_eq "--keylog 0644 file: exit status" 1 "$rc"
expect_ge "--keylog 0644 file: sessions granted" 2 \
	"$(grep -c '^conn=.*sent=regrant' "$PM_TMP/keyopen.peer.log")"
expect_eq "--keylog 0644 file: contents" "# the user's own notes" "$(cat "$PM_TMP/keys.open")"
expect_eq "--keylog 0644 file: mode" 644 "$(stat -c %a "$PM_TMP/keys.open")"
expect_eq "--keylog 0644 file: warnings over two sessions" 1 "$(grep -cF -- \
	"--keylog $PM_TMP/keys.open: group or others may open it (mode 0644): no keys written" \
	"$PM_TMP/keyopen.err" || true)"

pm_check_sanitizers
pass "hostile grants refused (exit 3), misplaced and malformed messages survived, SIGINT and -w end the runs, --keylog 0600"
