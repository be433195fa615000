#!/bin/bash
# The client's link goes down for 1 s while it probes every 50 ms (T26): the
# client keeps running, the probes of the outage are stored as lost, and
# answered probes resume less than 2 s after the link is back.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init outage 55
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B" --server-name localhost
netns_pair pko
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"

db=$PM_TMP/history.db
mapfile -t certs < <(pm_client_args)
ip netns exec "$NS_A" timeout 40 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$db" -i 0.05 -w 7 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

# Probing runs before the outage.
n=100
until [[ $(pm_sql "$db" 'SELECT count(*) >= 10 FROM probes WHERE fate = 0' 2>/dev/null) == 1 ]]; do
	((n-- > 0)) || fail "expected 10 answered probes in the history within 10 s, got" \
		"$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate = 0' 2>/dev/null || echo none)"
	kill -0 "$client" 2>/dev/null || fail "client exited before the outage"
	sleep 0.1
done
sleep 0.5

t_down=$(date +%s%N)
ip -n "$NS_A" link set "$VETH_A" down
sleep 1
ip -n "$NS_A" link set "$VETH_A" up
t_up=$(date +%s%N)
kill -0 "$client" 2>/dev/null || fail "client died during the outage"

rc=0
wait "$client" || rc=$?
((rc < 128)) || fail "client was killed by signal $((rc - 128)) after the outage"
expect_eq "client exit status (loss seen)" 1 "$rc"
pm_json_load "$PM_TMP/client.json" C
pm_log "client JSON: sent ${C[sent]-?} received ${C[received]-?} lost ${C[lost]-?}" \
	"send_errors ${C[send_errors]-?} renewals ${C[renewals]-?}"

# The outage, less 100 ms at each end, is in the history as lost probes.
lo=$((t_down + 100000000)) hi=$((t_up - 100000000))
in_outage=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE sent_ns BETWEEN $lo AND $hi")
answered_in_outage=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE sent_ns BETWEEN $lo AND $hi
	AND fate IN (0, 1, 2)")
expect_ge "probes stored for the 0.8 s inside the outage (one per 50 ms)" 12 "$in_outage"
expect_eq "answered probes sent inside the outage" 0 "$answered_in_outage"
expect_ge "client JSON lost (at least the outage)" "$in_outage" "${C[lost]-missing}"

# Probing resumes within 2 s of the link coming back.
first=$(pm_sql "$db" "SELECT min(sent_ns) FROM probes WHERE fate = 0 AND sent_ns > $t_up")
[[ $first =~ ^[0-9]+$ ]] || fail "expected answered probes sent after the link came back, got none"
resume_ms=$(((first - t_up) / 1000000))
((resume_ms < 2000)) ||
	fail "first answered probe after the link came back: expected < 2000 ms after up, got $resume_ms ms"
after=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE fate = 0 AND sent_ns > $t_up + 2000000000")
expect_ge "answered probes from 2 s after up to the end (~3 s at 50 ms)" 30 "$after"

pm_stop_server
pm_check_sanitizers
pass "outage: $in_outage probes stored, 0 answered; answered again $resume_ms ms after up;" \
	"send_errors ${C[send_errors]-?}"
