"""Azure rules a topology must obey before it is compiled, reported all at once (the same
style and helpers as the AWS checks: every message names file, line and field)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Iterator

from ...diagnostics import Diagnostic, did_you_mean
from ...model.base import ModelObject
from ..aws.validate import Checks, where
from ..internet import PRIVATE
from . import filters
from .index import GATEWAY_SUBNET, AzureIndex
from .model import (Azure, ExpressRouteCircuit, NetworkSecurityGroup, RouteTable, Subnet, Udr,
                    Vnet)

# Azure refuses these inside a VNet's address space.
FORBIDDEN = {IPv4Network("224.0.0.0/4"): "multicast", IPv4Network("127.0.0.0/8"): "loopback",
             IPv4Network("169.254.0.0/16"): "link-local",
             IPv4Network("168.63.129.16/32"): "Azure's platform address",
             IPv4Network("255.255.255.255/32"): "broadcast"}
SUBNET_RESERVED = {0: "the network address", 1: "the default gateway (network+1)",
                   2: "reserved for Azure DNS (network+2)", 3: "reserved for Azure DNS "
                                                               "(network+3)"}
RESERVED_ASNS = {8074, 8075, 12076, *range(65516, 65521)}
MAX_NAT_IPS = 16


def azure_nodes(azure: Azure) -> Iterator[tuple[str, str, ModelObject, tuple]]:
    """(name, kind, object, field) of every Azure object that becomes a node, or names a link
    interface on a site router (VPN connections) or a BGP session."""
    for name, vnet in azure.vnets.items():
        yield name, "VNet", vnet, ()
        yield from ((vm.name, "VM", vm, ("name",)) for vm in vnet.vms)
        yield from ((p.name, "peering", p, ("name",)) for p in vnet.peerings)
        yield from ((g.name, "VNet gateway", g, ("name",)) for g in vnet.gateways())
    yield from ((n.name, "NAT gateway", n, ("name",)) for n in azure.nat_gateways)
    yield from ((c.name, "ExpressRoute circuit", c, ("name",))
                for c in azure.expressroute_circuits)
    yield from ((c.name, "VPN connection", c, ("name",)) for c in azure.vpn_connections)
    yield from ((c.name, "ExpressRoute connection", c, ("name",))
                for c in azure.expressroute_connections)


def validate_azure(azure: Azure, site_routers: set[str]) -> list[Diagnostic]:
    """Every problem in the Azure part; `site_routers` are the names a local network gateway
    or circuit may use for a site's router."""
    v = _AzureChecks(azure, set(site_routers))
    v.run()
    return v.out


class _AzureChecks(Checks):
    def __init__(self, azure: Azure, site_routers: set[str]):
        super().__init__()
        self.azure, self.routers = azure, site_routers
        self.ix = AzureIndex(azure)
        self.vnet_nets: dict[str, list[IPv4Network]] = {}
        self.public: dict[IPv4Address, tuple[str, ModelObject, str]] = {}

    def run(self) -> None:
        az = self.azure
        for nsg in self.unique(az.network_security_groups, "NSG").values():
            self.nsg(nsg)
        for rt in self.unique(az.route_tables, "route table").values():
            self.route_table(rt)
        for name, vnet in az.vnets.items():
            self.vnet(name, vnet)
        self.nat_gateways()
        for name, vnet in az.vnets.items():
            self.peerings(name, vnet)
        for name, vnet in az.vnets.items():
            self.gateways(name, vnet)
        self.udr_targets()
        self.connections()

    # ---- NSGs ----------------------------------------------------------------------------

    def nsg(self, nsg: NetworkSecurityGroup) -> None:
        self.unique(nsg.rules, "rule")
        taken: dict[tuple[str, int], ModelObject] = {}
        for r in nsg.rules:
            if not 100 <= r.priority <= 4096:
                msg = f"priority {r.priority} is outside 100-4096"
                if self.azure._imported:  # what the export says, however Azure got it
                    self.warn(r, f"{msg} (Azure's API refuses it); kept in its order",
                              "priority")
                else:
                    self.error(r, msg, "priority")
            key = (r.direction, r.priority)
            if key in taken:
                self.error(r, f"priority {r.priority} is already used by {r.direction} rule "
                              f"{taken[key].name} (at {where(taken[key], 'priority')})",
                           "priority")
            taken.setdefault(key, r)
            if filters.protocols(r.protocol) is None:
                self.error(r, f"protocol '{r.protocol}' is not tcp, udp, icmp, esp, ah or * "
                              "(any)", "protocol")
            for field in ("source", "destination"):
                self.address_prefixes(r, field)
            for field in ("source_ports", "destination_ports"):
                if filters.port_ranges(getattr(r, field)) is None:
                    self.error(r, f"'{getattr(r, field)}' is not *, a port 0-65535 or a range "
                                  "'lo-hi' with lo <= hi (or a list of them)", field)

    def address_prefixes(self, rule, field: str) -> None:
        value = getattr(rule, field)
        items = value if isinstance(value, list) else [value]
        if not items:
            self.error(rule, "the list is empty", field)
        for j, item in enumerate(items):
            sub = (field, j) if isinstance(value, list) else (field,)
            text = str(item).strip()
            if text.lower() in filters.ANY_WORDS or filters.tag_name(text):
                continue
            if "/" in text:
                self.cidr(rule, text, *sub)
            elif text[:1].isdigit():
                self.ip(rule, text, *sub)
            else:
                hint = did_you_mean(text, filters.TAGS)
                self.error(rule, f"'{text}' is not a CIDR, an address, * or a supported "
                                 f"service tag ({', '.join(filters.TAGS)}){hint}", *sub)

    # ---- route tables --------------------------------------------------------------------

    def route_table(self, rt: RouteTable) -> None:
        self.unique(rt.routes, "route")
        seen: dict[IPv4Network, Udr] = {}
        for r in rt.routes:
            dest = self.cidr(r, r.prefix, "prefix")
            if dest is not None and dest in seen:
                self.error(r, f"duplicate route for {dest} (first at "
                              f"{where(seen[dest], 'prefix')})", "prefix")
            elif dest is not None:
                seen[dest] = r
            if r.next_hop == "VirtualAppliance":
                if r.next_hop_ip is None:
                    self.error(r, "a VirtualAppliance route needs next_hop_ip", "next_hop")
                else:
                    self.ip(r, r.next_hop_ip, "next_hop_ip")
            elif r.next_hop_ip is not None:
                self.error(r, f"next_hop_ip applies only to VirtualAppliance, not "
                              f"{r.next_hop}", "next_hop_ip")

    def udr_targets(self) -> None:
        """Where a route table is used, its appliances and gateways must exist."""
        for vname, vnet in self.azure.vnets.items():
            for s in vnet.subnets:
                rt = self.ix.route_tables.get(s.route_table or "")
                for r in rt.routes if rt else []:
                    self.udr_target(vname, r)

    def udr_target(self, vname: str, r: Udr) -> None:
        if r.next_hop == "VirtualNetworkGateway":
            gvnet = self.ix.gateway_vnet(vname)
            if gvnet is None or self.azure.vnets[gvnet].vpn_gateway is None:
                self.warn(r, f"VNet {vname} has no VPN gateway (own or by gateway transit): "
                             "this route drops its traffic", "next_hop")
        elif r.next_hop == "VirtualAppliance" and r.next_hop_ip is not None:
            try:
                ip = IPv4Address(r.next_hop_ip)
            except ValueError:
                return  # reported with the route table
            places = [vname] + [p.remote for p, _ in self.ix.peers[vname]]
            if not any(self.ix.subnet_of(v, ip) for v in places):
                self.error(r, f"appliance {ip} is in no subnet of VNet {vname} or a VNet "
                              "peered with it (other next hops are not modelled)",
                           "next_hop_ip")
            elif ip not in self.ix.nic_at:
                self.warn(r, f"no NIC has address {ip}: this route drops its traffic",
                          "next_hop_ip")
            elif not self.ix.nic_at[ip][2]:
                vm, nic, _ = self.ix.nic_at[ip]
                self.warn(r, f"NIC {nic} of {vm} ({ip}) has IP forwarding off: Azure drops "
                             "what this route sends it", "next_hop_ip")

    # ---- VNets, subnets, VMs -------------------------------------------------------------

    def vnet(self, name: str, vnet: Vnet) -> None:
        nets: list[IPv4Network] = []
        if not vnet.address_space:
            self.error(vnet, "a VNet needs at least one address_space prefix")
        for j, text in enumerate(vnet.address_space):
            net = self.cidr(vnet, text, "address_space", j)
            if net is None:
                continue
            for bad, what in FORBIDDEN.items():
                if net.overlaps(bad):
                    self.error(vnet, f"{net} overlaps {bad} ({what}), which Azure does not "
                                     "allow in a VNet", "address_space", j)
            other = next((n for n in nets if n.overlaps(net)), None)
            if other is not None:
                self.error(vnet, f"{net} overlaps the VNet's prefix {other}", "address_space", j)
            nets.append(net)
        self.vnet_nets[name] = nets
        placed: dict[str, tuple[Subnet, IPv4Network | None]] = {}
        for s in vnet.subnets:
            self.subnet(name, s, nets, placed)
        used: dict[IPv4Address, tuple[str, ModelObject, str]] = {}
        for vm in vnet.vms:
            nic_names: dict[str, ModelObject] = {}
            for obj, ifname, nic in vm.all_nics():
                if ifname in nic_names:
                    self.error(obj, f"NIC name '{ifname}' is already used by this VM (at "
                                    f"{where(nic_names[ifname])})", "name")
                nic_names.setdefault(ifname, obj)
                self.nic(name, vm.name, obj, nic, placed, used)

    def subnet(self, vname: str, s: Subnet, nets: list[IPv4Network], placed: dict) -> None:
        if s.name in placed:
            self.taken(s, ("name",), s.name, "subnet", placed[s.name][0], ("name",))
        if s.name != GATEWAY_SUBNET and s.name.lower() == GATEWAY_SUBNET.lower():
            self.error(s, f"the gateway subnet must be named exactly '{GATEWAY_SUBNET}'", "name")
        net = self.cidr(s, s.prefix, "prefix")
        if net is not None:
            if not 2 <= net.prefixlen <= 29:
                big = "large" if net.prefixlen < 2 else "small"
                self.error(s, f"{net} is too {big} for a subnet (Azure allows /2 to /29)",
                           "prefix")
            if nets and not any(net.subnet_of(n) for n in nets):
                self.error(s, f"{net} is outside the VNet's address space "
                              f"({', '.join(map(str, nets))})", "prefix")
            other = next((o for o, n in placed.values() if n is not None and n.overlaps(net)),
                         None)
            if other is not None:
                self.error(s, f"{net} overlaps subnet {other.name} ({other.prefix})", "prefix")
        placed.setdefault(s.name, (s, net))
        for field, names, what in (("nsg", self.ix.nsgs, "NSG"),
                                   ("route_table", self.ix.route_tables, "route table"),
                                   ("nat_gateway", self.ix.nat_gateways, "NAT gateway")):
            if getattr(s, field) is not None:
                self.ref(s, getattr(s, field), names, what, field)
        if s.name == GATEWAY_SUBNET:
            if s.nsg is not None:
                self.warn(s, "an NSG on GatewaySubnet is not supported by Azure's gateways; "
                             "it is ignored there", "nsg")
            rt = self.ix.route_tables.get(s.route_table or "")
            if rt is not None and rt.disable_bgp_route_propagation:
                self.error(s, f"route table {rt.name} disables gateway route propagation, "
                              "which GatewaySubnet does not allow", "route_table")

    def nic(self, vname: str, vm: str, obj: ModelObject, nic, placed: dict,
            used: dict) -> None:
        found = placed.get(nic.subnet)
        if found is None:
            self.ref(obj, nic.subnet, placed, "subnet", "subnet", scope=f" in VNet {vname}")
        elif nic.subnet == GATEWAY_SUBNET:
            self.error(obj, "GatewaySubnet holds only the VNet's gateways, no VMs", "subnet")
        ip = self.ip(obj, nic.private_ip, "private_ip")
        net = found[1] if found else None
        if ip is not None and net is not None:
            if ip not in net:
                self.error(obj, f"{ip} is outside subnet {nic.subnet} ({net})", "private_ip")
            else:
                role = SUBNET_RESERVED.get(int(ip) - int(net.network_address))
                if ip == net.broadcast_address:
                    role = "the broadcast address"
                if role:
                    self.error(obj, f"{ip} is reserved by Azure in subnet {nic.subnet} "
                                    f"({net}): {role}", "private_ip")
        if ip is not None:
            if ip in used:
                owner, first, field = used[ip]
                self.error(obj, f"{ip} is already used by {owner} at {where(first, field)}",
                           "private_ip")
            used.setdefault(ip, (f"VM {vm}", obj, "private_ip"))
        if nic.nsg is not None:
            self.ref(obj, nic.nsg, self.ix.nsgs, "NSG", "nsg")
        if nic.public_ip is not None:
            self.public_ip(obj, "public_ip", nic.public_ip, f"VM {vm}")

    def public_ip(self, obj: ModelObject, field: str, text: str, owner: str, *sub) -> None:
        ip = self.ip(obj, text, field, *sub)
        if ip is None:
            return
        if any(ip in p for p in PRIVATE):
            self.error(obj, f"{ip} is not a public address", field, *sub)
        if ip in self.public:
            first_owner, first, first_sub = self.public[ip]
            self.error(obj, f"public IP {ip} is already used by {first_owner} at "
                            f"{where(first, *first_sub)}", field, *sub)
        else:
            self.public[ip] = (owner, obj, (field, *sub))

    def nat_gateways(self) -> None:
        for nat in self.unique(self.azure.nat_gateways, "NAT gateway").values():
            if not nat.public_ips:
                self.error(nat, "a NAT gateway needs at least one public IP", "public_ips")
            if len(nat.public_ips) > MAX_NAT_IPS:
                self.error(nat, f"{len(nat.public_ips)} public IPs: a NAT gateway takes at most "
                                f"{MAX_NAT_IPS}", "public_ips")
            for j, p in enumerate(nat.public_ips):
                self.public_ip(nat, "public_ips", p, f"NAT gateway {nat.name}", j)
            vnets = sorted({v for v, _ in self.ix.nat_subnets.get(nat.name, [])})
            if not vnets:
                self.warn(nat, f"NAT gateway {nat.name} serves no subnet", "name")
            elif len(vnets) > 1:
                self.error(nat, f"NAT gateway {nat.name} serves subnets of VNets "
                                f"{', '.join(vnets)}: one VNet only", "name")

    # ---- peerings and gateways -----------------------------------------------------------

    def peerings(self, name: str, vnet: Vnet) -> None:
        remotes: dict[str, ModelObject] = {}
        remote_gw = [p for p in vnet.peerings if p.use_remote_gateways]
        for p in vnet.peerings:
            if not self.ref(p, p.remote, self.azure.vnets, "VNet", "remote"):
                continue
            if p.remote == name:
                self.error(p, f"a VNet cannot peer with itself ({name})", "remote")
                continue
            if p.remote in remotes:
                self.error(p, f"VNet {name} already peers with {p.remote} (at "
                              f"{where(remotes[p.remote], 'remote')})", "remote")
                continue
            remotes[p.remote] = p
            for a in self.vnet_nets.get(name, []):
                for b in self.vnet_nets.get(p.remote, []):
                    if a.overlaps(b):
                        self.error(p, f"{name}'s prefix {a} overlaps {p.remote}'s prefix {b}: "
                                      "peered VNets may not overlap", "remote")
            other = self.azure.vnets[p.remote]
            back = next((q for q in other.peerings if q.remote == name), None)
            if back is None:
                self.warn(p, f"VNet {p.remote} has no peering back to {name}: the peering "
                             "stays Initiated and carries no traffic", "remote")
            if p.allow_gateway_transit and not vnet.gateways():
                self.warn(p, f"allow_gateway_transit has no effect: VNet {name} has no "
                             "gateway", "allow_gateway_transit")
            if p.use_remote_gateways:
                self.use_remote_gateways(name, vnet, p, other, back, remote_gw)

    def use_remote_gateways(self, name: str, vnet: Vnet, p, other: Vnet, back,
                            remote_gw: list) -> None:
        if vnet.gateways():
            self.error(p, f"VNet {name} has its own gateway, so it cannot use remote gateways",
                       "use_remote_gateways")
        if p is not remote_gw[0]:
            self.error(p, f"only one peering may use remote gateways; {remote_gw[0].name} "
                          f"already does (at {where(remote_gw[0], 'use_remote_gateways')})",
                       "use_remote_gateways")
        if not other.gateways():
            self.error(p, f"VNet {p.remote} has no gateway to use", "use_remote_gateways")
        elif back is not None and not back.allow_gateway_transit:
            self.error(p, f"the peering back from {p.remote} ({back.name}, at "
                          f"{where(back, 'name')}) does not set allow_gateway_transit",
                       "use_remote_gateways")

    def gateways(self, name: str, vnet: Vnet) -> None:
        gws = vnet.gateways()
        for gw in gws:
            if gw.asn in RESERVED_ASNS or not 1 <= gw.asn <= 4294967295:
                self.error(gw, f"AS {gw.asn} is reserved by Azure or invalid", "asn")
        if not gws:
            return
        subnets = {s.name: s for s in vnet.subnets}
        gws_subnet = subnets.get(GATEWAY_SUBNET)
        if gws_subnet is None:
            hint = did_you_mean(GATEWAY_SUBNET, subnets)
            self.error(gws[0], f"a VNet gateway needs a subnet named '{GATEWAY_SUBNET}' in VNet "
                               f"{name}{hint}", "name")
            return
        net = self.ix.subnet_net.get((name, GATEWAY_SUBNET))
        if len(gws) == 2 and net is not None and net.prefixlen > 27:
            self.error(gws_subnet, f"{net} is too small for a VPN and an ExpressRoute gateway "
                                   "together (GatewaySubnet needs /27 or larger)", "prefix")

    def connections(self) -> None:
        az = self.azure
        for lng in self.unique(az.local_network_gateways, "local network gateway").values():
            self.ref(lng, lng.site_router, self.routers, "site router", "site_router")
            for j, p in enumerate(lng.address_prefixes):
                self.cidr(lng, p, "address_prefixes", j)
        for conn in az.vpn_connections:
            self.ref(conn, conn.gateway, self.ix.vpn_gws, "VPN gateway", "gateway")
            self.ref(conn, conn.local_network_gateway, self.ix.lngs, "local network gateway",
                     "local_network_gateway")
            self.weight(conn)
        for c in self.unique(az.expressroute_circuits, "ExpressRoute circuit").values():
            self.circuit(c)
        for conn in az.expressroute_connections:
            self.ref(conn, conn.gateway, self.ix.er_gws, "ExpressRoute gateway", "gateway")
            self.ref(conn, conn.circuit, self.ix.circuits, "ExpressRoute circuit", "circuit")
            self.weight(conn)

    def weight(self, conn) -> None:
        if not 0 <= conn.routing_weight <= 32000:
            self.error(conn, f"routing weight {conn.routing_weight} is outside 0-32000",
                       "routing_weight")

    def circuit(self, c: ExpressRouteCircuit) -> None:
        self.ref(c, c.site_router, self.routers, "site router", "site_router")
        if c.bandwidth_mbps <= 0:
            self.error(c, "bandwidth_mbps must be positive", "bandwidth_mbps")
        nets = {}
        for field in ("primary_subnet", "secondary_subnet"):
            text = getattr(c, field)
            if text is None:
                continue
            net = self.cidr(c, text, field)
            if net is not None and net.prefixlen != 30:
                self.error(c, f"{net} is not a /30 (one per BGP session)", field)
            elif net is not None:
                nets[field] = net
        if len(nets) == 2 and nets["primary_subnet"].overlaps(nets["secondary_subnet"]):
            self.error(c, "the primary and secondary /30s overlap", "secondary_subnet")
        if (c.primary_subnet is None) != (c.secondary_subnet is None):
            self.error(c, "give both primary_subnet and secondary_subnet, or neither",
                       "primary_subnet" if c.primary_subnet is None else "secondary_subnet")
