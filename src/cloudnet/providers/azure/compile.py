"""Azure semantics, compiled into IR.  Every Azure-specific rule lives here (and in filters.py
and bgp.py).

Node layout:
  vm --(subnet segment)-- VNet router --p2p-- peering side -- peering side -- VNet router
  VNet router --p2p-- NAT gateway / VPN gateway / ExpressRoute gateway / azure-edge
  azure-edge --p2p-- internet;  VPN gateway --(tunnel)-- site router;
  ExpressRoute gateway --(connection)-- circuit (Microsoft's edge) ==(primary, secondary)== site
- Azure has no L2 and no subnet boundary device: the VNet router holds every subnet's gateway
  address (.1) on that subnet's segment and one table per subnet, the subnet's effective
  routes, so even traffic between two VMs of one subnet is routed (a UDR can redirect it).
- Both NSGs sit on the VM's NIC, where Azure enforces them: inbound subnet NSG then NIC NSG,
  outbound NIC NSG then subnet NSG.  So intra-subnet traffic is filtered too.
- Routing decides at the source: traffic entering a VNet from a peering, a NAT gateway or the
  internet is delivered by the VNet's address space alone (the `edge` table); traffic from a
  gateway follows GatewaySubnet's routes.
- Outbound internet needs explicit egress: a public IP on the NIC or a NAT gateway on the
  subnet.  Default outbound access (an implicit Microsoft SNAT address) is retired for new
  deployments after 30 Sep 2025 and is not modelled: without either, the VNet's internet edge
  drops the packet and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv4Network

from ...ir import build
from ...ir.model import (Action, Filter, FilterMode, LinkKind, Match, NatKind, NatRule, Network,
                         Node, NodeKind, PortRange, Provenance, Route, Rule)
from .. import internet as inet
from ..aws.index import safe_net
from . import bgp, filters
from .index import GATEWAY_SUBNET, AzureIndex, safe_ip
from .model import Azure, Subnet, Vm, Vnet

EDGE = "azure-edge"
ANY = IPv4Network("0.0.0.0/0")
EDGE_TABLE = "edge"
INTERNET_IFACE = "internet"
# System routes to these drop traffic unless the VNet's address space covers them.
NONE_RANGES = [IPv4Network(p) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                        "100.64.0.0/10")]
# For equal prefixes (after the longest match): user-defined > BGP > system.  Among gateway
# routes ExpressRoute beats VPN; connection weight and AS path follow (added by the control
# plane from the BgpNeighbor).
PREF = {"udr": (0,), "expressroute": (1, 0), "vpn": (1, 1), "system": (2,)}


def subnet_iface(subnet: str) -> str:
    return f"subnet:{subnet}"


def compile_azure(azure: Azure, net: Network, site_routers: dict[str, str]) -> None:
    """site_routers: the names a local network gateway or circuit may use for a site's
    router -> its IR node id."""
    _Compiler(azure, net, site_routers).run()


def complete_azure(azure: Azure, net: Network, site_routers: dict[str, str]) -> None:
    """Once BGP is computed: the VirtualNetwork tag also holds what the gateways learned, so
    the NSG filters of VNets behind a gateway are built again with it."""
    _Compiler(azure, net, site_routers).nsgs_after_bgp()


@dataclass
class _Public:
    public: IPv4Address
    private: IPv4Address
    vnet: str
    subnet: str
    provenance: Provenance


class _Compiler:
    PREF = PREF

    def __init__(self, azure: Azure, net: Network, site_routers: dict[str, str]):
        self.azure, self.net = azure, net
        self.ix = AzureIndex(azure, site_routers)
        self.public: list[_Public] = []
        self.nsg_cache: dict[tuple[str, str], tuple[str, str]] = {}
        self.tags: dict[str, dict[str, tuple[IPv4Network, ...]]] = {}
        # gateway VNet -> static routes to sites: (prefix, gateway, provenance)
        self.gw_static: dict[str, list[tuple[IPv4Network, str, Provenance]]] = {}
        # (VNet, peering of that VNet) -> remote UDRs sending `prefix` to an appliance here
        self.redirects: dict[tuple[str, str], list[tuple[IPv4Network, IPv4Address,
                                                         Provenance]]] = {}

    def run(self) -> None:
        for name, vnet in self.azure.vnets.items():
            self.vnet(name, vnet)
        for nat in self.ix.nat_gateways.values():
            if self.ix.nat_subnets.get(nat.name) and nat.public_ips:
                self.nat_gateway(nat)
        for name in self.azure.vnets:
            for p, back in self.ix.peers[name]:
                self.peering(name, p, back)
        for name, vnet in self.azure.vnets.items():
            for gw in vnet.gateways():
                self.gateway(name, vnet, gw)
        for c in self.azure.expressroute_circuits:
            bgp.circuit(self, c)
        for c in self.azure.vpn_connections:
            bgp.vpn_connection(self, c)
        for c in self.azure.expressroute_connections:
            bgp.er_connection(self, c)
        for name, vnet in self.azure.vnets.items():
            for s in vnet.subnets:
                self.net.nodes[name].tables[subnet_iface(s.name)].routes.extend(
                    self.effective_routes(name, vnet, s))
        for name in self.azure.vnets:
            for p, _ in self.ix.peers[name]:
                self.peering_ingress(name, p)
        self.edge()

    # ---- VNets, VMs ----------------------------------------------------------------------

    def vnet(self, name: str, vnet: Vnet) -> None:
        prov = vnet.provenance(f"VNet {name} (Azure's routing)")
        router = self.net.add_node(Node(
            name, NodeKind.ROUTER, "azure", "vnet-router", provenance=prov,
            origin_table=EDGE_TABLE,
            refuse_reason="a subnet's gateway address (network+1) answers no traffic",
            attrs={"subscription": vnet.subscription or self.azure.subscription,
                   "region": vnet.region or self.azure.region}))
        build.table(router, EDGE_TABLE, vnet.provenance(f"VNet {name} address space",
                                                        "address_space")).routes.extend(
            self.local_delivery(name, vnet))
        for s in vnet.subnets:
            cidr = self.ix.subnet_net[(name, s.name)]
            iface = subnet_iface(s.name)
            sp = s.provenance(f"subnet {s.name} of {name}")
            build.table(router, iface, sp)
            build.add_iface(router, iface, iface, [(cidr.network_address + 1, cidr)], sp)
            self.net.connect(f"segment:{name}/{s.name}", LinkKind.SEGMENT, [(name, iface)], sp)
        for vm in vnet.vms:
            self.vm(name, vnet, vm)

    def local_delivery(self, name: str, vnet: Vnet) -> list[Route]:
        """The VNet's address space, delivered to the subnet holding the address."""
        out = []
        for j, c in enumerate(self.ix.vnet_nets[name]):
            prov = vnet.provenance(f"system route {c} -> VnetLocal (address space of {name})",
                                   "address_space", j)
            out += self.expand(name, c, prov, "system (VnetLocal)", PREF["system"], [])
        return out

    def vm(self, vname: str, vnet: Vnet, vm: Vm) -> None:
        nics = vm.all_nics()
        forwards = any(n.ip_forwarding for _, _, n in nics)
        node = self.net.add_node(Node(
            vm.name, NodeKind.ROUTER if forwards else NodeKind.HOST, "azure", "vm",
            provenance=vm.provenance(f"VM {vm.name}"), origin_table="main", accepts=True,
            attrs={"vnet": vname}))
        main = build.table(node, "main")
        for i, (obj, ifname, nic) in enumerate(nics):
            subnet = self.ix.subnets[vname][nic.subnet]
            cidr = self.ix.subnet_net[(vname, nic.subnet)]
            ip = IPv4Address(nic.private_ip)
            prov = obj.provenance(f"NIC {ifname} of {vm.name}")
            iface = build.add_iface(node, ifname, "main", [(ip, cidr)], prov)
            sub_nsg = self.nsg(vname, subnet.nsg)
            nic_nsg = self.nsg(vname, nic.nsg)
            iface.in_filters += [f[0] for f in (sub_nsg, nic_nsg) if f]
            iface.out_filters += [f[1] for f in (nic_nsg, sub_nsg) if f]
            link = self.net.links[f"segment:{vname}/{nic.subnet}"]
            link.endpoints.append((node.id, ifname))
            iface.link = link.id
            # Every packet goes to the subnet's gateway: Azure routes even within a subnet.
            prefix = ANY if i == 0 else cidr
            main.routes.append(build.forward(prefix, ifname, prov, next_hop=cidr.network_address
                                             + 1, kind="default" if i == 0 else "subnet",
                                             target=vname))
            if i == 0:
                node.attrs["subnet"] = nic.subnet
            if nic.public_ip is not None:
                self.public.append(_Public(IPv4Address(nic.public_ip), ip, vname, subnet.name,
                                           obj.provenance(f"public IP {nic.public_ip} of "
                                                          f"{vm.name}", "public_ip")))

    def nsg(self, vname: str, name: str | None) -> tuple[str, str] | None:
        if name is None or name not in self.ix.nsgs:
            return None
        key = (name, vname)
        if key not in self.nsg_cache:
            fin, fout = filters.nsg_filters(self.ix.nsgs[name], vname, self.service_tags(vname))
            self.nsg_cache[key] = (self.net.add_filter(fin), self.net.add_filter(fout))
        return self.nsg_cache[key]

    def nsgs_after_bgp(self) -> None:
        for vname in self.azure.vnets:
            if self.ix.gateway_vnet(vname) is None:
                continue
            for nsg in self.ix.nsgs.values():
                for flt in filters.nsg_filters(nsg, vname, self.service_tags(vname)):
                    if flt.id in self.net.filters:  # applied to a NIC in this VNet
                        self.net.filters[flt.id] = flt

    def service_tags(self, vname: str) -> dict[str, tuple[IPv4Network, ...]]:
        """VirtualNetwork = the address space, peered VNets, on-premises ranges reached
        through the gateways (static, or learned by BGP) and UDR prefixes."""
        if vname not in self.tags:
            nets = list(self.ix.vnet_nets[vname])
            nets += [n for p, _ in self.ix.peers[vname] if p.allow_virtual_network_access
                     for n in self.ix.vnet_nets[p.remote]]
            gvnet = self.ix.gateway_vnet(vname)
            if gvnet is not None:
                nets += bgp.onprem_prefixes(self, gvnet)
            for s in self.azure.vnets[vname].subnets:
                rt = self.ix.route_tables.get(s.route_table or "")
                for r in rt.routes if rt else []:
                    nets += [n for n in [safe_net(r.prefix)] if n]
            self.tags[vname] = {"VirtualNetwork": tuple(dict.fromkeys(nets)),
                                "Internet": filters.INTERNET,
                                "AzureLoadBalancer": filters.LOAD_BALANCER}
        return self.tags[vname]

    # ---- NAT gateway, peerings, gateways ---------------------------------------------------

    def nat_gateway(self, nat) -> None:
        vname = self.ix.nat_subnets[nat.name][0][0]
        ips = [IPv4Address(p) for p in nat.public_ips]
        prov = nat.provenance(f"NAT gateway {nat.name}")
        node = self.net.add_node(Node(
            nat.name, NodeKind.GATEWAY, "azure", "nat", provenance=prov, origin_table="main",
            refuse_reason="a NAT gateway accepts no inbound connections, only replies to "
                          "connections it translated", attrs={"vnet": vname}))
        build.table(node, "main").routes.append(build.forward(ANY, "edge", prov, target=EDGE))
        back = build.table(node, "from-edge")
        for c in self.ix.vnet_nets[vname]:
            back.routes.append(build.forward(c, "vnet", prov, kind="VNet", target=vname))
        build.p2p(self.net, (nat.name, "vnet"), (vname, nat.name), prov, a_table="main",
                  b_table=EDGE_TABLE)
        node.interfaces["vnet"].in_filters.append(
            self.net.add_filter(filters.nat_protocols(nat.name, prov)))
        build.add_iface(node, "edge", "from-edge", [(ip, IPv4Network(f"{ip}/32")) for ip in ips],
                        prov)
        node.nat.append(NatRule(NatKind.SOURCE, None, ips[0], "vnet", "edge", nat.provenance(
            f"NAT gateway {nat.name}: source NAT to {ips[0]} (ports 1024-65535)", "public_ips",
            0), PortRange(1024, 65535)))

    def peering(self, vname: str, p, back) -> None:
        """One side of a connected peering: its own flags, on its own node."""
        prov = p.provenance(f"VNet peering {p.name} ({vname} -> {p.remote})")
        node = self.net.add_node(Node(p.name, NodeKind.GATEWAY, "azure", "peering",
                                      provenance=prov, origin_table="from-local",
                                      attrs={"vnet": vname, "remote": p.remote}))
        # The source's routes chose the peering (for the remote space, or an appliance there):
        # it carries what it is given, and the receiving VNet decides.
        build.table(node, "from-local", prov).routes.append(
            build.forward(ANY, "remote", prov, kind="peering", target=p.remote))
        build.table(node, "from-remote", prov).routes.append(
            build.forward(ANY, "local", prov, kind="peering", target=vname))
        build.p2p(self.net, (p.name, "local"), (vname, p.name), prov, a_table="from-local",
                  b_table=f"from:{p.name}")
        if back.name in self.net.nodes:  # the other side exists: join the two
            build.p2p(self.net, (back.name, "remote"), (p.name, "remote"), prov,
                      a_table="from-remote", b_table="from-remote")
        else:
            build.add_iface(node, "remote", "from-remote", provenance=prov)
        if not p.allow_virtual_network_access:
            node.interfaces["local"].in_filters.append(self.net.add_filter(Filter(
                f"peering-access:{p.name}", FilterMode.ANY_ALLOW, True, Action.DENY, [], prov,
                p.provenance(f"peering {p.name}: allowVirtualNetworkAccess is false, {vname} "
                             f"may not reach {p.remote} (replies pass)",
                             "allow_virtual_network_access"))))
        if not p.allow_forwarded_traffic:
            node.interfaces["remote"].in_filters.append(self.net.add_filter(Filter(
                f"peering-forwarded:{p.name}", FilterMode.ANY_ALLOW, False, Action.DENY,
                [Rule(Action.ALLOW, Match(src=tuple(self.ix.vnet_nets[p.remote]),
                                          src_label=f"VNet {p.remote}"), prov,
                      f"source in {p.remote}")], prov,
                p.provenance(f"peering {p.name}: allowForwardedTraffic is false, and the source "
                             f"is not in {p.remote}", "allow_forwarded_traffic"))))

    def peering_ingress(self, vname: str, p) -> None:
        """What enters from a peering is delivered locally, or to the appliance a remote UDR
        named (the packet keeps its destination)."""
        table = build.table(self.net.nodes[vname], f"from:{p.name}", p.provenance(
            f"traffic entering {vname} from peering {p.name}"))
        table.routes.extend(self.local_delivery(vname, self.azure.vnets[vname]))
        seen: dict[IPv4Network, IPv4Address] = {}
        for prefix, ip, prov in self.redirects.get((vname, p.name), []):
            if seen.setdefault(prefix, ip) != ip:
                self.net.unsupported.append(replace(prov, what=f"{prov.what}: {p.remote} sends "
                                                    f"{prefix} to two appliances in {vname}; "
                                                    f"only {seen[prefix]} is modelled"))
                continue
            subnet = self.ix.subnet_of(vname, ip)
            table.routes.append(build.forward(prefix, subnet_iface(subnet), prov,
                                              kind="UDR (VirtualAppliance)", next_hop=ip,
                                              preference=PREF["udr"], target=str(ip)))

    def gateway(self, vname: str, vnet: Vnet, gw) -> None:
        er = gw is vnet.expressroute_gateway
        what = "ExpressRoute gateway" if er else "VPN gateway"
        prov = gw.provenance(f"{what} {gw.name} (AS {gw.asn})")
        node = self.net.add_node(Node(
            gw.name, NodeKind.GATEWAY, "azure", "expressroute-gateway" if er else "vpn-gateway",
            provenance=prov, origin_table="main", attrs={"vnet": vname, "asn": str(gw.asn)}))
        main = build.table(node, "main", prov)
        has_gws = GATEWAY_SUBNET in self.ix.subnets[vname]
        build.p2p(self.net, (gw.name, "vnet"), (vname, gw.name), prov, a_table="main",
                  b_table=subnet_iface(GATEWAY_SUBNET) if has_gws else EDGE_TABLE)
        for c in self.ix.vnet_nets[vname]:
            main.routes.append(build.forward(c, "vnet", prov, kind="VNet", target=vname))
        for spoke in self.ix.spokes(vname):
            # Gateway transit: the spoke uses this gateway as its own.
            build.p2p(self.net, (gw.name, spoke), (spoke, gw.name), prov, a_table="main",
                      b_table=EDGE_TABLE)
            for c in self.ix.vnet_nets[spoke]:
                main.routes.append(build.forward(c, spoke, prov, kind="VNet (gateway transit)",
                                                 target=spoke))
        bgp.gateway_speaker(self, vname, gw, prov)

    # ---- effective routes ----------------------------------------------------------------

    def internet_out(self, vname: str, s: Subnet) -> tuple[str, str]:
        """(interface, target) of the subnet's way to the internet: its NAT gateway, which
        takes precedence over public IPs for outbound, or the VNet's internet edge."""
        if s.nat_gateway in self.net.nodes and \
                self.net.nodes[s.nat_gateway].role == "nat":
            return s.nat_gateway, s.nat_gateway
        return INTERNET_IFACE, EDGE

    def effective_routes(self, vname: str, vnet: Vnet, s: Subnet) -> list[Route]:
        """The subnet's effective routes (LPM, then UDR > BGP > system).  BGP routes are
        installed later by the control plane, into the same table."""
        routes: list[tuple[Route, bool]] = []  # (route, delivered within the VNet)
        for j, c in enumerate(self.ix.vnet_nets[vname]):
            routes.append((build.drop(c, vnet.provenance(
                f"system route {c} -> VnetLocal (address space of {vname})", "address_space",
                j), kind="system (VnetLocal)", preference=PREF["system"], target="VnetLocal"),
                True))
        for p, _ in self.ix.peers[vname]:
            for c in self.ix.vnet_nets[p.remote]:
                routes.append((build.forward(c, p.name, p.provenance(
                    f"system route {c} -> VNetPeering {p.name}"), kind="system (VNetPeering)",
                    preference=PREF["system"], target=p.remote), False))
        out_iface, target = self.internet_out(vname, s)
        how = f" via NAT gateway {target}" if target != EDGE else ""
        routes.append((build.forward(ANY, out_iface, (s.provenance if how else vnet.provenance)(
            f"system route 0.0.0.0/0 -> Internet{how}", *(("nat_gateway",) if how else ())),
            kind="system (Internet)", preference=PREF["system"], target=target), False))
        for n in NONE_RANGES:
            if not any(n.subnet_of(c) for c in self.ix.vnet_nets[vname]):
                routes.append((build.drop(n, vnet.provenance(
                    f"system route {n} -> None (private range outside the VNet)"),
                    kind="system (None)", preference=PREF["system"], target="None"), False))
        rt = self.ix.route_tables.get(s.route_table or "")
        propagate = rt is None or not rt.disable_bgp_route_propagation or \
            s.name == GATEWAY_SUBNET
        gvnet = self.ix.gateway_vnet(vname)
        protected = self.ix.vnet_nets[vname] + self.ix.peer_nets(vname)
        if propagate and gvnet is not None:
            for prefix, gw, prov in self.gw_static.get(gvnet, []):
                routes.append((build.forward(prefix, gw, prov, kind="VirtualNetworkGateway "
                                             "(static)", preference=PREF["vpn"], target=gw,
                                             inactive=bgp.protected_why(prefix, protected)),
                               False))
        for r in rt.routes if rt else []:
            routes.append(self.udr(vname, r, out_iface, target))
        out: list[Route] = []
        for route, local in routes:
            if local:
                others = [r for r, _ in routes if r is not route and not r.inactive]
                out += self.expand(vname, route.prefix, route.provenance, route.kind,
                                   route.preference, others)
            else:
                out.append(route)
        return out

    def udr(self, vname: str, r, internet_iface: str, internet_target: str) -> tuple[Route, bool]:
        prefix = IPv4Network(r.prefix)
        prov = r.provenance(f"UDR {r.name}: {prefix} -> {r.next_hop}"
                            f"{' ' + r.next_hop_ip if r.next_hop_ip else ''}")
        kind, pref = f"UDR ({r.next_hop})", PREF["udr"]
        if r.next_hop == "VnetLocal":
            return build.drop(prefix, prov, kind=kind, preference=pref, target="VnetLocal"), True
        if r.next_hop == "Internet":
            return build.forward(prefix, internet_iface, prov, kind=kind, preference=pref,
                                 target=internet_target), False
        if r.next_hop == "VirtualNetworkGateway":
            gvnet = self.ix.gateway_vnet(vname)
            gw = self.azure.vnets[gvnet].vpn_gateway if gvnet else None
            if gw is None:
                return build.drop(prefix, replace(prov, what=f"{prov.what}: no VPN gateway "
                                                  "serves the VNet"), kind=kind,
                                  preference=pref), False
            return build.forward(prefix, gw.name, prov, kind=kind, preference=pref,
                                 target=gw.name), False
        if r.next_hop == "VirtualAppliance":
            ip = safe_ip(r.next_hop_ip)
            subnet = self.ix.subnet_of(vname, ip) if ip else None
            if subnet is not None:
                return build.forward(prefix, subnet_iface(subnet), prov, kind=kind,
                                     preference=pref, target=str(ip), next_hop=ip), False
            for p, back in self.ix.peers[vname]:
                if ip is not None and self.ix.subnet_of(p.remote, ip) is not None:
                    self.redirects.setdefault((p.remote, back.name), []).append(
                        (prefix, ip, prov))
                    return build.forward(prefix, p.name, prov, kind=kind, preference=pref,
                                         target=str(ip)), False
            return build.drop(prefix, replace(prov, what=f"{prov.what}: the appliance is in no "
                                              "subnet of the VNet or a peered VNet"),
                              kind=kind, preference=pref), False
        return build.drop(prefix, prov, kind=kind, preference=pref, target="None"), False

    def expand(self, vname: str, prefix: IPv4Network, prov: Provenance, kind: str,
               pref: tuple[int, ...], others: list[Route]) -> list[Route]:
        """A VnetLocal route as IR routes: one per subnet it covers (or the part of a subnet
        it covers), the rest dropped.  A subnet's part is inactive where Azure would pick
        another route for all of it (a longer prefix, or an equal one of higher class)."""
        subnets = [(s, n) for (v, s), n in self.ix.subnet_net.items() if v == vname]
        holder = next((s for s, n in subnets if prefix.subnet_of(n)), None)
        parts = [(holder, prefix)] if holder else \
            [(s, n) for s, n in subnets if n.subnet_of(prefix)]
        out = [] if holder else [build.drop(prefix, replace(
            prov, what=f"{prov.what}: no subnet holds the address"), kind=kind,
            preference=pref, target="no subnet")]
        for s, part in parts:
            winner = next((r for r in others if part.subnet_of(r.prefix) and (
                r.prefix.prefixlen > prefix.prefixlen or
                (r.prefix == prefix and r.preference < pref))), None)
            why = f"{winner.prefix} ({winner.kind}) is chosen over {prefix} for all of " \
                  f"{part}" if winner else ""
            out.append(build.forward(part, subnet_iface(s), prov, kind=kind, preference=pref,
                                     target=s, inactive=why))
        return out

    # ---- the public edge -----------------------------------------------------------------

    def edge(self) -> None:
        prov = Provenance("Azure's public network (built in)")
        node = self.net.add_node(Node(EDGE, NodeKind.ROUTER, "azure", "edge", provenance=prov,
                                      origin_table="main"))
        main = build.table(node, "main")
        main.routes.append(build.forward(ANY, "internet", prov, target=inet.INTERNET))
        build.p2p(self.net, (EDGE, "internet"), (inet.INTERNET, "azure"), prov, a_table="main",
                  b_table="main")
        # The platform's address (load balancer probes, DNS) is the host's own: nothing from
        # the internet carries it, so the AzureLoadBalancer tag admits no internet traffic.
        node.interfaces["internet"].in_filters.append(self.net.add_filter(Filter(
            "azure-platform-source", FilterMode.FIRST_MATCH, False, Action.ALLOW,
            [Rule(Action.DENY, Match(src=filters.LOAD_BALANCER, src_label="AzureLoadBalancer"),
                  Provenance("168.63.129.16 is Azure's platform address, never an internet "
                             "source"), "platform address")], prov)))
        allowed: dict[str, list[IPv4Network]] = {v: [] for v in self.azure.vnets}
        for vname, vnet in self.azure.vnets.items():
            build.p2p(self.net, (EDGE, vname), (vname, INTERNET_IFACE), prov, a_table="main",
                      b_table=EDGE_TABLE)
        for nat in self.ix.nat_gateways.values():
            if nat.name in self.net.nodes and self.net.nodes[nat.name].role == "nat":
                build.p2p(self.net, (EDGE, nat.name), (nat.name, "edge"), prov, a_table="main",
                          b_table="from-edge")
                for j, p in enumerate(nat.public_ips):
                    rp = nat.provenance(f"public IP {p} of NAT gateway {nat.name}",
                                        "public_ips", j)
                    self._announce(main, IPv4Network(f"{p}/32"), nat.name, rp)
        for pub in self.public:
            subnet = self.ix.subnets[pub.vnet][pub.subnet]
            owner, _ = self.internet_out(pub.vnet, subnet)
            host = IPv4Network(f"{pub.public}/32")
            if owner == INTERNET_IFACE:
                rule = NatRule(NatKind.STATIC, pub.private, pub.public, subnet_iface(pub.subnet),
                               INTERNET_IFACE, pub.provenance)
                self.net.nodes[pub.vnet].nat.append(rule)
                allowed[pub.vnet].append(host)
                self._announce(main, host, pub.vnet, pub.provenance)
            else:
                # Behind a NAT gateway the public IP still takes inbound connections; their
                # replies leave the way they came (the NAT gateway wins only for new flows).
                self.net.nodes[owner].nat.append(NatRule(NatKind.STATIC, pub.private,
                                                         pub.public, "vnet", "edge",
                                                         pub.provenance))
                self._announce(main, host, owner, pub.provenance)
        for vname, vnet in self.azure.vnets.items():
            vp = vnet.provenance(f"VNet {vname}")
            rules = [Rule(Action.ALLOW, Match(src=tuple(allowed[vname]),
                                              src_label="public IPs of NICs"), vp,
                          "public IP")] if allowed[vname] else []
            self.net.nodes[vname].interfaces[INTERNET_IFACE].out_filters.append(
                self.net.add_filter(Filter(
                    f"explicit-egress:{vname}", FilterMode.ANY_ALLOW, False, Action.DENY, rules,
                    vp, vnet.provenance(f"VNet {vname}: the source has no public IP and its "
                                        "subnet no NAT gateway, so it has no outbound internet "
                                        "access (default outbound access is not modelled)"))))

    def _announce(self, main, host: IPv4Network, iface: str, prov: Provenance) -> None:
        main.routes.append(build.forward(host, iface, prov, kind="public IP", target=iface))
        inet.announce(self.net, host, "azure", prov, EDGE)
