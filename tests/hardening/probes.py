"""Capture, replay, spoof and flood STAMP probes on loopback (needs root).

usage: probes.py MODE --port P --cport C [options]

P is the reflector's UDP port, C the port a live pktmon-client registered for
its session; everything is IPv4 on 127.0.0.1 ("lo"), normally inside a
network namespace of the calling test. Packets "from the client" are written
with a raw socket (IP_HDRINCL), so they carry the client's own address and
port while the client still holds that port. Replies are counted on an
AF_PACKET socket bound to "lo" (only the received copy of each packet).

Modes (each prints key=value lines):
  capture FILE  record N probes (C -> P) and N replies (P -> C) as hex lines
                "probe HEX" / "reply HEX" (--count N, --timeout S).
  replay FILE   resend the first --count K recorded probes (--kind probe:
                spoofed C -> P) or replies (--kind reply: spoofed P -> C).
  stale FILE    the session is gone and C is free: bind C, send the recorded
                probes from it, count replies for --listen seconds. With
                --after LOG --pattern TEXT it first waits for TEXT in LOG (the
                server's "closed" line) and reports how soon after it sent.
  flood         --ssid S --key HEX: correctly signed 112-octet probes with new
                sequence numbers from --seq0, spoofed C -> P at --pps for
                --seconds; counts the replies to C with their times and
                prints them per window: all, after --settle seconds, and the
                rate.
Standard library only.
"""
import argparse
import hashlib
import hmac
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35  # asm-generic/socket.h; also SCM_TIMESTAMPNS
NTP_UNIX_OFFSET = 2208988800
LO = "127.0.0.1"


def now():
    return time.monotonic()


def ntp_now():
    t = time.time()
    sec = int(t)
    return struct.pack(">II", sec + NTP_UNIX_OFFSET, int((t - sec) * (1 << 32)) & 0xFFFFFFFF)


def probe(seq, ssid, key, size=112):
    """Session-Sender authenticated packet (RFC 8762 4.2.2, SSID at 26)."""
    body = bytearray(size)
    struct.pack_into(">I", body, 0, seq & 0xFFFFFFFF)
    body[16:24] = ntp_now()
    struct.pack_into(">H", body, 24, 0x0001)  # multiplier 1: a valid estimate
    struct.pack_into(">H", body, 26, ssid)
    body[96:112] = hmac.new(key, bytes(body[:96]), hashlib.sha256).digest()[:16]
    return bytes(body)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_udp(src, sport, dst, dport, payload):
    """An IPv4+UDP datagram with a correct UDP checksum (the kernel fills
    the IP header checksum and id for IP_HDRINCL)."""
    ulen = 8 + len(payload)
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    pseudo = s + d + struct.pack("!BBH", 0, socket.IPPROTO_UDP, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64,
                     socket.IPPROTO_UDP, 0, s, d)
    return ip + udp


class Raw:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

    def send(self, src, sport, dst, dport, payload):
        self.s.sendto(ip_udp(src, sport, dst, dport, payload), (dst, 0))


class Tap:
    """Received UDP datagrams on lo: (time, sport, dport, payload), the time
    being the kernel's receive timestamp (CLOCK_REALTIME, as time.time()), so
    a busy test process does not shift packets between windows."""

    def __init__(self):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind(("lo", 0))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.s.setblocking(False)

    def fileno(self):
        return self.s.fileno()

    def drain(self):
        out = []
        while True:
            try:
                frame, anc, _, addr = self.s.recvmsg(65536, 256)
            except BlockingIOError:
                return out
            if addr[2] == PACKET_OUTGOING:
                continue
            t = time.time()
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                    sec, nsec = struct.unpack_from("@qq", data)
                    t = sec + nsec / 1e9
            # lo frames carry a 14-octet Ethernet header of zeros.
            if len(frame) < 14 + 28 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[9] != socket.IPPROTO_UDP:
                continue
            sport, dport, ulen = struct.unpack_from("!HHH", ip, ihl)
            out.append((t, sport, dport, bytes(ip[ihl + 8:ihl + ulen])))

    def wait(self, until):
        """Wait until the monotonic time 'until' for packets; drain them."""
        left = until - now()
        if left > 0:
            select.select([self.s], [], [], left)
        return self.drain()


def out(**kv):
    print(" ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def mode_capture(a):
    tap = Tap()
    probes, replies = [], []
    until = now() + a.timeout
    while now() < until and (len(probes) < a.count or len(replies) < a.count):
        for _, sp, dp, data in tap.wait(min(until, now() + 0.2)):
            if sp == a.cport and dp == a.port and len(probes) < a.count:
                probes.append(data)
            elif sp == a.port and dp == a.cport and len(replies) < a.count:
                replies.append(data)
    with open(a.file, "w") as f:
        for p in probes:
            f.write("probe %s\n" % p.hex())
        for r in replies:
            f.write("reply %s\n" % r.hex())
    seqs = [struct.unpack_from(">I", p)[0] for p in probes]
    out(probes=len(probes), replies=len(replies),
        first_seq=seqs[0] if seqs else "none", last_seq=seqs[-1] if seqs else "none")


def load(a, kind):
    with open(a.file) as f:
        return [bytes.fromhex(h) for k, h in (l.split() for l in f if l.strip()) if k == kind]


def mode_replay(a):
    pkts = load(a, a.kind)[:a.count]
    raw = Raw()
    for p in pkts:
        if a.kind == "probe":
            raw.send(LO, a.cport, LO, a.port, p)
        else:
            raw.send(LO, a.port, LO, a.cport, p)
    out(sent=len(pkts))


def wait_line(path, pattern, until):
    """Poll the file until a line contains pattern; the time it was seen."""
    while now() < until:
        try:
            with open(path, errors="replace") as f:
                if any(pattern in line for line in f):
                    return now()
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    raise SystemExit("'%s' did not appear in %s" % (pattern, path))


def mode_stale(a):
    pkts = load(a, "probe")
    seen = wait_line(a.after, a.pattern, now() + a.timeout) if a.after else now()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:  # the client may hold its port a moment after the close
        try:
            s.bind((LO, a.cport))
            break
        except OSError:
            if now() - seen > 1.0:
                raise
            time.sleep(0.002)
    t_send = now()
    for p in pkts:
        s.sendto(p, (LO, a.port))
    n = 0
    until = now() + a.listen
    while now() < until:
        r, _, _ = select.select([s], [], [], until - now())
        if r:
            s.recvfrom(65536)
            n += 1
    out(sent=len(pkts), replies=n, sent_after_close_ms="%.1f" % ((t_send - seen) * 1000))


def mode_flood(a):
    key = bytes.fromhex(a.key)
    tap, raw = Tap(), Raw()
    gap = 1.0 / a.pps
    t0, w0 = now(), time.time()  # monotonic for pacing, wall for the tap
    end, wend = t0 + a.seconds, w0 + a.seconds
    nxt, seq, sent, times = t0, a.seq0, 0, []

    def take(pkts):
        for tt, sp, dp, _ in pkts:
            if sp == a.port and dp == a.cport and w0 <= tt <= wend + 0.02:
                times.append(tt)

    while True:
        t = now()
        if t >= end:
            break
        if t >= nxt:
            raw.send(LO, a.cport, LO, a.port, probe(seq, a.ssid, key))
            seq += 1
            sent += 1
            nxt += gap
            continue
        take(tap.wait(min(nxt, end)))
    # Replies still in flight on loopback (microseconds); a short grace only,
    # or tokens earned after the window would count.
    take(tap.wait(now() + 0.05))
    late = [t for t in times if t >= w0 + a.settle]
    span = a.seconds - a.settle
    out(sent=sent, seconds="%.3f" % (end - t0), offered_pps="%.1f" % (sent / a.seconds),
        replies=len(times), replies_first_s=sum(1 for t in times if t < w0 + 1.0),
        replies_after_settle=len(late), settle_s=a.settle, window_s="%.3f" % span,
        reply_pps_after_settle="%.2f" % (len(late) / span))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("file", nargs="?")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cport", type=int, required=True)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--kind", choices=("probe", "reply"), default="probe")
    p.add_argument("--listen", type=float, default=1.0)
    p.add_argument("--after")
    p.add_argument("--pattern")
    p.add_argument("--ssid", type=int)
    p.add_argument("--key")
    p.add_argument("--pps", type=float, default=100.0)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--seq0", type=int, default=1000000)
    a = p.parse_args()
    if a.mode in ("capture", "replay", "stale") and not a.file:
        p.error(a.mode + " needs FILE")
    if a.mode == "capture":
        mode_capture(a)
    elif a.mode == "replay":
        mode_replay(a)
    elif a.mode == "stale":
        mode_stale(a)
    elif a.mode == "flood":
        if a.ssid is None or not a.key:
            p.error("flood needs --ssid and --key")
        mode_flood(a)
    else:
        p.error("unknown mode " + a.mode)


if __name__ == "__main__":
    sys.exit(main())
