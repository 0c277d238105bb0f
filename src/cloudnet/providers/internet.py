"""The internet as a built-in place: one router and the hosts the topology puts in it.

It drops private (RFC 1918) destinations, sends the public addresses a cloud announces to
that cloud's edge, delivers to its own hosts, and lets everything else leave the model.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ..ir import build
from ..ir.model import LinkKind, Network, Node, NodeKind, Provenance
from ..model.topology import Internet

INTERNET = "internet"
PRIVATE = [IPv4Network(p) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
DEFAULT_SOURCE = IPv4Address("198.51.100.1")  # TEST-NET-2: a documentation address
# The router's address on the segment of internet hosts (link-local: collides with no user plan).
GATEWAY = IPv4Address("169.254.255.254")


def compile_internet(model: Internet, net: Network) -> Node:
    prov = Provenance("the internet (built in)")
    node = net.add_node(Node(INTERNET, NodeKind.EXTERNAL, "internet", "internet",
                             provenance=prov, origin_table="main"))
    node.attrs["source"] = str(model.hosts[0].ip if model.hosts else DEFAULT_SOURCE)
    main = build.table(node, "main")
    main.routes.append(build.exit_route(IPv4Network("0.0.0.0/0"), "world",
                                        Provenance("default route: the rest of the internet"),
                                        target="world"))
    build.add_iface(node, "world", "main", provenance=prov)
    for p in PRIVATE:
        main.routes.append(build.drop(p, Provenance(f"private range {p} is not routed on the "
                                                    "internet"), kind="private"))
    build.add_iface(node, "hosts", "main", [(GATEWAY, IPv4Network(f"{GATEWAY}/32"))], prov)
    ends = [(node.id, "hosts")]
    for h in model.hosts:
        hp = h.provenance(f"internet host {h.name}")
        ip = IPv4Address(h.ip)
        host = net.add_node(Node(h.name, NodeKind.HOST, "internet", "host", provenance=hp,
                                 origin_table="main", accepts=True))
        build.add_iface(host, "eth0", "main", [(ip, IPv4Network(f"{ip}/32"))], hp)
        build.table(host, "main").routes.append(
            build.forward(IPv4Network("0.0.0.0/0"), "eth0", hp, next_hop=GATEWAY, target=INTERNET))
        main.routes.append(build.forward(IPv4Network(f"{ip}/32"), "hosts", hp,
                                         kind="connected", target=h.name))
        ends.append((host.id, "eth0"))
    net.connect("internet:hosts", LinkKind.SEGMENT, ends, prov)
    return node


def announce(net: Network, prefix: IPv4Network, out_iface: str, provenance: Provenance,
             target: str) -> None:
    """A cloud edge announces a public prefix: the internet routes it there."""
    build.table(net.nodes[INTERNET], "main").routes.append(
        build.forward(prefix, out_iface, provenance, kind="announced", target=target))
