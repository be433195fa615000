"""Send probes the reflector must drop, and count the replies it sends.

usage: bad_probes.py HOST PORT SSID KEYHEX CLIENT_PORT

Sends, from a socket of its own (so from a source port that no session
registered), in this order:
  20 authenticated 112-octet probes with the session's SSID and a wrong HMAC,
  20 with the session's SSID and a correct HMAC (HMAC-SHA-256 over octets
     0..95, first 16 octets at offset 96), far-ahead sequence numbers,
  20 datagrams of 0, 1, 47 and 1473 octets,
  20 correctly signed probes with an SSID no session has.
Then listens for 1.5 s and prints "replies=N sent=80". Standard library only.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from stampkit import count_replies, probe  # noqa: E402


def main():
    host, port, ssid, keyhex, client_port = sys.argv[1:6]
    port, ssid, client_port = int(port), int(ssid), int(client_port)
    key = bytes.fromhex(keyhex)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
    if s.getsockname()[1] == client_port:
        sys.exit("bad_probes: got the client's own port; cannot test")
    dst = (host, port)
    sent = 0

    for i in range(20):  # right SSID, wrong HMAC
        s.sendto(probe(i, ssid), dst)
        sent += 1
    for i in range(20):  # right SSID and HMAC, wrong source port
        s.sendto(probe(1000000 + i, ssid, key), dst)
        sent += 1
    for i in range(20):  # lengths no STAMP session uses
        s.sendto(os.urandom((0, 1, 47, 1473)[i % 4]), dst)
        sent += 1
    other = (ssid + 0x5A5A) & 0xFFFF or 1
    for i in range(20):  # unknown SSID, signed with the session's key
        s.sendto(probe(i, other, key), dst)
        sent += 1

    replies = count_replies(s, 1.5)
    print("replies=%d sent=%d" % (replies, sent))


if __name__ == "__main__":
    main()
