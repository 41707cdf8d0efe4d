#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Servers and clients for selftests/nat.sh, so that hundreds of short
connections do not cost hundreds of processes in a slow guest.

serve NAME [--tcp PORT] [--udp PORT]
    TCP: the client's first line says what to do:
      NAME      answer "NAME\\n" and close
      HOLD      answer "NAME\\n", then echo until the client closes
      ECHO      send back every byte until EOF
    UDP: answer each datagram with "NAME " followed by the datagram.
names ADDR PORT COUNT [--src ADDR[,ADDR...]] [--tries N]
    COUNT short connections (source addresses used in turn); prints a JSON
    object {"name": count, ...}; "fail" counts connections that failed.
hold ADDR PORT COUNT [--then CMD] [--new N] [--new-hold]
    Opens COUNT connections (HOLD) and keeps them, runs CMD, checks which
    held connections still echo, then opens N new ones (kept open too with
    --new-hold); prints JSON {"held": [names], "alive": [bools],
    "ping_time": seconds, "new": {name: count}}.
udpflows ADDR PORT SPORT[,SPORT...] [--then CMD] [--new N]
    One datagram per source port, CMD, the same again, then N datagrams
    from new ports; prints JSON {"before": [names], "after": [names],
    "new": {name: count}}.
echo ADDR PORT INFILE OUTFILE
    Sends INFILE on a connection (ECHO), writes what comes back to OUTFILE.
udp ADDR PORT SIZE [--count N] [--sport P] [--timeout S]
    Sends SIZE-byte datagrams and checks each answer carries the payload;
    prints the answering names, one a line.
refused ADDR PORT
    Exit 0 if a datagram on a connected UDP socket is refused (ICMP).
reuse ADDR PORT SPORT
    Connects twice from the same source port (SO_REUSEADDR); the server
    closes the first, so nflb's entry for it is in TIME_WAIT when the second
    SYN comes; prints the seconds the second exchange took, and its backend.
"""
import argparse
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time


IP_PKTINFO = 8      # <linux/in.h>; not in every Python's socket module


def serve_tcp_conn(conn, name, buf=b""):
    try:
        conn.settimeout(600)
        while b"\n" not in buf:
            d = conn.recv(4096)
            if not d:
                return
            buf += d
        cmd, rest = buf.split(b"\n", 1)
        if cmd == b"NAME":
            conn.sendall(name.encode() + b"\n")
        elif cmd == b"HOLD":
            conn.sendall(name.encode() + b"\n")
            while True:
                d = conn.recv(4096)
                if not d:
                    break
                conn.sendall(d)
        elif cmd == b"ECHO":
            if rest:
                conn.sendall(rest)
            while True:
                d = conn.recv(1 << 16)
                if not d:
                    break
                conn.sendall(d)
            conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def serve(args):
    socks = []
    if args.tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", args.tcp))
        s.listen(512)
        socks.append(s)
    if args.udp:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        u.bind(("0.0.0.0", args.udp))
        socks.append(u)
    # Accepted connections wait in the loop for their first request
    # instead of being read here: a client that never sends one (its
    # director went away mid-handshake, as in t_rmmod) would otherwise hold
    # the UDP socket unserved for the whole read timeout.  (poll: no limit
    # on the descriptors' numbers, as select() has.)
    poller = select.poll()
    byfd = {}
    pending = {}
    for s in socks:
        byfd[s.fileno()] = s
        poller.register(s, select.POLLIN)

    def forget(c):
        poller.unregister(c)
        del byfd[c.fileno()]
        del pending[c]

    while True:
        now = time.monotonic()
        for c, since in list(pending.items()):
            if now - since > 5:
                forget(c)
                c.close()
        for fd, _ in poller.poll(1000):
            s = byfd.get(fd)
            if s is None:
                continue
            if s in pending:
                forget(s)
                try:
                    first = s.recv(4096)
                except OSError:
                    first = b""
                if not first:
                    s.close()
                elif first == b"NAME\n":
                    # Short requests are answered here: a thread per
                    # connection is slow in an emulated guest.
                    try:
                        s.sendall(args.name.encode() + b"\n")
                    except OSError:
                        pass
                    s.close()
                else:
                    threading.Thread(target=serve_tcp_conn,
                                     args=(s, args.name, first),
                                     daemon=True).start()
            elif s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                c.settimeout(5)
                pending[c] = now
                byfd[c.fileno()] = c
                poller.register(c, select.POLLIN)
            else:
                # Answered from the address it was sent to, as a
                # server bound to each of its addresses would (a host
                # with more than one, like the director, would otherwise
                # answer from the one toward the peer).
                d, anc, _, peer = s.recvmsg(65536, 256)
                out = [(socket.IPPROTO_IP, IP_PKTINFO,
                        bytes(4) + c[8:12] + bytes(4))
                       for lvl, typ, c in anc
                       if lvl == socket.IPPROTO_IP and typ == IP_PKTINFO]
                s.sendmsg([args.name.encode() + b" " + d], out, 0, peer)


def connect(addr, port, src=None, sport=0, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if src or sport:
        s.bind((src or "0.0.0.0", sport))
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def readline(s):
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(256)
        if not d:
            break
        buf += d
    return buf.decode().strip()


def names(args):
    srcs = args.src.split(",") if args.src else [None]
    counts = {}
    per_src = {}
    for i in range(args.count):
        src = srcs[i % len(srcs)]
        name = "fail"
        for _ in range(args.tries):
            try:
                s = connect(args.addr, args.port, src)
                s.sendall(b"NAME\n")
                name = readline(s) or "fail"
                s.close()
                break
            except OSError:
                time.sleep(0.2)
        counts[name] = counts.get(name, 0) + 1
        if src:
            per_src.setdefault(src, {})
            per_src[src][name] = per_src[src].get(name, 0) + 1
    print(json.dumps(per_src if args.by_src else counts, sort_keys=True))


def ping(s, timeout):
    """True if the connection still echoes; False on reset, EOF, timeout."""
    try:
        s.settimeout(timeout)
        s.sendall(b"ping\n")
        return readline(s) == "ping"
    except OSError:
        return False


def hold(args):
    held = []
    for _ in range(args.count):
        s = connect(args.addr, args.port)
        s.sendall(b"HOLD\n")
        held.append((s, readline(s)))
    if args.then:
        subprocess.run(args.then, shell=True, check=True)
    alive = []
    t0 = time.monotonic()
    for s, _ in held:
        alive.append(ping(s, args.ping_timeout))
    ping_time = time.monotonic() - t0
    new = {}
    for _ in range(args.new):
        name = "fail"
        try:
            s = connect(args.addr, args.port)
            if args.new_hold:
                s.sendall(b"HOLD\n")
                name = readline(s) or "fail"
                held.append((s, name))
            else:
                s.sendall(b"NAME\n")
                name = readline(s) or "fail"
                s.close()
        except OSError:
            pass
        new[name] = new.get(name, 0) + 1
    print(json.dumps({"held": [n for _, n in held[:args.count]],
                      "alive": alive, "ping_time": round(ping_time, 3),
                      "new": new}, sort_keys=True))
    for s, _ in held:
        s.close()


def udpflows(args):
    def ask(sock, tries=1):
        # An admitted flow may retry: a datagram the slow guest answers
        # late is not what these tests look at, and a retry from the
        # same port uses the same entry.  New flows get one try, so a
        # refusal still shows as "fail".
        for _ in range(tries):
            try:
                sock.sendto(b"x", (args.addr, args.port))
                d, src = sock.recvfrom(65536)
                if src[0] != args.addr:
                    # Not translated back: the director lost the entry.
                    return "from " + src[0]
                return d.partition(b" ")[0].decode()
            except OSError:
                pass
        return "fail"

    socks = []
    for p in args.sports.split(","):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", int(p)))
        u.settimeout(args.timeout)
        socks.append(u)
    before = [ask(u, 3) for u in socks]
    if args.then:
        subprocess.run(args.then, shell=True, check=True)
    after = [ask(u, 3) for u in socks]
    new = {}
    for _ in range(args.new):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(args.timeout)
        name = ask(u)
        new[name] = new.get(name, 0) + 1
        u.close()
    print(json.dumps({"before": before, "after": after, "new": new},
                     sort_keys=True))


def echo(args):
    s = connect(args.addr, args.port, timeout=120)
    s.sendall(b"ECHO\n")
    out = open(args.outfile, "wb")

    def reader():
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            out.write(d)

    t = threading.Thread(target=reader)
    t.start()
    with open(args.infile, "rb") as f:
        while True:
            d = f.read(1 << 16)
            if not d:
                break
            s.sendall(d)
    s.shutdown(socket.SHUT_WR)
    t.join()
    out.close()
    s.close()


def udp(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.sport or args.src:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.src or "0.0.0.0", args.sport))
    s.settimeout(args.timeout)
    ok = True
    for i in range(args.count):
        payload = bytes((i + j) & 0xff for j in range(args.size))
        s.sendto(payload, (args.addr, args.port))
        try:
            d, peer = s.recvfrom(65536)
        except socket.timeout:
            print("timeout", flush=True)
            ok = False
            continue
        name, _, body = d.partition(b" ")
        if body != payload or peer != (args.addr, args.port):
            print("bad-reply %d bytes from %s" % (len(body), peer),
                  flush=True)
            ok = False
            continue
        print(name.decode(), flush=True)
        if args.interval:
            time.sleep(args.interval)
    sys.exit(0 if ok else 1)


def refused(args):
    """Exit 0 if a connected UDP socket gets ECONNREFUSED within 3 s."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect((args.addr, args.port))
    u.settimeout(3)
    try:
        u.send(b"x")
        u.recv(100)
        print("an answer came")
    except ConnectionRefusedError:
        print("refused")
        sys.exit(0)
    except OSError as e:
        print("no refusal: %s" % e)
    sys.exit(1)


def reuse(args):
    s = connect(args.addr, args.port, sport=args.sport)
    s.sendall(b"NAME\n")
    while s.recv(256):  # the server closes first: the backend holds
        pass            # TIME_WAIT, this port is free at once
    s.close()
    time.sleep(0.3)    # let the last ACK through: the entry is TIME_WAIT
    t0 = time.monotonic()
    s = connect(args.addr, args.port, sport=args.sport, timeout=10)
    s.sendall(b"NAME\n")
    name = readline(s)
    dt = time.monotonic() - t0
    s.close()
    print("%.3f %s" % (dt, name))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("serve")
    a.add_argument("name")
    a.add_argument("--tcp", type=int, default=0)
    a.add_argument("--udp", type=int, default=0)
    a = sub.add_parser("names")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("count", type=int)
    a.add_argument("--src")
    a.add_argument("--by-src", action="store_true")
    a.add_argument("--tries", type=int, default=1)
    a = sub.add_parser("hold")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("count", type=int)
    a.add_argument("--then")
    a.add_argument("--new", type=int, default=0)
    a.add_argument("--new-hold", action="store_true")
    a.add_argument("--ping-timeout", type=float, default=3)
    a = sub.add_parser("udpflows")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("sports")
    a.add_argument("--then")
    a.add_argument("--new", type=int, default=0)
    a.add_argument("--timeout", type=float, default=3)
    a = sub.add_parser("echo")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("infile")
    a.add_argument("outfile")
    a = sub.add_parser("udp")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("size", type=int)
    a.add_argument("--count", type=int, default=1)
    a.add_argument("--sport", type=int, default=0)
    a.add_argument("--src")
    a.add_argument("--timeout", type=float, default=3)
    a.add_argument("--interval", type=float, default=0)
    a = sub.add_parser("refused")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a = sub.add_parser("reuse")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("sport", type=int)
    args = p.parse_args()
    globals()[args.cmd](args)


if __name__ == "__main__":
    main()
