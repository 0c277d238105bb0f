"""What the Azure and GCP mappings share: references, names, placeholders, and the on-premises
site a VPN's far end implies.

Both providers refer to resources by id (`azurerm_subnet.a.id`: an Unknown naming it), by name
(`azurerm_virtual_network.hub.name`: the name itself, read from the source) or by a path that
ends in the name (ARM ids, GCP self links, in states); `ref` accepts all three.
"""

from __future__ import annotations

import re
from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Callable, Iterable

from pydantic import ValidationError

from ...providers.onprem.model import Router, Site
from ...diagnostics import format_path
from .resolve import Report, Resource, Unknown, placeholder_ip

NAME = re.compile(r"[\w.-]+")  # names with spaces or slashes would be awkward as references
PUBLIC_POOL = IPv4Network("198.18.0.0/15")  # public addresses known after apply (as for AWS)
SITE_POOL = IPv4Network("100.64.0.0/10")  # LANs of sites Terraform says nothing about


class Modelling:
    """Model objects built from resources: placed at the resource for provenance, or the
    resource reported as skipped when its values do not fit the model."""

    report: Report

    def place(self, obj, res: Resource, *sub: str | int):
        obj.place(res.src, (res.address, *sub))
        return obj

    def make(self, cls, res: Resource, *sub: str | int, **fields):
        try:
            obj = cls(**fields)
        except ValidationError as exc:
            self.report.skip(res, f"cannot be modelled as {cls.__name__}: "
                                  f"{exc.errors()[0]['msg']}", *sub)
            return None
        return self.place(obj, res, *sub)


class Mapping(Modelling):
    PREFIX = ""
    # types whose resources' names share one namespace (they become nodes or are referred to
    # by name); other types' names are scoped (subnets in their network) or unused.
    NAMED: tuple[str, ...] = ()

    def __init__(self, resources: list[Resource], report: Report):
        self.report = report
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        self.by_addr: dict[str, Resource] = {}
        for r in resources:
            if r.type.startswith(self.PREFIX) and r.mode == "managed":
                self.by_type[r.type].append(r)
                self.by_addr[r.address] = r
        self.used: set[str] = set()
        self.public_taken: set[IPv4Address] = set()
        self.sites: dict[str, Site] = {}  # on-premises ends of VPNs, for the topology
        counts: dict[str, int] = defaultdict(int)
        for r in self.by_addr.values():
            if r.type in self.NAMED and isinstance(r.values.get("name"), str):
                counts[r.values["name"]] += 1
        self.names = {a: r.values["name"] if r.type in self.NAMED and isinstance(
            r.values.get("name"), str) and NAME.fullmatch(r.values["name"]) and counts[
            r.values["name"]] == 1 and r.values["name"] not in self.by_addr else a
            for a, r in self.by_addr.items()}

    def name(self, address: str) -> str:
        return self.names.get(address, address)

    def each(self, *types: str) -> Iterable[Resource]:
        for t in types:
            for r in self.by_type.get(t, []):
                self.used.add(r.address)
                yield r

    def report_unused(self, why: dict[str, str]) -> None:
        for r in self.by_addr.values():
            if r.address not in self.used:
                self.report.skip(r, why.get(r.type, "this resource type is not modelled by "
                                                    "cloudnet"))

    # ---- values --------------------------------------------------------------------------

    def text(self, res: Resource, key: str, default: str | None = None) -> str | None:
        v = res.values.get(key)
        return v if isinstance(v, str) and v else default

    def number(self, res: Resource, key: str, default: int | None = None) -> int | None:
        v = res.values.get(key)
        if isinstance(v, bool):
            return default
        if isinstance(v, (int, float)):
            return int(v)
        return int(v) if isinstance(v, str) and v.isdigit() else default

    def flag(self, res: Resource, key: str, default: bool) -> bool:
        v = res.values.get(key)
        return v if isinstance(v, bool) else default

    def block(self, res: Resource, key: str) -> dict:
        """A nested block given at most once (bgp { }, bgp_settings { })."""
        v = res.values.get(key)
        if isinstance(v, list):
            v = v[0] if v else None
        return v if isinstance(v, dict) else {}

    @staticmethod
    def blocks(where: Resource | dict, key: str) -> list[tuple[int, dict]]:
        """The nested blocks `key` of a resource (or of a block)."""
        v = (where.values if isinstance(where, Resource) else where).get(key)
        return [(i, b) for i, b in enumerate(v) if isinstance(b, dict)] \
            if isinstance(v, list) else []

    def cidr(self, res: Resource, value: Any, what: str, *sub: str | int) -> str | None:
        if isinstance(value, Unknown):
            self.report.skip(res, f"its {what} is known only after apply", *sub)
            return None
        try:
            return str(IPv4Network(str(value)))
        except ValueError:
            why = "IPv6 is not modelled" if ":" in str(value) else "not an IPv4 CIDR"
            self.report.skip(res, f"{what} {value!r}: {why}", *sub)
            return None

    # ---- references ------------------------------------------------------------------------

    def narrow(self, res: Resource, value: str, found: list[str]) -> list[str]:
        """Candidates of a reference by name or path that fit its context (resource group,
        parent, region); the providers refine it."""
        return found

    def ref(self, res: Resource, value: Any, types: tuple[str, ...], what: str,
            *sub: str | int, report: bool = True) -> str | None:
        """The address of the resource of one of `types` that `value` (an id, a name or a
        path ending in the name) denotes."""
        outside: list[str] = []
        if isinstance(value, Unknown):
            found = [a for a in value.refs if a in self.by_addr and self.by_addr[a].type in types]
            outside = [a for a in value.refs if a not in self.by_addr]
        elif isinstance(value, str) and value:
            mine = [r for t in types for r in self.by_type.get(t, [])]
            found = [r.address for r in mine if value in (r.values.get("id"),
                                                          r.values.get("self_link"))]
            if not found:
                last = value.rstrip("/").rsplit("/", 1)[-1]
                found = self.narrow(res, value, [r.address for r in mine
                                                 if r.values.get("name") == last])
            outside = [] if found else [value]
        else:
            return None
        if len(found) > 1 and report:
            self.report.note(res, f"{what} is one of {', '.join(found)}; {found[0]} is assumed",
                             *sub)
        if not found and report:
            why = (f"{outside[0]}, which is not in the import" if outside
                   else "a value known only after apply that names no resource of the import")
            self.report.skip(res, f"its {what} is {why}", *sub)
        return found[0] if found else None

    def public_ip(self, res: Resource, key: str, what: str, *sub: str | int,
                  values: dict | None = None) -> str:
        """The address `key` of the resource (or of its block `values` at `sub`) states, or
        a stable placeholder (reported)."""
        v = (res.values if values is None else values).get(key)
        if isinstance(v, str) and v:
            return v
        ip = str(placeholder_ip(format_path((res.address, *sub)), PUBLIC_POOL,
                                self.public_taken))
        self.report.placeholder(res, f"{what}: placeholder {ip} (from {PUBLIC_POOL}, derived "
                                     "from the address)", *sub, key)
        return ip

    def site(self, res: Resource, name: str, prefixes: list[str], asn: int | None,
             bgp_ip: str | None, taken: Callable[[], list[IPv4Network]]) -> str:
        """The on-premises site behind a VPN's far end (an Azure local network gateway, a GCP
        external VPN gateway), so the connection has a router to end at: its LAN is the first
        prefix Terraform routes to it, else a placeholder (reported). Returns the router's
        name."""
        router = f"{name}-router"
        if router in {s.router.name for s in self.sites.values()}:
            return router
        if prefixes:
            lan = IPv4Network(prefixes[0])
            self.report.note(res, f"the on-premises end is modelled as site {name} (LAN {lan}, "
                                  f"router {router}{f', AS {asn}' if asn else ''}); add hosts "
                                  "to trace to it")
        else:
            used = taken() + [IPv4Network(s.network) for s in self.sites.values()]
            lan = next(n for n in SITE_POOL.subnets(new_prefix=24)
                       if not any(n.overlaps(u) for u in used))
            self.report.note(res, f"the on-premises LAN is not in Terraform: site {name} gets "
                                  f"placeholder LAN {lan} from {SITE_POOL} (router {router}"
                                  f"{f', AS {asn}' if asn else ''}); edit it to the real one")
        # The router at its BGP address when that is on the LAN, else at the LAN's first host.
        ip = next(iter(lan.hosts()), lan.network_address)
        try:
            if bgp_ip and IPv4Address(bgp_ip) in lan:
                ip = IPv4Address(bgp_ip)
        except ValueError:
            pass  # not an address: the first host it is
        site = Site(network=str(lan), networks=prefixes[1:],
                    router=Router(name=router, ip=str(ip), asn=asn))
        site.place(res.src, (res.address,))
        site.router.place(res.src, (res.address,))
        self.sites[name] = site
        return router
