"""Session linger (--session-linger) from the client's side of the wire.

usage: linger.py MODE --port N --pki DIR [options]

Modes (each prints key=value lines for the calling script):
  outage   HELLO with the LINGER feature, OPEN (20 probes/s), --before
           probes answered, then the control connection is reset (RST);
           probes go on for --seconds; then a new connection with the same
           certificate sends CLOSE for the old SSID, then CLOSE for an SSID
           the server never granted, then OPEN + CLOSE to show the
           connection still works; and a connection without the feature
           sends that unknown CLOSE too. With --no-reconnect it stops after
           the probes (for a server that keeps nothing).
The session key is derived as the server does (TLS 1.3 exporter, RFC 8446
section 7.5) from the EXPORTER_SECRET line of a per-connection key log.
Standard library only.
"""
import argparse
import hashlib
import hmac
import os
import random
import select
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlpeer  # noqa: E402
from ctlpeer import Reader, msg, now, out  # noqa: E402
import probes  # noqa: E402

T_HELLO, T_WELCOME, T_OPEN, T_ACCEPT, T_CLOSE, T_CLOSED = 1, 2, 3, 4, 7, 8
FEAT_LINGER = 1 << 0
LABEL = b"EXPORTER-pktmon-stamp-hmac-v1"
U64_MAX = (1 << 64) - 1


def hkdf_expand_label(hname, secret, label, context, length):
    info = struct.pack(">H", length) + bytes([6 + len(label)]) + b"tls13 " + label \
        + bytes([len(context)]) + context
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(secret, t + info + bytes([i]), hname).digest()
        okm += t
        i += 1
    return okm[:length]


def exporter(hname, secret, label, context, length):
    h = hashlib.new(hname)
    derived = hkdf_expand_label(hname, secret, label, hashlib.new(hname, b"").digest(),
                                h.digest_size)
    return hkdf_expand_label(hname, derived, b"exporter", hashlib.new(hname, context).digest(),
                             length)


class Control:
    """One authenticated control connection with its own key log."""

    def __init__(self, a, features):
        fd, self.keylog = tempfile.mkstemp(prefix="keylog", dir=a.tmp)
        os.close(fd)
        ctx = ctlpeer.tls_context(a)
        ctx.keylog_filename = self.keylog
        self.s = ctlpeer.tls_connect(a, ctx=ctx)
        self.rd = Reader(self.s)
        w = self.request(msg(T_HELLO, struct.pack(">I", features)), T_WELCOME)
        if w is None:
            raise SystemExit("no WELCOME after HELLO (end: %s)" % self.rd.eof)
        self.welcome_features = struct.unpack_from(">I", w)[0]

    def request(self, data, want, timeout=3.0):
        """Send data; the body of the first message of type want (or None)."""
        self.rd.msgs = []
        self.s.sendall(data)
        self.rd.wait_for(want, now() + timeout)
        for t, b in self.rd.msgs:
            if t == want:
                return b
        return None

    def stamp_key(self, ssid, nonce):
        secret = None
        with open(self.keylog) as f:
            for line in f:
                p = line.split()
                if len(p) == 3 and p[0] == "EXPORTER_SECRET":
                    secret = bytes.fromhex(p[2])
        if secret is None:
            raise SystemExit("no EXPORTER_SECRET in the key log")
        hname = "sha384" if "SHA384" in self.s.cipher()[0] else "sha256"
        return exporter(hname, secret, LABEL, struct.pack(">H", ssid) + nonce, 32)

    def reset(self):
        """End the connection with a TCP reset, as a dead path would leave it."""
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()


def closed_counts(body):
    if body is None or len(body) != 18:
        return None
    return struct.unpack(">HQQ", body)


def probe_run(u, port, ssid, key, seq0, count, gap):
    """count probes, one per gap seconds, from u; replies counted until
    0.5 s after the last."""
    replies, nxt, seq = 0, now(), seq0
    end = None
    while end is None or now() < end:
        t = now()
        if seq < seq0 + count and t >= nxt:
            u.sendto(probes.probe(seq, ssid, key), ("127.0.0.1", port))
            seq += 1
            nxt += gap
            if seq == seq0 + count:
                end = now() + 0.5
            continue
        wait = (end if end is not None else nxt) - now()
        r, _, _ = select.select([u], [], [], max(0.0, wait))
        if r:
            u.recvfrom(65536)
            replies += 1
    return replies


def mode_outage(a):
    c = Control(a, FEAT_LINGER)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    cport = u.getsockname()[1]
    acc = c.request(msg(T_OPEN, struct.pack(">IHH", 50000, 112, cport)), T_ACCEPT)
    if acc is None:
        raise SystemExit("no ACCEPT for OPEN (end: %s)" % c.rd.eof)
    ssid, uport = struct.unpack_from(">HH", acc)
    key = c.stamp_key(ssid, acc[12:28])
    before = probe_run(u, uport, ssid, key, 0, a.before, 0.05)
    c.reset()
    time.sleep(a.pause)
    n = int(a.seconds * 20)
    during = probe_run(u, uport, ssid, key, a.before, n, 0.05)
    out(welcome_features=c.welcome_features, ssid=ssid, before_sent=a.before,
        before_replies=before, during_sent=n, during_replies=during)
    if a.no_reconnect:
        return

    # The same client, back: the old session's counts.
    c2 = Control(a, FEAT_LINGER)
    got = closed_counts(c2.request(msg(T_CLOSE, struct.pack(">H", ssid)), T_CLOSED))
    if got is None:
        out(old_close="none", old_close_end=c2.rd.eof or "open",
            old_close_error=c2.rd.error_code())
        return
    out(old_close="closed", old_ssid=got[0], old_received=got[1], old_reflected=got[2])
    # A second CLOSE of the same SSID: now unknown to the server.
    got = closed_counts(c2.request(msg(T_CLOSE, struct.pack(">H", ssid)), T_CLOSED))
    out(again_received="none" if got is None else
        ("max" if got[1] == U64_MAX else got[1]))

    # An SSID the server never granted (it may have restarted).
    unknown = random.choice([x for x in range(1, 65536) if x != ssid])
    got = closed_counts(c2.request(msg(T_CLOSE, struct.pack(">H", unknown)), T_CLOSED))
    out(unknown_ssid=unknown,
        unknown_close="none" if got is None else "closed",
        unknown_ssid_back=got[0] if got else "none",
        unknown_received="max" if got and got[1] == U64_MAX else (got[1] if got else "none"),
        unknown_reflected="max" if got and got[2] == U64_MAX else (got[2] if got else "none"))
    # The connection is still usable: a session opens, answers, closes.
    acc = c2.request(msg(T_OPEN, struct.pack(">IHH", 50000, 112, cport)), T_ACCEPT)
    if acc is None:
        out(after_open="none", after_end=c2.rd.eof or "open", after_error=c2.rd.error_code())
        return
    ssid2 = struct.unpack_from(">H", acc)[0]
    key2 = c2.stamp_key(ssid2, acc[12:28])
    replies2 = probe_run(u, uport, ssid2, key2, 0, 5, 0.05)
    got = closed_counts(c2.request(msg(T_CLOSE, struct.pack(">H", ssid2)), T_CLOSED))
    out(after_open="accept", after_replies=replies2,
        after_received=got[1] if got else "none")
    c2.s.close()

    # Without the feature, the old rule: ERROR 6 and the close.
    c3 = Control(a, 0)
    c3.request(msg(T_CLOSE, struct.pack(">H", unknown)), T_CLOSED)
    c3.rd.pump(now() + 1.0)
    out(nofeat_error=c3.rd.error_code(), nofeat_end=c3.rd.eof or "open",
        nofeat_msgs=",".join(str(t) for t, _ in c3.rd.msgs) or "none")
    c3.s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="localhost")
    p.add_argument("--pki", default=".")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    p.add_argument("--tmp", default=None, help="directory for the key logs")
    p.add_argument("--before", type=int, default=5)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--pause", type=float, default=0.0,
                   help="seconds between the reset and the next probe")
    p.add_argument("--no-reconnect", action="store_true")
    a = p.parse_args()
    if a.mode == "outage":
        mode_outage(a)
    else:
        p.error("unknown mode " + a.mode)


if __name__ == "__main__":
    main()
