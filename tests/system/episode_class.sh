#!/bin/bash
# One episode per fault, classified by what ended it (issue: never blind).
#   1. Flow fault: the server's side drops UDP from the client's current
#      source port until the client renews onto a new one. Exactly one
#      episode, flow-specific, that holds the in-flight probes of the old
#      session, and no ghost episode after it.
#   2. Path fault with the control channel up: every UDP probe to the
#      server is dropped for 4 s; renewals are granted but do not help. One
#      episode, path-wide, its renewals stored as not helping.
#   3. The server stops for 1.6 s: the first replies of the stall come
#      after the 1 s loss timeout (late), the rest are lost. One episode, in
#      the client and in the report alike (a late slot is a bad slot for
#      the episode rule, whenever the client learns it was late).
# The flow episode ends before the old session's CLOSED tells which way its
# losses went; the stored row gets them afterwards, as the report does.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init episode-class 90
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT" "$PM_REPORT"

pki_make --server-name "$NS_ADDR_B"
netns_pair pkc
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"
nft_table "$NS_B" pmc
db=$PM_TMP/history.db
mapfile -t certs < <(pm_client_args)
ip netns exec "$NS_A" timeout 60 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$db" -i 0.05 -w 22 --renew-gap 1s --events >"$PM_TMP/client.out" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

n=100
until [[ $(pm_sql "$db" 'SELECT count(*) >= 20 FROM probes WHERE fate = 0' 2>/dev/null) == 1 ]]; do
	((n-- > 0)) || fail "expected answered probes within 10 s"
	sleep 0.1
done
sport=$(pm_sql "$db" 'SELECT local_port FROM sessions ORDER BY id DESC LIMIT 1')
nft_rule "$NS_B" pmc in flow udp sport "$sport" counter drop
n=100
until [[ $(pm_sql "$db" 'SELECT count(*) FROM sessions WHERE mode = "stamp-auth"' 2>/dev/null) -ge 2 ]]; do
	((n-- > 0)) || fail "expected a renewal within 10 s of the flow drop"
	sleep 0.1
done
sleep 3
flow_dropped=$(nft_counter "$NS_B" pmc in flow)
nft_delete "$NS_B" pmc in flow
t_path=$(date +%s%N)
nft_rule "$NS_B" pmc in path udp dport "$port" counter drop
sleep 4
nft_delete "$NS_B" pmc in path
t_path_end=$(date +%s%N)
sleep 3
kill -STOP "$PM_SERVER_PID"
sleep 1.6
kill -CONT "$PM_SERVER_PID"
rc=0
wait "$client" || rc=$?
expect_eq "client exit status" 1 "$rc"
pm_log "episodes: $(pm_sql "$db" 'SELECT id, lost, class, renewals FROM episodes' | tr '\n' ' ')"
pm_log "events: $(grep -c . "$PM_TMP/client.out") lines"

expect_eq "episodes stored" 3 "$(pm_sql "$db" 'SELECT count(*) FROM episodes')"
expect_eq "first episode class (ended by a renewal)" flow-specific \
	"$(pm_sql "$db" 'SELECT class FROM episodes ORDER BY id LIMIT 1')"
expect_eq "second episode class (renewals did not help, control channel up)" path-wide \
	"$(pm_sql "$db" 'SELECT class FROM episodes ORDER BY id LIMIT 1 OFFSET 1')"
expect_eq "flow episode: every loss forward once the old session closed (none left unknown)" \
	"$(pm_sql "$db" 'SELECT lost || " 0" FROM episodes ORDER BY id LIMIT 1')" \
	"$(pm_sql "$db" 'SELECT lost_forward || " " || lost_unknown FROM episodes ORDER BY id LIMIT 1')"
expect_ge "stall episode: late slots in it" 1 \
	"$(pm_sql "$db" 'SELECT late FROM episodes ORDER BY id DESC LIMIT 1')"
# The flow episode holds every slot the flow rule dropped, old session's
# in-flight ones included: nothing lost before the path fault is outside it.
lost_before=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE fate IN (3,4,5,6) AND sent_ns < $t_path")
expect_eq "flow episode lost = every slot lost before the path fault" "$lost_before" \
	"$(pm_sql "$db" 'SELECT lost FROM episodes ORDER BY id LIMIT 1')"
expect_eq "loss-start events (no ghost episode)" 3 "$(grep -c 'loss episode [0-9]* started' "$PM_TMP/client.out")"
expect_eq "loss-end events" 3 "$(grep -c 'loss episode [0-9]* ended' "$PM_TMP/client.out")"
grep -qE '^\[[0-9-]{10}T[0-9:.]{12}Z\] '"$NS_ADDR_B:$port"': loss episode 1 ended: flow-specific' \
	"$PM_TMP/client.out" || fail "expected a stamped 'loss episode 1 ended: flow-specific' line naming the target"
helped=$(pm_sql "$db" "SELECT count(*) FROM renewals WHERE requested_ns >= $t_path AND loss_after_pct > 0")
expect_ge "renewals during the path fault stored as not helping" 1 "$helped"

# The report lists the same two episodes with the same counts and classes.
"$PM_REPORT" events --db "$db" --json >"$PM_TMP/events.json" 2>"$PM_TMP/report.err" ||
	fail "pktmon-report events failed: $(head -3 "$PM_TMP/report.err")"
got=$("$PM_PY" - "$PM_TMP/events.json" <<'PY'
import json, sys
print(" ".join("%d:%d:%d:%d:%s" % (e["lost"], e["lost_forward"], e["late"], e["probes"],
    e["class"]) for e in json.load(open(sys.argv[1]))["episodes"]))
PY
)
expect_eq "report episodes (lost:forward:late:slots:class)" \
	"$(pm_sql "$db" "SELECT group_concat(lost || ':' || lost_forward || ':' || late || ':' ||
		slots || ':' || class, ' ') FROM (SELECT * FROM episodes ORDER BY id)")" "$got"

pm_stop_server
pm_check_sanitizers
pass "episode-class: flow fault -> one flow-specific episode ($lost_before lost, $flow_dropped dropped);" \
	"path fault -> path-wide"
