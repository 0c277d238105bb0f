"""On-premises sites: networks, hosts and one router with static routes."""

from __future__ import annotations

from pydantic import Field

from ...model.base import ModelObject


class SiteRoute(ModelObject):
    destination: str
    via: str  # a VPN connection or Direct Connect gateway name


class Router(ModelObject):
    name: str
    ip: str  # its address on the site network (the hosts' default gateway)
    routes: list[SiteRoute] = Field(default_factory=list)
    loopbacks: list[str] = Field(default_factory=list)  # extra addresses the router answers on
    asn: int | None = None  # set: the router speaks BGP on its VPN and circuit links
    announce: list[str] = Field(default_factory=list)  # prefixes it originates (default: the site's)
    # Local preference per link (VPN connection or circuit name): the higher, the preferred.
    local_pref: dict[str, int] = Field(default_factory=dict)
    # BGP communities ("ASN:value") per link, added to everything it announces there, e.g.
    # AWS Direct Connect's local-preference tags {vif-1: ["7224:7300"]}.
    communities: dict[str, list[str]] = Field(default_factory=dict)


class Host(ModelObject):
    name: str
    ip: str


class Site(ModelObject):
    network: str  # the site LAN, e.g. 192.168.10.0/24
    networks: list[str] = Field(default_factory=list)  # further prefixes the site owns
    router: Router
    hosts: list[Host] = Field(default_factory=list)


def community(text: str) -> tuple[int, int] | None:
    """A standard community "ASN:value" (each 0-65535), or None if `text` is not one."""
    asn, sep, value = str(text).strip().partition(":")
    if not (sep and asn.isdigit() and value.isdigit()):
        return None
    pair = int(asn), int(value)
    return pair if max(pair) <= 65535 else None
