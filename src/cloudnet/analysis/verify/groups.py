"""Endpoint groups users name: a host or instance, a subnet, a VPC, an on-premises site, the
internet, or anything.  Selectors are `NAME`, `subnet:NAME`, `vpc:NAME`, `site:NAME`,
`internet` and `any`.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from ...diagnostics import did_you_mean
from ...ir.model import Network, NodeKind
from ..fabric import Fabric

INTERNET = "internet"
# Addresses the internet does not send from (private, loopback, link-local, multicast, ...).
NOT_PUBLIC = [IPv4Network(p) for p in ("0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8",
                                        "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
                                        "224.0.0.0/3")]
KINDS = ("subnet", "vpc", "site")


@dataclass(frozen=True)
class Group:
    name: str
    kind: str  # host, subnet, vpc, site, internet, any
    nodes: tuple[str, ...]  # the endpoints (hosts, or the internet node)


class SelectorError(ValueError):
    pass


def hosts(net: Network) -> list[str]:
    return [n.id for n in net.nodes.values() if n.kind is NodeKind.HOST]


def addresses(net: Network, node_id: str) -> list[IPv4Address]:
    return net.nodes[node_id].addresses()


def public_addresses(net: Network, node_id: str) -> list[IPv4Address]:
    """The addresses the node is reached at from the internet (static NAT)."""
    fab = Fabric.of(net)
    return [fab.public[a] for a in addresses(net, node_id) if a in fab.public]


def all_groups(net: Network) -> list[Group]:
    out = [Group(h, "host", (h,)) for h in hosts(net)]
    for kind in KINDS:
        members: dict[str, list[str]] = {}
        for h in hosts(net):
            if kind in net.nodes[h].attrs:
                members.setdefault(net.nodes[h].attrs[kind], []).append(h)
        out += [Group(f"{kind}:{k}", kind, tuple(v)) for k, v in members.items()]
    if INTERNET in net.nodes:
        out.append(Group(INTERNET, INTERNET, (INTERNET,)))
    return out


def select(net: Network, selector: str) -> Group:
    sel = selector.strip()
    if sel == "any":
        return Group("any", "any", tuple(hosts(net)) + ((INTERNET,) if INTERNET in net.nodes
                                                        else ()))
    if sel == INTERNET:
        if INTERNET not in net.nodes:
            raise SelectorError("the topology has no internet")
        return Group(INTERNET, INTERNET, (INTERNET,))
    kind, colon, name = sel.partition(":")
    if colon and kind in KINDS:
        groups = {g.name: g for g in all_groups(net) if g.kind == kind}
        hit = groups.get(sel)
        if hit is None:
            names = [g.name.partition(":")[2] for g in groups.values()]
            raise SelectorError(f"no {kind} named '{name}' with endpoints in it"
                                f"{did_you_mean(name, names)}")
        return hit
    node = net.resolve(sel)
    if node is None or net.nodes[node].kind is not NodeKind.HOST:
        choices = hosts(net) + [g.name for g in all_groups(net)]
        hint = did_you_mean(sel, choices)
        what = "is not an endpoint (a host or instance)" if node else "names no endpoint"
        raise SelectorError(f"'{sel}' {what}{hint}; use a host, subnet:NAME, vpc:NAME, "
                            "site:NAME, internet or any")
    return Group(node, "host", (node,))
