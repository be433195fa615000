#!/bin/bash
# T16: many connections that never start TLS.
# The server runs with --max-preauth 64 and the default per-source cap of 32.
# A. 300 connections from 127.0.0.2: 32 are held, the other 268 are closed at
#    once (refused_preauth +268); the server's descriptors stay within
#    cap + 16; a good client from 127.0.0.1 completes its handshake in under
#    2 s while they are held, and probes normally.
# B. 100 connections from each of 127.0.0.3, .4 and .5: the global cap holds
#    64; the rest are refused at once, or closed when a source holding fewer
#    takes the oldest slot of the busiest one; descriptors stay within
#    64 + 16. A new client from 127.0.0.1 is still admitted and completes its
#    handshake: a flood from a few addresses cannot lock everyone out.
# Resident memory stays under baseline + 32 MiB throughout (not checked under
# AddressSanitizer, whose quarantine keeps freed memory resident).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init preauth-flood 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
(($(ulimit -n) >= 512)) || ulimit -n 1024 2>/dev/null || skip "cannot open 512 descriptors (ulimit -n $(ulimit -n))"

pki_make
HX_PORT=$(pm_free_port 127.0.0.1)
cap_src=32 cap_all=64
pm_start_server - "127.0.0.1:$HX_PORT" --max-preauth "$cap_all" --handshake-timeout 20s
mapfile -t certs < <(pm_client_args)
hx_peer good >/dev/null	# warm up
base_rss=$(hx_rss_kib "$PM_SERVER_PID")
s0=$(pm_server_stats)

# --- A: one source ---------------------------------------------------------------
hx_peer halfopen 300 --source 127.0.0.2 --pid "$PM_SERVER_PID" --good 5 >"$PM_TMP/a.kv" &
pa=$!
pm_track "$pa"
wait "$pa" || fail "halfopen (A) failed: $(tail -n 3 "$PM_TMP/peer.err")"
a=$(<"$PM_TMP/a.kv")
pm_log "A (300 from one source): $a"
s1=$(pm_server_stats)
expect_eq "A: connections opened" 300 "$(hx_kv "$a" opened)"
expect_eq "A: connections held (per-source cap)" "$cap_src" "$(hx_kv "$a" held)"
expect_eq "A: connections closed at once" $((300 - cap_src)) "$(hx_kv "$a" closed_within_1s)"
expect_eq "A: refused_preauth" $(($(pm_stat "$s0" refused_preauth) + 300 - cap_src)) \
	"$(pm_stat "$s1" refused_preauth)"
a_fds=$(hx_kv "$a" held_fds)
((a_fds <= cap_src + 16)) || fail "A: server descriptors $a_fds while held, expected <= $((cap_src + 16))"
expect_eq "A: good handshakes while held" 5 "$(hx_kv "$a" good_ok)"
hx_below "A: slowest good handshake + HELLO/WELCOME while held (ms)" 2000 "$(hx_kv "$a" good_max_ms)"
a_rss=$(($(hx_kv "$a" held_rss_kib) - base_rss))
hx_asan || ((a_rss < 32768)) || fail "A: server VmRSS grew by $a_rss KiB (expected < 32 MiB)"

# A good pktmon-client while 32 connections from 127.0.0.2 are held again.
"$PM_PY" - "$HX_PORT" >"$PM_TMP/hold.out" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(32):
    s = socket.socket(); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
print("holding", flush=True)
time.sleep(4)
PY
hold=$!
pm_track "$hold"
pm_wait_for "$PM_TMP/hold.out" holding 5 "$hold" || fail "could not hold 32 connections: $(cat "$PM_TMP/hold.out")"
hx_run_client good --server "127.0.0.1:$HX_PORT" "${certs[@]}" -c 5 -i 0.05 --json
expect_eq "A: pktmon-client while 32 connections from another source are held: exit status" 0 "$rc"
wait "$hold" || true

# --- B: three sources against the global cap -------------------------------------
sleep 0.5	# let the server see A's connections go
s2=$(pm_server_stats)
hx_peer halfopen 100 --source 127.0.0.3,127.0.0.4,127.0.0.5 --pid "$PM_SERVER_PID" \
	--good 2 >"$PM_TMP/b.kv"
b=$(<"$PM_TMP/b.kv")
pm_log "B (100 from each of 3 sources): $b"
s3=$(pm_server_stats)
expect_eq "B: connections opened" 300 "$(hx_kv "$b" opened)"
expect_eq "B: connections held (global cap)" "$cap_all" "$(hx_kv "$b" held)"
refused=$(($(pm_stat "$s3" refused_preauth) - $(pm_stat "$s2" refused_preauth)))
evicted=$(($(pm_stat "$s3" preauth_evicted) - $(pm_stat "$s2" preauth_evicted)))
pm_log "B: refused at accept $refused, evicted for a quieter source $evicted"
# Every connection not held was refused or evicted; a good client may take
# one more slot by eviction (the second finds the slot the first freed by
# authenticating).
closed=$((refused + evicted))
((closed >= 300 - cap_all && closed <= 300 - cap_all + 2)) ||
	fail "B: refused + evicted: expected $((300 - cap_all)) to $((300 - cap_all + 2)), got $closed"
expect_ge "B: evicted so that the third source and the good clients got slots" 3 "$evicted"
b_fds=$(hx_kv "$b" held_fds)
((b_fds <= cap_all + 16)) || fail "B: server descriptors $b_fds while held, expected <= $((cap_all + 16))"
expect_eq "B: good clients from another source admitted while the global cap is full" 2 "$(hx_kv "$b" good_ok)"
hx_below "B: slowest good handshake + HELLO/WELCOME during the flood (ms)" 2000 "$(hx_kv "$b" good_max_ms)"
b_rss=$(($(hx_kv "$b" held_rss_kib) - base_rss))
hx_asan || ((b_rss < 32768)) || fail "B: server VmRSS grew by $b_rss KiB (expected < 32 MiB)"

# Once they are gone, service is back.
sleep 0.5
good=$(hx_peer good)
hx_below "good handshake after the flood (ms)" 2000 "$(hx_kv "$good" handshake_ms)"
[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "the server died"

pm_stop_server
pm_check_sanitizers
pass "A: held $(hx_kv "$a" held)/300, fds $(hx_kv "$a" base_fds)->$a_fds, good handshake max $(hx_kv "$a" good_max_ms) ms," \
	"RSS +$a_rss KiB; B: held $(hx_kv "$b" held)/300, fds $b_fds, RSS +$b_rss KiB," \
	"good client admitted in $(hx_kv "$b" good_max_ms) ms ($evicted evicted)"
