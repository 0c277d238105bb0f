"""GCP rules a topology must obey before it is compiled, reported all at once, each on the
model object holding the bad field (file, line, field).  Uses the AWS validator's `Checks`."""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network
from typing import Iterator

from ...diagnostics import Diagnostic
from ...model.base import ModelObject
from ..aws.validate import Checks, where
from ..onprem.model import Site
from .firewall import PORTED, port_range, protocol_number
from .index import GcpIndex
from .model import FirewallRule, Gcp, Network, Route

MIN_SUBNET = 29
MAX_PRIORITY = 65535
PRIVATE_ASNS = ((64512, 65534), (4200000000, 4294967294))
PARTNER_ASN = 16550  # Cloud Routers of Partner Interconnect attachments use it


def gcp_nodes(gcp: Gcp) -> Iterator[tuple[str, str, ModelObject, tuple]]:
    """(name, kind, object, field) of every GCP object that becomes a node (or names a link
    interface on a site router)."""
    for project in gcp.projects.values():
        for name, net in project.networks.items():
            yield name, "VPC network", net, ()
            yield from ((p.name, "peering", p, ("name",)) for p in net.peerings)
        yield from ((i.name, "instance", i, ("name",)) for i in project.instances)
        for r in project.routers:
            yield from ((n.name, "Cloud NAT", n, ("name",)) for n in r.nats)
        for gw in project.vpn_gateways:
            yield gw.name, "HA VPN gateway", gw, ("name",)
            yield from ((t.name, "VPN tunnel", t, ("name",)) for t in gw.tunnels)
        yield from ((a.name, "Interconnect attachment", a, ("name",))
                    for a in project.interconnect_attachments)


def validate_gcp(gcp: Gcp, sites: dict[str, Site]) -> list[Diagnostic]:
    v = _GcpChecks(gcp, sites)
    v.run()
    return v.out


class _GcpChecks(Checks):
    def __init__(self, gcp: Gcp, sites: dict[str, Site]):
        super().__init__()
        self.gcp = gcp
        self.ix = GcpIndex(gcp)
        # A tunnel or attachment may name a site's router by the router's or the site's name.
        self.site_asn = {s.router.name: s.router.asn for s in sites.values()}
        self.site_asn.update({name: s.router.asn for name, s in sites.items()})
        self.public: dict[IPv4Address, tuple[str, ModelObject, str]] = {}
        self.nat_served: dict[str, str] = {}  # subnet -> the Cloud NAT serving it

    def run(self) -> None:
        seen_nets: dict[str, ModelObject] = {}
        for pname, project in self.gcp.projects.items():
            for name, net in project.networks.items():
                if name in seen_nets:
                    self.error(net, f"network '{name}' is already defined at "
                                    f"{where(seen_nets[name])}")
                seen_nets.setdefault(name, net)
        self.unique((s for p in self.gcp.projects.values() for n in p.networks.values()
                     for s in n.subnets), "subnet")
        self.unique((r for p in self.gcp.projects.values() for r in p.routers), "Cloud Router")
        for project in self.gcp.projects.values():
            for name, net in project.networks.items():
                self.network(name, net)
        self.instances()
        for project in self.gcp.projects.values():
            for r in project.routers:
                self.router(r)
            for gw in project.vpn_gateways:
                self.vpn_gateway(gw)
            for a in project.interconnect_attachments:
                self.attachment(a)

    # ---- networks ------------------------------------------------------------------------

    def network(self, name: str, net: Network) -> None:
        placed: list[tuple[ModelObject, IPv4Network]] = []
        for s in net.subnets:
            cidr = self.cidr(s, s.cidr, "cidr")
            if cidr is None:
                continue
            if cidr.prefixlen > MIN_SUBNET:
                self.error(s, f"{cidr} is too small for a subnet (GCP's minimum is /29)", "cidr")
            for other, other_net in placed:
                if other_net.overlaps(cidr):
                    self.error(s, f"{cidr} overlaps subnet {other.name} ({other_net}) in "
                                  f"network {name}", "cidr")
                    break
            placed.append((s, cidr))
        self.unique(net.firewall_rules, "firewall rule")
        for rule in net.firewall_rules:
            self.firewall_rule(name, rule)
        self.unique(net.routes, "route")
        for r in net.routes:
            self.route(name, r)
        self.peerings(name, net)

    def priority(self, obj: ModelObject, value: int, field: str = "priority") -> None:
        if not 0 <= value <= MAX_PRIORITY:
            self.error(obj, f"priority {value} is outside 0-65535", field)

    def firewall_rule(self, network: str, rule: FirewallRule) -> None:
        self.priority(rule, rule.priority)
        for p in rule.protocols:
            n = protocol_number(p.protocol)
            if n is None:
                self.error(p, f"protocol '{p.protocol}' is not tcp, udp, icmp, esp, ah, sctp, "
                              "ipip, all or a protocol number 0-255", "protocol")
            for k, port in enumerate(p.ports):
                if port_range(port) is None:
                    self.error(p, f"port '{port}' is not a port 0-65535 or a range 'lo-hi'",
                               "ports", k)
            if p.ports and n is not None and n not in PORTED:
                self.error(p, f"ports apply to tcp, udp and sctp only, not {p.protocol}", "ports")
        for field in ("source_ranges", "destination_ranges"):
            for j, c in enumerate(getattr(rule, field)):
                self.cidr(rule, c, field, j)
        if rule.direction == "egress":
            for field in ("source_ranges", "source_tags", "source_service_accounts"):
                if getattr(rule, field):
                    self.error(rule, f"an egress rule has no {field} (use destination_ranges)",
                               field)
        elif rule.destination_ranges:
            self.error(rule, "destination_ranges apply to egress rules only (ingress "
                             "destination filtering is not modelled)", "destination_ranges")
        if rule.target_tags and rule.target_service_accounts:
            self.error(rule, "give target_tags or target_service_accounts, not both",
                       "target_service_accounts")
        if rule.source_tags and rule.source_service_accounts:
            self.error(rule, "give source_tags or source_service_accounts, not both",
                       "source_service_accounts")
        self.members(network, rule, "source_tags", self.ix.tag_ips, "tag")
        self.members(network, rule, "source_service_accounts", self.ix.sa_ips, "service account")

    def members(self, network: str, rule: FirewallRule, field: str, index: dict,
                what: str) -> None:
        """Tags and service accounts stand for VMs of the rule's own network only."""
        for j, name in enumerate(getattr(rule, field)):
            if index.get((network, name)):
                continue
            peers = sorted(p.network for p in self.ix.networks[network].peerings
                           if index.get((p.network, name)))
            if peers:
                self.warn(rule, f"{what} '{name}' is only on VMs of peered network "
                                f"{', '.join(peers)}: a peered network's {what}s cannot be "
                                "used in firewall rules, so it matches nothing", field, j)
            else:
                self.warn(rule, f"no VM in network {network} has {what} '{name}': it matches "
                                "nothing", field, j)

    def route(self, network: str, r: Route) -> None:
        self.priority(r, r.priority)
        dest = self.cidr(r, r.destination, "destination")
        hop = r.next_hop()
        if hop is None:
            self.error(r, "a route needs exactly one of next_hop_instance, next_hop_ip, "
                          "next_hop_gateway or next_hop_vpn_tunnel")
        elif hop[0] == "instance":
            vms = {n.vm.name for n in self.ix.nics_in(network)}
            self.ref(r, hop[1], vms, "instance", "next_hop_instance",
                     scope=f" with an interface in network {network}")
        elif hop[0] == "ip":
            ip = self.ip(r, hop[1], "next_hop_ip")
            if ip is not None and not any(n.ip == ip for n in self.ix.nics_in(network)):
                self.error(r, f"no VM interface in network {network} has {ip}", "next_hop_ip")
        elif hop[0] == "vpn_tunnel":
            tunnels = {t for t, (gw, _) in self.ix.tunnels.items() if gw.network == network}
            self.ref(r, hop[1], tunnels, "VPN tunnel", "next_hop_vpn_tunnel",
                     scope=f" on a gateway of network {network}")
        if dest is None:
            return
        nets = [network] + [p.network for p in self.ix.networks[network].peerings]
        for n in nets:
            for s in self.ix.subnets_of(n):
                cidr = self.ix.cidr.get(s.name)
                if cidr is not None and dest.subnet_of(cidr):
                    self.error(r, f"{dest} {'is' if dest == cidr else 'is inside'} the range of "
                                  f"subnet {s.name} ({cidr}): GCP rejects static routes that "
                                  "match or fit in a subnet route", "destination")
                    return

    def peerings(self, name: str, net: Network) -> None:
        seen: dict[str, ModelObject] = {}
        for p in net.peerings:
            if not self.ref(p, p.network, self.ix.networks, "network", "network"):
                continue
            if p.network == name:
                self.error(p, f"a network cannot peer with itself ({name})", "network")
                continue
            if p.network in seen:
                self.error(p, f"network {name} already peers with {p.network} (at "
                              f"{where(seen[p.network], 'network')})", "network")
                continue
            seen[p.network] = p
            other = self.ix.networks[p.network]
            if net.mode == "auto" and other.mode == "auto":
                self.error(p, "two auto mode networks cannot peer (their ranges overlap)",
                           "network")
            if self.ix.peer_side(name, p) is None:
                self.warn(p, f"peering is INACTIVE: network {p.network} has no peering back to "
                             f"{name}, so nothing is exchanged", "network")
            for s in net.subnets:
                mine = self.ix.cidr.get(s.name)
                for o in other.subnets:
                    theirs = self.ix.cidr.get(o.name)
                    if mine is not None and theirs is not None and mine.overlaps(theirs):
                        self.error(p, f"subnet {s.name} ({mine}) overlaps subnet {o.name} "
                                      f"({theirs}) of {p.network}: peered networks may not "
                                      "overlap", "network")

    # ---- instances -----------------------------------------------------------------------

    def instances(self) -> None:
        used: dict[tuple[str, IPv4Address], tuple[str, ModelObject]] = {}
        private_of_public: dict[IPv4Address, tuple[str, ModelObject]] = {}
        networks_of: dict[str, dict[str, ModelObject]] = defaultdict(dict)
        for nic in self.ix.nics:
            obj, owner = nic.holder, f"instance {nic.vm.name}"
            if not self.ref(obj, nic.subnet, self.ix.subnets, "subnet", "subnet"):
                continue
            if nic.network in networks_of[nic.vm.name]:
                self.error(obj, f"{nic.vm.name} already has an interface in network "
                                f"{nic.network}: each NIC needs its own network", "subnet")
            networks_of[nic.vm.name].setdefault(nic.network, obj)
            ip = self.ip(obj, obj.ip, "ip")
            if ip is None:
                continue
            cidr = self.ix.cidr.get(nic.subnet)
            if cidr is not None:
                self.reserved(obj, ip, cidr, nic.subnet)
            if (nic.network, ip) in used:
                first_owner, first = used[(nic.network, ip)]
                self.error(obj, f"{ip} is already used by {first_owner} at {where(first, 'ip')}",
                           "ip")
            used.setdefault((nic.network, ip), (owner, obj))
            if nic.external_ip is not None:
                if self.public_ip(obj, "external_ip", nic.external_ip, owner) and \
                        ip in private_of_public:
                    other, first = private_of_public[ip]
                    self.error(obj, f"{other} at {where(first, 'ip')} also has {ip} and an "
                                    "external IP: the GCP edge cannot tell their 1:1 NAT apart "
                                    "(not modelled)", "external_ip")
                private_of_public.setdefault(ip, (owner, obj))

    def reserved(self, obj: ModelObject, ip: IPv4Address, cidr: IPv4Network, subnet: str) -> None:
        if ip not in cidr:
            self.error(obj, f"{ip} is outside subnet {subnet} ({cidr})", "ip")
            return
        roles = {cidr.network_address: "the network address",
                 cidr.network_address + 1: "the gateway (second address)",
                 cidr.broadcast_address - 1: "reserved by GCP (second-to-last address)",
                 cidr.broadcast_address: "the broadcast address"}
        if ip in roles:
            self.error(obj, f"{ip} is reserved in subnet {subnet} ({cidr}): {roles[ip]}", "ip")

    def public_ip(self, obj: ModelObject, field: str, text, owner: str, *sub) -> bool:
        ip = self.ip(obj, text, field, *sub)
        if ip is None:
            return False
        if ip in self.public:
            first_owner, first, first_field = self.public[ip]
            self.error(obj, f"external IP {ip} is already used by {first_owner} at "
                            f"{where(first, first_field)}", field, *sub)
            return False
        self.public[ip] = (owner, obj, field)
        return True

    # ---- Cloud Routers, NAT, VPN, Interconnect ---------------------------------------------

    def router(self, r) -> None:
        if not self.ref(r, r.network, self.ix.networks, "network", "network"):
            return
        if not any(lo <= r.asn <= hi for lo, hi in PRIVATE_ASNS) and r.asn != PARTNER_ASN:
            self.error(r, f"ASN {r.asn} is not a private ASN (64512-65534, "
                          "4200000000-4294967294) or 16550", "asn")
        if r.advertise_mode == "custom":
            for j, p in enumerate(r.advertised_prefixes):
                self.cidr(r, p, "advertised_prefixes", j)
        elif r.advertised_prefixes:
            self.warn(r, "advertised_prefixes apply in custom advertise_mode only; ignored",
                      "advertised_prefixes")
        regional = {s.name for s in self.ix.subnets_of(r.network) if s.region == r.region}
        for nat in r.nats:
            if not nat.nat_ips:
                self.error(nat, "give nat_ips (automatic NAT IP allocation is not modelled)",
                           "nat_ips")
            for j, ip in enumerate(nat.nat_ips):
                self.public_ip(nat, "nat_ips", ip, f"Cloud NAT {nat.name}", j)
            for j, s in enumerate([] if nat.subnets == "all" else nat.subnets):
                self.ref(nat, s, regional, "subnet", "subnets", j,
                         scope=f" of network {r.network} in {r.region}")
            for s in sorted(regional) if nat.subnets == "all" else nat.subnets:
                if s in self.nat_served and self.nat_served[s] != nat.name:
                    self.error(nat, f"subnet {s} is already served by Cloud NAT "
                                    f"{self.nat_served[s]}: a subnet uses one NAT gateway",
                               "subnets")
                self.nat_served.setdefault(s, nat.name)

    def vpn_gateway(self, gw) -> None:
        if not self.ref(gw, gw.network, self.ix.networks, "network", "network"):
            return
        if len(gw.interfaces) > 2:
            self.error(gw, "an HA VPN gateway has two interfaces", "interfaces")
        for j, ip in enumerate(gw.interfaces):
            self.public_ip(gw, "interfaces", ip, f"HA VPN gateway {gw.name}", j)
        routers = {t.router for t in gw.tunnels}
        for t in gw.tunnels:
            if not self.ref(t, t.router, self.ix.routers, "Cloud Router", "router"):
                continue
            r = self.ix.routers[t.router]
            if r.network in self.ix.networks and (r.network, r.region) != (gw.network, gw.region):
                self.error(t, f"Cloud Router {r.name} is in {r.network}/{r.region}, the gateway "
                              f"in {gw.network}/{gw.region}", "router")
            if len(routers) > 1:
                self.error(t, f"the tunnels of {gw.name} use Cloud Routers "
                              f"{', '.join(sorted(routers))}: one router per gateway is "
                              "modelled", "router")
            self.session(t, r)

    def attachment(self, a) -> None:
        if a.bandwidth_mbps <= 0:
            self.error(a, "bandwidth must be positive", "bandwidth_mbps")
        if self.ref(a, a.router, self.ix.routers, "Cloud Router", "router"):
            self.session(a, self.ix.routers[a.router])

    def session(self, obj, r) -> None:
        self.priority(obj, obj.advertised_priority, "advertised_priority")
        if not self.ref(obj, obj.peer, self.site_asn, "on-premises site or site router", "peer"):
            return
        asn = self.site_asn[obj.peer]
        if asn is None:
            self.warn(obj, f"site router {obj.peer} speaks no BGP (give it an asn): nothing is "
                           "exchanged, so no traffic uses this link", "peer")
        elif asn == r.asn:
            self.error(obj, f"the site's ASN {asn} equals Cloud Router {r.name}'s: the session "
                            "must be eBGP", "peer")
