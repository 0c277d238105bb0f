"""AWS resources as the topology file (and the describe-snapshot importer) states them.

Names are references: every object is named once and referred to by that name.  For an
imported snapshot the names are the AWS ids (vpc-…, subnet-…, i-…).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...model.base import ModelObject

Protocol = str | int  # tcp, udp, icmp, all (or -1, any), or an IP protocol number
Ports = int | str | None  # 443, "1024-65535", or None for all ports


class SgRule(ModelObject):
    protocol: Protocol = "all"
    ports: Ports = None
    cidr: str | None = None
    cidrs: list[str] | None = None
    prefix_list: str | None = None
    security_group: str | None = None
    description: str = ""


class SecurityGroup(ModelObject):
    name: str
    id: str | None = None
    description: str = ""
    ingress: list[SgRule] = Field(default_factory=list)
    # None: the AWS default for a new group, one rule allowing all outbound traffic.
    egress: list[SgRule] | None = None


class AclRule(ModelObject):
    rule: int
    action: Literal["allow", "deny"]
    protocol: Protocol = "all"
    ports: Ports = None
    cidr: str = "0.0.0.0/0"


class NetworkAcl(ModelObject):
    name: str
    ingress: list[AclRule] = Field(default_factory=list)
    egress: list[AclRule] = Field(default_factory=list)


class Route(ModelObject):
    destination: str | None = None
    prefix_list: str | None = None
    target: str | None = None  # igw, nat, vgw, tgw, peering name (or "local")
    blackhole: bool = False
    origin: Literal["static", "propagated"] = "static"  # as describe-route-tables reports it


class RouteTable(ModelObject):
    name: str
    main: bool = False
    routes: list[Route] = Field(default_factory=list)
    propagate: list[str] = Field(default_factory=list)  # virtual private gateways


class Subnet(ModelObject):
    name: str
    cidr: str
    az: str = ""
    route_table: str | None = None
    network_acl: str | None = None


class NatGateway(ModelObject):
    name: str
    subnet: str
    private_ip: str | None = None  # default: the first usable address of the subnet
    elastic_ip: str | None = None
    connectivity: Literal["public", "private"] = "public"


class Interface(ModelObject):
    subnet: str
    private_ip: str
    public_ip: str | None = None
    security_groups: list[str] = Field(default_factory=list)
    name: str | None = None  # eni id when imported


class Instance(ModelObject):
    name: str
    subnet: str | None = None
    private_ip: str | None = None
    public_ip: str | None = None
    security_groups: list[str] = Field(default_factory=list)
    interfaces: list[Interface] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_form(self):
        single = self.subnet is not None or self.private_ip is not None
        if single and self.interfaces:
            raise ValueError("give either subnet/private_ip or interfaces, not both")
        if not single and not self.interfaces:
            raise ValueError("an instance needs subnet and private_ip (or interfaces)")
        if single and (self.subnet is None or self.private_ip is None):
            raise ValueError("an instance needs both subnet and private_ip")
        return self

    def enis(self) -> list[tuple[Interface | None, str, str, str | None, list[str]]]:
        """(interface object or None for the shorthand form, subnet, ip, public ip, groups)."""
        if self.interfaces:
            return [(i, i.subnet, i.private_ip, i.public_ip, i.security_groups)
                    for i in self.interfaces]
        return [(None, self.subnet, self.private_ip, self.public_ip, self.security_groups)]


class VpnGateway(ModelObject):
    name: str
    asn: int = 64512


class Vpc(ModelObject):
    cidrs: list[str] = Field(default_factory=list)
    cidr: str | None = None  # shorthand for a single CIDR
    id: str | None = None
    account: str | None = None
    region: str | None = None
    subnets: list[Subnet] = Field(default_factory=list)
    route_tables: list[RouteTable] = Field(default_factory=list)
    internet_gateway: str | None = None
    nat_gateways: list[NatGateway] = Field(default_factory=list)
    vpn_gateway: VpnGateway | None = None
    security_groups: list[SecurityGroup] = Field(default_factory=list)
    network_acls: list[NetworkAcl] = Field(default_factory=list)
    instances: list[Instance] = Field(default_factory=list)

    def all_cidrs(self) -> list[str]:
        return ([self.cidr] if self.cidr else []) + list(self.cidrs)


class Peering(ModelObject):
    name: str
    requester: str
    accepter: str


class TgwRoute(ModelObject):
    destination: str
    attachment: str | None = None
    blackhole: bool = False


class TgwRouteTable(ModelObject):
    name: str
    routes: list[TgwRoute] = Field(default_factory=list)


class TgwAttachment(ModelObject):
    name: str
    vpc: str | None = None
    vpn: str | None = None
    direct_connect_gateway: str | None = None
    subnets: list[str] = Field(default_factory=list)
    # None: the transit gateway's default association / propagation route table.
    associate: str | None = None
    propagate: list[str] | None = None


class TransitGateway(ModelObject):
    name: str
    asn: int = 64512
    route_tables: list[TgwRouteTable] = Field(default_factory=list)
    attachments: list[TgwAttachment] = Field(default_factory=list)
    default_route_table: str | None = "default"  # None: no default association/propagation


class CustomerGateway(ModelObject):
    """AWS's record of a VPN's far end, for a site the topology does not model."""

    name: str
    ip: str | None = None
    asn: int | None = None


class VpnConnection(ModelObject):
    name: str
    gateway: str  # a virtual private gateway or a transit gateway
    # An on-premises site's router, or a customer gateway beyond the model (traffic exits there).
    customer_gateway: str
    routing: Literal["static", "bgp"] = "static"
    outside_ips: list[str] = Field(default_factory=list)  # AWS's public tunnel endpoints
    # On-premises prefixes: configured (static) or, for BGP, what the site announces.
    static_routes: list[str] = Field(default_factory=list)


class DirectConnectGateway(ModelObject):
    """A DX gateway with transit VIFs to a site router; AWS advertises `allowed_prefixes`."""

    name: str
    asn: int = 64512  # Amazon's side
    # One VIF of unstated bandwidth to this router, named after the gateway (shorthand for a
    # connection's VIFs).  Neither: the far end is not modelled (traffic exits there).
    site_router: str | None = None
    allowed_prefixes: list[str] = Field(default_factory=list)
    onprem_prefixes: list[str] = Field(default_factory=list)  # what the site announces


class VirtualInterface(ModelObject):
    """A transit VIF carved from a connection: one BGP session with a DX gateway."""

    name: str
    gateway: str  # a Direct Connect gateway
    bandwidth_mbps: int | None = Field(default=None, gt=0)  # None: the connection's


class DirectConnectConnection(ModelObject):
    """A dedicated circuit from a Direct Connect location to a site router."""

    name: str
    site_router: str
    bandwidth_mbps: int = Field(default=1000, gt=0)
    vifs: list[VirtualInterface] = Field(default_factory=list)


class Aws(ModelObject):
    account: str = "000000000000"
    region: str = "us-east-1"
    prefix_lists: dict[str, list[str]] = Field(default_factory=dict)
    vpcs: dict[str, Vpc] = Field(default_factory=dict)
    peerings: list[Peering] = Field(default_factory=list)
    transit_gateways: list[TransitGateway] = Field(default_factory=list)
    vpn_connections: list[VpnConnection] = Field(default_factory=list)
    customer_gateways: list[CustomerGateway] = Field(default_factory=list)
    direct_connect_gateways: list[DirectConnectGateway] = Field(default_factory=list)
    direct_connect_connections: list[DirectConnectConnection] = Field(default_factory=list)
    # Public address space AWS owns beyond what resources use (unassociated Elastic IPs,
    # regional EC2 ranges): the internet routes it to AWS, whose edge drops it.
    public_ranges: list[str] = Field(default_factory=list)
