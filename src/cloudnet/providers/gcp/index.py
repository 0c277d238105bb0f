"""Name lookups over a GCP model, shared by validation and compilation (tolerant of bad
values: validation reports them, compilation only sees valid models)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from .model import (CloudNat, CloudRouter, Gcp, Instance, InterconnectAttachment, Network,
                    Nic, Peering, Subnet, VpnGateway, VpnTunnel)


def safe_net(text) -> IPv4Network | None:
    try:
        return IPv4Network(str(text), strict=False)
    except ValueError:
        return None


def safe_ip(text) -> IPv4Address | None:
    try:
        return IPv4Address(str(text))
    except ValueError:
        return None


@dataclass
class NicInfo:
    vm: Instance
    index: int
    obj: Nic | None  # None: the instance's shorthand form
    subnet: str
    network: str
    region: str
    ip: IPv4Address | None
    external_ip: str | None

    @property
    def name(self) -> str:
        return f"nic{self.index}"

    @property
    def port(self) -> str:
        """The network router's interface toward this NIC."""
        return f"{self.vm.name}:{self.name}"

    @property
    def holder(self):
        return self.obj if self.obj is not None else self.vm


class GcpIndex:
    def __init__(self, gcp: Gcp):
        self.gcp = gcp
        self.networks: dict[str, Network] = {}
        self.project_of: dict[str, str] = {}
        self.subnets: dict[str, tuple[str, Subnet]] = {}  # name -> (network, subnet)
        self.cidr: dict[str, IPv4Network] = {}  # subnet name -> parsed range
        self.instances: dict[str, Instance] = {}
        self.nics: list[NicInfo] = []
        self.routers: dict[str, CloudRouter] = {}
        self.nats: dict[str, tuple[CloudRouter, CloudNat]] = {}
        self.gateways: dict[str, VpnGateway] = {}
        self.tunnels: dict[str, tuple[VpnGateway, VpnTunnel]] = {}
        self.attachments: dict[str, InterconnectAttachment] = {}
        # (network, tag) / (network, service account) -> primary IPs of member NICs
        self.tag_ips: dict[tuple[str, str], list[IPv4Address]] = defaultdict(list)
        self.sa_ips: dict[tuple[str, str], list[IPv4Address]] = defaultdict(list)
        for pname, project in gcp.projects.items():
            for name, net in project.networks.items():
                self.networks.setdefault(name, net)
                self.project_of.setdefault(name, pname)
                for s in net.subnets:
                    self.subnets.setdefault(s.name, (name, s))
                    cidr = safe_net(s.cidr)
                    if cidr is not None:
                        self.cidr.setdefault(s.name, cidr)
        for project in gcp.projects.values():
            for vm in project.instances:
                self.instances.setdefault(vm.name, vm)
                self._nics(vm)
            for r in project.routers:
                self.routers.setdefault(r.name, r)
                for nat in r.nats:
                    self.nats.setdefault(nat.name, (r, nat))
            for gw in project.vpn_gateways:
                self.gateways.setdefault(gw.name, gw)
                for t in gw.tunnels:
                    self.tunnels.setdefault(t.name, (gw, t))
            for a in project.interconnect_attachments:
                self.attachments.setdefault(a.name, a)

    def _nics(self, vm: Instance) -> None:
        for i, (obj, subnet, ip, ext) in enumerate(vm.nics()):
            network, s = self.subnets.get(subnet, ("", None))
            info = NicInfo(vm, i, obj, subnet, network, s.region if s else "", safe_ip(ip), ext)
            self.nics.append(info)
            if not network or info.ip is None:
                continue
            for tag in vm.tags:
                self.tag_ips[(network, tag)].append(info.ip)
            if vm.service_account:
                self.sa_ips[(network, vm.service_account)].append(info.ip)

    def nics_in(self, network: str) -> list[NicInfo]:
        return [n for n in self.nics if n.network == network]

    def subnets_of(self, network: str) -> list[Subnet]:
        net = self.networks.get(network)
        return list(net.subnets) if net else []

    def peer_side(self, network: str, p: Peering) -> Peering | None:
        """The peer network's peering back to `network`: present means ACTIVE."""
        other = self.networks.get(p.network)
        if other is None:
            return None
        return next((q for q in other.peerings if q.network == network), None)

    def active_peerings(self, network: str) -> list[tuple[Peering, Peering]]:
        """(this side, the other side) of every ACTIVE peering of `network`."""
        net = self.networks.get(network)
        out = []
        for p in net.peerings if net else []:
            q = self.peer_side(network, p)
            if q is not None and p.network != network:
                out.append((p, q))
        return out

    def router_nodes(self, router: str) -> list[tuple[str, object]]:
        """The VPN gateways and attachments a Cloud Router holds BGP sessions for."""
        out: dict[str, object] = {}
        for gw, t in self.tunnels.values():
            if t.router == router:
                out.setdefault(gw.name, gw)
        for a in self.attachments.values():
            if a.router == router:
                out.setdefault(a.name, a)
        return list(out.items())

    def nat_for(self, nic: NicInfo) -> CloudNat | None:
        """The Cloud NAT serving a NIC without an external IP: same network and region,
        covering its subnet."""
        if nic.external_ip:
            return None
        for r, nat in self.nats.values():
            if r.network == nic.network and r.region == nic.region and \
                    (nat.subnets == "all" or nic.subnet in nat.subnets):
                return nat
        return None
