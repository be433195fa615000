#!/bin/bash
# The renewal policy's storm control: through a 4 s blackout of the whole
# path (every UDP packet into the server's namespace dropped), renewals
# come no closer than --renew-gap, the gap doubles while the loss lasts,
# and no more than --renew-max happen in the hour.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init renew-cap 50
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B" --server-name localhost
netns_pair pkr
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"
nft_table "$NS_B" pmcap

db=$PM_TMP/history.db
mapfile -t certs < <(pm_client_args)
ip netns exec "$NS_A" timeout 40 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$db" -i 0.02 -W 0.2 -w 7 --renew-gap 0.3s --renew-gap-max 1s --renew-max 3 \
	--json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"
sleep 1.5
nft_rule "$NS_B" pmcap in blackout meta l4proto udp counter drop
sleep 4
ip netns exec "$NS_B" nft insert rule inet pmcap in meta l4proto udp accept
rc=0
wait "$client" || rc=$?
expect_eq "client exit status (loss seen)" 1 "$rc"
pm_json_load "$PM_TMP/client.json" C
expect_eq "renewals through a 4 s blackout with --renew-max 3" 3 "${C[renewals]-missing}"
expect_eq "renewals stored" 3 "$(pm_sql "$db" 'SELECT count(*) FROM renewals')"
# Gaps between renewal requests: at least 0.3 s, then doubling (0.6 s), capped at 1 s.
mapfile -t gaps < <(pm_sql "$db" 'SELECT (requested_ns - lag(requested_ns) OVER (ORDER BY id)) / 1000000
	FROM renewals ORDER BY id' | tail -n +2)
expect_eq "gaps measured" 2 "${#gaps[@]}"
((gaps[0] >= 300)) || fail "first gap ${gaps[0]} ms, expected >= 300 (--renew-gap)"
((gaps[1] >= 600 && gaps[1] >= gaps[0])) ||
	fail "second gap ${gaps[1]} ms, expected it doubled to >= 600 ms"
expect_eq "every renewal's reason is a loss trigger" 3 \
	"$(pm_sql "$db" "SELECT count(*) FROM renewals WHERE reason IN ('consecutive-loss', 'window-loss')")"
pm_stop_server
pm_check_sanitizers
pass "3 renewals (cap) with gaps ${gaps[*]} ms through a 4 s blackout"
