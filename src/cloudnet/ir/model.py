"""The provider-neutral intermediate representation (IR).

Providers compile cloud models into these objects; the tracer, the verifier and the
Linux data plane read nothing else.  Every element carries a `Provenance` so an answer
can always name the model object and source line that produced it.

Forwarding model (the same for every node, so traces read like OVN's fixed pipeline):
  ingress interface -> inbound filters -> destination NAT -> local delivery?
  -> route lookup in the table the ingress interface selects -> source NAT
  -> outbound filters -> link to the next node.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an IR element came from: a model object and its place in a source file."""

    what: str  # human description, e.g. "security group sg-1 inbound rule 2"
    source: str = ""  # file the model object was read from
    line: int | None = None
    path: str = ""  # field path inside the source, e.g. vpcs.web.subnets[1]

    def where(self) -> str:
        if not self.source:
            return self.path
        loc = f"{self.source}:{self.line}" if self.line else self.source
        return f"{loc}: {self.path}" if self.path else loc

    def __str__(self) -> str:
        where = self.where()
        return f"{self.what} ({where})" if where else self.what


BUILTIN = Provenance("built-in")


class NodeKind(enum.Enum):
    HOST = "host"  # terminates traffic addressed to it (instance, on-prem host, internet host)
    ROUTER = "router"  # forwards (subnet boundary, VPC router, transit hub, site router)
    GATEWAY = "gateway"  # forwards with translation or policy (IGW, NAT, VPN gateway, peering)
    EXTERNAL = "external"  # a stand-in for the world beyond the model (the internet)


class Action(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


class FilterMode(enum.Enum):
    FIRST_MATCH = "first-match"  # ordered rules, the first matching rule decides
    ANY_ALLOW = "any-allow"  # allow-only rules; the packet passes if any rule matches


PROTO_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17}
PROTO_NAMES = {v: k for k, v in PROTO_NUMBERS.items()}


@dataclass(frozen=True, slots=True)
class PortRange:
    lo: int
    hi: int

    def __contains__(self, port: int) -> bool:
        return self.lo <= port <= self.hi

    def __str__(self) -> str:
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


@dataclass(frozen=True, slots=True)
class Match:
    """Header match; an empty tuple means 'any' for that field."""

    protocols: tuple[int, ...] = ()
    src: tuple[IPv4Network, ...] = ()
    dst: tuple[IPv4Network, ...] = ()
    src_ports: tuple[PortRange, ...] = ()
    dst_ports: tuple[PortRange, ...] = ()
    src_label: str = ""  # how the model named the source set, e.g. "members of sg-web"
    dst_label: str = ""


@dataclass(slots=True)
class Rule:
    action: Action
    match: Match
    provenance: Provenance
    label: str = ""  # e.g. "rule 100" or "ingress rule 2"


@dataclass(slots=True)
class Filter:
    id: str
    mode: FilterMode
    stateful: bool  # replies of a connection it let through pass without evaluation
    default: Action
    rules: list[Rule]
    provenance: Provenance
    default_provenance: Provenance = BUILTIN


class NatKind(enum.Enum):
    STATIC = "static"  # 1:1, stateless, both directions (inside <-> outside address)
    SOURCE = "source"  # dynamic source NAT, stateful: replies are reverse-translated


@dataclass(slots=True)
class NatRule:
    kind: NatKind
    inside: IPv4Address | None  # STATIC: the private address
    outside: IPv4Address  # STATIC: the public address; SOURCE: the address to use
    inside_iface: str  # interface facing the inside
    outside_iface: str  # interface facing the outside (STATIC inbound is taken from here)
    provenance: Provenance
    port_range: PortRange | None = None  # SOURCE: ports it allocates from


class RouteAction(enum.Enum):
    FORWARD = "forward"
    DROP = "drop"  # blackhole: matches and discards (NULL_ROUTED)
    EXIT = "exit"  # leaves the modelled network (EXITS_NETWORK)


@dataclass(frozen=True, slots=True)
class BgpPath:
    """How a BGP-learned route was learned: shown in traces, compared when routes tie."""

    peer: str  # the neighbour node it came from
    session: str  # BgpSession id
    as_path: tuple[int, ...]
    local_pref: int = 100
    weight: int = 0
    med: int = 0
    communities: tuple[tuple[int, int], ...] = ()  # standard communities (ASN, value)


@dataclass(slots=True)
class Route:
    prefix: IPv4Network
    action: RouteAction
    out_iface: str = ""
    next_hop: IPv4Address | None = None  # None: on-link (segment) or the link's peer (p2p)
    # Lower tuples win among routes of equal prefix length; kind names it for humans.
    preference: tuple[int, ...] = (0,)
    kind: str = "static"
    target: str = ""  # the model's name for the target, e.g. igw-1 or pcx-2
    provenance: Provenance = BUILTIN
    inactive: str = ""  # non-empty: never selected, and why (kept to explain decisions)
    bgp: BgpPath | None = None  # set on routes the control plane learned by BGP


@dataclass(slots=True)
class RouteTable:
    id: str
    routes: list[Route]
    provenance: Provenance = BUILTIN


class LinkKind(enum.Enum):
    P2P = "p2p"  # two interfaces, no addressing needed to reach the peer
    SEGMENT = "segment"  # a broadcast domain: the next hop is found by address


@dataclass(slots=True)
class Link:
    id: str
    kind: LinkKind
    endpoints: list[tuple[str, str]]  # (node id, interface name)
    provenance: Provenance = BUILTIN
    bandwidth_mbps: int | None = None  # a circuit's or tunnel's capacity (shaped live)
    tunnel: bool = False  # an encrypted tunnel over an underlay (site-to-site VPN)


@dataclass(slots=True)
class Interface:
    name: str
    node: str
    addresses: list[tuple[IPv4Address, IPv4Network]] = field(default_factory=list)
    link: str = ""
    table: str = ""  # route table for packets arriving here (policy routing)
    # Routing domain: a packet is for the node only if its destination is an address of an
    # interface in the domain it arrived in (a VPN gateway's public side is its own domain).
    vrf: str = ""
    in_filters: list[str] = field(default_factory=list)  # each must accept
    out_filters: list[str] = field(default_factory=list)
    provenance: Provenance = BUILTIN


@dataclass(slots=True)
class Node:
    id: str  # the model's name: an AWS id for imported resources, the user's name from YAML
    kind: NodeKind
    provider: str
    role: str  # e.g. instance, subnet, vpc-router, igw, nat, tgw, vgw, peering, site-router
    interfaces: dict[str, Interface] = field(default_factory=dict)
    tables: dict[str, RouteTable] = field(default_factory=dict)
    origin_table: str = ""  # table for packets the node itself originates
    nat: list[NatRule] = field(default_factory=list)
    provenance: Provenance = BUILTIN
    # Whether traffic addressed to the node itself is delivered (hosts, routers answering on
    # their own addresses) or dropped, and why (e.g. a NAT gateway accepts no connections).
    accepts: bool = False
    refuse_reason: str = "does not accept traffic addressed to it"
    attrs: dict[str, str] = field(default_factory=dict)  # display facts (vpc, subnet, az, ...)

    def addresses(self) -> list[IPv4Address]:
        return [a for i in self.interfaces.values() for a, _ in i.addresses]


@dataclass(slots=True)
class Install:
    """Where routes learned from a neighbour are installed: a table of the speaker's node,
    or of another node it programs (e.g. a VPN gateway propagating into VPC route tables)."""

    node: str
    table: str
    out_iface: str  # the interface of `node` the installed routes point out of
    preference: tuple[int, ...]  # class among the table's routes (BGP attributes follow)
    kind: str  # how traces name them, e.g. "propagated (VPN BGP)"
    next_hop: IPv4Address | None = None
    # Ranges a learned route may not override (e.g. a VPC's local range), and why.
    protected: tuple[IPv4Network, ...] = ()
    protected_why: str = ""


@dataclass(slots=True)
class BgpNeighbor:
    """One side of a BGP session: the speaker at `node` and its policy toward the other."""

    node: str
    iface: str  # the interface the session runs over (a tunnel, a circuit)
    address: IPv4Address | None = None  # its session address
    # Prefix policies: None accepts or sends everything; otherwise a route must be equal to
    # or inside one of the prefixes.
    import_prefixes: tuple[IPv4Network, ...] | None = None
    export_prefixes: tuple[IPv4Network, ...] | None = None
    local_pref: int = 100  # given to routes learned here
    # Routes learned here carrying one of these communities get its local preference instead
    # (the highest applies): how a peer asks for a preference, e.g. on Direct Connect.
    community_local_pref: dict[tuple[int, int], int] = field(default_factory=dict)
    communities: tuple[tuple[int, int], ...] = ()  # added to every route it sends
    weight: int = 0  # compared before local preference (Azure connection weight)
    med: int = 0  # sent with its routes
    prepend: int = 0  # extra copies of its AS on export
    max_prefixes: int | None = None  # more accepted than this: the session goes down
    install: list[Install] = field(default_factory=list)


@dataclass(slots=True)
class BgpSession:
    id: str
    a: BgpNeighbor
    b: BgpNeighbor
    provenance: Provenance = BUILTIN
    hold_time: int = 9  # seconds; keepalive is a third (documented per provider)


@dataclass(slots=True)
class BgpSpeaker:
    node: str
    asn: int
    router_id: IPv4Address
    originate: list[tuple[IPv4Network, Provenance]] = field(default_factory=list)
    provenance: Provenance = BUILTIN


@dataclass(slots=True)
class Network:
    name: str
    nodes: dict[str, Node] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    # Model objects a provider could not represent, each with the reason: never dropped silently.
    unsupported: list[Provenance] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # other names -> node id
    bgp: dict[str, BgpSpeaker] = field(default_factory=dict)  # node id -> its speaker
    sessions: list[BgpSession] = field(default_factory=list)
    sessions_down: dict[str, str] = field(default_factory=dict)  # session id -> why (computed)
    down: frozenset[str] = frozenset()  # nodes and links out of service (what-if, faults)

    def add_node(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate IR node {node.id}")
        self.nodes[node.id] = node
        return node

    def add_filter(self, flt: Filter) -> str:
        self.filters.setdefault(flt.id, flt)
        return flt.id

    def connect(self, link_id: str, kind: LinkKind, ends: list[tuple[str, str]],
                provenance: Provenance = BUILTIN) -> Link:
        link = Link(link_id, kind, list(ends), provenance)
        self.links[link_id] = link
        for node_id, iface in ends:
            self.nodes[node_id].interfaces[iface].link = link_id
        return link

    def resolve(self, name: str) -> str | None:
        if name in self.nodes:
            return name
        return self.aliases.get(name)
