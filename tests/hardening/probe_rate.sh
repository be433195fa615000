#!/bin/bash
# T22: probes at 10x the negotiated rate from the registered source.
# In a namespace of its own: a real client holds a session at 100 ms (10
# probes/s). The test adds 100 correctly signed probes/s with new sequence
# numbers, spoofed from the client's own address and port, for 4 s, and
# counts the reflector's replies to that port on "lo". The per-session token
# bucket allows 1.1 x the granted rate in the long run plus a burst of
# max(32, 0.25 s of probes):
#   replies over the 4 s        <= 1.1 x 10/s x 4 s + 32 (+1 for rounding)
#   replies after the first 1 s <= 1.1 x 10/s x 3 s (+1), and >= 0.9 x 10/s x 3 s
#                                  (the legitimate rate still gets through)
# The server's CPU time over the flood is reported (and must stay < 1 core).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init probe-rate 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

pki_make
ns=hxT$$
pm_register_cleanup "netns_destroy $ns"
ip netns add "$ns"
ip -n "$ns" link set lo up
port=47862
pm_start_server "$ns" "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)

hx_keyed_client "$ns" "127.0.0.1:$port" 0.1 8
granted_us=$(sed -n "s/.*session ssid=$ssid port [0-9]* interval \([0-9]*\) us.*/\1/p" "$PM_TMP/server.log" | head -n 1)
[[ -n $granted_us ]] || fail "expected the server to log the granted interval of ssid=$ssid"
expect_eq "granted interval (us)" 100000 "$granted_us"
rate=$((1000000 / granted_us))
flood_pps=$((10 * rate - rate))	# with the client's own, 10x the granted rate
pm_log "session ssid=$ssid, client port $cport, granted $rate probes/s; adding $flood_pps/s"

sleep 0.5	# the bucket is full again after the session's first probes
s0=$(pm_server_stats)
cpu0=$(awk '{print $14 + $15}' "/proc/$PM_SERVER_PID/stat")
secs=4 settle=1
line=$(ip netns exec "$ns" "$PM_PY" "$HX_PROBES" flood --port "$port" --cport "$cport" \
	--ssid "$ssid" --key "$key" --pps "$flood_pps" --seconds "$secs" --settle "$settle" \
	2>>"$PM_TMP/probes.err") || fail "probes.py flood failed: $(tail -n 3 "$PM_TMP/probes.err")"
cpu1=$(awk '{print $14 + $15}' "/proc/$PM_SERVER_PID/stat")
s1=$(pm_server_stats)
pm_log "flood: $line"

replies=$(hx_kv "$line" replies)
late=$(hx_kv "$line" replies_after_settle)
window=$((secs - settle))
burst=$(((rate / 4) > 32 ? (rate / 4) : 32))
max_all=$((rate * 11 * secs / 10 + burst + 1))
max_late=$((rate * 11 * window / 10 + 1))
min_late=$((rate * 9 * window / 10))
((replies <= max_all)) ||
	fail "T22 replies over ${secs} s at 10x: expected <= $max_all (1.1 x $rate/s x $secs s + burst $burst), got $replies"
((late <= max_late)) ||
	fail "T22 replies over the last $window s: expected <= $max_late (1.1 x $rate/s x $window s), got $late"
((late >= min_late)) ||
	fail "T22 replies over the last $window s: expected >= $min_late (the granted rate must still pass), got $late"
ratio=$("$PM_PY" -c "print('%.3f' % ($late / ($rate * $window)))")
offered=$("$PM_PY" -c "print('%.1f' % (($(hx_kv "$line" sent) / $secs + $rate) / $rate))")
limited=$(($(pm_stat "$s1" rate_limited) - $(pm_stat "$s0" rate_limited)))
replayed=$(($(pm_stat "$s1" replayed) - $(pm_stat "$s0" replayed)))
expect_ge "T22 server rate_limited during the flood" $(($(hx_kv "$line" sent) - max_all)) "$limited"
hz=$(getconf CLK_TCK)
cpu_pct=$("$PM_PY" -c "print('%.1f' % (100.0 * ($cpu1 - $cpu0) / $hz / $secs))")
hx_below "server CPU during the flood (% of one core)" 100 "$cpu_pct"

rc=0
wait "$client" || rc=$?
# The client's own probes now sit below the flood's sequence numbers (the
# replay window drops them) and it sees replies it never asked for: loss is
# expected; it must just end normally.
[[ $rc == 0 || $rc == 1 ]] || fail "client exit status after the flood: expected 0 or 1, got $rc"
[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "the server died"

pm_stop_server
pm_check_sanitizers
pass "offered ${offered}x the granted $rate/s; replies $replies in ${secs} s (max $max_all)," \
	"$late in the last $window s = ${ratio} x granted (max 1.1); rate_limited +$limited, replayed +$replayed;" \
	"server CPU ${cpu_pct} % of a core"
