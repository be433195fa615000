#!/bin/bash
# Scanner gate: sslscan --show-client-cas against the control port.
# Pass: only TLSv1.3 enabled; exactly the three TLS 1.3 suites; key-exchange
# groups within x25519, secp256r1 and secp384r1; no renegotiation; not
# vulnerable to heartbleed; the client CA list is exactly the pktmon CA's
# subject. sslscan cannot present a client certificate; it does not need one
# for any of these. Skips when sslscan is not installed (apt-get install
# sslscan). testssl.sh is not run here.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init tls-scan 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v sslscan >/dev/null || skip "sslscan not installed (apt-get install sslscan)"
command -v openssl >/dev/null || skip "openssl command not installed"

pki_make
HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT"
ca_subject=$(openssl x509 -in "$PM_PKI/ca.crt" -noout -subject -nameopt compat | sed 's/^subject=//')

xml=$PM_TMP/sslscan.xml
timeout 50 sslscan --no-colour --show-client-cas --xml="$xml" "127.0.0.1:$HX_PORT" \
	>"$PM_TMP/sslscan.out" 2>&1 || fail "sslscan failed: $(tail -n 3 "$PM_TMP/sslscan.out")"
[[ -s $xml ]] || fail "sslscan wrote no XML report"

verdict=$("$PM_PY" - "$xml" "$ca_subject" <<'PY'
import sys
import xml.etree.ElementTree as ET

doc = ET.parse(sys.argv[1]).getroot()
want_ca = sys.argv[2].strip()
t = doc.find("ssltest")
bad = []
if t is None:
    print("FAIL no <ssltest> in the report"); sys.exit(0)

enabled = sorted("%s%s" % (p.get("type"), p.get("version"))
                 for p in t.findall("protocol") if p.get("enabled") == "1")
if enabled != ["tls1.3"]:
    bad.append("protocols enabled: %s (want only tls1.3)" % enabled)

suites = sorted(c.get("cipher") for c in t.findall("cipher"))
versions = sorted({c.get("sslversion") for c in t.findall("cipher")})
want_suites = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
if suites != want_suites:
    bad.append("cipher suites: %s (want %s)" % (suites, want_suites))
if versions != ["TLSv1.3"]:
    bad.append("cipher suites offered under %s" % versions)

allowed = {"x25519", "secp256r1", "secp384r1"}
groups = sorted(g.get("name").split()[0] for g in t.findall("group"))
if not groups or not set(groups) <= allowed:
    bad.append("groups: %s (want a non-empty subset of %s)" % (groups, sorted(allowed)))

r = t.find("renegotiation")
if r is not None and r.get("supported") != "0":
    bad.append("renegotiation supported")
for h in t.findall("heartbleed"):
    if h.get("vulnerable") != "0":
        bad.append("heartbleed vulnerable under %s" % h.get("sslversion"))

cas = [(c.text or "").strip() for c in t.findall("ca")]
cas = [line.strip() for c in cas for line in c.splitlines() if line.strip()]
if cas != [want_ca]:
    bad.append("client CA list: %s (want exactly [%s])" % (cas, want_ca))

if bad:
    print("FAIL " + "; ".join(bad))
else:
    print("OK protocols=%s suites=%d groups=%s client_cas=%s"
          % (",".join(enabled), len(suites), ",".join(groups), "|".join(cas)))
PY
)
pm_log "sslscan: $verdict"
[[ $verdict == OK* ]] || fail "sslscan gate: ${verdict#FAIL }"

# The scan did not hurt: a good client is served.
mapfile -t certs < <(pm_client_args)
hx_run_client good --server "127.0.0.1:$HX_PORT" "${certs[@]}" -c 3 -i 0.05
expect_eq "good client after the scan: exit status" 0 "$rc"

pm_stop_server
pm_check_sanitizers
pass "${verdict#OK }"
