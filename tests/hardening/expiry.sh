#!/bin/bash
# Certificate expiry warnings (issue 3: "a warning is logged when a
# certificate expires within 14 days"). server/main.c warn_expiry and
# client/client.c client_setup log, for their own certificate,
#   "certificate FILE expires in N days"   (N = whole days left, rounded down)
#   "certificate FILE has EXPIRED"
# when fewer than 14 days are left.
#   - server started with a 5-day certificate: the warning at start names the
#     file and N = whole days to its notAfter; it still serves;
#   - pktmon-client with a 5-day certificate: the same warning on its stderr;
#   - 90-day certificates: no expiry warning from either;
#   - a server on a host up for 2 days (a time namespace moves
#     CLOCK_MONOTONIC; the daily repeat in on_tick counts from it) logs the
#     warning once at start, not again at its first tick;
#   - the 14-day line, by -n (the check loads the certificates the same way):
#     13 days warns, 15 days does not; an expired server certificate says
#     "has EXPIRED".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init expiry 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v openssl >/dev/null || skip "openssl command not installed"

# make_pki NAME DAYS: a PKI whose server and client certificates last DAYS.
make_pki() {
	"$PM_CERTS" "$PM_TMP/$1" --days "$2" 2>"$PM_TMP/$1.pki.err" ||
		fail "pktmon-certs --days $2 failed: $(tail -n 1 "$PM_TMP/$1.pki.err")"
	chmod 755 "$PM_TMP/$1"
}
# days_left CERT: whole days from now to the certificate's notAfter.
days_left() {
	local end
	end=$(date -d "$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')" +%s)
	echo $(((end - $(date +%s)) / 86400))
}
# expect_warning WHAT FILE PROG CERT HI: FILE has exactly one expiry warning,
# "PROG: certificate CERT expires in N days", with N between the whole days
# left now and HI (the days left before PROG started: a second may pass).
expect_warning() {
	local what=$1 file=$2 prog=$3 cert=$4 hi=$5 line n lo
	lo=$(days_left "$cert")
	line=$(expiry_lines "$file")
	n=$(sed -n "s|^$prog: certificate $cert expires in \([0-9]*\) days\$|\1|p" <<<"$line")
	[[ -n $n && $(wc -l <<<"$line") -eq 1 ]] ||
		fail "$what: expected one line '$prog: certificate $cert expires in N days', got: '${line:-<none>}'"
	hx_between "$what: N days in the warning" "$lo" "$hi" "$n"
	warned=${line#"$prog: "}
}
# expiry_lines FILE: the expiry warnings in FILE.
expiry_lines() {
	grep -E 'certificate .* (expires in [0-9]+ days|has EXPIRED)' "$1" || true
}

make_pki p5 5
make_pki p90 90
port=$(pm_free_port 127.0.0.1)

# --- 5 days: the server warns at start, the client too -------------------------
PM_PKI=$PM_TMP/p5
hi=$(days_left "$PM_PKI/server.crt")
hx_between "test set-up: whole days left on the 5-day certificate" 4 5 "$hi"
pm_start_server - "127.0.0.1:$port"
expect_warning "server start with a 5-day certificate" "$PM_TMP/server.log" pktmon-server \
	"$PM_PKI/server.crt" "$hi"
server5=$warned
mapfile -t certs < <(pm_client_args)
hi=$(days_left "$PM_PKI/client.crt")
hx_run_client c5 --server "127.0.0.1:$port" "${certs[@]}" -c 3 -i 0.05
expect_eq "client with a 5-day certificate: exit status (a warning, not a refusal)" 0 "$rc"
expect_warning "client with a 5-day certificate" "$PM_TMP/c5.err" pktmon-client \
	"$PM_PKI/client.crt" "$hi"
client5=$warned
pm_stop_server
mv "$PM_TMP/server.log" "$PM_TMP/server-p5.log"

# --- 90 days: no warning ----------------------------------------------------------
PM_PKI=$PM_TMP/p90
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)
hx_run_client c90 --server "127.0.0.1:$port" "${certs[@]}" -c 3 -i 0.05
expect_eq "client with a 90-day certificate: exit status" 0 "$rc"
pm_stop_server
expect_eq "server with a 90-day certificate: expiry warnings" "" "$(expiry_lines "$PM_TMP/server.log")"
expect_eq "client with a 90-day certificate: expiry warnings" "" "$(expiry_lines "$PM_TMP/c90.err")"
mv "$PM_TMP/server.log" "$PM_TMP/server-p90.log"

# --- the 14-day line and an expired certificate, by -n ----------------------------
pki_make
hx_ca_init
hx_issue d13 server2_ext "$(hx_date now)" "$(hx_date '13 days')"
hx_issue d15 server2_ext "$(hx_date now)" "$(hx_date '15 days')"
hx_issue gone server2_ext "$(hx_date '-10 days')" "$(hx_date '-1 day')"
# check NAME: pktmon-server -n with NAME.crt/.key from $PM_TMP/ca; sets rc.
check() {
	rc=0
	timeout 10 "$PM_SERVER" --cert "$PM_TMP/ca/$1.crt" --key "$PM_TMP/ca/$1.key" \
		--ca "$PM_PKI/ca.crt" --listen "127.0.0.1:$port" -n \
		>"$PM_TMP/check-$1.out" 2>"$PM_TMP/check-$1.err" || rc=$?
}
hi=$(days_left "$PM_TMP/ca/d13.crt")
check d13
expect_warning "server -n, 13-day certificate" "$PM_TMP/check-d13.err" pktmon-server \
	"$PM_TMP/ca/d13.crt" "$hi"
check d15
expect_eq "server -n, 15-day certificate: exit status" 0 "$rc"
expect_eq "server -n, 15-day certificate: expiry warnings" "" "$(expiry_lines "$PM_TMP/check-d15.err")"
check gone
expect_eq "server -n, certificate expired yesterday: warning" \
	"pktmon-server: certificate $PM_TMP/ca/gone.crt has EXPIRED" "$(expiry_lines "$PM_TMP/check-gone.err")"
gone_rc=$rc

# --- on a host up for more than a day: one warning at start, not two ------------
# The server repeats the warning daily (on_tick, by CLOCK_MONOTONIC). A time
# namespace sets the monotonic clock 2 days ahead, as on a host booted 2 days
# ago; within the first second (4 ticks) the start warning must be the only one.
uptime_note="not run (no time namespaces)"
if unshare --time --monotonic 172800 true 2>/dev/null; then
	# unshare execs the server in the new time namespace: $! is the server.
	p5=$PM_TMP/p5
	unshare --time --monotonic 172800 "$PM_SERVER" --cert "$p5/server.crt" \
		--key "$p5/server.key" --ca "$p5/ca.crt" --listen "127.0.0.1:$port" \
		>/dev/null 2>"$PM_TMP/server-up2d.log" &
	up2d=$!
	pm_track "$up2d"
	pm_wait_for "$PM_TMP/server-up2d.log" 'listening on' 10 "$up2d" ||
		fail "server in a time namespace (monotonic +2 days) did not start"
	sleep 1
	n=$(expiry_lines "$PM_TMP/server-up2d.log" | wc -l)
	kill -TERM "$up2d"
	wait "$up2d" 2>/dev/null || true
	((n == 1)) || fail "expiry warnings in the first second of a server whose CLOCK_MONOTONIC reads" \
		"2 days: expected 1 (at start), got $n: $(expiry_lines "$PM_TMP/server-up2d.log" | tr '\n' '|')" \
		"(the daily repeat in on_tick counts from expiry_checked = 0, i.e. from boot, not from the start)"
	uptime_note="1 warning in the first second with the monotonic clock at 2 days"
fi

pm_check_sanitizers
pass "server: '$server5'; client: '$client5'; 90 and 15 days: no warning;" \
	"13 days warns; expired: 'has EXPIRED' (-n exit $gone_rc); $uptime_note"
