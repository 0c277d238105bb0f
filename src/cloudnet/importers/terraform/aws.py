"""Terraform's AWS resources (hashicorp/aws) as the AWS topology model.

Names: a resource's `Name` tag when it is a plain word used once in the import, else its
address (aws_subnet.a[0]); `export` writes Name tags, so export -> import keeps the names.
Every object is placed at its resource, so provenance names the .tf line or the JSON line.

Semantics taken from the provider, not from EC2 alone:
- a security group Terraform creates has no egress rule unless one is written (the provider
  deletes AWS's default allow-all);
- inline rules and aws_security_group_rule / aws_vpc_security_group_*_rule resources land in
  the same group, so the model holds their union; two that grant the same permission make
  AWS answer InvalidPermission.Duplicate, and inline rules of a direction next to separate
  rules of that direction make every apply revoke the others (a perpetual diff): both are
  findings;
- a VPC peering is active once accepted (auto_accept, or an accepter resource);
- a transit gateway attachment uses the default association/propagation table unless its
  transit_gateway_default_route_table_* argument is false.
"""

from __future__ import annotations

import re
from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network
from typing import Any


from ...providers.aws.model import (AclRule, Aws, CustomerGateway, DirectConnectGateway, Instance,
                                    Interface, NatGateway, NetworkAcl, Peering, Route, RouteTable,
                                    SecurityGroup, SgRule, Subnet, TgwAttachment, TgwRoute,
                                    TgwRouteTable, TransitGateway, Vpc, VpnConnection, VpnGateway)
from .base import Modelling
from .resolve import Report, Resource, Unknown, placeholder_ip

NAME = re.compile(r"\S+")  # a Name tag with spaces would be awkward on the command line
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
DEFAULT_VPC_CIDR = "172.31.0.0/16"  # every region's default VPC
STAND_IN_POOL = IPv4Network("100.64.0.0/10")  # CIDRs for VPCs outside the import
PUBLIC_POOL = IPv4Network("198.18.0.0/15")  # public addresses known after apply
PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "tcp": "tcp", "17": "udp", "udp": "udp",
             "1": "icmp", "icmp": "icmp"}
ROUTE_TARGETS = ("gateway_id", "nat_gateway_id", "transit_gateway_id",
                 "vpc_peering_connection_id")
UNSUPPORTED_TARGETS = {
    "instance_id": "an instance", "network_interface_id": "a network interface",
    "egress_only_gateway_id": "an egress-only internet gateway",
    "vpc_endpoint_id": "a VPC endpoint", "local_gateway_id": "an Outposts local gateway",
    "carrier_gateway_id": "a carrier gateway", "core_network_arn": "a Cloud WAN core network"}
SCOPED = {"aws_route_table", "aws_network_acl", "aws_security_group"}
NOT_MODELLED = {  # types users meet next to networks, with why cloudnet leaves them out
    "aws_lb": "load balancers are not modelled", "aws_alb": "load balancers are not modelled",
    "aws_elb": "load balancers are not modelled",
    "aws_db_security_group": "DB security groups (EC2-Classic) are not modelled",
    "aws_redshift_security_group": "Redshift security groups (EC2-Classic) are not modelled",
    "aws_elasticache_security_group": "ElastiCache security groups (EC2-Classic) are not "
                                      "modelled",
    "aws_vpc_endpoint": "VPC endpoints are not modelled",
    "aws_egress_only_internet_gateway": "IPv6 is not modelled",
    "aws_dx_connection": "a physical Direct Connect port: the model starts at the gateway",
    "aws_dx_lag": "a physical Direct Connect port group: the model starts at the gateway",
    "aws_dx_private_virtual_interface": "private VIFs (to a virtual private gateway) are not "
                                        "modelled; transit VIFs are",
    "aws_dx_public_virtual_interface": "public VIFs are not modelled",
    "aws_default_security_group": "the VPC's default group is built in (members in, all out)",
    "aws_default_network_acl": "the VPC's default ACL is built in (allow all)",
    "aws_default_route_table": "the VPC's main table is built in unless a table is made main",
}


class AwsImport(Modelling):
    def __init__(self, resources: list[Resource], report: Report):
        self.all = resources
        self.report = report
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        self.by_addr: dict[str, Resource] = {}
        for r in resources:
            if r.type.startswith("aws_") and r.mode == "managed":
                self.by_type[r.type].append(r)
                self.by_addr[r.address] = r
        self.ids = {r.values["id"]: r.address for r in self.by_addr.values()
                    if isinstance(r.values.get("id"), str) and r.values["id"]}
        self.used: set[str] = set()  # addresses some handler took over
        self.names = self._names()
        self.vpcs: dict[str, Vpc] = {}  # by address
        self.subnet_vpc: dict[str, str] = {}  # subnet address -> VPC address
        self.subnet_obj: dict[str, Subnet] = {}
        self.tables: dict[str, tuple[str, RouteTable]] = {}
        self.acls: dict[str, tuple[str, NetworkAcl]] = {}
        self.groups: dict[str, tuple[str, SecurityGroup]] = {}
        self.prefix_lists: dict[str, list[str]] = {}
        self.public_taken: set[IPv4Address] = set()
        self.private_taken: set[IPv4Address] = set()
        self.stand_ins: dict[str, str] = {}  # outside VPC id (or "") -> model name

    # ---- names, values and references --------------------------------------------------

    def _names(self) -> dict[str, str]:
        # Route tables, ACLs and groups are named per VPC and kind (as in the topology file);
        # everything else once in the whole import.
        tagged: dict[tuple, list[str]] = defaultdict(list)
        for r in self.by_addr.values():
            tags = r.values.get("tags")
            name = tags.get("Name") if isinstance(tags, dict) else None
            if r.type == "aws_dx_gateway":  # it takes no tags; its name is required
                name = r.values.get("name")
            if isinstance(name, str) and NAME.fullmatch(name):
                scope = (r.type, str(self.ref(r, r.values.get("vpc_id"), ("aws_vpc",), "",
                                              report=False))) if r.type in SCOPED else ()
                tagged[(name, *scope)].append(r.address)
        for r in self.by_type.get("aws_ec2_tag", []):  # Name tags of implicit resources
            v = r.values
            if v.get("key") == "Name" and isinstance(v.get("value"), str) \
                    and isinstance(v.get("resource_id"), Unknown) and v["resource_id"].refs:
                tagged[(v["value"],)].append(f"{v['resource_id'].refs[0]}#attachment")
                self.used.add(r.address)
        addresses = set(self.by_addr)
        out = {a: a for a in addresses}
        for (name, *_), owners in tagged.items():
            if len(owners) == 1 and name not in addresses:
                out[owners[0]] = name
        return out

    def name(self, address: str) -> str:
        return self.names.get(address, address)

    def attachment_name(self, address: str) -> str:
        """The TGW attachment a VPN connection or DX association makes implicitly."""
        return self.names.get(f"{address}#attachment", f"{self.name(address)}-attachment")

    def known(self, res: Resource, key: str, typ: type | tuple = str, *, what: str = "",
              placeholder: Any = None) -> Any:
        """A value of the resource; one known only after apply is reported with the
        placeholder used (None: the model's default)."""
        value = res.values.get(key)
        if isinstance(value, Unknown):
            if what:
                self.report.placeholder(res, f"{what}: "
                                        + (f"placeholder {placeholder}" if placeholder is not None
                                           else "the model's default is used"), key)
            return placeholder
        if value is None or value == "" or (isinstance(value, bool) and typ is not bool):
            return None
        return value if isinstance(value, typ) else None

    def ref(self, res: Resource, value: Any, types: tuple[str, ...], what: str,
            *sub: str | int, report: bool = True) -> str | None:
        """The address of the resource of one of `types` that `value` (an id) names."""
        found: list[str] = []
        if isinstance(value, Unknown):
            found = [a for a in value.refs if a in self.by_addr
                     and self.by_addr[a].type in types]
            outside = [a for a in value.refs if a not in self.by_addr]
        elif isinstance(value, str) and value:
            if value in self.ids and self.by_addr[self.ids[value]].type in types:
                found = [self.ids[value]]
            outside = [value] if not found else []
        else:
            return None
        if len(found) > 1 and report:
            self.report.note(res, f"{what} is one of {', '.join(found)}; {found[0]} is "
                                  "assumed", *sub)
        if not found and report:
            why = (f"{outside[0]}, which is not in the import" if outside
                   else "a value known only after apply that names no resource of the import")
            self.report.skip(res, f"its {what} is {why}", *sub)
        return found[0] if found else None

    def cidr(self, res: Resource, key: str, what: str, *sub: str | int,
             value: Any = None) -> str | None:
        v = res.values.get(key) if value is None else value
        path = (*sub, key) if key else sub
        if isinstance(v, Unknown):
            self.report.skip(res, f"its {what} is known only after apply", *path)
            return None
        if not isinstance(v, str) or not v:
            return None
        try:
            IPv4Network(v)
        except ValueError:
            self.report.skip(res, f"{what} {v!r} is not an IPv4 CIDR", *path)
            return None
        return v

    # ---- the run -----------------------------------------------------------------------

    def run(self) -> Aws | None:
        if not self.by_addr:
            return None
        for step in (self.prefix_list, self.vpc, self.cidr_association, self.vpn_gateway,
                     self.internet_gateway, self.route_table, self.network_acl, self.subnet,
                     self.route, self.route_table_association, self.main_association,
                     self.vgw_propagation, self.acl_association, self.acl_rule,
                     self.security_group):
            step()
        self.security_group_rules()
        for r in self.by_addr.values():
            for key in ("private_ip",):
                if isinstance(r.values.get(key), str):
                    try:
                        self.private_taken.add(IPv4Address(r.values[key]))
                    except ValueError:
                        pass
        eips = self.elastic_ips()
        self.nat_gateways(eips)
        self.instances(eips)
        peerings = self.peerings()
        cgws, vpns, vpn_routes = self.vpn()
        dxgws, dx_atts = self.direct_connect()
        tgws = self.transit_gateways(dx_atts)
        for r in self.by_addr.values():
            if r.address not in self.used:
                self.report.skip(r, NOT_MODELLED.get(r.type, "this resource type is not "
                                                              "modelled by cloudnet"))
        aws = Aws(vpcs={self.name(a) if a not in self.stand_ins.values() else a: v
                        for a, v in self.vpcs.items()},
                  prefix_lists=self.prefix_lists, peerings=peerings, transit_gateways=tgws,
                  vpn_connections=vpns, customer_gateways=cgws, direct_connect_gateways=dxgws)
        regions = {v.region for v in self.vpcs.values()} - {None}
        if len(regions) == 1:
            aws.region = regions.pop()
            for v in self.vpcs.values():
                v.region = None
        for conn in vpns:
            conn.static_routes += [c for c in vpn_routes.get(conn.name, [])
                                   if c not in conn.static_routes]
        return aws

    def each(self, *types: str):
        for t in types:
            for r in self.by_type.get(t, []):
                self.used.add(r.address)
                yield r

    # ---- VPCs and what they hold -------------------------------------------------------

    def prefix_list(self) -> None:
        for r in self.each("aws_ec2_managed_prefix_list"):
            cidrs = [c for i, e in enumerate(r.values.get("entry") or [])
                     if isinstance(e, dict) and (c := self.cidr(r, "cidr", "entry", "entry", i,
                                                                value=e.get("cidr")))]
            self.prefix_lists[self.name(r.address)] = cidrs
        for r in self.each("aws_ec2_managed_prefix_list_entry"):
            pl = self.ref(r, r.values.get("prefix_list_id"), ("aws_ec2_managed_prefix_list",),
                          "prefix list")
            c = self.cidr(r, "cidr", "CIDR")
            if pl and c:
                self.prefix_lists[self.name(pl)].append(c)

    def vpc(self) -> None:
        for r in self.each("aws_vpc"):
            c = self.cidr(r, "cidr_block", "CIDR (from IPAM?)")
            if c and (v := self.make(Vpc, r, cidr=c)):
                self.vpcs[r.address] = v
            if r.values.get("assign_generated_ipv6_cidr_block") is True:
                self.report.skip(r, "its IPv6 CIDR block is not modelled (IPv6)",
                                 "assign_generated_ipv6_cidr_block")

    def vpc_of(self, r: Resource, key: str = "vpc_id", what: str = "VPC") -> Vpc | None:
        a = self.ref(r, r.values.get(key), ("aws_vpc",), what, key)
        return self.vpcs.get(a) if a else None

    def cidr_association(self) -> None:
        for r in self.each("aws_vpc_ipv4_cidr_block_association"):
            vpc, c = self.vpc_of(r), self.cidr(r, "cidr_block", "CIDR (from IPAM?)")
            if vpc and c:
                vpc.cidrs.append(c)

    def vpn_gateway(self) -> None:
        attach = {a: r for r in self.each("aws_vpn_gateway_attachment")
                  if (a := self.ref(r, r.values.get("vpn_gateway_id"), ("aws_vpn_gateway",),
                                    "virtual private gateway", "vpn_gateway_id"))}
        for r in self.each("aws_vpn_gateway"):
            owner = r if r.values.get("vpc_id") is not None else attach.get(r.address)
            if owner is None:
                self.report.skip(r, "attached to no VPC")
                continue
            vpc = self.vpc_of(owner)
            asn = self.known(r, "amazon_side_asn", (int, str)) or 64512
            if vpc and (gw := self.make(VpnGateway, r, name=self.name(r.address),
                                        asn=_int(asn, 64512))):
                vpc.vpn_gateway = gw

    def internet_gateway(self) -> None:
        attach = {a: r for r in self.each("aws_internet_gateway_attachment")
                  if (a := self.ref(r, r.values.get("internet_gateway_id"),
                                    ("aws_internet_gateway",), "internet gateway",
                                    "internet_gateway_id"))}
        for r in self.each("aws_internet_gateway"):
            owner = r if r.values.get("vpc_id") is not None else attach.get(r.address)
            if owner is None:
                self.report.skip(r, "attached to no VPC")
            elif vpc := self.vpc_of(owner):
                vpc.internet_gateway = self.name(r.address)

    def route_table(self) -> None:
        for r in self.each("aws_route_table"):
            vpc = self.vpc_of(r)
            if not vpc:
                continue
            routes = [x for i, e in enumerate(r.values.get("route") or [])
                      if isinstance(e, dict) and (x := self.route_entry(r, e, vpc, ("route", i)))]
            vgws = r.values.get("propagating_vgws")
            propagate = [self.name(a) for i, g in enumerate(vgws if isinstance(vgws, list)
                                                            else [])
                         if (a := self.ref(r, g, ("aws_vpn_gateway",), "propagating gateway",
                                           "propagating_vgws", i))]
            t = self.make(RouteTable, r, name=self.name(r.address), routes=routes,
                          propagate=propagate)
            if t:
                vpc.route_tables.append(t)
                self.tables[r.address] = (self.vpc_name(vpc), t)

    def vpc_name(self, vpc: Vpc) -> str:
        return next(a for a, v in self.vpcs.items() if v is vpc)

    def route_entry(self, r: Resource, e: dict, vpc: Vpc, sub: tuple) -> Route | None:
        dest = e.get("cidr_block") or e.get("destination_cidr_block")
        pl = e.get("destination_prefix_list_id")
        if not dest and not pl:
            if e.get("ipv6_cidr_block") or e.get("destination_ipv6_cidr_block"):
                self.report.skip(r, "IPv6 route (IPv6 is not modelled)", *sub)
            else:
                self.report.skip(r, "a route without an IPv4 destination", *sub)
            return None
        dest = self.cidr(r, "", "destination", *sub, value=dest) if dest else None
        if pl and not dest:
            a = self.ref(r, pl, ("aws_ec2_managed_prefix_list",), "destination prefix list",
                         *sub)
            if not a:
                return None
            pl = self.name(a)
        elif not dest:
            return None
        for key, what in UNSUPPORTED_TARGETS.items():
            if e.get(key) not in (None, ""):
                self.report.skip(r, f"route {dest or pl}: its target is {what} (middlebox "
                                    "routing is not modelled)", *sub, key)
                return None
        target = None
        for key in ROUTE_TARGETS:
            v = e.get(key)
            if v in (None, ""):
                continue
            if key == "gateway_id" and v == "local":
                return None  # the compiler adds the local routes itself
            # AWS takes a NAT gateway as gateway_id too (the provider then shows a diff).
            types = {"gateway_id": ("aws_internet_gateway", "aws_vpn_gateway",
                                    "aws_nat_gateway"),
                     "nat_gateway_id": ("aws_nat_gateway",),
                     "transit_gateway_id": ("aws_ec2_transit_gateway",),
                     "vpc_peering_connection_id": ("aws_vpc_peering_connection",)}[key]
            if isinstance(v, Unknown) and not v.refs and key == "gateway_id":
                target = self.guess_gateway(r, vpc, sub)
            else:
                a = self.ref(r, v, types, f"route {dest or pl} target", *sub, key)
                target = self.name(a) if a else None
                if a and key == "gateway_id" and self.by_addr[a].type == "aws_nat_gateway":
                    self.report.finding(r, f"route {dest or pl}: a NAT gateway as gateway_id "
                                           "works, but the provider reports a diff on every "
                                           "plan; use nat_gateway_id", *sub, key)
            if target is None:
                return None
            break
        if target is None:
            self.report.skip(r, f"route {dest or pl} has no target", *sub)
            return None
        return self.make(Route, r, *sub, destination=dest, prefix_list=None if dest else pl,
                         target=target)

    def guess_gateway(self, r: Resource, vpc: Vpc, sub: tuple) -> str | None:
        """A gateway_id only known after apply whose expression the plan does not record:
        the VPC's one gateway, if it has exactly one."""
        gateways = [g for g in (vpc.internet_gateway, vpc.vpn_gateway and vpc.vpn_gateway.name)
                    if g]
        if len(gateways) == 1:
            self.report.placeholder(r, f"gateway_id names no resource; the VPC's only gateway, "
                                       f"{gateways[0]}, is assumed", *sub, "gateway_id")
            return gateways[0]
        self.report.skip(r, "its gateway_id is known only after apply and names no resource",
                         *sub, "gateway_id")
        return None

    def route(self) -> None:
        for r in self.each("aws_route"):
            a = self.ref(r, r.values.get("route_table_id"), ("aws_route_table",), "route table",
                         "route_table_id")
            if a in self.tables:
                vpc = self.vpcs[self.tables[a][0]]
                if route := self.route_entry(r, r.values, vpc, ()):
                    self.tables[a][1].routes.append(route)

    def route_table_association(self) -> None:
        self.subnet_table: dict[str, str] = {}
        for r in self.each("aws_route_table_association"):
            if r.values.get("gateway_id") not in (None, ""):
                self.report.skip(r, "edge associations (ingress routing) are not modelled",
                                 "gateway_id")
                continue
            t = self.ref(r, r.values.get("route_table_id"), ("aws_route_table",), "route table",
                         "route_table_id")
            s = self.ref(r, r.values.get("subnet_id"), ("aws_subnet",), "subnet", "subnet_id")
            if t in self.tables and s in self.subnet_obj:
                self.subnet_obj[s].route_table = self.tables[t][1].name

    def main_association(self) -> None:
        for r in self.each("aws_main_route_table_association"):
            t = self.ref(r, r.values.get("route_table_id"), ("aws_route_table",), "route table",
                         "route_table_id")
            if t in self.tables:
                self.tables[t][1].main = True

    def vgw_propagation(self) -> None:
        for r in self.each("aws_vpn_gateway_route_propagation"):
            t = self.ref(r, r.values.get("route_table_id"), ("aws_route_table",), "route table",
                         "route_table_id")
            g = self.ref(r, r.values.get("vpn_gateway_id"), ("aws_vpn_gateway",),
                         "virtual private gateway", "vpn_gateway_id")
            if t in self.tables and g:
                self.tables[t][1].propagate.append(self.name(g))

    def subnet(self) -> None:
        for r in self.each("aws_subnet"):
            vpc = self.vpc_of(r)
            c = self.cidr(r, "cidr_block", "CIDR (from IPAM?)")
            if r.values.get("ipv6_cidr_block") not in (None, "") and not isinstance(
                    r.values.get("ipv6_cidr_block"), Unknown):
                self.report.skip(r, "its IPv6 CIDR block is not modelled (IPv6)",
                                 "ipv6_cidr_block")
            az = self.known(r, "availability_zone") or ""
            if vpc and c and (s := self.make(Subnet, r, name=self.name(r.address), cidr=c,
                                             az=az)):
                vpc.subnets.append(s)
                self.subnet_vpc[r.address] = self.vpc_name(vpc)
                self.subnet_obj[r.address] = s
                if vpc.region is None and (m := REGION.match(az)):
                    vpc.region = m.group(0)
        # route tables and ACLs are read before subnets: link them now
        for r in self.by_type.get("aws_network_acl", []):
            for i, s in enumerate(r.values.get("subnet_ids") or []):
                a = self.ref(r, s, ("aws_subnet",), "subnet", "subnet_ids", i)
                if a in self.subnet_obj and r.address in self.acls:
                    self.subnet_obj[a].network_acl = self.acls[r.address][1].name

    def network_acl(self) -> None:
        for r in self.each("aws_network_acl"):
            vpc = self.vpc_of(r)
            if not vpc:
                continue
            rules: dict[str, list[AclRule]] = {"ingress": [], "egress": []}
            for d in rules:
                for i, e in enumerate(r.values.get(d) or []):
                    if isinstance(e, dict) and (x := self.acl_entry(r, e, (d, i), "rule_no",
                                                                    "action")):
                        rules[d].append(x)
            acl = self.make(NetworkAcl, r, name=self.name(r.address), **rules)
            if acl:
                vpc.network_acls.append(acl)
                self.acls[r.address] = (self.vpc_name(vpc), acl)

    def acl_entry(self, r: Resource, e: dict, sub: tuple, num_key: str,
                  action_key: str) -> AclRule | None:
        if e.get("ipv6_cidr_block") not in (None, ""):
            self.report.skip(r, "IPv6 rule (IPv6 is not modelled)", *sub)
            return None
        proto = self.protocol(r, e.get("protocol"), sub)
        cidr = self.cidr(r, "", "CIDR", *sub, value=e.get("cidr_block"))
        num, action = e.get(num_key), e.get(action_key)
        if proto is None or cidr is None or not isinstance(num, int) or action not in (
                "allow", "deny"):
            if proto is not None and cidr is not None:
                self.report.skip(r, "rule without a known number and action", *sub)
            return None
        if proto == "icmp" and e.get("icmp_type") not in (None, -1, "-1"):
            self.report.note(r, "ICMP type/code matching is not modelled: the rule matches "
                                "all ICMP", *sub)
        return self.make(AclRule, r, *sub, rule=num, action=action, protocol=proto,
                         ports=self.ports(proto, e.get("from_port"), e.get("to_port")), cidr=cidr)

    def acl_association(self) -> None:
        for r in self.each("aws_network_acl_association"):
            a = self.ref(r, r.values.get("network_acl_id"), ("aws_network_acl",),
                         "network ACL", "network_acl_id")
            s = self.ref(r, r.values.get("subnet_id"), ("aws_subnet",), "subnet", "subnet_id")
            if a in self.acls and s in self.subnet_obj:
                self.subnet_obj[s].network_acl = self.acls[a][1].name

    def acl_rule(self) -> None:
        for r in self.each("aws_network_acl_rule"):
            a = self.ref(r, r.values.get("network_acl_id"), ("aws_network_acl",),
                         "network ACL", "network_acl_id")
            if a in self.acls and (x := self.acl_entry(r, r.values, (), "rule_number",
                                                        "rule_action")):
                getattr(self.acls[a][1], "egress" if r.values.get("egress") is True
                        else "ingress").append(x)

    def protocol(self, r: Resource, raw: Any, sub: tuple) -> str | int | None:
        text = str(raw).lower() if raw is not None and not isinstance(raw, Unknown) else ""
        if text in PROTOCOLS:
            return PROTOCOLS[text]
        if text.isdigit() and int(text) <= 255:
            return int(text)
        self.report.skip(r, f"protocol {raw!r} is not modelled (IPv6-only?)", *sub, "protocol")
        return None

    @staticmethod
    def ports(proto, lo: Any, hi: Any) -> str | int | None:
        """The model's ports: only TCP and UDP have them; 0-65535 is every port."""
        if proto not in ("tcp", "udp") or not isinstance(lo, int) or not isinstance(hi, int):
            return None
        if (lo, hi) == (0, 65535) or lo < 0:
            return None
        return lo if lo == hi else f"{lo}-{hi}"

    # ---- security groups ----------------------------------------------------------------

    def stand_in(self, r: Resource, value: Any) -> Vpc:
        """The VPC of a group whose VPC is not in the import: AWS's default VPC when none is
        named, else a stand-in with a placeholder CIDR (only its rules are of use)."""
        # Unknown naming nothing: unset in the source (a plan marks unset computed attributes
        # unknown), so AWS's choice, the default VPC.
        key = value if isinstance(value, str) else (
            value.refs[0] if isinstance(value, Unknown) and value.refs else "")
        if key not in self.stand_ins:
            name = key or "default-vpc"
            # In order of appearance: 100.64.0.0/16, 100.65.0.0/16, ...
            cidr = DEFAULT_VPC_CIDR if not key else str(
                list(STAND_IN_POOL.subnets(new_prefix=16))[len(self.stand_ins)])
            self.stand_ins[key] = name
            vpc = self.place(Vpc(cidr=cidr), r, "vpc_id")
            self.vpcs[name] = vpc
        vpc = self.vpcs[self.stand_ins[key]]
        self.report.placeholder(
            r, "no VPC named: AWS puts the group in the region's default VPC, modelled as "
               f"'default-vpc' ({DEFAULT_VPC_CIDR})" if not key else
               f"VPC {key} is not in the import; modelled as a stand-in VPC '{key}' with "
               f"placeholder CIDR {vpc.cidr}", "vpc_id")
        return vpc

    def security_group(self) -> None:
        self.inline: dict[str, dict[str, bool]] = {}
        for r in self.each("aws_security_group"):
            v = r.values.get("vpc_id")
            a = self.ref(r, v, ("aws_vpc",), "VPC", "vpc_id", report=False) if v else None
            if a and a not in self.vpcs:
                continue  # the VPC was skipped and reported
            vpc = self.vpcs[a] if a else self.stand_in(r, v)
            name = self.name(r.address)
            sg = self.make(SecurityGroup, r, name=name,
                           description=self.known(r, "description") or "", ingress=[], egress=[])
            if sg:
                vpc.security_groups.append(sg)
                self.groups[r.address] = (self.vpc_name(vpc), sg)
                # A direction written inline (blocks, or `ingress = []`) is authoritative.
                self.inline[r.address] = {d: isinstance(r.values.get(d), list)
                                          for d in ("ingress", "egress")}

    def security_group_rules(self) -> None:
        # (group address, direction) -> [(permission key, resource, sub, form)]
        seen: dict[tuple, list[tuple]] = defaultdict(list)
        separate: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for g, (_, sg) in self.groups.items():
            r = self.by_addr[g]
            for d in ("ingress", "egress"):
                for i, e in enumerate(r.values.get(d) or [] if self.inline[g][d] else []):
                    if isinstance(e, dict):
                        self.add_rules(r, g, d, e, (d, i), "inline", seen, "security_groups",
                                       "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids")
        for r in self.each("aws_security_group_rule"):
            d = r.values.get("type")
            g = self.ref(r, r.values.get("security_group_id"), ("aws_security_group",),
                         "security group", "security_group_id")
            if g in self.groups and d in ("ingress", "egress"):
                separate[(g, d)].append(r)
                self.add_rules(r, g, d, r.values, (), "rule", seen, "source_security_group_id",
                               "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids")
        for t, d in (("aws_vpc_security_group_ingress_rule", "ingress"),
                     ("aws_vpc_security_group_egress_rule", "egress")):
            for r in self.each(t):
                g = self.ref(r, r.values.get("security_group_id"), ("aws_security_group",),
                             "security group", "security_group_id")
                if g in self.groups:
                    separate[(g, d)].append(r)
                    v = r.values
                    e = {"protocol": v.get("ip_protocol"), "from_port": v.get("from_port"),
                         "to_port": v.get("to_port"), "description": v.get("description"),
                         "cidr_blocks": [v["cidr_ipv4"]] if v.get("cidr_ipv4") else [],
                         "ipv6_cidr_blocks": [v["cidr_ipv6"]] if v.get("cidr_ipv6") else [],
                         "prefix_list_ids": [v["prefix_list_id"]] if v.get("prefix_list_id")
                         else [], "referenced_security_group_id":
                             v.get("referenced_security_group_id")}
                    self.add_rules(r, g, d, e, (), "rule", seen, "referenced_security_group_id",
                                   "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids",
                                   keys={"cidr_blocks": "cidr_ipv4",
                                         "ipv6_cidr_blocks": "cidr_ipv6",
                                         "prefix_list_ids": "prefix_list_id"})
        for (g, d), rules in separate.items():
            if self.inline[g][d]:
                r = self.by_addr[g]
                self.report.finding(
                    r, f"{d} rules are written both inline here and as separate resources "
                       f"({', '.join(x.address for x in rules)}): each apply makes the inline "
                       "list authoritative and revokes the others, a perpetual diff (the "
                       "model holds their union, as after the first apply)", d)
        for _, sg in self.groups.values():
            if [r.model_dump(exclude_defaults=True) for r in sg.egress] == [{"cidr": "0.0.0.0/0"}]:
                sg.egress = None  # exactly AWS's default rule: say so, as the topology file does
        for (g, d), perms in seen.items():
            first: dict[tuple, tuple] = {}
            for key, r, sub, form in perms:
                if key in first:
                    r0, sub0, _ = first[key]
                    self.report.finding(
                        r, f"duplicate {d} permission {_describe(key)}: already granted by "
                           f"{r0.address} ({r0.src.file}:{r0.line(*sub0)}); AWS rejects it with "
                           "InvalidPermission.Duplicate", *sub)
                else:
                    first[key] = (r, sub, form)

    def add_rules(self, r: Resource, g: str, d: str, e: dict, sub: tuple, form: str,
                  seen: dict, group_key: str, cidr_key: str, v6_key: str, pl_key: str,
                  keys: dict | None = None) -> None:
        keys = keys or {}
        vpc_name, sg = self.groups[g]
        proto = self.protocol(r, e.get("protocol"), sub)
        if proto is None:
            return
        lo, hi = e.get("from_port"), e.get("to_port")
        if proto in ("tcp", "udp") and isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            self.report.finding(r, f"from_port {lo} is above to_port {hi}: AWS rejects the rule "
                                   "(InvalidParameterValue); it is left out", *sub)
            self.report.skip(r, f"invalid port range {lo}-{hi}", *sub)
            return
        if proto == "icmp" and lo not in (None, -1, 0) and isinstance(lo, int):
            self.report.note(r, "ICMP type/code matching is not modelled: the rule matches "
                                "all ICMP", *sub)
        ports = self.ports(proto, lo, hi)
        desc = e.get("description") if isinstance(e.get("description"), str) else ""
        peers: list[tuple[str, str, tuple]] = []
        ck = keys.get(cidr_key, cidr_key)
        for c in _list(e.get(cidr_key)):
            if c := self.cidr(r, ck, "CIDR", *sub, value=c):
                peers.append(("cidr", c, (ck,)))
        for c in _list(e.get(v6_key)):
            self.report.skip(r, f"IPv6 peer {c} (IPv6 is not modelled)", *sub,
                             keys.get(v6_key, v6_key))
        for p in _list(e.get(pl_key)):
            a = self.ref(r, p, ("aws_ec2_managed_prefix_list",), "prefix list", *sub, pl_key)
            if a:
                peers.append(("prefix_list", self.name(a), (pl_key,)))
        # A computed source group (unknown, naming nothing) is unset: cidr_blocks or self is.
        groups = [x for x in _list(e.get(group_key))
                  if not (isinstance(x, Unknown) and not x.refs)]
        for p in groups:
            a = self.ref(r, p, ("aws_security_group",), "source security group", *sub,
                         group_key)
            if a in self.groups:
                peers.append(("security_group", self.groups[a][1].name, (group_key,)))
        if e.get("self") is True:
            peers.append(("security_group", sg.name, ("self",)))
        if not peers and not _list(e.get(v6_key)):
            self.report.skip(r, "rule with no source or destination", *sub)
        # One model rule per source rule and kind of peer (its CIDRs together), leaving out
        # the permissions an earlier rule already grants.
        fresh: dict[str, list[str]] = defaultdict(list)
        for field, value, k in peers:
            key = (str(proto), str(ports), field, value)
            if key not in {x[0] for x in seen[(g, d)]}:
                fresh[field].append(value)
            seen[(g, d)].append((key, r, sub, form))
        for field, values in fresh.items():
            many = field == "cidr" and len(values) > 1
            for value in [values] if many else values:
                rule = self.make(SgRule, r, *sub, protocol=proto, ports=ports,
                                 description=desc, **{"cidrs" if many else field: value})
                if rule:
                    getattr(sg, d).append(rule)
        self.used.add(r.address)

    # ---- addresses, NAT, instances --------------------------------------------------------

    def public_ip(self, r: Resource, key: str, what: str) -> str | None:
        v = r.values.get(key)
        if isinstance(v, str) and v:
            return v
        ip = str(placeholder_ip(r.address, PUBLIC_POOL, self.public_taken))
        self.report.placeholder(r, f"{what}: placeholder {ip} (from {PUBLIC_POOL}, derived "
                                   "from the address)", key)
        return ip

    def elastic_ips(self) -> dict[str, str]:
        """Elastic IP address -> its public address (BYOIP `address`, or the state's)."""
        out = {}
        for r in self.each("aws_eip"):
            for key in ("address", "public_ip"):
                try:
                    self.public_taken.add(IPv4Address(r.values.get(key)))
                except ValueError:
                    pass  # unset or not an address: the model's validation reports it
        for r in self.by_type.get("aws_eip", []):
            key = "address" if r.values.get("address") else "public_ip"
            out[r.address] = self.public_ip(r, key, "public address of the elastic IP")
        return out

    def nat_gateways(self, eips: dict[str, str]) -> None:
        for r in self.each("aws_nat_gateway"):
            s = self.ref(r, r.values.get("subnet_id"), ("aws_subnet",), "subnet", "subnet_id")
            if s not in self.subnet_obj:
                continue
            conn = self.known(r, "connectivity_type") or "public"
            public = None
            if conn == "public":
                alloc = r.values.get("allocation_id")
                a = self.ref(r, alloc, ("aws_eip",), "elastic IP", "allocation_id",
                             report=False)
                if a:
                    public = eips[a]
                else:
                    if isinstance(alloc, Unknown) and alloc.refs:
                        self.report.finding(r, "allocation_id refers to "
                                               f"{', '.join(alloc.refs)}, not an aws_eip",
                                            "allocation_id")
                    public = self.public_ip(r, "public_ip", "public address")
            private = self.known(r, "private_ip", what="private address")
            nat = self.make(NatGateway, r, name=self.name(r.address),
                            subnet=self.subnet_obj[s].name, private_ip=private,
                            elastic_ip=public, connectivity=conn)
            if nat:
                self.vpcs[self.subnet_vpc[s]].nat_gateways.append(nat)

    def private_ip(self, r: Resource, key: str, subnet: str) -> str:
        v = r.values.get(key)
        if isinstance(v, list):
            v = v[0] if v else None
        if isinstance(v, str) and v:
            return v
        net = IPv4Network(self.subnet_obj[subnet].cidr)
        ip = str(placeholder_ip(r.address, net, self.private_taken, 4, 1))
        self.report.placeholder(r, f"private address: placeholder {ip} (in the subnet, derived "
                                   "from the address)", key)
        return ip

    def group_names(self, r: Resource, key: str, vpc: str) -> list[str]:
        out = []
        for i, g in enumerate(_list(r.values.get(key))):
            a = self.ref(r, g, ("aws_security_group",), "security group", key, i)
            if a in self.groups:
                out.append(self.groups[a][1].name)
        return out

    def instances(self, eips: dict[str, str]) -> None:
        eip_of: dict[str, str] = {}  # instance or ENI address -> public address
        for r in self.by_type.get("aws_eip", []):
            for key in ("instance", "network_interface"):
                a = self.ref(r, r.values.get(key), ("aws_instance", "aws_network_interface"),
                             key, key, report=False)
                if a:
                    eip_of[a] = eips[r.address]
        for r in self.each("aws_eip_association"):
            e = self.ref(r, r.values.get("allocation_id"), ("aws_eip",), "elastic IP",
                         "allocation_id")
            a = self.ref(r, r.values.get("instance_id") or r.values.get("network_interface_id"),
                         ("aws_instance", "aws_network_interface"), "instance or interface",
                         "instance_id")
            if e and a:
                eip_of[a] = eips[e]
        enis: dict[str, list[tuple[int, Resource]]] = defaultdict(list)  # instance -> ENIs
        for r in self.by_type.get("aws_network_interface", []):
            for i, att in enumerate(r.values.get("attachment") or []):
                if isinstance(att, dict) and (a := self.ref(r, att.get("instance"),
                                                            ("aws_instance",), "instance",
                                                            "attachment", i)):
                    enis[a].append((att.get("device_index") or 0, r))
        for r in self.each("aws_network_interface_attachment"):
            a = self.ref(r, r.values.get("instance_id"), ("aws_instance",), "instance",
                         "instance_id")
            n = self.ref(r, r.values.get("network_interface_id"), ("aws_network_interface",),
                         "network interface", "network_interface_id")
            if a and n:
                enis[a].append((r.values.get("device_index") or 0, self.by_addr[n]))
        for r in self.each("aws_instance"):
            for i, b in enumerate(r.values.get("network_interface") or []):
                n = self.ref(r, b.get("network_interface_id"), ("aws_network_interface",),
                             "network interface", "network_interface", i)
                if n:
                    enis[r.address].append((b.get("device_index") or 0, self.by_addr[n]))
            self.instance(r, sorted(enis.get(r.address, []), key=lambda x: x[0]), eip_of)
        for r in self.each("aws_network_interface"):
            if not any(n is r for lst in enis.values() for _, n in lst):
                self.report.skip(r, "attached to no instance of the import (load balancer, "
                                    "endpoint or a later attachment?)")

    def instance(self, r: Resource, enis: list[tuple[int, Resource]],
                 eip_of: dict[str, str]) -> None:
        ifaces: list[Interface] = []
        if r.values.get("subnet_id") is not None:
            s = self.ref(r, r.values.get("subnet_id"), ("aws_subnet",), "subnet", "subnet_id")
            if s not in self.subnet_obj:
                return
            public = eip_of.get(r.address)
            want = r.values.get("associate_public_ip_address")
            if public is None and (want is True or (want is None and self.by_addr[s].values.get(
                    "map_public_ip_on_launch") is True)):
                public = self.public_ip(r, "public_ip", "public address")
            ifaces.append(self.place(Interface(
                subnet=self.subnet_obj[s].name, private_ip=self.private_ip(r, "private_ip", s),
                public_ip=public, security_groups=self.group_names(
                    r, "vpc_security_group_ids", self.subnet_vpc[s])), r))
            vpc = self.subnet_vpc[s]
        elif not enis:
            self.report.skip(r, "no subnet_id: AWS launches it in the default VPC, which the "
                                "import does not describe")
            return
        for _, n in enis:
            s = self.ref(n, n.values.get("subnet_id"), ("aws_subnet",), "subnet", "subnet_id")
            if s not in self.subnet_obj:
                continue
            vpc = self.subnet_vpc[s]
            # An ENI without a Name tag is the instance's ethN, as in the topology file.
            tagged = self.name(n.address) != n.address
            ifaces.append(self.make(Interface, n, name=self.name(n.address) if tagged else None,
                                    subnet=self.subnet_obj[s].name,
                                    private_ip=self.private_ip(
                                        n, "private_ip" if n.values.get("private_ip")
                                        else "private_ips", s),
                                    public_ip=eip_of.get(n.address),
                                    security_groups=self.group_names(n, "security_groups", vpc)))
            self.used.add(n.address)
        ifaces = [i for i in ifaces if i]
        if not ifaces:
            return
        if r.values.get("source_dest_check") is False:
            self.report.note(r, "source/destination check disabled; cloudnet enforces it "
                                "(routing through instances is not modelled)",
                             "source_dest_check")
        if len(ifaces) == 1 and ifaces[0].name is None:
            i = ifaces[0]
            inst = self.make(Instance, r, name=self.name(r.address), subnet=i.subnet,
                             private_ip=i.private_ip, public_ip=i.public_ip,
                             security_groups=i.security_groups)
        else:
            inst = self.make(Instance, r, name=self.name(r.address), interfaces=ifaces)
        if inst:
            self.vpcs[vpc].instances.append(inst)

    # ---- connections ---------------------------------------------------------------------

    def peerings(self) -> list[Peering]:
        accepted = set()
        for r in self.each("aws_vpc_peering_connection_accepter"):
            a = self.ref(r, r.values.get("vpc_peering_connection_id"),
                         ("aws_vpc_peering_connection",), "peering", "vpc_peering_connection_id")
            if a and r.values.get("auto_accept") is True:
                accepted.add(a)
        out = []
        for r in self.each("aws_vpc_peering_connection"):
            req = self.ref(r, r.values.get("vpc_id"), ("aws_vpc",), "requester VPC", "vpc_id")
            acc = self.ref(r, r.values.get("peer_vpc_id"), ("aws_vpc",), "accepter VPC "
                           "(another account or region?)", "peer_vpc_id")
            if not (req in self.vpcs and acc in self.vpcs):
                continue
            if r.values.get("auto_accept") is not True and r.address not in accepted:
                self.report.skip(r, "never accepted (no auto_accept and no "
                                    "aws_vpc_peering_connection_accepter): it stays pending")
                continue
            if p := self.make(Peering, r, name=self.name(r.address), requester=self.name(req),
                              accepter=self.name(acc)):
                out.append(p)
        return out

    def vpn(self) -> tuple[list[CustomerGateway], list[VpnConnection], dict[str, list[str]]]:
        cgws = {}
        for r in self.each("aws_customer_gateway"):
            asn = self.known(r, "bgp_asn", (int, str))
            cgws[r.address] = self.make(CustomerGateway, r, name=self.name(r.address),
                                        ip=self.known(r, "ip_address"),
                                        asn=_int(asn, None))
        vpns: dict[str, VpnConnection] = {}
        self.vpn_tgw: dict[str, tuple[str, VpnConnection]] = {}  # VPN -> (TGW, connection)
        for r in self.each("aws_vpn_connection"):
            c = self.ref(r, r.values.get("customer_gateway_id"), ("aws_customer_gateway",),
                         "customer gateway", "customer_gateway_id")
            key = "transit_gateway_id" if r.values.get("transit_gateway_id") else "vpn_gateway_id"
            gw = self.ref(r, r.values.get(key), ("aws_ec2_transit_gateway", "aws_vpn_gateway"),
                          "gateway", key)
            if not (c and gw and cgws.get(c)):
                continue
            routes = [x for i, e in enumerate(r.values.get("routes") or [])
                      if isinstance(e, dict) and (x := self.cidr(
                          r, "", "route", "routes", i, value=e.get("destination_cidr_block")))]
            static = r.values.get("static_routes_only") is True
            conn = self.make(VpnConnection, r, name=self.name(r.address), gateway=self.name(gw),
                             customer_gateway=cgws[c].name,
                             routing="static" if static else "bgp", static_routes=routes)
            if conn:
                vpns[r.address] = conn
                if key == "transit_gateway_id":
                    self.vpn_tgw[r.address] = (gw, conn)
        routes: dict[str, list[str]] = defaultdict(list)
        for r in self.each("aws_vpn_connection_route"):
            a = self.ref(r, r.values.get("vpn_connection_id"), ("aws_vpn_connection",),
                         "VPN connection", "vpn_connection_id")
            if a in vpns and (c := self.cidr(r, "destination_cidr_block", "destination")):
                routes[vpns[a].name].append(c)
        return [g for g in cgws.values() if g], list(vpns.values()), routes

    def direct_connect(self) -> tuple[list[DirectConnectGateway], dict[str, list]]:
        vifs = defaultdict(list)
        for r in self.each("aws_dx_transit_virtual_interface"):
            a = self.ref(r, r.values.get("dx_gateway_id"), ("aws_dx_gateway",),
                         "Direct Connect gateway", "dx_gateway_id")
            if a:
                vifs[a].append(r)
        allowed, atts = defaultdict(list), defaultdict(list)  # TGW address -> (assoc, dx name)
        for r in self.each("aws_dx_gateway_association"):
            dx = self.ref(r, r.values.get("dx_gateway_id"), ("aws_dx_gateway",),
                          "Direct Connect gateway", "dx_gateway_id")
            gw = self.ref(r, r.values.get("associated_gateway_id"),
                          ("aws_ec2_transit_gateway", "aws_vpn_gateway"), "associated gateway",
                          "associated_gateway_id")
            if not (dx and gw):
                continue
            if self.by_addr[gw].type != "aws_ec2_transit_gateway":
                self.report.skip(r, "associations with a virtual private gateway are not "
                                    "modelled (only transit gateway associations are)")
                continue
            allowed[dx] += [c for i, p in enumerate(_list(r.values.get("allowed_prefixes")))
                            if (c := self.cidr(r, "", "allowed prefix", "allowed_prefixes",
                                               value=p))]
            atts[gw].append((r, dx))
        out, names = [], {}
        for r in self.each("aws_dx_gateway"):
            if not vifs[r.address]:
                self.report.skip(r, "no transit virtual interface: nothing connects it to a site")
                continue
            dx = self.make(DirectConnectGateway, r, name=self.name(r.address),
                           allowed_prefixes=allowed[r.address])
            if dx:
                out.append(dx)
                names[r.address] = dx.name
                self.report.note(r, "the site behind its virtual interface is outside the "
                                    "import: traffic leaves the model there; set site_router and "
                                    "onprem_prefixes to follow it")
        return out, {gw: [(r, names[dx]) for r, dx in lst if dx in names]
                     for gw, lst in atts.items()}

    def transit_gateways(self, dx_atts: dict[str, list]) -> list[TransitGateway]:
        tgws: dict[str, TransitGateway] = {}
        propagate_default: dict[str, bool] = {}
        for r in self.each("aws_ec2_transit_gateway"):
            assoc = r.values.get("default_route_table_association") != "disable"
            asn = self.known(r, "amazon_side_asn", (int, str))
            t = self.make(TransitGateway, r, name=self.name(r.address), asn=_int(asn, 64512),
                          default_route_table="default" if assoc else None)
            if t:
                tgws[r.address] = t
                propagate_default[r.address] = \
                    r.values.get("default_route_table_propagation") != "disable"
        tables: dict[str, tuple[str, TgwRouteTable]] = {}
        for r in self.each("aws_ec2_transit_gateway_route_table"):
            g = self.ref(r, r.values.get("transit_gateway_id"), ("aws_ec2_transit_gateway",),
                         "transit gateway", "transit_gateway_id")
            if g in tgws and (t := self.make(TgwRouteTable, r, name=self.name(r.address))):
                tgws[g].route_tables.append(t)
                tables[r.address] = (g, t)
        atts: dict[str, tuple[str, TgwAttachment]] = {}

        def attach(r: Resource, g: str, key: str, **fields) -> None:
            a = self.make(TgwAttachment, r, **fields)
            if a:
                v = r.values
                if v.get("transit_gateway_default_route_table_propagation") is False or \
                        not propagate_default[g]:
                    a.propagate = []
                tgws[g].attachments.append(a)
                atts[key] = (g, a)

        for r in self.each("aws_ec2_transit_gateway_vpc_attachment"):
            g = self.ref(r, r.values.get("transit_gateway_id"), ("aws_ec2_transit_gateway",),
                         "transit gateway", "transit_gateway_id")
            vpc = self.ref(r, r.values.get("vpc_id"), ("aws_vpc",), "VPC", "vpc_id")
            subnets = [self.subnet_obj[s].name for i, x in
                       enumerate(_list(r.values.get("subnet_ids")))
                       if (s := self.ref(r, x, ("aws_subnet",), "subnet", "subnet_ids", i))
                       in self.subnet_obj]
            if g in tgws and vpc in self.vpcs:
                attach(r, g, r.address, name=self.name(r.address), vpc=self.name(vpc),
                       subnets=subnets)
        for addr, (g, conn) in self.vpn_tgw.items():
            if g in tgws:
                attach(self.by_addr[addr], g, addr, name=self.attachment_name(addr),
                       vpn=conn.name)
        for g, lst in dx_atts.items():
            for r, dx in lst:
                if g in tgws:
                    attach(r, g, r.address, name=self.attachment_name(r.address),
                           direct_connect_gateway=dx)
        att_types = ("aws_ec2_transit_gateway_vpc_attachment", "aws_vpn_connection",
                     "aws_dx_gateway_association")

        def table_of(r: Resource) -> tuple[str, str] | None:
            """(TGW, table name) of transit_gateway_route_table_id: a table resource, or a
            TGW's association_default_route_table_id (its default table)."""
            v = r.values.get("transit_gateway_route_table_id")
            t = self.ref(r, v, ("aws_ec2_transit_gateway_route_table",
                                "aws_ec2_transit_gateway"), "route table",
                         "transit_gateway_route_table_id")
            if t in tables:
                return tables[t][0], tables[t][1].name
            if t in tgws and tgws[t].default_route_table:
                return t, tgws[t].default_route_table
            return None

        for kind in ("association", "propagation"):
            for r in self.each(f"aws_ec2_transit_gateway_route_table_{kind}"):
                a = self.ref(r, r.values.get("transit_gateway_attachment_id"), att_types,
                             "attachment", "transit_gateway_attachment_id")
                t = table_of(r)
                if a in atts and t:
                    att = atts[a][1]
                    if kind == "association":
                        att.associate = t[1]
                    else:
                        att.propagate = (att.propagate or []) + [t[1]]
        for r in self.each("aws_ec2_transit_gateway_route"):
            t = table_of(r)
            dest = self.cidr(r, "destination_cidr_block", "destination")
            if not (t and dest):
                continue
            blackhole = r.values.get("blackhole") is True
            a = None if blackhole else self.ref(r, r.values.get("transit_gateway_attachment_id"),
                                                att_types, "attachment",
                                                "transit_gateway_attachment_id")
            if not blackhole and a not in atts:
                if a:
                    self.report.skip(r, f"its attachment {a} is not modelled",
                                     "transit_gateway_attachment_id")
                continue
            route = self.make(TgwRoute, r, destination=dest, blackhole=blackhole,
                              attachment=atts[a][1].name if a else None)
            table = next((x for x in tgws[t[0]].route_tables if x.name == t[1]), None)
            if table is None:  # the default table, made explicit to hold the route
                table = self.place(TgwRouteTable(name=t[1]), self.by_addr[t[0]])
                tgws[t[0]].route_tables.append(table)
            if route:
                table.routes.append(route)
        return list(tgws.values())


def _int(v: Any, default: int | None) -> int | None:
    """ASNs: numbers, or strings of digits (aws_dx_gateway takes a string)."""
    return int(v) if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else default


def _list(v: Any) -> list:
    if v is None or v == "":
        return []
    return v if isinstance(v, list) else [v]


def _describe(key: tuple) -> str:
    proto, ports, field, value = key
    return f"{proto}{'' if ports == 'None' else ' ' + ports} {field.replace('_', ' ')} {value}"
