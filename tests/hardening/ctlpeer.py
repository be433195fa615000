"""A hostile (or merely careful) peer for pktmon-server's control port.

usage: ctlpeer.py MODE --port N [options]

Modes, each printing "key=value" lines on stdout for the calling script:
  good       TLS 1.3 handshake with a client certificate, HELLO, wait for
             WELCOME; prints handshake_ms (connect to WELCOME).
  send HEX   TLS handshake (and HELLO first with --hello), send the octets,
             read what comes back until the server closes (or --wait
             seconds); prints error_code, msgs, closed, close_ms (from the
             send to the end of the stream). --repeat N: N connections,
             the worst close_ms, median_ms, p95_ms, and every error code
             and ending seen.
  corpus DIR one connection per file in DIR, as "send" with the file's
             octets; one line per file: file= outcome= (error:CODE, eof,
             open) ms=.
  stall HEX  as "send", but HEX is a message cut short: waits up to --wait
             seconds for the close; prints close_s (from the last octet
             sent) and since_connect_s, plus the KEEPALIVEs seen meanwhile.
  silent     plain TCP connect, send nothing; prints close_s.
  plain      plain TCP connect, send "GET /\\r\\n"; prints close_s.
  dribble    a real TLS ClientHello written one octet per --every seconds;
             prints close_s (from connect) and octets sent.
  clients N  authenticate N clients one after another (HELLO/WELCOME) and
             hold them for --hold seconds; prints up, refused and how.
  renew N    HELLO, OPEN, then RENEW that first session N times without ever
             closing the old ones; prints how many were granted; holds them
             for --hold seconds.
  idle       HELLO, OPEN, then no probe at all, answering KEEPALIVEs, for
             up to --wait seconds; prints end, error_code, error_text and
             close_s (from the ACCEPT to the end of the stream).
  halfopen N open N plain TCP connections from each address of --source
             (comma-separated) and hold them; count those the server closes
             within 1 s; read the server's fd count and RSS (--pid); while
             they are held, try --good good handshakes from --good-source and
             time them (good_ok, good_failed); prints every figure.
  serve SCEN the other side: a server on --host:--port with the server
             certificate of --pki, for pktmon-client; each connection
             (reconnections too) gets scenario SCEN: a grant with one field
             wrong (grant-interval-0, grant-interval-1us, grant-size-0, ...
             see SERVE_GRANTS) or a RENEW answered with interval 0
             (renewed-interval-0), messages out of place
             (accept-before-welcome, renewed-for-open, unsolicited-renewed,
             closed-unknown), a message cut short (truncated) or too long
             (huge-length), a good grant (good), or a good grant and the
             connection closed 1 s later (regrant). A RENEW gets a good
             RENEWED but in renewed-interval-0. Prints listening=, one line
             per connection (hello, open, renew, sent, end, ms), and
             connections= after --wait seconds.
Standard library only. Exit status 0 when the run itself worked (what the
server did is in the output), 2 on a usage or set-up error.
"""
import argparse
import errno
import os
import select
import socket
import ssl
import struct
import sys
import time

HDR = struct.Struct(">BBH")
T_HELLO, T_WELCOME, T_KEEPALIVE, T_ERROR = 1, 2, 9, 10


def now():
    return time.monotonic()


def msg(mtype, body=b"", version=1, length=None):
    return HDR.pack(version, mtype, len(body) if length is None else length) + body


HELLO = msg(T_HELLO, struct.pack(">I", 1))


def tls_context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(a.cert or os.path.join(a.pki, "client.crt"),
                        a.key or os.path.join(a.pki, "client.key"))
    ctx.load_verify_locations(a.ca or os.path.join(a.pki, "ca.crt"))
    ctx.check_hostname = True
    return ctx


def tcp_connect(a, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        s.bind((source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # time the server, not Nagle
    s.settimeout(5)
    s.connect((a.host, a.port))
    return s


def tls_connect(a, source=None, ctx=None):
    ctx = ctx or tls_context(a)
    raw = tcp_connect(a, source)
    t = ctx.wrap_socket(raw, server_hostname=a.name)
    t.settimeout(5)
    return t


class Reader:
    """Reads control messages from a TLS socket; notes how the stream ended."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.msgs = []
        self.eof = None  # None: still open; else "eof", "reset", "tls:..."
        self.eof_at = None

    def pump(self, until, once=False):
        """Read until the stream ends or the monotonic time 'until' (or
        until the first data, with once)."""
        while self.eof is None:
            left = until - now()
            if left <= 0:
                return
            self.s.settimeout(min(left, 1.0))
            try:
                d = self.s.recv(4096)
            except socket.timeout:
                continue
            except ssl.SSLWantReadError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                self.eof, self.eof_at = "reset", now()
                return
            except ssl.SSLError as e:
                self.eof, self.eof_at = "tls:" + (e.reason or str(e)), now()
                return
            except OSError as e:
                self.eof, self.eof_at = "os:" + errno.errorcode.get(e.errno, str(e.errno)), now()
                return
            if not d:
                self.eof, self.eof_at = "eof", now()
                return
            self.buf += d
            while len(self.buf) >= 4:
                v, t, n = HDR.unpack_from(self.buf)
                if len(self.buf) < 4 + n:
                    break
                self.msgs.append((t, self.buf[4:4 + n]))
                self.buf = self.buf[4 + n:]
            if once:
                return

    def wait_for(self, mtype, until):
        while now() < until and self.eof is None:
            if any(t == mtype for t, _ in self.msgs):
                return True
            self.pump(until, once=True)
        return any(t == mtype for t, _ in self.msgs)

    def error_code(self):
        for t, b in self.msgs:
            if t == T_ERROR and len(b) >= 2:
                return struct.unpack_from(">H", b)[0]
        return None

    def error_text(self):
        for t, b in self.msgs:
            if t == T_ERROR and len(b) >= 4:
                return b[4:].decode("ascii", "replace")
        return ""


def hello(sock, rd, timeout=3.0):
    sock.sendall(HELLO)
    if not rd.wait_for(T_WELCOME, now() + timeout):
        raise SystemExit("no WELCOME after HELLO (end: %s, msgs %s)"
                         % (rd.eof, [t for t, _ in rd.msgs]))
    rd.msgs = [m for m in rd.msgs if m[0] != T_WELCOME]


def out(**kv):
    print(" ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def mode_good(a, source=None):
    ctx = tls_context(a)
    t0 = now()
    s = tls_connect(a, source, ctx)
    rd = Reader(s)
    hello(s, rd)
    ms = (now() - t0) * 1000
    s.close()
    return ms


def exchange(a, data, want_hello):
    """One connection: optional HELLO, send data, read to the end."""
    s = tls_connect(a)
    rd = Reader(s)
    if want_hello:
        hello(s, rd)
    t0 = now()
    if data:
        s.sendall(data)
    rd.pump(t0 + a.wait)
    code = rd.error_code()
    ms = (rd.eof_at - t0) * 1000 if rd.eof_at else None
    s.close()
    return rd, code, ms


def mode_send(a):
    times, codes, ends = [], set(), set()
    for _ in range(a.repeat):
        rd, code, ms = exchange(a, bytes.fromhex(a.arg), a.hello)
        codes.add(code if code is not None else "none")
        ends.add(rd.eof or "no")
        times.append(ms if ms is not None else float("inf"))
    times.sort()

    def fmt(v):
        return "%.1f" % v if v != float("inf") else "none"

    out(error_code=",".join(map(str, sorted(codes, key=str))),
        msgs=",".join(str(t) for t, _ in rd.msgs) or "none",
        closed=",".join(sorted(ends)),
        close_ms=fmt(times[-1]),
        median_ms=fmt(times[len(times) // 2]),
        p95_ms=fmt(times[min(len(times) - 1, int(len(times) * 0.95))]),
        connections=a.repeat,
        error_text='"%s"' % rd.error_text().replace(" ", "_"))


def mode_corpus(a):
    for name in sorted(os.listdir(a.arg)):
        with open(os.path.join(a.arg, name), "rb") as f:
            data = f.read()
        try:
            rd, code, ms = exchange(a, data, a.hello)
        except (OSError, ssl.SSLError) as e:
            out(file=name, outcome="connect-failed:%s" % e.__class__.__name__, ms="none")
            continue
        if code is not None:
            oc = "error:%d" % code
        elif rd.eof:
            oc = rd.eof
        else:
            oc = "open"
        out(file=name, outcome=oc, ms="%.1f" % ms if ms is not None else "none",
            msgs=",".join(str(t) for t, _ in rd.msgs) or "none")


def mode_stall(a):
    t_conn = now()
    s = tls_connect(a)
    rd = Reader(s)
    if a.hello:
        hello(s, rd)
    s.sendall(bytes.fromhex(a.arg))
    t_last = now()
    rd.pump(t_last + a.wait)
    kas = sum(1 for t, _ in rd.msgs if t == T_KEEPALIVE)
    others = [t for t, _ in rd.msgs if t != T_KEEPALIVE]
    if rd.eof_at is None:
        out(closed="no", close_s="none", since_connect_s="none", keepalives=kas,
            other_msgs=",".join(map(str, others)) or "none")
    else:
        out(closed=rd.eof, close_s="%.3f" % (rd.eof_at - t_last),
            since_connect_s="%.3f" % (rd.eof_at - t_conn), keepalives=kas,
            other_msgs=",".join(map(str, others)) or "none")
    s.close()


def wait_close(s, until):
    """Plain socket: the time the peer closed it, or None at 'until'."""
    while True:
        left = until - now()
        if left <= 0:
            return None, "open"
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        try:
            d = s.recv(4096)
        except ConnectionResetError:
            return now(), "reset"
        if not d:
            return now(), "eof"
        # Data (a TLS alert, say) before the close: keep waiting for the end.


def mode_silent(a, data=b""):
    s = tcp_connect(a)
    t0 = now()
    if data:
        s.sendall(data)
    t, how = wait_close(s, t0 + a.wait)
    out(closed=how, close_s="%.3f" % (t - t0) if t else "none")
    s.close()


def client_hello(a):
    """The first flight of a real TLS 1.3 client, via memory BIOs."""
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_context(a).wrap_bio(inc, outg, server_hostname=a.name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = outg.read()
    if len(data) < 100 or data[0] != 0x16:
        raise SystemExit("could not make a ClientHello (%d octets)" % len(data))
    return data


def mode_dribble(a):
    ch = client_hello(a)
    s = tcp_connect(a)
    t0 = now()
    sent = 0
    how, t = "open", None
    for b in ch:
        try:
            s.send(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            t, how = now(), "reset-on-send"
            break
        sent += 1
        t, how = wait_close(s, now() + a.every)
        if t is not None:
            break
        if now() - t0 > a.wait:
            break
    out(closed=how, close_s="%.3f" % (t - t0) if t else "none", octets_sent=sent,
        clienthello_octets=len(ch))
    s.close()


def mode_clients(a):
    """Authenticate N clients one after another and hold them."""
    held, refused, how = [], 0, set()
    for _ in range(int(a.arg)):
        try:
            s = tls_connect(a)
            rd = Reader(s)
            s.sendall(HELLO)
            if rd.wait_for(T_WELCOME, now() + 3):
                held.append(s)
                continue
            refused += 1
            code = rd.error_code()
            how.add("error:%d" % code if code is not None else (rd.eof or "timeout"))
        except (OSError, ssl.SSLError) as e:
            refused += 1
            how.add(e.__class__.__name__)
    out(up=len(held), refused=refused, refusals=",".join(sorted(how)) or "none")
    time.sleep(a.hold)
    for s in held:
        s.close()


def open_session(a):
    """TLS, HELLO, OPEN of one 112-octet session at 10/s: (sock, reader, ssid)."""
    s = tls_connect(a)
    rd = Reader(s)
    hello(s, rd)
    s.sendall(msg(3, struct.pack(">IHH", 100000, 112, 40000)))
    if not rd.wait_for(4, now() + 3):
        raise SystemExit("no ACCEPT for OPEN (end: %s)" % rd.eof)
    return s, rd, struct.unpack_from(">H", [b for t, b in rd.msgs if t == 4][0])[0]


def mode_renew(a):
    """HELLO, OPEN, then RENEW the first session N times without CLOSE."""
    s, rd, ssid = open_session(a)
    renewed = 0
    for i in range(int(a.arg)):
        rd.msgs = []
        try:
            s.sendall(msg(5, struct.pack(">HBBH", ssid, 3, 0, 40001 + i)))
        except (OSError, ssl.SSLError):
            break
        rd.wait_for(6, now() + 1)
        if any(t == 6 for t, _ in rd.msgs):
            renewed += 1
        else:
            break
    code = rd.error_code()
    out(opened=1, renewed=renewed, held=1 + renewed,
        end=("error:%d" % code) if code is not None else (rd.eof or "open"))
    time.sleep(a.hold)
    s.close()


def mode_idle(a):
    """A session that is granted and then never used."""
    s, rd, _ = open_session(a)
    t0, until = now(), now() + a.wait
    while rd.eof is None and now() < until:
        rd.msgs = [m for m in rd.msgs if m[0] == T_ERROR]
        rd.pump(until, once=True)
        if any(t == T_KEEPALIVE for t, _ in rd.msgs):
            s.sendall(msg(T_KEEPALIVE))
    code = rd.error_code()
    out(end=rd.eof or "open", error_code=code if code is not None else "none",
        error_text=rd.error_text().replace(" ", "_"),
        close_s="%.2f" % ((rd.eof_at or now()) - t0))
    s.close()


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def mode_halfopen(a):
    n = int(a.arg)
    sources = a.source.split(",")
    base_fds, base_rss = proc_fds(a.pid), proc_rss_kib(a.pid)
    socks = []
    t0 = now()
    connect_failed = 0
    for src in sources:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.bind((src, 0))
            s.settimeout(2)
            try:
                s.connect((a.host, a.port))
            except OSError:
                connect_failed += 1
                s.close()
                continue
            s.setblocking(False)
            socks.append(s)
    t_open = now() - t0
    # Give the server a moment to accept and refuse; then see which ended.
    deadline = now() + 1.0
    closed = set()
    while now() < deadline and len(closed) < len(socks):
        live = [s for s in socks if s.fileno() not in closed]
        r, _, _ = select.select(live, [], [], max(0.0, deadline - now()))
        for s in r:
            try:
                d = s.recv(1)
            except (ConnectionResetError, BlockingIOError):
                d = b""
            if not d:
                closed.add(s.fileno())
    held_fds, held_rss = proc_fds(a.pid), proc_rss_kib(a.pid)
    ok, bad = [], []
    for _ in range(a.good):
        t = now()
        try:
            ok.append(mode_good(a, a.good_source))
        except (OSError, ssl.SSLError, SystemExit):
            bad.append((now() - t) * 1000)
    out(opened=len(socks), connect_failed=connect_failed, open_s="%.3f" % t_open,
        closed_within_1s=len(closed), held=len(socks) - len(closed),
        base_fds=base_fds, held_fds=held_fds, base_rss_kib=base_rss,
        held_rss_kib=held_rss, good_ok=len(ok), good_failed=len(bad),
        good_max_ms="%.1f" % max(ok) if ok else "none",
        good_median_ms="%.1f" % sorted(ok)[len(ok) // 2] if ok else "none",
        failed_max_ms="%.1f" % max(bad) if bad else "none")
    for s in socks:
        s.close()


# ---- serve: a hostile pktmon server for the client -------------------------

T_OPEN, T_ACCEPT, T_RENEW, T_RENEWED, T_CLOSE, T_CLOSED = 3, 4, 5, 6, 7, 8
SERVE_KEEPALIVE_S = 1.0

# grant-NAME: ACCEPT the OPEN with one field changed from what was asked.
SERVE_GRANTS = {
    "interval-0": {"interval_us": 0},
    "interval-1us": {"interval_us": 1},
    "interval-huge": {"interval_us": 0xffffffff},
    "size-0": {"size": 0},
    "size-short": {"size": 111},
    "size-65535": {"size": 65535},
    "udp-port-0": {"udp_port": 0},
    "ssid-0": {"ssid": 0},
    "nonce-0": {"nonce": bytes(16)},
}
SERVE_OTHERS = ("good", "regrant", "renewed-interval-0", "renewed-for-open",
                "accept-before-welcome", "unsolicited-renewed", "closed-unknown",
                "truncated", "huge-length")


def grant_body(ssid=1, udp_port=0, interval_us=1000000, size=112, nonce=None):
    return struct.pack(">HHIHH", ssid, udp_port, interval_us, size, 0) + \
        (os.urandom(16) if nonce is None else nonce)


def serve_answer(scen, good):
    """The octets that answer an OPEN, and whether silence follows."""
    accept = msg(T_ACCEPT, grant_body(**good))
    if scen.startswith("grant-"):
        return [msg(T_ACCEPT, grant_body(**dict(good, **SERVE_GRANTS[scen[6:]])))], False
    if scen == "renewed-for-open":
        return [msg(T_RENEWED, grant_body(**good) + struct.pack(">H", 1))], False
    if scen == "unsolicited-renewed":
        return [accept, msg(T_RENEWED, grant_body(**dict(good, ssid=2)) +
                            struct.pack(">H", 77))], False
    if scen == "closed-unknown":
        return [accept, msg(T_CLOSED, struct.pack(">HQQ", 999, 5, 5))], False
    if scen == "truncated":
        return [accept[:8]], True
    if scen == "huge-length":
        return [HDR.pack(1, T_ACCEPT, 0xffff) + bytes(1000)], False
    return [accept], False


def serve_context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(a.cert or os.path.join(a.pki, "server.crt"),
                        a.key or os.path.join(a.pki, "server.key"))
    ctx.load_verify_locations(a.ca or os.path.join(a.pki, "ca.crt"))
    ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as pktmon-server
    return ctx


def serve_renewed(scen, good, old_ssid, ssid):
    """The answer to a RENEW: a good RENEWED, or one of interval 0."""
    g = dict(good, ssid=ssid, interval_us=0 if scen == "renewed-interval-0"
             else good["interval_us"])
    return msg(T_RENEWED, grant_body(**g) + struct.pack(">H", old_ssid))


def serve_conn(s, scen, udp_port, until):
    """One control connection from the client, to its end or 'until'."""
    rd = Reader(s)
    info = {"hello": 0, "open": "none", "renew": 0, "sent": "none"}
    good = dict(udp_port=udp_port)
    silent, granted, last_ka = False, None, now()
    if scen == "accept-before-welcome":
        s.sendall(msg(T_ACCEPT, grant_body(udp_port=udp_port)))
        info["sent"] = scen
    while rd.eof is None and now() < until:
        if scen == "regrant" and granted and now() - granted >= 1.0:
            info["end"] = "closed-by-peer"
            return info
        rd.pump(min(until, now() + SERVE_KEEPALIVE_S / 2), once=True)
        for t, b in rd.msgs:
            if t == T_HELLO:
                info["hello"] += 1
                s.sendall(msg(T_WELCOME, struct.pack(
                    ">IIIHH", 0, int(SERVE_KEEPALIVE_S * 1000), 10, 9000, 16)))
            elif t == T_OPEN and len(b) == 8:
                interval, size, _ = struct.unpack(">IHH", b)
                info["open"] = "%d/%d" % (interval, size)
                good.update(interval_us=interval, size=size)
                octets, silent = serve_answer(scen, good)
                for m in octets:
                    s.sendall(m)
                info["sent"], granted = scen, now()
            elif t == T_RENEW and len(b) == 6 and "size" in good:
                info["renew"] += 1
                s.sendall(serve_renewed(scen, good, struct.unpack_from(">H", b)[0],
                                        1 + info["renew"]))
            elif t == T_CLOSE and len(b) == 2 and not silent:
                s.sendall(msg(T_CLOSED, b + struct.pack(">QQ", 0, 0)))
        rd.msgs = []
        if not silent and now() - last_ka >= SERVE_KEEPALIVE_S / 2:
            s.sendall(msg(T_KEEPALIVE))
            last_ka = now()
    info["end"] = rd.eof or "open"
    return info


def mode_serve(a):
    """The server side for pktmon-client: every connection (reconnections
    too) gets scenario a.arg, until --wait seconds have passed."""
    scen = a.arg or ""
    if not (scen in SERVE_OTHERS or
            scen.startswith("grant-") and scen[6:] in SERVE_GRANTS):
        raise SystemExit("unknown scenario %r; known: %s" % (scen, " ".join(
            ["grant-" + g for g in SERVE_GRANTS] + list(SERVE_OTHERS))))
    ctx = serve_context(a)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(4)
    # Where a good grant sends the probes: a socket that never answers.
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind((a.host, 0))
    until = now() + a.wait
    out(listening=a.port, scenario=scen)
    n = 0
    while now() < until:
        r, _, _ = select.select([ls], [], [], min(1.0, max(0.0, until - now())))
        if not r:
            continue
        raw, _ = ls.accept()
        n += 1
        t0 = now()
        try:
            raw.settimeout(5)
            s = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            out(conn=n, tls="failed:" + e.__class__.__name__)
            raw.close()
            continue
        try:
            info = serve_conn(s, scen, us.getsockname()[1], until)
        except (OSError, ssl.SSLError) as e:
            info = {"end": "error:" + e.__class__.__name__}
        out(conn=n, ms="%.0f" % ((now() - t0) * 1000), **info)
        s.close()
    out(connections=n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("arg", nargs="?")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="localhost", help="server name to verify")
    p.add_argument("--pki", default=".")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    p.add_argument("--hello", action="store_true", help="send HELLO first")
    p.add_argument("--wait", type=float, default=2.0)
    p.add_argument("--repeat", type=int, default=1, help="send: connections")
    p.add_argument("--every", type=float, default=1.0)
    p.add_argument("--pid", type=int)
    p.add_argument("--source", default="127.0.0.2")
    p.add_argument("--good-source", default=None)
    p.add_argument("--good", type=int, default=5)
    p.add_argument("--hold", type=float, default=0.0, help="clients/renew: hold for")
    a = p.parse_args()
    if a.mode == "good":
        out(handshake_ms="%.1f" % mode_good(a))
    elif a.mode == "send":
        mode_send(a)
    elif a.mode == "corpus":
        mode_corpus(a)
    elif a.mode == "stall":
        mode_stall(a)
    elif a.mode == "silent":
        mode_silent(a)
    elif a.mode == "plain":
        mode_silent(a, b"GET /\r\n")
    elif a.mode == "dribble":
        mode_dribble(a)
    elif a.mode == "clients":
        mode_clients(a)
    elif a.mode == "renew":
        mode_renew(a)
    elif a.mode == "idle":
        mode_idle(a)
    elif a.mode == "serve":
        mode_serve(a)
    elif a.mode == "halfopen":
        if a.pid is None:
            p.error("halfopen needs --pid")
        mode_halfopen(a)
    else:
        p.error("unknown mode " + a.mode)


if __name__ == "__main__":
    main()
