"""Authenticated STAMP probes and reply counting for pktmon's tests.

Standard library only; imported by the test scripts that forge probes.
"""
import hashlib
import hmac
import select
import struct
import time

NTP_UNIX_OFFSET = 2208988800


def ntp_now():
    t = time.time()
    sec = int(t)
    frac = int((t - sec) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack(">II", sec + NTP_UNIX_OFFSET, frac)


def probe(seq, ssid, key=None):
    """A Session-Sender authenticated packet (RFC 8762 4.2.2 + RFC 8972 SSID).

    With key, HMAC-SHA-256 over octets 0..95, first 16 octets at offset 96;
    without, 16 octets that are not the HMAC.
    """
    body = bytearray(112)
    struct.pack_into(">I", body, 0, seq)
    body[16:24] = ntp_now()
    struct.pack_into(">H", body, 24, 0x0001)  # S=0 Z=0 scale 0, multiplier 1
    struct.pack_into(">H", body, 26, ssid)
    if key is None:
        body[96:112] = b"\xa5" * 16
    else:
        body[96:112] = hmac.new(key, bytes(body[:96]), hashlib.sha256).digest()[:16]
    return bytes(body)


def count_replies(sock, seconds):
    """Datagrams that arrive on sock within seconds."""
    replies = 0
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return replies
        r, _, _ = select.select([sock], [], [], left)
        if r:
            sock.recvfrom(65536)
            replies += 1
