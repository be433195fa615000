#!/bin/bash
# The reflector fixes a session's reply DSCP from the first probe it
# accepts and keeps it: a hop that remarks probes on the way in must show
# as a change, not be followed. The client sends 100 probes with --dscp 46
# (EF); an nftables rule in the server's namespace rewrites every probe
# after the first 10 to CS1 before the socket sees it. Every reply the
# client receives must still carry EF, none CS1, and the session must be
# stored with dscp 46 and kernel transmit and receive stamps.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init dscp 30
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

count=100 keep=10 port=4000
pki_make --server-name "$NS_ADDR_B" --server-name localhost
netns_pair pkd
pm_start_server "$NS_B" "$NS_ADDR_B:$port"

# Server side: remark in prerouting (mangle priority, before the input hook
# and the socket lookup), then count what the input hook, and so the
# reflector's IP_RECVTOS, sees. numgen counts only the probes that reach it
# (udp dport matched first): values 0..keep-1 are the first probes.
ip netns exec "$NS_B" nft -f - <<NFT
table inet pmdscp {
	chain pre { type filter hook prerouting priority -150; policy accept; }
	chain in { type filter hook input priority 0; policy accept; }
}
NFT
nft_rule "$NS_B" pmdscp pre probes udp dport "$port" counter
nft_rule "$NS_B" pmdscp pre remark udp dport "$port" numgen inc mod 100000 '>=' "$keep" \
	ip dscp set cs1 counter
nft_rule "$NS_B" pmdscp in in_ef udp dport "$port" ip dscp ef counter
nft_rule "$NS_B" pmdscp in in_cs1 udp dport "$port" ip dscp cs1 counter

# Client side: the DSCP the probes leave with, and that of the replies.
nft_table "$NS_A" pmdscp
nft_rule "$NS_A" pmdscp out out_ef ip daddr "$NS_ADDR_B" udp dport "$port" ip dscp ef counter
nft_rule "$NS_A" pmdscp in rep_all ip saddr "$NS_ADDR_B" udp sport "$port" counter
nft_rule "$NS_A" pmdscp in rep_ef ip saddr "$NS_ADDR_B" udp sport "$port" ip dscp ef counter
nft_rule "$NS_A" pmdscp in rep_cs1 ip saddr "$NS_ADDR_B" udp sport "$port" ip dscp cs1 counter
nft_rule "$NS_A" pmdscp in rep_not_ef ip saddr "$NS_ADDR_B" udp sport "$port" ip dscp != ef counter

db=$PM_TMP/history.db
mapfile -t certs < <(pm_client_args)
rc=0
ip netns exec "$NS_A" timeout 12 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:$port" \
	--db "$db" -c "$count" -i 20ms --dscp 46 --renew=no --json \
	>"$PM_TMP/client.json" 2>"$PM_TMP/client.err" || rc=$?

probes=$(nft_counter "$NS_B" pmdscp pre probes)
remarked=$(nft_counter "$NS_B" pmdscp pre remark)
in_ef=$(nft_counter "$NS_B" pmdscp in in_ef)
in_cs1=$(nft_counter "$NS_B" pmdscp in in_cs1)
out_ef=$(nft_counter "$NS_A" pmdscp out out_ef)
rep_all=$(nft_counter "$NS_A" pmdscp in rep_all)
rep_ef=$(nft_counter "$NS_A" pmdscp in rep_ef)
rep_cs1=$(nft_counter "$NS_A" pmdscp in rep_cs1)
rep_not_ef=$(nft_counter "$NS_A" pmdscp in rep_not_ef)
pm_log "probes out EF $out_ef; at the server $probes, remarked $remarked (input: EF $in_ef, CS1 $in_cs1);" \
	"replies $rep_all (EF $rep_ef, CS1 $rep_cs1, not EF $rep_not_ef); client exit status $rc"

# The fault was really injected, so the reply check below could fail.
expect_eq "probes that left the client with DSCP EF" "$count" "$out_ef"
expect_eq "probes that reached the server's prerouting" "$count" "$probes"
expect_eq "probes remarked to CS1 (all after the first $keep)" $((count - keep)) "$remarked"
expect_eq "probes the server's input saw as EF (the first $keep)" "$keep" "$in_ef"
expect_eq "probes the server's input saw as CS1" $((count - keep)) "$in_cs1"

# The replies kept the first probe's DSCP.
expect_eq "replies that reached the client" "$count" "$rep_all"
expect_eq "replies with DSCP EF" "$count" "$rep_ef"
expect_eq "replies with DSCP CS1 (following the remark)" 0 "$rep_cs1"
expect_eq "replies with any DSCP but EF" 0 "$rep_not_ef"

expect_eq "client exit status (every probe answered)" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
expect_eq "client JSON sent" "$count" "${C[sent]-missing}"
expect_eq "client JSON received" "$count" "${C[received]-missing}"
expect_eq "client JSON lost" 0 "${C[lost]-missing}"

expect_eq "sessions stored" 1 "$(pm_sql "$db" 'SELECT count(*) FROM sessions')"
expect_eq "session DSCP" 46 "$(pm_sql "$db" 'SELECT dscp FROM sessions')"
expect_eq "session timestamping" kernel-tx+rx "$(pm_sql "$db" 'SELECT timestamping FROM sessions')"
expect_eq "probes answered in the history" "$count" \
	"$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate = 0')"

pm_stop_server
pm_check_sanitizers
pass "$count/$count answered; $remarked of $probes probes remarked EF->CS1 on the way in," \
	"replies EF $rep_ef, CS1 $rep_cs1, other 0; session dscp 46, kernel-tx+rx"
