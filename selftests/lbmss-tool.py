#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""lbmss-tool.py: TCP SYNs through a router namespace, for selftests/lbmss.sh.

  probe   --send-ns NS --recv-ns NS --recv-if IF --family 4|6 --src A --dst B
          --ceiling N [--expect lbmss|tcpmss] [--sport-base P] [--out FILE]
          CASE...|all|malformed
      Crafts each CASE (a TCP segment with the options of the table below)
      and sends it from a raw socket in the sending namespace; captures it
      with an AF_PACKET socket on the receiving interface, and reports the
      MSS the receiver would use (read as Linux's tcp_parse_options() reads
      options), whether the TCP checksum is right and whether the bytes
      changed.  With --expect, checks each case against what the table says
      LBMSS (or TCPMSS) does with a ceiling of N, and exits 1 on a mismatch.

  compare --family 4|6 --ceiling N TCPMSS.json LBMSS.json
      The differential verdict over two probe outputs of the same cases:
      "same" cases must come out byte for byte identical, "odd" cases
      identical but for the checksum field (TCPMSS updates it wrongly when
      the MSS sits at an odd offset), "differs" cases as the table says;
      and in every case the MSS the receiver uses (its default without an
      option) must be no higher after LBMSS than after TCPMSS.

  list [--malformed [--did lowered|added]]
      The case names, one a line (the malformed ones; of those, the ones
      where LBMSS lowers the MSS option before the fault, or adds one).

  connect --send-ns NS --recv-ns NS --recv-if IF --dst ADDR --port P
          --capture syn|synack
      A real connection (the kernel's own SYN) to an echo server: the data
      must come back; prints the MSS of the captured SYN or SYN-ACK and
      whether its checksum is right.

Runs as root from any namespace: it enters the named ones with setns(2).
"""

import argparse
import ctypes
import json
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
PACKET_OUTGOING = 4
DPORT = 9      # discard: nothing listens, the receiver answers with a reset
TS = "080a0000000100000000"

# The cases.  kind: "same" (TCPMSS and LBMSS leave the same bytes), "odd"
# (the same but for the checksum: an MSS at an odd offset), "differs" (a
# documented difference).  want: the MSS the receiver reads after LBMSS;
# tm: after TCPMSS, when it differs; malformed: LBMSS counts the list as
# malformed, and lowered or added an option before the fault (the bytes
# from the fault on must arrive as they were sent).  "C" is the ceiling, "I" what an inserted option
# carries (the ceiling, at most 536 for IPv4 or 1220 for IPv6), None no
# MSS for the receiver.
CASES = [
    # name, flags, options (hex), payload bytes, kind, want, extra
    ("mss1460", "S", "020405b4", 0, "same", "C", {}),
    ("mss1200", "S", "020404b0", 0, "same", 1200, {}),
    ("mss1000", "S", "020403e8", 0, "same", 1000, {}),
    ("mss9000", "S", "02042328", 0, "same", "C", {}),
    ("mss0", "S", "02040000", 0, "same", None, {}),
    ("linux-order", "S", "020405b4" "0402" + TS + "01030307", 0, "same", "C", {}),
    ("windows-order", "S", "020405b4" "01030308" "0101" "0402", 0, "same", "C", {}),
    ("bsd-order", "S", "020405b4" "01030306" "0101" + TS + "0402" "0000", 0, "same", "C", {}),
    ("mss-last", "S", "0101" + TS + "0402" "01030307" "020405b4" "0000", 0, "same", "C", {}),
    ("none", "S", "", 0, "same", "I", {}),
    ("none-sack-ts", "S", "0402" + TS, 0, "same", "I", {}),
    ("none-ws-eol", "S", "03030700", 0, "same", "I", {}),
    ("eol-zeros", "S", "00000000", 0, "same", "I", {}),
    ("kind2-len3", "S", "02030501", 0, "same", "I", {}),
    ("full-no-mss", "S", TS * 4, 0, "same", None, {}),
    ("payload-no-mss", "S", "04020101", 16, "same", None, {}),
    ("payload-mss", "S", "020405b4", 16, "same", "C", {}),
    ("dup-both-below", "S", "020403e8" "020403e8", 0, "same", 1000, {}),
    ("dup-first-above", "S", "020405b4" "020403e8", 0, "same", 1000, {}),
    ("long-unknown", "S", "fe08aabbccddeeff" "020405b4", 0, "same", "C", {}),
    ("synack-mss", "SA", "020405b4" "0402" "0101", 0, "same", "C", {}),
    ("synack-none", "SA", "", 0, "same", "I", {}),
    ("odd-nop", "S", "01" "020405b4" "010101", 0, "odd", "C", {}),
    ("odd-unknown3", "S", "fe03aa" "020405b4" "00", 0, "odd", "C", {}),
    ("odd-3nop", "S", "010101" "02042328" "00", 0, "odd", "C", {}),
    # Every MSS option is lowered; TCPMSS stops at the first.
    ("dup-second-above", "S", "020403e8" "020405b4", 0, "differs", "C", {"tm": 1460}),
    ("dup-both-above", "S", "020405b4" "02042328", 0, "differs", "C", {"tm": 9000}),
    # The list ends at EOL: LBMSS inserts; TCPMSS lowers the padding.
    ("mss-after-eol", "S", "00000000" "020405b4", 0, "differs", "I", {"tm": None}),
    # Malformed lists, read up to the fault as Linux reads them and treated
    # as the list before the fault: an MSS option there is lowered, without
    # one an option is inserted in front; nothing from the fault on changes.
    # TCPMSS walks on byte by byte instead: where it finds an "MSS" past the
    # fault it rewrites bytes the receiver never reads as one.
    ("zero-len-after", "S", "020405b4" "1e00" "0101", 0, "same", "C",
     {"malformed": "lowered"}),
    ("no-len-byte", "S", "020405b4" "010101" "1e", 0, "same", "C",
     {"malformed": "lowered"}),
    ("truncated-ts", "S", "0101" "080a00000001", 0, "same", "I",
     {"malformed": "added"}),
    ("mss-cut", "S", "0101" "0204", 0, "same", "I", {"malformed": "added"}),
    ("garbage", "S", "deadbeef" "020405b4", 0, "same", "I",
     {"malformed": "added"}),
    ("zero-len-only", "S", "1e00" "0101", 0, "same", "I",
     {"malformed": "added"}),
    ("zero-len-before", "S", "0101" "1e00" "020405b4", 0, "differs", "I",
     {"malformed": "added", "tm": None}),
    ("len1", "S", "1e01" "020405b4" "0101", 0, "differs", "I",
     {"malformed": "added", "tm": None}),
]
CASE = {c[0]: c for c in CASES}


def die(msg):
    print("lbmss-tool: " + msg, file=sys.stderr)
    sys.exit(2)


_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (name, os.strerror(err)))
    finally:
        os.close(fd)


def sum16(data):
    """The 16-bit ones' complement sum of data (not inverted)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo(family, src, dst, length):
    if family == 4:
        return src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, length)
    return src + dst + struct.pack("!IxxxB", length, socket.IPPROTO_TCP)


def tcp_segment(family, src, dst, sport, dport, flags, opts, payload):
    doff = (20 + len(opts)) // 4
    bits = {"S": 0x02, "SA": 0x12}[flags]
    ack = 0x9ABCDEF0 if "A" in flags else 0
    seg = struct.pack("!HHIIBBHHH", sport, dport, 0x12345678, ack, doff << 4,
                      bits, 64240, 0, 0) + opts + payload
    check = 0xFFFF - sum16(pseudo(family, src, dst, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", check) + seg[18:]


def read_options(opts):
    """Reads an option list as Linux's tcp_parse_options() does: returns
    (options, end), options the (kind, offset, length) of each option read
    (No-Operations left out), end where reading stopped: at End of Option
    List or the end of the list (its length), or at a malformed option
    (its offset: the fault)."""
    i, read = 0, []
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            return read, len(opts)
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or not 2 <= opts[i + 1] <= len(opts) - i:
            return read, i
        read.append((kind, i, opts[i + 1]))
        i += opts[i + 1]
    return read, len(opts)


def fault(opts):
    """Where a receiver stops reading a malformed option list (its length
    if the list is well formed or ends at End of Option List)."""
    return read_options(opts)[1]


def rx_mss(opts):
    """The MSS a Linux receiver takes from these options (the last MSS
    option of length 4 before the list ends or breaks; 0 is ignored)."""
    mss = None
    for kind, i, length in read_options(opts)[0]:
        if kind == 2 and length == 4:
            value = opts[i + 2] << 8 | opts[i + 3]
            if value:
                mss = value
    return mss


def parse_ip(family, pkt):
    """(src, dst, TCP segment, IP length right) of a captured packet, or
    None if it is not TCP."""
    if family == 4:
        if len(pkt) < 20 or pkt[9] != socket.IPPROTO_TCP:
            return None
        ihl = (pkt[0] & 0xF) * 4
        tot = struct.unpack("!H", pkt[2:4])[0]
        return pkt[12:16], pkt[16:20], pkt[ihl:tot], tot == len(pkt)
    if len(pkt) < 40 or pkt[6] != socket.IPPROTO_TCP:
        return None
    plen = struct.unpack("!H", pkt[4:6])[0]
    return pkt[8:24], pkt[24:40], pkt[40:40 + plen], plen + 40 == len(pkt)


def describe(family, src, dst, seg):
    doff = (seg[12] >> 4) * 4
    opts = seg[20:doff] if 20 <= doff <= len(seg) else b""
    return {
        "hex": seg.hex(),
        "mss_rx": rx_mss(opts),
        "csum_ok": sum16(pseudo(family, src, dst, len(seg)) + seg) == 0xFFFF,
    }


def open_capture(ns, ifname, family):
    enter_netns(ns)
    proto = 0x0800 if family == 4 else 0x86DD
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(proto))
    s.bind((ifname, proto))
    return s


def capture(sock, family, match, timeout=5.0):
    """The first incoming TCP segment for which match(seg) holds."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        pkt, addr = sock.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING:
            continue
        ip = parse_ip(family, pkt)
        if ip and len(ip[2]) >= 20 and match(ip[2]):
            return ip


def resolve(value, family, ceiling):
    if value == "C":
        return ceiling
    if value == "I":
        return min(ceiling, 536 if family == 4 else 1220)
    return value


def effective(family, res):
    """The MSS the receiver uses: the option's, or without one its default
    (RFC 9293: 536 for IPv4; IPv6's minimum MTU less 60: 1220)."""
    mss = res["got"]["mss_rx"]
    return mss if mss else (536 if family == 4 else 1220)


def expect(name, family, ceiling, who, res):
    """Problems with one probe result, against the table."""
    _, _, _, _, kind, want, extra = CASE[name]
    bad = []
    if res["got"] is None:
        return ["not received"]
    got = res["got"]
    if who == "tcpmss" and "tm" in extra:
        want = extra["tm"]
    want = resolve(want, family, ceiling)
    if got["mss_rx"] != want:
        bad.append("receiver MSS %s, want %s" % (got["mss_rx"], want))
    if not res["ip_len_ok"]:
        bad.append("IP length does not match the packet")
    if who == "lbmss":
        if not got["csum_ok"]:
            bad.append("TCP checksum wrong")
        if extra.get("malformed"):
            sent, seg = bytes.fromhex(res["sent"]["hex"]), bytes.fromhex(got["hex"])
            sopts = sent[20:(sent[12] >> 4) * 4]
            gopts = seg[20:(seg[12] >> 4) * 4]
            tail = sopts[fault(sopts):]
            if not gopts.endswith(tail):
                bad.append("options from the fault on changed: %s, sent %s" %
                           (gopts.hex(), sopts.hex()))
    elif kind == "same" and not got["csum_ok"]:
        bad.append("TCP checksum wrong")
    return bad


def cmd_probe(args):
    names = []
    for n in args.cases:
        if n == "all":
            names += [c[0] for c in CASES]
        elif n == "malformed":
            names += [c[0] for c in CASES if c[6].get("malformed")]
        elif n in CASE:
            names.append(n)
        else:
            die("unknown case %s (cases: %s)" % (n, " ".join(CASE)))
    family = args.family
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    src = socket.inet_pton(af, args.src)
    dst = socket.inet_pton(af, args.dst)

    cap = open_capture(args.recv_ns, args.recv_if, family)
    enter_netns(args.send_ns)
    if family == 4:
        tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    else:
        tx = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
        tx.bind((args.src, 0))

    results, failed = [], 0
    for i, name in enumerate(names):
        _, flags, opts, payload, kind, _, _ = CASE[name]
        sport = args.sport_base + i
        seg = tcp_segment(family, src, dst, sport, DPORT, flags,
                          bytes.fromhex(opts), bytes(range(payload)))
        if family == 4:
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0,
                              0x4000, 64, socket.IPPROTO_TCP, 0, src, dst)
            tx.sendto(hdr + seg, (args.dst, 0))
        else:
            tx.sendto(seg, (args.dst, 0))
        ip = capture(cap, family,
                     lambda s, p=sport: struct.unpack("!HH", s[:4]) == (p, DPORT))
        res = {"case": name, "sent": describe(family, src, dst, seg),
               "got": None, "ip_len_ok": False}
        if ip:
            res["got"] = describe(family, ip[0], ip[1], ip[2])
            res["ip_len_ok"] = ip[3]
        results.append(res)
        line = "%-18s %-7s sent MSS %-5s got MSS %-5s %s%s" % (
            name, kind, res["sent"]["mss_rx"],
            res["got"]["mss_rx"] if ip else "-",
            ("csum ok" if res["got"]["csum_ok"] else "csum BAD") if ip else "LOST",
            (", unchanged" if res["got"]["hex"] == res["sent"]["hex"]
             else ", changed") if ip else "")
        if args.expect:
            bad = expect(name, family, args.ceiling, args.expect, res)
            if bad:
                failed += 1
                line += "  <-- " + "; ".join(bad)
        print(line)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"family": family, "results": results}, f)
    return 1 if failed else 0


def cmd_compare(args):
    with open(args.tcpmss) as f:
        tm = {r["case"]: r for r in json.load(f)["results"]}
    with open(args.lbmss) as f:
        lb = {r["case"]: r for r in json.load(f)["results"]}
    failed = 0
    tally = {"identical": 0, "same MSS": 0, "LBMSS lower": 0}
    print("%-18s %-7s %-8s %-8s %s" % ("case", "kind", "TCPMSS", "LBMSS", "verdict"))
    for name in lb:
        if name not in tm:
            die("case %s is missing from %s" % (name, args.tcpmss))
        kind = CASE[name][4]
        a, b = tm[name], lb[name]
        bad = (["TCPMSS: " + p for p in expect(name, args.family, args.ceiling, "tcpmss", a)] +
               ["LBMSS: " + p for p in expect(name, args.family, args.ceiling, "lbmss", b)])
        if not bad and kind in ("same", "odd"):
            x, y = bytes.fromhex(a["got"]["hex"]), bytes.fromhex(b["got"]["hex"])
            if kind == "odd":
                x, y = x[:16] + x[18:], y[:16] + y[18:]
            if x != y:
                bad.append("bytes differ: TCPMSS %s, LBMSS %s" % (x.hex(), y.hex()))
        # What the receiver ends up using (its default without an option)
        # is never more after LBMSS than after TCPMSS.
        if not bad:
            ea, eb = effective(args.family, a), effective(args.family, b)
            if eb > ea:
                bad.append("receiver uses %d after LBMSS, %d after TCPMSS" % (eb, ea))
            elif kind == "same":
                tally["identical"] += 1
            elif eb == ea:
                tally["same MSS"] += 1
            else:
                tally["LBMSS lower"] += 1
        if bad:
            failed += 1
            verdict = "FAIL: " + "; ".join(bad)
        elif kind == "same":
            verdict = "identical"
        elif kind == "odd":
            verdict = "identical MSS; TCPMSS checksum %s" % (
                "right" if a["got"]["csum_ok"] else "WRONG, LBMSS right")
        else:
            verdict = "differs as documented"
        mss = lambda r: str(r["got"]["mss_rx"]) if r["got"] else "-"
        print("%-18s %-7s %-8s %-8s %s" % (name, kind, mss(a), mss(b), verdict))
    print("%d cases: %d byte for byte identical, %d the same MSS for the "
          "receiver, %d a lower one after LBMSS (TCPMSS left it above the "
          "ceiling), %d failed" % (len(lb), tally["identical"], tally["same MSS"],
                                   tally["LBMSS lower"], failed))
    return 1 if failed else 0


def cmd_list(args):
    for c in CASES:
        if args.malformed and not c[6].get("malformed"):
            continue
        if not args.did or c[6].get("malformed") == args.did:
            print(c[0])
    return 0


def cmd_connect(args):
    family = 6 if ":" in args.dst else 4
    cap = open_capture(args.recv_ns, args.recv_if, family)
    enter_netns(args.send_ns)
    c = socket.socket(socket.AF_INET6 if family == 6 else socket.AF_INET,
                      socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect((args.dst, args.port))
    c.sendall(b"lbmss\n")
    c.shutdown(socket.SHUT_WR)
    echo = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        echo += d
    c.close()

    if args.capture == "syn":
        match = lambda s: struct.unpack("!H", s[2:4])[0] == args.port and s[13] & 0x12 == 0x02
    else:
        match = lambda s: struct.unpack("!H", s[0:2])[0] == args.port and s[13] & 0x12 == 0x12
    ip = capture(cap, family, match, timeout=1.0)
    out = {"echo_ok": echo == b"lbmss\n", "mss_rx": None, "csum_ok": None}
    if ip:
        out.update(describe(family, ip[0], ip[1], ip[2]))
    print(json.dumps(out))
    return 0 if ip and out["echo_ok"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--send-ns", required=True)
    p.add_argument("--recv-ns", required=True)
    p.add_argument("--recv-if", required=True)
    p.add_argument("--family", type=int, choices=(4, 6), required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--ceiling", type=int, required=True)
    p.add_argument("--expect", choices=("lbmss", "tcpmss"))
    p.add_argument("--sport-base", type=int, default=20000)
    p.add_argument("--out")
    p.add_argument("cases", nargs="+")
    p = sub.add_parser("compare")
    p.add_argument("--family", type=int, choices=(4, 6), required=True)
    p.add_argument("--ceiling", type=int, required=True)
    p.add_argument("tcpmss")
    p.add_argument("lbmss")
    p = sub.add_parser("list")
    p.add_argument("--malformed", action="store_true")
    p.add_argument("--did", choices=("lowered", "added"))
    p = sub.add_parser("connect")
    p.add_argument("--send-ns", required=True)
    p.add_argument("--recv-ns", required=True)
    p.add_argument("--recv-if", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--capture", choices=("syn", "synack"), required=True)
    args = ap.parse_args()
    return {"probe": cmd_probe, "compare": cmd_compare, "list": cmd_list,
            "connect": cmd_connect}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
