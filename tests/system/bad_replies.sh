#!/bin/bash
# Forged replies to the client (root: a raw socket spoofs the server's UDP
# address and port, which the client's connected probe socket accepts):
# datagrams of the right size with a wrong HMAC, of a wrong size, and a
# valid-looking reply for another SSID. None counts as a reply or changes
# loss; each is counted in --json "bad_replies".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init bad-replies 40
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
pm_need_root "raw sockets spoof the server's address"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)
keylog=$PM_TMP/keys
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/h.db" \
	-i 0.05 -w 4 --keylog "$keylog" --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"
pm_wait_for "$keylog" PKTMON_STAMP_KEY 10 "$client" || fail "no session key logged within 10 s"
read -r _ ssid cport _ <"$keylog"

"$PM_PY" - "$port" "$cport" "$ssid" <<'PY' || fail "cannot send the forged replies"
import os, socket, struct, sys
sport, dport, ssid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def send(payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload  # checksum 0: none
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    s.sendto(ip + udp, ("127.0.0.1", 0))
for i in range(4):                        # right size, right SSID, wrong HMAC
    body = bytearray(os.urandom(112)); struct.pack_into(">H", body, 26, ssid)
    struct.pack_into(">H", body, 24, 1); send(bytes(body))
for n in (0, 44, 111, 113):               # wrong sizes
    send(os.urandom(n))
for i in range(2):                        # another SSID
    body = bytearray(112); struct.pack_into(">H", body, 26, (ssid + 1) & 0xffff)
    struct.pack_into(">H", body, 24, 1); send(bytes(body))
PY

rc=0
wait "$client" || rc=$?
expect_eq "client exit status (forged replies are not loss)" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
expect_eq "client JSON bad_replies" 10 "${C[bad_replies]-missing}"
expect_eq "client JSON lost" 0 "${C[lost]-missing}"
expect_eq "client JSON duplicates" 0 "${C[duplicates]-missing}"
expect_eq "client JSON received = sent" "${C[sent]-missing}" "${C[received]-missing}"
pm_stop_server
pm_check_sanitizers
pass "10 forged replies counted apart; ${C[received]}/${C[sent]} answered, 0 lost"
