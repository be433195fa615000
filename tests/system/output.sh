#!/bin/bash
# What a user sees (ICMP mode against a namespace's loopback, where
# nftables drops every other echo reply): the per-probe lines as
# documented ("seq=N rtt=X ms ttl=N", "seq=N lost"), -q printing only the
# summary in fping's xmt/rcv/%loss form, --status lines on stderr, and
# colour only on a terminal: the lost lines are red on a pty, plain on a
# pipe, and plain on a pty when NO_COLOR is set.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/netns.sh"
pm_init output 50
pm_need_binaries "$PM_CLIENT"
why=$(netns_usable) || skip "$why"

ns=pkmO$$
pm_register_cleanup "netns_destroy $ns"
ip netns add "$ns"
ip -n "$ns" link set lo up
nft_table "$ns" pmout
nft_rule "$ns" pmout in halfloss icmp type echo-reply numgen inc mod 2 == 1 counter drop

# run NAME [VAR=VALUE ...] -- client options: in the namespace, stdout on a pipe.
run() {
	local name=$1
	shift
	rc=0
	ip netns exec "$ns" timeout 30 env "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
}
client=("$PM_CLIENT" --icmp 127.0.0.1 -c 10 -i 0.05 -W 0.3)

# 1. Lines on a pipe: documented forms, no escape codes.
run lines TERM=xterm "${client[@]}" --db "$PM_TMP/a.db"
expect_eq "lines: exit status (loss seen)" 1 "$rc"
expect_eq "lines: 'seq=N rtt=X ms ttl=N' replies" 5 \
	"$(grep -cE '^seq=[0-9]+ rtt=[0-9]+\.[0-9]{3} ms ttl=64$' "$PM_TMP/lines.out")"
expect_eq "lines: 'seq=N lost' lines" 5 "$(grep -cE '^seq=[0-9]+ lost$' "$PM_TMP/lines.out")"
grep -q $'\033' "$PM_TMP/lines.out" && fail "escape codes on a pipe: $(grep -m1 $'\033' "$PM_TMP/lines.out" | od -c | head -2)"
grep -qE '^127\.0\.0\.1 : xmt/rcv/%loss = 10/5/50\.00%, min/avg/median/p99/max/mdev = ' "$PM_TMP/lines.out" ||
	fail "summary line not in fping's form: $(grep xmt "$PM_TMP/lines.out")"

# 2. -q: the summary alone.
run quiet "${client[@]}" --db "$PM_TMP/b.db" -q
grep -qE '^seq=' "$PM_TMP/quiet.out" && fail "-q printed per-probe lines"
grep -q 'xmt/rcv/%loss = 10/5/50.00%' "$PM_TMP/quiet.out" || fail "-q: no summary: $(head -c 300 "$PM_TMP/quiet.out")"

# 3. --status: one line per period on stderr, as documented.
run status "$PM_CLIENT" --icmp 127.0.0.1 -c 30 -i 0.05 -W 0.3 --db "$PM_TMP/c.db" -q --status 0.5s
n=$(grep -cE '^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z\] slots [0-9]+, lost [0-9]+ \([0-9.]+%\)' "$PM_TMP/status.err")
expect_ge "--status 0.5s lines over 1.5 s on stderr" 2 "$n"
grep -q '^\[' "$PM_TMP/status.out" && fail "--status wrote to stdout"

# 4. Colour on a terminal only.
pty() {
	ip netns exec "$ns" "$PM_PY" - "$@" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ, TERM="xterm")
    for kv in sys.argv[1:]:
        if kv == "--":
            break
        k, v = kv.split("=", 1)
        if v:
            env[k] = v
        else:
            env.pop(k, None)
    argv = sys.argv[sys.argv.index("--") + 1:]
    os.execve(argv[0], argv, env)
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)
PY
}
pty NO_COLOR= -- "${client[@]}" --db "$PM_TMP/d.db" >"$PM_TMP/tty.out"
expect_eq "terminal: red 'seq=N lost' lines" 5 \
	"$(grep -caE $'^\033\\[31mseq=[0-9]+ lost\033\\[0m' "$PM_TMP/tty.out")"
pty NO_COLOR=1 -- "${client[@]}" --db "$PM_TMP/e.db" >"$PM_TMP/nocolor.out"
grep -qa $'\033' "$PM_TMP/nocolor.out" && fail "NO_COLOR set, yet escape codes on the terminal"
expect_eq "terminal with NO_COLOR: plain lost lines" 5 \
	"$(tr -d '\r' <"$PM_TMP/nocolor.out" | grep -cE '^seq=[0-9]+ lost$')"

# 5. --json-lines: one object per slot as its fate settles (NDJSON), in slot
# order, then the totals; -D: every line starts with its time and target.
run jsonl "${client[@]}" --json-lines
expect_eq "--json-lines: exit status (loss seen)" 1 "$rc"
got=$("$PM_PY" - "$PM_TMP/jsonl.out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
slots, total = lines[:-1], lines[-1]
assert [o["slot"] for o in slots] == list(range(10)), [o["slot"] for o in slots]
lost = sum(o["lost"] for o in slots)
assert all(o["target"] == "127.0.0.1" for o in slots)
assert all((o["rtt_ns"] is None) == o["lost"] for o in slots)
assert total["slots"] == 10 and total["lost"] == lost and total["target"] == "127.0.0.1"
assert 0 < total["start_ns"] < total["end_ns"]
print(lost)
PY
) || fail "--json-lines: expected 10 slot objects in order and the totals, got: $(head -c 600 "$PM_TMP/jsonl.out")"
expect_eq "--json-lines: lost slots" 5 "$got"
run stamped "${client[@]}" -D
expect_eq "-D: lines with an ISO 8601 time and the target" 10 \
	"$(grep -cE '^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z\] 127\.0\.0\.1: seq=[0-9]+ (rtt|lost)' "$PM_TMP/stamped.out")"
pm_check_sanitizers
pass "lines, -q, --status ($n lines), terminal-only colour, --json-lines and -D as documented"
