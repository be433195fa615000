#!/bin/bash
# ICMP echo mode (--icmp HOST), no pktmon server: every echo answered over
# IPv4 and IPv6 loopback, sessions stored with mode 'icmp', and the output
# says the loss direction is not available. Across two namespaces with every
# 10th echo request dropped by nftables on the target, the loss equals the
# nft counter and all of it has direction unknown.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init icmp 55
pm_need_binaries "$PM_CLIENT"

if [[ $(id -u) -ne 0 ]]; then
	read -r glo ghi </proc/sys/net/ipv4/ping_group_range
	gid=$(id -g)
	((gid >= glo && gid <= ghi)) ||
		skip "not root and gid $gid is outside net.ipv4.ping_group_range ($glo $ghi): no ICMP socket"
fi

db=$PM_TMP/history.db

# icmp_run NAME HOST [client options]: sets rc.
icmp_run() {
	local name=$1 host=$2
	shift 2
	rc=0
	timeout 30 "$PM_CLIENT" --icmp "$host" --db "$db" "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
}

# 1. IPv4 loopback, JSON.
icmp_run v4 127.0.0.1 -c 5 -i 0.05 --json
expect_eq "--icmp 127.0.0.1: exit status" 0 "$rc"
pm_json_load "$PM_TMP/v4.out" C
expect_eq "--icmp 127.0.0.1: sent" 5 "${C[sent]-missing}"
expect_eq "--icmp 127.0.0.1: received" 5 "${C[received]-missing}"
expect_eq "--icmp 127.0.0.1: mode of its session" icmp \
	"$(pm_sql "$db" 'SELECT mode FROM sessions ORDER BY id DESC LIMIT 1')"
expect_eq "--icmp 127.0.0.1: ssid of its session" 0 \
	"$(pm_sql "$db" 'SELECT ssid FROM sessions ORDER BY id DESC LIMIT 1')"

# 2. The lines output says that the direction of a loss is not available.
icmp_run lines 127.0.0.1 -c 3 -i 0.05
expect_eq "--icmp 127.0.0.1 (lines): exit status" 0 "$rc"
grep -Eiq 'direction.*(not available|not observable)' "$PM_TMP/lines.out" ||
	fail "--icmp output: expected a line saying the loss direction is not available, got:" \
		"$(head -n 4 "$PM_TMP/lines.out" | tr '\n' '|')"

# 3. IPv6 loopback.
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	icmp_run v6 ::1 -c 5 -i 0.05 --json
	expect_eq "--icmp ::1: exit status" 0 "$rc"
	pm_json_load "$PM_TMP/v6.out" C
	expect_eq "--icmp ::1: received" 5 "${C[received]-missing}"
	expect_eq "--icmp ::1: mode of its session" icmp \
		"$(pm_sql "$db" 'SELECT mode FROM sessions ORDER BY id DESC LIMIT 1')"
	v6=", ::1 5/5"
else
	v6=", no IPv6 loopback"
fi

# 4. Loss across namespaces: exact, and all of it direction unknown.
why=$(netns_usable) || skip "loopback checks passed; netns part: $why"
netns_pair pki
nft_table "$NS_B" pmloss
nft_rule "$NS_B" pmloss in lossrule icmp type echo-request numgen inc mod 10 == 0 counter drop
count=100
rc=0
ip netns exec "$NS_A" timeout 30 "$PM_CLIENT" --icmp "$NS_ADDR_B" --db "$PM_TMP/netns.db" \
	-c "$count" -i 0.01 -W 1 --json >"$PM_TMP/netns.out" 2>"$PM_TMP/netns.err" || rc=$?
drops=$(nft_counter "$NS_B" pmloss in lossrule)
pm_json_load "$PM_TMP/netns.out" C
expect_eq "--icmp across namespaces: sent" "$count" "${C[sent]-missing}"
expect_eq "--icmp across namespaces: lost (= nft counter)" "$drops" "${C[lost]-missing}"
expect_eq "--icmp across namespaces: lost_unknown (= lost)" "$drops" "${C[lost_unknown]-missing}"
expect_eq "--icmp across namespaces: lost_forward" 0 "${C[lost_forward]-missing}"
expect_eq "--icmp across namespaces: lost_backward" 0 "${C[lost_backward]-missing}"
expect_eq "--icmp across namespaces: received" $((count - drops)) "${C[received]-missing}"
expect_eq "--icmp across namespaces: exit status (loss seen)" 1 "$rc"
expect_eq "--icmp across namespaces: rows with fate 5 (lost, direction unknown)" "$drops" \
	"$(pm_sql "$PM_TMP/netns.db" 'SELECT count(*) FROM probes WHERE fate = 5')"
expect_eq "--icmp across namespaces: rows with fate 3 or 4" 0 \
	"$(pm_sql "$PM_TMP/netns.db" 'SELECT count(*) FROM probes WHERE fate IN (3, 4)')"

pm_check_sanitizers
pass "127.0.0.1 5/5$v6, mode icmp; across namespaces lost $drops = nft counter, all direction unknown"
