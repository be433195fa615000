#!/bin/bash
# --on-loss runs one event at a time, in event order, within its time limit.
# Two UDP blackouts make two loss episodes (four events) while a hook that
# sleeps 2 s per event is still busy with the earlier ones: every run starts
# after the previous one ended, loss-start and loss-end alternate with the
# same episode id, and each loss-end's counts add up (PKTMON_LOST = forward
# + backward + unknown + unsent, PKTMON_LOSS_PCT = lost / slots). Then a
# hook that outlives --on-loss-timeout 1s is killed, and the client says so
# once. A hook that is not a command is refused at start with exit 2.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init on-loss-order 100
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B"
netns_pair pkq
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"
nft_table "$NS_B" pmq
mapfile -t certs < <(pm_client_args)

# A hook that is not a command: refused before anything runs.
rc=0
ip netns exec "$NS_A" "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$PM_TMP/refused.db" -c 1 --on-loss "/nonexistent/hook --x" \
	>"$PM_TMP/refused.out" 2>"$PM_TMP/refused.err" || rc=$?
expect_eq "exit status for an --on-loss that is not a command" 2 "$rc"
grep -q -- "--on-loss" "$PM_TMP/refused.err" ||
	fail "expected one line naming --on-loss, got: $(head -c 300 "$PM_TMP/refused.err")"

blackout() {	# blackout SECONDS
	nft_rule "$NS_B" pmq in bo meta l4proto udp drop
	sleep "$1"
	nft_delete "$NS_B" pmq in bo
}

log=$PM_TMP/hook.log
# shellcheck disable=SC2016 # expanded by the hook's shell
hook='echo "begin $PKTMON_EVENT $PKTMON_EPISODE $PKTMON_LOST $PKTMON_LOST_FORWARD $PKTMON_LOST_BACKWARD $PKTMON_LOST_UNKNOWN $PKTMON_UNSENT $PKTMON_SLOTS $PKTMON_LOSS_PCT $PKTMON_CLASS" >> '"'$log'"'; sleep 2; echo "end $PKTMON_EVENT $PKTMON_EPISODE" >> '"'$log'"
ip netns exec "$NS_A" timeout 60 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$PM_TMP/h.db" -i 0.05 -w 9 --renew=no --on-loss "$hook" \
	>"$PM_TMP/client.out" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"
sleep 2
blackout 0.5
sleep 2		# more than the 20 answered slots that end an episode
blackout 0.5
rc=0
wait "$client" || rc=$?
expect_eq "client exit status (loss seen)" 1 "$rc"
pm_log "hook log: $(tr '\n' '|' <"$log")"

mapfile -t lines <"$log"
expect_eq "hook log lines (4 events, each begin and end)" 8 "${#lines[@]}"
want=(loss-start loss-end loss-start loss-end)
for i in 0 1 2 3; do
	read -r b ev id lost fwd bwd unk uns slots pct cls <<<"${lines[$((2 * i))]}"
	read -r e ev2 id2 <<<"${lines[$((2 * i + 1))]}"
	expect_eq "line $((2 * i + 1)): a run begins" begin "$b"
	expect_eq "line $((2 * i + 2)): that run ends before the next begins" end "$e"
	expect_eq "event $((i + 1))" "${want[$i]}" "$ev"
	expect_eq "event $((i + 1)) ended as it began" "$ev $id" "$ev2 $id2"
	expect_eq "episode id of event $((i + 1))" $((i / 2 + 1)) "$id"
	if [[ $ev == loss-end ]]; then
		expect_eq "PKTMON_LOST = fwd + bwd + unknown + unsent (event $((i + 1)))" \
			"$lost" $((fwd + bwd + unk + uns))
		expect_ge "PKTMON_LOST of a 0.5 s blackout at 20/s" 5 "$lost"
		want_pct=$(awk -v l="$lost" -v s="$slots" 'BEGIN { printf "%.1f", 100 * l / s }')
		expect_eq "PKTMON_LOSS_PCT = lost / slots (event $((i + 1)))" "$want_pct" "$pct"
		expect_eq "PKTMON_CLASS without renewal (event $((i + 1)))" transient "$cls"
	fi
done
stored=$(pm_sql "$PM_TMP/h.db" 'SELECT group_concat(lost) FROM (SELECT lost FROM episodes ORDER BY id)')
read -r _ _ _ lost1 _ <<<"${lines[2]}"
read -r _ _ _ lost2 _ <<<"${lines[6]}"
expect_eq "episodes stored = the hook's counts" "$lost1,$lost2" "$stored"

# A hook that outlives its time limit is killed, and said once.
log2=$PM_TMP/slow.log
# shellcheck disable=SC2016
slow='echo "$PKTMON_EVENT" >> '"'$log2'"'; sleep 30; echo finished >> '"'$log2'"
ip netns exec "$NS_A" timeout 60 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$PM_TMP/h2.db" -i 0.05 -w 6 --renew=no --on-loss "$slow" --on-loss-timeout 1s \
	>"$PM_TMP/slow.out" 2>"$PM_TMP/slow.err" &
client=$!
pm_track "$client"
sleep 1.5
blackout 0.5
t0=$(date +%s)
rc=0
wait "$client" || rc=$?
t1=$(date +%s)
expect_eq "client exit status (loss seen)" 1 "$rc"
((t1 - t0 <= 12)) || fail "client took $((t1 - t0)) s to end after its deadline with a stuck hook"
expect_eq "'killed' lines on stderr" 1 "$(grep -c 'killed' "$PM_TMP/slow.err" || true)"
grep -q finished "$log2" && fail "a hook over its time limit ran to the end"
expect_eq "events the slow hook started (both, one after the other)" "loss-start loss-end" \
	"$(tr '\n' ' ' <"$log2" | sed 's/ $//')"

pm_stop_server
pm_check_sanitizers
pass "on-loss order: 4 events in order, never overlapping; a stuck hook killed after 1 s"
