#!/usr/bin/python3
"""An RFC 8762 STAMP Session-Reflector that shares no code with pktmon.

stamp_reflector.py [--bind ADDR] [--port N] [--mode unauth|auth]
                   [--key-file FILE] [--stateless] [--drop-every N]
                   [--count N] [--reply-bad-hmac] [--max-seconds S]

Unauthenticated probes (44 octets and up) are parsed and the replies built
with scapy's STAMP layers (scapy.contrib.stamp); scapy has no authenticated
layout, so the 112-octet packets of RFC 8762 §4.2.2/§4.3.2 are read and
written with struct at the offsets of those sections, and their HMAC
(HMAC-SHA-256 over octets 0-95, first 16 octets, §4.4) comes from Python's
hmac module, with a key of any length. Octets past the base packet (RFC 8972 TLVs) are copied back,
so the reply has the size of the probe.

Stateful (the default): the reflector's sequence number is its own count
per (address, port, SSID) from 0. It counts every probe received, also
those --drop-every keeps unanswered, as a reply lost on the way back would
be. --stateless copies the sender's number instead.

A probe whose HMAC fails is discarded, as §4.4 asks; --reply-bad-hmac
answers it anyway (signed with our key), so that a test can see what a
sender does with replies it cannot verify.

stdout: one "ready" line once the socket is bound, and one "done" line with
counts when it ends (after --count datagrams, --max-seconds, or SIGTERM).
"""
import argparse
import hashlib
import hmac
import signal
import socket
import struct
import sys
import time
from fractions import Fraction

from scapy.contrib.stamp import (ErrorEstimate,
                                 STAMPSessionReflectorTestUnauthenticated,
                                 STAMPSessionSenderTestUnauthenticated)

NTP_UNIX = 2208988800
UNAUTH_LEN, AUTH_LEN = 44, 112
# Not in Python 3.11's socket module: the Linux values (asm-generic).
SO_TIMESTAMPNS = 35
IP_RECVTTL = 12
# Our clock error, for the Error Estimate (S = 0: not synchronised).
CLOCK_ERROR_NS = 1000000


def ntp_of_ns(ns):
    """Unix nanoseconds to the 64-bit NTP format, as an integer."""
    sec, rem = divmod(ns, 10**9)
    return ((sec + NTP_UNIX) << 32) | ((rem << 32) // 10**9)


def ntp_field(v):
    """A 64-bit NTP value for scapy's TimeStampField, exactly: the field
    takes seconds and a float would round the fraction."""
    return Fraction(v, 1 << 32)


def error_estimate(err_ns):
    """(scale, multiplier): Multiplier x 2^(Scale-32) s >= err_ns, the
    multiplier 1..255 (RFC 4656 §4.1.2; 0 is invalid)."""
    units = -(-(err_ns << 32) // 10**9)
    scale = 0
    while -(-units // (1 << scale)) > 255:
        scale += 1
    return scale, max(1, -(-units // (1 << scale)))


EE_SCALE, EE_MULT = error_estimate(CLOCK_ERROR_NS)


class Reflector:
    def __init__(self, args):
        self.args = args
        self.key = load_key(args.key_file) if args.key_file else None
        self.counters = {}	# (addr, port, ssid) -> next reflector seq
        self.n = dict(received=0, replied=0, dropped=0, bad_hmac=0,
                      malformed=0, mbz_nonzero=0, seq_gaps=0)
        self.ssids = set()
        self.last_seq = {}
        self.accepted = 0

    def refl_seq(self, peer, ssid, sender_seq):
        if self.args.stateless:
            return sender_seq
        k = (peer[0], peer[1], ssid)
        seq = self.counters.get(k, 0)
        self.counters[k] = (seq + 1) & 0xffffffff
        return seq

    def note_sender(self, peer, ssid, seq, mbz_ok):
        """What the sender did, for the done line: its SSID, MBZ octets,
        and whether its numbers grow by one."""
        self.ssids.add(ssid)
        if not mbz_ok:
            self.n["mbz_nonzero"] += 1
        k = (peer[0], peer[1], ssid)
        if k in self.last_seq and seq != (self.last_seq[k] + 1) & 0xffffffff:
            self.n["seq_gaps"] += 1
        self.last_seq[k] = seq

    def build_unauth(self, data, peer, rx_ntp, ttl):
        s = STAMPSessionSenderTestUnauthenticated(data[:UNAUTH_LEN])
        if s.err_estimate.multiplier == 0:
            return None		# RFC 8762 §4.2.1: invalid, discard
        self.note_sender(peer, s.ssid, s.seq, s.mbz == 0)
        r = STAMPSessionReflectorTestUnauthenticated(
            seq=self.refl_seq(peer, s.ssid, s.seq),
            ts=0,		# stamped just before the send
            err_estimate=ErrorEstimate(S=0, Z=0, scale=EE_SCALE, multiplier=EE_MULT),
            ssid=s.ssid,
            ts_rx=ntp_field(rx_ntp),
            seq_sender=s.seq,
            ts_sender=ntp_field(s.getfieldval("ts")),
            err_estimate_sender=ErrorEstimate(bytes(s.err_estimate)),
            mbz1=0,
            ttl_sender=ttl,
            mbz2=0)
        out = bytes(r)
        # What §4.3.1 says is copied must be the probe's octets exactly
        # (sequence number, timestamp, error estimate).
        if out[24:38] != data[0:14] or len(out) != UNAUTH_LEN:
            sys.exit("stamp_reflector: scapy did not copy the sender fields")
        return bytearray(out) + data[UNAUTH_LEN:]

    def build_auth(self, data, peer, rx_ntp, ttl):
        seq, = struct.unpack_from(">I", data, 0)
        ts, ee, ssid = struct.unpack_from(">QHH", data, 16)
        if ee & 0xff == 0:
            return None
        self.note_sender(peer, ssid, seq, data[4:16] == bytes(12) and
                         data[28:96] == bytes(68))
        out = bytearray(data)		# TLVs past octet 112 come back as sent
        out[:AUTH_LEN] = bytes(AUTH_LEN)
        struct.pack_into(">I", out, 0, self.refl_seq(peer, ssid, seq))
        struct.pack_into(">HH", out, 24, (EE_SCALE << 8) | EE_MULT, ssid)
        struct.pack_into(">Q", out, 32, rx_ntp)
        struct.pack_into(">I", out, 48, seq)
        struct.pack_into(">QH", out, 64, ts, ee)
        out[80] = ttl
        return out

    def handle(self, data, peer, rx_ns, ttl):
        auth = self.args.mode == "auth"
        base = AUTH_LEN if auth else UNAUTH_LEN
        if len(data) < base:
            self.n["malformed"] += 1
            return
        if auth and self.key is not None and not hmac.compare_digest(
                mac(self.key, data), data[96:112]):
            self.n["bad_hmac"] += 1
            if not self.args.reply_bad_hmac:
                return
        rx_ntp = ntp_of_ns(rx_ns)
        build = self.build_auth if auth else self.build_unauth
        out = build(data, peer, rx_ntp, ttl if ttl is not None else 255)
        if out is None:
            self.n["malformed"] += 1
            return
        self.accepted += 1
        if self.args.drop_every and self.accepted % self.args.drop_every == 0:
            self.n["dropped"] += 1
            return
        # Transmit timestamp as late as possible, then the HMAC over it.
        tx_off = 16 if auth else 4
        struct.pack_into(">Q", out, tx_off, ntp_of_ns(time.time_ns()))
        if auth:
            out[96:112] = mac(self.key, out) if self.key else bytes(16)
        self.sock.sendto(out, peer)
        self.n["replied"] += 1

    def open(self):
        fam = socket.AF_INET6 if ":" in self.args.bind else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.kernel_rx = True
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            self.kernel_rx = False
        if fam == socket.AF_INET:
            self.sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        else:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        self.sock.bind((self.args.bind, self.args.port))
        return self.sock.getsockname()[1]

    def recv(self):
        data, anc, _, peer = self.sock.recvmsg(
            65536, socket.CMSG_SPACE(16) + socket.CMSG_SPACE(4))
        rx_ns, ttl = None, None
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("@qq", val[:16])
                rx_ns = sec * 10**9 + nsec
            elif (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL),
                                   (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)):
                ttl, = struct.unpack("@i", val[:4])
        return data, peer, rx_ns if rx_ns is not None else time.time_ns(), ttl

    def run(self):
        end = time.monotonic() + self.args.max_seconds
        while self.args.count == 0 or self.n["received"] < self.args.count:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data, peer, rx_ns, ttl = self.recv()
            except socket.timeout:
                break
            self.n["received"] += 1
            self.handle(data, peer[:2], rx_ns, ttl)

    def done_line(self):
        return "done " + " ".join("%s=%d" % kv for kv in self.n.items()) + \
            " ssids=" + (",".join(str(s) for s in sorted(self.ssids)) or "-")


def mac(key, pkt):
    return hmac.new(key, bytes(pkt[:96]), hashlib.sha256).digest()[:16]


def load_key(path):
    """The HMAC key in hex, of any length (HMAC takes any, RFC 2104): white
    space ignored, an optional 0x in front."""
    text = "".join(open(path).read().split())
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    try:
        key = bytes.fromhex(text)
    except ValueError:
        sys.exit("stamp_reflector: %s: not hexadecimal" % path)
    if not key:
        sys.exit("stamp_reflector: %s: empty key" % path)
    return key


def positive(s):
    v = int(s)
    if v < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=positive, default=862, help="0: any free port")
    ap.add_argument("--mode", choices=("unauth", "auth"), default="unauth")
    ap.add_argument("--key-file", help="the HMAC key in hex, any length (auth mode)")
    ap.add_argument("--stateless", action="store_true")
    ap.add_argument("--drop-every", type=positive, default=0, metavar="N",
                    help="leave every Nth valid probe unanswered")
    ap.add_argument("--count", type=positive, default=0, metavar="N",
                    help="exit after N datagrams")
    ap.add_argument("--reply-bad-hmac", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=30.0)
    args = ap.parse_args()
    if args.mode == "auth" and not args.key_file:
        ap.error("--mode auth needs --key-file")
    r = Reflector(args)
    port = r.open()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready on %s port %d mode=%s %s rx=%s ee=scale %d multiplier %d" % (
        args.bind, port, args.mode, "stateless" if args.stateless else "stateful",
        "SO_TIMESTAMPNS" if r.kernel_rx else "time_ns", EE_SCALE, EE_MULT),
        flush=True)
    try:
        r.run()
    finally:
        print(r.done_line(), flush=True)


if __name__ == "__main__":
    main()
