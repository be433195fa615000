#!/bin/bash
# T41: idle connections do not lock /metrics out. For the server's --metrics
# and then the client's, 16 and then 64 TCP connections are opened that never
# send a byte and are held for up to 25 s. Right after they are open a scrape
# must answer within 2 s (the connection limit is well above 64), and then,
# with nothing else touching the endpoint, the server side must close every
# one of them at its idle timeout (each sees EOF, none before 1 s, which would
# mean refused rather than timed out). Nothing but those connections happens
# meanwhile, so it is the endpoint's own timer, not a later request, that
# closes them; a scrape afterwards answers too.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init metrics-idle 115
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v curl >/dev/null || skip "curl not installed"

hold=25	# seconds the idle connections are held at most
pki_make
port=$(pm_free_port 127.0.0.1)
smport=$(pm_free_port 127.0.0.1)
cmport=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port" --metrics "127.0.0.1:$smport"
mapfile -t certs < <(pm_client_args)
"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$PM_TMP/history.db" \
	--metrics "127.0.0.1:$cmport" -i 0.2 -w 300 --renew=no -q \
	>"$PM_TMP/client.out" 2>"$PM_TMP/client.log" &
client=$!
pm_track "$client"

# scrape WHO PORT: one GET /metrics that must answer whole within 2 s; sets
# scrape_ms to its time.
scrape() {
	local t crc=0
	t=$(curl -sf --max-time 2 -o "$PM_TMP/scrape" -w '%{time_total}' \
		-H 'Accept: application/openmetrics-text' "http://127.0.0.1:$2/metrics") || crc=$?
	((crc == 0)) || fail "$1 /metrics: no answer within 2 s (curl exit $crc)"
	[[ $(tail -n 1 "$PM_TMP/scrape") == '# EOF' ]] ||
		fail "$1 /metrics: expected an exposition ending in '# EOF', got: $(tail -c 200 "$PM_TMP/scrape")"
	scrape_ms=$(awk -v t="$t" 'BEGIN { printf "%.0f\n", t * 1000 }')
}

# The client's endpoint is up once it answers.
for ((i = 0; i < 100; i++)); do
	curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$cmport/metrics" && break
	kill -0 "$client" 2>/dev/null || fail "client exited early: $(tail -n 3 "$PM_TMP/client.log")"
	sleep 0.1
done

# idle WHO PORT N: the check above with N idle connections; adds a summary to
# results.
results=()
idle() {
	local who=$1 mport=$2 n=$3 out=$PM_TMP/idle-$1-$3 holder ms1 res
	"$PM_PY" - 127.0.0.1 "$mport" "$n" "$hold" "$out.open" >"$out.res" 2>"$out.err" <<'PY' &
import select, socket, sys, time

host, port, n, hold, flag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
socks = {}
for _ in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    socks[s.fileno()] = s
t0 = time.monotonic()
open(flag, "w").write("open %d\n" % n)
closed, spoke = [], 0
while socks and time.monotonic() - t0 < hold:
    ready, _, _ = select.select(list(socks), [], [], max(0.0, hold - (time.monotonic() - t0)))
    for fd in ready:
        try:
            data = socks[fd].recv(4096)
        except ConnectionResetError:
            data = b""
        if data:
            spoke += 1	# an answer before the close is allowed, not expected
            continue
        closed.append(time.monotonic() - t0)
        socks.pop(fd).close()
print("closed=%d open=%d spoke=%d first=%.1f last=%.1f"
      % (len(closed), len(socks), spoke, min(closed, default=-1), max(closed, default=-1)))
PY
	holder=$!
	pm_track "$holder"
	pm_wait_for "$out.open" '^open' 20 "$holder" ||
		fail "$who: could not open $n connections to 127.0.0.1:$mport: $(tail -n 1 "$out.err")"
	scrape "$who (with $n idle connections just opened)" "$mport"
	ms1=$scrape_ms
	wait "$holder" || fail "$who: the idle-connection holder failed: $(tail -n 2 "$out.err")"
	res=$(cat "$out.res")
	[[ $res =~ ^closed=([0-9]+)\ open=([0-9]+)\ spoke=([0-9]+)\ first=([-0-9.]+)\ last=([-0-9.]+)$ ]] ||
		fail "$who: unexpected holder output: $res"
	expect_eq "$who: idle connections closed by the endpoint within $hold s (of $n; $res)" \
		"$n" "${BASH_REMATCH[1]}"
	awk -v f="${BASH_REMATCH[4]}" 'BEGIN { exit !(f >= 1) }' ||
		fail "$who: an idle connection was closed ${BASH_REMATCH[4]} s after opening:" \
			"refused, not timed out ($res)"
	results+=("$who $n idle: scrape ${ms1} ms, closed at ${BASH_REMATCH[4]}..${BASH_REMATCH[5]} s")
	scrape "$who (after the idle connections were closed)" "$mport"
	results[-1]+=", then scrape $scrape_ms ms"
	pm_log "${results[-1]}"
}

for n in 16 64; do
	idle server "$smport" "$n"
done
for n in 16 64; do
	kill -0 "$client" 2>/dev/null || fail "client exited early: $(tail -n 3 "$PM_TMP/client.log")"
	idle client "$cmport" "$n"
done

kill -TERM "$client"
wait "$client" || true
pm_stop_server
pm_check_sanitizers
summary=$(printf '%s; ' "${results[@]}")
pass "${summary%; }"
