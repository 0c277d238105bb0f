"""The IR as the verifier walks it: every filter as the set of packets it lets through, every
route table as the region of destinations each of its behaviours wins, every segment as the
addresses that lead to each neighbour — all as BDDs, built lazily and cached per element so a
single changed rule or route rebuilds only its own element.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from ...ir.model import Action, Filter, LinkKind, Network, Node, Route, RouteAction
from ..fabric import Fabric
from .atoms import EndpointClass, endpoint_classes, port_cuts
from .headers import Headers

OWN_SOURCE = "own-source:"  # the filter of a class standing for each member's source check


@dataclass
class SymNode:
    id: str
    node: Node  # the IR node (a class's first member stands for all of them)
    cls: EndpointClass | None = None


@dataclass
class Behaviour:
    """Routes that do the same thing (same action, interface and next hop) share a region."""

    route: Route  # the first such route, to name it
    region: object  # destinations (current packet) it decides


@dataclass
class Routing:
    behaviours: dict[tuple, Behaviour]
    unrouted: object  # destinations no active route matches


class SymNet:
    def __init__(self, net: Network, hs: Headers, classes: bool = True):
        self.net, self.hs = net, hs
        self.fab = Fabric(net)
        self.down = net.down  # nodes and links out of service (what-if)
        self.classes = endpoint_classes(net) if classes else []
        self.class_of: dict[str, str] = {}
        self.nodes: dict[str, SymNode] = {}
        for cls in self.classes:
            self.nodes[cls.id] = SymNode(cls.id, net.nodes[cls.members[0]], cls)
            for m in cls.members:
                self.class_of[m] = cls.id
        for node in net.nodes.values():
            if node.id not in self.class_of:
                self.nodes[node.id] = SymNode(node.id, node)
        self.cuts = port_cuts(net)
        self._allow: dict[str, object] = {}
        self._routing: dict[tuple[str, str], Routing] = {}
        self._owners: dict[str, list[tuple[str, str, object]]] = {}
        self._local: dict[tuple, object] = {}
        self._answered: dict[tuple, object] = {}
        self._chunks: dict[tuple, object] = {}

    def sym_id(self, node_id: str) -> str:
        return self.class_of.get(node_id, node_id)

    # ---- filters -------------------------------------------------------------------------

    def filters(self, sn: SymNode, iface: str, direction: str) -> list[str]:
        ids = getattr(sn.node.interfaces[iface], f"{direction}_filters")
        if sn.cls is None or direction == "in":
            return list(ids)
        own = set(sn.cls.own_source_filters.values())
        return [f"{OWN_SOURCE}{sn.id}" if f in own else f for f in ids]

    def allow(self, fid: str):
        hit = self._allow.get(fid)
        if hit is None:
            if fid.startswith(OWN_SOURCE):
                cls = self.nodes[fid[len(OWN_SOURCE):]].cls
                hit = self.hs.universe & self.hs.addresses("src", cls.addresses)
            else:
                hit = self._compile_filter(self.net.filters[fid])
            self._allow[fid] = hit
        return hit

    def _compile_filter(self, flt: Filter):
        """First match decides (the tracer evaluates any-allow filters the same way: their
        rules only allow, so the first match and any match agree)."""
        hs = self.hs
        actions = {r.action for r in flt.rules}
        if len(actions) <= 1:  # no rule shadows another in effect: one union
            matched = self._union([hs.match(r.match) for r in flt.rules])
            if not flt.rules or actions == {flt.default}:
                return hs.universe if flt.default is Action.ALLOW else hs.false
            return matched if Action.ALLOW in actions else hs.universe & ~matched
        allow, rest = hs.false, hs.universe
        for r in flt.rules:
            m = hs.match(r.match)
            if r.action is Action.ALLOW:
                allow |= rest & m
            rest &= ~m
            if rest == hs.false:
                break
        return allow | rest if flt.default is Action.ALLOW else allow

    def _union(self, items: list):
        """A union built from chunks that end where an item hashes to 0 mod 16: the
        chunks depend on content, not position, so after one rule is added or removed only
        its chunk (and the union of chunks) is computed again; the rest are remembered."""
        level = items
        while len(level) > 16:
            chunks, current = [], []
            for u in level:
                current.append(u)
                if hash((u,)) % 16 == 0:  # (a node's own hash is its aligned address)
                    chunks.append(tuple(current))
                    current = []
            if current:
                chunks.append(tuple(current))
            if len(chunks) == len(level):
                break
            level = [self._chunk(c) for c in chunks]
        return self.hs.any_of(level)

    def _chunk(self, chunk: tuple):
        hit = self._chunks.get(chunk)
        if hit is None:
            hit = self._chunks[chunk] = self.hs.any_of(list(chunk))
        return hit

    def invalidate_filter(self, fid: str) -> None:
        self._allow.pop(fid, None)

    # ---- routing -------------------------------------------------------------------------

    def routing(self, node_id: str, table: str) -> Routing | None:
        key = (node_id, table)
        hit = self._routing.get(key)
        if hit is None:
            t = self.nodes[node_id].node.tables.get(table)
            if t is None:
                return None
            hit = self._compile_table(t.routes)
            self._routing[key] = hit
        return hit

    def _compile_table(self, routes: list[Route]) -> Routing:
        """Longest prefix, then the lowest preference, then the first listed (as `min`)."""
        hs = self.hs
        order = sorted((r for r in routes if not r.inactive),
                       key=lambda r: (-r.prefix.prefixlen, r.preference))
        covered = hs.false
        behaviours: dict[tuple, Behaviour] = {}
        for r in order:
            p = hs.prefix("dst", r.prefix)
            region = p & ~covered
            covered |= p
            if region == hs.false:
                continue
            key = behaviour_key(r)
            b = behaviours.get(key)
            if b is None:
                behaviours[key] = Behaviour(r, region)
            else:
                b.region |= region
        return Routing(behaviours, ~covered)

    def invalidate_table(self, node_id: str, table: str) -> None:
        self._routing.pop((node_id, table), None)

    # ---- neighbours and delivery ---------------------------------------------------------

    def owners(self, link_id: str) -> list[tuple[str, str, object]]:
        """(neighbour, its interface, destinations it answers for) on a segment."""
        hit = self._owners.get(link_id)
        if hit is None:
            by_end: dict[tuple[str, str], list[IPv4Address]] = {}
            for addr, (node, iface) in self.fab.segment[link_id].items():
                if node in self.down:
                    continue
                by_end.setdefault((self.sym_id(node), iface), []).append(addr)
            hit = [(n, i, self.hs.addresses("dst", addrs)) for (n, i), addrs in by_end.items()]
            self._owners[link_id] = hit
        return hit

    def answered(self, link_id: str, sender: str | None):
        """Destinations some other neighbour on the segment answers for."""
        key = (link_id, sender)
        hit = self._answered.get(key)
        if hit is None:
            hit = self._answered[key] = self.hs.any_of(
                [r for n, _, r in self.owners(link_id) if n != sender])
        return hit

    def neighbour(self, node_id: str, iface: str):
        """The next node over an interface: ('p2p', end), ('segment', link) or None."""
        link_id = self.nodes[node_id].node.interfaces[iface].link
        if not link_id or link_id in self.down:
            return None
        link = self.net.links[link_id]
        if link.kind is LinkKind.P2P:
            ir_node = self.nodes[node_id].node.id
            peer = self.fab.peer.get((ir_node, iface))
            ok = peer and peer[0] not in self.down
            return ("p2p", (self.sym_id(peer[0]), peer[1])) if ok else None
        return ("segment", link_id)

    def owner(self, link_id: str, addr: IPv4Address) -> tuple[str, str] | None:
        end = self.fab.segment[link_id].get(addr)
        return (self.sym_id(end[0]), end[1]) if end and end[0] not in self.down else None

    def local(self, sn: SymNode, vrf: str, at_origin: bool):
        """Destinations delivered to the node itself (for a class: to the member sending, where
        it sends, or to the member the packet is addressed to, where it arrives)."""
        key = (sn.id, vrf, at_origin and sn.cls is not None)
        hit = self._local.get(key)
        if hit is None:
            hs = self.hs
            if sn.cls is None:
                hit = hs.addresses("dst", self.fab.local.get((sn.id, vrf), ()))
            elif at_origin:
                hit = hs.any_of([hs.value("dst", int(a)) & hs.value("src", int(a))
                                 for a in sn.cls.addresses])
            else:
                hit = hs.addresses("dst", sn.cls.addresses)
            self._local[key] = hit
        return hit


def behaviour_key(r: Route) -> tuple:
    if r.action is RouteAction.FORWARD:
        return ("forward", r.out_iface, r.next_hop)
    return (r.action.value, id(r))  # drops and exits are named by their route
