"""Every problem in a topology, before it is compiled: provider checks plus the rules that
span providers (node names, site routes over VPN / Direct Connect, internet hosts)."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Iterator

from ..diagnostics import Diagnostic
from ..providers.aws.compile import BACKBONE
from ..providers.aws.validate import Checks, validate_aws, where
from ..providers.azure.compile import EDGE as AZURE_EDGE
from ..providers.azure.validate import azure_nodes, validate_azure
from ..providers.gcp.compile import EDGE
from ..providers.gcp.validate import gcp_nodes, validate_gcp
from ..providers.internet import INTERNET, PRIVATE
from ..providers.onprem.validate import validate_sites
from .base import ModelObject
from .topology import Internet, Topology

RESERVED = {INTERNET: "the built-in internet", BACKBONE: "the built-in AWS public network",
            EDGE: "the built-in GCP internet edge",
            AZURE_EDGE: "the built-in Azure public network"}


def validate_topology(topo: Topology) -> list[Diagnostic]:
    out = validate_sites(topo.onprem)
    # A VPN or DX gateway may name a site's router by the router's or the site's name.
    routers = {s.router.name for s in topo.onprem.values()} | set(topo.onprem)
    if topo.aws is not None:
        out += validate_aws(topo.aws, routers)
    if topo.azure is not None:
        out += validate_azure(topo.azure, routers)
    if topo.gcp is not None:
        out += validate_gcp(topo.gcp, topo.onprem)
    c = Checks()
    _site_routes(c, topo)
    _internet_hosts(c, topo.internet)
    _unique_names(c, topo)
    # Some name clashes are found both per VPC and topology-wide, with the same message.
    unique = list(dict.fromkeys(out + c.out))
    return sorted(unique, key=lambda d: (d.file, d.line or 0))  # in file order


def _site_routes(c: Checks, topo: Topology) -> None:
    """A site routes via a VPN connection, DX gateway or VIF that ends at its own router."""
    aws = topo.aws
    ends = {v.name: ("VPN connection", v.customer_gateway) for v in aws.vpn_connections} \
        if aws else {}
    if aws:
        for dx in aws.direct_connect_gateways:
            ends.setdefault(dx.name, ("Direct Connect gateway", dx.site_router))
        for conn in aws.direct_connect_connections:
            for vif in conn.vifs:
                ends.setdefault(vif.name, ("Direct Connect virtual interface", conn.site_router))
    if topo.azure is not None:
        lngs = {g.name: g.site_router for g in topo.azure.local_network_gateways}
        for v in topo.azure.vpn_connections:
            ends.setdefault(v.name, ("VPN connection", lngs.get(v.local_network_gateway)))
    for site_name, site in topo.onprem.items():
        mine = {site_name, site.router.name}
        for r in site.router.routes:
            if not c.ref(r, r.via, ends, "VPN connection or Direct Connect gateway or VIF", "via"):
                continue
            kind, router = ends[r.via]
            if router not in mine:
                c.error(r, f"{kind} {r.via} ends at router {router}, not at this site's "
                           f"router {site.router.name}", "via")


def _internet_hosts(c: Checks, internet: Internet) -> None:
    used: dict[IPv4Address, ModelObject] = {}
    for h in internet.hosts:
        ip = c.ip(h, h.ip, "ip")
        if ip is None:
            continue
        if any(ip in p for p in PRIVATE):
            c.error(h, f"{ip} is a private (RFC 1918) address; an internet host needs a "
                       "public one", "ip")
        if ip in used:
            c.error(h, f"{ip} is already used by internet host {used[ip].name} at "
                       f"{where(used[ip], 'ip')}", "ip")
        else:
            used[ip] = h


def _unique_names(c: Checks, topo: Topology) -> None:
    """Each of these becomes a node of the network: one name, one node."""
    first: dict[str, tuple[str, ModelObject, tuple]] = {}
    for name, kind, obj, sub in _nodes(topo):
        if name in RESERVED:
            c.error(obj, f"name '{name}' is reserved for {RESERVED[name]}", *sub)
        elif name in first:
            c.taken(obj, sub, name, first[name][0], first[name][1], first[name][2])
        else:
            first[name] = (kind, obj, sub)


def _nodes(topo: Topology) -> Iterator[tuple[str, str, ModelObject, tuple]]:
    """(name, kind, object, field) of everything that becomes a node."""
    aws = topo.aws
    if aws is not None:
        vpcs = aws.vpcs.values()
        yield from ((name, "VPC", vpc, ()) for name, vpc in aws.vpcs.items())
        yield from ((s.name, "subnet", s, ("name",)) for v in vpcs for s in v.subnets)
        yield from ((i.name, "instance", i, ("name",)) for v in vpcs for i in v.instances)
        yield from ((n.name, "NAT gateway", n, ("name",)) for v in vpcs for n in v.nat_gateways)
        yield from ((v.internet_gateway, "internet gateway", v, ("internet_gateway",))
                    for v in vpcs if v.internet_gateway is not None)
        yield from ((v.vpn_gateway.name, "virtual private gateway", v.vpn_gateway, ("name",))
                    for v in vpcs if v.vpn_gateway is not None)
        yield from ((p.name, "peering", p, ("name",)) for p in aws.peerings)
        yield from ((t.name, "transit gateway", t, ("name",)) for t in aws.transit_gateways)
        yield from ((d.name, "Direct Connect gateway", d, ("name",))
                    for d in aws.direct_connect_gateways)
    if topo.gcp is not None:
        yield from gcp_nodes(topo.gcp)
    if topo.azure is not None:
        yield from azure_nodes(topo.azure)
    sites = topo.onprem.values()
    yield from ((s.router.name, "site router", s.router, ("name",)) for s in sites)
    yield from ((h.name, "host", h, ("name",)) for s in sites for h in s.hosts)
    yield from ((h.name, "internet host", h, ("name",)) for h in topo.internet.hosts)
