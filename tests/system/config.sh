#!/bin/bash
# Settings from an INI file (--config, same names as the long options):
#   server: -n checks the file and prints "configuration OK"; a bad value or
#   an unknown name exits 2 with a message naming the file and the line; the
#   server runs from the file alone (its listen and udp-port settings show).
#   client: runs from a file alone; an option on the command line wins over
#   the file; a bad value exits 2 naming the file and the line.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init config 50
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
port=$(pm_free_port 127.0.0.1)
udp=$(pm_free_port 127.0.0.1)
[[ $udp != "$port" ]] || udp=$(pm_free_port 127.0.0.1)

sconf=$PM_TMP/server.conf
cat >"$sconf" <<EOF
; pktmon-server settings for the config test
[server]
cert = $PM_PKI/server.crt
key = $PM_PKI/server.key
ca = $PM_PKI/ca.crt
listen = 127.0.0.1:$port
udp-port = $udp
keepalive = 2s
handshake-timeout = 5s
allow = pktmon-client
EOF

# run NAME CMD...: run a command that must end by itself; sets rc.
run() {
	local name=$1
	shift
	rc=0
	timeout 20 "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
}

# 1. -n on a good file.
run check-good "$PM_SERVER" --config "$sconf" -n
expect_eq "pktmon-server --config FILE -n (good file): exit status" 0 "$rc"
grep -qx 'configuration OK' "$PM_TMP/check-good.out" ||
	fail "pktmon-server -n (good file): expected 'configuration OK' on stdout, got:" \
		"$(head -c 300 "$PM_TMP/check-good.out")"

# expect_refused NAME FILE LINE WORD: the server refused FILE with exit 2
# and one message naming the file, the line and WORD (the value or name).
expect_refused() {
	local name=$1 file=$2 line=$3 word=$4 err
	err=$(head -c 600 "$PM_TMP/$name.err")
	expect_eq "$name: exit status" 2 "$rc"
	grep -qF "$file" <<<"$err" || fail "$name: expected the message to name $file, got: $err"
	grep -Eq "line $line([^0-9]|$)" <<<"$err" ||
		fail "$name: expected the message to name line $line, got: $err"
	grep -qF -- "$word" <<<"$err" || fail "$name: expected the message to name '$word', got: $err"
	if grep -q 'configuration OK' "$PM_TMP/$name.out"; then
		fail "$name: printed 'configuration OK' for a bad file"
	fi
}

# 2. A bad duration, with -n and on a real start.
bad=$PM_TMP/bad-value.conf
sed 's/^keepalive = .*/keepalive = 7x/' "$sconf" >"$bad"
line=$(grep -n '^keepalive = 7x' "$bad" | cut -d: -f1)
run check-bad-value "$PM_SERVER" --config "$bad" -n
expect_refused check-bad-value "$bad" "$line" 7x
run start-bad-value "$PM_SERVER" --config "$bad"
expect_refused start-bad-value "$bad" "$line" 7x

# 3. An unknown name.
unknown=$PM_TMP/unknown-key.conf
{ cat "$sconf"; echo 'keepalive-interval = 1s'; } >"$unknown"
line=$(grep -n '^keepalive-interval' "$unknown" | cut -d: -f1)
run check-unknown "$PM_SERVER" --config "$unknown" -n
expect_refused check-unknown "$unknown" "$line" keepalive-interval

# 4. The server runs from the file alone.
"$PM_SERVER" --config "$sconf" >>"$PM_TMP/server.out" 2>>"$PM_TMP/server.log" &
PM_SERVER_PID=$!
pm_track "$PM_SERVER_PID"
pm_wait_for "$PM_TMP/server.log" 'listening on' 10 "$PM_SERVER_PID" ||
	fail "server --config did not print 'listening on' within 10 s (alive: $(pm_alive "$PM_SERVER_PID"))"
grep -qF "listening on tcp 127.0.0.1:$port, udp reflector 127.0.0.1:$udp" "$PM_TMP/server.log" ||
	fail "server --config: expected 'listening on tcp 127.0.0.1:$port, udp reflector 127.0.0.1:$udp'" \
		"(listen and udp-port from the file), got: $(grep 'listening on' "$PM_TMP/server.log")"

# 5. The client runs from a file alone.
db=$PM_TMP/history.db
cconf=$PM_TMP/client.conf
cat >"$cconf" <<EOF
# pktmon-client settings for the config test
cert = $PM_PKI/client.crt
key = $PM_PKI/client.key
ca = $PM_PKI/ca.crt
server = 127.0.0.1:$port
db = $db
interval = 20ms
count = 5
timeout = 2s
json = yes
EOF
run client-file "$PM_CLIENT" --config "$cconf"
expect_eq "pktmon-client --config FILE: exit status" 0 "$rc"
pm_json_load "$PM_TMP/client-file.out" C
expect_eq "client --config: JSON sent (count = 5)" 5 "${C[sent]-missing}"
expect_eq "client --config: JSON received" 5 "${C[received]-missing}"
[[ -s $db ]] || fail "client --config: expected the history at $db (db = in the file), not created"
expect_eq "client --config: sessions.interval_ns (interval = 20ms)" 20000000 \
	"$(pm_sql "$db" 'SELECT interval_ns FROM sessions ORDER BY id DESC LIMIT 1')"
expect_eq "client --config: sessions.timeout_ns (timeout = 2s)" 2000000000 \
	"$(pm_sql "$db" 'SELECT timeout_ns FROM sessions ORDER BY id DESC LIMIT 1')"

# 6. The command line wins over the file.
run client-override "$PM_CLIENT" --config "$cconf" -c 3
expect_eq "pktmon-client --config FILE -c 3: exit status" 0 "$rc"
pm_json_load "$PM_TMP/client-override.out" C
expect_eq "client --config with -c 3: JSON sent (the option wins over count = 5)" 3 "${C[sent]-missing}"

# 7. A bad value in the client's file.
cbad=$PM_TMP/client-bad.conf
sed 's/^count = .*/count = -1/' "$cconf" >"$cbad"
line=$(grep -n '^count = -1' "$cbad" | cut -d: -f1)
run client-bad "$PM_CLIENT" --config "$cbad"
expect_refused client-bad "$cbad" "$line" -1

pm_stop_server
pm_check_sanitizers
pass "server -n OK; bad value and unknown name refused with file and line; server and client ran from files"
