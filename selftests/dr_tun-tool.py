#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Servers, clients and a packet sniffer for selftests/dr_tun.sh.

serve NAME PORT [--udp]
    TCP: the client's first line says what to do:
      NAME      answer "NAME MSS\\n" (MSS: the connection's send MSS, which
                the client's SYN set) and close
      ECHO      send back every byte until EOF
      SEND N    send N bytes (a fixed pattern) and close
    UDP (--udp): answer each datagram with "NAME " and the datagram, from
    the address it was sent to (a dr/tun backend holds the VIP).
names ADDR PORT COUNT
    COUNT short connections; prints JSON {"NAME": count, ...} ("fail"
    counts the ones that failed).
echo ADDR PORT INFILE OUTFILE [--timeout S]
    Sends INFILE (ECHO), writes what comes back to OUTFILE.
fetch ADDR PORT N [--src ADDR]
    Asks for N bytes (SEND), checks them, prints the count.
udp ADDR PORT SIZE COUNT
    COUNT datagrams of SIZE bytes from one socket; each answer must carry
    the payload; prints the answering names, one a line.
sniff IFACE OUTFILE [--gue-port P] [--count N] [--timeout S]
    Captures IPv4 on IFACE (an AF_PACKET socket, so it needs no tcpdump)
    and writes one JSON object a line for each TCP SYN and ICMP error it
    sees, decapsulating IPIP and GUE on the way: addresses, ports, the MSS
    option, the ICMP type, code, MTU and the header it quotes, and the
    outer headers of a tunnelled packet.  Writes "ready" to OUTFILE.ready
    once capturing.
icmp-frag DST QSRC QSPORT QDST QDPORT MTU
    Sends ICMP "fragmentation needed" (next-hop MTU MTU) to DST quoting a
    TCP packet QSRC:QSPORT -> QDST:QDPORT, as a router would.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import threading
import time

PATTERN = bytes(range(256)) * 256
IP_PKTINFO = 8      # <linux/in.h>; not in every Python's socket module


def serve_tcp(conn, name):
    try:
        conn.settimeout(600)
        buf = b""
        while b"\n" not in buf:
            d = conn.recv(4096)
            if not d:
                return
            buf += d
        cmd, rest = buf.split(b"\n", 1)
        words = cmd.split()
        if words[0] == b"NAME":
            mss = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
            conn.sendall(("%s %d\n" % (name, mss)).encode())
        elif words[0] == b"ECHO":
            if rest:
                conn.sendall(rest)
            while True:
                d = conn.recv(1 << 16)
                if not d:
                    break
                conn.sendall(d)
        elif words[0] == b"SEND":
            left = int(words[1])
            while left:
                n = min(left, len(PATTERN))
                conn.sendall(PATTERN[:n])
                left -= n
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def serve(args):
    if args.udp:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        s.bind(("0.0.0.0", args.port))
        while True:
            data, anc, _, peer = s.recvmsg(65536, 256)
            out = []
            for level, ctype, cdata in anc:
                if level == socket.IPPROTO_IP and ctype == IP_PKTINFO:
                    # Reply from the address the datagram was sent to.
                    out = [(level, ctype, bytes(4) + cdata[8:12] + bytes(4))]
            s.sendmsg([args.name.encode() + b" " + data], out, 0, peer)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", args.port))
    s.listen(128)
    while True:
        c = s.accept()[0]
        threading.Thread(target=serve_tcp, args=(c, args.name),
                         daemon=True).start()


def connect(addr, port, timeout=10, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((addr, port))
    return s


def recv_all(s):
    out = []
    while True:
        d = s.recv(1 << 16)
        if not d:
            return b"".join(out)
        out.append(d)


def names(args):
    seen = {}
    for _ in range(args.count):
        try:
            s = connect(args.addr, args.port)
            s.sendall(b"NAME\n")
            s.shutdown(socket.SHUT_WR)
            name = recv_all(s).split()[0].decode()
            s.close()
        except (OSError, IndexError):
            name = "fail"
        seen[name] = seen.get(name, 0) + 1
    print(json.dumps(seen, sort_keys=True))


def echo(args):
    s = connect(args.addr, args.port, args.timeout)
    got = open(args.outfile, "wb")

    def reader():
        try:
            while True:
                d = s.recv(1 << 16)
                if not d:
                    break
                got.write(d)
        except OSError as e:
            print("echo: receiving: %s" % e, file=sys.stderr)

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(b"ECHO\n")
    with open(args.infile, "rb") as f:
        while True:
            d = f.read(1 << 16)
            if not d:
                break
            s.sendall(d)
    s.shutdown(socket.SHUT_WR)
    t.join()
    got.close()
    s.close()


def fetch(args):
    s = connect(args.addr, args.port, 60, args.src)
    s.sendall(b"SEND %d\n" % args.n)
    s.shutdown(socket.SHUT_WR)
    data = recv_all(s)
    s.close()
    want = (PATTERN * (args.n // len(PATTERN) + 1))[:args.n]
    if data != want:
        print("fetch: %d bytes, not the %d expected" % (len(data), args.n),
              file=sys.stderr)
        return 1
    print(len(data))
    return 0


def udp(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((args.addr, args.port))
    payload = bytes((i * 7) & 0xff for i in range(args.size))
    for _ in range(args.count):
        s.send(payload)
        d = s.recv(65536)
        name, _, rest = d.partition(b" ")
        if rest != payload:
            print("udp: answer without the payload", file=sys.stderr)
            return 1
        print(name.decode())
    return 0


def tcp_mss(opts):
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if kind == 2 and opts[i + 1] == 4:
            return struct.unpack("!H", opts[i + 2:i + 4])[0]
        i += opts[i + 1]
    return None


def ip4(b):
    return socket.inet_ntoa(b)


def decode(pkt, gue_port, outer=None):
    """The interesting part of an IPv4 packet, or None."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 15) * 4
    proto = pkt[9]
    src, dst = ip4(pkt[12:16]), ip4(pkt[16:20])
    frag = struct.unpack("!H", pkt[6:8])[0]
    l4 = pkt[ihl:]
    hdr = {"src": src, "dst": dst, "proto": proto, "df": bool(frag & 0x4000),
           "len": struct.unpack("!H", pkt[2:4])[0]}
    if frag & 0x1fff:
        return None
    if proto == 4 and outer is None:
        return decode(l4, gue_port, hdr)
    if proto == 17 and len(l4) >= 12 and outer is None:
        sport, dport = struct.unpack("!HH", l4[:4])
        if gue_port and dport == gue_port:
            hdr.update(sport=sport, dport=dport, gue=l4[8:12].hex())
            return decode(l4[12:], gue_port, hdr)
        return None
    out = dict(src=src, dst=dst)
    if outer:
        out["outer"] = outer
    if proto == 6 and len(l4) >= 20:
        sport, dport = struct.unpack("!HH", l4[:4])
        flags = l4[13]
        if not flags & 0x02 or flags & 0x10:
            return None                         # a SYN, not a SYN-ACK
        doff = (l4[12] >> 4) * 4
        out.update(kind="syn", sport=sport, dport=dport,
                   mss=tcp_mss(l4[20:doff]))
        return out
    if proto == 1 and len(l4) >= 8 + 20 and l4[0] in (3, 11, 12):
        q = l4[8:]
        qihl = (q[0] & 15) * 4
        out.update(kind="icmp", type=l4[0], code=l4[1],
                   mtu=struct.unpack("!H", l4[6:8])[0],
                   q_src=ip4(q[12:16]), q_dst=ip4(q[16:20]), q_proto=q[9])
        if q[9] in (6, 17) and len(q) >= qihl + 4:
            out["q_sport"], out["q_dport"] = struct.unpack(
                "!HH", q[qihl:qihl + 4])
        return out
    return None


def sniff(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                      socket.htons(0x0003))
    s.bind((args.iface, 0))
    out = open(args.outfile, "a")
    with open(args.outfile + ".ready", "w") as f:
        f.write("ready\n")
    end = time.time() + args.timeout
    n = 0
    while time.time() < end and (not args.count or n < args.count):
        if not select.select([s], [], [], 0.2)[0]:
            continue
        pkt, addr = s.recvfrom(65536)
        if addr[1] != 0x0800 or addr[2] == socket.PACKET_OUTGOING:
            continue
        d = decode(pkt, args.gue_port)
        if d:
            out.write(json.dumps(d, sort_keys=True) + "\n")
            out.flush()
            n += 1


def icmp_frag(args):
    quoted = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 0, 0x4000, 63, 6, 0,
                         socket.inet_aton(args.qsrc),
                         socket.inet_aton(args.qdst))
    quoted += struct.pack("!HHI", args.qsport, args.qdport, 0x01020304)
    msg = struct.pack("!BBHHH", 3, 4, 0, 0, args.mtu) + quoted
    csum = 0
    for i in range(0, len(msg), 2):
        csum += (msg[i] << 8) + msg[i + 1]
    while csum >> 16:
        csum = (csum & 0xffff) + (csum >> 16)
    msg = msg[:2] + struct.pack("!H", ~csum & 0xffff) + msg[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(msg, (args.dst, 0))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("serve")
    a.add_argument("name")
    a.add_argument("port", type=int)
    a.add_argument("--udp", action="store_true")
    a = sub.add_parser("names")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("count", type=int)
    a = sub.add_parser("echo")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("infile")
    a.add_argument("outfile")
    a.add_argument("--timeout", type=float, default=60)
    a = sub.add_parser("fetch")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("n", type=int)
    a.add_argument("--src")
    a = sub.add_parser("udp")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("size", type=int)
    a.add_argument("count", type=int)
    a = sub.add_parser("sniff")
    a.add_argument("iface")
    a.add_argument("outfile")
    a.add_argument("--gue-port", type=int, default=0)
    a.add_argument("--count", type=int, default=0)
    a.add_argument("--timeout", type=float, default=300)
    a = sub.add_parser("icmp-frag")
    a.add_argument("dst")
    a.add_argument("qsrc")
    a.add_argument("qsport", type=int)
    a.add_argument("qdst")
    a.add_argument("qdport", type=int)
    a.add_argument("mtu", type=int)
    args = p.parse_args()
    return {"serve": serve, "names": names, "echo": echo, "fetch": fetch,
            "udp": udp, "sniff": sniff,
            "icmp-frag": icmp_frag}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
