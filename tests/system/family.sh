#!/bin/bash
# -4 and -6 pick the address family a target name resolves to, as ping -4/-6.
# In a namespace whose /etc/hosts (ip netns exec mounts /etc/netns/NS/hosts)
# gives "localhost" both ::1 and 127.0.0.1, ::1 first:
#   --server localhost:PORT with a server on 127.0.0.1:PORT and another on
#   [::1]:PORT: -4 reaches the first, -6 the second (the sessions' addresses)
#   --icmp localhost: -4 probes 127.0.0.1, -6 ::1
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init family 50
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

NS=pkmF$$
pm_register_cleanup "ip netns del $NS; rm -rf /etc/netns/$NS"
ip netns add "$NS"
mkdir -p "/etc/netns/$NS"
printf '::1 localhost\n127.0.0.1 localhost\n' >"/etc/netns/$NS/hosts"
ip -n "$NS" link set lo up
first=$(ip netns exec "$NS" getent ahosts localhost | awk 'NR == 1 { print $1 }')
expect_eq "the namespace's first address for localhost (set-up)" ::1 "$first"

pki_make
port=4010
mapfile -t certs < <(pm_client_args)

# Two servers on one port, one per family (the IPv6 socket is v6-only).
pm_start_server "$NS" "127.0.0.1:$port"
v4_pid=$PM_SERVER_PID
ip netns exec "$NS" "$PM_SERVER" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key" \
	--ca "$PM_PKI/ca.crt" --listen "[::1]:$port" >>"$PM_TMP/server6.out" 2>>"$PM_TMP/server6.log" &
v6_pid=$!
pm_track "$v6_pid"
pm_wait_for "$PM_TMP/server6.log" 'listening on' 10 "$v6_pid" ||
	fail "the IPv6 server did not print 'listening on' within 10 s"

# client NAME ARGS...: a short run in the namespace; its session's addresses.
client() {
	local name=$1 rc=0
	shift
	ip netns exec "$NS" timeout 20 "$PM_CLIENT" "$@" -c 3 -i 50ms --json \
		--db "$PM_TMP/$name.db" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	expect_eq "$name: exit status" 0 "$rc"
	pm_sql "$PM_TMP/$name.db" "SELECT local_addr || ' ' || remote_addr FROM sessions"
}

expect_eq "--server localhost:$port -4: session addresses" "127.0.0.1 127.0.0.1" \
	"$(client server-4 "${certs[@]}" --server "localhost:$port" -4)"
expect_eq "--server localhost:$port -6: session addresses" "::1 ::1" \
	"$(client server-6 "${certs[@]}" --server "localhost:$port" -6)"
expect_eq "--icmp localhost -4: session addresses" "127.0.0.1 127.0.0.1" \
	"$(client icmp-4 --icmp localhost -4)"
expect_eq "--icmp localhost -6: session addresses" "::1 ::1" \
	"$(client icmp-6 --icmp localhost -6)"
# Each server saw one client.
grep -q 'pktmon-client' "$PM_TMP/server.log" || fail "the IPv4 server logged no client"
grep -q 'pktmon-client' "$PM_TMP/server6.log" || fail "the IPv6 server logged no client"

PM_SERVER_PID=$v6_pid pm_stop_server
PM_SERVER_PID=$v4_pid pm_stop_server
pm_check_sanitizers
pass "localhost resolves to ::1 first; -4 reached the IPv4 server and 127.0.0.1 by ICMP, -6 the IPv6 ones"
