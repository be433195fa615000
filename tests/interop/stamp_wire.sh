#!/bin/bash
# The probe packets on the wire, read by decoders that are not pktmon's:
# scapy's STAMP layers and tshark's TWAMP-Test dissector for the plain
# (--stamp) 44-octet mode, and the offsets of RFC 8762 §4.2-4.3 plus an HMAC
# recomputed with the key from --keylog for pktmon's authenticated mode.
# Every field is compared with what pktmon meant to send (its history).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init stamp-wire 90
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
pm_need_root	# packet capture
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
command -v tshark >/dev/null || skip "tshark is not installed"
"$PM_PY" -c 'import scapy.contrib.stamp' 2>/dev/null || skip "python3-scapy is not installed"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port" --stamp-allow 127.0.0.0/8

# capture PCAP COUNT: tcpdump on lo for the reflector port, in the background.
capture() {
	timeout 30 tcpdump -i lo -n -U -c "$2" -w "$1" "udp port $port" \
		>"$PM_TMP/tcpdump.log" 2>&1 &
	CAP_PID=$!
	pm_track "$CAP_PID"
	pm_wait_for "$PM_TMP/tcpdump.log" 'listening on' 10 "$CAP_PID" ||
		fail "tcpdump did not start"
}

# 1. Plain unauthenticated STAMP: 5 probes and their 5 replies.
capture "$PM_TMP/plain.pcap" 10
"$PM_CLIENT" --stamp "127.0.0.1:$port" --db "$PM_TMP/plain.db" -c 5 -i 0.05 \
	--json >"$PM_TMP/plain.json" 2>"$PM_TMP/plain.err" || fail "plain client failed"
wait "$CAP_PID" || fail "tcpdump did not see 10 packets (see tcpdump.log)"
"$PM_PY" "$(dirname "$0")/stamp_wire.py" plain "$PM_TMP/plain.pcap" \
	"$PM_TMP/plain.db" "$port" || fail "plain STAMP packets (scapy) differ, see above"

# tshark's dissector: sequence numbers and the SSID (its mbz1 field).
ssid=$(pm_sql "$PM_TMP/plain.db" 'SELECT ssid FROM sessions')
fields=$(tshark -r "$PM_TMP/plain.pcap" -d "udp.port==$port,twamp.test" -T fields \
	-e udp.dstport -e twamp.test.seq_number -e twamp.test.mbz1 2>/dev/null |
	awk -v p="$port" '$1 == p { printf "%s/%s ", $2, $3 }')
want=""
for i in 0 1 2 3 4; do want+="$i/$ssid "; done
expect_eq "tshark: sender seq/SSID of the 5 probes" "$want" "$fields"

# 2. pktmon's authenticated mode: offsets and HMAC, both directions.
capture "$PM_TMP/auth.pcap" 10
mapfile -t certs < <(pm_client_args)
"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/auth.db" \
	-c 5 -i 0.05 --keylog "$PM_TMP/keys" --json >"$PM_TMP/auth.json" \
	2>"$PM_TMP/auth.err" || fail "authenticated client failed"
wait "$CAP_PID" || fail "tcpdump did not see 10 packets (see tcpdump.log)"
"$PM_PY" "$(dirname "$0")/stamp_wire.py" auth "$PM_TMP/auth.pcap" \
	"$PM_TMP/auth.db" "$port" "$PM_TMP/keys" || fail "authenticated packets differ, see above"
pm_stop_server
pass "plain STAMP decoded by scapy and tshark; authenticated offsets and HMAC match"
