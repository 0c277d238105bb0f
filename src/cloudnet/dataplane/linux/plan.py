"""The desired kernel state of a lab, computed from the IR alone (no side effects).

Layout: one network namespace per IR node; a point-to-point IR link is a veth pair between
two namespaces (with a /31 from 169.254.0.0/17 so routes can name a next hop); a segment is a
Linux bridge in the namespace of one of its routers (the bridge carries that router's
addresses), with a veth from every other member.  Each IR route table is a kernel table,
chosen by policy routing on the ingress interface (`iif lo` for what the node originates);
filters and NAT are one nftables table per namespace.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from ...ir.model import LinkKind, Network, NodeKind, RouteAction
from . import names, nftgen

TRANSFER = IPv4Network("169.254.0.0/17")
RULE_BASE = 1000  # policy rule priorities start here (after `local`, before `main`)
TABLE_BASE = 100  # kernel tables TABLE_BASE..TABLE_LIMIT-1 are ours (local is 255, main 254)
TABLE_LIMIT = 250


@dataclass(frozen=True)
class Veth:
    ns_a: str
    dev_a: str
    ns_b: str
    dev_b: str
    link: str  # IR link id


@dataclass(frozen=True)
class KRoute:
    table: int
    dst: str
    kind: str  # unicast, blackhole
    dev: str | None = None
    via: str | None = None
    what: str = ""


@dataclass(frozen=True)
class KRule:
    priority: int
    iif: str
    table: int | None  # None: unreachable (no fall-through to the main table)


@dataclass
class NsPlan:
    name: str
    node: str
    forward: bool
    bridges: dict[str, str] = field(default_factory=dict)  # bridge dev -> IR link id
    ports: dict[str, str] = field(default_factory=dict)  # veth dev -> bridge it is enslaved to
    devices: dict[str, str] = field(default_factory=dict)  # IR interface -> device
    addresses: dict[str, list[str]] = field(default_factory=dict)  # device -> ["ip/len"]
    routes: list[KRoute] = field(default_factory=list)
    rules: list[KRule] = field(default_factory=list)
    nft: str = ""

    def dev_of(self, iface: str) -> str | None:
        return self.devices.get(iface)

    def digest(self) -> str:
        state = (sorted(self.bridges.items()), sorted(self.ports.items()),
                 sorted(self.addresses.items()), self.routes, self.rules, self.nft)
        return hashlib.sha1(repr(state).encode()).hexdigest()[:16]


@dataclass
class LabPlan:
    lab: str
    namespaces: dict[str, NsPlan]
    veths: list[Veth]
    node_ns: dict[str, str]  # IR node -> namespace


def plan(net: Network, lab: str) -> LabPlan:
    spaces = {nid: NsPlan(names.ns_name(lab, nid), nid,
                          forward=net.nodes[nid].kind is not NodeKind.HOST)
              for nid in net.nodes}
    veths: list[Veth] = []
    peer_ip: dict[tuple[str, str], str] = {}  # (node, iface) -> the peer's transfer address
    for i, (link_id, link) in enumerate(sorted(net.links.items())):
        if link.kind is LinkKind.P2P:
            (na, ia), (nb, ib) = link.endpoints
            a, b = _transfer_pair(link_id, peer_ip)
            da, db = names.ifname("p", f"{na}:{ia}"), names.ifname("p", f"{nb}:{ib}")
            veths.append(Veth(spaces[na].name, da, spaces[nb].name, db, link_id))
            spaces[na].devices[ia], spaces[nb].devices[ib] = da, db
            spaces[na].addresses[da] = [f"{a}/31"]
            spaces[nb].addresses[db] = [f"{b}/31"]
            peer_ip[(na, ia)], peer_ip[(nb, ib)] = str(b), str(a)
        else:
            host_node, host_if = _bridge_host(net, link.endpoints)
            br = names.ifname("b", link_id)
            hs = spaces[host_node]
            hs.bridges[br] = link_id
            hs.devices[host_if] = br
            for node_id, iface in link.endpoints:
                if (node_id, iface) == (host_node, host_if):
                    continue
                inner, port = names.ifname("e", f"{node_id}:{iface}"), \
                    names.ifname("s", f"{node_id}:{iface}")
                veths.append(Veth(spaces[node_id].name, inner, hs.name, port, link_id))
                spaces[node_id].devices[iface] = inner
                hs.ports[port] = br
    for nid, node in net.nodes.items():
        sp = spaces[nid]
        for iname, iface in node.interfaces.items():
            dev = sp.dev_of(iname)
            if dev is not None and iface.addresses:
                sp.addresses.setdefault(dev, []).extend(
                    f"{a}/{n.prefixlen}" for a, n in iface.addresses)
        _routing(net, nid, sp, peer_ip)
        sp.nft = nftgen.ruleset(node, net.filters, sp.dev_of)
    return LabPlan(lab, {s.name: s for s in spaces.values()}, veths,
                   {nid: s.name for nid, s in spaces.items()})


def _transfer_pair(link_id: str, taken: dict) -> tuple[IPv4Address, IPv4Address]:
    """A /31 for a link, from a hash of its id (stable as other links come and go)."""
    used = {ip for ip in taken.values()}
    slots = TRANSFER.num_addresses // 2
    slot = int(hashlib.sha1(link_id.encode()).hexdigest(), 16) % slots
    while True:
        a = TRANSFER.network_address + 2 * slot
        if str(a) not in used and str(a + 1) not in used:
            return a, a + 1
        slot = (slot + 1) % slots


def _bridge_host(net: Network, ends: list[tuple[str, str]]) -> tuple[str, str]:
    """The segment's bridge lives with its first router (the subnet, the site router)."""
    for node_id, iface in ends:
        if net.nodes[node_id].kind is not NodeKind.HOST:
            return node_id, iface
    return ends[0]


def _routing(net: Network, nid: str, sp: NsPlan, peer_ip: dict) -> None:
    node = net.nodes[nid]
    ids = {name: TABLE_BASE + i for i, name in enumerate(sorted(node.tables))}
    if len(ids) > TABLE_LIMIT - TABLE_BASE:
        raise ValueError(f"{nid} has more than {TABLE_LIMIT - TABLE_BASE} route tables")
    for name, table in node.tables.items():
        best: dict[IPv4Network, object] = {}
        for r in table.routes:
            if r.inactive:
                continue
            cur = best.get(r.prefix)
            if cur is None or r.preference < cur.preference:
                best[r.prefix] = r
        for prefix, r in sorted(best.items(), key=lambda kv: (kv[0].prefixlen, kv[0])):
            dev = sp.dev_of(r.out_iface) if r.out_iface else None
            what = r.provenance.what
            if r.action is not RouteAction.FORWARD or dev is None:
                sp.routes.append(KRoute(ids[name], str(prefix), "blackhole", what=what))
                continue
            link = net.links[node.interfaces[r.out_iface].link]
            via = peer_ip[(nid, r.out_iface)] if link.kind is LinkKind.P2P else (
                str(r.next_hop) if r.next_hop else None)
            sp.routes.append(KRoute(ids[name], str(prefix), "unicast", dev, via, what))
    prio = RULE_BASE
    for iname, iface in sorted(node.interfaces.items()):
        dev = sp.dev_of(iname)
        if dev is None or iface.table not in ids:
            continue
        sp.rules += [KRule(prio, dev, ids[iface.table]), KRule(prio + 1, dev, None)]
        prio += 2
    if node.origin_table in ids:
        sp.rules += [KRule(prio, "lo", ids[node.origin_table]), KRule(prio + 1, "lo", None)]
