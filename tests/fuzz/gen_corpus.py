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


if __name__ == "__main__":
    main()
