"""Run a server out of file descriptors and watch what it does meanwhile.

usage: fdflood.py --port N --pid PID [--nofile K] [--conns N] [--settle S]
                  [--sample S]

Lowers the open files limit of PID to K (as if something else held its
descriptors), opens N plain TCP connections to the server and holds them;
after --settle seconds samples the server's CPU time (utime + stime from
/proc/PID/stat) over --sample seconds; then closes every connection.
Prints connected=, fds=, cpu_pct= (of one core), sample_s=, and with --log
the lines the server's log gained from the first connect to the end of the
sample (log_lines=).
Standard library only; run as root (it takes the server's uid to lower
the server's limit).
"""
import argparse
import os
import resource
import socket
import struct
import time


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def proc_ids(pid):
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("Uid:", "Gid:")):
                ids[line[:3]] = int(line.split()[1])
    return ids["Uid"], ids["Gid"]


def lower_nofile(pid, n):
    """prlimit as the server's own user: lowering another user's limit
    needs CAP_SYS_RESOURCE, which a container's root may lack."""
    uid, gid = proc_ids(pid)
    child = os.fork()
    if child == 0:
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (n, n))
            os._exit(0)
        except OSError as e:
            os.write(2, ("prlimit as uid %d: %s\n" % (uid, e)).encode())
            os._exit(1)
    _, status = os.waitpid(child, 0)
    if status != 0:
        raise SystemExit("could not lower the server's open files limit")


def count_lines(path):
    if not path:
        return 0
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--nofile", type=int, default=0)
    p.add_argument("--conns", type=int, default=100)
    p.add_argument("--settle", type=float, default=0.5)
    p.add_argument("--sample", type=float, default=2.0)
    p.add_argument("--log", help="the server's log: lines it gained while held")
    a = p.parse_args()
    if a.nofile:
        lower_nofile(a.pid, a.nofile)
    lines0 = count_lines(a.log)
    socks, failed = [], 0
    for _ in range(a.conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.settimeout(2)
        try:
            s.connect((a.host, a.port))  # completes in the kernel's backlog
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    time.sleep(a.settle)
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.monotonic(), cpu_ticks(a.pid)
    time.sleep(a.sample)
    t1, c1 = time.monotonic(), cpu_ticks(a.pid)
    fds = len(os.listdir("/proc/%d/fd" % a.pid))
    lines = count_lines(a.log) - lines0
    pct = (c1 - c0) / hz / (t1 - t0) * 100
    print("connected=%d connect_failed=%d fds=%d cpu_pct=%.1f sample_s=%.2f "
          "log_lines=%d" % (len(socks), failed, fds, pct, t1 - t0, lines), flush=True)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
