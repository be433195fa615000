#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets: a few valid inputs per
target and the edge cases next to them. Run from anywhere; it rewrites
corpus/<target>/ beside this script. Standard library only."""

import hashlib
import hmac
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# Must match fuzz_key in fuzz_stamp.c.
STAMP_KEY = bytes(range(32))


def be(v, n):
    return v.to_bytes(n, "big")


def ctl(mtype, body, version=1, length=None):
    if length is None:
        length = len(body)
    return struct.pack(">BBH", version, mtype, length) + body


def grant(ssid, port, interval, size, nonce):
    return struct.pack(">HHIHH", ssid, port, interval, size, 0) + nonce


def ctl_corpus():
    c = {}
    c["hello"] = ctl(1, be(1, 4))
    c["welcome"] = ctl(2, struct.pack(">IIIHH", 1, 15000, 1000, 1500, 16))
    c["open"] = ctl(3, struct.pack(">IHH", 10000, 44, 40000))
    c["accept"] = ctl(4, grant(0x1234, 862, 10000, 112, bytes(range(16))))
    c["renew"] = ctl(5, struct.pack(">HBBH", 0x1234, 2, 0, 40001))
    c["renewed"] = ctl(6, grant(0x1235, 862, 20000, 44, bytes(range(16, 32)))
                       + be(0x1234, 2))
    c["close"] = ctl(7, be(0x1235, 2))
    c["closed"] = ctl(8, struct.pack(">HQQ", 0x1235, 1000, 998))
    c["keepalive"] = ctl(9, b"")
    c["error"] = ctl(10, struct.pack(">HH", 3, 0) + b"rate limit")
    c["error-empty"] = ctl(10, struct.pack(">HH", 4, 0))
    c["error-control-chars"] = ctl(10, struct.pack(">HH", 1, 0)
                                   + b"a\nb\x00c\x1b[2J\x7f\xff")
    c["error-longest"] = ctl(10, struct.pack(">HH", 1, 0) + b"x" * 200)
    c["error-too-long"] = ctl(10, struct.pack(">HH", 1, 0) + b"x" * 201)
    c["bad-version"] = ctl(9, b"", version=2)
    c["unknown-type"] = ctl(11, b"")
    c["type-zero"] = ctl(0, b"")
    c["length-65535"] = ctl(10, b"", length=0xFFFF)
    c["hello-short-length"] = ctl(1, be(1, 3))
    c["hello-body-missing"] = ctl(1, b"", length=4)
    c["header-truncated"] = b"\x01\x01\x00"
    c["empty"] = b""
    c["two-messages"] = ctl(9, b"") + ctl(7, be(1, 2))
    return c


# Authenticated layouts stop at octet 96: sign() appends the HMAC.
def stamp_sender(auth, seq, ts, err, ssid):
    if auth:
        return be(seq, 4) + bytes(12) + be(ts, 8) + be(err, 2) + be(ssid, 2) \
            + bytes(68)
    return be(seq, 4) + be(ts, 8) + be(err, 2) + be(ssid, 2) + bytes(28)


def stamp_reflector(auth, seq, ts, err, ssid, rx, sseq, sts, serr, ttl):
    if auth:
        return (be(seq, 4) + bytes(12) + be(ts, 8) + be(err, 2) + be(ssid, 2)
                + bytes(4) + be(rx, 8) + bytes(8) + be(sseq, 4) + bytes(12)
                + be(sts, 8) + be(serr, 2) + bytes(6) + be(ttl, 1) + bytes(15))
    return (be(seq, 4) + be(ts, 8) + be(err, 2) + be(ssid, 2) + be(rx, 8)
            + be(sseq, 4) + be(sts, 8) + be(serr, 2) + bytes(2) + be(ttl, 1)
            + bytes(3))


def sign(pkt96):
    """Octets 0..95 plus their HMAC-SHA-256-128: a 112-octet packet."""
    assert len(pkt96) == 96
    return pkt96 + hmac.new(STAMP_KEY, pkt96, hashlib.sha256).digest()[:16]


def stamp_corpus():
    ts = 0xEEB130201F9ADD37
    c = {}
    c["sender-unauth"] = stamp_sender(False, 0, ts, 0x8101, 0x1234)
    c["reflector-unauth"] = stamp_reflector(False, 0, ts + 100, 0x8101, 0x1234,
                                            ts + 50, 0, ts, 0x8101, 64)
    c["sender-auth-signed"] = sign(stamp_sender(True, 1, ts, 0x0F83, 0x1234))
    c["reflector-auth-signed"] = sign(stamp_reflector(
        True, 1, ts + 100, 0x0F83, 0x1234, ts + 50, 1, ts, 0x0F83, 255))
    c["sender-unauth-tlv"] = (stamp_sender(False, 7, ts, 0x0001, 1)
                              + struct.pack(">BBH", 0, 1, 8) + bytes(8))
    c["sender-auth-tlv"] = (sign(stamp_sender(True, 7, ts, 0x0001, 1))
                            + struct.pack(">BBH", 0, 8, 16) + bytes(16))
    c["multiplier-zero"] = stamp_sender(False, 0, ts, 0xBF00, 1)
    c["short-43"] = stamp_sender(False, 0, ts, 0x8101, 1)[:43]
    c["short-111"] = sign(stamp_sender(True, 0, ts, 0x8101, 1))[:111]
    c["bad-hmac"] = sign(stamp_sender(True, 0, ts, 0x8101, 1))[:111] + b"\0"
    c["mbz-set"] = bytes([0xFF]) * 112
    c["all-zero"] = bytes(112)
    c["empty"] = b""
    return c


def parse_corpus():
    words = [
        "0", "4294967295", "4294967296", "18446744073709551615", "007",
        "-1", "7x", "", "10ms", "1.5s", "0.01", "2m", "2min", "1h", "1d",
        "250us", "7ns", ".25", "0.000000001", "18446744073s", "300000000m",
        "1h30m", "now", "-1d", "-90m", "-30s", "1700000000",
        "2026-11-25T10:00:00Z", "2026-11-25 10:00", "2026-11-25",
        "example.net:862", "192.0.2.1:4000", "[2001:db8::1]:862", "[::1]",
        "::1", "h:65535", "h:65536", "[]:862", "[::1]x", "abcd:1",
    ]
    c = {}
    for i, w in enumerate(words):
        slug = "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in w)
        c["%02d-%s" % (i, slug or "empty")] = w.encode()
    return c


def icmp_corpus():
    def echo(typ, ident, seq, payload_len=8, code=0, magic=b"PKTM", seq16=None):
        if seq16 is None:
            seq16 = seq & 0xFFFF
        body = magic + be(seq, 4) + bytes(range(16, 16 + payload_len - 8))
        return struct.pack(">BBHHH", typ, code, 0, ident, seq16) + body

    def ipv4(payload, ttl=57, ihl=5):
        hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(payload), 0,
                          0, ttl, 1, 0, bytes([192, 0, 2, 10]),
                          bytes([198, 51, 100, 7]))
        return hdr + bytes(ihl * 4 - 20) + payload

    # The first octet: bit 0 ICMPv6, bit 1 an IPv4 header in front.
    c = {}
    c["v4-reply"] = b"\x00" + echo(0, 0x1234, 7, 56)
    c["v4-reply-ip"] = b"\x02" + ipv4(echo(0, 0x1234, 0x12345678, 56))
    c["v4-reply-ip-options"] = b"\x02" + ipv4(echo(0, 1, 2), ttl=1, ihl=15)
    c["v4-ip-ihl-short"] = b"\x02" + ipv4(echo(0, 1, 2))[:1] + b"\x44" + bytes(30)
    c["v4-ip-not-4"] = b"\x02" + b"\x60" + ipv4(echo(0, 1, 2))[1:]
    c["v4-ip-truncated"] = b"\x02" + ipv4(echo(0, 1, 2))[:30]
    c["v6-reply"] = b"\x01" + echo(129, 0xFFFF, 0xFFFFFFFF, 8)
    c["v6-request"] = b"\x01" + echo(128, 1, 1)
    c["v4-request"] = b"\x00" + echo(8, 1, 1)
    c["v4-reply-code-1"] = b"\x00" + echo(0, 1, 1, code=1)
    c["v4-bad-magic"] = b"\x00" + echo(0, 1, 1, magic=b"PING")
    c["v4-seq-mismatch"] = b"\x00" + echo(0, 1, 0x10001, seq16=2)
    c["v4-reply-15"] = b"\x00" + echo(0, 1, 1)[:15]
    c["v4-reply-16"] = b"\x00" + echo(0, 1, 1)[:16]
    c["flag-only"] = b"\x03"
    c["empty"] = b""
    return c


# Report histories: see the input format in fuzz_report.c. V is a tag octet
# and its value.
I64_MAX = (1 << 63) - 1


def v_small(x):
    return bytes([0, x & 0xFF])


def v_t0ms(ms):                 # T0 + ms, |ms| < 2^31
    return bytes([1]) + struct.pack(">i", ms)


def v_raw(x):
    return bytes([2]) + struct.pack(">q", x)


def v_max(minus=0):
    return bytes([3, minus])


def v_min(plus=0):
    return bytes([4, plus])


V_NULL = bytes([5])


def v_u32(x):
    return bytes([6]) + struct.pack(">I", x)


def v_t0s(s):                   # T0 + s, s < 65536
    return bytes([7]) + struct.pack(">H", s)


def v_real(x):
    return bytes([8]) + struct.pack(">d", x)


def v_text(i):
    return bytes([9, i])


def r_session(sid, ssid, start, end, interval, server=0, mode=0, reason=0):
    return bytes([0]) + sid + ssid + start + end + interval + bytes([server, mode, reason])


def r_probe(sid, seq, sent, rtt, fate, dups=v_small(0), ttl=v_small(57),
            owd_f=V_NULL, owd_b=V_NULL):
    return bytes([1]) + sid + seq + sent + rtt + fate + dups + ttl + owd_f + owd_b


def r_run(sid, seq0, t0, step, rtt0, count, fates):
    """count probes (1..256); fates: up to ten codes 0..7, repeated."""
    bits = 0
    for i, f in enumerate(fates[:10]):
        bits |= f << (3 * i)
    return bytes([2]) + sid + seq0 + t0 + step + rtt0 + bytes([count - 1]) + struct.pack(">I", bits)


def r_renewal(rid, frm, to, at, first_loss, first_reply, before, after, reason=0,
              detail=0):
    return (bytes([3]) + rid + frm + to + at + first_loss + first_reply + before
            + after + bytes([reason, detail]))


def r_episode(start, server=0, cls=0):
    return bytes([4]) + start + bytes([server, cls])


# Schemas: 0 version 1, 1 version 2, 2 every migration, 3 bare tables.
V1, V2, LATEST, BARE = range(4)


def report(schema, flags=0, opts=b"", records=()):
    return bytes([schema, flags]) + opts + b"".join(records)


def report_corpus():
    ms = 1_000_000
    ok = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    session1 = r_session(v_small(1), v_small(1), v_t0s(0), v_t0s(600), v_u32(100 * ms))
    c = {}
    c["empty"] = report(LATEST)
    c["empty-v1"] = report(V1)
    c["empty-bare"] = report(BARE)
    c["one-probe"] = report(LATEST, 0, b"", [session1, r_probe(
        v_small(1), v_small(0), v_t0s(10), v_u32(20 * ms), v_small(0))])
    c["ten-minutes"] = report(LATEST, 0x20, b"", [
        session1,
        r_run(v_small(1), v_small(0), v_t0s(0), v_u32(100 * ms), v_u32(20 * ms), 256, ok),
        r_run(v_small(1), v_small(0x7F), v_t0s(26), v_u32(100 * ms), v_u32(30 * ms), 256,
              [3, 4, 5, 6, 3, 3, 3, 3, 3, 3]),
        r_run(v_small(1), v_u32(600), v_t0s(60), v_u32(100 * ms), v_u32(25 * ms), 256,
              [0, 1, 2, 0, 0, 5, 0, 0, 0, 0]),
        r_renewal(v_small(1), v_small(1), v_small(2), v_t0s(30), v_t0s(27), v_t0s(31),
                  v_u32(50000), v_small(0), 0, 0),
        r_session(v_small(2), v_small(2), v_t0s(31), V_NULL, v_u32(100 * ms), 0, 0, 4),
    ])
    c["v2-ten-minutes-png-json"] = report(V2, 0x40 | 0x80, b"", [
        session1,
        r_run(v_small(1), v_small(0), v_t0s(0), v_u32(100 * ms), v_u32(20 * ms), 200,
              [0, 0, 3, 4, 5, 0, 1, 2, 6, 0])])
    c["episodes"] = report(LATEST, 0, b"", [
        session1,
        r_run(v_small(1), v_small(0), v_t0s(0), v_u32(100 * ms), v_u32(20 * ms), 100,
              [0, 0, 0, 0, 3, 3, 3, 0, 0, 0]),
        r_episode(v_t0ms(400), 0, 0), r_episode(v_t0ms(400), 0, 6),
        r_episode(v_max(), 4, 1), r_episode(V_NULL, 3, 5)])
    c["v1-ten-minutes"] = report(V1, 0, b"", [
        session1,
        r_run(v_small(1), v_small(0), v_t0s(0), v_u32(100 * ms), v_u32(20 * ms), 200,
              [0, 0, 3, 4, 5, 0, 1, 2, 0, 0])])
    c["extreme-times"] = report(LATEST, 0, b"", [
        r_session(v_small(1), v_small(1), v_min(), v_max(), v_max()),
        r_probe(v_small(1), v_small(0), v_max(), v_small(5), v_small(0)),
        r_probe(v_small(1), v_small(1), v_min(), v_small(5), v_small(3)),
        r_probe(v_small(1), v_small(2), v_small(0), v_max(), v_small(0)),
        r_probe(v_small(1), v_max(), v_t0s(0), v_max(), v_small(1)),
        r_renewal(v_small(1), v_small(1), v_small(1), v_max(), v_min(), v_max(),
                  v_max(), v_min(), 1, 3),
    ])
    c["extreme-range-options"] = report(LATEST, 0x03, v_small(0) + v_max(), [
        session1,
        r_probe(v_small(1), v_small(0), v_t0s(10), v_u32(20 * ms), v_small(0)),
        r_probe(v_small(1), v_small(1), v_max(1), v_u32(20 * ms), v_small(0)),
    ])
    c["huge-rtts"] = report(LATEST, 0, b"", [
        session1,
        r_run(v_small(1), v_small(0), v_t0s(0), v_u32(100 * ms), v_max(), 100, ok),
        r_run(v_small(1), v_u32(100), v_t0s(20), v_u32(100 * ms), v_raw(I64_MAX // 2), 100, ok),
        r_probe(v_small(1), v_small(-1), v_t0s(40), v_small(-5), v_small(0)),
    ])
    c["negative-times"] = report(LATEST, 0, b"", [
        r_session(v_small(1), v_small(-1), v_small(-100), v_small(-1), v_small(-1)),
        r_run(v_small(1), v_min(), v_raw(-(1 << 62)), v_raw(1 << 56), v_small(1), 256,
              [5, 5, 5, 0, 6, 6, 6, 0, 3, 4]),
    ])
    c["wrapping-run"] = report(LATEST, 0, b"", [
        r_session(v_max(), v_max(), v_max(200), V_NULL, v_small(0)),
        r_run(v_max(), v_max(3), v_max(10), v_small(1), v_max(), 64, [6, 7, 0, 1, 2, 3, 4, 5, 6, 7]),
    ])
    c["unknown-fates"] = report(LATEST, 0, b"", [
        session1,
        r_probe(v_small(1), v_small(0), v_t0s(1), V_NULL, v_small(6)),
        r_probe(v_small(1), v_small(1), v_t0s(2), V_NULL, v_small(7)),
        r_probe(v_small(1), v_small(2), v_t0s(3), V_NULL, v_small(-1)),
        r_probe(v_small(1), v_small(3), v_t0s(4), v_small(9), v_raw(1 << 40)),
        r_probe(v_small(1), v_small(4), v_t0s(5), v_u32(20 * ms), v_min()),
    ])
    c["bare-nulls-text-reals"] = report(BARE, 0, b"", [
        r_episode(v_text(1), 4, 6), r_episode(V_NULL, 2, 2),
        r_session(V_NULL, V_NULL, V_NULL, V_NULL, V_NULL, 4, 3, 4),
        r_session(v_text(1), v_text(2), v_text(3), v_real(1e300), v_real(float("nan")), 3),
        r_probe(V_NULL, V_NULL, v_t0s(1), V_NULL, V_NULL, V_NULL, V_NULL),
        r_probe(v_text(0), v_real(-1e300), v_real(1.8e19), v_real(float("inf")),
                v_text(4), v_raw(-1), v_max()),
        r_probe(v_small(1), v_small(1), v_t0s(2), v_small(5), v_small(0),
                v_max(), v_min(), v_max(), v_min()),
        r_renewal(V_NULL, V_NULL, V_NULL, v_t0s(1), V_NULL, V_NULL, V_NULL, V_NULL),
    ])
    c["filters"] = report(LATEST, 0x0C | 0x10, v_small(2) + bytes([1]), [
        r_session(v_small(2), v_small(9), v_t0s(0), v_t0s(60), v_u32(10 * ms), 1, 1, 2),
        r_run(v_small(2), v_small(0), v_t0s(0), v_u32(10 * ms), v_u32(3 * ms), 256,
              [0, 0, 0, 5, 5, 5, 5, 0, 0, 0]),
    ])
    c["tiny-interval-wide-range"] = report(LATEST, 0x03 | 0x30, v_small(1) + v_raw(I64_MAX - 5), [
        r_session(v_small(1), v_small(1), v_small(0), v_max(), v_small(1)),
        r_run(v_small(1), v_small(0), v_small(0), v_raw(1 << 55), v_small(1), 256, ok),
    ])
    # A 1 ns range inside the history: its one bucket, a gap, is millions
    # of pixels wide (the hatching once drew a line every 6 of them).
    c["tiny-range-in-a-gap"] = report(LATEST, 0x33, v_small(1) + v_small(2), [
        session1,
        r_probe(v_small(1), v_small(0), v_small(0), V_NULL, v_small(3)),
        r_probe(v_small(1), v_small(1), v_t0s(5), v_u32(20 * ms), v_small(0))])
    c["outage"] = report(LATEST, 0, b"", [
        session1,
        r_run(v_small(1), v_small(0), v_t0s(0), v_u32(100 * ms), v_u32(20 * ms), 256, ok),
        r_run(v_small(1), v_u32(256), v_t0s(26), v_u32(100 * ms), V_NULL, 256, [3] * 10),
        r_run(v_small(1), v_u32(512), v_t0s(52), v_u32(100 * ms), v_u32(20 * ms), 256, ok),
    ])
    return c


def write(target, files):
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    write("ctl", ctl_corpus())
    write("stamp", stamp_corpus())
    write("parse", parse_corpus())
    write("icmp", icmp_corpus())
    write("report", report_corpus())


if __name__ == "__main__":
    main()
