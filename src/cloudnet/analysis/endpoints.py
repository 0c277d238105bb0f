"""Where a flow starts and which address it is sent to, from the names users type."""

from __future__ import annotations

from ipaddress import IPv4Address

from ..ir.model import Network, NodeKind
from .fabric import Fabric


class EndpointError(ValueError):
    """A name or address on the command line that the topology does not have."""


def node_for(net: Network, name: str) -> str:
    node = net.resolve(name)
    if node is None:
        from ..diagnostics import did_you_mean
        raise EndpointError(f"no node named '{name}'{did_you_mean(name, net.nodes)}")
    return node


def source_address(net: Network, node_id: str) -> IPv4Address:
    node = net.nodes[node_id]
    if "source" in node.attrs:
        return IPv4Address(node.attrs["source"])
    addrs = node.addresses()
    if not addrs:
        raise EndpointError(f"{node_id} has no address to send from; give --src")
    return addrs[0]


def destination_address(net: Network, dst: str, src_node: str) -> IPv4Address:
    """An address as given, or a node's address as seen from the source: its public
    address from outside the clouds, its private address from inside."""
    try:
        return IPv4Address(dst)
    except ValueError:
        pass
    node = net.nodes[node_for(net, dst)]
    addrs = node.addresses()
    if not addrs:
        raise EndpointError(f"{node.id} has no address")
    fab = Fabric.of(net)
    if net.nodes[src_node].kind is NodeKind.EXTERNAL or net.nodes[src_node].provider == "internet":
        for a in addrs:
            if a in fab.public:
                return fab.public[a]
    return addrs[0]


def endpoints(net: Network) -> list[str]:
    """Nodes that send and receive traffic: hosts, plus the internet itself when the
    topology names no internet host but has something the internet can reach."""
    out = [n.id for n in net.nodes.values() if n.kind is NodeKind.HOST]
    reachable = any(r.kind == "announced" for t in net.nodes["internet"].tables.values()
                    for r in t.routes) if "internet" in net.nodes else False
    if reachable and not any(net.nodes[n].provider == "internet" for n in out):
        out.append("internet")
    return out
