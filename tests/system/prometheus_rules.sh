#!/bin/bash
# dist/prometheus/pktmon.rules.yml: promtool check rules accepts it, its unit
# tests (pktmon.rules.test.yml, series written by hand) pass, and it works on
# what a real client exports: 26 text-format scrapes of a client probing at
# 50/s, every probe dropped by the server from the 7th scrape to the 17th,
# are replayed one minute apart (so a 5m window holds 5 scrapes) and the
# recording rules and alerts must say what happened: loss of every probe in
# the middle, settled as forward, PktmonPacketLoss firing then resolved, no
# outage and no control-channel alert. A rule naming a series or label the
# client does not export fails here even if the unit tests agree with it.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init prometheus-rules 80
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v curl >/dev/null || skip "curl not installed"
command -v promtool >/dev/null || skip "promtool not installed (Debian: prometheus)"
"$PM_PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "$PM_PY has no prometheus_client (Debian: python3-prometheus-client)"
dir=$PKTMON_SOURCE/dist/prometheus
rules=$dir/pktmon.rules.yml

promtool check rules "$rules" >"$PM_TMP/check.out" 2>&1 ||
	fail "promtool check rules $rules: $(tail -n 5 "$PM_TMP/check.out")"
nrules=$(sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p' "$PM_TMP/check.out")
(cd "$dir" && promtool test rules pktmon.rules.test.yml) >"$PM_TMP/unit.out" 2>&1 ||
	fail "promtool test rules pktmon.rules.test.yml: $(head -n 20 "$PM_TMP/unit.out")"

# Record.
pki_make
port=$(pm_free_port 127.0.0.1)
cmport=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port" --test-impairment
mapfile -t certs < <(pm_client_args)
"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/history.db" \
	--metrics "$cmport" -i 0.02 -W 0.2 -w 60 --renew=no -q \
	>"$PM_TMP/client.out" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"
url=http://127.0.0.1:$cmport/metrics
for ((i = 0; i < 100; i++)); do
	curl -sf --max-time 2 "$url" 2>/dev/null | grep -q '^pktmon_session_up{.*} 1$' && break
	kill -0 "$client" 2>/dev/null || fail "client exited early: $(tail -n 3 "$PM_TMP/client.err")"
	sleep 0.1
done
((i < 100)) || fail "the client's session was not up within 10 s"
mkdir "$PM_TMP/rec"
scrapes=()
for ((i = 0; i < 26; i++)); do
	f=$PM_TMP/rec/$(printf '%02d' "$i")
	curl -sf --max-time 2 -o "$f" "$url" || fail "scrape $i of the client failed"
	scrapes+=("$f")
	# impairment from after scrape 6 to after scrape 16
	((i == 6 || i == 16)) && kill -USR2 "$PM_SERVER_PID"
	sleep 0.5
done
kill -INT "$client"
wait "$client" || true
sent() { sed -n 's/^pktmon_probes_sent_total{[^}]*} //p' "$1"; }
pm_log "recorded ${#scrapes[@]} scrapes, $(sent "${scrapes[0]}") to $(sent "${scrapes[25]}") slots sent"

# Replay. Minute 14's 5m window lies within the impairment, minute 25's after.
firing='ALERTS{alertname="PktmonPacketLoss",alertstate="firing"}'
"$PM_PY" "$(dirname "$0")/rules_replay.py" "$rules" "$PM_TMP/replay.test.yml" \
	--expect '5|server:pktmon_probes_lost:ratio_rate5m < 0.05|1' \
	--expect '5|ALERTS|none' \
	--expect '14|server:pktmon_probes_lost:ratio_rate5m > 0.5|1' \
	--expect "14|$firing|1" \
	--expect '14|ALERTS{alertname=~"PktmonOutage|PktmonControlChannelDown|PktmonRenewalStorm"}|none' \
	--expect '25|server_direction:pktmon_probes_lost:ratio_rate1h{direction="forward"} > 0.2|1' \
	--expect '25|server_direction:pktmon_probes_lost:ratio_rate1h{direction!="forward"} > 0.02|none' \
	--expect '25|server:pktmon_probes_lost:ratio_rate5m < 0.05|1' \
	--expect "25|$firing|none" \
	-- "${scrapes[@]}" 2>"$PM_TMP/replay.err" ||
	fail "rules_replay.py could not write the test: $(tail -n 3 "$PM_TMP/replay.err")"
promtool test rules "$PM_TMP/replay.test.yml" >"$PM_TMP/replay.out" 2>&1 ||
	fail "the rules on the recorded scrapes: $(head -n 30 "$PM_TMP/replay.out")"

pm_stop_server
pm_check_sanitizers
pass "promtool: $nrules rules, unit tests pass; on a recording of ${#scrapes[@]} scrapes" \
	"the loss, its direction and PktmonPacketLoss come and go as recorded"
