"""Packet headers as BDD variables (CUDD through `dd`), and how a packet is rewritten on its way.

Variable order, top to bottom: protocol (8 bits), destination address (32), source address (32),
destination and source ports interleaved bit by bit (16 + 16), and last an origin tag naming
which source sent the packet.  Routes read only the destination, so it comes first; the ports
are interleaved so that "source port equals destination port" (a packet that is its own reply)
stays a small BDD; the origin sits at the bottom, where it costs little because the source
address mostly decides it (on top, every source would carry its own copy of the rest: 10x
slower walks).  Packets without ports (neither TCP nor UDP) carry port 0 in both
fields, as the tracer's `None`.  ICMP types and codes are not modelled (the IR has none).

A set of packets is always kept over the headers *as sent*; a `View` says how the packet as it
is now is made of them (NAT writes constants into the addresses, a reply swaps the fields), so
a condition on the current packet becomes a condition on the sent packet by substitution.
"""

from __future__ import annotations

from functools import reduce
from ipaddress import IPv4Address, IPv4Network
from typing import NamedTuple

try:
    from dd import cudd as _backend
    BACKEND = "cudd"
except ImportError:  # pragma: no cover - only when the wheel lacks the CUDD binding
    from dd import autoref as _backend
    BACKEND = "autoref"

from ...ir.model import Match
from ..packet import DEFAULT_SPORT, Packet

WIDTH = {"proto": 8, "dst": 32, "src": 32, "dport": 16, "sport": 16}
ORIGIN_BITS = 14  # up to 16,384 sources (endpoint classes) in one analysis
PREFIX = {"proto": "p", "dst": "d", "src": "s", "dport": "a", "sport": "b", "origin": "o"}


class View(NamedTuple):  # a tuple: hashed in C, and hashed very often
    """The current packet in terms of the sent one: each address is a sent field ("src" or
    "dst") or a constant (an int) that NAT wrote; `swapped` when the ports are exchanged."""

    src: str | int = "src"
    dst: str | int = "dst"
    swapped: bool = False

    def reply(self) -> View:
        return View(self.dst, self.src, not self.swapped)

    def with_src(self, addr: IPv4Address) -> View:
        return View(int(addr), self.dst, self.swapped)

    def with_dst(self, addr: IPv4Address) -> View:
        return View(self.src, int(addr), self.swapped)


SENT = View()


def _prefix_blocks(lo: int, hi: int, width: int):
    """[lo, hi] as aligned blocks (value, prefix length)."""
    while lo <= hi:
        size = lo & -lo if lo else 1 << width
        while size > hi - lo + 1:
            size >>= 1
        yield lo, width - size.bit_length() + 1
        lo += size


class Headers:
    """One BDD manager and the encodings every analysis shares (sets are comparable across
    networks analysed with the same Headers, which is how `diff` works)."""

    def __init__(self) -> None:
        self.bdd = _backend.BDD()
        if BACKEND == "cudd":
            self.bdd.configure(reordering=False)  # dynamic reordering costs 8-130x here
        self.vars = {f: [f"{PREFIX[f]}{i}" for i in range(w)] for f, w in WIDTH.items()}
        self.vars["origin"] = [f"o{i}" for i in range(ORIGIN_BITS)]
        order = self.vars["proto"] + self.vars["dst"] + self.vars["src"]
        for a, b in zip(self.vars["dport"], self.vars["sport"]):
            order += [a, b]
        order += self.vars["origin"]
        self.bdd.declare(*order)
        self.true, self.false = self.bdd.true, self.bdd.false
        self._values: dict = {}
        self._matches: dict = {}
        self.has_ports = self.value("proto", 6) | self.value("proto", 17)
        self.universe = self.has_ports | (self.value("dport", 0) & self.value("sport", 0))
        self.ports_equal = reduce(lambda acc, ab: acc & self.bdd.apply(
            "<=>", self.bdd.var(ab[0]), self.bdd.var(ab[1])),
            zip(self.vars["dport"], self.vars["sport"]), self.true)
        self.header_vars = [v for f in WIDTH for v in self.vars[f]]
        self._subst: dict = {}
        self._equal: dict = {}

    # ---- encodings -----------------------------------------------------------------------

    def bits(self, field: str, value: int, length: int | None = None) -> dict[str, bool]:
        width = len(self.vars[field])
        n = width if length is None else length
        return {self.vars[field][i]: bool(value >> (width - 1 - i) & 1) for i in range(n)}

    def value(self, field: str, value: int, length: int | None = None):
        key = (field, value, length)
        hit = self._values.get(key)
        if hit is None:
            hit = self._values[key] = self.bdd.cube(self.bits(field, value, length))
        return hit

    def prefix(self, field: str, net: IPv4Network):
        return self.value(field, int(net.network_address), net.prefixlen)

    def addresses(self, field: str, addrs) -> object:
        return self.any_of([self.value(field, int(a)) for a in addrs])

    def any_of(self, items: list):
        """Balanced disjunction: much faster than a left fold for long lists."""
        items = list(items)
        if not items:
            return self.false
        while len(items) > 1:
            items = [items[i] | items[i + 1] if i + 1 < len(items) else items[i]
                     for i in range(0, len(items), 2)]
        return items[0]

    def xor(self, u, v):
        return self.bdd.apply("xor", u, v)

    def port_range(self, field: str, lo: int, hi: int):
        return self.any_of([self.value(field, v, n) for v, n in _prefix_blocks(lo, hi, 16)])

    def match(self, m: Match):
        """The packets a Match matches, as `packet.matches` decides it (cached: a changed
        filter is recompiled from its rules' cached sets)."""
        hit = self._matches.get(m)
        if hit is None:
            hit = self._matches[m] = self._match(m)
        return hit

    def _match(self, m: Match):
        u = self.universe
        if m.protocols:
            u &= self.any_of([self.value("proto", p) for p in m.protocols])
        if m.src:
            u &= self.any_of([self.prefix("src", n) for n in m.src])
        if m.dst:
            u &= self.any_of([self.prefix("dst", n) for n in m.dst])
        if m.dst_ports:  # a packet without ports matches no port condition
            u &= self.has_ports & self.any_of([self.port_range("dport", r.lo, r.hi)
                                               for r in m.dst_ports])
        if m.src_ports:
            u &= self.has_ports & self.any_of([self.port_range("sport", r.lo, r.hi)
                                               for r in m.src_ports])
        return u

    def packet(self, p: Packet):
        values = {**self.bits("proto", p.proto), **self.bits("dst", int(p.dst)),
                  **self.bits("src", int(p.src)), **self.bits("dport", p.dport or 0),
                  **self.bits("sport", p.sport or 0)}
        return self.bdd.cube(values)

    def origin(self, i: int):
        return self.value("origin", i)

    # ---- rewriting -----------------------------------------------------------------------

    def subst(self, u, view: View):
        """A condition on the current packet as a condition on the sent packet."""
        if view == SENT or u == self.true or u == self.false:
            return u
        key = (u, view)
        hit = self._subst.get(key)
        if hit is not None:
            return hit
        consts = {}
        for field in ("src", "dst"):
            spec = getattr(view, field)
            if isinstance(spec, int):
                consts.update(self.bits(field, spec))
        r = self.bdd.let(consts, u) if consts else u
        rename = {}
        if view.src == "dst":
            rename.update(zip(self.vars["src"], self.vars["dst"]))
        if view.dst == "src":
            rename.update(zip(self.vars["dst"], self.vars["src"]))
        if view.swapped:
            rename.update(zip(self.vars["dport"], self.vars["sport"]))
            rename.update(zip(self.vars["sport"], self.vars["dport"]))
        if rename:
            r = self.bdd.let({k: self.bdd.var(v) for k, v in rename.items()}, r)
        self._subst[key] = r
        return r

    @staticmethod
    def compatible(a: View, b: View) -> bool:
        """False when two views can never give the same packet (different NAT constants)."""
        return not (a.src != b.src and type(a.src) is int and type(b.src) is int or
                    a.dst != b.dst and type(a.dst) is int and type(b.dst) is int)

    def equal(self, a: View, b: View):
        """The sent packets for which both views give the same current packet, apart from a
        condition "source address equals destination address" (which a BDD in this variable
        order cannot hold); the second value says whether that condition is also needed."""
        key = (a, b)
        hit = self._equal.get(key)
        if hit is not None:
            return hit
        u, cross = self.true, False
        for field in ("src", "dst"):
            x, y = getattr(a, field), getattr(b, field)
            if x == y:
                continue
            if isinstance(x, int) and isinstance(y, int):
                u = self.false
            elif isinstance(x, int):
                u &= self.value(y, x)
            elif isinstance(y, int):
                u &= self.value(x, y)
            else:
                cross = True
        if a.swapped != b.swapped:
            u &= self.ports_equal
        self._equal[key] = (u, cross)
        return u, cross

    def self_addressed(self, u, limit: int = 256):
        """The packets of `u` whose source address equals their destination, built address by
        address (no BDD in this order holds the whole diagonal); None beyond `limit` addresses."""
        diagonal = self.bdd.let({s: self.bdd.var(d) for s, d in
                                 zip(self.vars["src"], self.vars["dst"])}, u)
        if diagonal == self.false:
            return self.false
        dsts = self.project(diagonal, "dst")
        if self.bdd.count(dsts, nvars=32) > limit:
            return None
        out = []
        for a in self.bdd.pick_iter(dsts, care_vars=self.vars["dst"]):
            bits = {v: a[v] for v in self.vars["dst"]}
            same_src = {s: a[d] for s, d in zip(self.vars["src"], self.vars["dst"])}
            out.append(self.bdd.let(bits, diagonal) & self.bdd.cube(bits) &
                       self.bdd.cube(same_src))
        return self.any_of(out)

    # ---- reading sets back ----------------------------------------------------------------

    def headers_only(self, u):
        """Forget which source sent the packets."""
        return self.bdd.exist(self.vars["origin"], u)

    def origins(self, u) -> list[int]:
        """The origin tags present in a set."""
        names = self.vars["origin"]
        tags = self.bdd.exist(self.header_vars, u)
        return [sum(1 << (len(names) - 1 - i) for i, v in enumerate(names) if a[v])
                for a in self.bdd.pick_iter(tags, care_vars=names)]

    def project(self, u, field: str):
        keep = set(self.vars[field])
        return self.bdd.exist([v for v in self.header_vars + self.vars["origin"]
                               if v not in keep], u)

    def pick(self, u, prefer: list | None = None) -> tuple[Packet, int] | None:
        """One packet of the set (and its origin), choosing the preferred values where the
        set allows them, and a typical ephemeral source port."""
        if u == self.false:
            return None
        for cond in (prefer or []) + [self.value("sport", DEFAULT_SPORT)]:
            narrowed = u & cond
            if narrowed != self.false:
                u = narrowed
        a = self.bdd.pick(u) or {}

        def num(field: str) -> int:
            vs = self.vars[field]
            return sum(1 << (len(vs) - 1 - i) for i, v in enumerate(vs) if a.get(v, False))
        proto = num("proto")
        ports = proto in (6, 17)
        return (Packet(IPv4Address(num("src")), IPv4Address(num("dst")), proto,
                       num("sport") if ports else None, num("dport") if ports else None),
                num("origin"))
