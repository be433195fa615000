# Common helpers for pktmon's system tests (sourced, not run).
#
# A test calls pm_init NAME SECONDS first: it sets strict mode, finds the
# binaries, makes $PM_TMP, arms a watchdog and installs one cleanup trap that
# stops every process started through these helpers, runs the cleanup hooks
# others registered (namespaces, ...) and removes the temporary directory.
# Results follow the meson/automake convention: exit 0 pass, 1 fail, 77 skip.

# shellcheck disable=SC2034 # the variables set here are read by the tests
PM_PY=/usr/bin/python3		# Debian's python: has scapy; stdlib is enough here
PM_PIDS=()
PM_CLEANUPS=()
PM_NAME='test'
PM_TMP=
PM_WATCHDOG=

pm_log() {
	printf '%s: %s\n' "$PM_NAME" "$*" >&2
}

# Show the tail of every log the test wrote, to explain a failure.
pm_dump_logs() {
	local f
	[[ -n $PM_TMP && -d $PM_TMP ]] || return 0
	for f in "$PM_TMP"/*.log "$PM_TMP"/*.out "$PM_TMP"/*.err; do
		[[ -s $f ]] || continue
		echo "----- last lines of $(basename "$f") -----" >&2
		tail -n 25 "$f" >&2
	done
}

fail() {
	pm_log "FAIL: $*"
	pm_dump_logs
	exit 1
}

skip() {
	pm_log "SKIP: $*"
	exit 77
}

pass() {
	pm_log "PASS${1:+: $*}"
	exit 0
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[[ "$2" == "$3" ]] || fail "$1: expected $2, got ${3:-<nothing>}"
}

# expect_ge WHAT MINIMUM ACTUAL
expect_ge() {
	[[ "$3" =~ ^[0-9]+$ ]] || fail "$1: expected a number >= $2, got '${3}'"
	(($3 >= $2)) || fail "$1: expected at least $2, got $3"
}

pm_register_cleanup() {
	PM_CLEANUPS+=("$1")
}

# Remember a background process so the trap stops it.
pm_track() {
	PM_PIDS+=("$1")
}

pm_cleanup() {
	local rc=$? pid i
	trap - EXIT INT TERM ERR
	set +e
	[[ -n $PM_WATCHDOG ]] && kill "$PM_WATCHDOG" 2>/dev/null
	for pid in "${PM_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || continue
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	for ((i = ${#PM_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${PM_CLEANUPS[i]}" >/dev/null 2>&1 || true
	done
	if [[ -n $PM_TMP && -d $PM_TMP ]]; then
		if [[ ${PKTMON_KEEP_TMP:-0} == 1 ]]; then
			pm_log "kept $PM_TMP"
		else
			rm -rf -- "$PM_TMP"
		fi
	fi
	exit "$rc"
}

pm_on_err() {
	fail "unexpected failure (exit $1) at line $2: $3"
}

# pm_init NAME SECONDS: strict mode, paths, temp dir, trap and watchdog.
pm_init() {
	PM_NAME=$1
	set -Eeuo pipefail
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	: "${PKTMON_SOURCE:=$(cd "$here/../.." && pwd)}"
	: "${PKTMON_BUILD:=$PKTMON_SOURCE/build}"
	export PKTMON_SOURCE PKTMON_BUILD
	PM_SERVER=$PKTMON_BUILD/server/pktmon-server
	PM_CLIENT=$PKTMON_BUILD/client/pktmon-client
	PM_REPORT=$PKTMON_BUILD/reports/pktmon-report
	PM_CERTS=$PKTMON_SOURCE/scripts/pktmon-certs
	[[ -x $PM_PY ]] || PM_PY=$(command -v python3)

	PM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pktmon-$PM_NAME.XXXXXX")
	chmod 755 "$PM_TMP"	# a server that drops root must still reach its files
	trap pm_cleanup EXIT
	trap 'pm_log "interrupted"; exit 1' INT
	trap 'pm_log "FAIL: timed out or terminated"; pm_dump_logs; exit 1' TERM
	trap 'pm_on_err $? $LINENO "$BASH_COMMAND"' ERR
	local me=$$
	# The sleep holds no pipe of ours, so killing the subshell releases them.
	(sleep "$2" >/dev/null 2>&1
	 echo "$PM_NAME: watchdog: over $2 s, stopping" >&2
	 kill -TERM "$me") </dev/null >/dev/null &
	PM_WATCHDOG=$!
	disown "$PM_WATCHDOG" 2>/dev/null || true
}

pm_need_binaries() {
	local b
	for b in "$@"; do
		[[ -x $b ]] || fail "$b is not built (run meson compile -C $PKTMON_BUILD)"
	done
}

pm_need_root() {
	[[ $(id -u) -eq 0 ]] || skip "needs root for network namespaces and nftables (uid $(id -u))"
}

# pm_wait_for FILE REGEX SECONDS [PID]: wait until FILE has a line matching
# REGEX; fail early if PID dies first.
pm_wait_for() {
	local file=$1 re=$2 secs=$3 pid=${4:-} n
	n=$((secs * 20))
	while ((n-- > 0)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}

# pm_free_port [ADDR]: a port number free for both TCP and UDP on ADDR.
pm_free_port() {
	"$PM_PY" - "${1:-127.0.0.1}" <<'PY'
import socket, sys
addr = sys.argv[1]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
for _ in range(100):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.bind((addr, 0))
    port = t.getsockname()[1]
    u = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        u.bind((addr, port))
    except OSError:
        t.close(); u.close(); continue
    t.close(); u.close()
    print(port)
    sys.exit(0)
sys.exit("no free port found")
PY
}

# pm_start_server NETNS|- LISTEN [extra args]: start the server (in the
# namespace unless "-"), log to $PM_TMP/server.log, wait for "listening on".
# Sets PM_SERVER_PID. Uses $PM_PKI for certificates.
pm_start_server() {
	local ns=$1 listen=$2
	shift 2
	local cmd=("$PM_SERVER" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key"
		--ca "$PM_PKI/ca.crt" --listen "$listen" "$@")
	[[ $ns == - ]] || cmd=(ip netns exec "$ns" "${cmd[@]}")
	"${cmd[@]}" >>"$PM_TMP/server.out" 2>>"$PM_TMP/server.log" &
	PM_SERVER_PID=$!
	pm_track "$PM_SERVER_PID"
	pm_wait_for "$PM_TMP/server.log" 'listening on' 10 "$PM_SERVER_PID" ||
		fail "server did not print 'listening on' within 10 s (alive: $(pm_alive "$PM_SERVER_PID"))"
}

pm_alive() {
	if kill -0 "$1" 2>/dev/null; then echo yes; else echo no; fi
}

# pm_stop_server: SIGTERM must end the server with exit status 0.
pm_stop_server() {
	local rc=0 i
	kill -0 "$PM_SERVER_PID" 2>/dev/null || {
		wait "$PM_SERVER_PID" 2>/dev/null || rc=$?
		fail "server died before the end of the test (exit $rc)"
	}
	kill -TERM "$PM_SERVER_PID"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$PM_SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$PM_SERVER_PID" 2>/dev/null && fail "server still running 5 s after SIGTERM"
	wait "$PM_SERVER_PID" || rc=$?
	expect_eq "server exit status after SIGTERM" 0 "$rc"
}

# pm_server_stats: send SIGUSR1 and print the newest stats line.
pm_server_stats() {
	local before
	before=$(grep -c 'stats:' "$PM_TMP/server.log" || true)
	kill -USR1 "$PM_SERVER_PID"
	local n=100
	while ((n-- > 0)); do
		(($(grep -c 'stats:' "$PM_TMP/server.log" || true) > before)) && break
		sleep 0.05
	done
	grep 'stats:' "$PM_TMP/server.log" | tail -n 1
}

# pm_stat LINE NAME: the value of NAME=N in a stats line.
pm_stat() {
	sed -n "s/.*[ :]$2=\([0-9][0-9]*\).*/\1/p" <<<"$1"
}

# pm_client_args: the certificate options of a well-configured client.
pm_client_args() {
	printf '%s\n' --cert "$PM_PKI/client.crt" --key "$PM_PKI/client.key" --ca "$PM_PKI/ca.crt"
}

# pm_json_load FILE ARRAY: read the one JSON object in FILE into the global
# associative ARRAY; nested keys are joined with dots (rtt_ns.median). A key
# the program did not print reads as "${ARRAY[key]-missing}".
pm_json_load() {
	local out k v
	out=$("$PM_PY" - "$1" 2>/dev/null <<'PY'
import json, sys
def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(prefix + k + ".", x)
    else:
        if isinstance(v, bool):
            v = str(v).lower()
        print("%s\t%s" % (prefix[:-1], "null" if v is None else v))
obj = json.load(open(sys.argv[1]))
if not isinstance(obj, dict):
    sys.exit("not an object")
walk("", obj)
PY
	) || fail "expected one JSON object in $(basename "$1"), got: $(head -c 400 "$1")"
	declare -gA "$2=()"
	while IFS=$'\t' read -r k v; do
		[[ -n $k ]] && eval "$2[\$k]=\$v"
	done <<<"$out"
	return 0
}

# pm_sql DB SQL: one value from the history database (read-only).
pm_sql() {
	sqlite3 -batch -noheader "file:$1?mode=ro" "$2"
}

# pm_check_sanitizers: fail if a sanitizer reported anything in our logs.
pm_check_sanitizers() {
	local hits
	hits=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' \
		"$PM_TMP"/*.log "$PM_TMP"/*.err "$PM_TMP"/*.out 2>/dev/null || true)
	[[ -z $hits ]] || fail "sanitizer report in $(echo "$hits" | xargs -n1 basename | tr '\n' ' ')"
}

# pm_time_left BUDGET RESERVE: whole seconds left of BUDGET (the seconds the
# test gave pm_init) once RESERVE is kept back for what must still follow;
# at least 1. For giving a slow step all the time the test can spare rather
# than a fixed guess that a busy host overruns.
pm_time_left() {
	local left=$(($1 - SECONDS - $2))
	((left >= 1)) || left=1
	echo "$left"
}
