#!/bin/bash
# A server started as root gives its privileges up once its sockets are bound
# (T36): another uid and gid, no capabilities, no-new-privileges and a seccomp
# filter, as /proc/PID/status shows. It still serves a client afterwards and
# stops cleanly, so the filter allows what the loop needs.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init privileges 50
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
[[ $(id -u) -eq 0 ]] || skip "the server drops privileges only when started as root (uid $(id -u))"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
pm_wait_for "$PM_TMP/server.log" 'running as uid' 10 "$PM_SERVER_PID" ||
	fail "expected a 'running as uid' line once the server dropped root, got:" \
		"$(tail -n 3 "$PM_TMP/server.log" | tr '\n' ' ')"

status=$PM_TMP/proc-status.out
cp "/proc/$PM_SERVER_PID/status" "$status" ||
	fail "cannot read /proc/$PM_SERVER_PID/status (server alive: $(pm_alive "$PM_SERVER_PID"))"
# field NAME: the value of "NAME:" in the saved status.
field() {
	sed -n "s/^$1:[[:space:]]*//p" "$status"
}

read -r ruid euid suid fsuid <<<"$(field Uid)"
for v in "real:$ruid" "effective:$euid" "saved:$suid" "filesystem:$fsuid"; do
	[[ ${v#*:} =~ ^[0-9]+$ && ${v#*:} != 0 ]] ||
		fail "server ${v%%:*} uid: expected a non-zero uid, got '${v#*:}' (Uid: $(field Uid))"
done
read -r rgid egid sgid fsgid <<<"$(field Gid)"
for v in "real:$rgid" "effective:$egid" "saved:$sgid" "filesystem:$fsgid"; do
	[[ ${v#*:} =~ ^[0-9]+$ && ${v#*:} != 0 ]] ||
		fail "server ${v%%:*} gid: expected a non-zero gid, got '${v#*:}' (Gid: $(field Gid))"
done
for g in $(field Groups); do
	[[ $g != 0 ]] || fail "server supplementary groups: expected no group 0, got '$(field Groups)'"
done
expect_eq "server CapEff (effective capabilities)" 0000000000000000 "$(field CapEff)"
expect_eq "server CapPrm (permitted capabilities)" 0000000000000000 "$(field CapPrm)"
expect_eq "server NoNewPrivs" 1 "$(field NoNewPrivs)"

seccomp_note=
if grep -q 'no seccomp in this build' "$PM_TMP/server.log"; then
	seccomp_note=skipped
else
	expect_eq "server Seccomp mode (2 = filter)" 2 "$(field Seccomp)"
fi

# The sandboxed server still serves a client.
mapfile -t certs < <(pm_client_args)
rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/history.db" \
	-c 5 -i 0.05 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" || rc=$?
expect_eq "client exit status against the sandboxed server" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
expect_eq "client JSON received" 5 "${C[received]-missing}"
[[ $(pm_alive "$PM_SERVER_PID") == yes ]] ||
	fail "server died while serving a client (seccomp kill?): $(tail -n 3 "$PM_TMP/server.log" | tr '\n' ' ')"

pm_stop_server
pm_check_sanitizers
[[ -z $seccomp_note ]] ||
	skip "uid $euid, gid $egid, CapEff 0, NoNewPrivs 1 checked; the server has no seccomp in this build"
pass "uid $euid, gid $egid, CapEff 0, NoNewPrivs 1, Seccomp 2; client 5/5 answered"
