# PKI helpers for pktmon's system tests (sourced after common.sh).
# Everything is made with scripts/pktmon-certs in the test's temp dir.

# pki_make [pktmon-certs options]: the test's own CA, server and client in
# $PM_TMP/pki; sets PM_PKI.
pki_make() {
	PM_PKI=$PM_TMP/pki
	"$PM_CERTS" "$PM_PKI" "$@" 2>"$PM_TMP/pki.err" ||
		fail "scripts/pktmon-certs failed: $(tail -n 1 "$PM_TMP/pki.err")"
	chmod 755 "$PM_PKI"
}

# pki_make_foreign: a second, unrelated CA with its own server and client in
# $PM_TMP/foreign; sets PM_FOREIGN. Nothing from it chains to $PM_PKI.
pki_make_foreign() {
	PM_FOREIGN=$PM_TMP/foreign
	"$PM_CERTS" "$PM_FOREIGN" "$@" 2>"$PM_TMP/foreign.err" ||
		fail "scripts/pktmon-certs (foreign CA) failed: $(tail -n 1 "$PM_TMP/foreign.err")"
	chmod 755 "$PM_FOREIGN"
}
