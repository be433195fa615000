#!/bin/bash
# Never blind (issue: outages are loss). The whole path to the server (its
# TCP control port and UDP reflector port) is dropped for 20 s in a 40 s run
# at 10 probes/s. The schedule must go on: every slot of the outage is in
# the history as lost, the client reports one episode classified outage
# whose span matches the drop within one loss timeout, its summary and
# pktmon-report events agree to the slot, the metrics' sent counter keeps
# advancing, and the exit status is 1.
#   path_outage.sh [DOWN_S RUN_S]
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
down_s=${1:-20}
run_s=${2:-40}
pm_init path-outage $((run_s + 60))
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT" "$PM_REPORT"

pki_make --server-name "$NS_ADDR_B"
netns_pair pkp
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"
nft_table "$NS_B" pmout

db=$PM_TMP/history.db
mapfile -t certs < <(pm_client_args)
ip netns exec "$NS_A" timeout $((run_s + 40)) "$PM_CLIENT" "${certs[@]}" \
	--server "$NS_ADDR_B:$port" --db "$db" -i 0.1 -w "$run_s" --events \
	--metrics 127.0.0.1:9862 \
	--json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

n=100
until [[ $(pm_sql "$db" 'SELECT count(*) >= 20 FROM probes WHERE fate = 0' 2>/dev/null) == 1 ]]; do
	((n-- > 0)) || fail "expected 20 answered probes within 10 s"
	sleep 0.1
done
sleep 3
t_down=$(date +%s%N)
nft_rule "$NS_B" pmout in drop-tcp tcp dport "$port" counter drop
nft_rule "$NS_B" pmout in drop-udp udp dport "$port" counter drop
# Metrics inside the outage: the sent counter goes on with the schedule
# while received stands still (so 1 - received/sent reaches 100 %), and the
# outage gauge is up.
scrape() {
	ip netns exec "$NS_A" "$PM_PY" - <<'PY'
import re, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:9862/metrics", timeout=5).read().decode()
def v(name):
    m = re.search(r"^" + name + r"(\{[^}]*\})? ([0-9.e+]+)$", t, re.M)
    return m.group(2) if m else "missing"
print(v("pktmon_probes_sent_total"), v("pktmon_probes_received_total"),
      v("pktmon_outage"), v("pktmon_loss_episode"))
PY
}
sleep $((down_s / 2))
read -r sent1 recv1 outage1 ep1 < <(scrape)
sleep 3
read -r sent2 recv2 outage2 ep2 < <(scrape)
pm_log "metrics in the outage: sent $sent1 -> $sent2, received $recv1 -> $recv2, outage $outage2"
expect_ge "pktmon_probes_sent_total advance over 3 s of outage (10/s)" 25 $((${sent2%.*} - ${sent1%.*}))
expect_eq "pktmon_probes_received_total over 3 s of outage" "$recv1" "$recv2"
expect_eq "pktmon_outage during the outage" 1 "$outage2"
expect_eq "pktmon_loss_episode during the outage" 1 "$ep2"
sleep $((down_s - down_s / 2 - 3))
nft_delete "$NS_B" pmout in drop-tcp
nft_delete "$NS_B" pmout in drop-udp
t_up=$(date +%s%N)
kill -0 "$client" 2>/dev/null || fail "client died during the outage"

rc=0
wait "$client" || rc=$?
expect_eq "client exit status (an outage is loss)" 1 "$rc"
pm_json_load "$PM_TMP/client.json" C
pm_log "client: slots ${C[slots]-?} lost ${C[lost]-?} unsent ${C[unsent]-?}"

# The drop lasted from t_down to t_up as measured (a little over DOWN_S).
outage_slots=$(((t_up - t_down) / 100000000))
timeout_slots=10	# one loss timeout (1 s) of slots at 10/s
lost_in=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE sent_ns BETWEEN $t_down AND $t_up
	AND fate IN (3, 4, 5, 6)")
expect_ge "lost slots of the ${down_s} s outage (>= 90 % of $outage_slots)" \
	$((outage_slots * 9 / 10)) "$lost_in"
all_lost=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE fate IN (3, 4, 5, 6)")
((all_lost <= outage_slots + timeout_slots)) ||
	fail "expected at most $((outage_slots + timeout_slots)) lost slots in all, got $all_lost"
slots=$(pm_sql "$db" "SELECT count(*) FROM probes")
expect_eq "client JSON slots = rows in the history" "$slots" "${C[slots]-missing}"
expect_eq "client JSON lost = lost rows in the history" "$all_lost" "${C[lost]-missing}"
expect_ge "slots of the ${run_s} s run at 10/s (schedule never stopped)" \
	$((run_s * 10 - 15)) "$slots"

# One episode, an outage, spanning the drop.
expect_eq "episodes stored by the client" 1 "$(pm_sql "$db" 'SELECT count(*) FROM episodes')"
IFS='|' read -r e_start e_end e_lost e_class < <(pm_sql "$db" \
	"SELECT start_ns, end_ns, lost, class FROM episodes")
expect_eq "episode class" outage "$e_class"
expect_eq "episode lost = lost slots" "$all_lost" "$e_lost"
d1=$(((e_start - t_down) / 1000000)) d2=$(((e_end - t_up) / 1000000))
((d1 > -1200 && d1 < 1200)) || fail "episode start ${d1} ms from the drop (want within 1.2 s)"
((d2 > -1200 && d2 < 1200)) || fail "episode end ${d2} ms from the restore (want within 1.2 s)"
grep -q 'loss episode 1 started' "$PM_TMP/client.json" ||
	grep -q 'loss episode 1 started' "$PM_TMP/client.err" || true

# The report finds the same episode from the probes alone.
"$PM_REPORT" events --db "$db" --json >"$PM_TMP/events.json" 2>"$PM_TMP/report.err" ||
	fail "pktmon-report events failed: $(head -3 "$PM_TMP/report.err")"
read -r r_n r_lost r_start r_class < <("$PM_PY" - "$PM_TMP/events.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["episodes"]
print(len(e), e[0]["lost"] if e else -1, e[0]["start_ns"] if e else -1,
      e[0]["class"] if e else "-")
PY
)
expect_eq "report: episodes" 1 "$r_n"
expect_eq "report: episode lost (same as the client's)" "$e_lost" "$r_lost"
expect_eq "report: episode start (same slot as the client's)" "$e_start" "$r_start"
expect_eq "report: episode class" outage "$r_class"

pm_stop_server
pm_check_sanitizers
pass "path-outage: ${down_s} s down: $lost_in slots lost in it, $all_lost in all of $slots;" \
	"one outage episode of $(((e_end - e_start) / 1000000)) ms"
