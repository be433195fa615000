#!/usr/bin/python3
"""Check captured STAMP packets against what pktmon stored.

stamp_wire.py plain PCAP DB PORT        (scapy decodes the 44-octet layout)
stamp_wire.py auth  PCAP DB PORT KEYLOG (offsets of RFC 8762 §4.2.2/§4.3.2,
                                         HMAC recomputed with the key)
Prints every mismatch as "what: expected X, got Y" and exits 1 if any.
"""
import hashlib
import hmac
import sqlite3
import struct
import sys

from scapy.all import UDP, rdpcap
from scapy.contrib.stamp import (STAMPSessionReflectorTestUnauthenticated,
                                 STAMPSessionSenderTestUnauthenticated)

NTP_UNIX = 2208988800
errors = []


def check(what, want, got):
    if want != got:
        errors.append("%s: expected %r, got %r" % (what, want, got))


def ntp_ns(v):
    return ((v >> 32) - NTP_UNIX) * 10**9 + ((v & 0xffffffff) * 10**9 >> 32)


def split(pcap, port):
    sent, back = [], []
    for p in rdpcap(pcap):
        u = p[UDP]
        (sent if u.dport == port else back).append(bytes(u.payload))
    return sent, back


def history(db):
    con = sqlite3.connect(db)
    ssid = con.execute("SELECT ssid FROM sessions").fetchone()[0]
    sent_ns = [r[0] for r in con.execute("SELECT sent_ns FROM probes ORDER BY seq")]
    return ssid, sent_ns


def plain(pcap, db, port):
    ssid, sent_ns = history(db)
    sent, back = split(pcap, port)
    check("probes captured", 5, len(sent))
    check("replies captured", 5, len(back))
    for i, raw in enumerate(sent):
        check("probe %d length" % i, 44, len(raw))
        s = STAMPSessionSenderTestUnauthenticated(raw)
        check("probe %d seq" % i, i, s.seq)
        check("probe %d ssid" % i, ssid, s.ssid)
        check("probe %d MBZ" % i, 0, s.mbz)
        check("probe %d error estimate multiplier non-zero" % i, True,
              s.err_estimate.multiplier != 0)
        ts = struct.unpack(">Q", raw[4:12])[0]
        check("probe %d timestamp within 1 ms of the stored send time" % i, True,
              abs(ntp_ns(ts) - sent_ns[i]) < 10**6)
    for i, raw in enumerate(back):
        check("reply %d length (symmetric)" % i, 44, len(raw))
        r = STAMPSessionReflectorTestUnauthenticated(raw)
        req = sent[i]
        check("reply %d reflector seq (stateful, from 0)" % i, i, r.seq)
        check("reply %d sender seq copied" % i, i, r.seq_sender)
        check("reply %d ssid echoed" % i, ssid, r.ssid)
        check("reply %d sender timestamp copied" % i, req[4:12], raw[28:36])
        check("reply %d sender error estimate copied" % i, req[12:14], raw[36:38])
        check("reply %d sender TTL (loopback)" % i, 64, r.ttl_sender)
        rx = struct.unpack(">Q", raw[16:24])[0]
        tx = struct.unpack(">Q", raw[4:12])[0]
        check("reply %d receive <= transmit timestamp" % i, True, rx <= tx)


def key_of(keylog):
    line = open(keylog).read().split("\n")[0].split()
    return int(line[1]), bytes.fromhex(line[3])


def mbz(what, raw, ranges):
    for a, b in ranges:
        check("%s octets %d..%d are zero" % (what, a, b - 1), bytes(b - a), raw[a:b])


def auth(pcap, db, port, keylog):
    ssid, sent_ns = history(db)
    kssid, key = key_of(keylog)
    check("keylog SSID = stored SSID", ssid, kssid)
    sent, back = split(pcap, port)
    check("probes captured", 5, len(sent))
    check("replies captured", 5, len(back))
    for i, raw in enumerate(sent):
        check("probe %d length" % i, 112, len(raw))
        check("probe %d seq" % i, i, struct.unpack(">I", raw[0:4])[0])
        check("probe %d ssid (offset 26)" % i, ssid, struct.unpack(">H", raw[26:28])[0])
        mbz("probe %d" % i, raw, [(4, 16), (28, 96)])
        ts = struct.unpack(">Q", raw[16:24])[0]
        check("probe %d timestamp within 1 ms of the stored send time" % i, True,
              abs(ntp_ns(ts) - sent_ns[i]) < 10**6)
        check("probe %d HMAC" % i, hmac.new(key, raw[:96], hashlib.sha256).digest()[:16],
              raw[96:112])
    for i, raw in enumerate(back):
        req = sent[i]
        check("reply %d length (symmetric)" % i, 112, len(raw))
        check("reply %d reflector seq" % i, i, struct.unpack(">I", raw[0:4])[0])
        check("reply %d ssid echoed" % i, ssid, struct.unpack(">H", raw[26:28])[0])
        check("reply %d sender seq copied (offset 48)" % i, req[0:4], raw[48:52])
        check("reply %d sender timestamp copied (offset 64)" % i, req[16:24], raw[64:72])
        check("reply %d sender error estimate copied" % i, req[24:26], raw[72:74])
        check("reply %d sender TTL (offset 80)" % i, 64, raw[80])
        mbz("reply %d" % i, raw, [(4, 16), (28, 32), (40, 48), (52, 64), (74, 80), (81, 96)])
        check("reply %d HMAC" % i, hmac.new(key, raw[:96], hashlib.sha256).digest()[:16],
              raw[96:112])


if __name__ == "__main__":
    mode, pcap, db, port = sys.argv[1:5]
    if mode == "plain":
        plain(pcap, db, int(port))
    else:
        auth(pcap, db, int(port), sys.argv[5])
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)
