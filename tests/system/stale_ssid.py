"""Send correctly signed probes of a session the server no longer knows.

usage: stale_ssid.py HOST PORT SSID KEYHEX CLIENT_PORT COUNT

Sends COUNT authenticated 112-octet STAMP probes (RFC 8762 4.2.2 with the
RFC 8972 SSID, HMAC-SHA-256 over octets 0..95, first 16 octets at offset 96)
with SSID and KEYHEX, from CLIENT_PORT when that port is free again (the
session's own source), else from any port. Then listens for 1 s and prints
"replies=N sent=COUNT port=P". Standard library only.
"""
import hashlib
import hmac
import select
import socket
import struct
import sys
import time

NTP_UNIX_OFFSET = 2208988800


def probe(seq, ssid, key):
    body = bytearray(112)
    struct.pack_into(">I", body, 0, seq)
    t = time.time()
    sec = int(t)
    struct.pack_into(">II", body, 16, sec + NTP_UNIX_OFFSET,
                     int((t - sec) * (1 << 32)) & 0xFFFFFFFF)
    struct.pack_into(">H", body, 24, 0x0001)  # S=0 Z=0 scale 0, multiplier 1
    struct.pack_into(">H", body, 26, ssid)
    body[96:112] = hmac.new(key, bytes(body[:96]), hashlib.sha256).digest()[:16]
    return bytes(body)


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    host, port, ssid, keyhex, client_port, count = sys.argv[1:7]
    port, ssid, client_port, count = int(port), int(ssid), int(client_port), int(count)
    key = bytes.fromhex(keyhex)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.bind((host, client_port))
    except OSError:
        s.bind((host, 0))
    for i in range(count):
        s.sendto(probe(1000 + i, ssid, key), (host, port))
    replies = 0
    deadline = time.monotonic() + 1.0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if r:
            s.recvfrom(65536)
            replies += 1
    print("replies=%d sent=%d port=%d" % (replies, count, s.getsockname()[1]))


if __name__ == "__main__":
    main()
