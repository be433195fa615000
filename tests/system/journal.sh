#!/bin/bash
# Under systemd, stderr is the journal and $JOURNAL_STREAM names it
# (DEV:INODE): then every line carries its syslog priority ("<4>" warning,
# "<6>" info), which journald keeps as the entry's level. Anywhere else,
# even with the variable inherited but stderr redirected, lines are plain.
. "$(dirname "$0")/../lib/common.sh"
pm_init journal 30
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

# run_as_journal OUT PROG ARGS...: PROG's stderr on a socket announced as
# the journal stream; OUT gets what it wrote, then the same with stderr on
# a pipe (the variable still set).
run_as_journal() {
	local out=$1
	shift
	"$PM_PY" - "$@" >"$out" <<'PY'
import os, socket, subprocess, sys
a, b = socket.socketpair()
st = os.fstat(a.fileno())
env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
subprocess.run(sys.argv[1:], stderr=a.fileno(), stdout=subprocess.DEVNULL, env=env, timeout=20)
a.close()
journal = b"".join(iter(lambda: b.recv(65536), b""))
plain = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                       env=env, timeout=20).stderr
sys.stdout.write(journal.decode() + "--\n" + plain.decode())
PY
}

run_as_journal "$PM_TMP/client.out" "$PM_CLIENT" --cert "$PM_TMP/none.crt" --key x --ca y \
	--server 127.0.0.1:1 --db "$PM_TMP/h.db"
expect_eq "client error line on the journal" \
	"<4>pktmon-client: cannot read certificate file $PM_TMP/none.crt: No such file or directory" \
	"$(sed -n 1p "$PM_TMP/client.out")"
expect_eq "client error line on a pipe (JOURNAL_STREAM inherited)" \
	"pktmon-client: cannot read certificate file $PM_TMP/none.crt: No such file or directory" \
	"$(sed -n '/^--$/{n;p;q}' "$PM_TMP/client.out")"

# -n on a good-looking but missing configuration: an info or warning line
# from the server, with its priority.
printf 'listen = 127.0.0.1:%s\n' "$(pm_free_port 127.0.0.1)" >"$PM_TMP/server.conf"
run_as_journal "$PM_TMP/server.out" "$PM_SERVER" --config "$PM_TMP/server.conf" -n
line=$(sed -n 1p "$PM_TMP/server.out")
[[ $line =~ ^\<[3467]\>pktmon-server:\  ]] ||
	fail "server line on the journal: expected a <N>pktmon-server: prefix, got '$line'"
[[ $(sed -n '/^--$/{n;p;q}' "$PM_TMP/server.out") =~ ^pktmon-server:\  ]] ||
	fail "server line on a pipe: expected no priority prefix, got '$(sed -n '/^--$/{n;p;q}' "$PM_TMP/server.out")'"
pass "priorities on the journal stream only: '${line:0:40}...'"
