"""Blocked paths: for a flow that does not get through, the whole would-be path and every
setting along it that would have to change — not only the first drop (as AWS Reachability
Analyzer's blocked-path explanations do).

The concrete tracer follows the flow on a private copy of the network; at each drop the
setting to blame is noted and the copy is patched just enough to let this one flow past
(a rule allowing exactly it, a route for exactly its destination toward where it is going),
and the tracer runs again, until the flow and its reply get through or nothing can be patched
(a host that does not forward, an address nobody holds, a loop).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from ...ir import build
from ...ir.model import (Action, LinkKind, Match, Network, PortRange, Provenance, Rule)
from ..fabric import Fabric
from ..packet import Packet
from ..trace import Disposition, Trace, Tracer

MAX_PATCHES = 16
GOOD = (Disposition.ACCEPTED, Disposition.EXITS_NETWORK)


@dataclass
class Blocker:
    direction: str  # forward or return
    node: str
    what: str  # the setting that would have to change
    provenance: Provenance | None

    def to_json(self) -> dict:
        out = {"direction": self.direction, "node": self.node, "change": self.what}
        if self.provenance is not None:
            out["source"] = {"what": self.provenance.what, "file": self.provenance.source,
                             "line": self.provenance.line, "path": self.provenance.path}
        return out


@dataclass
class BlockedPath:
    packet: Packet
    trace: Trace  # the would-be trace, with every blocker patched
    blockers: list[Blocker]
    complete: bool  # the patched flow (and its reply) got through

    def to_json(self) -> dict:
        return {"flow": self.packet.to_json(), "would_be_path": self.trace.nodes,
                "return_path": self.trace.reply.nodes if self.trace.reply else [],
                "complete": self.complete, "changes": [b.to_json() for b in self.blockers]}


def exact(p: Packet) -> Match:
    ports = lambda n: (PortRange(n, n),) if n is not None else ()  # noqa: E731
    return Match((p.proto,), (IPv4Network(f"{p.src}/32"),), (IPv4Network(f"{p.dst}/32"),),
                 ports(p.sport), ports(p.dport))


def blocked_path(net: Network, start: str, pkt: Packet) -> BlockedPath:
    work = copy.deepcopy(net)
    blockers: list[Blocker] = []
    trace = Tracer(work).trace(start, pkt)
    for _ in range(MAX_PATCHES):
        failing = _failing(trace)
        if failing is None:
            return BlockedPath(pkt, trace, blockers, True)
        direction, t = failing
        blocker, patched = _patch(work, t, direction, start if direction == "return" else None)
        blockers.append(blocker)
        if not patched:
            break
        trace = Tracer(work).trace(start, pkt)
    return BlockedPath(pkt, trace, blockers, False)


def _failing(t: Trace) -> tuple[str, Trace] | None:
    if t.disposition not in GOOD:
        return "forward", t
    if t.reply is not None and t.reply.disposition is not Disposition.ACCEPTED:
        return "return", t.reply
    return None


def _patch(net: Network, t: Trace, direction: str, home: str | None) -> tuple[Blocker, bool]:
    node = t.hops[-1].node
    cause = t.cause
    p = t.final
    if cause.type == "filter":
        flt = net.filters[cause.filter]
        what = (f"{flt.provenance.what}: allow {p.describe()} "
                f"(now: {cause.provenance.what if cause.provenance else cause.detail})")
        flt.rules.insert(0, Rule(Action.ALLOW, exact(p), Provenance(f"would-be rule for {what}"),
                                 "would-be"))
        located = cause.provenance if cause.provenance and cause.provenance.source else \
            flt.provenance  # an implicit deny has no line of its own: name the filter's
        return Blocker(direction, node, what, located), True
    if cause.type in ("no-route", "null-route"):
        hop = t.hops[-1]
        iface = net.nodes[node].interfaces.get(hop.in_iface) if hop.in_iface else None
        table = iface.table if iface else net.nodes[node].origin_table
        target = home or _owner(net, p.dst)
        step = _first_step(net, node, target) if target else None
        kind = "no route" if cause.type == "no-route" else "a blackhole route"
        where = f" toward {target}" if target else ""
        what = f"{node}: {kind} for {p.dst} in table {table}: add a route{where}"
        if step is None:
            return Blocker(direction, node, what + " (no link leads there)", cause.provenance), \
                False
        out_iface, next_hop = step
        build.table(net.nodes[node], table).routes.append(build.forward(
            IPv4Network(f"{p.dst}/32"), out_iface, Provenance("would-be route"),
            next_hop=next_hop, preference=(-1,), target=target))
        return Blocker(direction, node, what, cause.provenance), True
    what = {"refused": f"{cause.detail}",
            "not-forwarded": f"{node} is a host and does not forward {p.describe()}",
            "no-neighbor": f"{cause.detail}",
            "loop": f"the flow loops: {cause.detail}"}.get(cause.type, cause.detail)
    return Blocker(direction, node, what, cause.provenance), False


def _owner(net: Network, addr: IPv4Address) -> str | None:
    fab = Fabric.of(net)
    private = {pub: priv for priv, pub in fab.public.items()}
    return fab.owner.get(private.get(addr, addr))


def _first_step(net: Network, src: str, dst: str) -> tuple[str, IPv4Address | None] | None:
    """The interface (and next hop on a segment) of a shortest link path from src to dst."""
    edges: dict[str, list[tuple[str, str, IPv4Address | None]]] = {}
    for link in net.links.values():
        for a_node, a_if in link.endpoints:
            for b_node, b_if in link.endpoints:
                if a_node == b_node:
                    continue
                hop = None
                if link.kind is LinkKind.SEGMENT:
                    addrs = net.nodes[b_node].interfaces[b_if].addresses
                    hop = addrs[0][0] if addrs and b_node != dst else None
                edges.setdefault(a_node, []).append((b_node, a_if, hop))
    first: dict[str, tuple[str, IPv4Address | None]] = {}
    queue = deque([src])
    seen = {src}
    while queue:
        n = queue.popleft()
        if n == dst:
            return first[n]
        for m, iface, hop in edges.get(n, ()):
            if m not in seen:
                seen.add(m)
                first[m] = first.get(n, (iface, hop))
                queue.append(m)
    return None
