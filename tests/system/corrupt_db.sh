#!/bin/bash
# A damaged history (T33): its pages overwritten, its header fields after the
# "SQLite format 3" magic overwritten, or the file truncated. The client's
# check at start finds it, warns, moves it aside to FILE.corrupt-<unix time>
# byte for byte as it was, and runs on a fresh history. A file that is not
# SQLite at all is someone else's: exit 4 and the file left as it was.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init corrupt-db 55
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v sqlite3 >/dev/null || skip "sqlite3 command not installed"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)

# run_client NAME DB: 5 probes into DB; sets rc.
run_client() {
	rc=0
	timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$2" \
		-c 5 -i 0.02 --json >"$PM_TMP/$1.out" 2>"$PM_TMP/$1.err" || rc=$?
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# A good history of 20 probes, closed cleanly, to damage.
good=$PM_TMP/good.db
rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$good" \
	-c 20 -i 0.01 --json >"$PM_TMP/good.out" 2>"$PM_TMP/good.err" || rc=$?
expect_eq "client writing the good history: exit status" 0 "$rc"
expect_eq "rows in the good history" 20 "$(pm_sql "$good" 'SELECT count(*) FROM probes')"
[[ ! -e $good-wal || ! -s $good-wal ]] || fail "expected the good history checkpointed at exit, got a non-empty $good-wal"
pagesize=$(pm_sql "$good" 'PRAGMA page_size')
pages=$(pm_sql "$good" 'PRAGMA page_count')
((pages >= 4)) || fail "expected the good history to have >= 4 pages, got $pages"

# damage CASE FILE: one kind of damage.
damage() {
	case $1 in
	pages) dd if=/dev/urandom of="$2" bs="$pagesize" seek=1 count=3 conv=notrunc status=none ;;
	header) dd if=/dev/urandom of="$2" bs=1 seek=16 count=84 conv=notrunc status=none ;;
	truncated) truncate -s $((2 * pagesize)) "$2" ;;
	esac
}

for kind in pages header truncated; do
	db=$PM_TMP/$kind.db
	cp "$good" "$db"
	damage "$kind" "$db"
	# The damage must be one SQLite itself sees, or this case proves nothing.
	if [[ $(sqlite3 "file:$db?mode=ro" 'PRAGMA quick_check' 2>&1) == ok ]]; then
		fail "$kind: the damaged copy still passes quick_check; the test's damage is too mild"
	fi
	before=$(sha "$db")
	run_client "$kind" "$db"
	expect_eq "$kind: client exit status on a damaged history" 0 "$rc"
	pm_json_load "$PM_TMP/$kind.out" C
	expect_eq "$kind: client received" 5 "${C[received]-missing}"

	moved=("$db".corrupt-*)
	[[ -e ${moved[0]} ]] || fail "$kind: expected the damaged history moved to $(basename "$db").corrupt-<time>," \
		"got: $(cd "$PM_TMP" && echo "$kind".db*)"
	aside=
	for f in "${moved[@]}"; do
		[[ $f =~ \.corrupt-[0-9]+$ ]] && aside=$f
	done
	[[ -n $aside ]] || fail "$kind: expected a file named $(basename "$db").corrupt-<unix time>, got: ${moved[*]##*/}"
	expect_eq "$kind: SHA-256 of $(basename "$aside") (the damaged file, untouched)" "$before" "$(sha "$aside")"
	grep -qF "$aside" "$PM_TMP/$kind.err" || grep -qF "$(basename "$aside")" "$PM_TMP/$kind.err" ||
		fail "$kind: expected a warning naming $(basename "$aside"), got: $(head -n 3 "$PM_TMP/$kind.err")"

	expect_eq "$kind: integrity_check of the fresh history" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
	expect_eq "$kind: rows in the fresh history" 5 "$(pm_sql "$db" 'SELECT count(*) FROM probes')"
	expect_eq "$kind: sessions in the fresh history" 1 "$(pm_sql "$db" 'SELECT count(*) FROM sessions')"
done

# Not SQLite at all: refused, exit 4, the file as it was, nothing beside it.
text=$PM_TMP/notes.txt
printf 'these are my notes, not a pktmon history\n%.0s' 1 2 3 >"$text"
before=$(sha "$text")
run_client text "$text"
expect_eq "client with a text file as --db: exit status" 4 "$rc"
expect_eq "SHA-256 of the text file after the client refused it" "$before" "$(sha "$text")"
grep -qF "$text" "$PM_TMP/text.err" ||
	fail "client with a text file as --db: expected the message to name $text, got: $(head -n 3 "$PM_TMP/text.err")"
for f in "$text".corrupt-* "$text-wal" "$text-shm" "$text-journal"; do
	[[ ! -e $f ]] || fail "client with a text file as --db: expected nothing written beside it, got $(basename "$f")"
done

pm_stop_server
pm_check_sanitizers
pass "damaged pages, header and truncation moved aside intact, fresh history used; text file refused (exit 4)"
