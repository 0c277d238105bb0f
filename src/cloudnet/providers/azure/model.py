"""Azure resources as the topology file (and the ARM importer) states them.

Names are references: every object is named once and referred to by that name.  Subnets and
NICs are named within their VNet / VM (Azure's own scoping: every VNet may have a
`GatewaySubnet`); everything that becomes a node (VNets, VMs, NAT gateways, peerings, gateways,
circuits) has a name unique in the topology.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from ...model.base import ModelObject

Ports = int | str | list[int | str]  # 443, "1024-65535", "*" or a list of those
Prefixes = str | list[str]  # a CIDR, an IP, a service tag or "*", or a list of those
NextHop = Literal["VirtualAppliance", "VirtualNetworkGateway", "VnetLocal", "Internet", "None"]


class NsgRule(ModelObject):
    name: str
    priority: int  # 100-4096, lower first; unique per direction within the NSG
    direction: Literal["inbound", "outbound"]
    access: Literal["allow", "deny"]
    protocol: str = "*"  # tcp, udp, icmp, esp, ah or * (any)
    source: Prefixes = "*"
    source_ports: Ports = "*"
    destination: Prefixes = "*"
    destination_ports: Ports = "*"
    description: str = ""


class NetworkSecurityGroup(ModelObject):
    """Custom rules; Azure's default rules (65000, 65001, 65500) are always added after them."""

    name: str
    rules: list[NsgRule] = Field(default_factory=list)


class Udr(ModelObject):
    name: str
    prefix: str
    next_hop: NextHop
    next_hop_ip: str | None = None  # VirtualAppliance only


class RouteTable(ModelObject):
    name: str
    disable_bgp_route_propagation: bool = False  # no gateway (BGP or static) routes
    routes: list[Udr] = Field(default_factory=list)


class NatGateway(ModelObject):
    name: str
    public_ips: list[str] = Field(default_factory=list)  # the first one is used for SNAT


class Subnet(ModelObject):
    name: str
    prefix: str
    nsg: str | None = None
    route_table: str | None = None
    nat_gateway: str | None = None


class Nic(ModelObject):
    subnet: str
    private_ip: str
    name: str | None = None  # default: nic0, nic1, ...
    public_ip: str | None = None
    nsg: str | None = None
    ip_forwarding: bool = False  # needed to act as a VirtualAppliance next hop


class Vm(ModelObject):
    name: str
    # Shorthand for one NIC:
    subnet: str | None = None
    private_ip: str | None = None
    public_ip: str | None = None
    nsg: str | None = None
    ip_forwarding: bool = False
    nics: list[Nic] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_form(self):
        single = self.subnet is not None or self.private_ip is not None
        if single and self.nics:
            raise ValueError("give either subnet/private_ip or nics, not both")
        if not single and not self.nics:
            raise ValueError("a VM needs subnet and private_ip (or nics)")
        if single and (self.subnet is None or self.private_ip is None):
            raise ValueError("a VM needs both subnet and private_ip")
        return self

    def all_nics(self) -> list[tuple[ModelObject, str, Nic]]:
        """(object holding the fields, interface name, NIC); the first NIC is the primary."""
        if self.nics:
            return [(n, n.name or f"nic{i}", n) for i, n in enumerate(self.nics)]
        return [(self, "nic0", Nic(subnet=self.subnet, private_ip=self.private_ip,
                                   public_ip=self.public_ip, nsg=self.nsg,
                                   ip_forwarding=self.ip_forwarding))]


class Peering(ModelObject):
    """One side of a VNet peering; it carries traffic only once the remote side peers back."""

    name: str
    remote: str  # the remote VNet
    allow_virtual_network_access: bool = True  # this VNet may reach the remote one
    allow_forwarded_traffic: bool = False  # accept traffic the remote VNet did not originate
    allow_gateway_transit: bool = False  # offer this VNet's gateways to the remote VNet
    use_remote_gateways: bool = False  # use the remote VNet's gateways


class VpnGateway(ModelObject):
    """Route-based, active-standby (one tunnel per connection); in the VNet's GatewaySubnet."""

    name: str
    asn: int = 65515


class ExpressRouteGateway(ModelObject):
    name: str
    asn: int = 65515


class Vnet(ModelObject):
    address_space: list[str] = Field(default_factory=list)
    subscription: str | None = None
    region: str | None = None
    subnets: list[Subnet] = Field(default_factory=list)
    peerings: list[Peering] = Field(default_factory=list)
    vms: list[Vm] = Field(default_factory=list)
    vpn_gateway: VpnGateway | None = None
    expressroute_gateway: ExpressRouteGateway | None = None

    def gateways(self) -> list[VpnGateway | ExpressRouteGateway]:
        return [g for g in (self.vpn_gateway, self.expressroute_gateway) if g is not None]


class LocalNetworkGateway(ModelObject):
    """Azure's record of an on-premises VPN device: a modelled site router, and the prefixes
    it routes statically to the site when a connection does not run BGP."""

    name: str
    site_router: str  # a site's router, by its or the site's name
    address_prefixes: list[str] = Field(default_factory=list)


class VpnConnection(ModelObject):
    name: str
    gateway: str  # a VPN gateway
    local_network_gateway: str
    bgp: bool = False
    routing_weight: int = 0  # higher wins, compared before the AS path


class ExpressRouteCircuit(ModelObject):
    """A circuit's private peering: two BGP sessions (primary, secondary) with Microsoft's
    edge (AS 12076) over two links to a site router."""

    name: str
    site_router: str
    bandwidth_mbps: int = 1000
    sku: Literal["standard", "premium"] = "standard"  # prefix limit 4,000 / 10,000
    primary_subnet: str | None = None  # /30: customer the first host, Microsoft the second
    secondary_subnet: str | None = None


class ExpressRouteConnection(ModelObject):
    name: str
    gateway: str  # an ExpressRoute gateway
    circuit: str
    routing_weight: int = 0


class Azure(ModelObject):
    subscription: str = "00000000-0000-0000-0000-000000000000"
    region: str = "westeurope"
    network_security_groups: list[NetworkSecurityGroup] = Field(default_factory=list)
    route_tables: list[RouteTable] = Field(default_factory=list)
    nat_gateways: list[NatGateway] = Field(default_factory=list)
    vnets: dict[str, Vnet] = Field(default_factory=dict)
    local_network_gateways: list[LocalNetworkGateway] = Field(default_factory=list)
    vpn_connections: list[VpnConnection] = Field(default_factory=list)
    expressroute_circuits: list[ExpressRouteCircuit] = Field(default_factory=list)
    expressroute_connections: list[ExpressRouteConnection] = Field(default_factory=list)
    # Set by the ARM importer: what Azure's API would refuse (e.g. a priority below 100) is
    # reported as a warning there, since it is what the export says.
    _imported: bool = PrivateAttr(default=False)
