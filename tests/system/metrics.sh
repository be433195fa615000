#!/bin/bash
# The metrics endpoints, scraped with curl while a real client runs, in both
# formats Prometheus scrapes. OpenMetrics (asked for with Accept) parses with
# prometheus_client's strict parser; the text format 0.0.4 (the default)
# with its text parser, every family typed, and passes promtool check
# metrics. Both formats carry the same samples, counters never go down, and
# the last scrape taken after the last probe agrees with the client's --json
# summary. The server's endpoint passes the same checks and agrees too.
#
# So that there is time to scrape after the last probe was sent, the server
# runs with its test-only impairment switch: from probe ~20 on it drops every
# probe, and the client waits out its 3 s loss timeout before it exits.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init metrics 55
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v curl >/dev/null || skip "curl not installed"
command -v promtool >/dev/null || skip "promtool not installed (Debian: prometheus)"
"$PM_PY" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null ||
	skip "$PM_PY has no prometheus_client (Debian: python3-prometheus-client)"
parse=$(dirname "$0")/metrics_parse.py
OM='Accept: application/openmetrics-text; version=1.0.0'
# What Prometheus 2 sends by default.
PROM_ACCEPT='Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
TEXT_TYPE='text/plain; version=0.0.4; charset=utf-8'
OM_TYPE='application/openmetrics-text; version=1.0.0; charset=utf-8'

# content_type FILE.headers: the Content-Type of a response.
content_type() {
	sed -n 's/^[Cc]ontent-[Tt]ype: *\(.*\)\r$/\1/p' "$1"
}

# promtool_check WHO FILE: promtool check metrics, which exits 3 on lint
# problems (a counter declared without _total among them).
promtool_check() {
	promtool check metrics <"$2" >"$PM_TMP/promtool.out" 2>&1 ||
		fail "$1: promtool check metrics $(basename "$2") exit $?:" \
			"$(head -n 5 "$PM_TMP/promtool.out")"
}

# same_samples WHO A B: two parses' outputs name the same samples.
same_samples() {
	diff <(cut -f 1 "$2" | sort) <(cut -f 1 "$3" | sort) >"$PM_TMP/diff.out" ||
		fail "$1: the text format and OpenMetrics should carry the same samples;" \
			"differences (< text, > OpenMetrics): $(head -n 6 "$PM_TMP/diff.out")"
}

pki_make
port=$(pm_free_port 127.0.0.1)
smport=$(pm_free_port 127.0.0.1)
cmport=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port" --metrics "127.0.0.1:$smport" --test-impairment

count=50
mapfile -t certs < <(pm_client_args)
timeout 40 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/history.db" \
	--metrics "$cmport" -c "$count" -i 0.05 -W 3 --renew=no --json \
	>"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

# Scrape until the client exits, in both formats; keep every scrape that came
# back whole.
scrapes=() texts=()
impaired=0 i=0 last_sent=-1
mkdir "$PM_TMP/scrapes"
while kill -0 "$client" 2>/dev/null; do
	f=$PM_TMP/scrapes/$(printf '%04d' "$i")
	i=$((i + 1))
	if curl -sf --max-time 2 -H "$OM" -D "$f.headers" -o "$f" "http://127.0.0.1:$cmport/metrics" 2>/dev/null; then
		scrapes+=("$f")
		last_sent=$(sed -n 's/^pktmon_probes_sent_total{[^}]*} \([0-9]*\)$/\1/p' "$f")
		if ((impaired == 0 && ${last_sent:-0} >= 20)); then
			kill -USR2 "$PM_SERVER_PID"
			impaired=1
		fi
	fi
	if curl -sf --max-time 2 -D "$f.txt.headers" -o "$f.txt" "http://127.0.0.1:$cmport/metrics" 2>/dev/null; then
		texts+=("$f.txt")
	fi
	sleep 0.1
done
rc=0
wait "$client" || rc=$?
expect_eq "client exit status (the last probes were dropped on purpose)" 1 "$rc"
((impaired == 1)) || fail "never scraped pktmon_probes_sent_total >= 20 while the client ran" \
	"(${#scrapes[@]} scrapes, last sent_total '${last_sent}')"
pm_json_load "$PM_TMP/client.json" C
pm_log "${#scrapes[@]} scrapes; client JSON sent ${C[sent]-?} received ${C[received]-?} lost ${C[lost]-?}"

((${#texts[@]} >= 2)) || fail "client /metrics: expected 2 or more text scrapes, got ${#texts[@]}"
last=${scrapes[${#scrapes[@]} - 1]}
last_text=${texts[${#texts[@]} - 1]}
expect_eq "client /metrics Content-Type asked for OpenMetrics" "$OM_TYPE" "$(content_type "$last.headers")"
expect_eq "client /metrics Content-Type with no Accept" "$TEXT_TYPE" "$(content_type "$last_text.headers")"
"$PM_PY" "$parse" "${scrapes[@]}" >"$PM_TMP/client-metrics.out" 2>"$PM_TMP/parse.err" ||
	fail "client /metrics: $(tail -n 1 "$PM_TMP/parse.err")"
"$PM_PY" "$parse" --text "${texts[@]}" >"$PM_TMP/client-text.out" 2>"$PM_TMP/parse.err" ||
	fail "client /metrics: $(tail -n 1 "$PM_TMP/parse.err")"
promtool_check "client /metrics" "${texts[0]}"
promtool_check "client /metrics" "$last_text"
same_samples "client /metrics" "$PM_TMP/client-text.out" "$PM_TMP/client-metrics.out"
version=$("$PM_CLIENT" --version | sed -n 's/^pktmon-client //p')

# value NAME{LABELS}: a sample of the last client scrape.
value() {
	awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$PM_TMP/client-metrics.out"
}
srv='server="127.0.0.1:'$port'"'
sent=$(value "pktmon_probes_sent_total{$srv}")
expect_eq "pktmon_probes_sent_total in the last scrape (taken after the last probe) = JSON sent" \
	"${C[sent]-missing}" "$sent"
expect_eq "JSON sent" "$count" "${C[sent]-missing}"
expect_eq "pktmon_probes_received_total in the last scrape = JSON received" \
	"${C[received]-missing}" "$(value "pktmon_probes_received_total{$srv}")"
expect_eq "pktmon_rtt_seconds_count = pktmon_probes_received_total (no late replies here)" \
	"$(value "pktmon_probes_received_total{$srv}")" "$(value "pktmon_rtt_seconds_count{$srv}")"
expect_eq 'pktmon_rtt_seconds_bucket{le="+Inf"} = pktmon_rtt_seconds_count' \
	"$(value "pktmon_rtt_seconds_count{$srv}")" "$(value "pktmon_rtt_seconds_bucket{le=\"+Inf\",$srv}")"
lost=0
for d in forward backward unknown; do
	v=$(value "pktmon_probes_lost_total{direction=\"$d\",$srv}")
	[[ $v =~ ^[0-9]+$ ]] || fail "expected pktmon_probes_lost_total{direction=\"$d\"} in the scrape, got '$v'"
	lost=$((lost + v))
done
((lost <= C[lost])) ||
	fail "pktmon_probes_lost_total (all directions) in the last scrape: expected <= JSON lost ${C[lost]}, got $lost"
expect_eq "pktmon_sessions_total = JSON sessions" "${C[sessions]-missing}" "$(value "pktmon_sessions_total{$srv}")"
expect_eq "pktmon_renewals_total (consecutive-loss) with --renew=no" 0 \
	"$(value "pktmon_renewals_total{reason=\"consecutive-loss\",$srv}")"
expect_eq "client pktmon_build_info{version=\"$version\"}" 1 "$(value "pktmon_build_info{version=\"$version\"}")"
up=$(value "pktmon_session_up{mode=\"stamp-auth\",$srv}")
[[ $up == 0 || $up == 1 ]] || fail "pktmon_session_up{mode=\"stamp-auth\"}: expected 0 or 1, got '$up'"
expect_ge "JSON lost (probes dropped on purpose)" 1 "${C[lost]-missing}"

# The server's endpoint, in the format Prometheus's own Accept header gets,
# and in the text format, by default and asked for.
for how in prom text plain; do
	case $how in
	prom) accept=$PROM_ACCEPT want=$OM_TYPE ;;
	text) accept='' want=$TEXT_TYPE ;;
	plain) accept='Accept: text/plain; version=0.0.4' want=$TEXT_TYPE ;;
	esac
	f=$PM_TMP/server-$how.metrics
	curl -sf --max-time 5 ${accept:+-H "$accept"} -D "$f.headers" -o "$f" \
		"http://127.0.0.1:$smport/metrics" ||
		fail "cannot scrape the server's --metrics endpoint 127.0.0.1:$smport"
	expect_eq "server /metrics Content-Type for ${accept:-no Accept}" "$want" \
		"$(content_type "$f.headers")"
done
"$PM_PY" "$parse" "$PM_TMP/server-prom.metrics" >"$PM_TMP/server-metrics.out" 2>"$PM_TMP/parse.err" ||
	fail "server /metrics: $(tail -n 1 "$PM_TMP/parse.err")"
"$PM_PY" "$parse" --text "$PM_TMP/server-text.metrics" >"$PM_TMP/server-text.out" 2>"$PM_TMP/parse.err" ||
	fail "server /metrics: $(tail -n 1 "$PM_TMP/parse.err")"
promtool_check "server /metrics" "$PM_TMP/server-text.metrics"
cmp -s "$PM_TMP/server-text.metrics" "$PM_TMP/server-plain.metrics" ||
	fail "server /metrics: Accept: text/plain should answer as no Accept does"
same_samples "server /metrics" "$PM_TMP/server-text.out" "$PM_TMP/server-metrics.out"
svalue() {
	awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$PM_TMP/server-metrics.out"
}
reflected=$(svalue pktmon_server_reflected_total)
expect_ge "pktmon_server_reflected_total (>= JSON received ${C[received]})" "${C[received]}" "$reflected"
expect_eq 'pktmon_server_probes_dropped_total{reason="impaired"} = JSON lost_forward' \
	"${C[lost_forward]-missing}" "$(svalue 'pktmon_server_probes_dropped_total{reason="impaired"}')"
expect_ge "pktmon_server_sessions_opened_total" 1 "$(svalue pktmon_server_sessions_opened_total)"
expect_eq "server pktmon_build_info{version=\"$version\"}" 1 "$(svalue "pktmon_build_info{version=\"$version\"}")"

pm_stop_server
pm_check_sanitizers
pass "${#scrapes[@]} OpenMetrics and ${#texts[@]} text scrapes parse, promtool check metrics passes;" \
	"last: sent $sent, received ${C[received]} as in the JSON; server reflected $reflected"
