"""Small helpers providers use to assemble IR nodes, links and tables."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from .model import (BUILTIN, Interface, LinkKind, Network, Node, Provenance, Route,
                    RouteAction, RouteTable)


def add_iface(node: Node, name: str, table: str = "",
              addresses: list[tuple[IPv4Address, IPv4Network]] | None = None,
              provenance: Provenance = BUILTIN) -> Interface:
    iface = Interface(name, node.id, list(addresses or []), table=table, provenance=provenance)
    node.interfaces[name] = iface
    return iface


def table(node: Node, name: str, provenance: Provenance = BUILTIN) -> RouteTable:
    if name not in node.tables:
        node.tables[name] = RouteTable(name, [], provenance)
    return node.tables[name]


def forward(prefix: IPv4Network, out_iface: str, provenance: Provenance, *, kind: str = "static",
            preference: tuple[int, ...] = (0,), target: str = "",
            next_hop: IPv4Address | None = None, inactive: str = "") -> Route:
    return Route(prefix, RouteAction.FORWARD, out_iface, next_hop, preference, kind,
                 target or out_iface, provenance, inactive)


def drop(prefix: IPv4Network, provenance: Provenance, *, kind: str = "blackhole",
         preference: tuple[int, ...] = (0,), target: str = "") -> Route:
    return Route(prefix, RouteAction.DROP, preference=preference, kind=kind, target=target,
                 provenance=provenance)


def exit_route(prefix: IPv4Network, out_iface: str, provenance: Provenance,
               target: str = "") -> Route:
    return Route(prefix, RouteAction.EXIT, out_iface, kind="static", target=target,
                 provenance=provenance)


def p2p(net: Network, a: tuple[str, str], b: tuple[str, str], provenance: Provenance,
        *, a_table: str = "", b_table: str = "") -> None:
    """Join two nodes with a point-to-point link, creating the interfaces."""
    for (node_id, name), tbl in ((a, a_table), (b, b_table)):
        node = net.nodes[node_id]
        if name not in node.interfaces:
            add_iface(node, name, tbl, provenance=provenance)
        elif tbl:
            node.interfaces[name].table = tbl
    net.connect(f"{a[0]}:{a[1]}--{b[0]}:{b[1]}", LinkKind.P2P, [a, b], provenance)
