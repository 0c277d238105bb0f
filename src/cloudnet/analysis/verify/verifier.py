"""The verifier's public face: every endpoint sends every packet at once; ask what gets through.

    v = Verifier(net)
    v.flows(select(net, "internet"), select(net, "subnet:db-a"))   # BDD of sent packets
    v.update_filter(fid, new_filter)     # one changed filter: only affected packets recomputed
    v.update_routes(node, table, routes) # one changed route table, likewise

A flow "gets through" when it is delivered and its reply is delivered too (a session works);
`replies=False` asks for delivery alone.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from ...ir.model import Filter, Network, NodeKind, Route
from ...providers.internet import DEFAULT_SOURCE
from ..packet import Packet
from ..trace import Disposition
from .atoms import EndpointClass
from .groups import INTERNET, NOT_PUBLIC, Group, addresses, public_addresses
from .headers import SENT, Headers
from .model import SymNet
from .reach import FORWARD, REPLY, Engine, Update

WELL_KNOWN = (443, 80, 22, 5432, 3306, 8080, 53)
WORLD = IPv4Address("192.0.2.1")  # TEST-NET-1: "somewhere on the internet" in examples

# What the verifier (like the tracer it mirrors) does not model; printed with every answer.
NOT_MODELLED = [
    "ICMP types and codes (ICMP is one protocol)",
    "IPv6",
    "NAT port allocation (source NAT keeps the source port)",
]


class Verifier:
    def __init__(self, net: Network, hs: Headers | None = None, classes: bool = True):
        self.net = net
        self.hs = hs or Headers()
        self.sym = SymNet(net, self.hs, classes)
        self.origin: dict[str, int] = {}  # source (symbolic node) -> origin tag
        seeds = {}
        for sid, sn in sorted(self.sym.nodes.items()):
            src = self._source_addresses(sid, sn.cls)
            if src is None:
                continue
            self.origin[sid] = len(self.origin)
            seeds[(sid, None, SENT)] = self.hs.universe & src & self.hs.origin(self.origin[sid])
        self.engine = Engine(self.sym, seeds)
        self._delivered: dict[str, object] = {}
        self._replied = None

    def _sender(self, sid: str):
        """A source's tag and addresses: intersecting with it only follows its own paths."""
        sn = self.sym.nodes[sid]
        return self._source_addresses(sid, sn.cls) & self.hs.origin(self.origin[sid])

    def _source_addresses(self, sid: str, cls: EndpointClass | None):
        hs = self.hs
        if sid == INTERNET:
            # The rest of the world: public addresses that are not the model's own (its
            # announced public addresses and its internet hosts would be spoofed).
            own = [r.prefix for t in self.net.nodes[INTERNET].tables.values() for r in t.routes
                   if r.kind in ("announced", "connected")]
            return ~hs.any_of([hs.prefix("src", p) for p in NOT_PUBLIC + own])
        node = self.sym.nodes[sid].node
        if node.kind is not NodeKind.HOST:
            return None
        members = cls.members if cls else [sid]
        return hs.addresses("src", [a for m in members for a in addresses(self.net, m)])

    # ---- answers -------------------------------------------------------------------------

    @property
    def caveats(self) -> list[str]:
        notes = sorted(self.engine.caveats)
        notes += [f"unsupported input: {p}" for p in self.net.unsupported]
        return notes

    def sources(self, group: Group):
        """The packets the group's endpoints send (each from its own addresses)."""
        hs = self.hs
        parts = []
        for n in group.nodes:
            sid = self.sym.sym_id(n)
            if sid not in self.origin:
                continue
            src = self._source_addresses(sid, None) if n == INTERNET else \
                hs.addresses("src", addresses(self.net, n))
            parts.append(hs.origin(self.origin[sid]) & src)
        return hs.any_of(parts)

    def delivered_to(self, group: Group):
        """Sent packets delivered to the group (for the internet: that leave into it)."""
        return self.hs.any_of([self._delivered_to(n) for n in group.nodes])

    def _delivered_to(self, node_id: str):
        hit = self._delivered.get(node_id)
        if hit is not None:
            return hit
        hs = self.hs
        sid = self.sym.sym_id(node_id)
        cls = self.sym.nodes[sid].cls
        parts = []
        want = Disposition.EXITS_NETWORK if node_id == INTERNET else Disposition.ACCEPTED
        for o, pkts in self.engine.fates(FORWARD, want):
            if o.node != sid:
                continue
            if cls is not None:  # which member: the one the packet is addressed to, there
                pkts &= hs.subst(hs.addresses("dst", addresses(self.net, node_id)), o.view)
            parts.append(pkts)
        hit = self._delivered[node_id] = hs.any_of(parts)
        return hit

    def replied(self):
        """Sent packets whose reply came back: delivered, or for what the internet sent,
        returned into the internet (the world it stands for)."""
        if self._replied is None:
            hs = self.hs
            back = self.engine.replied()
            if INTERNET in self.origin:
                home = hs.any_of([p for o, p in self.engine.fates(REPLY,
                                                                  Disposition.EXITS_NETWORK)
                                  if o.node == INTERNET])
                back |= home & hs.origin(self.origin[INTERNET])
            self._replied = back
        return self._replied

    def flows(self, a: Group, b: Group, replies: bool = True):
        """Sent packets (with their origin tag) from a's endpoints that reach b's."""
        u = self.sources(a) & self.delivered_to(b)
        return u & self.replied() if replies else u

    def destination_addresses(self, group: Group):
        """The destination addresses that reach the group's endpoints, private and public."""
        if group.kind == INTERNET:
            return self.hs.true
        addrs: list[IPv4Address] = []
        for n in group.nodes:
            addrs += addresses(self.net, n) + public_addresses(self.net, n)
        return self.hs.addresses("dst", addrs)

    def source_addresses(self, group: Group):
        if group.kind == INTERNET:
            return self._source_addresses(INTERNET, None)
        return self.hs.addresses("src", [a for n in group.nodes
                                         for a in addresses(self.net, n)])

    def passed(self, node_id: str, forward_only: bool = False):
        return self.engine.passed(self.sym.sym_id(node_id), forward_only)

    def example(self, u) -> tuple[str, Packet] | None:
        """One flow of the set: where it starts and the packet, with familiar values where
        the set allows them (TCP, a well-known port, the internet's usual source)."""
        hs = self.hs
        prefer = []
        if INTERNET in self.origin:
            prefer += [hs.origin(self.origin[INTERNET]) & hs.value("src", int(IPv4Address(a)))
                       for a in
                       (self.net.nodes[INTERNET].attrs.get("source"), DEFAULT_SOURCE) if a]
        prefer += [hs.value("proto", 6)] + [hs.value("dport", p) for p in WELL_KNOWN]
        prefer.append(hs.value("dst", int(WORLD)))
        picked = hs.pick(u, prefer)
        if picked is None:
            return None
        pkt, tag = picked
        sid = {n: s for s, n in self.origin.items()}[tag]
        cls = self.sym.nodes[sid].cls
        return (cls.member_of(pkt.src) if cls else sid), pkt

    # ---- all pairs -----------------------------------------------------------------------

    def all_pairs(self, replies: bool = True) -> dict[str, tuple[object, list[str]]]:
        """For every endpoint class (hosts interchangeable but for their address, or single
        endpoints) and the internet: the packets that get through to it from every source,
        as one BDD tagged by source, and the sources it holds.  One pair's own set is
        `pair(source, destination)`, a single intersection away."""
        hs = self.hs
        ok = self.replied() if replies else hs.true
        at: dict[str, list] = {}
        for o, pkts in self.engine.fates(FORWARD):
            if o.disposition is Disposition.ACCEPTED or (
                    o.disposition is Disposition.EXITS_NETWORK and o.node == INTERNET):
                at.setdefault(o.node, []).append(pkts)
        name = {n: s for s, n in self.origin.items()}
        out = {}
        for dst, parts in at.items():
            u = hs.any_of(parts) & ok
            senders = [name[n] for n in hs.origins(u)]
            if senders:
                out[dst] = (u, senders)
        return out

    def pair(self, pairs: dict, source: str, destination: str):
        """One pair's packets out of `all_pairs()` (symbolic node ids)."""
        u, senders = pairs.get(destination, (self.hs.false, []))
        return u & self._sender(source) if source in senders else self.hs.false

    # ---- incremental updates -------------------------------------------------------------

    def update_filter(self, filter_id: str, new: Filter) -> Update:
        return self._updated(self.engine.update_filter(filter_id, new))

    def update_routes(self, node_id: str, table: str, routes: list[Route]) -> Update:
        return self._updated(self.engine.update_routes(node_id, table, routes))

    def _updated(self, up: Update) -> Update:
        self._delivered.clear()
        self._replied = None
        return up
