"""GCP semantics, compiled into IR.  Every GCP-specific rule lives here (and in firewall.py).

Node layout:
  instance --p2p-- VPC network router --p2p-- gcp-edge / Cloud NAT / HA VPN / attachment / peering
  gcp-edge --p2p-- internet;  HA VPN / attachment --p2p-- site router
- GCP programs routes per VM, and a route's network tags select VMs; the network router
  therefore has one interface per VM NIC, and that interface selects the VM's view of the
  routing table: one table per (region, route tags the VM carries, internet access).  The
  region matters to dynamic routes (regional routing mode), the internet access to the
  default-internet-gateway next hop (external IP: gcp-edge; no external IP: the Cloud NAT
  covering the subnet, else nothing).
- Firewall rules are enforced per VM, also between VMs of one subnet: each NIC carries its
  stateful first-match filters (firewall.py); every packet, even within a subnet, crosses
  the network router, so nothing bypasses them.
- Selection inside a view: subnet routes (static routes in subnet ranges are rejected by
  validation), then the longest prefix, then the lowest priority, encoded as preference
  (1, priority); equal-cost routes keep one deterministic winner and say so.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from ...ir import build
from ...ir.model import (Action, BgpNeighbor, BgpSession, BgpSpeaker, Filter, FilterMode,
                         Install, Match, NatKind, NatRule, Network, Node, NodeKind, PortRange,
                         Provenance, Route, Rule)
from .. import internet as inet
from ..onprem.compile import site_neighbor
from . import firewall
from .index import GcpIndex, NicInfo
from .model import CloudNat, CloudRouter, Gcp, Instance

EDGE = "gcp-edge"
ANY = IPv4Network("0.0.0.0/0")
SUBNET = (0,)  # subnet routes come before every custom route
# Google adds a region-to-region cost (201-9999) to dynamic routes used from another region
# in global routing mode; the documented minimum stands in for the real, unpublished value.
INTER_REGION_COST = 201
EXTERNAL, TRANSIT, NO_INTERNET = "external-ip", "transit", "no-internet"
DYNAMIC = "dynamic (BGP)"


def compile_gcp(gcp: Gcp, net: Network, site_routers: dict[str, str]) -> None:
    """site_routers: the names a tunnel or attachment may use for a site's router -> node id."""
    _Compiler(gcp, net, site_routers).run()


def router_id(name: str) -> IPv4Address:
    """A stable BGP router id for a gateway that has no address of its own."""
    return IPv4Address(int(hashlib.sha1(name.encode()).hexdigest()[:8], 16))


@dataclass
class _Static:
    """A custom static route (or the system default route) as one view sees it."""

    prefix: IPv4Network
    priority: int
    hop: tuple[str, str]  # (instance | ip | gateway | vpn_tunnel, value)
    tags: frozenset[str]
    provenance: Provenance
    peering: str = ""  # imported over this peering (the router's interface toward it)
    peer_network: str = ""

    @property
    def label(self) -> str:
        if self.peering:
            return f"peering {self.peering}"
        kind, value = self.hop
        return value if kind == "gateway" else f"{kind.replace('_', ' ')} {value}"


class _Compiler:
    def __init__(self, gcp: Gcp, net: Network, site_routers: dict[str, str]):
        self.gcp, self.net, self.site_routers = gcp, net, site_routers
        self.ix = GcpIndex(gcp)
        # network -> table name -> (region, route tags, internet access)
        self.views: dict[str, dict[str, tuple[str, frozenset[str], str]]] = defaultdict(dict)
        self.route_tags = {name: {t for r in n.routes for t in r.tags}
                           for name, n in self.ix.networks.items()}
        self.fw_cache: dict[tuple, tuple[str, str]] = {}
        self.external: list[tuple[IPv4Address, NicInfo, Provenance]] = []

    def run(self) -> None:
        if not self.ix.networks:
            return
        self.edge()
        for name, network in self.ix.networks.items():
            self.network(name, network)
        by_vm: dict[str, list[NicInfo]] = defaultdict(list)
        for nic in self.ix.nics:
            by_vm[nic.vm.name].append(nic)
        for nics in by_vm.values():
            self.instance(nics[0].vm, nics)
        for r, nat in self.ix.nats.values():
            self.cloud_nat(r, nat)
        for gw in self.ix.gateways.values():
            self.vpn_gateway(gw)
        for a in self.ix.attachments.values():
            self.attachment(a)
        for name in self.ix.networks:
            for p, q in self.ix.active_peerings(name):
                self.peering(name, p, q)
        for name in self.ix.networks:
            self.tables(name)
        self.bgp()
        self.public_addresses()

    # ---- networks and instances ------------------------------------------------------------

    def network(self, name: str, network) -> None:
        prov = network.provenance(f"VPC network {name} (global)")
        self.net.add_node(Node(name, NodeKind.ROUTER, "gcp", "vpc-network", provenance=prov,
                               origin_table="edge", attrs={
                                   "project": self.ix.project_of[name],
                                   "routing_mode": network.routing_mode}))
        build.p2p(self.net, (EDGE, name), (name, EDGE), prov, a_table="from-cloud",
                  b_table="edge")

    def view(self, network: str, region: str, tags: frozenset[str], access: str) -> str:
        tagged = f" [{','.join(sorted(tags))}]" if tags else ""
        name = f"{region}{tagged} {access}"
        self.views[network][name] = (region, tags, access)
        return name

    def access(self, nic: NicInfo) -> str:
        if nic.external_ip:
            return EXTERNAL
        nat = self.ix.nat_for(nic)
        return f"nat:{nat.name}" if nat else NO_INTERNET

    def instance(self, vm: Instance, nics: list[NicInfo]) -> None:
        first = nics[0]
        node = self.net.add_node(Node(
            vm.name, NodeKind.ROUTER if vm.can_ip_forward else NodeKind.HOST, "gcp", "instance",
            provenance=vm.provenance(f"instance {vm.name}"), origin_table="main", accepts=True,
            attrs={"network": first.network, "subnet": first.subnet, "region": first.region,
                   "zone": vm.zone}))
        main = build.table(node, "main")
        tags = frozenset(vm.tags)
        for nic in nics:
            prov = nic.holder.provenance(f"network interface {nic.name} of {vm.name}")
            cidr = self.ix.cidr[nic.subnet]
            iface = build.add_iface(node, nic.name, "main", [(nic.ip, cidr)], prov)
            iface.in_filters.append(self.fw(nic.network, tags, vm.service_account)[0])
            if not vm.can_ip_forward:
                iface.out_filters.append(self.net.add_filter(
                    firewall.source_check(vm.name, nic.name, nic.ip, prov)))
            iface.out_filters.append(self.fw(nic.network, tags, vm.service_account)[1])
            # The guest's own routes: everything via nic0, other NICs only their subnet.
            main.routes.append(build.forward(ANY if nic.index == 0 else cidr, nic.name, prov,
                                             kind="default" if nic.index == 0 else "connected",
                                             target=nic.network))
            view = self.view(nic.network, nic.region, tags & self.route_tags[nic.network],
                             self.access(nic))
            build.p2p(self.net, (vm.name, nic.name), (nic.network, nic.port), prov,
                      b_table=view)
            if nic.external_ip:
                self.external.append((IPv4Address(nic.external_ip), nic, nic.holder.provenance(
                    f"external IP {nic.external_ip} of {vm.name} {nic.name}", "external_ip")))

    def fw(self, network: str, tags: frozenset[str], account: str | None) -> tuple[str, str]:
        key = (network, tags, account)
        if key not in self.fw_cache:
            fin, fout = firewall.vm_filters(self.ix, network, tags, account)
            self.fw_cache[key] = (self.net.add_filter(fin), self.net.add_filter(fout))
        return self.fw_cache[key]

    # ---- gateways ----------------------------------------------------------------------------

    def edge(self) -> None:
        prov = Provenance("GCP's internet edge: default internet gateway, external IPs "
                          "(built in)")
        node = self.net.add_node(Node(EDGE, NodeKind.GATEWAY, "gcp", "internet-edge",
                                      provenance=prov, origin_table="from-cloud"))
        build.table(node, "from-cloud").routes.append(
            build.forward(ANY, "internet", prov, target=inet.INTERNET))
        build.p2p(self.net, (EDGE, "internet"), (inet.INTERNET, "gcp"), prov,
                  a_table="from-internet", b_table="main")

    def cloud_nat(self, r: CloudRouter, nat: CloudNat) -> None:
        prov = nat.provenance(f"Cloud NAT {nat.name} on router {r.name} ({r.region})")
        ips = [IPv4Address(ip) for ip in nat.nat_ips]
        node = self.net.add_node(Node(
            nat.name, NodeKind.GATEWAY, "gcp", "cloud-nat", provenance=prov,
            origin_table="to-internet",
            refuse_reason="Cloud NAT is outbound only: it accepts no inbound connections, "
                          "only replies to connections it translated",
            attrs={"network": r.network, "region": r.region, "router": r.name}))
        build.table(node, "to-internet").routes.append(
            build.forward(ANY, "edge", prov, target=EDGE))
        build.table(node, "from-edge").routes.append(
            build.forward(ANY, "network", prov, target=r.network))
        build.p2p(self.net, (nat.name, "network"), (r.network, nat.name), prov,
                  a_table="to-internet", b_table="edge")
        build.p2p(self.net, (nat.name, "edge"), (EDGE, nat.name), prov, a_table="from-edge",
                  b_table="from-cloud")
        node.interfaces["edge"].addresses += [(ip, IPv4Network(f"{ip}/32")) for ip in ips]
        covered = [self.ix.cidr[s.name] for s in self.ix.subnets_of(r.network)
                   if s.region == r.region and (nat.subnets == "all" or s.name in nat.subnets)]
        node.interfaces["network"].in_filters.append(self.net.add_filter(Filter(
            f"cloud-nat-sources:{nat.name}", FilterMode.ANY_ALLOW, False, Action.DENY,
            [Rule(Action.ALLOW, Match(src=tuple(covered), src_label="subnets it serves"), prov,
                  "served subnets")] if covered else [], prov,
            Provenance(f"Cloud NAT {nat.name}: the source is in no subnet it serves",
                       prov.source, prov.line, prov.path))))
        if ips:
            node.nat.append(NatRule(NatKind.SOURCE, None, ips[0], "network", "edge",
                                    nat.provenance(f"Cloud NAT {nat.name}: source NAT to "
                                                   f"{ips[0]} (ports 1024-65535)", "nat_ips"),
                                    PortRange(1024, 65535)))
        edge = self.net.nodes[EDGE]
        for j, ip in enumerate(ips):
            ip_prov = nat.provenance(f"NAT IP {ip} of Cloud NAT {nat.name}", "nat_ips", j)
            host = IPv4Network(f"{ip}/32")
            build.table(edge, "from-internet").routes.append(
                build.forward(host, nat.name, ip_prov, kind="NAT IP", target=nat.name))
            inet.announce(self.net, host, "gcp", ip_prov, EDGE)

    def _gateway_node(self, name: str, role: str, network: str, region: str, prov) -> Node:
        node = self.net.add_node(Node(name, NodeKind.GATEWAY, "gcp", role, provenance=prov,
                                      origin_table="to-peer",
                                      attrs={"network": network, "region": region}))
        build.table(node, "to-peer", prov)
        build.table(node, "from-peer").routes.append(
            build.forward(ANY, "network", prov, kind="into the network", target=network))
        build.p2p(self.net, (name, "network"), (network, name), prov, a_table="to-peer",
                  b_table=self.view(network, region, frozenset(), TRANSIT))
        return node

    def vpn_gateway(self, gw) -> None:
        prov = gw.provenance(f"HA VPN gateway {gw.name}")
        node = self._gateway_node(gw.name, "ha-vpn", gw.network, gw.region, prov)
        node.attrs["interfaces"] = ", ".join(gw.interfaces)
        to_peer = node.tables["to-peer"]
        for t in gw.tunnels:
            tp = t.provenance(f"VPN tunnel {t.name} (interface {t.interface} of {gw.name})")
            router = self.site_routers[t.peer]
            build.p2p(self.net, (gw.name, t.name), (router, t.name), tp, a_table="from-peer",
                      b_table="main")
            self.net.links[f"{gw.name}:{t.name}--{router}:{t.name}"].tunnel = True
            for r in self.ix.networks[gw.network].routes:
                if r.next_hop_vpn_tunnel == t.name:
                    to_peer.routes.append(build.forward(
                        IPv4Network(r.destination), t.name,
                        r.provenance(f"static route {r.name} {r.destination} -> tunnel {t.name}"),
                        target=router))

    def attachment(self, a) -> None:
        r = self.ix.routers[a.router]
        prov = a.provenance(f"Interconnect VLAN attachment {a.name} ({a.bandwidth_mbps} Mbps)")
        self._gateway_node(a.name, "interconnect", r.network, r.region, prov)
        router = self.site_routers[a.peer]
        build.p2p(self.net, (a.name, "peer"), (router, a.name), prov, a_table="from-peer",
                  b_table="main")
        self.net.links[f"{a.name}:peer--{router}:{a.name}"].bandwidth_mbps = a.bandwidth_mbps

    def peering(self, network: str, p, q) -> None:
        """This side's half of an ACTIVE peering: a node per side, joined to its twin."""
        prov = p.provenance(f"VPC peering {p.name} ({network} -> {p.network}, ACTIVE)")
        node = self.net.add_node(Node(p.name, NodeKind.GATEWAY, "gcp", "peering",
                                      provenance=prov, origin_table="to-peer",
                                      attrs={"network": network, "peer": p.network}))
        to_peer = build.table(node, "to-peer", prov)
        for s in self.ix.subnets_of(p.network):
            to_peer.routes.append(build.forward(self.ix.cidr[s.name], "remote", s.provenance(
                f"subnet route {s.cidr} ({s.name}) exchanged over {p.name}"),
                kind="subnet (peer)", target=q.name))
        if p.import_custom_routes and q.export_custom_routes:
            for s in self._exported(p.network):
                to_peer.routes.append(build.forward(s.prefix, "remote", s.provenance,
                                                    kind="static (peer)", target=q.name))
        build.table(node, "from-peer").routes.append(
            build.forward(ANY, "network", prov, kind="into the network", target=network))
        build.p2p(self.net, (p.name, "network"), (network, p.name), prov, a_table="to-peer",
                  b_table=f"peer:{p.name}")
        if q.name in self.net.nodes:  # the twin exists: join the two halves
            build.p2p(self.net, (p.name, "remote"), (q.name, "remote"), prov,
                      a_table="from-peer", b_table="from-peer")

    # ---- routing tables ----------------------------------------------------------------------

    def _statics(self, network: str) -> list[_Static]:
        net = self.ix.networks[network]
        out = [_Static(IPv4Network(r.destination), r.priority, r.next_hop(), frozenset(r.tags),
                       r.provenance(f"route {r.name} {r.destination} -> "
                                    f"{' '.join(r.next_hop()[::-1])} (priority {r.priority})"))
               for r in net.routes]
        if net.default_internet_route:
            out.append(_Static(ANY, 1000, ("gateway", "default-internet-gateway"), frozenset(),
                               net.provenance(f"system default route of {network} -> "
                                              "default-internet-gateway (priority 1000)",
                                              "default_internet_route")))
        return out

    def _exported(self, network: str) -> list[_Static]:
        """Custom static routes a network exports over peering: untagged, and never the
        ones to the default internet gateway."""
        return [s for s in self._statics(network) if not s.tags and s.hop[0] != "gateway"]

    def _subnet_routes(self, network: str) -> list[Route]:
        out = []
        for s in self.ix.subnets_of(network):
            out.append(build.drop(self.ix.cidr[s.name], s.provenance(
                f"subnet route {s.cidr} ({s.name}, {s.region}): no VM interface holds the "
                "address"), kind="subnet", preference=SUBNET, target=s.name))
        for nic in self.ix.nics_in(network):
            out.append(build.forward(IPv4Network(f"{nic.ip}/32"), nic.port, nic.holder.provenance(
                f"subnet route {self.ix.cidr[nic.subnet]} ({nic.subnet}): {nic.ip} is "
                f"{nic.vm.name} {nic.name}"), kind="subnet", preference=SUBNET,
                target=nic.vm.name))
        return out

    def tables(self, network: str) -> None:
        router = self.net.nodes[network]
        own = self._subnet_routes(network)
        peered, imported = [], []
        for p, q in self.ix.active_peerings(network):
            for s in self.ix.subnets_of(p.network):
                peered.append(build.forward(self.ix.cidr[s.name], p.name, s.provenance(
                    f"subnet route {s.cidr} ({s.name}) of peer network {p.network}, "
                    f"exchanged over {p.name}"), kind="subnet (peer)", preference=SUBNET,
                    target=p.network))
            if p.import_custom_routes and q.export_custom_routes:
                imported += [_Static(s.prefix, s.priority, s.hop, s.tags, s.provenance, p.name,
                                     p.network) for s in self._exported(p.network)]
        statics = self._statics(network) + imported
        prov = self.ix.networks[network].provenance(f"routes of network {network}")
        for name, (region, tags, access) in self.views[network].items():
            t = build.table(router, name, Provenance(
                f"routes of network {network} as VMs in {region}"
                f"{' tagged ' + ','.join(sorted(tags)) if tags else ''} with {access} see them"
                if access != TRANSIT else f"routes of network {network} for traffic entering "
                f"in {region}", prov.source, prov.line, prov.path))
            t.routes += own + peered
            t.routes += self._resolve(network, [s for s in statics
                                                if not s.tags or s.tags & tags], access)
        build.table(router, "edge", prov).routes += own
        for p, q in self.ix.active_peerings(network):
            t = build.table(router, f"peer:{p.name}", Provenance(
                f"routes of network {network} for traffic from peering {p.name}",
                prov.source, prov.line, prov.path))
            t.routes += own  # not the peer's peers: peering is not transitive
            if p.export_custom_routes and q.import_custom_routes:
                t.routes += self._resolve(network, self._exported(network), TRANSIT)

    def _resolve(self, network: str, statics: list[_Static], access: str) -> list[Route]:
        """Custom routes of one view; equal destination and priority is ECMP in GCP (a flow
        hash): the model follows the lexicographically first next hop and says so."""
        groups: dict[tuple, list[_Static]] = defaultdict(list)
        for s in statics:
            groups[(s.prefix, s.priority)].append(s)
        out = []
        for items in groups.values():
            items.sort(key=lambda s: s.label)
            for i, s in enumerate(items):
                route = self._route(network, s, access)
                if i and not route.inactive:
                    route.inactive = (f"equal-cost with {items[0].label} (same destination and "
                                      "priority): GCP spreads flows over both by hash; the "
                                      f"model follows {items[0].label}, the first by name")
                out.append(route)
        return out

    def _route(self, network: str, s: _Static, access: str) -> Route:
        pref, prov = (1, s.priority), s.provenance
        if s.peering:
            return build.forward(s.prefix, s.peering, prov, kind="static (peer)",
                                 preference=pref, target=s.peer_network)
        kind, value = s.hop
        if kind == "gateway":
            if access == EXTERNAL:
                return build.forward(s.prefix, EDGE, prov, preference=pref, target=value)
            if access.startswith("nat:"):
                nat = access[4:]
                return build.forward(s.prefix, nat, prov, preference=pref,
                                     target=f"{value} via Cloud NAT {nat}")
            why = ("the VM has no external IP and no Cloud NAT serves its subnet"
                   if access == NO_INTERNET else
                   "only the network's own VMs use it, not traffic entering the network")
            return build.drop(s.prefix, Provenance(f"{prov.what}: {why}", prov.source,
                                                   prov.line, prov.path),
                              kind="static", preference=pref, target=value)
        if kind == "vpn_tunnel":
            gw = self.ix.tunnels[value][0]
            return build.forward(s.prefix, gw.name, prov, preference=pref,
                                 target=f"tunnel {value}")
        nic = next((n for n in self.ix.nics_in(network)
                    if (n.vm.name == value if kind == "instance" else str(n.ip) == value)), None)
        if nic is None:
            return build.forward(s.prefix, network, prov, preference=pref, target=value,
                                 inactive=f"no VM in network {network} has address {value}")
        return build.forward(s.prefix, nic.port, prov, preference=pref, target=nic.vm.name)

    # ---- BGP: Cloud Routers toward on-premises sites -----------------------------------------

    def bgp(self) -> None:
        for r in self.ix.routers.values():
            originate = self._advertised(r)
            for node_id, _ in self.ix.router_nodes(r.name):
                self.net.bgp[node_id] = BgpSpeaker(
                    node_id, r.asn, router_id(node_id), list(originate),
                    r.provenance(f"Cloud Router {r.name} (AS {r.asn}) for {node_id}", "asn"))
        for gw in self.ix.gateways.values():
            for t in gw.tunnels:
                self._session(t, gw.name, t.name, self.ix.routers[t.router])
        for a in self.ix.attachments.values():
            self._session(a, a.name, "peer", self.ix.routers[a.router])

    def _advertised(self, r: CloudRouter) -> list[tuple[IPv4Network, Provenance]]:
        """Default mode: the subnets (all regions in global routing mode, the router's own in
        regional mode); custom mode: exactly the listed prefixes."""
        if r.advertise_mode == "custom":
            return [(IPv4Network(p), r.provenance(f"Cloud Router {r.name} advertises {p}",
                                                  "advertised_prefixes", j))
                    for j, p in enumerate(r.advertised_prefixes)]
        scope = self.ix.networks[r.network].routing_mode
        return [(self.ix.cidr[s.name], s.provenance(
            f"subnet {s.name} ({s.cidr}) advertised by Cloud Router {r.name}"))
                for s in self.ix.subnets_of(r.network)
                if scope == "global" or s.region == r.region]

    def _session(self, obj, node_id: str, iface: str, r: CloudRouter) -> None:
        site = self.site_routers[obj.peer]
        site_side = site_neighbor(site, obj.name)
        # A learned route's priority is the MED it arrived with (what the site sends).
        med = site_side.med
        installs = [Install(node_id, "to-peer", iface, (0,), DYNAMIC)]
        routing_mode = self.ix.networks[r.network].routing_mode
        for name, (region, _, _) in self.views[r.network].items():
            if region == r.region:
                installs.append(Install(r.network, name, node_id, (1, med), DYNAMIC))
            elif routing_mode == "global":
                installs.append(Install(r.network, name, node_id,
                                        (1, med + INTER_REGION_COST), f"{DYNAMIC}, other region"))
        for p, q in self.ix.active_peerings(r.network):
            if p.export_custom_routes and q.import_custom_routes:
                installs.append(Install(r.network, f"peer:{p.name}", node_id, (1, med), DYNAMIC))
                installs.append(Install(q.name, "to-peer", "remote", (0,), DYNAMIC))
                installs += [Install(p.network, name, q.name, (1, med), f"{DYNAMIC} (peer)")
                             for name in self.views[p.network]]
        exported = tuple(p for p, _ in self.net.bgp[node_id].originate)
        gcp_side = BgpNeighbor(node_id, iface, export_prefixes=exported,
                               med=obj.advertised_priority, install=installs)
        self.net.sessions.append(BgpSession(f"gcp:{obj.name}", gcp_side, site_side, obj.provenance(
            f"BGP session {obj.name}: Cloud Router {r.name} (AS {r.asn}) with {site}")))

    # ---- the public edge ---------------------------------------------------------------------

    def public_addresses(self) -> None:
        edge = self.net.nodes[EDGE]
        allowed: dict[str, list[IPv4Network]] = defaultdict(list)
        for public, nic, prov in self.external:
            host = IPv4Network(f"{public}/32")
            inet.announce(self.net, host, "gcp", prov, EDGE)
            edge.nat.append(NatRule(NatKind.STATIC, nic.ip, public, nic.network, "internet",
                                    prov))
            build.table(edge, "from-internet").routes.append(build.forward(
                IPv4Network(f"{nic.ip}/32"), nic.network, prov, kind="external IP",
                target=nic.vm.name))
            allowed[nic.network].append(IPv4Network(f"{nic.ip}/32"))
        for network in self.ix.networks:
            prov = Provenance(f"default internet gateway of {network}: only VMs with an "
                              "external IP reach it directly")
            rules = [Rule(Action.ALLOW, Match(src=tuple(allowed[network]),
                                              src_label="VMs with an external IP"),
                          prov, "external IP")] if allowed[network] else []
            edge.interfaces[network].in_filters.append(self.net.add_filter(Filter(
                f"gcp-edge-sources:{network}", FilterMode.ANY_ALLOW, False, Action.DENY,
                rules, prov, Provenance(f"default internet gateway of {network}: the source "
                                        "has no external IP"))))
