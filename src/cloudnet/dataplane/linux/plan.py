"""The desired kernel state of a lab, computed from the IR alone (no side effects).

Layout: one network namespace per IR node; a point-to-point IR link is a veth pair between
two namespaces (with a /31 from 169.254.0.0/17 so routes can name a next hop); a segment is a
Linux bridge in the namespace of one of its routers (the bridge carries that router's
addresses), with a veth from every other member — or, with only two members, one veth.  Each IR route table is a kernel table,
chosen by policy routing on the ingress interface (`iif lo` for what the node originates);
filters and NAT are one nftables table per namespace.

Fusion: a stateless gateway router that only joins one segment to one neighbouring stateless
router (a subnet and its VPC router) shares its neighbour's namespace instead of getting one
of its own.  Its tables still decide first: routes that hand the packet to the neighbour are
`throw` routes, so the lookup continues in the neighbour's table for that link; and the
neighbour's routes toward it continue in one table of the fused segments' own routes.  The
filters of the link's four interface sides apply on the bridge device, in pipeline order.
Every hop saved is a veth crossing less for each packet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from ...ir.model import LinkKind, Network, Node, NodeKind, Route, RouteAction
from . import names, nftgen

TRANSFER = IPv4Network("169.254.0.0/17")
RULE_BASE = 1000  # policy rule priorities start here (after `local`, before `main`)
TABLE_BASE = 100  # kernel tables TABLE_BASE..TABLE_LIMIT-1 are ours (local is 255, main 254)
TABLE_LIMIT = 250
ANY = IPv4Network("0.0.0.0/0")


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
    kind: str  # unicast, blackhole, unreachable, throw
    dev: str | None = None
    via: str | None = None
    what: str = field(default="", compare=False)


@dataclass(frozen=True)
class KRule:
    priority: int
    iif: str
    table: int | None  # None: unreachable (no fall-through to the main table)


@dataclass
class NsPlan:
    name: str
    nodes: list[str]  # the IR nodes it realizes (one, or a router and its fused subnets)
    forward: bool
    bridges: dict[str, str] = field(default_factory=dict)  # bridge dev -> IR link id
    ports: dict[str, str] = field(default_factory=dict)  # veth dev -> bridge it is enslaved to
    addresses: dict[str, list[str]] = field(default_factory=dict)  # device -> ["ip/len"]
    routes: list[KRoute] = field(default_factory=list)
    rules: list[KRule] = field(default_factory=list)
    nft: str = ""

    devs: set[str] = field(default_factory=set)  # every device it holds, but lo

    def digest(self) -> str:
        """'<devices, addresses and routing>:<ruleset>', so a rules-only change shows."""
        net = (sorted(self.bridges.items()), sorted(self.ports.items()),
               sorted(self.addresses.items()), self.routes, self.rules)
        return ":".join(hashlib.sha1(repr(part).encode()).hexdigest()[:12]
                        for part in (net, self.nft))


@dataclass
class LabPlan:
    lab: str
    namespaces: dict[str, NsPlan]
    veths: list[Veth]
    node_ns: dict[str, str]  # IR node -> namespace
    dev: dict[tuple[str, str], str]  # (IR node, interface) -> device in node_ns[node]

    def dev_of(self, node: str, iface: str) -> str | None:
        return self.dev.get((node, iface))


@dataclass(frozen=True)
class Fusion:
    node: str  # the gateway router that moves in with its neighbour
    lan: str  # its segment interface
    up: str  # its interface toward the neighbour
    partner: str
    partner_if: str


def plan(net: Network, lab: str) -> LabPlan:
    fused = fusions(net)
    home = {nid: fused[nid].partner if nid in fused else nid for nid in net.nodes}
    spaces = {nid: NsPlan(names.ns_name(lab, nid), [nid],
                          forward=net.nodes[nid].kind is not NodeKind.HOST)
              for nid in net.nodes if nid not in fused}
    for f in fused.values():
        spaces[f.partner].nodes.append(f.node)
    ns_of = {nid: spaces[home[nid]] for nid in net.nodes}
    dev: dict[tuple[str, str], str] = {}
    veths: list[Veth] = []
    peer_ip: dict[tuple[str, str], str] = {}  # (node, iface) -> the peer's transfer address
    used: set[IPv4Address] = set()
    for link_id, link in sorted(net.links.items()):
        if link.kind is LinkKind.P2P:
            (na, ia), (nb, ib) = link.endpoints
            if home[na] == home[nb]:
                continue  # a fused link: no device, the tables chain instead
            a, b = _transfer_pair(link_id, used)
            da, db = names.ifname("p", f"{na}:{ia}"), names.ifname("p", f"{nb}:{ib}")
            veths.append(Veth(ns_of[na].name, da, ns_of[nb].name, db, link_id))
            dev[(na, ia)], dev[(nb, ib)] = da, db
            ns_of[na].addresses[da] = [f"{a}/31"]
            ns_of[nb].addresses[db] = [f"{b}/31"]
            peer_ip[(na, ia)], peer_ip[(nb, ib)] = str(b), str(a)
        else:
            host_node, host_if = _bridge_host(net, link.endpoints)
            hs = ns_of[host_node]
            if len(link.endpoints) == 2:
                # Two members need no bridge: a veth is the same broadcast domain, and a
                # bridge would cost every packet a trip through it.
                (node_id, iface), = [e for e in link.endpoints if e != (host_node, host_if)]
                mine, theirs = names.ifname("l", link_id), names.ifname("e", f"{node_id}:{iface}")
                veths.append(Veth(hs.name, mine, ns_of[node_id].name, theirs, link_id))
                dev[(host_node, host_if)], dev[(node_id, iface)] = mine, theirs
                continue
            br = names.ifname("b", link_id)
            hs.bridges[br] = link_id
            dev[(host_node, host_if)] = br
            for node_id, iface in link.endpoints:
                if (node_id, iface) == (host_node, host_if):
                    continue
                inner, port = names.ifname("e", f"{node_id}:{iface}"), \
                    names.ifname("s", f"{node_id}:{iface}")
                veths.append(Veth(ns_of[node_id].name, inner, hs.name, port, link_id))
                dev[(node_id, iface)] = inner
                hs.ports[port] = br
    for nid, node in net.nodes.items():
        for iname, iface in node.interfaces.items():
            d = dev.get((nid, iname))
            if d is not None and iface.addresses:
                ns_of[nid].addresses.setdefault(d, []).extend(
                    f"{a}/{n.prefixlen}" for a, n in iface.addresses)
    for (nid, _), d in dev.items():
        ns_of[nid].devs.add(d)
    for sp in spaces.values():
        sp.devs.update(sp.ports)
    lab_plan = LabPlan(lab, {}, veths, {nid: ns_of[nid].name for nid in net.nodes}, dev)
    for nid, sp in spaces.items():
        subs = [fused[s] for s in sp.nodes[1:]]
        _Routing(net, sp, lab_plan, peer_ip, subs).build()
        sp.nft = nftgen.ruleset(_hooks(net, nid, subs, lab_plan), net.filters)
        lab_plan.namespaces[sp.name] = sp
    return lab_plan


def fusions(net: Network) -> dict[str, Fusion]:
    """Gateway routers that can share their neighbour's namespace without changing a verdict."""
    out: dict[str, Fusion] = {}
    for nid, node in net.nodes.items():
        f = _fusion(net, nid, node)
        if f is not None and f.partner not in out:
            out[nid] = f
    return {k: v for k, v in out.items() if v.partner not in out}


def _stateless(net: Network, node: Node) -> bool:
    return node.kind is NodeKind.ROUTER and not node.accepts and not node.nat and not any(
        net.filters[f].stateful for i in node.interfaces.values()
        for f in i.in_filters + i.out_filters)


def _fusion(net: Network, nid: str, node: Node) -> Fusion | None:
    if not _stateless(net, node) or len(node.interfaces) != 2:
        return None
    kinds = {name: net.links[i.link].kind if i.link else None
             for name, i in node.interfaces.items()}
    lan = next((n for n, k in kinds.items() if k is LinkKind.SEGMENT), None)
    up = next((n for n, k in kinds.items() if k is LinkKind.P2P), None)
    if lan is None or up is None or not node.interfaces[lan].addresses:
        return None
    ends = net.links[node.interfaces[up].link].endpoints
    partner, partner_if = next(e for e in ends if e[0] != nid)
    other = net.nodes[partner]
    if not _stateless(net, other) or partner_if not in other.interfaces:
        return None
    out_t = node.tables.get(node.interfaces[lan].table)
    in_t = node.tables.get(node.interfaces[up].table)
    if out_t is None or in_t is None:
        return None
    if any(r.action is RouteAction.EXIT or (r.action is RouteAction.FORWARD and
                                             r.out_iface not in (lan, up)) for r in out_t.routes):
        return None
    if any(r.action is not RouteAction.FORWARD or r.out_iface != lan for r in in_t.routes):
        return None
    # The neighbour may only hand it traffic for the segment's own networks.
    nets = [n for _, n in node.interfaces[lan].addresses]
    for t in other.tables.values():
        for r in t.routes:
            if r.out_iface == partner_if and r.action is RouteAction.FORWARD and \
                    not any(r.prefix.subnet_of(n) for n in nets):
                return None
    return Fusion(nid, lan, up, partner, partner_if)


def _transfer_pair(link_id: str, used: set[IPv4Address]) -> tuple[IPv4Address, IPv4Address]:
    """A /31 for a link, from a hash of its id (stable as other links come and go)."""
    slots = TRANSFER.num_addresses // 2
    slot = int(hashlib.sha1(link_id.encode()).hexdigest(), 16) % slots
    while TRANSFER.network_address + 2 * slot in used:
        slot = (slot + 1) % slots
    a = TRANSFER.network_address + 2 * slot
    used.update((a, a + 1))
    return a, a + 1


def _bridge_host(net: Network, ends: list[tuple[str, str]]) -> tuple[str, str]:
    """The segment's bridge lives with its first router (the subnet, the site router)."""
    for node_id, iface in ends:
        if net.nodes[node_id].kind is not NodeKind.HOST:
            return node_id, iface
    return ends[0]


def _best(routes: list[Route]) -> list[Route]:
    """What the kernel gets: per prefix, the active route the model prefers."""
    best: dict[IPv4Network, Route] = {}
    for r in routes:
        if not r.inactive and (r.prefix not in best or r.preference < best[r.prefix].preference):
            best[r.prefix] = r
    return sorted(best.values(), key=lambda r: (r.prefix.prefixlen, r.prefix))


class _Routing:
    def __init__(self, net: Network, sp: NsPlan, lab: LabPlan, peer_ip: dict,
                 fused: list[Fusion]):
        self.net, self.sp, self.lab, self.peer_ip, self.fused = net, sp, lab, peer_ip, fused
        self.to_fused = {f.partner_if for f in fused}
        self.next_table = TABLE_BASE
        self.prio = RULE_BASE

    def table_id(self) -> int:
        tid = self.next_table
        self.next_table += 1
        if tid >= TABLE_LIMIT:
            raise ValueError(f"{self.sp.name} needs more than {TABLE_LIMIT - TABLE_BASE} tables")
        return tid

    def build(self) -> None:
        nid = self.sp.nodes[0]
        node = self.net.nodes[nid]
        ids = {name: self.table_id() for name in sorted(node.tables)}
        for name, table in node.tables.items():
            for r in _best(table.routes):
                self.route(ids[name], nid, r, throw=r.out_iface in self.to_fused)
        segments = self.table_id() if self.fused else None
        for f in self.fused:
            sub = self.net.nodes[f.node]
            for r in _best(sub.tables[sub.interfaces[f.up].table].routes):
                self.route(segments, f.node, r)
        for iname, iface in sorted(node.interfaces.items()):
            dev = self.lab.dev_of(nid, iname)
            if dev is not None and iface.table in ids:
                self.rules(dev, [ids[iface.table], segments])
        for f in self.fused:
            sub = self.net.nodes[f.node]
            out_id = self.table_id()
            routes = _best(sub.tables[sub.interfaces[f.lan].table].routes)
            for r in routes:
                self.route(out_id, f.node, r, throw=r.out_iface == f.up)
            if not any(r.prefix == ANY for r in routes):  # nothing matched: NO_ROUTE, no fall-through
                self.sp.routes.append(KRoute(out_id, str(ANY), "unreachable", what="no route"))
            self.rules(self.lab.dev_of(f.node, f.lan),
                       [out_id, ids[node.interfaces[f.partner_if].table], segments])
        if node.origin_table in ids:
            self.rules("lo", [ids[node.origin_table], segments])

    def rules(self, iif: str, tables: list[int | None]) -> None:
        for tid in [t for t in tables if t is not None] + [None]:
            self.sp.rules.append(KRule(self.prio, iif, tid))
            self.prio += 1

    def route(self, tid: int, nid: str, r: Route, throw: bool = False) -> None:
        what = r.provenance.what
        dev = self.lab.dev_of(nid, r.out_iface) if r.out_iface else None
        if throw:
            self.sp.routes.append(KRoute(tid, str(r.prefix), "throw", what=what))
        elif r.action is not RouteAction.FORWARD or dev is None:
            self.sp.routes.append(KRoute(tid, str(r.prefix), "blackhole", what=what))
        else:
            link = self.net.links[self.net.nodes[nid].interfaces[r.out_iface].link]
            via = self.peer_ip[(nid, r.out_iface)] if link.kind is LinkKind.P2P else (
                str(r.next_hop) if r.next_hop else None)
            self.sp.routes.append(KRoute(tid, str(r.prefix), "unicast", dev, via, what))


def _hooks(net: Network, nid: str, fused: list[Fusion], lab: LabPlan) -> nftgen.Hooks:
    node = net.nodes[nid]
    hooks = nftgen.Hooks(", ".join([nid] + [f.node for f in fused]),
                         refuse="" if node.accepts else node.refuse_reason,
                         host=node.kind is NodeKind.HOST)
    to_fused = {f.partner_if for f in fused}
    for name, iface in sorted(node.interfaces.items()):
        dev = lab.dev_of(nid, name)
        if dev is not None and name not in to_fused:
            hooks.inbound.append((dev, iface.in_filters, f"{nid} {name}"))
            hooks.outbound.append((dev, iface.out_filters, f"{nid} {name}"))
    for f in fused:
        sub, mine = net.nodes[f.node].interfaces, node.interfaces[f.partner_if]
        br = lab.dev_of(f.node, f.lan)
        # Leaving the segment: its own ingress, its egress toward us, our ingress from it.
        hooks.inbound.append((br, sub[f.lan].in_filters + sub[f.up].out_filters +
                              mine.in_filters, f"{f.node} to {nid}"))
        # Entering it: our egress toward it, its ingress from us, its egress to the segment.
        hooks.outbound.append((br, mine.out_filters + sub[f.up].in_filters +
                               sub[f.lan].out_filters, f"{nid} to {f.node}"))
    for rule in node.nat:
        hooks.nat.append((rule, lab.dev_of(nid, rule.inside_iface),
                          lab.dev_of(nid, rule.outside_iface)))
    return hooks
