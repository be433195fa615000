"""Forged STAMP probes for T20 (spoofed source) and T21 (sizes); needs root.

usage: probe_forge.py MODE --port P [options]

P is the reflector's UDP port on 127.0.0.1, normally inside the calling
test's own network namespace. Probes "from" an address and port are written
with a raw socket (IP_HDRINCL); replies are read on an AF_PACKET socket on
"lo" (the Tap of probes.py: received copies only). Each mode prints one line
of key=value pairs.

Modes:
  spoof   --ssid S --key HEX --from A:PORT[,A:PORT...] --count N: N correctly
          signed probes (--size octets, new sequence numbers from --seq0)
          from each source; counts every reply the reflector sends to any
          address:port other than the registered --peer A:PORT while it sends
          and for --listen seconds after.
  sizes   --ssid S --key HEX --peer A:PORT --sizes L,L,... --count N: for
          each length, N datagrams of random octets from a socket of its own,
          and N from the registered peer (raw) that are the session's probe,
          correctly signed with new sequence numbers, cut to or padded to the
          length; counts the replies to the own socket and the replies to the
          peer that answer a forged sequence number (sender sequence number
          at offset 48 of the reply), for --listen seconds after.
  measure --seconds T: every request to P and every reply from P on "lo"
          for T seconds (prints "ready" first, on its own line); pairs each
          reply with its request by SSID (offset 26) and sequence number
          (request offset 0, reply offset 48) and compares their lengths.
Standard library only (and probes.py beside it).
"""
import argparse
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probes import LO, Raw, Tap, now, out, probe  # noqa: E402


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def listen(tap, seconds, take):
    """Hand every packet of the next 'seconds' to take (Tap.wait returns at
    the first readable packet, so loop to the end)."""
    until = now() + seconds
    while True:
        take(tap.wait(until))
        if now() >= until:
            take(tap.drain())
            return


def mode_spoof(a):
    key = bytes.fromhex(a.key)
    peer = addr(a.peer)
    srcs = [addr(s) for s in a.sources.split(",")]
    tap, raw = Tap(), Raw()
    seq, sent, elsewhere, to_peer = a.seq0, 0, [], 0

    def take(pkts):
        nonlocal to_peer
        for _, sp, dp, data in pkts:
            if sp != a.port:
                continue
            # Tap has no addresses; a reply to the peer's port may still be
            # the real client's. Replies to other ports are elsewhere for sure.
            if dp == peer[1]:
                to_peer += 1
            else:
                elsewhere.append(dp)

    for src in srcs:
        for _ in range(a.count):
            raw.send(src[0], src[1], LO, a.port, probe(seq, a.ssid, key, a.size))
            seq += 1
            sent += 1
            listen(tap, a.gap, take)
    listen(tap, a.listen, take)
    out(sent=sent, sources=len(srcs), per_source=a.count,
        replies_other_port=len(elsewhere), replies_peer_port=to_peer)


def mode_sizes(a):
    key = bytes.fromhex(a.key)
    peer = addr(a.peer)
    sizes = [int(x) for x in a.sizes.split(",")]
    tap, raw = Tap(), Raw()
    own = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    own.bind((LO, 0))
    own.setblocking(False)
    own_port = own.getsockname()[1]
    if own_port == peer[1]:
        sys.exit("probe_forge: got the peer's port for the own socket")
    seq, forged = a.seq0, set()
    sent_own = sent_peer = 0
    to_own, to_peer, reply_lens = 0, 0, []

    def take(pkts):
        nonlocal to_own, to_peer
        for _, sp, dp, data in pkts:
            if sp != a.port:
                continue
            if dp == own_port:
                to_own += 1
                reply_lens.append(len(data))
            elif dp == peer[1] and len(data) >= 52:
                ssid = struct.unpack_from(">H", data, 26)[0]
                sseq = struct.unpack_from(">I", data, 48)[0]
                if ssid == a.ssid and sseq in forged:
                    to_peer += 1
                    reply_lens.append(len(data))

    def drain_own():
        while True:
            try:
                own.recvfrom(65536)
            except BlockingIOError:
                return

    for n in sizes:
        for _ in range(a.count):
            own.sendto(os.urandom(n), (LO, a.port))
            sent_own += 1
            signed = probe(seq, a.ssid, key, max(n, 112))[:n]
            forged.add(seq)
            seq += 1
            raw.send(peer[0], peer[1], LO, a.port, signed)
            sent_peer += 1
            listen(tap, a.gap, take)
            drain_own()
    listen(tap, a.listen, take)
    drain_own()
    out(sizes=",".join(map(str, sizes)), sent_own=sent_own, sent_peer=sent_peer,
        replies_own=to_own, replies_forged=to_peer,
        reply_sizes=",".join(map(str, sorted(set(reply_lens)))) or "none")


def mode_measure(a):
    tap = Tap()
    print("ready", flush=True)
    reqs, reps = {}, []
    until = now() + a.seconds
    while now() < until:
        for _, sp, dp, data in tap.wait(min(until, now() + 0.2)):
            if dp == a.port and len(data) >= 28:
                ssid = struct.unpack_from(">H", data, 26)[0]
                reqs[(ssid, struct.unpack_from(">I", data, 0)[0])] = len(data)
            elif sp == a.port:
                reps.append(data)
    unmatched = mismatched = rep_bytes = req_bytes = 0
    rep_sizes, req_sizes = set(), set(reqs.values())
    for data in reps:
        rep_sizes.add(len(data))
        if len(data) < 52:
            unmatched += 1
            continue
        k = (struct.unpack_from(">H", data, 26)[0], struct.unpack_from(">I", data, 48)[0])
        if k not in reqs:
            unmatched += 1
            continue
        rep_bytes += len(data)
        req_bytes += reqs[k]
        if len(data) != reqs[k]:
            mismatched += 1
    out(requests=len(reqs), replies=len(reps), unmatched=unmatched, mismatched=mismatched,
        request_sizes=",".join(map(str, sorted(req_sizes))) or "none",
        reply_sizes=",".join(map(str, sorted(rep_sizes))) or "none",
        reply_octets=rep_bytes, request_octets=req_bytes,
        amplification="%.4f" % (rep_bytes / req_bytes) if req_bytes else "none")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("spoof", "sizes", "measure"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--peer", default="127.0.0.1:0")
    p.add_argument("--from", dest="sources", default="")
    p.add_argument("--ssid", type=int)
    p.add_argument("--key")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--sizes", default="0,1,47,1473,65507")
    p.add_argument("--seq0", type=int, default=3000000)
    p.add_argument("--gap", type=float, default=0.002)
    p.add_argument("--listen", type=float, default=0.5)
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    if a.mode in ("spoof", "sizes") and (a.ssid is None or not a.key):
        p.error(a.mode + " needs --ssid and --key")
    if a.mode == "spoof":
        if not a.sources:
            p.error("spoof needs --from")
        mode_spoof(a)
    elif a.mode == "sizes":
        mode_sizes(a)
    else:
        mode_measure(a)


if __name__ == "__main__":
    sys.exit(main())
