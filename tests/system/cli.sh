#!/bin/bash
# The command line as ping, fping and irtt users expect it; nothing here
# needs a network beyond loopback.
#   --version       both programs print "NAME VERSION" on stdout and exit 0,
#                   whatever else is (or is not) on the command line
. "$(dirname "$0")/../lib/common.sh"
pm_init cli 40
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

version=$(sed -n 's/^#define PKTMON_VERSION "\(.*\)"$/\1/p' "$PKTMON_BUILD/pktmon_config.h")
[[ -n $version ]] || fail "no PKTMON_VERSION in $PKTMON_BUILD/pktmon_config.h"

# run NAME CMD...: a command that must end by itself; sets rc, out and err.
run() {
	local name=$1
	shift
	rc=0
	timeout 20 "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	out=$(cat "$PM_TMP/$name.out")
	err=$(cat "$PM_TMP/$name.err")
}

# refused NAME TEXT CMD...: CMD must exit 2 with TEXT in its message.
refused() {
	local name=$1 text=$2
	shift 2
	run "$name" "$@"
	expect_eq "$name: exit status" 2 "$rc"
	grep -qF -- "$text" <<<"$err" ||
		fail "$name: expected the message to say '$text', got: ${err:-<nothing>}"
}

# 1. --version.
for prog in client server; do
	bin=$PM_CLIENT
	[[ $prog == server ]] && bin=$PM_SERVER
	run "version-$prog" "$bin" --version
	expect_eq "pktmon-$prog --version: exit status" 0 "$rc"
	expect_eq "pktmon-$prog --version: stdout" "pktmon-$prog $version" "$out"
	expect_eq "pktmon-$prog --version: stderr" "" "$err"
	# It wins over settings that are missing or would be refused.
	run "version-$prog-args" "$bin" -v --version --listen nowhere
	expect_eq "pktmon-$prog -v --version --listen nowhere: exit status" 0 "$rc"
	expect_eq "pktmon-$prog -v --version --listen nowhere: stdout" "pktmon-$prog $version" "$out"
done
run help-client "$PM_CLIENT" --help
grep -q -- '^  --version ' <<<"$out" || fail "pktmon-client --help: expected a --version line, got none"

pm_check_sanitizers
pass "--version: pktmon-client and pktmon-server $version"
