"""Terraform's Azure resources (hashicorp/azurerm) as the Azure topology model.

Names are Azure's (`name`), used as they are when one top-level object has the name (subnets
within their VNet); otherwise the resource address.  Every object is placed at its resource.

Semantics taken from the provider, not from Azure alone:
- NSG rules written inline next to azurerm_network_security_rule resources of the same group
  (and inline subnets next to azurerm_subnet resources of the same VNet) make every apply
  remove the others, a perpetual diff: a finding (the model holds their union);
- a NIC's dynamic private address is Azure's first free one from .4 (a placeholder); a public
  IP's address is known after apply (a placeholder from 198.18.0.0/15);
- a local network gateway is the far end of a VPN: the on-premises site it stands for is
  added to the topology (its LAN the first prefix of address_space), so the connection ends at
  a router as in the topology file.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ...providers.azure.arm import NEXT_HOPS
from ...providers.azure.filters import ANY_WORDS, tag_name
from ...providers.azure.model import (Azure, ExpressRouteGateway, LocalNetworkGateway,
                                      NatGateway, NetworkSecurityGroup, Nic, NsgRule, Peering,
                                      RouteTable, Subnet, Udr, Vm, Vnet, VpnConnection,
                                      VpnGateway)
from .base import Mapping
from .resolve import Resource, Unknown

VNET, SUBNET, NSG = "azurerm_virtual_network", "azurerm_subnet", "azurerm_network_security_group"
TABLE, NIC, PIP = "azurerm_route_table", "azurerm_network_interface", "azurerm_public_ip"
NAT, VNG = "azurerm_nat_gateway", "azurerm_virtual_network_gateway"
LNG = "azurerm_local_network_gateway"
VMS = ("azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine",
       "azurerm_virtual_machine")
# The parent of a child resource, by name (an NSG rule's group, a subnet's VNet, ...).
PARENT_KEYS = ("virtual_network_name", "network_security_group_name", "route_table_name")
NOT_MODELLED = {
    "azurerm_application_security_group": "application security groups are not modelled",
    "azurerm_network_interface_application_security_group_association":
        "application security groups are not modelled",
    "azurerm_lb": "load balancers are not modelled",
    "azurerm_firewall": "Azure Firewall is not modelled",
    "azurerm_express_route_circuit": "ExpressRoute circuits are not imported from Terraform "
                                     "(the provider's side of the site is not described)",
    "azurerm_virtual_wan": "Virtual WAN is not modelled",
    "azurerm_virtual_hub": "Virtual WAN is not modelled",
    "azurerm_route_server": "Route Server is not modelled",
    "azurerm_public_ip_prefix": "public IP prefixes are not modelled",
    "azurerm_nat_gateway_public_ip_prefix_association": "public IP prefixes are not modelled",
    "azurerm_private_endpoint": "private endpoints are not modelled",
    "azurerm_network_watcher": "Network Watcher has no effect on forwarding",
    PIP: "used by nothing the import models (a load balancer?)",
    NIC: "attached to no VM of the import",
}


def _region(v: Any) -> str | None:
    """Azure's location in its short form: "West Europe" -> westeurope."""
    return v.replace(" ", "").lower() if isinstance(v, str) and v else None


def _ports(v: Any) -> Any:
    """Port strings as the topology file writes them: "22" -> 22; ranges and * as they are."""
    if isinstance(v, list):
        return [_ports(x) for x in v]
    return int(v) if isinstance(v, str) and v.isdigit() else v


class AzureImport(Mapping):
    PREFIX = "azurerm_"
    NAMED = (VNET, NSG, TABLE, NAT, VNG, LNG, *VMS, "azurerm_virtual_network_peering",
             "azurerm_virtual_network_gateway_connection")

    def __init__(self, resources: list[Resource], report):
        super().__init__(resources, report)
        self.vnets: dict[str, Vnet] = {}  # by VNet address
        # subnet address (or "<vnet address>#<name>" for inline subnets) -> (VNet, subnet)
        self.subnets: dict[str, tuple[str, Subnet]] = {}
        self.nsgs: dict[str, NetworkSecurityGroup] = {}
        self.tables: dict[str, RouteTable] = {}
        self.nats: dict[str, NatGateway] = {}
        self.gateways: dict[str, VpnGateway | ExpressRouteGateway] = {}
        self.lngs: dict[str, LocalNetworkGateway] = {}
        self.public: dict[str, str] = {}  # public IP address -> its (placeholder) address
        self.nic_nsg: dict[str, str] = {}  # NIC address -> NSG name
        self.inline_nsgs: list[tuple] = []  # inline subnets' NSG ids, linked once NSGs are read
        self.connections: list[VpnConnection] = []

    def narrow(self, res: Resource, value: str, found: list[str]) -> list[str]:
        parts = value.strip("/").split("/")
        low = [p.lower() for p in parts]
        rg = parts[low.index("resourcegroups") + 1] if "resourcegroups" in low[:-1] \
            else res.values.get("resource_group_name")
        if "providers" in low:  # an ARM id: .../virtualNetworks/hub/subnets/app
            names = parts[low.index("providers") + 2:]
            parents = set(names[1:-2:2])
            found = [a for a in found if not parents or any(
                self.by_addr[a].values.get(k) in parents for k in PARENT_KEYS)] or found
        if isinstance(rg, str):
            found = [a for a in found if self.by_addr[a].values.get("resource_group_name")
                     in (rg, None) or isinstance(self.by_addr[a].values.get(
                         "resource_group_name"), Unknown)] or found
        return found

    # ---- the run -------------------------------------------------------------------------

    def run(self) -> Azure | None:
        if not self.by_addr:
            return None
        # Resource groups only hold the others (and scope their names): nothing to model.
        list(self.each("azurerm_resource_group"))
        for step in (self.vnet, self.subnet, self.nsg, self.route_table, self.associations,
                     self.nat_gateway, self.gateway, self.local_gateway, self.peering,
                     self.connection):
            step()
        self.vms()
        self.report_unused(NOT_MODELLED)
        azure = Azure(network_security_groups=list(self.nsgs.values()),
                      route_tables=list(self.tables.values()), nat_gateways=list(
                          self.nats.values()),
                      vnets={self.name(a): v for a, v in self.vnets.items()},
                      local_network_gateways=list(self.lngs.values()),
                      vpn_connections=self.connections)
        regions = {v.region for v in self.vnets.values()} - {None}
        if len(regions) == 1:
            azure.region = regions.pop()
            for v in self.vnets.values():
                v.region = None
        return azure

    # ---- VNets and subnets ---------------------------------------------------------------

    def prefixes(self, res: Resource, e: dict, key: str, *sub: str | int) -> list[str]:
        """The IPv4 prefixes of e[key] (a list, or one prefix)."""
        raw = e.get(key)
        if isinstance(raw, list):
            return [c for i, p in enumerate(raw) if (c := self.cidr(res, p, "prefix", *sub,
                                                                    key, i))]
        return [c] if raw is not None and (c := self.cidr(res, raw, "prefix", *sub, key)) \
            else []

    def vnet(self) -> None:
        for r in self.each(VNET):
            space = self.prefixes(r, r.values, "address_space")
            v = self.make(Vnet, r, address_space=space, region=_region(r.values.get("location")))
            if v is None:
                continue
            self.vnets[r.address] = v
            for i, e in self.blocks(r, "subnet"):
                self.add_subnet(r, r.address, e, ("subnet", i), f"{r.address}#{e.get('name')}")

    def add_subnet(self, r: Resource, vnet: str, e: dict, sub: tuple, key: str) -> None:
        name = e.get("name")
        # address_prefix before azurerm 3.0
        cidrs = self.prefixes(r, e, "address_prefixes" if "address_prefixes" in e
                              else "address_prefix", *sub)
        if not cidrs:
            return
        if len(cidrs) > 1:
            self.report.skip(r, f"its further prefixes {', '.join(cidrs[1:])} are not modelled "
                                "(one prefix per subnet)", *sub)
        s = self.make(Subnet, r, *sub, name=name if isinstance(name, str) and name
                      else r.address, prefix=cidrs[0])
        if s:
            self.vnets[vnet].subnets.append(s)
            self.subnets[key] = (vnet, s)
            if (nsg := e.get("security_group")) is not None:
                self.inline_nsgs.append((r, sub, s, nsg))

    def subnet(self) -> None:
        separate = defaultdict(list)
        for r in self.each(SUBNET):
            v = self.ref(r, r.values.get("virtual_network_name"), (VNET,), "VNet",
                         "virtual_network_name")
            if v in self.vnets:
                separate[v].append(r.address)
                vnet = self.vnets[v]
                vnet.subnets = [s for s in vnet.subnets if s.name != r.values.get("name")]
                self.subnets.pop(f"{v}#{r.values.get('name')}", None)  # a state's echo
                self.add_subnet(r, v, r.values, (), r.address)
        for v, subnets in separate.items():
            self.both_forms(v, "subnet", subnets, "subnets")

    def both_forms(self, parent: str, key: str, separate: list[str], what: str) -> None:
        """Children written inline next to separate resources of the same parent: each apply
        makes the inline list authoritative and removes the others.  (A state lists every
        child inline too: those echo a separate resource by name and were replaced by it.)"""
        r = self.by_addr[parent]
        names = {self.by_addr[a].values.get("name") for a in separate}
        if any(e.get("name") not in names for _, e in self.blocks(r, key)):
            self.report.finding(r, f"{what} are written both inline here and as separate "
                                   f"resources ({', '.join(separate)}): each apply makes the "
                                   "inline list authoritative and removes the others, a "
                                   "perpetual diff (the model holds their union)", key)

    def subnet_ref(self, r: Resource, value: Any, *sub: str | int) -> tuple[str, Subnet] | None:
        """A subnet by id: a subnet resource, or (in a state) a VNet's inline subnet."""
        if isinstance(value, str) and "/subnets/" in value.lower():
            parts = value.strip("/").split("/")
            for key, (vnet, s) in self.subnets.items():
                if key.startswith(vnet + "#") and s.name == parts[-1] and \
                        self.by_addr[vnet].values.get("name") == parts[-3]:
                    return vnet, s
        a = self.ref(r, value, (SUBNET,), "subnet", *sub)
        return self.subnets.get(a) if a else None

    # ---- NSGs and route tables -----------------------------------------------------------

    def nsg(self) -> None:
        for r in self.each(NSG):
            rules = [x for i, e in self.blocks(r, "security_rule")
                     if (x := self.nsg_rule(r, e, ("security_rule", i)))]
            if g := self.make(NetworkSecurityGroup, r, name=self.name(r.address), rules=rules):
                self.nsgs[r.address] = g
        separate = defaultdict(list)
        for r in self.each("azurerm_network_security_rule"):
            g = self.ref(r, r.values.get("network_security_group_name"), (NSG,), "NSG",
                         "network_security_group_name")
            if g in self.nsgs:
                separate[g].append(r.address)
                nsg = self.nsgs[g]
                nsg.rules = [x for x in nsg.rules if x.name != r.values.get("name")]
                if x := self.nsg_rule(r, r.values, ()):
                    nsg.rules.append(x)
        for g, rules in separate.items():
            self.both_forms(g, "security_rule", rules, "rules")
        for r, sub, s, value in self.inline_nsgs:
            if (g := self.ref(r, value, (NSG,), "NSG", *sub, "security_group")) in self.nsgs:
                s.nsg = self.nsgs[g].name

    @staticmethod
    def address_list(e: dict, one: str, many: str) -> Any:
        """A rule's prefixes (or ports): the single form, else the list, else * (any)."""
        if e.get(one) not in (None, ""):
            return e[one]
        if isinstance(e.get(many), list) and e[many]:
            return e[many][0] if len(e[many]) == 1 else e[many]
        return e[many] if isinstance(e.get(many), Unknown) else "*"

    def nsg_rule(self, r: Resource, e: dict, sub: tuple) -> NsgRule | None:
        asgs = [k for k in ("source_application_security_group_ids",
                            "destination_application_security_group_ids") if e.get(k)]
        if asgs:
            self.report.skip(r, "a rule with application security groups (not modelled) is "
                                "left out", *sub, asgs[0])
            return None
        pick = self.address_list
        fields = dict(
            source=pick(e, "source_address_prefix", "source_address_prefixes"),
            destination=pick(e, "destination_address_prefix", "destination_address_prefixes"),
            source_ports=_ports(pick(e, "source_port_range", "source_port_ranges")),
            destination_ports=_ports(pick(e, "destination_port_range",
                                          "destination_port_ranges")))
        for field in ("source", "destination"):
            v = fields[field]
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, Unknown):
                    self.report.skip(r, f"the rule's {field} is known only after apply; the "
                                        "rule is left out", *sub)
                    return None
                text = str(item).strip()
                if not (text.lower() in ANY_WORDS or tag_name(text) or text[:1].isdigit()):
                    self.report.skip(r, f"service tag {text} is not modelled; the rule is left "
                                        "out", *sub)
                    return None
        if any(isinstance(e.get(k), Unknown) for k in ("name", "priority", "direction",
                                                      "access", "protocol")):
            self.report.skip(r, "a rule field is known only after apply; the rule is left out",
                             *sub)
            return None
        return self.make(NsgRule, r, *sub, name=e.get("name"), priority=e.get("priority"),
                         direction=str(e.get("direction") or "").lower(),
                         access=str(e.get("access") or "").lower(),
                         protocol=str(e.get("protocol") or "*").lower(),
                         description=e.get("description") if isinstance(
                             e.get("description"), str) else "", **fields)

    def route_table(self) -> None:
        for r in self.each(TABLE):
            routes = [x for i, e in self.blocks(r, "route") if (x := self.udr(r, e, ("route", i)))]
            # azurerm 4 says bgp_route_propagation_enabled, 3 disable_bgp_route_propagation
            off = not self.flag(r, "bgp_route_propagation_enabled", True) or \
                self.flag(r, "disable_bgp_route_propagation", False)
            t = self.make(RouteTable, r, name=self.name(r.address), routes=routes,
                          disable_bgp_route_propagation=off)
            if t:
                self.tables[r.address] = t
        separate = defaultdict(list)
        for r in self.each("azurerm_route"):
            t = self.ref(r, r.values.get("route_table_name"), (TABLE,), "route table",
                         "route_table_name")
            if t in self.tables:
                separate[t].append(r.address)
                table = self.tables[t]
                table.routes = [x for x in table.routes if x.name != r.values.get("name")]
                if x := self.udr(r, r.values, ()):
                    table.routes.append(x)
        for t, routes in separate.items():
            self.both_forms(t, "route", routes, "routes")

    def udr(self, r: Resource, e: dict, sub: tuple) -> Udr | None:
        hop, prefix = str(e.get("next_hop_type") or ""), e.get("address_prefix")
        if hop.lower() not in NEXT_HOPS:
            self.report.skip(r, f"next hop type {hop or '(none)'} is not modelled", *sub,
                             "next_hop_type")
            return None
        if isinstance(prefix, str) and prefix and not prefix[:1].isdigit():
            self.report.skip(r, f"prefix {prefix}: service tags in routes are not modelled", *sub,
                             "address_prefix")
            return None
        if not (prefix := self.cidr(r, prefix, "prefix", *sub, "address_prefix")):
            return None
        ip = e.get("next_hop_in_ip_address")
        return self.make(Udr, r, *sub, name=e.get("name") if isinstance(e.get("name"), str)
                         else r.address, prefix=prefix, next_hop=NEXT_HOPS[hop.lower()],
                         next_hop_ip=ip if isinstance(ip, str) and ip else None)

    def associations(self) -> None:
        for kind, types, objs, field in (
                ("network_security_group", (NSG,), self.nsgs, "nsg"),
                ("route_table", (TABLE,), self.tables, "route_table")):
            for r in self.each(f"azurerm_subnet_{kind}_association"):
                s = self.subnet_ref(r, r.values.get("subnet_id"), "subnet_id")
                o = self.ref(r, r.values.get(f"{kind}_id"), types, kind.replace("_", " "),
                             f"{kind}_id")
                if s and o in objs:
                    setattr(s[1], field, objs[o].name)
        for r in self.each("azurerm_network_interface_security_group_association"):
            n = self.ref(r, r.values.get("network_interface_id"), (NIC,), "NIC",
                         "network_interface_id")
            g = self.ref(r, r.values.get("network_security_group_id"), (NSG,), "NSG",
                         "network_security_group_id")
            if n and g in self.nsgs:
                self.nic_nsg[n] = self.nsgs[g].name

    # ---- addresses, NAT, gateways ------------------------------------------------------------

    def public_of(self, r: Resource, value: Any, *sub: str | int) -> str | None:
        """The address of the public IP resource `value` names (a placeholder until apply)."""
        a = self.ref(r, value, (PIP,), "public IP", *sub)
        if a is None:
            return None
        if a not in self.public:
            self.used.add(a)
            self.public[a] = self.public_ip(self.by_addr[a], "ip_address", "public address")
        return self.public[a]

    def nat_gateway(self) -> None:
        ips: dict[str, list[str]] = defaultdict(list)
        for r in self.each("azurerm_nat_gateway_public_ip_association"):
            n = self.ref(r, r.values.get("nat_gateway_id"), (NAT,), "NAT gateway",
                         "nat_gateway_id")
            if n and (ip := self.public_of(r, r.values.get("public_ip_address_id"),
                                           "public_ip_address_id")):
                ips[n].append(ip)
        for r in self.each(NAT):
            if not ips[r.address]:
                self.report.skip(r, "no public IP is associated (public IP prefixes are not "
                                    "modelled): it would translate nothing")
            elif nat := self.make(NatGateway, r, name=self.name(r.address),
                                  public_ips=ips[r.address]):
                self.nats[r.address] = nat
        for r in self.each("azurerm_subnet_nat_gateway_association"):
            s = self.subnet_ref(r, r.values.get("subnet_id"), "subnet_id")
            n = self.ref(r, r.values.get("nat_gateway_id"), (NAT,), "NAT gateway",
                         "nat_gateway_id")
            if s and n in self.nats:
                s[1].nat_gateway = self.nats[n].name

    def gateway(self) -> None:
        for r in self.each(VNG):
            kind = str(r.values.get("type") or "Vpn").lower()
            if str(r.values.get("vpn_type") or "RouteBased").lower() == "policybased":
                self.report.skip(r, "policy-based VPN gateways are not modelled", "vpn_type")
                continue
            configs = self.blocks(r, "ip_configuration")
            s = self.subnet_ref(r, configs[0][1].get("subnet_id"), "ip_configuration", 0,
                                "subnet_id") if configs else None
            if s is None:
                if not configs:
                    self.report.skip(r, "no ip_configuration: it is in no VNet")
                continue
            for _, c in configs:  # the tunnels' public end: taken, not modelled
                if p := self.ref(r, c.get("public_ip_address_id"), (PIP,), "", report=False):
                    self.used.add(p)
            if self.flag(r, "active_active", False):
                self.report.note(r, "active-active is modelled as active-standby (one tunnel "
                                    "per connection)", "active_active")
            asn = self.block(r, "bgp_settings").get("asn")
            cls, field = (ExpressRouteGateway, "expressroute_gateway") if kind == \
                "expressroute" else (VpnGateway, "vpn_gateway")
            gw = self.make(cls, r, name=self.name(r.address),
                           **({"asn": asn} if isinstance(asn, int) else {}))
            if gw:
                setattr(self.vnets[s[0]], field, gw)
                self.gateways[r.address] = gw

    def local_gateway(self) -> None:
        for r in self.each(LNG):
            space = self.prefixes(r, r.values, "address_space")
            bgp = self.block(r, "bgp_settings")
            asn = bgp.get("asn") if isinstance(bgp.get("asn"), int) else None
            ip = bgp.get("bgp_peering_address")
            name = self.name(r.address)
            router = self.site(r, name, space, asn, ip if isinstance(ip, str) else None,
                               self.azure_ranges)
            if g := self.make(LocalNetworkGateway, r, name=name, site_router=router,
                              address_prefixes=space):
                self.lngs[r.address] = g

    def azure_ranges(self) -> list[IPv4Network]:
        return [IPv4Network(c) for v in self.vnets.values() for c in v.address_space]

    def peering(self) -> None:
        for r in self.each("azurerm_virtual_network_peering"):
            v = self.ref(r, r.values.get("virtual_network_name"), (VNET,), "VNet",
                         "virtual_network_name")
            remote = self.ref(r, r.values.get("remote_virtual_network_id"), (VNET,),
                              "remote VNet (another subscription?)", "remote_virtual_network_id")
            if not (v in self.vnets and remote in self.vnets):
                continue
            flags = {k: self.flag(r, k, k == "allow_virtual_network_access") for k in (
                "allow_virtual_network_access", "allow_forwarded_traffic",
                "allow_gateway_transit", "use_remote_gateways")}
            if p := self.make(Peering, r, name=self.name(r.address), remote=self.name(remote),
                              **flags):
                self.vnets[v].peerings.append(p)

    def connection(self) -> None:
        for r in self.each("azurerm_virtual_network_gateway_connection"):
            kind = str(r.values.get("type") or "")
            if kind.lower() != "ipsec":
                self.report.skip(r, f"{kind or 'untyped'} connections are not modelled (only "
                                    "IPsec connections to a local network gateway are)", "type")
                continue
            g = self.ref(r, r.values.get("virtual_network_gateway_id"), (VNG,),
                         "VNet gateway", "virtual_network_gateway_id")
            n = self.ref(r, r.values.get("local_network_gateway_id"), (LNG,),
                         "local network gateway", "local_network_gateway_id")
            if g in self.gateways and n in self.lngs:
                # azurerm 4 says bgp_enabled, 3 enable_bgp
                bgp = self.flag(r, "bgp_enabled", False) or self.flag(r, "enable_bgp", False)
                if c := self.make(VpnConnection, r, name=self.name(r.address),
                                  gateway=self.gateways[g].name,
                                  local_network_gateway=self.lngs[n].name, bgp=bgp,
                                  routing_weight=self.number(r, "routing_weight", 0)):
                    self.connections.append(c)

    # ---- NICs and VMs ----------------------------------------------------------------------

    def vms(self) -> None:
        nics = {r.address: r for r in self.by_type.get(NIC, [])}
        # Static addresses first: dynamic ones take the first free address from .4 on.
        taken: set[IPv4Address] = set()
        for r in nics.values():
            for _, c in self.blocks(r, "ip_configuration"):
                try:
                    taken.add(IPv4Address(c.get("private_ip_address")))
                except ValueError:
                    pass
        for r in self.each(*VMS):
            ids = r.values.get("network_interface_ids")
            ids = ids if isinstance(ids, list) else []
            primary = r.values.get("primary_network_interface_id")
            addrs = [a for i, x in enumerate(ids)
                     if (a := self.ref(r, x, (NIC,), "NIC", "network_interface_ids", i))]
            if primary is not None and (p := self.ref(r, primary, (NIC,), "NIC",
                                                      "primary_network_interface_id")) in addrs:
                addrs.remove(p)
                addrs.insert(0, p)
            made = [(a, x) for a in addrs if (x := self.nic(nics[a], taken))]
            if not made:
                if not ids:
                    self.report.skip(r, "no network_interface_ids: it is in no VNet")
                continue
            vnets = {v for _, (v, _) in made}
            if len(vnets) > 1:
                self.report.skip(r, f"its NICs are in VNets {', '.join(sorted(vnets))}; Azure "
                                    "keeps a VM's NICs in one VNet", "network_interface_ids")
                continue
            name = self.name(r.address)
            if len(made) == 1:
                n = made[0][1][1]
                vm = self.make(Vm, r, name=name, subnet=n.subnet, private_ip=n.private_ip,
                               public_ip=n.public_ip, nsg=n.nsg, ip_forwarding=n.ip_forwarding)
            else:
                for a, (_, n) in made:
                    n.name = self.text(nics[a], "name", a)
                vm = self.make(Vm, r, name=name, nics=[n for _, (_, n) in made])
            if vm:
                self.vnets[vnets.pop()].vms.append(vm)

    def nic(self, r: Resource, taken: set[IPv4Address]) -> tuple[str, Nic] | None:
        self.used.add(r.address)
        configs = self.blocks(r, "ip_configuration")
        if not configs:
            self.report.skip(r, "no ip_configuration")
            return None
        i, c = next(((i, c) for i, c in configs if c.get("primary") is True), configs[0])
        for j, _ in configs:
            if j != i:
                self.report.skip(r, "secondary IP configurations are not modelled",
                                 "ip_configuration", j)
        sub = ("ip_configuration", i)
        s = self.subnet_ref(r, c.get("subnet_id"), *sub, "subnet_id")
        if s is None:
            return None
        ip = c.get("private_ip_address")
        if str(c.get("private_ip_address_allocation") or "").lower() != "static" or \
                not isinstance(ip, str) or not ip:
            net = IPv4Network(s[1].prefix)
            free = (x for k in range(4, net.num_addresses - 1)
                    if (x := net.network_address + k) not in taken)
            if (first := next(free, None)) is None:
                self.report.skip(r, f"subnet {s[1].name} ({net}) has no free address", *sub)
                return None
            taken.add(first)
            ip = str(first)
            self.report.placeholder(r, f"private address: placeholder {ip} (Azure's first "
                                       "free address of the subnet)", *sub,
                                    "private_ip_address")
        public = self.public_of(r, c["public_ip_address_id"], *sub, "public_ip_address_id") \
            if c.get("public_ip_address_id") is not None else None
        forwarding = self.flag(r, "ip_forwarding_enabled", False) or \
            self.flag(r, "enable_ip_forwarding", False)  # azurerm 4 / 3
        nic = self.make(Nic, r, subnet=s[1].name, private_ip=ip, public_ip=public,
                        nsg=self.nic_nsg.get(r.address), ip_forwarding=forwarding)
        return (s[0], nic) if nic else None
