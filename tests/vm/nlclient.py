# SPDX-License-Identifier: GPL-2.0
"""A raw generic netlink client of the "handshake" family for the VM tests.

It takes every number from specs/handshake.yaml, so the tests speak the
protocol as specified, and it does what a real agent never would (claim
and not finish, send malformed done messages, join groups and never
claim), which is how the tests reach the kernel's error paths.

    nl = Handshake()
    err, ext, reply = nl.do("accept", [("cookie", c)])
"""
import os
import socket
import struct
import time

import yaml

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_BROADCAST_ERROR = 4
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 1 << 15
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 16, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2

SPEC = os.path.join(os.path.dirname(__file__), "../../specs/handshake.yaml")
FMT = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q", "s32": "=i"}


def _attrs(data):
    """Yields (type, payload) of the attributes in data."""
    off = 0
    while off + 4 <= len(data):
        length, typ = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        yield typ & 0x3FFF, data[off + 4:off + length]
        off += (length + 3) & ~3


def _attr(typ, payload):
    hdr = struct.pack("=HH", 4 + len(payload), typ)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


class Spec:
    """Attribute sets, enums and operations of the YNL spec, by name."""

    def __init__(self, path=SPEC):
        spec = yaml.safe_load(open(path))
        self.version = spec.get("version", 1)
        self.sets = {}
        for aset in spec["attribute-sets"]:
            attrs, val = {}, 1
            for a in aset["attributes"]:
                val = a.get("value", val)
                attrs[a["name"]] = dict(a, value=val)
                val += 1
            self.sets[aset["name"]] = attrs
        self.enums = {}
        for d in spec.get("definitions", []):
            if d.get("type") != "enum":
                continue
            vals, val = {}, d.get("value-start", 0)
            for e in d["entries"]:
                if isinstance(e, dict):
                    val = e.get("value", val)
                    e = e["name"]
                vals[e] = val
                val += 1
            self.enums[d["name"]] = vals
        self.ops, val = {}, 1
        for op in spec["operations"]["list"]:
            val = op.get("value", val)
            self.ops[op["name"]] = val
            val += 1

    def encode(self, setname, attrs):
        out = b""
        for name, value in attrs:
            a = self.sets[setname][name]
            typ = a["value"]
            if isinstance(value, bytes):  # raw payload, right or wrong
                out += _attr(typ, value)
            elif a["type"] == "nest":
                out += _attr(typ | NLA_F_NESTED,
                             self.encode(a["nested-attributes"], value))
            elif a["type"] == "string":
                out += _attr(typ, value.encode() + b"\0")
            else:
                if isinstance(value, str):
                    value = self.enums[a["enum"]][value]
                out += _attr(typ, struct.pack(FMT[a["type"]], value))
        return out

    def decode(self, setname, data):
        """A dict name -> value; multi-attrs give lists."""
        by_value = {a["value"]: a for a in self.sets[setname].values()}
        out = {}
        for typ, payload in _attrs(data):
            a = by_value.get(typ)
            if a is None or a["type"] == "pad":
                continue
            if a["type"] == "nest":
                v = self.decode(a["nested-attributes"], payload)
            elif a["type"] == "string":
                v = payload.rstrip(b"\0").decode()
            elif a["type"] == "binary":
                v = payload
            else:
                v = struct.unpack(FMT[a["type"]], payload)[0]
            if a.get("multi-attr"):
                out.setdefault(a["name"], []).append(v)
            else:
                out[a["name"]] = v
        return out


class Handshake:
    """One netlink socket speaking the handshake family."""

    def __init__(self, spec=None):
        self.spec = spec or Spec()
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.portid = self.sock.getsockname()[0]
        self.seq = 0
        self.family, self.groups = self._resolve()

    def _request(self, family, cmd, version, payload, flags=NLM_F_ACK):
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + payload
        hdr = struct.pack("=IHHII", 16 + len(body), family,
                          NLM_F_REQUEST | flags, self.seq, 0)
        self.sock.send(hdr + body)
        return self.seq

    def _replies(self, seq):
        """(errno, extack message, [genl payloads]) of one request."""
        payloads = []
        while True:
            data = self.sock.recv(1 << 16)
            off = 0
            while off < len(data):
                length, typ, flags, rseq, _ = struct.unpack_from("=IHHII", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if rseq != seq:
                    continue
                if typ == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    ext = ""
                    if flags & 0x200:  # NLM_F_ACK_TLVS
                        inner = struct.unpack_from("=I", msg, 4)[0]
                        tlvs = msg[4 + (16 if flags & 0x100 else inner):]  # NLM_F_CAPPED
                        for t, p in _attrs(tlvs):
                            if t == NLMSGERR_ATTR_MSG:
                                ext = p.rstrip(b"\0").decode()
                    return err, ext, payloads
                if typ == NLMSG_DONE:
                    return 0, "", payloads
                payloads.append(msg[4:])

    def _resolve(self):
        seq = self._request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
                            _attr(CTRL_ATTR_FAMILY_NAME, b"handshake\0"))
        err, ext, payloads = self._replies(seq)
        if err:
            raise OSError(err, "the handshake family: " + os.strerror(err))
        family, groups = None, {}
        for typ, p in _attrs(payloads[0]):
            if typ == CTRL_ATTR_FAMILY_ID:
                family = struct.unpack("=H", p)[0]
            elif typ == CTRL_ATTR_MCAST_GROUPS:
                for _, grp in _attrs(p):
                    g = dict(_attrs(grp))
                    groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                        struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]
        return family, groups

    def join(self, group):
        """Joins a multicast group; raises PermissionError without the right.
        As the protocol asks of agents, an overrun of this socket is
        reported to the kernel (ENOBUFS), not taken for "no agent"."""
        self.sock.setsockopt(SOL_NETLINK, NETLINK_BROADCAST_ERROR, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                             self.groups[group])

    def do(self, op, attrs=(), dump=False):
        """(errno, extack message, [reply dicts]) of one command."""
        payload = self.spec.encode("handshake", attrs)
        flags = NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        seq = self._request(self.family, self.spec.ops[op], self.spec.version,
                            payload, flags)
        err, ext, payloads = self._replies(seq)
        return err, ext, [self.spec.decode("handshake", p) for p in payloads]

    def raw(self, cmd, payload):
        """Sends any command number with any payload: (errno, extack)."""
        seq = self._request(self.family, cmd, self.spec.version, payload)
        err, ext, _ = self._replies(seq)
        return err, ext

    def events(self, timeout):
        """Yields (op name, attrs) of notifications until timeout seconds pass."""
        names = {v: k for k, v in self.spec.ops.items()}
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                return
            finally:
                self.sock.settimeout(None)
            off = 0
            while off < len(data):
                length, typ, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if typ == self.family and seq == 0:
                    yield names.get(msg[0]), self.spec.decode("handshake", msg[4:])

    def wait_request(self, timeout=10):
        """The cookie of the next request event."""
        for op, attrs in self.events(timeout):
            if op == "request":
                return attrs["cookie"]
        raise TimeoutError("no request event in %ss" % timeout)
