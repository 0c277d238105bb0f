"""Indexes over an IR network that the tracer needs: who owns an address, who is across a link."""

from __future__ import annotations

from ipaddress import IPv4Address

from ..ir.model import LinkKind, NatKind, Network

End = tuple[str, str]  # (node id, interface name)


class Fabric:
    def __init__(self, net: Network):
        self.net = net
        self.peer: dict[End, End] = {}
        self.segment: dict[str, dict[IPv4Address, End]] = {}
        self.local: dict[tuple[str, str], set[IPv4Address]] = {}  # (node, vrf) -> addresses
        self.owner: dict[IPv4Address, str] = {}
        self.public: dict[IPv4Address, IPv4Address] = {}  # private -> public (static NAT)
        for link in net.links.values():
            if link.kind is LinkKind.P2P:
                a, b = link.endpoints
                self.peer[a] = b
                self.peer[b] = a
            else:
                owners: dict[IPv4Address, End] = {}
                for node_id, iface in link.endpoints:
                    for addr, _ in net.nodes[node_id].interfaces[iface].addresses:
                        owners[addr] = (node_id, iface)
                self.segment[link.id] = owners
        for node in net.nodes.values():
            for iface in node.interfaces.values():
                addrs = self.local.setdefault((node.id, iface.vrf), set())
                for a, _ in iface.addresses:
                    addrs.add(a)
                    self.owner.setdefault(a, node.id)
            for rule in node.nat:
                if rule.kind is NatKind.STATIC and rule.inside is not None:
                    self.public[rule.inside] = rule.outside

    _cache: dict[int, tuple[Network, "Fabric"]] = {}

    @classmethod
    def of(cls, net: Network) -> "Fabric":
        hit = cls._cache.get(id(net))
        if hit is None or hit[0] is not net:
            hit = (net, cls(net))
            cls._cache[id(net)] = hit
        return hit[1]
