#!/bin/bash
# A server started as root gives its privileges up once its sockets are bound
# (T36): another uid and gid, no capabilities, no-new-privileges and a seccomp
# filter, as /proc/PID/status shows. It still serves a client afterwards and
# stops cleanly, so the filter allows what the loop needs; and a system call
# outside the allowlist kills it with SIGSYS.
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

# The filter is enforced, not only installed: a system call outside the
# allowlist kills the server with SIGSYS. A preload library makes the
# event loop's own thread call ptrace(2) once a trigger file exists.
sigsys=skipped
if [[ -z $seccomp_note ]] && command -v "${CC:-cc}" >/dev/null; then
	cat >"$PM_TMP/forbidden.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int
epoll_wait(int fd, struct epoll_event *ev, int n, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);
	const char *trigger = getenv("PKTMON_TEST_TRIGGER");

	if (trigger != NULL && access(trigger, F_OK) == 0)
		(void)syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
	if (real == NULL)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
	/* Wake at least every 100 ms so the trigger is seen soon. */
	return real(fd, ev, n, timeout < 0 || timeout > 100 ? 100 : timeout);
}
C
	"${CC:-cc}" -shared -fPIC -O2 -o "$PM_TMP/forbidden.so" "$PM_TMP/forbidden.c" -ldl ||
		fail "cannot build the forbidden-syscall preload library"
	: >"$PM_TMP/server.log"
	port=$(pm_free_port 127.0.0.1)
	PKTMON_TEST_TRIGGER=$PM_TMP/trigger LD_PRELOAD=$PM_TMP/forbidden.so \
		pm_start_server - "127.0.0.1:$port"
	pm_wait_for "$PM_TMP/server.log" 'running as uid' 10 "$PM_SERVER_PID" ||
		fail "preloaded server did not drop privileges"
	[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "preloaded server died before the trigger"
	touch "$PM_TMP/trigger"
	rc=0
	timeout 5 tail --pid="$PM_SERVER_PID" -f /dev/null || rc=$?
	((rc == 0)) || fail "server still running 5 s after calling ptrace(2) under seccomp"
	wait "$PM_SERVER_PID" && rc=0 || rc=$?
	expect_eq "server exit status after a forbidden system call (128 + SIGSYS)" \
		$((128 + $(kill -l SYS))) "$rc"
	sigsys="ptrace -> SIGSYS"
fi

pm_check_sanitizers
[[ -z $seccomp_note ]] ||
	skip "uid $euid, gid $egid, CapEff 0, NoNewPrivs 1 checked; the server has no seccomp in this build"
pass "uid $euid, gid $egid, CapEff 0, NoNewPrivs 1, Seccomp 2 ($sigsys); client 5/5 answered"
