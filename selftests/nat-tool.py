#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Servers and clients for selftests/nat.sh, so that hundreds of short
connections do not cost hundreds of processes in a slow guest.

serve NAME [--tcp PORT] [--udp PORT]
    TCP: the client's first line says what to do:
      NAME      answer "NAME\\n" and close
      HOLD      answer "NAME\\n", keep the connection until the client closes
      ECHO      send back every byte until EOF
    UDP: answer each datagram with "NAME " followed by the datagram.
names ADDR PORT COUNT [--src ADDR[,ADDR...]] [--tries N]
    COUNT short connections (source addresses used in turn); prints a JSON
    object {"name": count, ...}; "fail" counts connections that failed.
hold ADDR PORT COUNT
    Opens COUNT connections and keeps them; prints the backend names, one a
    line, then "ready"; closes them when stdin reaches EOF.
echo ADDR PORT INFILE OUTFILE
    Sends INFILE on a connection (ECHO), writes what comes back to OUTFILE.
udp ADDR PORT SIZE [--count N] [--sport P] [--timeout S]
    Sends SIZE-byte datagrams and checks each answer carries the payload;
    prints the answering names, one a line.
reuse ADDR PORT SPORT
    Connects twice from the same source port (SO_REUSEADDR), closing the
    first actively so that it sits in TIME_WAIT; prints the seconds the
    second connect took.
"""
import argparse
import json
import os
import select
import socket
import sys
import threading
import time


def serve_tcp_conn(conn, name):
    try:
        conn.settimeout(600)
        buf = b""
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
            while conn.recv(4096):
                pass
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
        u.bind(("0.0.0.0", args.udp))
        socks.append(u)
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            if s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                threading.Thread(target=serve_tcp_conn, args=(c, args.name),
                                 daemon=True).start()
            else:
                d, peer = s.recvfrom(65536)
                s.sendto(args.name.encode() + b" " + d, peer)


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


def hold(args):
    conns = []
    for _ in range(args.count):
        s = connect(args.addr, args.port)
        s.sendall(b"HOLD\n")
        print(readline(s), flush=True)
        conns.append(s)
    print("ready", flush=True)
    sys.stdin.read()
    for s in conns:
        s.close()


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
    if args.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", args.sport))
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


def reuse(args):
    s = connect(args.addr, args.port, sport=args.sport)
    s.sendall(b"NAME\n")
    readline(s)
    s.close()          # we close first: our side goes to TIME_WAIT
    time.sleep(0.3)    # let the FIN handshake finish
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
    a.add_argument("--timeout", type=float, default=3)
    a.add_argument("--interval", type=float, default=0)
    a = sub.add_parser("reuse")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("sport", type=int)
    args = p.parse_args()
    globals()[args.cmd](args)


if __name__ == "__main__":
    main()
