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

import base64
import hashlib
import subprocess
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from ...ir.model import LinkKind, Network, Node, NodeKind, Route, RouteAction
from . import bird, names, nftgen

TRANSFER = IPv4Network("169.254.0.0/17")
UNDERLAY = IPv4Network("169.254.128.0/17")  # what VPN tunnels ride on
WG_PORT = 51820
RULE_BASE = 1000  # policy rule priorities start here (after `local`, before `main`)
MAIN = 254
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
    metric: int = 0  # above BIRD's when the model prefers BGP over this route
    src: str | None = None  # the model's address on that interface, not the link's /31
    what: str = field(default="", compare=False)


@dataclass(frozen=True)
class Tunnel:
    """One end of an encrypted VPN tunnel: a wireguard-go device over an underlay veth."""

    dev: str
    private_key: str
    port: int
    peer_key: str
    peer_endpoint: str  # underlay address:port of the other end
    link: str


@dataclass(frozen=True)
class KRule:
    priority: int
    iif: str | None
    table: int | None  # None: unreachable (no fall-through to the main table)
    dst: str | None = None


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
    tunnels: list[Tunnel] = field(default_factory=list)
    bird: str = ""  # BIRD configuration, when a node here speaks BGP
    shaping: dict[str, int] = field(default_factory=dict)  # device -> rate (Mbit/s)
    down_devs: set[str] = field(default_factory=set)  # held down: a link or node in a fault

    devs: set[str] = field(default_factory=set)  # every device it holds, but lo

    def digest(self) -> str:
        """'<devices, addresses and routing>:<ruleset>', so a rules-only change shows."""
        net = (sorted(self.bridges.items()), sorted(self.ports.items()),
               sorted(self.addresses.items()), self.routes, self.rules, self.tunnels,
               self.bird, sorted(self.shaping.items()), sorted(self.down_devs))
        return ":".join(hashlib.sha1(repr(part).encode()).hexdigest()[:12]
                        for part in (net, self.nft))


@dataclass
class LabPlan:
    lab: str
    namespaces: dict[str, NsPlan]
    veths: list[Veth]
    node_ns: dict[str, str]  # IR node -> namespace
    dev: dict[tuple[str, str], str]  # (IR node, interface) -> device in node_ns[node]

    ns_by_node: dict = field(default_factory=dict)  # IR node -> its NsPlan (while planning)
    table_ids: dict[str, dict[str, int]] = field(default_factory=dict)  # node -> table -> id
    peer_address: dict[tuple[str, str], str] = field(default_factory=dict)  # p2p next hops

    def dev_of(self, node: str, iface: str) -> str | None:
        return self.dev.get((node, iface))

    def namespaces_addresses(self, node: str, dev: str) -> list[str]:
        return self.ns_by_node[node].addresses.get(dev, [])


@dataclass(frozen=True)
class Fusion:
    node: str  # the gateway router that moves in with its neighbour
    lan: str  # its segment interface
    up: str  # its interface toward the neighbour
    partner: str
    partner_if: str


def plan(net: Network, lab: str, secret: bytes = b"") -> LabPlan:
    """`secret` seeds the tunnels' keys (kept per lab, so keys are stable across runs)."""
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
    # Links carrying BGP sessions get addresses in session order, the session's `a` side the
    # lower one: BIRD breaks ties by lowest neighbour address, the model by session order.
    ordered: dict[str, tuple[IPv4Address, IPv4Address]] = {}
    for i, s in enumerate(net.sessions):
        link = net.nodes[s.a.node].interfaces[s.a.iface].link if s.a.iface in \
            net.nodes[s.a.node].interfaces else ""
        if link and link not in ordered:
            a = TRANSFER.network_address + 2 * len(ordered)
            a_first = net.links[link].endpoints[0][0] == s.a.node
            ordered[link] = (a, a + 1) if a_first else (a + 1, a)
            used.update((a, a + 1))
    for link_id, link in sorted(net.links.items()):
        if link.kind is LinkKind.P2P:
            (na, ia), (nb, ib) = link.endpoints
            if home[na] == home[nb]:
                continue  # a fused link: no device, the tables chain instead
            a, b = ordered.get(link_id) or _transfer_pair(link_id, used)
            da, db = names.ifname("p", f"{na}:{ia}"), names.ifname("p", f"{nb}:{ib}")
            if link.tunnel:  # wireguard-go's sockets share one directory: names carry the lab
                da, db = names.ifname("w", f"{lab}/{na}:{ia}"), names.ifname("w", f"{lab}/{nb}:{ib}")
                veths.append(_tunnel(link_id, ns_of[na], da, ns_of[nb], db, secret, used))
            else:
                veths.append(Veth(ns_of[na].name, da, ns_of[nb].name, db, link_id))
            if link.bandwidth_mbps:
                ns_of[na].shaping[da] = ns_of[nb].shaping[db] = link.bandwidth_mbps
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
    for (nid, iname), d in dev.items():
        ns_of[nid].devs.add(d)
        link = net.nodes[nid].interfaces[iname].link
        if nid in net.down or link in net.down:
            ns_of[nid].down_devs.add(d)
    for sp in spaces.values():
        sp.devs.update(sp.ports)
    lab_plan = LabPlan(lab, {}, veths, {nid: ns_of[nid].name for nid in net.nodes}, dev,
                       ns_of, peer_address=peer_ip)
    for nid, sp in spaces.items():
        subs = [fused[s] for s in sp.nodes[1:]]
        routing = _Routing(net, sp, lab_plan, peer_ip, subs)
        routing.build()
        lab_plan.table_ids[nid] = routing.tables_of(nid)
        hooks = _hooks(net, nid, subs, lab_plan)
        if nid in net.bgp:
            peers = _peers(net, nid, lab_plan, peer_ip)
            sp.bird = bird.config(net, nid, peers, routing.tables_of(nid),
                                  f"{names.STATE_DIR}/{lab}/bird-{nid}.log")
            for p in peers:
                dev = lab_plan.dev_of(nid, p.mine.iface)
                for way in ("dport", "sport"):
                    hooks.control.append((f'iifname "{dev}" ip saddr {p.peer_ip} tcp {way} 179',
                                          f"BGP session {p.session.id}"))
        for t in sp.tunnels:
            hooks.control.append((f"udp dport {t.port}", f"tunnel {t.link} underlay"))
        sp.nft = nftgen.ruleset(hooks, net.filters)
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


def _transfer_pair(link_id: str, used: set[IPv4Address],
                   pool: IPv4Network = TRANSFER) -> tuple[IPv4Address, IPv4Address]:
    """A /31 for a link, from a hash of its id (stable as other links come and go)."""
    slots = pool.num_addresses // 2
    slot = int(hashlib.sha1(link_id.encode()).hexdigest(), 16) % slots
    while pool.network_address + 2 * slot in used:
        slot = (slot + 1) % slots
    a = pool.network_address + 2 * slot
    used.update((a, a + 1))
    return a, a + 1


def _key(secret: bytes, what: str) -> tuple[str, str]:
    """A WireGuard key pair derived from the lab's secret (the public half by `wg pubkey`)."""
    raw = bytearray(hashlib.sha256(secret + what.encode()).digest())
    raw[0] &= 248
    raw[31] = (raw[31] & 127) | 64  # Curve25519 clamping
    private = base64.b64encode(bytes(raw)).decode()
    public = subprocess.run(["wg", "pubkey"], input=private, capture_output=True, text=True,
                            check=True).stdout.strip()
    return private, public


def _tunnel(link_id: str, a: NsPlan, dev_a: str, b: NsPlan, dev_b: str, secret: bytes,
            used: set[IPv4Address]) -> Veth:
    """Both tunnel ends, and the underlay veth they talk over (its stand-in for the internet)."""
    ua, ub = _transfer_pair(link_id + "/underlay", used, UNDERLAY)
    under_a, under_b = names.ifname("u", link_id + "/a"), names.ifname("u", link_id + "/b")
    a.addresses[under_a], b.addresses[under_b] = [f"{ua}/31"], [f"{ub}/31"]
    a.devs.add(under_a)
    b.devs.add(under_b)
    (pa, qa), (pb, qb) = _key(secret, f"{link_id}/a"), _key(secret, f"{link_id}/b")
    port = WG_PORT + int(hashlib.sha1(link_id.encode()).hexdigest(), 16) % 1000
    a.tunnels.append(Tunnel(dev_a, pa, port, qb, f"{ub}:{port}", link_id))
    b.tunnels.append(Tunnel(dev_b, pb, port, qa, f"{ua}:{port}", link_id))
    return Veth(a.name, under_a, b.name, under_b, link_id)


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
        self.ids = ids
        for name, table in node.tables.items():
            # Routes this node's own BGP speaker learns are BIRD's to install, not ours.
            mine = [r for r in table.routes if _bird_owned(self.net, nid, r)]
            worst = min((r.preference for r in mine if not r.inactive), default=None)
            for r in _best([r for r in table.routes if r not in mine]):
                metric = 1000 if worst is not None and r.preference > worst else 0
                self.route(ids[name], nid, r, throw=r.out_iface in self.to_fused,
                           metric=metric)
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
        if self.sp.tunnels or nid in self.net.bgp:
            # The lab's own plumbing (BGP sessions, tunnel underlays) uses the link addresses,
            # which only the main table knows.
            for i, pool in enumerate((TRANSFER, UNDERLAY)):
                self.sp.rules.append(KRule(RULE_BASE - 2 + i, None, MAIN, str(pool)))

    def tables_of(self, nid: str) -> dict[str, int]:
        return dict(self.ids) if nid == self.sp.nodes[0] else {}

    def rules(self, iif: str, tables: list[int | None]) -> None:
        for tid in [t for t in tables if t is not None] + [None]:
            self.sp.rules.append(KRule(self.prio, iif, tid))
            self.prio += 1

    def route(self, tid: int, nid: str, r: Route, throw: bool = False, metric: int = 0) -> None:
        what = r.provenance.what
        dev = self.lab.dev_of(nid, r.out_iface) if r.out_iface else None
        if throw:
            self.sp.routes.append(KRoute(tid, str(r.prefix), "throw", what=what))
        elif r.action is not RouteAction.FORWARD or dev is None:
            self.sp.routes.append(KRoute(tid, str(r.prefix), "blackhole", metric=metric,
                                         what=what))
        else:
            iface = self.net.nodes[nid].interfaces[r.out_iface]
            link = self.net.links[iface.link]
            via = self.peer_ip[(nid, r.out_iface)] if link.kind is LinkKind.P2P else (
                str(r.next_hop) if r.next_hop else None)
            src = str(iface.addresses[0][0]) if iface.addresses and link.kind is LinkKind.P2P \
                else None
            self.sp.routes.append(KRoute(tid, str(r.prefix), "unicast", dev, via, metric, src,
                                         what))


def _bird_owned(net: Network, nid: str, r: Route) -> bool:
    return r.bgp is not None and nid in net.bgp and any(
        s.id == r.bgp.session and nid in (s.a.node, s.b.node) for s in net.sessions)


def _peers(net: Network, nid: str, lab: LabPlan, peer_ip: dict) -> list[bird.Peer]:
    """This node's side of each BGP session that runs over a link it has a device on."""
    out = []
    for i, s in enumerate(net.sessions):
        for mine, theirs in ((s.a, s.b), (s.b, s.a)):
            dev = lab.dev_of(nid, mine.iface) if mine.node == nid else None
            if dev is None or theirs.node not in net.bgp or (nid, mine.iface) not in peer_ip:
                continue
            local = next(a for a in lab.namespaces_addresses(nid, dev))
            out.append(bird.Peer(f"s{i}", s, mine, theirs, local.split("/")[0],
                                 peer_ip[(nid, mine.iface)], net.bgp[theirs.node].asn))
    return out


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
