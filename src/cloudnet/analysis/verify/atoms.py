"""Equivalence classes, so that the cost of an all-pairs answer follows the number of distinct
behaviours rather than the number of hosts or packets.

- Endpoint classes: hosts that behave identically except for their own address (same segment,
  same filters, same routes; AWS's per-interface source/destination check differs only by the
  address) are walked as one symbolic node.  A packet still tells its member apart: by its
  source address where it is sent, by its destination address where it arrives, so the answer
  stays exact for every host.
- Port atoms: the elementary intervals cut by every port range the network's rules name; any
  set the verifier computes is uniform inside them (used to print sets readably).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from ...ir.model import Action, Filter, LinkKind, Network, Node, NodeKind


@dataclass
class EndpointClass:
    id: str
    members: list[str]
    addresses: list[IPv4Address]
    own_source_filters: dict[str, str] = field(default_factory=dict)  # member -> filter id

    def member_of(self, addr: IPv4Address) -> str | None:
        for m, a in zip(self.members, self.addresses):
            if a == addr:
                return m
        return None


def own_source_filter(flt: Filter, addr: IPv4Address) -> bool:
    """A filter that lets out exactly the packets sent from `addr` (a source check)."""
    if flt.default is not Action.DENY or len(flt.rules) != 1:
        return False
    r = flt.rules[0]
    m = r.match
    return (r.action is Action.ALLOW and not (m.protocols or m.dst or m.src_ports or m.dst_ports)
            and m.src == (IPv4Network(f"{addr}/32"),))


def _signature(net: Network, node: Node, next_hops: set[IPv4Address]):
    if node.kind is not NodeKind.HOST or node.nat or len(node.interfaces) != 1:
        return None
    iface = next(iter(node.interfaces.values()))
    if len(iface.addresses) != 1 or not iface.link:
        return None
    addr = iface.addresses[0][0]
    if addr in next_hops or net.links[iface.link].kind is not LinkKind.SEGMENT:
        return None  # a packet routed to it by next hop could be for another address
    outs = tuple("<own source>" if own_source_filter(net.filters[f], addr) else f
                 for f in iface.out_filters)
    tables = tuple(sorted(
        (name, tuple((r.prefix, r.action, r.out_iface, r.next_hop, r.preference, bool(r.inactive))
                     for r in t.routes)) for name, t in node.tables.items()))
    return (node.accepts, node.refuse_reason, node.origin_table, iface.name, iface.link,
            iface.vrf, iface.table, tuple(iface.in_filters), outs, tables, node.kind)


def endpoint_classes(net: Network) -> list[EndpointClass]:
    """Classes of two or more interchangeable hosts (singletons stay ordinary nodes)."""
    next_hops = {r.next_hop for n in net.nodes.values() for t in n.tables.values()
                 for r in t.routes if r.next_hop is not None}
    groups: dict[tuple, list[Node]] = defaultdict(list)
    for node in net.nodes.values():
        sig = _signature(net, node, next_hops)
        if sig is not None:
            groups[sig].append(node)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        addrs = [next(iter(n.interfaces.values())).addresses[0][0] for n in members]
        cls = EndpointClass(f"{members[0].id}(+{len(members) - 1})", [n.id for n in members],
                            addrs)
        for n, a in zip(members, addrs):
            iface = next(iter(n.interfaces.values()))
            for f in iface.out_filters:
                if own_source_filter(net.filters[f], a):
                    cls.own_source_filters[n.id] = f
        out.append(cls)
    return out


def port_cuts(net: Network) -> list[int]:
    """Boundaries of the elementary port intervals (each interval is [cut_i, cut_i+1 - 1])."""
    cuts = {0, 65536}
    for flt in net.filters.values():
        for rule in flt.rules:
            for r in rule.match.dst_ports + rule.match.src_ports:
                cuts.update((r.lo, r.hi + 1))
    return sorted(cuts)
