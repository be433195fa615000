#!/bin/bash
# --on-loss CMD runs when a loss episode starts and when it ends. Every UDP
# packet into the server's namespace is dropped for 1.5 s mid-run, then
# nothing for over 2 s: CMD runs once with PKTMON_EVENT=loss-start and once
# with loss-end, whose PKTMON_LOST is the number of probes the rule dropped.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init on-loss 55
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B" --server-name localhost
netns_pair pkh
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"
nft_table "$NS_B" pmloss

events=$PM_TMP/events
db=$PM_TMP/history.db
# shellcheck disable=SC2016 # expanded by the client's sh -c, not here
hook='echo "$PKTMON_EVENT $PKTMON_LOST $PKTMON_SERVER $PKTMON_LOST_FORWARD $PKTMON_LOST_BACKWARD $PKTMON_RENEWAL_REASON" >> '"'$events'"
mapfile -t certs < <(pm_client_args)
ip netns exec "$NS_A" timeout 40 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$db" -i 0.05 -w 7 --on-loss "$hook" --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

n=100
until [[ $(pm_sql "$db" 'SELECT count(*) >= 10 FROM probes WHERE fate = 0' 2>/dev/null) == 1 ]]; do
	((n-- > 0)) || fail "expected 10 answered probes in the history within 10 s, got none"
	kill -0 "$client" 2>/dev/null || fail "client exited before the loss"
	sleep 0.1
done
[[ ! -s $events ]] || fail "--on-loss ran before any loss: $(tr '\n' '|' <"$events")"

nft_rule "$NS_B" pmloss in blackout meta l4proto udp counter drop
sleep 1.5
# An accept rule put in front ends the blackout at once and freezes its
# counter, so the count read next is final.
ip netns exec "$NS_B" nft insert rule inet pmloss in meta l4proto udp accept
t_clear=$(date +%s%N)
drops=$(nft_counter "$NS_B" pmloss in blackout)

rc=0
wait "$client" || rc=$?
sleep 0.3	# the last hook runs in the background
expect_eq "client exit status (loss seen)" 1 "$rc"
pm_json_load "$PM_TMP/client.json" C
pm_log "nft dropped $drops; client lost ${C[lost]-?}, renewals ${C[renewals]-?}; events:" \
	"$(tr '\n' '|' <"$events" 2>/dev/null)"
expect_ge "UDP packets dropped by the 1.5 s rule" 20 "$drops"
expect_eq "client JSON lost (= the nft counter)" "$drops" "${C[lost]-missing}"
# The client ran over 2 s past the drop, so the loss must be over.
last_loss=$(pm_sql "$db" 'SELECT max(sent_ns) FROM probes WHERE fate IN (3, 4, 5)')
((t_clear - last_loss > 0)) || fail "a probe sent after the rule was removed was lost"

[[ -s $events ]] || fail "--on-loss: expected lines in $(basename "$events"), the command never ran"
mapfile -t lines <"$events"
expect_eq "--on-loss runs (one loss-start, one loss-end)" 2 "${#lines[@]}"
read -r ev1 lost1 srv1 fwd1 bwd1 why1 <<<"${lines[0]}"
read -r ev2 lost2 srv2 fwd2 bwd2 why2 <<<"${lines[1]}"
expect_eq "--on-loss first PKTMON_EVENT" loss-start "$ev1"
expect_eq "--on-loss second PKTMON_EVENT" loss-end "$ev2"
expect_eq "PKTMON_LOST at loss-end (= the nft counter)" "$drops" "$lost2"
expect_eq "PKTMON_SERVER at loss-start" "$NS_ADDR_B:$port" "$srv1"
expect_eq "PKTMON_SERVER at loss-end" "$NS_ADDR_B:$port" "$srv2"
# "Probes lost in this episode so far": the probe that started it counts.
expect_ge "PKTMON_LOST at loss-start" 1 "$lost1"
# The rule dropped probes on the way in: nothing is ever backward, and
# nothing is known at the start.
expect_eq "PKTMON_LOST_FORWARD at loss-start" 0 "$fwd1"
expect_eq "PKTMON_RENEWAL_REASON at loss-start" none "$why1"
expect_eq "PKTMON_LOST_BACKWARD at loss-end" 0 "$bwd2"
expect_ge "PKTMON_LOST_FORWARD at loss-end" 1 "$fwd2"
((fwd2 <= drops)) || fail "PKTMON_LOST_FORWARD $fwd2 exceeds the $drops probes the rule dropped"
# Which trigger fires first (3 in a row, or 10 % of the window) depends on
# when outcomes settle; the hook must name the one the history stored.
if ((${C[renewals]:-0} > 0)); then
	expect_eq "PKTMON_RENEWAL_REASON at loss-end (the stored renewal's reason)" \
		"$(pm_sql "$db" 'SELECT reason FROM renewals ORDER BY id DESC LIMIT 1')" "$why2"
fi

pm_stop_server
pm_check_sanitizers
pass "loss-start then loss-end with PKTMON_LOST $lost2 = nft counter"
