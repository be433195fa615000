#!/bin/bash
# Loss on one direction of a two-namespace path, injected with an nftables
# rule on the receiver's input, must be reported exactly, in that direction.
#   netns_loss.sh forward   every 10th UDP packet into the server's namespace
#   netns_loss.sh backward  ~10 % of UDP from the server into the client's
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
dir=${1:-}
[[ $dir == forward || $dir == backward ]] || { echo "usage: $0 forward|backward" >&2; exit 2; }
pm_init "netns-$dir-loss" 100
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B" --server-name localhost
netns_pair pkl
port=4000
pm_start_server "$NS_B" "$NS_ADDR_B:$port"

if [[ $dir == forward ]]; then
	# Deterministic: exactly every 10th probe on its way to the reflector.
	loss_ns=$NS_B
	nft_table "$loss_ns" pmloss
	nft_rule "$loss_ns" pmloss in lossrule meta l4proto udp numgen inc mod 10 == 0 counter drop
	same=lost_forward other=lost_backward same_fate=3
else
	loss_ns=$NS_A
	nft_table "$loss_ns" pmloss
	nft_rule "$loss_ns" pmloss in lossrule ip saddr "$NS_ADDR_B" meta l4proto udp \
		numgen random mod 100 '<' 10 counter drop
	same=lost_backward other=lost_forward same_fate=4
fi

db=$PM_TMP/history.db
mapfile -t certs < <(pm_client_args)
rc=0
ip netns exec "$NS_A" timeout 60 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$db" -c 200 -i 0.01 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" || rc=$?
drops=$(nft_counter "$loss_ns" pmloss in lossrule)
pm_log "nft dropped $drops of 200 probes ($dir); client exit status $rc"

pm_json_load "$PM_TMP/client.json" C
expect_eq "client JSON sent" 200 "${C[sent]-missing}"
expect_eq "client JSON $same (= the nft counter)" "$drops" "${C[$same]-missing}"
expect_eq "client JSON $other" 0 "${C[$other]-missing}"
expect_eq "client JSON lost (= the nft counter)" "$drops" "${C[lost]-missing}"
expect_eq "client JSON received (= sent - dropped)" $((200 - drops)) "${C[received]-missing}"
if ((drops > 0)); then
	expect_eq "client exit status (loss seen)" 1 "$rc"
else
	expect_eq "client exit status (no probe dropped)" 0 "$rc"
fi

expect_eq "rows in probes" 200 "$(pm_sql "$db" 'SELECT count(*) FROM probes')"
expect_eq "rows in probes with fate $same" "$drops" \
	"$(pm_sql "$db" "SELECT count(*) FROM probes WHERE fate = $same_fate")"
if [[ $dir == forward ]]; then
	expect_ge "rows in renewals (a renewal after the losses)" 1 \
		"$(pm_sql "$db" 'SELECT count(*) FROM renewals')"
fi

pm_stop_server
pm_check_sanitizers
pass "$same ${C[$same]} = nft counter $drops ($((drops * 100 / 200)) % of 200), $other 0," \
	"renewals ${C[renewals]-?}"
