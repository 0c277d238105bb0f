"""Terraform's GCP resources (hashicorp/google) as the GCP topology model.

Names are GCP's (`name`) where one object of the import has it (a subnetwork name used in
several regions is qualified with the region, as the Compute importer does), else the resource
address.  Every object is placed at its resource.

Semantics taken from the provider, not from GCP alone:
- a network Terraform creates has auto_create_subnetworks = true unless told otherwise: its
  subnetworks are then GCP's, not Terraform's, and are reported as not modelled;
- delete_default_routes_on_create removes the 0.0.0.0/0 route to the internet gateway;
- an access_config block without nat_ip is an ephemeral external address, and a Cloud NAT
  with AUTO_ONLY allocation gets addresses at apply: both placeholders from 198.18.0.0/15;
- an HA VPN tunnel ends at an external VPN gateway: the on-premises site it stands for is added
  to the topology (Terraform does not say its LAN: a placeholder), its ASN the BGP peer's.
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ...providers.gcp.model import (CloudNat, CloudRouter, FirewallRule, Gcp, Instance, Network,
                                    Nic, Peering, Project, Protocol, Route, Subnet, VpnGateway,
                                    VpnTunnel)
from .base import Mapping
from ...diagnostics import format_path
from .resolve import Resource, Unknown, placeholder_ip

NETWORK, SUBNET = "google_compute_network", "google_compute_subnetwork"
INSTANCE, ADDRESS = "google_compute_instance", "google_compute_address"
ROUTER, TUNNEL = "google_compute_router", "google_compute_vpn_tunnel"
HA_GW, EXT_GW = "google_compute_ha_vpn_gateway", "google_compute_external_vpn_gateway"
PROJECT, REGION = "default-project", "default-region"  # when the provider block decides
INTERNET_GATEWAY = "default-internet-gateway"
NOT_MODELLED = {
    "google_compute_forwarding_rule": "load balancers are not modelled",
    "google_compute_backend_service": "load balancers are not modelled",
    "google_compute_network_firewall_policy": "firewall policies are not modelled",
    "google_compute_firewall_policy": "firewall policies are not modelled",
    "google_compute_vpn_gateway": "Classic VPN is not modelled (HA VPN is)",
    "google_compute_interconnect_attachment": "Interconnect attachments are not imported "
                                              "from Terraform (the site side is not described)",
    "google_compute_shared_vpc_host_project": "Shared VPC is not modelled",
    "google_compute_global_address": "global addresses serve load balancers and private "
                                     "services access: not modelled",
    ADDRESS: "used by nothing the import models",
}


def _ports(v: Any) -> list:
    return [int(p) if isinstance(p, str) and p.isdigit() else p
            for p in (v if isinstance(v, list) else [])]


class GcpImport(Mapping):
    PREFIX = "google_"
    NAMED = (NETWORK, ROUTER, INSTANCE, HA_GW, TUNNEL, EXT_GW, "google_compute_router_nat",
             "google_compute_network_peering")

    def __init__(self, resources: list[Resource], report):
        super().__init__(resources, report)
        subnets = self.by_type.get(SUBNET, [])
        seen = defaultdict(int)
        for r in subnets:
            seen[r.values.get("name")] += 1
        for r in subnets:  # a name used in several regions: region/name
            n, region = r.values.get("name"), r.values.get("region")
            if isinstance(n, str) and n:
                self.names[r.address] = n if seen[n] == 1 else f"{region}/{n}" if isinstance(
                    region, str) else r.address
        self.projects: dict[str, Project] = {}
        self.networks: dict[str, tuple[Project, Network]] = {}
        self.subnets: dict[str, tuple[str, Subnet]] = {}  # address -> (network address, subnet)
        self.routers: dict[str, CloudRouter] = {}
        self.gateways: dict[str, VpnGateway] = {}
        self.addresses: dict[str, str] = {}  # address resource -> its (placeholder) address
        self.private_taken: set[IPv4Address] = set()
        self.defaulted: set[str] = set()

    def narrow(self, res: Resource, value: str, found: list[str]) -> list[str]:
        region = res.values.get("region")
        if "/regions/" in value:
            region = value.split("/regions/")[1].split("/")[0]
        if not isinstance(region, str):
            return found
        return [a for a in found if self.by_addr[a].values.get("region") in (None, region)] \
            or found

    def project(self, r: Resource) -> Project:
        return self.projects.setdefault(self.default(r, "project", PROJECT), Project())

    def default(self, r: Resource, key: str, fallback: str) -> str:
        """The resource's project or region; the provider block's (not read) if unset."""
        v = self.text(r, key)
        if v is None and key not in self.defaulted:
            self.defaulted.add(key)
            self.report.note(r, f"no {key} argument: the provider block's {key} (not read), "
                                f"modelled as '{fallback}' for every resource without one", key)
        return v or fallback

    # ---- the run -------------------------------------------------------------------------

    def run(self) -> Gcp | None:
        if not self.by_addr:
            return None
        for step in (self.network, self.subnetwork, self.firewall, self.router, self.nat,
                     self.vpn, self.peering, self.instance, self.route):
            step()
        self.report_unused(NOT_MODELLED)
        return Gcp(projects=self.projects)

    # ---- networks ------------------------------------------------------------------------

    def network(self) -> None:
        for r in self.each(NETWORK):
            auto = self.flag(r, "auto_create_subnetworks", True)
            if auto:
                self.report.skip(r, "auto mode: GCP creates its subnetworks (one per region in "
                                    "10.128.0.0/9), Terraform does not describe them",
                                 "auto_create_subnetworks")
            n = self.make(Network, r, mode="auto" if auto else "custom",
                          routing_mode=str(r.values.get("routing_mode") or "regional").lower(),
                          default_internet_route=not self.flag(
                              r, "delete_default_routes_on_create", False))
            if n:
                project = self.project(r)
                project.networks[self.name(r.address)] = n
                self.networks[r.address] = (project, n)

    def network_of(self, r: Resource, key: str = "network") -> str | None:
        a = self.ref(r, r.values.get(key), (NETWORK,), "network", key)
        return a if a in self.networks else None

    def subnetwork(self) -> None:
        for r in self.each(SUBNET):
            n = self.network_of(r)
            purpose = str(r.values.get("purpose") or "PRIVATE").upper()
            if purpose not in ("PRIVATE", "PRIVATE_RFC_1918"):
                self.report.skip(r, f"{purpose} subnetworks serve load balancers or NAT "
                                    "services: not modelled", "purpose")
                continue
            for i, _ in self.blocks(r, "secondary_ip_range"):
                self.report.skip(r, "secondary ranges (alias IPs) are not modelled",
                                 "secondary_ip_range", i)
            c = self.cidr(r, r.values.get("ip_cidr_range"), "range", "ip_cidr_range")
            if n and c and (s := self.make(Subnet, r, name=self.name(r.address),
                                           region=self.default(r, "region", REGION), cidr=c)):
                self.networks[n][1].subnets.append(s)
                self.subnets[r.address] = (n, s)

    def firewall(self) -> None:
        for r in self.each("google_compute_firewall"):
            n = self.network_of(r)
            if n is None:
                continue
            action = "deny" if self.blocks(r, "deny") else "allow"
            protocols = [self.make(Protocol, r, action, i, ports=_ports(b.get("ports")),
                                   protocol=str(b.get("protocol")).lower())
                         for i, b in self.blocks(r, action)]
            if None in protocols:  # reported: the rule would match more than written
                continue
            direction = str(r.values.get("direction") or "INGRESS").lower()
            ranges = self.ranges(r, direction)
            if ranges is None:
                continue
            lists = {k: [x for x in v if isinstance(x, str)] if isinstance(v, list) else []
                     for k in ("source_tags", "target_tags", "source_service_accounts",
                               "target_service_accounts") for v in [r.values.get(k)]}
            rule = self.make(FirewallRule, r, name=self.text(r, "name", r.address),
                             priority=self.number(r, "priority", 1000), direction=direction,
                             action=action, protocols=protocols,
                             disabled=self.flag(r, "disabled", False), **ranges, **lists)
            if rule:
                self.networks[n][1].firewall_rules.append(rule)

    def ranges(self, r: Resource, direction: str) -> dict[str, list[str]] | None:
        out = {}
        for key in ("source_ranges", "destination_ranges"):
            values = r.values.get(key)
            if isinstance(values, Unknown) or any(isinstance(v, Unknown) for v in values or []):
                self.report.skip(r, f"its {key} are known only after apply", key)
                return None
            out[key] = [c for i, v in enumerate(values or [])
                        if (c := self.cidr(r, v, "range", key, i))]
        # A rule filters on the ranges of its direction only (the model refuses the others):
        # say so rather than keep what does not filter.
        wrong = "source_ranges" if direction == "egress" else "destination_ranges"
        if out[wrong]:
            self.report.skip(r, f"{wrong} of an {direction} rule are not modelled", wrong)
            out[wrong] = []
        return out

    def route(self) -> None:
        for r in self.each("google_compute_route"):
            n = self.network_of(r)
            dest = self.cidr(r, r.values.get("dest_range"), "destination", "dest_range")
            if not (n and dest):
                continue
            v = r.values
            hop: dict[str, str] = {}
            if isinstance(v.get("next_hop_gateway"), str) and v["next_hop_gateway"]:
                if v["next_hop_gateway"].rsplit("/", 1)[-1] == INTERNET_GATEWAY:
                    hop["next_hop_gateway"] = INTERNET_GATEWAY
            elif v.get("next_hop_instance") is not None:
                if a := self.ref(r, v["next_hop_instance"], (INSTANCE,), "next hop instance",
                                 "next_hop_instance"):
                    hop["next_hop_instance"] = self.name(a)
            elif v.get("next_hop_vpn_tunnel") is not None:
                if a := self.ref(r, v["next_hop_vpn_tunnel"], (TUNNEL,), "next hop tunnel",
                                 "next_hop_vpn_tunnel"):
                    hop["next_hop_vpn_tunnel"] = self.name(a)
            elif isinstance(v.get("next_hop_ip"), str) and v["next_hop_ip"]:
                hop["next_hop_ip"] = v["next_hop_ip"]
            elif v.get("next_hop_ilb") is not None:
                self.report.skip(r, "routes to internal load balancers are not modelled",
                                 "next_hop_ilb")
                continue
            if not hop:
                self.report.skip(r, "no next hop the import models", "dest_range")
                continue
            tags = [t for t in v.get("tags") or [] if isinstance(t, str)]
            if route := self.make(Route, r, name=self.text(r, "name", r.address), destination=dest,
                    priority=self.number(r, "priority", 1000), tags=tags, **hop):
                self.networks[n][1].routes.append(route)

    def peering(self) -> None:
        for r in self.each("google_compute_network_peering"):
            n, peer = self.network_of(r), self.network_of(r, "peer_network")
            if n and peer and (p := self.make(
                    Peering, r, name=self.name(r.address), network=self.name(peer),
                    export_custom_routes=self.flag(r, "export_custom_routes", False),
                    import_custom_routes=self.flag(r, "import_custom_routes", False))):
                self.networks[n][1].peerings.append(p)

    # ---- addresses and instances -------------------------------------------------------------

    def address(self, r: Resource, value: Any, *sub: str | int) -> str | None:
        """An IP as written, or the one of the google_compute_address it names (a placeholder
        until apply)."""
        if isinstance(value, str) and value[:1].isdigit():
            for a in self.by_type.get(ADDRESS, []):
                if a.values.get("address") == value:
                    self.used.add(a.address)  # written in both places
            return value
        a = self.ref(r, value, (ADDRESS,), "address", *sub)
        if a is None:
            return None
        self.used.add(a)
        if a not in self.addresses:
            res = self.by_addr[a]
            self.addresses[a] = self.public_ip(res, "address", "reserved address") \
                if str(res.values.get("address_type") or "EXTERNAL").upper() == "EXTERNAL" \
                else self.private_ip(res, "address", self.subnet_of_address(res))
        return self.addresses[a]

    def subnet_of_address(self, r: Resource) -> str | None:
        s = self.ref(r, r.values.get("subnetwork"), (SUBNET,), "subnetwork", "subnetwork")
        return s if s in self.subnets else None

    def private_ip(self, r: Resource, key: str, subnet: str | None, *sub: str | int,
                   values: dict | None = None) -> str | None:
        v = (r.values if values is None else values).get(key)
        if isinstance(v, str) and v:
            return v
        if subnet is None:
            return None
        # GCP reserves the first two and the last two addresses of a subnet.
        ip = str(placeholder_ip(format_path((r.address, *sub)), IPv4Network(
            self.subnets[subnet][1].cidr), self.private_taken, 2, 2))
        self.report.placeholder(r, f"private address: placeholder {ip} (in the subnet, derived "
                                   "from the address)", *sub, key)
        return ip

    def instance(self) -> None:
        for r in self.by_addr.values():  # addresses written out are taken
            for _, nic in self.blocks(r, "network_interface"):
                try:
                    self.private_taken.add(IPv4Address(nic.get("network_ip")))
                except ValueError:
                    pass
        for r in self.each(INSTANCE):
            nics = [n for i, b in self.blocks(r, "network_interface")
                    if (n := self.nic(r, b, ("network_interface", i)))]
            if not nics:
                if not self.blocks(r, "network_interface"):
                    self.report.skip(r, "no network_interface")
                continue
            sa = self.block(r, "service_account").get("email")
            tags = [t for t in r.values.get("tags") or [] if isinstance(t, str)]
            common = dict(name=self.name(r.address), zone=self.text(r, "zone", ""), tags=tags,
                          service_account=sa if isinstance(sa, str) else None,
                          can_ip_forward=self.flag(r, "can_ip_forward", False))
            vm = self.make(Instance, r, **common, subnet=nics[0].subnet, ip=nics[0].ip,
                           external_ip=nics[0].external_ip) if len(nics) == 1 else \
                self.make(Instance, r, **common, interfaces=nics)
            if vm:
                self.project(r).instances.append(vm)

    def nic(self, r: Resource, b: dict, sub: tuple) -> Nic | None:
        if b.get("subnetwork") is None:
            self.report.skip(r, "no subnetwork: an auto mode network's subnetworks are not "
                                "modelled", *sub)
            return None
        s = self.ref(r, b.get("subnetwork"), (SUBNET,), "subnetwork", *sub, "subnetwork")
        if s not in self.subnets:
            return None
        ip = b.get("network_ip")
        if isinstance(ip, Unknown) and any(self.by_addr.get(a) and self.by_addr[a].type ==
                                           ADDRESS for a in ip.refs):
            ip = self.address(r, ip, *sub, "network_ip")
        ip = ip if isinstance(ip, str) and ip else self.private_ip(r, "network_ip", s, *sub,
                                                                   values=b)
        external = None
        for j, ac in self.blocks(b, "access_config")[:1]:  # GCP allows one
            nat = ac.get("nat_ip")
            if nat not in (None, ""):
                external = self.address(r, nat, *sub, "access_config", j, "nat_ip")
            else:  # no nat_ip: an ephemeral address
                external = self.public_ip(r, "nat_ip", "ephemeral external address", *sub,
                                          "access_config", j, values=ac)
        return self.make(Nic, r, *sub, subnet=self.subnets[s][1].name, ip=ip,
                         external_ip=external)

    # ---- Cloud Routers, NAT, HA VPN ------------------------------------------------------------

    def router(self) -> None:
        for r in self.each(ROUTER):
            n = self.network_of(r)
            if n is None:
                continue
            bgp = self.block(r, "bgp")
            custom = str(bgp.get("advertise_mode") or "DEFAULT").upper() == "CUSTOM"
            if bgp.get("advertised_groups"):
                self.report.skip(r, "advertised groups (all subnets) beside custom ranges are "
                                    "not modelled", "bgp", "advertised_groups")
            prefixes = [c for i, x in enumerate(bgp.get("advertised_ip_ranges") or [])
                        if isinstance(x, dict) and (c := self.cidr(
                            r, x.get("range"), "advertised range", "bgp", "advertised_ip_ranges",
                            i))]
            asn = bgp.get("asn")
            router = self.make(CloudRouter, r, name=self.name(r.address), network=self.name(n),
                               region=self.default(r, "region", REGION),
                               advertise_mode="custom" if custom else "default",
                               advertised_prefixes=prefixes if custom else [],
                               **({"asn": asn} if isinstance(asn, int) else {}))
            if router:
                self.networks[n][0].routers.append(router)
                self.routers[r.address] = router

    def router_of(self, r: Resource) -> CloudRouter | None:
        a = self.ref(r, r.values.get("router"), (ROUTER,), "Cloud Router", "router")
        return self.routers.get(a) if a else None

    def nat(self) -> None:
        for r in self.each("google_compute_router_nat"):
            router = self.router_of(r)
            if router is None:
                continue
            if str(r.values.get("nat_ip_allocate_option") or "").upper() == "MANUAL_ONLY":
                ips = [ip for i, x in enumerate(r.values.get("nat_ips") or [])
                       if (ip := self.address(r, x, "nat_ips", i))]
            else:  # AUTO_ONLY: GCP allocates at apply (the model needs an address)
                ips = [self.public_ip(r, "nat_ips", "automatically allocated NAT address")]
            which = str(r.values.get("source_subnetwork_ip_ranges_to_nat") or "").upper()
            subnets: Any = "all"
            if which == "LIST_OF_SUBNETWORKS":
                subnets = [self.subnets[s][1].name for i, b in self.blocks(r, "subnetwork")
                           if (s := self.ref(r, b.get("name"), (SUBNET,), "subnetwork",
                                             "subnetwork", i)) in self.subnets]
            if nat := self.make(CloudNat, r, name=self.name(r.address), subnets=subnets,
                                nat_ips=ips):
                router.nats.append(nat)

    def vpn(self) -> None:
        for r in self.each(HA_GW):
            n = self.network_of(r)
            ips = [x.get("ip_address") for _, x in self.blocks(r, "vpn_interfaces")]
            if n and (gw := self.make(VpnGateway, r, name=self.name(r.address),
                                      network=self.name(n),
                                      region=self.default(r, "region", REGION),
                                      interfaces=[i for i in ips if isinstance(i, str)])):
                self.networks[n][0].vpn_gateways.append(gw)
                self.gateways[r.address] = gw
        # A tunnel's BGP session: router interface (on the tunnel) <- router peer (its ASN).
        iface_tunnel: dict[tuple[str, str], str] = {}
        for r in self.each("google_compute_router_interface"):
            rt = self.ref(r, r.values.get("router"), (ROUTER,), "Cloud Router", "router")
            t = self.ref(r, r.values.get("vpn_tunnel"), (TUNNEL,), "VPN tunnel", "vpn_tunnel") \
                if r.values.get("vpn_tunnel") is not None else None
            if r.values.get("interconnect_attachment") is not None:
                self.report.skip(r, "Interconnect attachments are not imported from Terraform",
                                 "interconnect_attachment")
            if rt and t:
                iface_tunnel[(rt, str(r.values.get("name")))] = t
        session: dict[str, Resource] = {}
        for r in self.each("google_compute_router_peer"):
            rt = self.ref(r, r.values.get("router"), (ROUTER,), "Cloud Router", "router")
            t = iface_tunnel.get((rt, str(r.values.get("interface"))))
            if t is None:
                if rt:
                    self.report.skip(r, f"its interface {r.values.get('interface')} is on no "
                                        "VPN tunnel of the import", "interface")
                continue
            session[t] = r
        for r in self.each(TUNNEL):
            gw = self.ref(r, r.values.get("vpn_gateway"), (HA_GW,), "HA VPN gateway "
                          "(Classic VPN is not modelled)", "vpn_gateway")
            if r.values.get("peer_gcp_gateway") is not None:
                self.report.skip(r, "HA VPN between GCP networks is not modelled",
                                 "peer_gcp_gateway")
                continue
            ext = self.ref(r, r.values.get("peer_external_gateway"), (EXT_GW,),
                           "peer external gateway", "peer_external_gateway")
            router = self.router_of(r)
            if not (gw in self.gateways and ext and router):
                continue
            peer = session.get(r.address)
            asn = peer.values.get("peer_asn") if peer else None
            site = self.site(self.by_addr[ext], self.name(ext), [],
                             asn if isinstance(asn, int) else None, None, self.gcp_ranges)
            self.used.add(ext)
            prio = self.number(peer, "advertised_route_priority", 100) if peer else 100
            if t := self.make(VpnTunnel, r, name=self.name(r.address),
                              interface=self.number(r, "vpn_gateway_interface", 0),
                              router=router.name, peer=site, advertised_priority=prio):
                self.gateways[gw].tunnels.append(t)

    def gcp_ranges(self) -> list[IPv4Network]:
        return [IPv4Network(s.cidr) for _, s in self.subnets.values()]

