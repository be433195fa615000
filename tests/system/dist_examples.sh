#!/bin/bash
# What dist/ ships works together, as the package installs it:
#   - the example server and client settings use one port, from 1024 up,
#     which pktmon-server.service (user pktmon, no capability) can bind;
#   - the example client settings name a loss hook that exists, is
#     executable and is shipped where they say;
#   - run as the unit runs it (uid 65534, empty bounding set,
#     no-new-privileges) in a namespace, the server from the example
#     settings serves a client from the example settings, and a 1 s UDP
#     blackout makes the client run the example hook: its log gets the
#     loss-start with mtr's report and the loss-end with the class;
#   - the hook alone: the host of HOST:PORT, [ADDR]:PORT and a bare name,
#     tracepath when mtr fails, a line when neither is installed, the log
#     beside the history or in $ON_LOSS_LOG;
#   - the documented unit drop-in for port 862 (root with only
#     CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SETGID): the server binds 862,
#     then holds no capability and runs as another user.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init dist-examples 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
dist=$PKTMON_SOURCE/dist
sconf=$dist/server.conf.example
cconf=$dist/client.conf.example
unit=$dist/pktmon-server.service.in
hook=$dist/on-loss-example

# --- the files themselves ---------------------------------------------------
sport=$(sed -n 's/^listen = .*:\([0-9][0-9]*\)$/\1/p' "$sconf")
cport=$(sed -n 's/^server = .*:\([0-9][0-9]*\)$/\1/p' "$cconf")
[[ -n $sport ]] || fail "server.conf.example: expected 'listen = ADDR:PORT', got: $(grep '^listen' "$sconf")"
expect_eq "client.conf.example's server port (= server.conf.example's listen port)" "$sport" "$cport"
((sport >= 1024)) || fail "server.conf.example: port $sport is below 1024, which the unit (no capabilities) cannot bind"
for line in User=pktmon AmbientCapabilities= CapabilityBoundingSet=; do
	grep -qx "$line" "$unit" || fail "pktmon-server.service.in: expected the line '$line' (no capability for port $sport)"
done
onloss=$(sed -n 's/^# *on-loss = //p' "$cconf")
expect_eq "client.conf.example's on-loss" /usr/share/doc/pktmon/examples/on-loss-example "$onloss"
[[ -x $hook ]] || fail "dist/on-loss-example: expected an executable file"
grep -qx 'dist/on-loss-example' "$PKTMON_SOURCE/debian/pktmon.examples" ||
	fail "debian/pktmon.examples: expected dist/on-loss-example (installed under /usr/share/doc/pktmon/examples)"
sh -n "$hook" || fail "dist/on-loss-example: not valid sh"

# --- the hook alone -----------------------------------------------------------
# A PATH with the tools the hook uses and stand-ins for mtr and tracepath.
bin=$PM_TMP/bin
mkdir -p "$bin"
for t in sh timeout date dirname tr cat; do
	ln -s "$(command -v "$t")" "$bin/$t"
done
stub() {	# stub NAME EXIT: prints its arguments, exits EXIT
	printf '#!/bin/sh\necho "%s $*"\nexit %s\n' "$1" "$2" >"$bin/$1"
	chmod 755 "$bin/$1"
}
# run_hook EVENT TARGET [VAR=VALUE...]: the hook with a client's variables.
run_hook() {
	local ev=$1 target=$2
	shift 2
	env -i PATH="$bin" PKTMON_EVENT="$ev" PKTMON_SERVER="$target" PKTMON_EPISODE=3 \
		PKTMON_SSID=4711 PKTMON_DB="$PM_TMP/h/history.db" "$@" "$hook" 2>"$PM_TMP/hook.err" ||
		fail "on-loss-example $ev $target: exit status $?: $(cat "$PM_TMP/hook.err")"
}
mkdir -p "$PM_TMP/h"
stub mtr 0
run_hook loss-start '[2001:db8::1]:4000'
log=$PM_TMP/h/on-loss-_2001_db8__1__4000.log
[[ -f $log ]] || fail "hook: expected its log beside the history as $(basename "$log"), got: $(ls "$PM_TMP/h")"
grep -qE '^[0-9T:-]+Z loss-start episode 3 toward \[2001:db8::1\]:4000 \(ssid 4711\)$' "$log" ||
	fail "hook: expected a loss-start line, got: $(cat "$log")"
grep -qx 'mtr --report --report-cycles 10 --no-dns 2001:db8::1' "$log" ||
	fail "hook: expected mtr toward 2001:db8::1, got: $(cat "$log")"
stub mtr 1	# as without raw sockets: it fails, tracepath follows
stub tracepath 0
run_hook loss-start 192.0.2.7:4000 ON_LOSS_LOG="$PM_TMP/chosen.log"
grep -qx 'tracepath -n -m 20 192.0.2.7' "$PM_TMP/chosen.log" ||
	fail "hook: expected tracepath toward 192.0.2.7 after mtr failed, in \$ON_LOSS_LOG, got: $(cat "$PM_TMP/chosen.log")"
rm "$bin/mtr" "$bin/tracepath"
run_hook loss-start monitor.example.net
grep -qx 'neither mtr nor tracepath is installed (packages mtr-tiny, iputils-tracepath)' \
	"$PM_TMP/h/on-loss-monitor.example.net.log" ||
	fail "hook without mtr and tracepath: got: $(cat "$PM_TMP/h/on-loss-monitor.example.net.log" 2>&1)"
run_hook loss-end monitor.example.net PKTMON_CLASS=flow-specific PKTMON_LOST=12 PKTMON_SLOTS=40 \
	PKTMON_LOSS_PCT=30.0 PKTMON_LOST_FORWARD=11 PKTMON_LOST_BACKWARD=0 PKTMON_LOST_UNKNOWN=1 \
	PKTMON_DURATION=3.9 PKTMON_RENEWALS=1
tail -n 1 "$PM_TMP/h/on-loss-monitor.example.net.log" | grep -qE '^[0-9T:-]+Z loss-end episode 3 toward monitor.example.net: flow-specific, 12 of 40 slots \(30.0 %\), forward 11, backward 0, unknown 1, 3.9 s, 1 renewal\(s\)$' ||
	fail "hook loss-end: got: $(tail -n 1 "$PM_TMP/h/on-loss-monitor.example.net.log")"

# --- the example settings, checked and run as the unit runs them -----------------
pki_make --server-name "$NS_ADDR_B"
sed -e "s|/etc/pktmon/|$PM_PKI/|" "$sconf" >"$PM_TMP/server.conf"
rc=0
"$PM_SERVER" --config "$PM_TMP/server.conf" -n >"$PM_TMP/check.out" 2>"$PM_TMP/check.err" || rc=$?
expect_eq "pktmon-server -n on the example settings: exit status" 0 "$rc"

why=$(netns_usable) || { pm_check_sanitizers; skip "the runs in namespaces: $why (the files and the hook passed)"; }
command -v setpriv >/dev/null || skip "setpriv not installed (the files and the hook passed)"
chmod 644 "$PM_PKI"/*.key	# readable by uid 65534, as the pktmon group reads them
netns_pair pkx
ip netns exec "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all --no-new-privs "$PM_SERVER" --config "$PM_TMP/server.conf" \
	>"$PM_TMP/server.out" 2>"$PM_TMP/server.log" &
PM_SERVER_PID=$!
pm_track "$PM_SERVER_PID"
pm_wait_for "$PM_TMP/server.log" 'listening on' 10 "$PM_SERVER_PID" ||
	fail "the server from the example settings, without capabilities, did not listen on port $sport"
nft_table "$NS_B" pmdist

stub mtr 0	# the client's hook finds it on its PATH
sed -e "s|/etc/pktmon/|$PM_PKI/|" -e "s|^server = .*|server = $NS_ADDR_B:$sport|" \
	-e "s|^db = .*|db = $PM_TMP/run/history.db|" -e "s|^# on-loss = .*|on-loss = $hook|" \
	-e 's|^interval = .*|interval = 20ms|' "$cconf" >"$PM_TMP/client.conf"
mkdir -p "$PM_TMP/run"
ip netns exec "$NS_A" env PATH="$bin:$PATH" timeout 30 "$PM_CLIENT" --config "$PM_TMP/client.conf" \
	-w 6 >"$PM_TMP/client.out" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"
sleep 1.5
nft_rule "$NS_B" pmdist in blackout udp dport "$sport" drop
sleep 1
ip netns exec "$NS_B" nft insert rule inet pmdist in udp dport "$sport" accept
rc=0
wait "$client" || rc=$?
expect_eq "client from the example settings, with a 1 s blackout: exit status (loss seen)" 1 "$rc"
sleep 0.3	# the loss-end hook may still be writing
runlog=$PM_TMP/run/on-loss-${NS_ADDR_B}_$sport.log
[[ -f $runlog ]] || fail "the client ran no example hook: no $(basename "$runlog"); $(tail -n 3 "$PM_TMP/client.err")"
grep -qE " loss-start episode 1 toward $NS_ADDR_B:$sport " "$runlog" || fail "hook log: no loss-start: $(cat "$runlog")"
grep -qx "mtr --report --report-cycles 10 --no-dns $NS_ADDR_B" "$runlog" || fail "hook log: no mtr report: $(cat "$runlog")"
grep -qE " loss-end episode 1 toward $NS_ADDR_B:$sport: [a-z-]+, [0-9]+ of [0-9]+ slots" "$runlog" ||
	fail "hook log: no loss-end: $(cat "$runlog")"
pm_stop_server

# --- the unit drop-in for port 862 ----------------------------------------------
ip netns exec "$NS_B" setpriv --inh-caps=-all --bounding-set=-all,+net_bind_service,+setuid,+setgid \
	--no-new-privs "$PM_SERVER" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key" \
	--ca "$PM_PKI/ca.crt" --listen "$NS_ADDR_B:862" --user nobody \
	>"$PM_TMP/s862.out" 2>"$PM_TMP/s862.log" &
PM_SERVER_PID=$!
pm_track "$PM_SERVER_PID"
pm_wait_for "$PM_TMP/s862.log" 'running as uid' 10 "$PM_SERVER_PID" ||
	fail "port 862 as root with CAP_NET_BIND_SERVICE, CAP_SETUID and CAP_SETGID only: $(tail -n 2 "$PM_TMP/s862.log")"
status=$(cat "/proc/$PM_SERVER_PID/status")
uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' <<<"$status")
[[ $uid != 0 ]] || fail "the server on port 862 still runs as root"
expect_eq "server on port 862: CapPrm" 0000000000000000 "$(sed -n 's/^CapPrm:[[:space:]]*//p' <<<"$status")"
expect_eq "server on port 862: CapEff" 0000000000000000 "$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$status")"
expect_eq "server on port 862: CapAmb" 0000000000000000 "$(sed -n 's/^CapAmb:[[:space:]]*//p' <<<"$status")"
mapfile -t certs < <(pm_client_args)
rc=0
ip netns exec "$NS_A" timeout 20 "$PM_CLIENT" "${certs[@]}" --server "$NS_ADDR_B:862" -c 3 -i 20ms \
	--db "$PM_TMP/862.db" >"$PM_TMP/862.out" 2>"$PM_TMP/862.err" || rc=$?
expect_eq "client against the server on port 862: exit status" 0 "$rc"
kill -TERM "$PM_SERVER_PID"

pm_check_sanitizers
pass "one port ($sport) the unit can bind; the hook shipped, run by the client on loss (mtr), tracepath and none handled; 862 via the drop-in holds no capability"
