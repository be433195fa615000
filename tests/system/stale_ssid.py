"""Send correctly signed probes of a session the server no longer knows.

usage: stale_ssid.py HOST PORT SSID KEYHEX CLIENT_PORT COUNT

Sends COUNT authenticated 112-octet STAMP probes (RFC 8762 4.2.2 with the
RFC 8972 SSID, HMAC-SHA-256 over octets 0..95, first 16 octets at offset 96)
with SSID and KEYHEX, from CLIENT_PORT when that port is free again (the
session's own source), else from any port. Then listens for 1 s and prints
"replies=N sent=COUNT port=P". Standard library only.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from stampkit import count_replies, probe  # noqa: E402


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
    replies = count_replies(s, 1.0)
    print("replies=%d sent=%d port=%d" % (replies, count, s.getsockname()[1]))


if __name__ == "__main__":
    main()
