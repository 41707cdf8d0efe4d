#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nl_raw.py: talk to the nflb generic netlink family byte by byte.

Sends requests lbctl would never build -- attributes of the wrong type or
length, unknown or reply-only attributes, flag bits that do not exist,
nests that are not nests, truncated headers, missing attributes, command
ids past NFLB_CMD_MAX -- and asserts that each one is refused with the
errno and the extended-ack message the kernel should give, that nothing
changed, and that the family still works afterwards.  Then it dumps 1,000
services and one service with 2,000 backends and checks the framing:
NLM_F_MULTI on every part, NLMSG_DONE at the end, a service too big for
one message continued at the start of the next.

    this process --- NETLINK_GENERIC, NETLINK_EXT_ACK ---> nflb.ko
                     (the network namespace it runs in)

Run it as root in a network namespace of its own (control.sh does: the
test flushes that namespace's services).  Output is KTAP; exit 0 when
every test passed, 1 otherwise.  It needs only the Python standard
library.  -v prints every reply's errno and extack message.
"""

import errno
import os
import socket
import struct
import sys

# <linux/netlink.h>, <linux/genetlink.h>
NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_MISS_TYPE = 5
NLMSGERR_ATTR_MISS_NEST = 6
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff
GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_MAXATTR = 5
CTRL_ATTR_OPS = 6
CTRL_ATTR_OP_ID = 1

# <linux/nflb.h>; kept in step with it by check_uapi() below.
NFLB_GENL_NAME = "nflb"
NFLB_GENL_VERSION = 1
NFLB_ADDR_LEN = 16
(CMD_UNSPEC, CMD_GET_INFO, CMD_SET_TIMEOUTS, CMD_NEW_SERVICE, CMD_SET_SERVICE,
 CMD_DEL_SERVICE, CMD_GET_SERVICE, CMD_NEW_BACKEND, CMD_SET_BACKEND,
 CMD_DEL_BACKEND, CMD_FLUSH, CMD_GET_CONN) = range(12)
CMD_MAX = CMD_GET_CONN
(A_UNSPEC, A_INFO, A_TIMEOUTS, A_SERVICE, A_BACKEND, A_CONN) = range(6)
A_MAX = A_CONN
(SVC_FAMILY, SVC_PROTO, SVC_ADDR, SVC_PORT, SVC_SCHED, SVC_MODE, SVC_TUNNEL,
 SVC_GUE_PORT, SVC_PERSIST, SVC_MSS_MODE, SVC_MSS, SVC_FLAGS, SVC_STATS,
 SVC_NUM_BACKENDS, SVC_BACKENDS, SVC_PAD) = range(1, 17)
SVC_MAX = SVC_PAD
(BE_FAMILY, BE_ADDR, BE_PORT, BE_WEIGHT, BE_ACTIVE_CONNS, BE_INACTIVE_CONNS,
 BE_STATS, BE_PAD) = range(1, 9)
(TMO_TCP, TMO_TCP_FIN, TMO_UDP) = range(1, 4)
(INFO_VERSION, INFO_MAX_SERVICES, INFO_MAX_BACKENDS, INFO_SERVICES,
 INFO_CONN_MAX, INFO_CONNS, INFO_TIMEOUTS, INFO_DROPS) = range(1, 9)
FWD_NAT, FWD_DR, FWD_TUN = range(3)
MSS_OFF, MSS_AUTO, MSS_FIXED = range(3)
WEIGHT_MAX = 65535
TIMEOUT_MAX = 31 * 24 * 3600
PERSIST_MAX = 31 * 24 * 3600
IPPROTO_TCP, IPPROTO_UDP = 6, 17
AF_INET, AF_INET6 = 2, 10

VERBOSE = "-v" in sys.argv[1:]
UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "include", "uapi", "linux", "nflb.h")


def log(msg=""):
    for line in str(msg).splitlines() or [""]:
        print("# " + line if line else "#")
    sys.stdout.flush()


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


# --- Attributes ------------------------------------------------------------

def nla(atype, payload):
    """One attribute, padded to 4 bytes; nla_len counts the unpadded size."""
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def nest(atype, *attrs):
    return nla(atype | NLA_F_NESTED, b"".join(attrs))


def u8(t, v):
    return nla(t, struct.pack("=B", v))


def u16(t, v):
    return nla(t, struct.pack("=H", v))


def u32(t, v):
    return nla(t, struct.pack("=I", v))


def strz(t, s):
    return nla(t, s.encode() + b"\0")


def v4(a):
    return socket.inet_aton(a) + b"\0" * 12


def parse_attrs(data):
    """{type: payload} of a run of attributes (the last one of a type wins)
    and the list of (type, payload) in order."""
    out, seq, off = {}, [], 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4 or off + alen > len(data):
            raise Fail("malformed attribute in a reply at offset %d" % off)
        payload = data[off + 4:off + alen]
        out[atype & NLA_TYPE_MASK] = payload
        seq.append((atype & NLA_TYPE_MASK, payload))
        off += (alen + 3) & ~3
    return out, seq


def get_u(p):
    return {1: "=B", 2: "=H", 4: "=I", 8: "=Q"}.get(len(p)) and \
        struct.unpack({1: "=B", 2: "=H", 4: "=I", 8: "=Q"}[len(p)], p)[0]


def svc_key(vip="10.0.0.1", port=80, proto=IPPROTO_TCP, family=AF_INET):
    return [u16(SVC_FAMILY, family), u8(SVC_PROTO, proto),
            nla(SVC_ADDR, v4(vip)), u16(SVC_PORT, port)]


def be_key(addr="10.1.0.1", port=80, family=AF_INET):
    return [u16(BE_FAMILY, family), nla(BE_ADDR, v4(addr)), u16(BE_PORT, port)]


# --- Socket ------------------------------------------------------------------

class Reply:
    def __init__(self, err, msg, offs, miss_type, miss_nest, msgs):
        self.err = err            # 0, or a positive errno
        self.msg = msg            # extack message or None
        self.offs = offs          # offending attribute offset or None
        self.miss_type = miss_type
        self.miss_nest = miss_nest
        self.msgs = msgs          # data messages: (type, flags, payload)

    def __str__(self):
        s = "errno %d (%s)" % (self.err, errno.errorcode.get(self.err, "?")) \
            if self.err else "ok"
        if self.msg is not None:
            s += ', extack "%s"' % self.msg
        if self.offs is not None:
            s += ", offset %d" % self.offs
        if self.miss_type is not None:
            s += ", missing attribute %d" % self.miss_type
        return s


class Genl:
    def __init__(self):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                NETLINK_GENERIC)
        self.sk.bind((0, 0))
        self.sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sk.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.seq = 1000
        self.family = 0
        rep = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                           strz(CTRL_ATTR_FAMILY_NAME, NFLB_GENL_NAME))
        if rep.err:
            raise Fail("family %s not found: %s" % (NFLB_GENL_NAME, rep))
        attrs, _ = parse_attrs(rep.msgs[0][2][4:])
        self.family = get_u(attrs[CTRL_ATTR_FAMILY_ID])
        self.version = get_u(attrs[CTRL_ATTR_VERSION])
        self.maxattr = get_u(attrs[CTRL_ATTR_MAXATTR])
        self.ops = set()
        if CTRL_ATTR_OPS in attrs:
            _, ops = parse_attrs(attrs[CTRL_ATTR_OPS])
            for _, op in ops:
                a, _ = parse_attrs(op)
                self.ops.add(get_u(a[CTRL_ATTR_OP_ID]))

    @staticmethod
    def message(mtype, flags, seq, cmd, payload, version=NFLB_GENL_VERSION):
        body = struct.pack("=BBH", cmd, version, 0) + payload
        return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body

    def send(self, raw):
        self.sk.send(raw)

    def next_seq(self):
        self.seq += 1
        return self.seq

    def build(self, cmd, payload, flags=NLM_F_ACK, mtype=None):
        seq = self.next_seq()
        return seq, self.message(self.family if mtype is None else mtype,
                                 NLM_F_REQUEST | flags, seq, cmd, payload)

    def request(self, mtype, cmd, payload=b"", flags=NLM_F_ACK, raw=None):
        seq = self.next_seq()
        if raw is None:
            raw = self.message(mtype, NLM_F_REQUEST | flags, seq, cmd, payload)
        else:
            raw = bytearray(raw)
            struct.pack_into("=I", raw, 8, seq)
        self.send(bytes(raw))
        return self.collect(seq)

    def cmd(self, cmd, *attrs, flags=NLM_F_ACK):
        return self.request(self.family, cmd, b"".join(attrs), flags)

    def collect(self, seq, on_dgram=None):
        """Reads until the ack or NLMSG_DONE of seq; returns a Reply."""
        msgs = []
        while True:
            data = self.sk.recv(1 << 20)
            if on_dgram:
                on_dgram(data)
            off = 0
            while off + 16 <= len(data):
                mlen, mtype, mflags, mseq, _ = struct.unpack_from("=IHHII",
                                                                  data, off)
                check(mlen >= 16 and off + mlen <= len(data),
                      "malformed netlink message from the kernel")
                payload = data[off + 16:off + mlen]
                off += (mlen + 3) & ~3
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    return self.ack(payload, mflags, msgs)
                if mtype == NLMSG_DONE:
                    err = struct.unpack_from("=i", payload)[0]
                    rep = self.tlvs(payload[4:], mflags, -err, msgs)
                    rep.done_flags = mflags
                    return rep
                msgs.append((mtype, mflags, payload))

    def ack(self, payload, mflags, msgs):
        err, olen = struct.unpack_from("=iI", payload)
        # With NETLINK_CAP_ACK only the request's header is echoed.
        skip = 4 + (16 if mflags & NLM_F_CAPPED else olen)
        return self.tlvs(payload[skip:], mflags, -err, msgs)

    @staticmethod
    def tlvs(data, mflags, err, msgs):
        msg = offs = mtype = mnest = None
        if mflags & NLM_F_ACK_TLVS:
            a, _ = parse_attrs(data)
            if NLMSGERR_ATTR_MSG in a:
                msg = a[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
            if NLMSGERR_ATTR_OFFS in a:
                offs = get_u(a[NLMSGERR_ATTR_OFFS])
            if NLMSGERR_ATTR_MISS_TYPE in a:
                mtype = get_u(a[NLMSGERR_ATTR_MISS_TYPE])
            if NLMSGERR_ATTR_MISS_NEST in a:
                mnest = get_u(a[NLMSGERR_ATTR_MISS_NEST])
        return Reply(err, msg, offs, mtype, mnest, msgs)

    def dump(self, cmd, *attrs):
        """A dump: (list of data messages, number of datagrams, Reply)."""
        seq, raw = self.build(cmd, b"".join(attrs), flags=NLM_F_DUMP)
        self.send(raw)
        dgrams = [0]

        def count(_):
            dgrams[0] += 1
        rep = self.collect(seq, count)
        return rep.msgs, dgrams[0], rep

    def batch(self, reqs):
        """Sends many requests, up to 200 per sendmsg(); returns the errnos."""
        errs = []
        for i in range(0, len(reqs), 200):
            chunk = reqs[i:i + 200]
            seqs = []
            buf = b""
            for cmd, payload in chunk:
                seq, raw = self.build(cmd, payload)
                seqs.append(seq)
                buf += raw
            self.send(buf)
            for seq in seqs:
                errs.append(self.collect(seq).err)
        return errs


# --- Replies -----------------------------------------------------------------

def services_of(msgs):
    """Parses GET_SERVICE replies into [(key, attrs, [backend attrs])],
    merging a service continued at the start of the next message."""
    out = []
    for _, _, payload in msgs:
        _, top = parse_attrs(payload[4:])
        for t, p in top:
            if t != A_SERVICE:
                continue
            a, _ = parse_attrs(p)
            key = (get_u(a[SVC_FAMILY]), get_u(a[SVC_PROTO]), a[SVC_ADDR],
                   get_u(a[SVC_PORT]))
            bes = []
            if SVC_BACKENDS in a:
                _, bl = parse_attrs(a[SVC_BACKENDS])
                bes = [parse_attrs(bp)[0] for bt, bp in bl if bt == A_BACKEND]
            if out and out[-1][0] == key:
                out[-1][2].extend(bes)
                out[-1][3] += 1
            else:
                out.append([key, a, bes, 1])
    return out


# --- Tests -------------------------------------------------------------------

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def expect(rep, err, msg, what, miss_type=None):
    """Asserts errno and extack message (exact text; None: must be absent;
    "*": any non-empty message; "?": not checked)."""
    if VERBOSE:
        log("%s: %s" % (what, rep))
    ename = errno.errorcode.get(err, str(err)) if err else "success"
    check(rep.err == err, "%s: expected %s, got %s" % (what, ename, rep))
    if msg == "?":
        pass                # the core's refusal: text or not, not ours
    elif msg == "*":
        check(rep.msg, "%s: no extack message (%s)" % (what, rep))
    elif msg is not None or err:
        check(rep.msg == msg, '%s: expected extack "%s", got %s'
              % (what, msg, rep))
    if miss_type is not None:
        check(rep.miss_type == miss_type,
              "%s: expected missing-attribute %d, got %s"
              % (what, miss_type, rep))


def n_services(g):
    msgs, _, rep = g.dump(CMD_GET_SERVICE)
    check(rep.err == 0, "dump failed: %s" % rep)
    return services_of(msgs)


def info(g):
    rep = g.cmd(CMD_GET_INFO)
    check(rep.err == 0 and rep.msgs, "GET_INFO failed: %s" % rep)
    a, _ = parse_attrs(rep.msgs[0][2][4:])
    i, _ = parse_attrs(a[A_INFO])
    t, _ = parse_attrs(i[INFO_TIMEOUTS])
    return i, {k: get_u(v) for k, v in t.items()}


def check_uapi():
    """The constants above against include/uapi/linux/nflb.h, so that this
    file cannot silently drift from the ABI it tests."""
    if not os.path.exists(UAPI):
        log("no %s: constants not cross-checked" % UAPI)
        return
    import re
    text = open(UAPI).read()

    def enum_values(name):
        m = re.search(r"enum %s \{(.*?)\};" % name, text, re.S)
        check(m, "enum %s not in the UAPI header" % name)
        names = re.findall(r"^\s*(NFLB_\w+|__NFLB_\w+)", m.group(1), re.M)
        return {n: i for i, n in enumerate(names)}
    cmds = enum_values("nflb_cmd")
    check(cmds["NFLB_CMD_GET_CONN"] == CMD_GET_CONN and
          cmds["__NFLB_CMD_MAX"] == CMD_MAX + 1, "command ids drifted")
    svc = enum_values("nflb_svc_attr")
    check(svc["NFLB_SVC_A_FLAGS"] == SVC_FLAGS and
          svc["NFLB_SVC_A_STATS"] == SVC_STATS and
          svc["NFLB_SVC_A_PAD"] == SVC_PAD, "service attribute ids drifted")
    be = enum_values("nflb_be_attr")
    check(be["NFLB_BE_A_WEIGHT"] == BE_WEIGHT and
          be["NFLB_BE_A_STATS"] == BE_STATS, "backend attribute ids drifted")
    top = enum_values("nflb_attr")
    check(top["NFLB_A_SERVICE"] == A_SERVICE and
          top["NFLB_A_BACKEND"] == A_BACKEND and
          top["__NFLB_A_MAX"] == A_MAX + 1, "top-level attribute ids drifted")
    tmo = enum_values("nflb_timeout_attr")
    check(tmo["NFLB_TIMEOUT_A_UDP"] == TMO_UDP, "timeout ids drifted")


@test
def family_resolves(g):
    """CTRL_CMD_GETFAMILY knows nflb: version 1, NFLB_A_MAX, every command"""
    check_uapi()
    log("family id %d, version %d, maxattr %d, ops %s"
        % (g.family, g.version, g.maxattr, sorted(g.ops)))
    check(g.version == NFLB_GENL_VERSION, "version %d" % g.version)
    check(g.maxattr == A_MAX, "maxattr %d, expected %d" % (g.maxattr, A_MAX))
    check(g.ops == set(range(1, CMD_MAX + 1)),
          "ops %s, expected 1..%d" % (sorted(g.ops), CMD_MAX))
    check(n_services(g) == [], "the namespace is not empty at the start")


@test
def wrong_type_or_length(g):
    """attributes of the wrong type or length are refused (EINVAL)"""
    k = svc_key()
    EINVAL, ERANGE = errno.EINVAL, errno.ERANGE
    size = "binary attribute size out of range"
    cases = [
        # NLA_POLICY_EXACT_LEN is a length range: ERANGE.
        ("ADDR of 3 bytes", [k[0], k[1], nla(SVC_ADDR, b"\x0a\0\0"), k[3]],
         ERANGE, size),
        ("ADDR of 4 bytes", [k[0], k[1], nla(SVC_ADDR, socket.inet_aton(
            "10.0.0.1")), k[3]], ERANGE, size),
        ("ADDR of 17 bytes", [k[0], k[1], nla(SVC_ADDR, v4("10.0.0.1") +
                                             b"\0"), k[3]], ERANGE, size),
        ("ADDR of 0 bytes", [k[0], k[1], nla(SVC_ADDR, b""), k[3]],
         ERANGE, size),
        ("PORT as u32", [k[0], k[1], k[2], u32(SVC_PORT, 80)],
         EINVAL, "invalid attribute length"),
        ("PORT as u8", [k[0], k[1], k[2], u8(SVC_PORT, 80)],
         EINVAL, "invalid attribute length"),
        ("FAMILY as u8", [u8(SVC_FAMILY, AF_INET), k[1], k[2], k[3]],
         EINVAL, "invalid attribute length"),
        ("PROTO as u16", [k[0], u16(SVC_PROTO, IPPROTO_TCP), k[2], k[3]],
         EINVAL, "invalid attribute length"),
        ("PERSIST as u16", k + [u16(SVC_PERSIST, 10)],
         EINVAL, "invalid attribute length"),
        ("MODE as u32", k + [u32(SVC_MODE, FWD_NAT)],
         EINVAL, "invalid attribute length"),
        ("SCHED without NUL", k + [nla(SVC_SCHED, b"rr")],
         EINVAL, "*"),
        ("SCHED too long", k + [strz(SVC_SCHED, "x" * 40)],
         None, "*"),
        ("PORT with NLA_F_NESTED", [k[0], k[1], k[2],
                                    nla(SVC_PORT | NLA_F_NESTED,
                                        struct.pack("=H", 80))],
         EINVAL, "NLA_F_NESTED not expected"),
    ]
    for what, attrs, err, msg in cases:
        rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *attrs))
        if err is None:     # refused, errno not pinned
            check(rep.err in (EINVAL, ERANGE), "%s: got %s" % (what, rep))
            err = rep.err
        expect(rep, err, msg, what)
        check(rep.offs is not None, "%s: no offending-attribute offset" % what)
    rep = g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k),
                nest(A_BACKEND, u8(BE_FAMILY, AF_INET),
                     nla(BE_ADDR, v4("10.1.0.1")), u16(BE_PORT, 80)))
    expect(rep, errno.EINVAL, "invalid attribute length", "backend FAMILY as u8")
    rep = g.cmd(CMD_SET_TIMEOUTS, nest(A_TIMEOUTS, u16(TMO_TCP, 100)))
    expect(rep, errno.EINVAL, "invalid attribute length", "timeout as u16")
    check(n_services(g) == [], "a refused request created a service")


@test
def unknown_attributes(g):
    """unknown attribute types, at the top and in a nest, are refused"""
    k = svc_key()
    rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, u32(SVC_MAX + 1, 0)))
    expect(rep, errno.EINVAL, "Unknown attribute type", "type past SVC_MAX in a nest")
    rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, u32(0x3fff, 0)))
    expect(rep, errno.EINVAL, "Unknown attribute type", "type 0x3fff in a nest")
    rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, u32(0, 0)))
    expect(rep, errno.EINVAL, "Unknown attribute type", "type 0 in a nest")
    rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k), u32(A_MAX + 1, 0))
    expect(rep, errno.EINVAL, "Unknown attribute type", "type past NFLB_A_MAX")
    rep = g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k),
                nest(A_BACKEND, *be_key(), u32(BE_PAD + 1, 0)))
    expect(rep, errno.EINVAL, "Unknown attribute type", "type past BE_A_MAX")
    rep = g.cmd(CMD_SET_TIMEOUTS, nest(A_TIMEOUTS, u32(TMO_UDP + 1, 5)))
    expect(rep, errno.EINVAL, "Unknown attribute type", "type past TIMEOUT_A_MAX")
    check(n_services(g) == [], "a refused request created a service")


@test
def reply_only_attributes(g):
    """attributes that only replies carry are refused in a request"""
    k = svc_key()
    # NLA_REJECT: a nest is refused for its NLA_F_NESTED flag first.
    rejected = "Attribute failed policy validation"
    nested = "NLA_F_NESTED not expected"
    for what, attr, msg in [
            ("SVC_A_STATS", nest(SVC_STATS, ), nested),
            ("SVC_A_STATS with a counter",
             nest(SVC_STATS, nla(1, struct.pack("=Q", 5))), nested),
            ("SVC_A_STATS without NLA_F_NESTED",
             nla(SVC_STATS, nla(1, struct.pack("=Q", 5))), rejected),
            ("SVC_A_NUM_BACKENDS", u32(SVC_NUM_BACKENDS, 1), rejected),
            ("SVC_A_PAD", nla(SVC_PAD, b""), rejected)]:
        rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, attr))
        expect(rep, errno.EINVAL, msg, what)
    rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k))
    expect(rep, 0, None, "the service itself")
    # A backend list only NEW_SERVICE takes (new_service_with_backends).
    B = nest(SVC_BACKENDS, nest(A_BACKEND, *be_key()))
    for cmd, attrs, what in [
            (CMD_SET_SERVICE, [nest(A_SERVICE, *k, B)], "SET_SERVICE"),
            (CMD_DEL_SERVICE, [nest(A_SERVICE, *k, B)], "DEL_SERVICE"),
            (CMD_GET_SERVICE, [nest(A_SERVICE, *k, B)], "GET_SERVICE"),
            (CMD_NEW_BACKEND, [nest(A_SERVICE, *k, B),
                               nest(A_BACKEND, *be_key())], "NEW_BACKEND")]:
        expect(g.cmd(cmd, *attrs), errno.EINVAL, nested,
               "SVC_A_BACKENDS in " + what)
    expect(g.cmd(CMD_SET_SERVICE, nest(A_SERVICE, *k, nla(SVC_BACKENDS, b""))),
           errno.EINVAL, rejected, "SVC_A_BACKENDS without NLA_F_NESTED")
    for what, attr, msg in [
            ("BE_A_ACTIVE_CONNS", u32(BE_ACTIVE_CONNS, 1), rejected),
            ("BE_A_INACTIVE_CONNS", u32(BE_INACTIVE_CONNS, 1), rejected),
            ("BE_A_STATS", nest(BE_STATS, ), nested),
            ("BE_A_STATS without NLA_F_NESTED", nla(BE_STATS, b""), rejected)]:
        rep = g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k),
                    nest(A_BACKEND, *be_key(), attr))
        expect(rep, errno.EINVAL, msg, what)
    for what, attr, msg in [("A_INFO", nest(A_INFO, ), nested),
                            ("A_INFO without NLA_F_NESTED", nla(A_INFO, b""),
                             rejected),
                            ("A_CONN", nest(A_CONN, ), nested)]:
        rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *svc_key(port=81)), attr)
        expect(rep, errno.EINVAL, msg, what)
    s = n_services(g)
    check(len(s) == 1 and s[0][2] == [],
          "expected the one service without backends, got %d services" % len(s))
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def unknown_flag_bits(g):
    """NFLB_SVC_A_FLAGS with any bit set is refused (no flag is defined)"""
    k = svc_key()
    for v in (1, 2, 0x80000000, 0xffffffff):
        rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, u32(SVC_FLAGS, v)))
        expect(rep, errno.EINVAL, "reserved bit set", "flags %#x" % v)
    rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, u32(SVC_FLAGS, 0)))
    expect(rep, 0, None, "flags 0")
    rep = g.cmd(CMD_SET_SERVICE, nest(A_SERVICE, *k, u32(SVC_FLAGS, 4)))
    expect(rep, errno.EINVAL, "reserved bit set", "set-service flags 4")
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def not_a_nest(g):
    """a nest that is not a nest, and garbage inside a nest, are refused"""
    k = svc_key()
    rep = g.cmd(CMD_NEW_SERVICE, u32(A_SERVICE, 7))
    expect(rep, errno.EINVAL, "NLA_F_NESTED is missing", "u32 as NFLB_A_SERVICE")
    rep = g.cmd(CMD_NEW_SERVICE, nla(A_SERVICE, b"".join(k)))
    expect(rep, errno.EINVAL, "NLA_F_NESTED is missing",
           "service nest without NLA_F_NESTED")
    rep = g.cmd(CMD_NEW_SERVICE, nla(A_SERVICE | NLA_F_NESTED,
                                     b"\xff\xff\xff\xff\x01\x02\x03\x04"))
    expect(rep, errno.EINVAL, "*", "garbage inside a nest")
    rep = g.cmd(CMD_NEW_SERVICE, nla(A_SERVICE | NLA_F_NESTED, b"\x01\x02"))
    expect(rep, errno.ERANGE, "Attribute failed policy validation",
           "nest of 2 bytes")
    # a nested attribute whose length runs past the end of its nest
    inner = b"".join(k) + struct.pack("=HH", 40, SVC_PERSIST) + b"\0" * 4
    rep = g.cmd(CMD_NEW_SERVICE, nla(A_SERVICE | NLA_F_NESTED, inner))
    expect(rep, errno.EINVAL, "*", "inner attribute longer than its nest")
    check(n_services(g) == [], "a refused request created a service")


@test
def truncated_headers(g):
    """truncated attribute and message headers are refused, not read past"""
    k = nest(A_SERVICE, *svc_key())
    for what, tail in [("2 bytes after the last attribute", b"\x08\x00"),
                       ("attribute header claiming 64 bytes",
                        struct.pack("=HH", 64, A_SERVICE) + b"\0" * 4),
                       ("attribute header with nla_len 2",
                        struct.pack("=HH", 2, A_SERVICE))]:
        rep = g.request(g.family, CMD_NEW_SERVICE, k + tail)
        expect(rep, errno.EINVAL, "*", what)
    # A message that ends inside the generic netlink header.
    seq = g.next_seq()
    raw = struct.pack("=IHHII", 18, g.family, NLM_F_REQUEST | NLM_F_ACK,
                      seq, 0) + b"\x03\x01" + b"\0\0"
    g.send(raw)
    rep = g.collect(seq)
    expect(rep, errno.EINVAL, "?", "message shorter than genlmsghdr")
    check(n_services(g) == [], "a refused request created a service")


@test
def missing_attributes(g):
    """requests missing a required attribute say which one"""
    k = svc_key()
    for cmd in (CMD_NEW_SERVICE, CMD_SET_SERVICE, CMD_DEL_SERVICE,
                CMD_NEW_BACKEND, CMD_SET_BACKEND, CMD_DEL_BACKEND):
        rep = g.cmd(cmd)
        expect(rep, errno.EINVAL, "the request names no service",
               "command %d without NFLB_A_SERVICE" % cmd, miss_type=A_SERVICE)
    names = {SVC_FAMILY: "service address family missing",
             SVC_PROTO: "service protocol missing",
             SVC_ADDR: "service address missing",
             SVC_PORT: "service port missing"}
    for i, t in enumerate((SVC_FAMILY, SVC_PROTO, SVC_ADDR, SVC_PORT)):
        attrs = k[:i] + k[i + 1:]
        rep = g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *attrs))
        expect(rep, errno.EINVAL, names[t], "service without attribute %d" % t,
               miss_type=t)
        check(rep.miss_nest is not None, "no missing-nest offset for %d" % t)
    expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k)), 0, None, "service")
    rep = g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k))
    expect(rep, errno.EINVAL, "the request names no backend",
           "backend request without NFLB_A_BACKEND", miss_type=A_BACKEND)
    bk = be_key()
    bnames = {BE_FAMILY: "backend address family missing",
              BE_ADDR: "backend address missing",
              BE_PORT: "backend port missing"}
    for i, t in enumerate((BE_FAMILY, BE_ADDR, BE_PORT)):
        rep = g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k),
                    nest(A_BACKEND, *(bk[:i] + bk[i + 1:])))
        expect(rep, errno.EINVAL, bnames[t], "backend without attribute %d" % t,
               miss_type=t)
    expect(g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k), nest(A_BACKEND, *bk)),
           0, None, "backend")
    rep = g.cmd(CMD_SET_BACKEND, nest(A_SERVICE, *k), nest(A_BACKEND, *bk))
    expect(rep, errno.EINVAL, "backend weight missing", "set-backend without weight",
           miss_type=BE_WEIGHT)
    rep = g.cmd(CMD_SET_TIMEOUTS)
    expect(rep, errno.EINVAL, "the request carries no timeouts",
           "SET_TIMEOUTS without NFLB_A_TIMEOUTS", miss_type=A_TIMEOUTS)
    s = n_services(g)
    check(len(s) == 1 and len(s[0][2]) == 1 and
          get_u(s[0][2][0][BE_WEIGHT]) == 1,
          "expected one service with one backend of weight 1")
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def bad_values(g):
    """addresses, ports, weights, timeouts, modes out of range are refused"""
    k = svc_key()
    K = nest(A_SERVICE, *k)
    tail = socket.inet_aton("10.0.0.1") + b"\0" * 11 + b"\x01"
    cases = [
        ("IPv4 address with a non-zero tail",
         [k[0], k[1], nla(SVC_ADDR, tail), k[3]], errno.EINVAL,
         "an IPv4 address takes the first 4 bytes; the rest must be zero"),
        ("unspecified address", [k[0], k[1], nla(SVC_ADDR, b"\0" * 16), k[3]],
         errno.EINVAL, "address must not be unspecified"),
        ("family 7", [u16(SVC_FAMILY, 7), k[1], k[2], k[3]], errno.EAFNOSUPPORT,
         "address family must be AF_INET or AF_INET6"),
        ("protocol ICMP", [k[0], u8(SVC_PROTO, 1), k[2], k[3]],
         errno.EPROTONOSUPPORT, "protocol must be TCP or UDP"),
        ("port 0", [k[0], k[1], k[2], u16(SVC_PORT, 0)], errno.ERANGE,
         "integer out of range"),
        ("mode 3", k + [u8(SVC_MODE, 3)], errno.ERANGE, "integer out of range"),
        ("tunnel 2", k + [u8(SVC_TUNNEL, 2)], errno.ERANGE,
         "integer out of range"),
        ("mss mode 3", k + [u8(SVC_MSS_MODE, 3)], errno.ERANGE,
         "integer out of range"),
        ("mss 87", k + [u8(SVC_MSS_MODE, MSS_FIXED), u16(SVC_MSS, 87)],
         errno.ERANGE, "integer out of range"),
        ("persist past the maximum", k + [u32(SVC_PERSIST, PERSIST_MAX + 1)],
         errno.ERANGE, "integer out of range"),
        ("gue port 0", k + [u8(SVC_MODE, FWD_TUN), u8(SVC_TUNNEL, 1),
                            u16(SVC_GUE_PORT, 0)],
         errno.ERANGE, "integer out of range"),
        ("unknown scheduler", k + [strz(SVC_SCHED, "fifo")], errno.ENOENT,
         "unknown scheduler (rr, wrr, lc, wlc, sh)"),
        ("empty scheduler", k + [strz(SVC_SCHED, "")], errno.ENOENT,
         "unknown scheduler (rr, wrr, lc, wlc, sh)"),
        ("tunnel without mode tun", k + [u8(SVC_TUNNEL, 0)], errno.EINVAL,
         "a tunnel type needs mode tun"),
        ("gue port without tunnel gue", k + [u8(SVC_MODE, FWD_TUN),
                                             u16(SVC_GUE_PORT, 6080)],
         errno.EINVAL, "a GUE port needs tunnel gue"),
        ("mss without mode fixed", k + [u16(SVC_MSS, 1400)], errno.EINVAL,
         "an MSS value needs MSS mode fixed"),
        ("mode fixed without mss", k + [u8(SVC_MSS_MODE, MSS_FIXED)],
         errno.EINVAL, "MSS mode fixed needs an MSS value"),
        ("IPv6 service", [u16(SVC_FAMILY, AF_INET6), k[1],
                          nla(SVC_ADDR, socket.inet_pton(socket.AF_INET6,
                                                         "2001:db8::1")),
                          k[3]], errno.EOPNOTSUPP,
         "IPv6 services are not supported yet"),
    ]
    for what, attrs, err, msg in cases:
        expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *attrs)), err, msg, what)
    check(n_services(g) == [], "a refused request created a service")

    expect(g.cmd(CMD_NEW_SERVICE, K), 0, None, "service")
    for what, be, err, msg in [
            ("backend weight 65536", be_key() + [u32(BE_WEIGHT, WEIGHT_MAX + 1)],
             errno.ERANGE, "integer out of range"),
            ("backend weight 2^32-1", be_key() + [u32(BE_WEIGHT, 0xffffffff)],
             errno.ERANGE, "integer out of range"),
            ("backend port 0", be_key(port=0), errno.ERANGE,
             "integer out of range"),
            ("backend IPv4 tail", [u16(BE_FAMILY, AF_INET), nla(BE_ADDR, tail),
                                   u16(BE_PORT, 80)], errno.EINVAL,
             "an IPv4 address takes the first 4 bytes; the rest must be zero"),
            ("IPv6 backend of an IPv4 service",
             [u16(BE_FAMILY, AF_INET6),
              nla(BE_ADDR, socket.inet_pton(socket.AF_INET6, "2001:db8::2")),
              u16(BE_PORT, 80)], errno.EOPNOTSUPP,
             "backend address family differs from the service's: not supported yet")]:
        expect(g.cmd(CMD_NEW_BACKEND, K, nest(A_BACKEND, *be)), err, msg, what)
    expect(g.cmd(CMD_NEW_BACKEND, K, nest(A_BACKEND, *be_key(),
                                          u32(BE_WEIGHT, WEIGHT_MAX))),
           0, None, "backend weight 65535")
    expect(g.cmd(CMD_SET_BACKEND, K, nest(A_BACKEND, *be_key(),
                                          u32(BE_WEIGHT, WEIGHT_MAX + 1))),
           errno.ERANGE, "integer out of range", "set-backend weight 65536")
    # dr needs the backend on-link; this namespace has no route to it.
    expect(g.cmd(CMD_SET_SERVICE, nest(A_SERVICE, *k, u8(SVC_MODE, FWD_DR))),
           errno.EHOSTUNREACH,
           "no route to the backend: mode dr needs it on a directly "
           "connected network", "set-service mode dr, backend unroutable")
    s = n_services(g)
    check(len(s) == 1 and len(s[0][2]) == 1, "expected 1 service, 1 backend")
    a = s[0][1]
    be = s[0][2][0]
    check(get_u(be[BE_WEIGHT]) == WEIGHT_MAX,
          "weight changed by a refused request: %d" % get_u(be[BE_WEIGHT]))
    check(get_u(a[SVC_MODE]) == FWD_NAT, "mode changed by a refused request")
    check(a[SVC_SCHED] == b"wlc\0", "sched %r, expected wlc" % a[SVC_SCHED])
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def modes(g):
    """dr, tun (ipip, gue) and mss-clamp are accepted and read back;
    dr and tun refuse a backend port other than the service's"""
    PORT_MSG = "in modes dr and tun a backend's port must be the service's port"
    k = svc_key()
    gue = svc_key(port=81)
    nat = svc_key(port=82)
    expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *k, u8(SVC_MODE, FWD_TUN))),
           0, None, "mode tun")
    expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *gue, u8(SVC_MODE, FWD_TUN),
                                       u8(SVC_TUNNEL, 1),
                                       u16(SVC_GUE_PORT, 7000),
                                       u8(SVC_MSS_MODE, MSS_OFF))),
           0, None, "mode tun tunnel gue gue-port 7000 mss off")
    expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *nat, u8(SVC_MSS_MODE,
                                                           MSS_FIXED),
                                       u16(SVC_MSS, 1300))),
           0, None, "mode nat mss 1300")
    s = {x[0][3]: x[1] for x in n_services(g)}
    check(get_u(s[80][SVC_MODE]) == FWD_TUN and
          get_u(s[80][SVC_TUNNEL]) == 0 and SVC_GUE_PORT not in s[80] and
          get_u(s[80][SVC_MSS_MODE]) == MSS_AUTO and SVC_MSS not in s[80],
          "tun service read back wrong: %s" % s[80])
    check(get_u(s[81][SVC_TUNNEL]) == 1 and
          get_u(s[81][SVC_GUE_PORT]) == 7000 and
          get_u(s[81][SVC_MSS_MODE]) == MSS_OFF,
          "gue service read back wrong: %s" % s[81])
    check(get_u(s[82][SVC_MODE]) == FWD_NAT and SVC_TUNNEL not in s[82] and
          get_u(s[82][SVC_MSS_MODE]) == MSS_FIXED and
          get_u(s[82][SVC_MSS]) == 1300,
          "nat service read back wrong: %s" % s[82])

    K = nest(A_SERVICE, *k)
    expect(g.cmd(CMD_NEW_BACKEND, K, nest(A_BACKEND, *be_key(port=8080))),
           errno.EINVAL, PORT_MSG, "tun backend on another port")
    expect(g.cmd(CMD_NEW_BACKEND, K, nest(A_BACKEND, *be_key())), 0, None,
           "tun backend on the service's port")
    N = nest(A_SERVICE, *nat)
    expect(g.cmd(CMD_NEW_BACKEND, N, nest(A_BACKEND, *be_key(port=8080))),
           0, None, "nat backend on another port")
    expect(g.cmd(CMD_SET_SERVICE, nest(A_SERVICE, *nat,
                                       u8(SVC_MODE, FWD_TUN))),
           errno.EINVAL, PORT_MSG, "set-service mode tun, backend port 8080")
    # Back to nat: the mss-clamp that was tun's default follows the mode.
    expect(g.cmd(CMD_SET_SERVICE, nest(A_SERVICE, *k, u8(SVC_MODE, FWD_NAT))),
           0, None, "set-service mode nat")
    s = {x[0][3]: x[1] for x in n_services(g)}
    check(get_u(s[80][SVC_MODE]) == FWD_NAT and SVC_TUNNEL not in s[80] and
          get_u(s[80][SVC_MSS_MODE]) == MSS_OFF,
          "tun -> nat read back wrong: %s" % s[80])
    check(get_u(s[82][SVC_MODE]) == FWD_NAT,
          "a refused set-service changed the mode: %s" % s[82])
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def not_found_and_exists(g):
    """ENOENT for what does not exist, EEXIST for what does"""
    K = nest(A_SERVICE, *svc_key())
    B = nest(A_BACKEND, *be_key())
    for cmd in (CMD_SET_SERVICE, CMD_DEL_SERVICE, CMD_GET_SERVICE):
        expect(g.cmd(cmd, K), errno.ENOENT, "service not found",
               "command %d on a missing service" % cmd)
    expect(g.cmd(CMD_NEW_BACKEND, K, B), errno.ENOENT, "service not found",
           "backend of a missing service")
    expect(g.cmd(CMD_NEW_SERVICE, K), 0, None, "service")
    expect(g.cmd(CMD_NEW_SERVICE, K), errno.EEXIST, "service already exists",
           "the same service again")
    expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *svc_key(),
                                       strz(SVC_SCHED, "rr"))),
           errno.EEXIST, "service already exists", "the same service, other sched")
    for cmd in (CMD_SET_BACKEND, CMD_DEL_BACKEND):
        expect(g.cmd(cmd, K, nest(A_BACKEND, *be_key(), u32(BE_WEIGHT, 2))),
               errno.ENOENT, "backend not found",
               "command %d on a missing backend" % cmd)
    expect(g.cmd(CMD_NEW_BACKEND, K, B), 0, None, "backend")
    expect(g.cmd(CMD_NEW_BACKEND, K, B), errno.EEXIST, "backend already exists",
           "the same backend again")
    expect(g.cmd(CMD_DEL_BACKEND, K, nest(A_BACKEND, *be_key(port=81))),
           errno.ENOENT, "backend not found", "backend on another port")
    # doit GET_SERVICE returns the service with its backend.
    rep = g.cmd(CMD_GET_SERVICE, K)
    expect(rep, 0, None, "GET_SERVICE doit")
    s = services_of(rep.msgs)
    check(len(s) == 1 and len(s[0][2]) == 1 and
          get_u(s[0][1][SVC_NUM_BACKENDS]) == 1,
          "GET_SERVICE doit: expected one service with one backend")
    expect(g.cmd(CMD_DEL_SERVICE, K), 0, None, "del service")
    expect(g.cmd(CMD_DEL_SERVICE, K), errno.ENOENT, "service not found",
           "del service twice")
    check(n_services(g) == [], "service still listed after delete")


@test
def new_service_with_backends(g):
    """NEW_SERVICE with NFLB_SVC_A_BACKENDS creates the service and its
    backends at once, in order; a refused backend refuses it all and the
    error offset points into that backend"""
    k = svc_key()

    def req(*bes, svc=None):
        return nest(A_SERVICE, *(svc or k), strz(SVC_SCHED, "wrr"),
                    nest(SVC_BACKENDS, *bes))

    def be(a, port=80, *extra):
        return nest(A_BACKEND, *be_key(a, port), *extra)

    def offset_of(payload, bes, bad):
        # nlmsghdr (16) and genlmsghdr (4) precede the attributes; the
        # list's own header (4) its backends.
        i = payload.find(nest(SVC_BACKENDS, *bes))
        check(i >= 0, "backend list not found in the request")
        return 16 + 4 + i + 4 + sum(len(b) for b in bes[:bad])

    def refused(bes, bad, err, msg, what, svc=None):
        payload = req(*bes, svc=svc)
        rep = g.cmd(CMD_NEW_SERVICE, payload)
        expect(rep, err, msg, what)
        off = offset_of(payload, bes, bad)
        check(rep.offs is not None and
              off <= rep.offs < off + len(bes[bad]),
              "%s: error offset %s, backend %d is at %d..%d" %
              (what, rep.offs, bad, off, off + len(bes[bad])))
        check(n_services(g) == [], "%s: a refused request created something"
              % what)

    bes = [be("10.1.0.%d" % i, 8000 + i, u32(BE_WEIGHT, i)) for i in range(1, 6)]
    expect(g.cmd(CMD_NEW_SERVICE, req(*bes)), 0, None, "service, 5 backends")
    s = n_services(g)
    check(len(s) == 1 and get_u(s[0][1][SVC_NUM_BACKENDS]) == 5 and
          [(x[BE_ADDR], get_u(x[BE_PORT]), get_u(x[BE_WEIGHT]))
           for x in s[0][2]] ==
          [(v4("10.1.0.%d" % i), 8000 + i, i) for i in range(1, 6)],
          "service with backends read back wrong: %s" % s)
    # One more the usual way goes at the end.
    expect(g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *k),
                 nest(A_BACKEND, *be_key("10.1.0.9"))), 0, None,
           "a 6th backend by NEW_BACKEND")
    expect(g.cmd(CMD_NEW_SERVICE, req(be("10.1.0.7"))), errno.EEXIST,
           "service already exists", "the same service with backends")
    check(len(n_services(g)[0][2]) == 6, "a refused request added a backend")
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")
    expect(g.cmd(CMD_NEW_SERVICE, req()), 0, None, "an empty backend list")
    check(n_services(g)[0][2] == [], "backends out of an empty list")
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")

    ok = [be("10.1.0.1"), be("10.1.0.2")]
    refused(ok + [be("10.1.0.1")], 2, errno.EEXIST, "backend already exists",
            "a backend twice in the list")
    refused(ok + [nest(A_BACKEND, u16(BE_FAMILY, AF_INET),
                       nla(BE_ADDR, v4("10.1.0.3")))],
            2, errno.EINVAL, "backend port missing", "a backend without port")
    refused(ok + [be("10.1.0.3", 80, u32(BE_WEIGHT, WEIGHT_MAX + 1))], 2,
            errno.ERANGE, "?", "a weight out of range")
    refused(ok + [be("10.1.0.3", 80, u32(BE_STATS, 0))], 2, errno.EINVAL,
            "?", "a reply-only attribute in a backend")
    refused([be("10.1.0.3"), nest(A_SERVICE, *be_key())], 1, errno.EINVAL,
            "a service's backend list holds NFLB_A_BACKEND nests only",
            "another nest in the list")
    tun = svc_key() + [u8(SVC_MODE, FWD_TUN)]
    refused(ok + [be("10.1.0.3", 8080)], 2, errno.EINVAL,
            "in modes dr and tun a backend's port must be the service's port",
            "mode tun, a backend on another port", svc=tun)
    base = "/sys/module/nflb/parameters/max_backends"
    old = open(base).read().strip()
    try:
        open(base, "w").write("2")
        refused(ok + [be("10.1.0.3")], 2, errno.ENOSPC,
                "too many backends in this service (module parameter max_backends)",
                "past max_backends")
    finally:
        open(base, "w").write(old)
    # A backend list in a tun service, then traffic-free checks: read back.
    expect(g.cmd(CMD_NEW_SERVICE, req(*ok, svc=tun)), 0, None,
           "mode tun with backends")
    s = n_services(g)
    check(len(s) == 1 and len(s[0][2]) == 2 and
          get_u(s[0][1][SVC_MODE]) == FWD_TUN, "tun service read back wrong")
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def timeouts(g):
    """SET_TIMEOUTS: 0, past the maximum and an empty nest are refused"""
    _, before = info(g)
    check(before == {TMO_TCP: 900, TMO_TCP_FIN: 120, TMO_UDP: 300},
          "default timeouts %s" % before)
    for what, attrs, err, msg in [
            ("udp 0", [u32(TMO_UDP, 0)], errno.ERANGE, "integer out of range"),
            ("tcp 0 with udp 5", [u32(TMO_UDP, 5), u32(TMO_TCP, 0)],
             errno.ERANGE, "integer out of range"),
            ("tcpfin past the maximum", [u32(TMO_TCP_FIN, TIMEOUT_MAX + 1)],
             errno.ERANGE, "integer out of range"),
            ("an empty nest", [], errno.EINVAL, "no timeout given")]:
        expect(g.cmd(CMD_SET_TIMEOUTS, nest(A_TIMEOUTS, *attrs)), err, msg, what)
    _, after = info(g)
    check(after == before, "a refused request changed the timeouts: %s" % after)
    expect(g.cmd(CMD_SET_TIMEOUTS, nest(A_TIMEOUTS, u32(TMO_UDP, TIMEOUT_MAX))),
           0, None, "udp at the maximum")
    _, after = info(g)
    check(after == {TMO_TCP: 900, TMO_TCP_FIN: 120, TMO_UDP: TIMEOUT_MAX},
          "timeouts after setting udp only: %s" % after)
    expect(g.cmd(CMD_SET_TIMEOUTS, nest(A_TIMEOUTS, u32(TMO_UDP, 300))),
           0, None, "udp back to 300")


@test
def unknown_commands(g):
    """every command id past NFLB_CMD_MAX, and 0, is refused (EOPNOTSUPP)"""
    bad = []
    for cmd in [CMD_UNSPEC] + list(range(CMD_MAX + 1, 256)):
        for flags in (NLM_F_ACK, NLM_F_DUMP):
            rep = g.cmd(cmd, nest(A_SERVICE, *svc_key()), flags=flags)
            if rep.err != errno.EOPNOTSUPP:
                bad.append("cmd %d flags %#x: %s" % (cmd, flags, rep))
    check(not bad, "; ".join(bad[:5]) + (" ..." if len(bad) > 5 else ""))
    # Commands that have no dump refuse one; GET_CONN has no doit.
    for cmd in (CMD_NEW_SERVICE, CMD_FLUSH, CMD_GET_INFO):
        rep = g.cmd(cmd, flags=NLM_F_DUMP)
        check(rep.err == errno.EOPNOTSUPP,
              "dump of command %d: expected EOPNOTSUPP, got %s" % (cmd, rep))
    rep = g.cmd(CMD_GET_CONN)
    check(rep.err == errno.EOPNOTSUPP,
          "GET_CONN doit: expected EOPNOTSUPP, got %s" % rep)
    check(n_services(g) == [], "an unknown command created a service")


@test
def limits(g):
    """max_services and max_backends are enforced with ENOSPC"""
    base = "/sys/module/nflb/parameters/"
    try:
        old_s = open(base + "max_services").read().strip()
        old_b = open(base + "max_backends").read().strip()
    except OSError as e:
        raise Fail("module parameters not readable: %s" % e)
    try:
        open(base + "max_services", "w").write("3")
        open(base + "max_backends", "w").write("2")
        for p in (80, 81, 82):
            expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *svc_key(port=p))),
                   0, None, "service %d of 3" % p)
        expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *svc_key(port=83))),
               errno.ENOSPC,
               "too many services in this namespace (module parameter max_services)",
               "a 4th service")
        K = nest(A_SERVICE, *svc_key())
        for a in ("10.1.0.1", "10.1.0.2"):
            expect(g.cmd(CMD_NEW_BACKEND, K, nest(A_BACKEND, *be_key(a))),
                   0, None, "backend %s" % a)
        expect(g.cmd(CMD_NEW_BACKEND, K, nest(A_BACKEND, *be_key("10.1.0.3"))),
               errno.ENOSPC,
               "too many backends in this service (module parameter max_backends)",
               "a 3rd backend")
        i, _ = info(g)
        check(get_u(i[INFO_MAX_SERVICES]) == 3 and
              get_u(i[INFO_MAX_BACKENDS]) == 2 and
              get_u(i[INFO_SERVICES]) == 3,
              "GET_INFO does not show the limits and the count")
    finally:
        open(base + "max_services", "w").write(old_s)
        open(base + "max_backends", "w").write(old_b)
        g.cmd(CMD_FLUSH)
    check(n_services(g) == [], "flush left services behind")


@test
def dump_1000_services(g):
    """a dump of 1,000 services: NLM_F_MULTI parts, NLMSG_DONE, add order"""
    reqs = []
    want = []
    for i in range(1000):
        vip = "10.%d.%d.1" % (i // 250, i % 250)
        port = 1000 + i
        proto = IPPROTO_UDP if i % 3 == 0 else IPPROTO_TCP
        reqs.append((CMD_NEW_SERVICE,
                     nest(A_SERVICE, *svc_key(vip, port, proto))))
        want.append((AF_INET, proto, v4(vip), port))
    errs = g.batch(reqs)
    bad = [i for i, e in enumerate(errs) if e]
    check(not bad, "%d of 1000 NEW_SERVICE failed, first %d: errno %d"
          % (len(bad), bad[0] if bad else 0, errs[bad[0]] if bad else 0))
    msgs, dgrams, rep = g.dump(CMD_GET_SERVICE)
    check(rep.err == 0, "dump: %s" % rep)
    log("1000 services: %d messages in %d datagrams" % (len(msgs), dgrams))
    check(all(f & NLM_F_MULTI for _, f, _ in msgs),
          "a dump message without NLM_F_MULTI")
    check(not any(f & NLM_F_DUMP_INTR for _, f, _ in msgs),
          "NLM_F_DUMP_INTR in a dump nothing changed under")
    check(rep.done_flags & NLM_F_MULTI, "NLMSG_DONE without NLM_F_MULTI")
    check(dgrams > 1, "1000 services fit one datagram? (%d)" % dgrams)
    got = [s[0] for s in services_of(msgs)]
    check(len(got) == 1000, "dump returned %d services" % len(got))
    check(got == want, "services not in the order they were added")
    i, _ = info(g)
    check(get_u(i[INFO_SERVICES]) == 1000,
          "GET_INFO counts %d services" % get_u(i[INFO_SERVICES]))
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")
    check(n_services(g) == [], "flush left services behind")


@test
def dump_2000_backends(g):
    """one service with 2,000 backends is continued across messages"""
    K = nest(A_SERVICE, *svc_key("10.9.9.9", 443))
    expect(g.cmd(CMD_NEW_SERVICE, K), 0, None, "service")
    expect(g.cmd(CMD_NEW_SERVICE, nest(A_SERVICE, *svc_key("10.9.9.10", 443))),
           0, None, "a second service after it")
    want = []
    reqs = []
    for i in range(2000):
        a = "10.200.%d.%d" % (i // 200, i % 200 + 1)
        reqs.append((CMD_NEW_BACKEND,
                     K + nest(A_BACKEND, *be_key(a, 8000 + i % 7),
                              u32(BE_WEIGHT, i % 100))))
        want.append((v4(a), 8000 + i % 7, i % 100))
    errs = g.batch(reqs)
    bad = [i for i, e in enumerate(errs) if e]
    check(not bad, "%d of 2000 NEW_BACKEND failed, first errno %d"
          % (len(bad), errs[bad[0]] if bad else 0))
    msgs, dgrams, rep = g.dump(CMD_GET_SERVICE)
    check(rep.err == 0, "dump: %s" % rep)
    s = services_of(msgs)
    check(len(s) == 2, "expected 2 services after merging, got %d" % len(s))
    key, a, bes, parts = s[0]
    log("2000 backends: %d messages, the service in %d parts" %
        (len(msgs), parts))
    check(parts > 1, "2000 backends fit one message?")
    check(get_u(a[SVC_NUM_BACKENDS]) == 2000,
          "NUM_BACKENDS %d" % get_u(a[SVC_NUM_BACKENDS]))
    got = [(b[BE_ADDR], get_u(b[BE_PORT]), get_u(b[BE_WEIGHT])) for b in bes]
    check(len(got) == 2000, "merged %d backends" % len(got))
    check(got == want, "backends differ from what was added (order or values)")
    check(s[1][2] == [] and get_u(s[1][1][SVC_NUM_BACKENDS]) == 0,
          "the second service came back with backends")
    # doit of the big service: one message, as many backends as fit one
    # attribute (16-bit nla_len), NUM_BACKENDS telling how many there are.
    rep = g.cmd(CMD_GET_SERVICE, K)
    expect(rep, 0, None, "GET_SERVICE doit of 2000 backends")
    check(len(rep.msgs) == 1, "GET_SERVICE doit: %d messages" % len(rep.msgs))
    payload = rep.msgs[0][2]
    alen = struct.unpack_from("=H", payload, 4)[0]
    check(4 + ((alen + 3) & ~3) == len(payload),
          "GET_SERVICE doit: the reply carries %d bytes after the genl header "
          "but its NFLB_A_SERVICE nest says nla_len %d (16 bits: wrapped past "
          "64 KiB?)" % (len(payload) - 4, alen))
    d = services_of(rep.msgs)
    check(len(d) == 1, "GET_SERVICE doit: %d services" % len(d))
    n = len(d[0][2])
    log("GET_SERVICE doit: %d of %d backends in %d bytes" %
        (n, get_u(d[0][1][SVC_NUM_BACKENDS]), len(payload)))
    check(get_u(d[0][1][SVC_NUM_BACKENDS]) == 2000,
          "GET_SERVICE doit: NUM_BACKENDS %d" % get_u(d[0][1][SVC_NUM_BACKENDS]))
    check(0 < n <= 2000, "GET_SERVICE doit: %d backends" % n)
    got = [(b[BE_ADDR], get_u(b[BE_PORT]), get_u(b[BE_WEIGHT]))
           for b in d[0][2]]
    check(got == want[:n], "GET_SERVICE doit: backends are not the first %d" % n)
    # A dump naming the service: that service alone, every backend.
    msgs, _, rep = g.dump(CMD_GET_SERVICE, K)
    check(rep.err == 0, "filtered dump: %s" % rep)
    s = services_of(msgs)
    check(len(s) == 1, "filtered dump: %d services" % len(s))
    got = [(b[BE_ADDR], get_u(b[BE_PORT]), get_u(b[BE_WEIGHT])) for b in s[0][2]]
    check(got == want, "filtered dump: %d backends, not the 2000 added" % len(got))
    msgs, _, rep = g.dump(CMD_GET_SERVICE, nest(A_SERVICE, *svc_key("10.9.9.11", 443)))
    check(rep.err == errno.ENOENT and rep.msg == "service not found",
          "filtered dump of a missing service: %s" % rep)
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")


@test
def still_works(g):
    """after all of that the family still adds, lists and deletes"""
    K = nest(A_SERVICE, *svc_key("10.0.0.7", 53, IPPROTO_UDP),
             strz(SVC_SCHED, "rr"), u32(SVC_PERSIST, 30))
    expect(g.cmd(CMD_NEW_SERVICE, K), 0, None, "service")
    expect(g.cmd(CMD_NEW_BACKEND, nest(A_SERVICE, *svc_key("10.0.0.7", 53,
                                                           IPPROTO_UDP)),
                 nest(A_BACKEND, *be_key("10.1.0.9", 5353), u32(BE_WEIGHT, 0))),
           0, None, "backend weight 0")
    s = n_services(g)
    check(len(s) == 1, "%d services" % len(s))
    key, a, bes, _ = s[0]
    check(key == (AF_INET, IPPROTO_UDP, v4("10.0.0.7"), 53), "key %r" % (key,))
    check(a[SVC_SCHED] == b"rr\0" and get_u(a[SVC_PERSIST]) == 30 and
          get_u(a[SVC_MODE]) == FWD_NAT and get_u(a[SVC_FLAGS]) == 0,
          "service settings did not round-trip")
    st, _ = parse_attrs(a[SVC_STATS])
    check(all(get_u(st[t]) == 0 for t in range(1, 6)),
          "a new service has non-zero counters")
    check(len(bes) == 1 and bes[0][BE_ADDR] == v4("10.1.0.9") and
          get_u(bes[0][BE_PORT]) == 5353 and get_u(bes[0][BE_WEIGHT]) == 0,
          "backend did not round-trip")
    expect(g.cmd(CMD_FLUSH), 0, None, "flush")
    check(n_services(g) == [], "flush left services behind")


def main():
    if os.geteuid() != 0:
        print("TAP version 13\n1..0 # SKIP nl_raw.py needs root")
        return 4
    print("TAP version 13")
    print("1..%d" % len(TESTS))
    sys.stdout.flush()
    try:
        g = Genl()
    except (Fail, OSError) as e:
        log(str(e))
        for i, t in enumerate(TESTS, 1):
            print("not ok %d %s" % (i, t.__name__))
        return 1
    failed = 0
    for i, t in enumerate(TESTS, 1):
        log(t.__doc__)
        try:
            t(g)
            print("ok %d %s" % (i, t.__name__))
        except Fail as e:
            log("FAIL: %s" % e)
            print("not ok %d %s" % (i, t.__name__))
            failed += 1
            g.cmd(CMD_FLUSH)      # do not let one failure cascade
        except Exception as e:    # a bug here or a malformed reply
            log("ERROR: %r" % e)
            print("not ok %d %s" % (i, t.__name__))
            failed += 1
            g = Genl()
            g.cmd(CMD_FLUSH)
        sys.stdout.flush()
    log("%d passed, %d failed" % (len(TESTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
