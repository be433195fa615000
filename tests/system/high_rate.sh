#!/bin/bash
# T23: a high legitimate probe rate on veth (10,000 then 50,000 probes/s).
# Two namespaces, an nftables rule on the server's input drops every 50th
# probe (numgen inc mod 50 == 0, counted). At these rates the hosts may drop
# datagrams themselves (full socket buffers); those must be reported apart
# from network loss, so every lost probe is accounted for exactly:
#
#   lost - nft drops - host drops (client SO_RXQ_OVFL + server socket)
#        - server rate-limited = 0
#   lost_forward = nft drops + server socket drops + server rate-limited
#
# A third run stops the server for 1 s (SIGSTOP) at 50,000 probes/s, more
# than its 16 MiB socket buffer holds, so host drops really happen (checked)
# and the identity is checked with that term non-zero. Server-side drops and the rate limiter are
# read from the server's namespace (/proc/net/snmp RcvbufErrors) and its
# SIGUSR1 stats line; the client's JSON has only its own host_drops.
#
# The rate reached is printed, not asserted: under the sanitizer build on a
# small host the client skips the slots it cannot keep (fewer probes sent),
# and the reconciliation must hold all the same. Every probe sent must also
# be a row in the history.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init high-rate 110
pm_need_root
why=$(netns_usable) || skip "$why"
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make --server-name "$NS_ADDR_B"
netns_pair pkh
port=4000
# The default fastest interval granted is 1 ms: allow the 20 us asked for.
pm_start_server "$NS_B" "$NS_ADDR_B:$port" --min-interval 10us
nft_table "$NS_B" pmloss
nft_rule "$NS_B" pmloss in lossrule udp dport "$port" numgen inc mod 50 == 0 counter drop
mapfile -t certs < <(pm_client_args)

# udp_stat NS FIELD: a Udp counter of /proc/net/snmp as seen in NS (per netns).
udp_stat() {
	ip netns exec "$1" cat /proc/net/snmp | awk -v f="$2" '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Udp:" && h { print $col[f]; exit }'
}

# phase NAME INTERVAL SECONDS RATE [STALL]: one client run, reconciled on
# its own. STALL: stop the server (SIGSTOP) for that long, 0.3 s in, so its
# socket buffer overflows: host drops on the server's side, which the client
# sees as forward loss.
phase() {
	local name=$1 interval=$2 secs=$3 rate=$4 stall=${5:-}
	local db=$PM_TMP/$name.db out=$PM_TMP/$name.json err=$PM_TMP/$name.err rc=0
	local nft0 nft1 arcv0 arcv1 brcv0 brcv1 brl0 brl1 bsnd0 bsnd1 stats t_stop=0 t_cont=0
	nft0=$(nft_counter "$NS_B" pmloss in lossrule)
	arcv0=$(udp_stat "$NS_A" RcvbufErrors)
	brcv0=$(udp_stat "$NS_B" RcvbufErrors)
	bsnd0=$(udp_stat "$NS_B" SndbufErrors)
	stats=$(pm_server_stats)
	brl0=$(pm_stat "$stats" rate_limited)
	local bhd0 bhd1
	bhd0=$(pm_stat "$stats" host_drops)

	ip netns exec "$NS_A" timeout $((secs + 40)) "$PM_CLIENT" "${certs[@]}" \
		--server "$NS_ADDR_B:$port" --db "$db" -i "$interval" -w "${secs}s" \
		--json >"$out" 2>"$err" &
	local cpid=$!
	pm_track "$cpid"
	if [[ -n $stall ]]; then
		sleep 0.3
		kill -STOP "$PM_SERVER_PID"
		t_stop=$(date +%s%N)
		sleep "$stall"
		kill -CONT "$PM_SERVER_PID"
		t_cont=$(date +%s%N)
	fi
	wait "$cpid" || rc=$?
	((rc == 0 || rc == 1)) || fail "$name: client exit status $rc"

	nft1=$(nft_counter "$NS_B" pmloss in lossrule)
	arcv1=$(udp_stat "$NS_A" RcvbufErrors)
	brcv1=$(udp_stat "$NS_B" RcvbufErrors)
	bsnd1=$(udp_stat "$NS_B" SndbufErrors)
	stats=$(pm_server_stats)
	brl1=$(pm_stat "$stats" rate_limited)
	bhd1=$(pm_stat "$stats" host_drops)

	pm_json_load "$out" C
	local sent=${C[sent]-missing} lost=${C[lost]-missing}
	local fwd=${C[lost_forward]-missing} bwd=${C[lost_backward]-missing}
	local unk=${C[lost_unknown]-missing} hd=${C[host_drops]-missing}
	expect_ge "$name: client JSON sent" 1 "$sent"
	local v
	for v in "$lost" "$fwd" "$bwd" "$unk" "$hd"; do
		[[ $v =~ ^[0-9]+$ ]] || fail "$name: client JSON lacks a loss or host_drops figure: $(head -c 400 "$out")"
	done
	local nft=$((nft1 - nft0)) srv_drops=$((brcv1 - brcv0)) rl=$((brl1 - brl0))
	local cli_kernel=$((arcv1 - arcv0)) srv_snd=$((bsnd1 - bsnd0))
	local host=$((hd + srv_drops))
	local span rows
	rows=$(pm_sql "$db" 'SELECT count(*) FROM probes')
	span=$(pm_sql "$db" 'SELECT (max(sent_ns) - min(sent_ns)) / 1e9 FROM probes')
	local reached
	reached=$(awk -v n="$sent" -v s="${span:-0}" 'BEGIN { printf "%.0f", (s > 0) ? (n - 1) / s : 0 }')
	pm_log "$name: asked $rate probes/s for $secs s, reached $reached probes/s; sent $sent," \
		"lost $lost (forward $fwd, backward $bwd, unknown $unk), renewals ${C[renewals]-?}"
	pm_log "$name: nft drops $nft; host drops $host (client SO_RXQ_OVFL $hd [kernel" \
		"RcvbufErrors in the client netns $cli_kernel], server socket $srv_drops);" \
		"server rate-limited $rl, server SndbufErrors $srv_snd; rows $rows"
	expect_eq "$name: lost - nft drops - host drops - rate-limited" 0 \
		$((lost - nft - host - rl))
	expect_eq "$name: lost = forward + backward + unknown" "$lost" $((fwd + bwd + unk))
	expect_eq "$name: lost_forward = nft drops + server socket drops + rate-limited" \
		$((nft + srv_drops + rl)) "$fwd"
	expect_eq "$name: rows in probes = sent" "$sent" "$rows"
	# The server reports its own socket's drops (SO_RXQ_OVFL) as the
	# kernel counts them.
	expect_eq "$name: server host_drops = the kernel's RcvbufErrors in its namespace" \
		"$srv_drops" $((bhd1 - bhd0))
	((nft > 0)) || fail "$name: the nft rule dropped nothing (sent $sent)"
	# The overflow needs more probes in the stall than the buffer holds
	# (about 44,000, see below; checked from 60,000); a host too busy to send that many is
	# said, not failed.
	if [[ -n $stall ]]; then
		local in_stall
		in_stall=$(pm_sql "$db" "SELECT count(*) FROM probes WHERE sent_ns BETWEEN $t_stop AND $t_cont")
		if ((in_stall > 60000)); then
			((srv_drops > 0)) ||
				fail "$name: the server's socket dropped nothing in a ${stall} s stall with $in_stall probes sent in it"
		else
			pm_log "$name: only $in_stall probes sent in the ${stall} s stall (host busy): overflow not reached, not checked"
		fi
	fi
	# One probe in 50 dropped never puts 2 losses in the policy's window
	# of 20 nor 3 in a row: the policy must see outcomes in probe order,
	# not in the order they are learnt (replies at once, losses only at
	# the timeout, many at a time at these rates).
	if [[ -z $stall ]] && ((host == 0 && rl == 0)); then
		expect_eq "$name: renewals with 1 probe in 50 dropped" 0 "${C[renewals]-missing}"
	fi
	SUMMARY+=("$name: ${reached}/s, loss $lost = nft $nft + host $host + rate-limited $rl")
}

SUMMARY=()
phase 10k 0.0001 3 10000
phase 50k 0.00002 2 50000
phase 50k-stall 0.00002 3 50000 1.0
pm_stop_server
pm_check_sanitizers
pass "${SUMMARY[*]}"
