"""Name lookups over an Azure model, shared by validation and compilation.  Unparsable values
are skipped here (validation reports them), so the index never raises."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ..aws.index import safe_net
from .model import Azure, Peering, Subnet, Vnet

GATEWAY_SUBNET = "GatewaySubnet"


def safe_ip(text) -> IPv4Address | None:
    try:
        return IPv4Address(str(text))
    except ValueError:
        return None


class AzureIndex:
    def __init__(self, azure: Azure, site_routers: dict[str, str] | None = None):
        self.azure = azure
        self.site_routers = site_routers or {}
        self.nsgs = _first(azure.network_security_groups)
        self.route_tables = _first(azure.route_tables)
        self.nat_gateways = _first(azure.nat_gateways)
        self.lngs = _first(azure.local_network_gateways)
        self.circuits = _first(azure.expressroute_circuits)
        self.vnet_nets: dict[str, list[IPv4Network]] = {}
        self.subnets: dict[str, dict[str, Subnet]] = {}
        self.subnet_net: dict[tuple[str, str], IPv4Network] = {}
        self.vpn_gws: dict[str, str] = {}  # gateway -> VNet
        self.er_gws: dict[str, str] = {}
        # private address -> (VM, interface, IP forwarding)
        self.nic_at: dict[IPv4Address, tuple[str, str, bool]] = {}
        for name, vnet in azure.vnets.items():
            self._vnet(name, vnet)
        self.nat_subnets: dict[str, list[tuple[str, str]]] = {}  # NAT gateway -> (VNet, subnet)
        for vname, subnets in self.subnets.items():
            for s in subnets.values():
                if s.nat_gateway in self.nat_gateways:
                    self.nat_subnets.setdefault(s.nat_gateway, []).append((vname, s.name))
        self.peers = {name: self._connected(name, vnet) for name, vnet in azure.vnets.items()}
        self.hub: dict[str, str] = {}  # spoke -> the VNet whose gateways it uses
        for name, vnet in azure.vnets.items():
            for p, back in self.peers[name]:
                if p.use_remote_gateways and back.allow_gateway_transit and \
                        azure.vnets[p.remote].gateways() and not vnet.gateways():
                    self.hub.setdefault(name, p.remote)

    def _vnet(self, name: str, vnet: Vnet) -> None:
        self.vnet_nets[name] = [n for n in map(safe_net, vnet.address_space) if n]
        self.subnets[name] = {}
        for s in vnet.subnets:
            self.subnets[name].setdefault(s.name, s)
            net = safe_net(s.prefix)
            if net is not None:
                self.subnet_net.setdefault((name, s.name), net)
        if vnet.vpn_gateway:
            self.vpn_gws.setdefault(vnet.vpn_gateway.name, name)
        if vnet.expressroute_gateway:
            self.er_gws.setdefault(vnet.expressroute_gateway.name, name)
        for vm in vnet.vms:
            for _, iface, nic in vm.all_nics():
                ip = safe_ip(nic.private_ip)
                if ip is not None:
                    self.nic_at.setdefault(ip, (vm.name, iface, nic.ip_forwarding))

    def _connected(self, name: str, vnet: Vnet) -> list[tuple[Peering, Peering]]:
        """(this side, the remote side) of each peering the remote VNet returns: only those
        are Connected and carry traffic."""
        out, seen = [], set()
        for p in vnet.peerings:
            remote = self.azure.vnets.get(p.remote)
            if remote is None or p.remote == name or p.remote in seen:
                continue
            back = next((q for q in remote.peerings if q.remote == name), None)
            if back is not None:
                seen.add(p.remote)
                out.append((p, back))
        return out

    def peer_nets(self, vnet: str) -> list[IPv4Network]:
        return [n for p, _ in self.peers[vnet] for n in self.vnet_nets[p.remote]]

    def spokes(self, hub: str) -> list[str]:
        return [s for s, h in self.hub.items() if h == hub]

    def gateway_vnet(self, vnet: str) -> str | None:
        """The VNet whose gateways serve `vnet`: its own, or the hub's by gateway transit."""
        if self.azure.vnets[vnet].gateways():
            return vnet
        return self.hub.get(vnet)

    def subnet_of(self, vnet: str, ip: IPv4Address) -> str | None:
        for (v, s), net in self.subnet_net.items():
            if v == vnet and ip in net:
                return s
        return None


def _first(objs) -> dict:
    out: dict = {}
    for o in objs:
        out.setdefault(o.name, o)
    return out
