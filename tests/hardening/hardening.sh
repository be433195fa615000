# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the tests
# Helpers for the hardening tests (sourced after ../lib/common.sh and
# ../lib/pki.sh). They add what the shared helpers do not have: leaf
# certificates with chosen dates, extensions and revocation through a small
# `openssl ca` set-up around the test's own CA, raw TLS attempts with
# `openssl s_client`, and a few /proc readings of the server.

HX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HX_PEER=$HX_DIR/ctlpeer.py
HX_PROBES=$HX_DIR/probes.py
rc=0	# exit status of the last hx_run_client

# hx_ca_init: an `openssl ca` database around $PM_PKI's CA, in $PM_TMP/ca.
# Sets HX_CA_CONF. Must follow pki_make.
hx_ca_init() {
	local d=$PM_TMP/ca
	mkdir -p "$d/new"
	: >"$d/index.txt"
	openssl rand -hex 16 >"$d/serial"
	echo 1000 >"$d/crlnumber"
	HX_CA_CONF=$d/openssl.cnf
	cat >"$HX_CA_CONF" <<CONF
[ca]
default_ca = hx
[hx]
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
crlnumber = $d/crlnumber
certificate = $PM_PKI/ca.crt
private_key = $PM_PKI/ca.key
default_md = sha256
default_days = 30
default_crl_days = 7
policy = hx_policy
unique_subject = no
copy_extensions = none
email_in_dn = no
[hx_policy]
commonName = supplied
[req]
distinguished_name = hx_dn
prompt = no
[hx_dn]
CN = unused
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:\${ENV::HX_CN}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server2_ext]
# A second server leaf the pktmon client accepts on loopback.
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[serverauth_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:\${ENV::HX_CN}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CONF
}

# hx_lo_netns NAME: a network namespace with only "lo", up; removed at exit.
hx_lo_netns() {
	pm_register_cleanup "netns_destroy $1"
	ip netns add "$1"
	ip -n "$1" link set lo up
}

# hx_date OFFSET: an ASN.1 GeneralizedTime for now + OFFSET (date -d syntax).
hx_date() {
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

# hx_issue NAME EXTENSIONS [START END]: a leaf for CN NAME from the test CA,
# written to $PM_TMP/ca/NAME.crt and NAME.key (START/END default now/+30 d).
hx_issue() {
	local name=$1 ext=$2 start=${3:-} end=${4:-} d=$PM_TMP/ca
	local dates=() HX_CN=$name
	export HX_CN	# read by the extension sections of the configuration
	[[ -n $start ]] && dates+=(-startdate "$start")
	[[ -n $end ]] && dates+=(-enddate "$end")
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$name.key" 2>>"$PM_TMP/ca.err" ||
		fail "openssl genpkey for $name failed: $(tail -n 2 "$PM_TMP/ca.err")"
	openssl req -new -config "$HX_CA_CONF" -key "$d/$name.key" -subj "/CN=$name" \
		-out "$d/$name.csr" 2>>"$PM_TMP/ca.err" ||
		fail "openssl req for $name failed: $(tail -n 2 "$PM_TMP/ca.err")"
	openssl ca -batch -notext -config "$HX_CA_CONF" -extensions "$ext" \
		"${dates[@]}" -in "$d/$name.csr" -out "$d/$name.crt" >>"$PM_TMP/ca.err" 2>&1 ||
		fail "openssl ca for $name failed: $(tail -n 3 "$PM_TMP/ca.err")"
	chmod 644 "$d/$name.key"	# a throwaway key the test reads as any user
}

# hx_revoke NAME: revoke NAME's certificate and write $PM_TMP/ca/crl.pem.
hx_revoke() {
	local d=$PM_TMP/ca HX_CN=x
	export HX_CN
	openssl ca -batch -config "$HX_CA_CONF" -revoke "$d/$1.crt" \
		-crl_reason keyCompromise >>"$PM_TMP/ca.err" 2>&1 ||
		fail "openssl ca -revoke $1 failed: $(tail -n 3 "$PM_TMP/ca.err")"
	hx_gencrl
}

hx_gencrl() {
	local d=$PM_TMP/ca HX_CN=x
	export HX_CN
	openssl ca -batch -config "$HX_CA_CONF" -gencrl -out "$d/crl.pem" \
		>>"$PM_TMP/ca.err" 2>&1 ||
		fail "openssl ca -gencrl failed: $(tail -n 3 "$PM_TMP/ca.err")"
	chmod 644 "$d/crl.pem"
}

# hx_s_client OUT PORT [s_client options]: one raw TLS 1.3 attempt. Stdin
# stays open for 2 s so s_client waits for what the server sends after the
# handshake (in TLS 1.3 a refused client certificate is answered by an alert
# after the client already thinks the handshake is done); an alert ends it at
# once (the process substitution is not waited for, unlike a pipe).
hx_s_client() {
	local out=$1 port=$2
	shift 2
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$PM_PKI/ca.crt" -tls1_3 "$@" < <(sleep 2) >"$out" 2>&1 || true
}

# hx_alert FILE: the TLS alert number s_client reported, or "none".
hx_alert() {
	local n
	n=$(sed -n 's/.*SSL alert number \([0-9]*\).*/\1/p' "$1" | head -n 1)
	echo "${n:-none}"
}

# hx_s_client_summary FILE: a one-line excerpt of s_client output for messages.
hx_s_client_summary() {
	grep -Ei 'alert|error|New,|Reused|Verif' "$1" | head -n 4 | tr '\n' ' '
}

# hx_run_client NAME CLIENT-OPTIONS...: one short pktmon-client run against
# 127.0.0.1:$HX_PORT; sets rc.
hx_run_client() {
	local name=$1
	shift
	rc=0
	timeout 30 "$PM_CLIENT" --db "$PM_TMP/$name.db" "$@" \
		>"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
}

# hx_keyed_client NS SERVER INTERVAL SECONDS: a pktmon-client in namespace
# NS probing SERVER (--renew=no, JSON to client.json) with its session key
# in a keylog; waits for the key and sets client (pid), ssid, cport, key.
hx_keyed_client() {
	local ns=$1 server=$2 interval=$3 secs=$4 keylog=$PM_TMP/keylog
	ip netns exec "$ns" "$PM_CLIENT" "${certs[@]}" --server "$server" --db "$PM_TMP/history.db" \
		-i "$interval" -w "$secs" --renew=no --keylog "$keylog" --json \
		>"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
	client=$!
	pm_track "$client"
	pm_wait_for "$keylog" '^PKTMON_STAMP_KEY [0-9]+ [0-9]+ [0-9a-fA-F]{64}$' 10 "$client" ||
		fail "expected a PKTMON_STAMP_KEY line in the keylog within 10 s, got: $(head -c 200 "$keylog" 2>/dev/null)"
	read -r _ ssid cport key < <(grep '^PKTMON_STAMP_KEY' "$keylog" | tail -n 1)
}

# hx_peer MODE [args]: run ctlpeer.py against the server at $HX_PORT with the
# good client's certificate; prints its key=value line(s).
hx_peer() {
	local mode=$1
	shift
	"$PM_PY" "$HX_PEER" "$mode" "$@" --port "$HX_PORT" --pki "$PM_PKI" 2>>"$PM_TMP/peer.err" ||
		fail "ctlpeer.py $mode failed: $(tail -n 3 "$PM_TMP/peer.err")"
}

# hx_kv LINE KEY: the value of KEY=VALUE in a ctlpeer/probes output line.
hx_kv() {
	sed -n "s/^\(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" <<<"$1" | head -n 1
}

# hx_rss_kib PID / hx_fds PID: resident set and open descriptors of PID.
hx_rss_kib() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

hx_fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# hx_asan: is the server built with AddressSanitizer? Its quarantine keeps
# freed memory resident, so resident-set budgets only hold without it.
hx_asan() {
	grep -qa '__asan_init' "$PM_SERVER"
}

# hx_between WHAT LOW HIGH VALUE: LOW <= VALUE <= HIGH (decimals allowed).
hx_between() {
	"$PM_PY" -c 'import sys; lo, hi, v = map(float, sys.argv[1:4]); sys.exit(0 if lo <= v <= hi else 1)' \
		"$2" "$3" "$4" 2>/dev/null ||
		fail "$1: expected between $2 and $3, got ${4:-<nothing>}"
}

# hx_below WHAT LIMIT VALUE: VALUE < LIMIT (decimals allowed).
hx_below() {
	"$PM_PY" -c 'import sys; lim, v = map(float, sys.argv[1:3]); sys.exit(0 if v < lim else 1)' \
		"$2" "$3" 2>/dev/null ||
		fail "$1: expected below $2, got ${3:-<nothing>}"
}
