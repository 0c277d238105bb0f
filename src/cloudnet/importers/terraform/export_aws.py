"""The AWS part of a topology as Terraform (hashicorp/aws), so a tested network can be deployed.

Every resource carries a `Name` tag holding its topology name, which the importer reads back:
export -> import gives the same network.  Each security group rule is one
aws_security_group_rule (it keeps a rule's CIDR list together), never inline: inline rules of
two groups that name each other form a reference cycle Terraform refuses, and mixing the two
forms is the perpetual-diff trap the importer reports.
What Terraform cannot create (blackhole routes, routes AWS propagates itself, address ranges
AWS owns) is left out with a comment, and listed in the returned notes.
"""

from __future__ import annotations

import json
import re

from ...providers.aws.model import Aws, Route, SgRule, TgwAttachment, TransitGateway, Vpc

TF_PROTOCOL = {"all": "-1", "any": "-1", "-1": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp"}


class _Hcl:
    """A few HCL blocks as text; values are Python data, references are `Ref`s."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def block(self, head: str, body: dict, comment: str = "") -> None:
        if comment:
            self.lines += [f"# {c}" for c in comment.splitlines()]
        self.lines.append(f"{head} {{")
        self._body(body, 1)
        self.lines += ["}", ""]

    def _body(self, body: dict, depth: int) -> None:
        pad = "  " * depth
        for key, value in body.items():
            if value is None:
                continue
            if isinstance(value, Blocks):
                for b in value.items:
                    self.lines.append(f"{pad}{key} {{")
                    self._body(b, depth + 1)
                    self.lines.append(f"{pad}}}")
            else:
                self.lines.append(f"{pad}{key} = {_value(value)}")

    def text(self) -> str:
        return "\n".join(self.lines)


class Ref(str):
    """A Terraform expression written as it is (aws_vpc.main.id)."""


class Blocks:
    def __init__(self, items: list[dict]):
        self.items = items


def _value(v) -> str:
    if isinstance(v, Ref):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v).replace("${", "$${").replace("%{", "%%{")
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as HCL")


def export_aws(aws: Aws, title: str) -> tuple[str, list[str]]:
    """main.tf's text and notes on what Terraform cannot express."""
    return _Exporter(aws, title).run()


class _Exporter:
    def __init__(self, aws: Aws, title: str):
        self.aws, self.title = aws, title
        self.out = _Hcl()
        self.notes: list[str] = []
        self.ids: dict[tuple[str, str, str], str] = {}  # (type, scope, name) -> local name
        self.taken: set[tuple[str, str]] = set()
        self.scope = ""  # the VPC being written
        self.dx_variable = False

    def tf(self, typ: str, name: str, scope: str = "") -> str:
        """The Terraform local name of a model object: unique per type, a valid identifier.
        `scope` is the VPC of route tables, ACLs and groups, whose names are per VPC."""
        if (typ, scope, name) in self.ids:
            return self.ids[(typ, scope, name)]
        base = re.sub(r"[^A-Za-z0-9_-]", "_", name).strip("_-") or "r"
        if not re.match(r"[A-Za-z_]", base):
            base = f"_{base}"
        local, n = base, 2
        while (typ, local) in self.taken:
            local, n = f"{base}_{n}", n + 1
        self.taken.add((typ, local))
        self.ids[(typ, scope, name)] = local
        return local

    def ref(self, typ: str, name: str, attr: str = "id", scope: str = "") -> Ref:
        return Ref(f"{typ}.{self.tf(typ, name, scope)}.{attr}")

    def resource(self, typ: str, name: str, body: dict, comment: str = "",
                 tag: str | None = None, scope: str = "") -> None:
        # tag "": no Name tag (an instance's unnamed interface)
        tagged = {**body, "tags": {"Name": tag if tag is not None else name} if tag != ""
                  else None}
        self.out.block(f'resource "{typ}" "{self.tf(typ, name, scope)}"', tagged, comment)

    def skip(self, what: str) -> None:
        self.notes.append(what)
        self.out.lines += [f"# not exported: {what}", ""]

    # ---- the run -------------------------------------------------------------------------

    def run(self) -> tuple[str, list[str]]:
        aws = self.aws
        self.out.lines += [f"# The AWS part of topology '{self.title}', written by "
                           "`cloudnet export --format terraform`.", ""]
        self.out.lines += ["terraform {", "  required_providers {",
                           '    aws = { source = "hashicorp/aws" }', "  }", "}", ""]
        self.out.block('provider "aws"', {"region": aws.region})
        if any(v.instances for v in aws.vpcs.values()):
            self.out.block('variable "ami"', {"type": Ref("string"), "description":
                                              "AMI of every instance"})
            self.out.block('variable "instance_type"', {"type": Ref("string"),
                                                        "default": "t3.micro"})
        for name, cidrs in aws.prefix_lists.items():
            self.resource("aws_ec2_managed_prefix_list", name, {
                "name": name, "address_family": "IPv4", "max_entries": max(len(cidrs), 1),
                "entry": Blocks([{"cidr": c} for c in cidrs])})
        for name, vpc in aws.vpcs.items():
            self.vpc(name, vpc)
        for p in aws.peerings:
            self.resource("aws_vpc_peering_connection", p.name, {
                "vpc_id": self.ref("aws_vpc", p.requester),
                "peer_vpc_id": self.ref("aws_vpc", p.accepter), "auto_accept": True})
        for c in aws.customer_gateways:
            self.customer_gateway(c.name, c.ip, c.asn)
        for conn in aws.vpn_connections:
            self.vpn(conn)
        for dx in aws.direct_connect_gateways:
            self.dx(dx)
        for tgw in aws.transit_gateways:
            self.tgw(tgw)
        if aws.public_ranges:
            self.skip(f"public_ranges {', '.join(aws.public_ranges)}: address space AWS owns, "
                      "not a resource")
        return self.out.text(), self.notes

    def vpc(self, name: str, vpc: Vpc) -> None:
        cidrs = vpc.all_cidrs()
        if vpc.region and vpc.region != self.aws.region:
            self.notes.append(f"VPC {name} is in {vpc.region}: give it a provider alias")
        self.resource("aws_vpc", name, {"cidr_block": cidrs[0]})
        for j, c in enumerate(cidrs[1:]):
            self.out.block(f'resource "aws_vpc_ipv4_cidr_block_association" '
                           f'"{self.tf("aws_vpc", name)}_{j + 2}"',
                           {"vpc_id": self.ref("aws_vpc", name), "cidr_block": c})
        if vpc.internet_gateway:
            self.resource("aws_internet_gateway", vpc.internet_gateway,
                          {"vpc_id": self.ref("aws_vpc", name)})
        if vpc.vpn_gateway:
            self.resource("aws_vpn_gateway", vpc.vpn_gateway.name, {
                "vpc_id": self.ref("aws_vpc", name), "amazon_side_asn": vpc.vpn_gateway.asn})
        for s in vpc.subnets:
            self.resource("aws_subnet", s.name, {
                "vpc_id": self.ref("aws_vpc", name), "cidr_block": s.cidr,
                "availability_zone": s.az or None})
        for n in vpc.nat_gateways:
            eip = None
            if n.connectivity == "public":
                eip = f"{n.name}-eip"
                self.resource("aws_eip", eip, {"domain": "vpc", "address": n.elastic_ip},
                              "`address` needs a BYOIP pool; without one, drop it and AWS "
                              "picks the address")
            self.resource("aws_nat_gateway", n.name, {
                "subnet_id": self.ref("aws_subnet", n.subnet), "private_ip": n.private_ip,
                "connectivity_type": n.connectivity,
                "allocation_id": self.ref("aws_eip", eip) if eip else None})
        for t in vpc.route_tables:
            self.route_table(name, vpc, t)
        self.scope = name
        for acl in vpc.network_acls:
            subnets = [self.ref("aws_subnet", s.name) for s in vpc.subnets
                       if s.network_acl == acl.name]
            self.resource("aws_network_acl", acl.name, scope=name, body={
                "vpc_id": self.ref("aws_vpc", name), "subnet_ids": subnets,
                **{d: Blocks([{"rule_no": r.rule, "action": r.action, "cidr_block": r.cidr,
                               **self.proto_ports(r.protocol, r.ports, acl=True)}
                              for r in getattr(acl, d)]) for d in ("ingress", "egress")}})
        for sg in vpc.security_groups:
            self.security_group(name, vpc, sg)
        for inst in vpc.instances:
            self.instance(inst)

    def route_table(self, vpc_name: str, vpc: Vpc, t) -> None:
        routes = []
        for r in t.routes:
            if entry := self.route(t.name, r):
                routes.append(entry)
        self.resource("aws_route_table", t.name, {
            "vpc_id": self.ref("aws_vpc", vpc_name),
            "propagating_vgws": [self.ref("aws_vpn_gateway", g) for g in t.propagate] or None,
            "route": Blocks(routes)}, scope=vpc_name)
        table = self.ref("aws_route_table", t.name, scope=vpc_name)
        if t.main:
            self.out.block(f'resource "aws_main_route_table_association" '
                           f'"{self.tf("aws_vpc", vpc_name)}"',
                           {"vpc_id": self.ref("aws_vpc", vpc_name), "route_table_id": table})
        for s in vpc.subnets:
            if s.route_table == t.name:
                self.out.block(f'resource "aws_route_table_association" '
                               f'"{self.tf("aws_subnet", s.name)}"',
                               {"subnet_id": self.ref("aws_subnet", s.name),
                                "route_table_id": table})

    def route(self, table: str, r: Route) -> dict | None:
        what = f"route {r.destination or r.prefix_list} of {table}"
        if r.blackhole:
            self.skip(f"{what}: a blackhole route (AWS makes one when a target is deleted; "
                      "Terraform cannot create it)")
            return None
        if r.origin == "propagated":
            self.skip(f"{what}: propagated by AWS, not configured")
            return None
        dest = {"cidr_block": r.destination} if r.destination else {
            "destination_prefix_list_id": self.ref("aws_ec2_managed_prefix_list", r.prefix_list)}
        target = self.target(r.target)
        if target is None:
            self.skip(f"{what}: target {r.target} is not an exported resource")
            return None
        return {**dest, **target}

    def target(self, name: str | None) -> dict | None:
        for vpc in self.aws.vpcs.values():
            if name == vpc.internet_gateway:
                return {"gateway_id": self.ref("aws_internet_gateway", name)}
            if vpc.vpn_gateway and name == vpc.vpn_gateway.name:
                return {"gateway_id": self.ref("aws_vpn_gateway", name)}
            if name in {n.name for n in vpc.nat_gateways}:
                return {"nat_gateway_id": self.ref("aws_nat_gateway", name)}
        if name in {t.name for t in self.aws.transit_gateways}:
            return {"transit_gateway_id": self.ref("aws_ec2_transit_gateway", name)}
        if name in {p.name for p in self.aws.peerings}:
            return {"vpc_peering_connection_id": self.ref("aws_vpc_peering_connection", name)}
        return None

    @staticmethod
    def proto_ports(protocol, ports, acl: bool = False) -> dict:
        proto = TF_PROTOCOL.get(str(protocol).lower(), str(protocol))
        if proto == "-1":
            return {"protocol": "-1", "from_port": 0, "to_port": 0}
        if proto == "icmp":
            return {"protocol": "icmp", "from_port": 0 if acl else -1, "to_port": 0 if acl
                    else -1, **({"icmp_type": -1, "icmp_code": -1} if acl else {})}
        if proto not in ("tcp", "udp"):
            return {"protocol": proto, "from_port": 0, "to_port": 0}
        if ports is None:
            lo, hi = 0, 65535
        else:
            first, _, second = str(ports).partition("-")
            lo, hi = int(first), int(second or first)
        return {"protocol": proto, "from_port": lo, "to_port": hi}

    def security_group(self, vpc_name: str, vpc: Vpc, sg) -> None:
        self.resource("aws_security_group", sg.name, {
            "name": sg.name, "description": sg.description or None,
            "vpc_id": self.ref("aws_vpc", vpc_name)}, scope=vpc_name)
        # The provider removes AWS's default egress rule: write it when the model keeps it.
        egress = sg.egress if sg.egress is not None else [SgRule(protocol="all",
                                                                 cidr="0.0.0.0/0")]
        for d, rules in (("ingress", sg.ingress), ("egress", egress)):
            for n, rule in enumerate(rules, 1):
                self.out.block(f'resource "aws_security_group_rule" '
                               f'"{self.tf("aws_security_group", sg.name, vpc_name)}_{d}_{n}"', {
                                   "type": d,
                                   "security_group_id": self.group(sg.name),
                                   **self.proto_ports(rule.protocol, rule.ports),
                                   **self.peer(sg.name, rule),
                                   "description": rule.description or None})

    def peer(self, group: str, rule: SgRule) -> dict:
        if rule.cidr or rule.cidrs:
            return {"cidr_blocks": [rule.cidr] if rule.cidr else rule.cidrs}
        if rule.prefix_list:
            return {"prefix_list_ids": [self.ref("aws_ec2_managed_prefix_list",
                                                 rule.prefix_list)]}
        if rule.security_group == group:
            return {"self": True}
        return {"source_security_group_id": self.group(rule.security_group)}

    def group(self, name: str) -> Ref:
        """A security group of the VPC being written (self.scope)."""
        return self.ref("aws_security_group", name, scope=self.scope)

    def instance(self, inst) -> None:
        body = {"ami": Ref("var.ami"), "instance_type": Ref("var.instance_type")}
        if not inst.interfaces:
            body.update(subnet_id=self.ref("aws_subnet", inst.subnet), private_ip=inst.private_ip,
                        vpc_security_group_ids=[self.group(g)
                                                for g in inst.security_groups] or None)
            self.resource("aws_instance", inst.name, body)
            if inst.public_ip:
                self.eip(f"{inst.name}-eip", inst.public_ip, "instance",
                         self.ref("aws_instance", inst.name))
            return
        # The first interface inline when unnamed (as the importer reads it), the others as
        # network interfaces attached at their device index.
        first, *rest = inst.interfaces
        enis = inst.interfaces if first.name else rest
        if not first.name:
            body.update(subnet_id=self.ref("aws_subnet", first.subnet),
                        private_ip=first.private_ip, vpc_security_group_ids=[
                            self.group(g) for g in first.security_groups] or None)
        blocks = []
        for j, i in enumerate(inst.interfaces):
            if i not in enis:
                continue
            eni = i.name or f"{inst.name}-eth{j}"
            self.resource("aws_network_interface", eni, {
                "subnet_id": self.ref("aws_subnet", i.subnet), "private_ips": [i.private_ip],
                "security_groups": [self.group(g) for g in i.security_groups] or None,
                "attachment": Blocks([{"instance": self.ref("aws_instance", inst.name),
                                       "device_index": j}]) if j else None},
                tag=i.name or "")
            if not j:
                blocks.append({"network_interface_id": self.ref("aws_network_interface", eni),
                               "device_index": 0})
            if i.public_ip:
                self.eip(f"{eni}-eip", i.public_ip, "network_interface",
                         self.ref("aws_network_interface", eni))
        self.resource("aws_instance", inst.name, {**body, "network_interface": Blocks(blocks)
                                                  if blocks else None})
        if first.public_ip and not first.name:
            self.eip(f"{inst.name}-eip", first.public_ip, "instance",
                     self.ref("aws_instance", inst.name))

    def eip(self, name: str, address: str, key: str, owner: Ref) -> None:
        self.resource("aws_eip", name, {"domain": "vpc", "address": address, key: owner},
                      "`address` needs a BYOIP pool; without one, drop it and AWS picks the "
                      "address")

    def customer_gateway(self, name: str, ip: str | None, asn: int | None) -> None:
        self.resource("aws_customer_gateway", name, {
            "ip_address": ip or Ref(f"var.{self.tf('variable', name)}_ip"),
            "bgp_asn": asn or 65000, "type": "ipsec.1"})
        if not ip:
            self.out.block(f'variable "{self.tf("variable", name)}_ip"',
                           {"type": Ref("string"),
                            "description": f"public address of {name}"})

    def vpn(self, conn) -> None:
        if conn.customer_gateway not in {c.name for c in self.aws.customer_gateways}:
            self.customer_gateway(conn.customer_gateway, None, None)
        on_tgw = conn.gateway in {t.name for t in self.aws.transit_gateways}
        gw = ({"transit_gateway_id": self.ref("aws_ec2_transit_gateway", conn.gateway)} if on_tgw
              else {"vpn_gateway_id": self.ref("aws_vpn_gateway", conn.gateway)})
        self.resource("aws_vpn_connection", conn.name, {
            "customer_gateway_id": self.ref("aws_customer_gateway", conn.customer_gateway),
            **gw, "type": "ipsec.1", "static_routes_only": conn.routing == "static"})
        for j, c in enumerate(conn.static_routes):
            if on_tgw:
                self.notes.append(f"VPN {conn.name}: {c} is routed by the transit gateway's "
                                  "route tables, not a VPN route")
                continue
            self.out.block(f'resource "aws_vpn_connection_route" '
                           f'"{self.tf("aws_vpn_connection", conn.name)}_{j + 1}"',
                           {"vpn_connection_id": self.ref("aws_vpn_connection", conn.name),
                            "destination_cidr_block": c})

    def dx(self, dx) -> None:
        self.out.block(f'resource "aws_dx_gateway" "{self.tf("aws_dx_gateway", dx.name)}"',
                       {"name": dx.name, "amazon_side_asn": "64512"})
        self.out.block(f'resource "aws_dx_transit_virtual_interface" '
                       f'"{self.tf("aws_dx_gateway", dx.name)}"',
                       {"connection_id": Ref("var.dx_connection_id"), "name": dx.name,
                        "dx_gateway_id": self.ref("aws_dx_gateway", dx.name), "vlan": 100,
                        "address_family": "ipv4", "bgp_asn": 65000})
        if not self.dx_variable:
            self.dx_variable = True
            self.out.block('variable "dx_connection_id"', {"type": Ref("string")})
        if dx.site_router or dx.onprem_prefixes:
            self.notes.append(f"Direct Connect gateway {dx.name}: the site side (site_router, "
                              "onprem_prefixes) is not Terraform's to configure")

    def tgw(self, tgw: TransitGateway) -> None:
        default = tgw.default_route_table
        flag = "enable" if default else "disable"
        self.resource("aws_ec2_transit_gateway", tgw.name, {
            "amazon_side_asn": tgw.asn, "default_route_table_association": flag,
            "default_route_table_propagation": flag})
        tables = {}
        for t in tgw.route_tables:
            if t.name == default:  # AWS makes the default table with the gateway
                tables[t.name] = self.ref("aws_ec2_transit_gateway", tgw.name,
                                          "association_default_route_table_id")
                continue
            self.resource("aws_ec2_transit_gateway_route_table", t.name,
                          {"transit_gateway_id": self.ref("aws_ec2_transit_gateway", tgw.name)})
            tables[t.name] = self.ref("aws_ec2_transit_gateway_route_table", t.name)
        if default and default not in tables:
            tables[default] = self.ref("aws_ec2_transit_gateway", tgw.name,
                                       "association_default_route_table_id")
        att_ids = {a.name: self.attachment(tgw, a, tables) for a in tgw.attachments}
        for t in tgw.route_tables:
            for j, r in enumerate(t.routes):
                self.out.block(f'resource "aws_ec2_transit_gateway_route" '
                               f'"{self.tf("tgw_route_table", t.name)}_{j + 1}"', {
                                   "destination_cidr_block": r.destination,
                                   "transit_gateway_route_table_id": tables[t.name],
                                   "blackhole": True if r.blackhole else None,
                                   "transit_gateway_attachment_id":
                                       att_ids.get(r.attachment) if not r.blackhole else None})

    def attachment(self, tgw: TransitGateway, a: TgwAttachment, tables: dict) -> Ref:
        default = tgw.default_route_table
        assoc_default = a.associate in (None, default)
        prop_default = a.propagate is None
        if a.vpc:
            vpc = self.aws.vpcs[a.vpc]
            subnets = a.subnets or list({s.az: s.name for s in reversed(vpc.subnets)}.values())
            self.resource("aws_ec2_transit_gateway_vpc_attachment", a.name, {
                "transit_gateway_id": self.ref("aws_ec2_transit_gateway", tgw.name),
                "vpc_id": self.ref("aws_vpc", a.vpc),
                "subnet_ids": [self.ref("aws_subnet", s) for s in subnets],
                "transit_gateway_default_route_table_association": assoc_default,
                "transit_gateway_default_route_table_propagation": prop_default})
            att = self.ref("aws_ec2_transit_gateway_vpc_attachment", a.name)
        else:
            owner = (("aws_vpn_connection", a.vpn) if a.vpn else
                     ("aws_dx_gateway_association", a.name))
            if a.direct_connect_gateway:
                dx = next(d for d in self.aws.direct_connect_gateways
                          if d.name == a.direct_connect_gateway)
                self.out.block(f'resource "aws_dx_gateway_association" '
                               f'"{self.tf("aws_dx_gateway_association", a.name)}"', {
                                   "dx_gateway_id": self.ref("aws_dx_gateway", dx.name),
                                   "associated_gateway_id": self.ref("aws_ec2_transit_gateway",
                                                                     tgw.name),
                                   "allowed_prefixes": dx.allowed_prefixes})
            att = self.ref(*owner, "transit_gateway_attachment_id")
            self.out.block(f'resource "aws_ec2_tag" "{self.tf("aws_ec2_tag", a.name)}"',
                           {"resource_id": att, "key": "Name", "value": a.name},
                           "the attachment AWS makes for it, named as in the topology")
            if not (assoc_default and prop_default):
                self.notes.append(f"attachment {a.name}: VPN and Direct Connect attachments take "
                                  "the transit gateway's default tables too; disable them on "
                                  "the gateway if its tables are named explicitly")
        if not assoc_default:
            self.out.block(f'resource "aws_ec2_transit_gateway_route_table_association" '
                           f'"{self.tf("tgw_association", a.name)}"',
                           {"transit_gateway_attachment_id": att,
                            "transit_gateway_route_table_id": tables[a.associate]})
        for t in a.propagate or []:
            self.out.block(f'resource "aws_ec2_transit_gateway_route_table_propagation" '
                           f'"{self.tf("tgw_propagation", f"{a.name}_{t}")}"',
                           {"transit_gateway_attachment_id": att,
                            "transit_gateway_route_table_id": tables[t]})
        return att
