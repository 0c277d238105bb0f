"""On-premises sites: networks and addresses.  Route `via` names are checked topology-wide,
where the VPN connections and Direct Connect gateways are known."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ...diagnostics import Diagnostic
from ...model.base import ModelObject
from ..aws.validate import Checks, where
from .model import Site, community


def validate_sites(sites: dict[str, Site]) -> list[Diagnostic]:
    c = Checks()
    for name, site in sites.items():
        _site(c, name, site)
    return c.out


def _site(c: Checks, name: str, site: Site) -> None:
    lan = c.cidr(site, site.network, "network")
    for j, n in enumerate(site.networks):
        c.cidr(site, n, "networks", j)
    router = site.router
    used: dict[IPv4Address, tuple[str, ModelObject]] = {}
    _address(c, router, lan, used, f"router {router.name}")
    for j, loop in enumerate(router.loopbacks):
        c.ip(router, loop, "loopbacks", j)
    for h in site.hosts:
        _address(c, h, lan, used, f"host {h.name}")
    for link, tags in router.communities.items():
        for j, text in enumerate(tags):
            if community(text) is None:
                c.error(router, f"{text} is not a BGP community (ASN:value, each 0-65535)",
                        "communities", link, j)
    seen: dict[IPv4Network, ModelObject] = {}
    for r in router.routes:
        dest = c.cidr(r, r.destination, "destination")
        if dest is not None and dest in seen:
            c.error(r, f"duplicate route for {dest} (first at {where(seen[dest])})",
                    "destination")
        elif dest is not None:
            seen[dest] = r


def _address(c: Checks, obj, lan: IPv4Network | None, used: dict, owner: str) -> None:
    """The router's or a host's address: a usable address of the LAN, used once."""
    ip = c.ip(obj, obj.ip, "ip")
    if ip is None:
        return
    if lan is not None:
        if ip not in lan:
            c.error(obj, f"{ip} is outside the site network {lan}", "ip")
        elif lan.prefixlen <= 30 and ip in (lan.network_address, lan.broadcast_address):
            which = "network" if ip == lan.network_address else "broadcast"
            c.error(obj, f"{ip} is the {which} address of {lan}", "ip")
    if ip in used:
        first_owner, first = used[ip]
        c.error(obj, f"{ip} is already used by {first_owner} at {where(first, 'ip')}", "ip")
    else:
        used[ip] = (owner, obj)
