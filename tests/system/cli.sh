#!/bin/bash
# The command line as ping, fping and irtt users expect it; nothing here
# needs a network beyond loopback.
#   --version       both programs print "NAME VERSION" on stdout and exit 0,
#                   whatever else is (or is not) on the command line
#   -4/-6, HOST:PORT  an IPv6 address without brackets where a port must
#                   follow, -4 with -6, and -4 with an IPv6 address (or -6
#                   with an IPv4 one) exit 2 saying what to write instead
#   -I, --source, --ttl  an unknown interface, a source that is not an
#                   address, two sources, a source of the other family than
#                   -4/-6 or the target, a TTL over 255: exit 2, saying which
#   one target      --icmp, --server or --stamp given twice, or two of them:
#                   exit 2, "one target per run"; also twice in one config
#                   file (naming the line); the command line still replaces
#                   the file's target
#   --icmp, no --db runs as ping does and leaves no file behind; --server
#                   and --stamp still need --db
#   mistakes        -i 0 "must be greater than 0"; an unknown long option
#                   names the nearest one (client and server)
#   --stamp-key-file  a malformed key is refused saying what is wrong
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

# 2. Address families, HOST:PORT, the source address and TTL.
certs=(--cert c --key k --ca a --db "$PM_TMP/none.db")
refused server-v6-bare "invalid --server '::1:4010': write IPv6 addresses as [ADDR]:PORT" \
	"$PM_CLIENT" "${certs[@]}" --server ::1:4010
refused server-no-port "invalid --server '[::1]': no port (want HOST:PORT)" \
	"$PM_CLIENT" "${certs[@]}" --server '[::1]'
refused server-bad-port "invalid --server 'h:0': the port must be a number from 1 to 65535" \
	"$PM_CLIENT" "${certs[@]}" --server h:0
refused stamp-bracket "invalid --stamp '[::1]x': write IPv6 addresses as [ADDR]:PORT" \
	"$PM_CLIENT" --db "$PM_TMP/none.db" --stamp '[::1]x'
refused four-six "-4 and -6 exclude each other" \
	"$PM_CLIENT" --icmp localhost -4 -6 --db "$PM_TMP/none.db"
refused four-v6 "-4: ::1 is an IPv6 address" \
	"$PM_CLIENT" --icmp ::1 -4 --db "$PM_TMP/none.db"
refused six-v4 "-6: 127.0.0.1 is an IPv4 address" \
	"$PM_CLIENT" "${certs[@]}" --server 127.0.0.1:4010 --ipv6
refused no-iface "-I pkmnosuch0: no such interface, nor an IP address" \
	"$PM_CLIENT" --icmp 127.0.0.1 -I pkmnosuch0 --db "$PM_TMP/none.db"
refused bad-source "--source 10.0.0.300: not an IP address" \
	"$PM_CLIENT" --icmp 127.0.0.1 --source 10.0.0.300 --db "$PM_TMP/none.db"
refused two-sources "-I 127.0.0.1 and --source 127.0.0.2: give one source address" \
	"$PM_CLIENT" --icmp 127.0.0.1 -I 127.0.0.1 --source 127.0.0.2 --db "$PM_TMP/none.db"
refused four-v6-source "-4: the source address ::1 is an IPv6 address" \
	"$PM_CLIENT" --icmp localhost -4 --source ::1 --db "$PM_TMP/none.db"
refused source-target "the source address 127.0.0.1 is an IPv4 address, the target ::1 an IPv6 one" \
	"$PM_CLIENT" --icmp ::1 --source 127.0.0.1 --db "$PM_TMP/none.db"
refused ttl-256 "invalid value '256' for" \
	"$PM_CLIENT" --icmp 127.0.0.1 --ttl 256 --db "$PM_TMP/none.db"

# 3. One target per run; --db optional with --icmp only.
refused icmp-twice "--icmp given twice: one target per run" \
	"$PM_CLIENT" --icmp 127.0.0.1 --icmp 127.0.0.2 --db "$PM_TMP/none.db"
refused server-twice "--server given twice: one target per run" \
	"$PM_CLIENT" "${certs[@]}" --server 127.0.0.1:1 --server 127.0.0.1:2
refused stamp-twice "--stamp given twice: one target per run" \
	"$PM_CLIENT" --stamp 127.0.0.1 --stamp 127.0.0.2 --db "$PM_TMP/none.db"
refused server-icmp "--server and --icmp: one target per run" \
	"$PM_CLIENT" "${certs[@]}" --server 127.0.0.1:1 --icmp 127.0.0.2
refused stamp-no-db "--db FILE is required with --stamp" \
	"$PM_CLIENT" --stamp 127.0.0.1
printf 'db = %s\nicmp = 127.0.0.1\nicmp = 127.0.0.2\n' "$PM_TMP/none.db" >"$PM_TMP/twice.conf"
refused file-twice "config file $PM_TMP/twice.conf line 3: icmp given twice: one target per run" \
	"$PM_CLIENT" --config "$PM_TMP/twice.conf"
[[ ! -e $PM_TMP/none.db ]] || fail "a refused command line created its history file"

# 4. Mistyped options and values.
refused interval-0 "invalid value '0' for -i: must be greater than 0 (10us to 1h)" \
	"$PM_CLIENT" --icmp 127.0.0.1 -i 0
refused interval-long-0 "invalid value '0' for --interval: must be greater than 0" \
	"$PM_CLIENT" --icmp 127.0.0.1 --interval 0
refused ttl-0 "invalid value '0' for --ttl: must be greater than 0 (1 to 255)" \
	"$PM_CLIENT" --icmp 127.0.0.1 --ttl 0
refused intervall "unknown option --intervall; did you mean --interval?" \
	"$PM_CLIENT" --icmp 127.0.0.1 --intervall 1
refused stamp-key-file "unknown option --stamp_key_file; did you mean --stamp-key-file?" \
	"$PM_CLIENT" --stamp 127.0.0.1 --stamp_key_file k
refused server-listn "unknown option --listn; did you mean --listen?" \
	"$PM_SERVER" --listn 127.0.0.1:4010
printf 'icmp = 127.0.0.1\nintervall = 1\n' >"$PM_TMP/typo.conf"
refused file-typo "line 2: unknown setting 'intervall'; did you mean interval?" \
	"$PM_CLIENT" --config "$PM_TMP/typo.conf"
printf '0x0a0b0\n' >"$PM_TMP/odd.key"
refused key-odd "--stamp-key-file: key file $PM_TMP/odd.key: an odd number of hex digits (5): each octet takes two" \
	"$PM_CLIENT" --stamp 127.0.0.1 --db "$PM_TMP/none.db" --stamp-key-file "$PM_TMP/odd.key"
printf '0a0b\n0g\n' >"$PM_TMP/g.key"
refused key-g "key file $PM_TMP/g.key: 'g' at position 7 is not a hex digit" \
	"$PM_CLIENT" --stamp 127.0.0.1 --db "$PM_TMP/none.db" --stamp-key-file "$PM_TMP/g.key"
: >"$PM_TMP/empty.key"
refused key-empty "key file $PM_TMP/empty.key: empty: no hex digits" \
	"$PM_CLIENT" --stamp 127.0.0.1 --db "$PM_TMP/none.db" --stamp-key-file "$PM_TMP/empty.key"
head -c 129 /dev/zero | od -v -An -tx1 | tr -d ' \n' >"$PM_TMP/long.key"
refused key-long "key file $PM_TMP/long.key: too long: 129 octets (at most 128)" \
	"$PM_CLIENT" --stamp 127.0.0.1 --db "$PM_TMP/none.db" --stamp-key-file "$PM_TMP/long.key"

icmp_ok=1
if [[ $(id -u) -ne 0 ]]; then
	read -r glo ghi </proc/sys/net/ipv4/ping_group_range
	(($(id -g) >= glo && $(id -g) <= ghi)) || icmp_ok=0
fi
if ((icmp_ok)); then
	mkdir "$PM_TMP/cwd"
	rc=0
	(cd "$PM_TMP/cwd" && timeout 20 "$PM_CLIENT" --icmp 127.0.0.1 -c 3 -i 20ms --json) \
		>"$PM_TMP/nodb.out" 2>"$PM_TMP/nodb.err" || rc=$?
	expect_eq "--icmp without --db: exit status" 0 "$rc"
	pm_json_load "$PM_TMP/nodb.out" C
	expect_eq "--icmp without --db: received" 3 "${C[received]-missing}"
	expect_eq "--icmp without --db: unstored rows" 0 "${C[unstored]-missing}"
	expect_eq "--icmp without --db: files left in the working directory" "" \
		"$(ls -A "$PM_TMP/cwd")"
	# The command line's target replaces the file's.
	printf 'db = %s\nicmp = 127.0.0.1\n' "$PM_TMP/over.db" >"$PM_TMP/over.conf"
	run over "$PM_CLIENT" --config "$PM_TMP/over.conf" --icmp 127.0.0.2 -c 2 -i 20ms
	expect_eq "--icmp over the file's icmp: exit status" 0 "$rc"
	expect_eq "--icmp over the file's icmp: target probed" 127.0.0.2 \
		"$(pm_sql "$PM_TMP/over.db" 'SELECT remote_addr FROM sessions')"
	nodb="; --icmp without --db 3/3, nothing written"
else
	nodb="; no ICMP socket for this user: --icmp without --db not run"
fi

pm_check_sanitizers
pass "--version: pktmon-client and pktmon-server $version; -4/-6, HOST:PORT, source and" \
	"target mistakes refused with what to write$nodb"
