"""AWS semantics, compiled into IR.  Every AWS-specific rule lives here (and in filters.py).

Node layout (the hop model Batfish uses, so traces compare one to one):
  instance --(subnet segment)-- subnet --p2p-- VPC router --p2p-- igw / nat / vgw / tgw / pcx
  igw --p2p-- aws-backbone --p2p-- internet;  vgw / tgw --(VPN link)-- site router
- The subnet node owns the subnet's router address (base+1), applies the network ACL where
  traffic crosses the subnet boundary, and looks the destination up in the subnet's route
  table (so a missing route ends at the subnet, as in AWS).
- The VPC router holds one table per route table, selected by the subnet the packet comes
  from (policy routing), and an edge table for traffic entering from gateways, which only
  reaches the VPC's own subnets (no edge-to-edge routing).
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network

from ...ir import build
from ...ir.model import (Action, Filter, FilterMode, LinkKind, Match, NatKind, NatRule,
                         Network, Node, NodeKind, PortRange, Provenance, Route, RouteAction,
                         Rule)
from .. import internet as inet
from . import bgp, filters
from .model import Aws, Instance, RouteTable as RtModel, Subnet, Vpc
from .index import AwsIndex

BACKBONE = "aws-backbone"
ANY = IPv4Network("0.0.0.0/0")
EDGE = "edge"

# Preference tuples for equal prefixes (lower wins); the kind names them in traces.
PREF = {
    "local": (0,),
    "static": (1, 0),
    "local/subnet": (1, 1),  # the local route, expanded per subnet; a subnet route may override
    "prefix-list": (2,),
    "propagated (Direct Connect)": (3, 0),
    "propagated (VPN static)": (3, 1),
    "propagated (VPN BGP)": (3, 2),
}
TGW_PREF = {"static": (0,), "propagated (VPC)": (2,), "propagated (Direct Connect)": (3,),
            "propagated (VPN)": (4,)}


def compile_aws(aws: Aws, net: Network, site_routers: dict[str, str]) -> None:
    """site_routers: the names a VPN or DX may use for a site's router -> its IR node id."""
    _Compiler(aws, net, site_routers).run()


class _Compiler:
    PREF, TGW_PREF = PREF, TGW_PREF

    def __init__(self, aws: Aws, net: Network, site_routers: dict[str, str]):
        self.aws, self.net = aws, net
        self.ix = AwsIndex(aws, site_routers)
        # (public address, private address, VPC, provenance) for the internet gateways' 1:1 NAT
        self.public: list[tuple[IPv4Address, IPv4Address, str, Provenance]] = []
        self.sg_cache: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {}
        # VPN gateways' public tunnel endpoints: (gateway node, address, provenance)
        self.endpoints: list[tuple[str, IPv4Address, Provenance]] = []
        # Direct Connect gateway -> the VIFs reaching it: (connection, VIF)
        self.vifs: dict[str, list] = defaultdict(list)
        for conn in aws.direct_connect_connections:
            for vif in conn.vifs:
                self.vifs[vif.gateway].append((conn, vif))

    def run(self) -> None:
        for name, vpc in self.aws.vpcs.items():
            self.vpc(name, vpc)
        for p in self.aws.peerings:
            self.peering(p)
        for v in self.aws.vpn_connections:
            if v.gateway in self.ix.vgws:
                self.vgw_vpn(v)
        for dx in self.aws.direct_connect_gateways:
            self.dx_gateway(dx)
        for tgw in self.aws.transit_gateways:
            self.transit_gateway(tgw)
        for name, vpc in self.aws.vpcs.items():
            self.route_tables(name, vpc)
        self.backbone()

    # ---- VPC, subnets, instances -------------------------------------------------------

    def vpc(self, name: str, vpc: Vpc) -> None:
        cidrs = self.ix.vpc_cidrs[name]
        router = self.net.add_node(Node(name, NodeKind.ROUTER, "aws", "vpc-router",
                                        provenance=vpc.provenance(f"VPC {name} (implicit router)"),
                                        origin_table=EDGE, attrs=self._place(vpc)))
        if vpc.id and vpc.id != name:
            self.net.aliases[vpc.id] = name
        edge = build.table(router, EDGE, vpc.provenance("local routes of the VPC", "cidrs"))
        for c in cidrs:
            edge.routes.append(build.drop(c, vpc.provenance(
                f"local route {c}: inside the VPC but in no subnet", "cidrs"), kind="local",
                preference=PREF["local"], target="local"))
        for i, s in enumerate(vpc.subnets):
            edge.routes.append(build.forward(IPv4Network(s.cidr), s.name, s.provenance(
                f"local route {s.cidr} (subnet {s.name})"), kind="local/subnet",
                preference=PREF["local/subnet"], target=s.name))
            self.subnet(name, vpc, s)
        for inst in vpc.instances:
            self.instance(name, vpc, inst)
        if vpc.internet_gateway:
            self.igw(name, vpc)
        for nat in vpc.nat_gateways:
            self.nat_gateway(name, vpc, nat)
        if vpc.vpn_gateway:
            self.vgw(name, vpc)

    def _place(self, vpc: Vpc) -> dict[str, str]:
        return {"account": vpc.account or self.aws.account, "region": vpc.region or self.aws.region}

    def subnet(self, vpc_name: str, vpc: Vpc, s: Subnet) -> None:
        cidr = IPv4Network(s.cidr)
        gw = cidr.network_address + 1
        node = self.net.add_node(Node(
            s.name, NodeKind.ROUTER, "aws", "subnet", provenance=s.provenance(f"subnet {s.name}"),
            origin_table="out", refuse_reason="the VPC router address answers no traffic",
            attrs={"vpc": vpc_name, "az": s.az, "cidr": s.cidr}))
        build.add_iface(node, "lan", "out", [(gw, cidr)], node.provenance)
        acl_name = self.ix.subnet_acl(vpc_name, s)
        acl_in, acl_out = self.acl_filters(vpc_name, acl_name)
        up = build.add_iface(node, "vpc", "in", provenance=node.provenance)
        up.in_filters.append(acl_in)
        up.out_filters.append(acl_out)
        build.table(node, "in").routes.append(build.forward(
            cidr, "lan", s.provenance(f"subnet {s.name} itself", "cidr"), kind="connected"))
        build.p2p(self.net, (s.name, "vpc"), (vpc_name, s.name), node.provenance,
                  b_table=self._rtb_table(self.ix.subnet_rtb(vpc_name, s)))
        members = [(s.name, "lan")]
        self.net.connect(f"segment:{s.name}", LinkKind.SEGMENT, members, node.provenance)

    @staticmethod
    def _rtb_table(rtb: str) -> str:
        return f"rtb:{rtb}"

    def acl_filters(self, vpc_name: str, acl_name: str | None) -> tuple[str, str]:
        fin, fout = filters.network_acl(self.ix, vpc_name, acl_name)
        return self.net.add_filter(fin), self.net.add_filter(fout)

    def _join_segment(self, subnet: str, node: str, iface: str) -> None:
        link = self.net.links[f"segment:{subnet}"]
        link.endpoints.append((node, iface))
        self.net.nodes[node].interfaces[iface].link = link.id

    def instance(self, vpc_name: str, vpc: Vpc, inst: Instance) -> None:
        node = self.net.add_node(Node(inst.name, NodeKind.HOST, "aws", "instance",
                                      provenance=inst.provenance(f"instance {inst.name}"),
                                      origin_table="main", accepts=True,
                                      attrs={"vpc": vpc_name}))
        main = build.table(node, "main")
        for n, (eni, subnet, ip, public, groups) in enumerate(inst.enis()):
            obj = eni or inst
            ifname = eni.name if eni and eni.name else f"eth{n}"
            cidr = IPv4Network(self.ix.subnets[subnet][1].cidr)
            prov = obj.provenance(f"network interface {ifname} of {inst.name}")
            iface = build.add_iface(node, ifname, "main", [(IPv4Address(ip), cidr)], prov)
            fin, fout = self.sg_filters(vpc_name, groups)
            iface.in_filters.append(fin)
            iface.out_filters.append(self.net.add_filter(filters.source_check(ifname, ip, prov)))
            iface.out_filters.append(fout)
            self._join_segment(subnet, node.id, ifname)
            main.routes.append(build.forward(cidr, ifname, prov, kind="connected"))
            if n == 0:
                node.attrs["subnet"] = subnet
                main.routes.append(build.forward(ANY, ifname, prov, next_hop=cidr.network_address + 1,
                                                 kind="default", target=subnet))
            if public:
                self.public.append((IPv4Address(public), IPv4Address(ip), vpc_name,
                                    obj.provenance(f"public IP {public} of {inst.name}",
                                                   "public_ip")))

    def sg_filters(self, vpc_name: str, groups: list[str]) -> tuple[str, str]:
        """Filter ids for a set of groups; instances sharing a set share the filters."""
        key = (vpc_name, tuple(sorted(groups)))
        if key not in self.sg_cache:
            fin, fout = filters.security_groups(self.ix, vpc_name, groups)
            self.sg_cache[key] = (self.net.add_filter(fin), self.net.add_filter(fout))
        return self.sg_cache[key]

    def igw(self, vpc_name: str, vpc: Vpc) -> None:
        name = vpc.internet_gateway
        prov = vpc.provenance(f"internet gateway {name}", "internet_gateway")
        node = self.net.add_node(Node(name, NodeKind.GATEWAY, "aws", "igw", provenance=prov,
                                      origin_table="from-vpc", attrs={"vpc": vpc_name}))
        build.table(node, "from-vpc").routes.append(build.forward(ANY, "backbone", prov,
                                                                  target=BACKBONE))
        back = build.table(node, "from-backbone")
        for c in self.ix.vpc_cidrs[vpc_name]:
            back.routes.append(build.forward(c, "vpc", prov, kind="local", target=vpc_name))
        build.p2p(self.net, (name, "vpc"), (vpc_name, name), prov, a_table="from-vpc",
                  b_table=EDGE)

    def nat_gateway(self, vpc_name: str, vpc: Vpc, nat) -> None:
        subnet = self.ix.subnets[nat.subnet][1]
        cidr = IPv4Network(subnet.cidr)
        ip = self.ix.nat_ip[nat.name]
        prov = nat.provenance(f"NAT gateway {nat.name}")
        node = self.net.add_node(Node(
            nat.name, NodeKind.GATEWAY, "aws", "nat", provenance=prov, origin_table="main",
            refuse_reason="a NAT gateway accepts no inbound connections, only replies to "
                          "connections it translated",
            attrs={"vpc": vpc_name, "subnet": nat.subnet}))
        build.add_iface(node, "eni", "main", [(ip, cidr)], prov)
        self._join_segment(nat.subnet, nat.name, "eni")
        main = build.table(node, "main")
        for c in self.ix.vpc_cidrs[vpc_name]:
            main.routes.append(build.forward(c, "vpc", prov, kind="local", target=vpc_name))
        main.routes.append(build.forward(ANY, "eni", prov, next_hop=cidr.network_address + 1,
                                         kind="default", target=nat.subnet))
        build.p2p(self.net, (nat.name, "vpc"), (vpc_name, nat.name), prov, a_table="main",
                  b_table=EDGE)
        acl_in, acl_out = self.acl_filters(vpc_name, self.ix.subnet_acl(vpc_name, subnet))
        vif = node.interfaces["vpc"]
        vif.in_filters += [self.net.add_filter(filters.nat_protocols(nat.name, prov)), acl_in]
        vif.out_filters.append(acl_out)
        node.nat.append(NatRule(NatKind.SOURCE, None, ip, "vpc", "eni", nat.provenance(
            f"NAT gateway {nat.name}: source NAT to {ip} (ports 1024-65535)"),
            PortRange(1024, 65535)))
        if nat.elastic_ip and nat.connectivity == "public":
            self.public.append((IPv4Address(nat.elastic_ip), ip, vpc_name,
                                nat.provenance(f"elastic IP {nat.elastic_ip} of {nat.name}",
                                               "elastic_ip")))

    def vgw(self, vpc_name: str, vpc: Vpc) -> None:
        gw = vpc.vpn_gateway
        prov = gw.provenance(f"virtual private gateway {gw.name}")
        node = self.net.add_node(Node(gw.name, NodeKind.GATEWAY, "aws", "vgw", provenance=prov,
                                      origin_table="main", attrs={"vpc": vpc_name,
                                                                  "asn": str(gw.asn)}))
        main = build.table(node, "main")
        for c in self.ix.vpc_cidrs[vpc_name]:
            main.routes.append(build.forward(c, "vpc", prov, kind="local", target=vpc_name))
        build.p2p(self.net, (gw.name, "vpc"), (vpc_name, gw.name), prov, a_table="main",
                  b_table=EDGE)

    # ---- route tables ------------------------------------------------------------------

    def route_tables(self, vpc_name: str, vpc: Vpc) -> None:
        router = self.net.nodes[vpc_name]
        for rtb in self.ix.route_tables[vpc_name].values():
            entries = self.resolve_routes(vpc_name, vpc, rtb)
            table = build.table(router, self._rtb_table(rtb.name),
                                rtb.provenance(f"route table {rtb.name}"))
            table.routes.extend(self.local_routes(vpc_name, vpc))
            table.routes.extend(route for _, route in entries)
        for s in vpc.subnets:
            rtb = self.ix.route_tables[vpc_name][self.ix.subnet_rtb(vpc_name, s)]
            out = build.table(self.net.nodes[s.name], "out",
                              rtb.provenance(f"route table {rtb.name}"))
            out.routes.append(build.forward(IPv4Network(s.cidr), "lan", s.provenance(
                f"subnet {s.name} itself", "cidr"), kind="connected"))
            for c in self.ix.vpc_cidrs[vpc_name]:
                out.routes.append(build.forward(c, "vpc", rtb.provenance(
                    f"local route {c} of route table {rtb.name}"), kind="local",
                    preference=PREF["local"], target="local"))
            for rm, route in self.resolve_routes(vpc_name, vpc, rtb):
                out.routes.append(self.subnet_copy(vpc_name, s, route))

    def local_routes(self, vpc_name: str, vpc: Vpc) -> list[Route]:
        return list(self.net.nodes[vpc_name].tables[EDGE].routes)

    def subnet_copy(self, vpc_name: str, s: Subnet, route: Route) -> Route:
        """The subnet's view of a route: everything routed goes up to the VPC router."""
        if route.action is not RouteAction.FORWARD:
            return route
        if route.target in self.ix.tgws and not self.ix.tgw_serves_az(route.target, vpc_name, s.az):
            # AWS: without an attachment subnet in this AZ the subnet cannot reach the TGW.
            return build.drop(route.prefix, Provenance(
                f"{route.provenance.what}: transit gateway attachment has no subnet in AZ "
                f"{s.az}", route.provenance.source, route.provenance.line,
                route.provenance.path), kind="null (no attachment in AZ)",
                preference=route.preference, target=route.target)
        return build.forward(route.prefix, "vpc", route.provenance, kind=route.kind,
                             preference=route.preference, target=route.target,
                             inactive=route.inactive)

    def resolve_routes(self, vpc_name: str, vpc: Vpc, rtb: RtModel) -> list[tuple[object, Route]]:
        cached = self.ix.resolved.get((vpc_name, rtb.name))
        if cached is not None:
            return cached
        out: list[tuple[object, Route]] = []
        cidrs = self.ix.vpc_cidrs[vpc_name]
        for i, r in enumerate(rtb.routes):
            if r.target == "local":
                continue
            prefixes = ([IPv4Network(r.destination)] if r.destination
                        else [IPv4Network(p) for p in self.aws.prefix_lists[r.prefix_list]])
            kind = "prefix-list" if r.prefix_list else (
                "propagated (VPN static)" if r.origin == "propagated" else "static")
            for prefix in prefixes:
                what = f"route {prefix} -> {r.target or 'blackhole'} in {rtb.name}"
                prov = r.provenance(what)
                if r.blackhole:
                    out.append((r, build.drop(prefix, prov, kind="blackhole",
                                              preference=PREF[kind], target=r.target or "")))
                    continue
                # The VPC router's interface toward a target is named after it.
                out.append((r, build.forward(prefix, r.target, prov, kind=kind, preference=PREF[kind],
                                             target=r.target,
                                             inactive=_overlaps_local(prefix, cidrs, kind))))
        for gw in rtb.propagate:
            for conn in [v for v in self.ix.vpns_on.get(gw, []) if not self.speaks_bgp(v)]:
                kind = f"propagated (VPN {'BGP' if conn.routing == 'bgp' else 'static'})"
                for j, p in enumerate(conn.static_routes):
                    prefix = IPv4Network(p)
                    prov = conn.provenance(f"route {prefix} propagated from {gw} "
                                           f"(VPN {conn.name}) into {rtb.name}",
                                           "static_routes", j)
                    out.append((conn, build.forward(prefix, gw, prov, kind=kind,
                                                    preference=PREF[kind], target=gw,
                                                    inactive=_overlaps_local(prefix, cidrs,
                                                                             kind))))
        self.ix.resolved[(vpc_name, rtb.name)] = out
        return out

    # ---- connections between VPCs and to sites -----------------------------------------

    def peering(self, p) -> None:
        prov = p.provenance(f"VPC peering {p.name}")
        node = self.net.add_node(Node(p.name, NodeKind.GATEWAY, "aws", "peering", provenance=prov,
                                      origin_table="from-requester",
                                      attrs={"requester": p.requester, "accepter": p.accepter}))
        for side, here, there in (("requester", p.requester, p.accepter),
                                  ("accepter", p.accepter, p.requester)):
            t = build.table(node, f"from-{side}")
            for c in self.ix.vpc_cidrs[there]:
                t.routes.append(build.forward(c, "accepter" if side == "requester" else
                                              "requester", prov, kind="peer VPC", target=there))
            build.p2p(self.net, (p.name, side), (here, p.name), prov, a_table=f"from-{side}",
                      b_table=EDGE)
            node.interfaces[side].in_filters.append(self.net.add_filter(
                filters.peering_source(p.name, side, here, self.ix.vpc_cidrs[here], prov)))

    def speaks_bgp(self, conn) -> bool:
        """A dynamic VPN whose customer gateway is a modelled router running BGP."""
        return conn.routing == "bgp" and self.ix.site_routers.get(conn.customer_gateway) \
            in self.net.bgp

    def vgw_vpn(self, conn) -> None:
        prov = conn.provenance(f"site-to-site VPN {conn.name}")
        if self.speaks_bgp(conn):
            self._tunnel(conn.gateway, conn.name, conn, prov, "main")
            bgp.vgw_sessions(self, conn)
            return
        kind = f"propagated (VPN {'BGP' if conn.routing == 'bgp' else 'static'})"
        main = self.net.nodes[conn.gateway].tables["main"]
        for j, p in enumerate(conn.static_routes):
            main.routes.append(self._vpn_route(conn, IPv4Network(p), conn.name, conn.provenance(
                f"VPN {conn.name} route {p}", "static_routes", j), kind, PREF[kind]))
        self._tunnel(conn.gateway, conn.name, conn, prov, "main")

    def _vpn_route(self, conn, prefix, iface, prov, kind, pref) -> Route:
        if conn.customer_gateway not in self.ix.site_routers:
            # The customer side is not modelled: traffic leaves the network through the tunnel.
            return build.exit_route(prefix, iface, prov, target=conn.customer_gateway)
        return build.forward(prefix, iface, prov, kind=kind, preference=pref,
                             target=conn.customer_gateway)

    def _tunnel(self, gw: str, gw_iface: str, conn, prov: Provenance, table: str) -> None:
        for j, ip in enumerate(conn.outside_ips):
            self.endpoints.append((gw, IPv4Address(ip), conn.provenance(
                f"tunnel endpoint {ip} of VPN {conn.name}", "outside_ips", j)))
        router = self.ix.site_routers.get(conn.customer_gateway)
        if router is None:
            build.add_iface(self.net.nodes[gw], gw_iface, table, provenance=prov)
            return
        build.p2p(self.net, (gw, gw_iface), (router, conn.name), prov, a_table=table,
                  b_table="main")
        link = self.net.links[f"{gw}:{gw_iface}--{router}:{conn.name}"]
        link.bandwidth_mbps, link.tunnel = 1250, True  # AWS caps a VPN tunnel at 1.25 Gbps

    def dx_gateway(self, dx) -> None:
        prov = dx.provenance(f"Direct Connect gateway {dx.name}")
        node = self.net.add_node(Node(dx.name, NodeKind.GATEWAY, "aws", "dxgw", provenance=prov,
                                      origin_table="main"))
        main = build.table(node, "main")
        if self.vifs[dx.name]:  # the site's prefixes come by BGP over the VIFs
            for conn, vif in self.vifs[dx.name]:
                router = self.ix.site_routers[conn.site_router]
                build.p2p(self.net, (dx.name, vif.name), (router, vif.name), vif.provenance(
                    f"transit VIF {vif.name} on Direct Connect connection {conn.name}"),
                    a_table="main", b_table="main")
                # A VIF without its own bandwidth shares the whole connection.
                self.net.links[f"{dx.name}:{vif.name}--{router}:{vif.name}"].bandwidth_mbps = \
                    vif.bandwidth_mbps or conn.bandwidth_mbps
            return
        router = self.ix.site_routers.get(dx.site_router or "")
        for j, p in enumerate(dx.onprem_prefixes):
            rp = dx.provenance(f"prefix {p} learned from the site over Direct Connect",
                               "onprem_prefixes", j)
            main.routes.append(build.forward(IPv4Network(p), "site", rp, kind="bgp",
                                             target=router) if router else
                               build.exit_route(IPv4Network(p), "site", rp, target="site"))
        if router is None:  # the site is not modelled: traffic leaves the model at the VIF
            build.add_iface(node, "site", "main", provenance=prov)
            return
        build.p2p(self.net, (dx.name, "site"), (router, dx.name), prov,
                  a_table="main", b_table="main")

    def transit_gateway(self, tgw) -> None:
        prov = tgw.provenance(f"transit gateway {tgw.name}")
        node = self.net.add_node(Node(tgw.name, NodeKind.ROUTER, "aws", "tgw", provenance=prov,
                                      attrs={"asn": str(tgw.asn)}))
        tables = {t.name: t for t in tgw.route_tables}
        if tgw.default_route_table and tgw.default_route_table not in tables:
            build.table(node, tgw.default_route_table, prov)
        for t in tgw.route_tables:
            rt = build.table(node, t.name, t.provenance(f"transit gateway route table {t.name}"))
            for j, r in enumerate(t.routes):
                rp = r.provenance(f"static route {r.destination} -> "
                                  f"{r.attachment or 'blackhole'} in {t.name}")
                if r.blackhole:
                    rt.routes.append(build.drop(IPv4Network(r.destination), rp,
                                                preference=TGW_PREF["static"]))
                else:
                    rt.routes.append(build.forward(IPv4Network(r.destination),
                                                   f"att:{r.attachment}", rp,
                                                   preference=TGW_PREF["static"],
                                                   target=r.attachment))
        node.origin_table = next(iter(node.tables), "")
        seen_cidrs: set[IPv4Network] = set()
        dynamic = []  # BGP sessions, built once the static and propagated routes are in
        for att in tgw.attachments:
            ap = att.provenance(f"transit gateway attachment {att.name}")
            assoc = att.associate or tgw.default_route_table or ""
            iface = f"att:{att.name}"
            if att.vpc:
                build.p2p(self.net, (tgw.name, iface), (att.vpc, tgw.name), ap, a_table=assoc,
                          b_table=EDGE)
                prefixes, kind = [c for c in self.ix.vpc_cidrs[att.vpc] if c not in seen_cidrs], \
                    "propagated (VPC)"
                seen_cidrs.update(prefixes)
            elif att.vpn:
                conn = self.ix.vpns[att.vpn]
                self._tunnel(tgw.name, iface, conn, ap, assoc)
                if self.speaks_bgp(conn):  # after every table is filled: it exports one
                    dynamic.append((bgp.tgw_sessions, att, conn))
                    continue
                prefixes = [IPv4Network(p) for p in conn.static_routes] \
                    if conn.routing == "bgp" else []
                kind = "propagated (VPN)"
            else:
                build.p2p(self.net, (tgw.name, iface), (att.direct_connect_gateway, "tgw"), ap,
                          a_table=assoc, b_table="main")
                dx = self.ix.dxgws[att.direct_connect_gateway]
                dxmain = self.net.nodes[dx.name].tables["main"]
                for j, p in enumerate(dx.allowed_prefixes):
                    dxmain.routes.append(build.forward(IPv4Network(p), "tgw", dx.provenance(
                        f"allowed prefix {p} toward {tgw.name}", "allowed_prefixes", j),
                        target=tgw.name))
                if self.vifs[dx.name] or \
                        self.ix.site_routers.get(dx.site_router or "") in self.net.bgp:
                    dynamic.append((bgp.dx_sessions, att, dx))
                    continue
                prefixes, kind = [IPv4Network(p) for p in dx.onprem_prefixes], \
                    "propagated (Direct Connect)"
            propagate = att.propagate if att.propagate is not None else (
                [tgw.default_route_table] if tgw.default_route_table else [])
            for tname in propagate:
                for prefix in prefixes:
                    rp = att.provenance(f"{prefix} propagated from attachment {att.name} into "
                                        f"{tname}", "propagate")
                    route = self._vpn_route(self.ix.vpns[att.vpn], prefix, iface, rp, kind,
                                            TGW_PREF[kind]) if att.vpn else build.forward(
                        prefix, iface, rp, kind=kind, preference=TGW_PREF[kind],
                        target=att.name)
                    node.tables[tname].routes.append(route)
        for make, att, other in dynamic:
            make(self, tgw, att, other)

    # ---- the public edge ---------------------------------------------------------------

    def backbone(self) -> None:
        if not (self.public or self.aws.public_ranges or self.ix.igws or self.endpoints):
            return
        prov = Provenance("the AWS public network (built in)")
        node = self.net.add_node(Node(BACKBONE, NodeKind.ROUTER, "aws", "backbone",
                                      provenance=prov, origin_table="main"))
        main = build.table(node, "main")
        main.routes.append(build.forward(ANY, "internet", prov, target=inet.INTERNET))
        build.p2p(self.net, (BACKBONE, "internet"), (inet.INTERNET, "aws"), prov,
                  a_table="main", b_table="main")
        for vpc_name, igw in self.ix.igws.items():
            build.p2p(self.net, (BACKBONE, igw), (igw, "backbone"), prov, a_table="main",
                      b_table="from-backbone")
        for j, r in enumerate(self.aws.public_ranges):
            p = IPv4Network(r)
            rp = self.aws.provenance(f"AWS address space {p}: no resource uses it",
                                     "public_ranges", j)
            main.routes.append(build.drop(p, rp, kind="unassigned AWS address"))
            inet.announce(self.net, p, "aws", rp, BACKBONE)
        for gw, ip, ep in self.endpoints:
            node = self.net.nodes[gw]
            if "backbone" not in node.interfaces:
                build.p2p(self.net, (BACKBONE, gw), (gw, "backbone"), prov, b_table="outside")
                node.interfaces["backbone"].vrf = "outside"  # the tunnels' public side
                node.accepts = True  # it terminates the tunnels
            node.interfaces["backbone"].addresses.append((ip, IPv4Network(f"{ip}/32")))
            host = IPv4Network(f"{ip}/32")
            main.routes.append(build.forward(host, gw, ep, kind="VPN endpoint", target=gw))
            inet.announce(self.net, host, "aws", ep, BACKBONE)
        allowed: dict[str, list[IPv4Network]] = defaultdict(list)
        for public, private, vpc_name, pp in self.public:
            igw = self.ix.igws.get(vpc_name)
            host = IPv4Network(f"{public}/32")
            inet.announce(self.net, host, "aws", pp, BACKBONE)
            if igw is None:
                main.routes.append(build.drop(host, pp, kind="no internet gateway"))
                continue
            main.routes.append(build.forward(host, igw, pp, kind="public IP", target=igw))
            self.net.nodes[igw].nat.append(NatRule(NatKind.STATIC, private, public, "vpc",
                                                   "backbone", pp))
            allowed[igw].append(IPv4Network(f"{private}/32"))
        for igw in self.ix.igws.values():
            prov_igw = self.net.nodes[igw].provenance
            rules = [Rule(Action.ALLOW, Match(src=tuple(allowed[igw]),
                                              src_label="addresses with a public IP"),
                          prov_igw, "public IP mapping")] if allowed[igw] else []
            flt = Filter(f"igw-public-sources:{igw}", FilterMode.ANY_ALLOW, False, Action.DENY,
                         rules, prov_igw,
                         Provenance(f"internet gateway {igw}: the source has no public IP"))
            self.net.nodes[igw].interfaces["vpc"].in_filters.append(self.net.add_filter(flt))


def _overlaps_local(prefix: IPv4Network, cidrs: list[IPv4Network], kind: str) -> str:
    # Equal to or inside the local range: a supernet still serves addresses outside it.
    if kind.startswith("propagated") and any(prefix.subnet_of(c) for c in cidrs):
        return "a propagated route never overrides the VPC's local route"
    return ""
