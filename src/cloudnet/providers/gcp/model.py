"""GCP resources as the topology file (and the Compute JSON importer) states them.

Names are references: every object is named once, topology-wide, and referred to by that
name (an instance names its subnet, a route its next-hop instance, a tunnel its Cloud Router
and its on-premises peer).  For imported resources the names are GCP's; a name used in more
than one region or zone is qualified with it (`europe-west4/default`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...model.base import ModelObject

Ports = int | str  # 443 or "1000-2000"


class Protocol(ModelObject):
    protocol: str | int = "all"  # tcp, udp, icmp, esp, ah, sctp, ipip, all, or a number
    ports: list[Ports] = Field(default_factory=list)  # tcp/udp/sctp only; empty: all ports


class FirewallRule(ModelObject):
    name: str
    priority: int = 1000  # 0-65535, lower wins; at equal priority deny beats allow
    direction: Literal["ingress", "egress"] = "ingress"
    action: Literal["allow", "deny"] = "allow"
    protocols: list[Protocol] = Field(default_factory=list)  # empty: all protocols
    # Targets: all instances of the network unless tags or service accounts are given.
    target_tags: list[str] = Field(default_factory=list)
    target_service_accounts: list[str] = Field(default_factory=list)
    # Ingress sources (any one matching suffices); none given: 0.0.0.0/0.
    source_ranges: list[str] = Field(default_factory=list)
    source_tags: list[str] = Field(default_factory=list)
    source_service_accounts: list[str] = Field(default_factory=list)
    destination_ranges: list[str] = Field(default_factory=list)  # egress; none: 0.0.0.0/0
    disabled: bool = False


class Subnet(ModelObject):
    name: str
    region: str
    cidr: str  # primary range: /29 or larger; 4 reserved addresses


class Route(ModelObject):
    name: str
    destination: str
    priority: int = 1000
    next_hop_instance: str | None = None
    next_hop_ip: str | None = None
    next_hop_gateway: Literal["default-internet-gateway"] | None = None
    next_hop_vpn_tunnel: str | None = None
    tags: list[str] = Field(default_factory=list)  # only instances with one of these tags

    def next_hop(self) -> tuple[str, str] | None:
        given = [(k, v) for k, v in (("instance", self.next_hop_instance),
                                     ("ip", self.next_hop_ip),
                                     ("gateway", self.next_hop_gateway),
                                     ("vpn_tunnel", self.next_hop_vpn_tunnel)) if v is not None]
        return given[0] if len(given) == 1 else None


class Peering(ModelObject):
    name: str
    network: str  # the peer network; it needs a peering back to be ACTIVE
    export_custom_routes: bool = False
    import_custom_routes: bool = False


class Network(ModelObject):
    mode: Literal["custom", "auto"] = "custom"
    routing_mode: Literal["regional", "global"] = "regional"  # dynamic routing scope
    default_internet_route: bool = True  # the system 0.0.0.0/0 route (deletable)
    subnets: list[Subnet] = Field(default_factory=list)
    firewall_rules: list[FirewallRule] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    peerings: list[Peering] = Field(default_factory=list)


class Nic(ModelObject):
    subnet: str
    ip: str
    external_ip: str | None = None


class Instance(ModelObject):
    name: str
    zone: str = ""
    subnet: str | None = None  # shorthand for one interface
    ip: str | None = None
    external_ip: str | None = None
    interfaces: list[Nic] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    service_account: str | None = None
    can_ip_forward: bool = False

    @model_validator(mode="after")
    def _one_form(self):
        single = self.subnet is not None or self.ip is not None or self.external_ip is not None
        if single and self.interfaces:
            raise ValueError("give either subnet/ip or interfaces, not both")
        if not single and not self.interfaces:
            raise ValueError("an instance needs subnet and ip (or interfaces)")
        if single and (self.subnet is None or self.ip is None):
            raise ValueError("an instance needs both subnet and ip")
        return self

    def nics(self) -> list[tuple[Nic | None, str, str, str | None]]:
        """(interface object or None for the shorthand, subnet, ip, external ip), nic0 first."""
        if self.interfaces:
            return [(n, n.subnet, n.ip, n.external_ip) for n in self.interfaces]
        return [(None, self.subnet, self.ip, self.external_ip)]


class CloudNat(ModelObject):
    name: str
    subnets: Literal["all"] | list[str] = "all"  # the router's region only
    nat_ips: list[str] = Field(default_factory=list)


class CloudRouter(ModelObject):
    name: str
    network: str
    region: str
    asn: int = 64514  # GCP's suggested private ASN
    advertise_mode: Literal["default", "custom"] = "default"
    advertised_prefixes: list[str] = Field(default_factory=list)  # custom mode
    nats: list[CloudNat] = Field(default_factory=list)


class VpnTunnel(ModelObject):
    name: str
    interface: Literal[0, 1] = 0
    router: str  # the Cloud Router holding the BGP session
    peer: str  # an on-premises site or its router
    advertised_priority: int = 100  # base priority, sent as MED


class VpnGateway(ModelObject):
    """An HA VPN gateway: two interfaces, tunnels with BGP through a Cloud Router."""

    name: str
    network: str
    region: str
    interfaces: list[str] = Field(default_factory=list)  # its two external IPs (display)
    tunnels: list[VpnTunnel] = Field(default_factory=list)


class InterconnectAttachment(ModelObject):
    """A VLAN attachment of a Dedicated or Partner Interconnect, BGP through a Cloud Router."""

    name: str
    router: str
    peer: str  # an on-premises site or its router
    bandwidth_mbps: int = 10000
    advertised_priority: int = 100


class Project(ModelObject):
    networks: dict[str, Network] = Field(default_factory=dict)
    instances: list[Instance] = Field(default_factory=list)
    routers: list[CloudRouter] = Field(default_factory=list)
    vpn_gateways: list[VpnGateway] = Field(default_factory=list)
    interconnect_attachments: list[InterconnectAttachment] = Field(default_factory=list)


class Gcp(ModelObject):
    projects: dict[str, Project] = Field(default_factory=dict)
