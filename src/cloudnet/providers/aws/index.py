"""Name lookups over an AWS model, shared by validation and compilation."""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network

from .model import Aws, NetworkAcl, RouteTable, SecurityGroup, Subnet

MAIN = "main"  # name of the implicit main route table of a VPC that declares none
DEFAULT = "default"  # the default security group and network ACL of every VPC


def safe_net(text: str) -> IPv4Network | None:
    try:
        return IPv4Network(text, strict=False)
    except (ValueError, TypeError):
        return None


class AwsIndex:
    def __init__(self, aws: Aws, site_routers: dict[str, str] | None = None):
        self.aws = aws
        self.site_routers = site_routers or {}
        self.vpc_cidrs: dict[str, list[IPv4Network]] = {}
        self.subnets: dict[str, tuple[str, Subnet]] = {}
        self.route_tables: dict[str, dict[str, RouteTable]] = {}
        self.main_table: dict[str, str] = {}
        self.acls: dict[str, dict[str, NetworkAcl]] = {}
        self.sgs: dict[tuple[str, str], SecurityGroup] = {}
        self.sg_by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.sg_members: dict[tuple[str, str], list[IPv4Address]] = defaultdict(list)
        self.igws: dict[str, str] = {}  # vpc -> igw
        self.igw_vpc: dict[str, str] = {}
        self.nats: dict[str, tuple[str, object]] = {}
        self.nat_ip: dict[str, IPv4Address] = {}
        self.vgws: dict[str, str] = {}  # vgw -> vpc
        self.vpns = {v.name: v for v in aws.vpn_connections}
        self.vpns_on: dict[str, list] = defaultdict(list)
        for v in aws.vpn_connections:
            self.vpns_on[v.gateway].append(v)
        self.tgws = {t.name: t for t in aws.transit_gateways}
        self.peerings = {p.name: p for p in aws.peerings}
        self.dxgws = {d.name: d for d in aws.direct_connect_gateways}
        self.instances: dict[str, str] = {}
        self.resolved: dict = {}
        for name, vpc in aws.vpcs.items():
            self._vpc(name, vpc)

    def _vpc(self, name: str, vpc) -> None:
        self.vpc_cidrs[name] = [n for n in map(safe_net, vpc.all_cidrs()) if n]
        for s in vpc.subnets:
            self.subnets.setdefault(s.name, (name, s))
        tables = {t.name: t for t in vpc.route_tables}
        mains = [t.name for t in vpc.route_tables if t.main]
        if not mains:
            tables.setdefault(MAIN, RouteTable(name=MAIN, main=True))
            mains = [MAIN]
        self.route_tables[name] = tables
        self.main_table[name] = mains[0]
        self.acls[name] = {a.name: a for a in vpc.network_acls}
        for sg in vpc.security_groups:
            self.sgs.setdefault((name, sg.name), sg)
            self.sg_by_name[sg.name].append((name, sg.name))
            if sg.id:
                self.sg_by_name[sg.id].append((name, sg.name))
        if (name, DEFAULT) not in self.sgs:
            self.sgs[(name, DEFAULT)] = SecurityGroup(
                name=DEFAULT, description="default security group",
                ingress=[{"protocol": "all", "security_group": DEFAULT}])
            self.sg_by_name[DEFAULT].append((name, DEFAULT))
        if vpc.internet_gateway:
            self.igws[name] = vpc.internet_gateway
            self.igw_vpc[vpc.internet_gateway] = name
        if vpc.vpn_gateway:
            self.vgws[vpc.vpn_gateway.name] = name
        used: set[IPv4Address] = set()
        for inst in vpc.instances:
            self.instances[inst.name] = name
            for _, _, ip, _, groups in inst.enis():
                try:
                    addr = IPv4Address(ip)
                except ValueError:
                    continue
                used.add(addr)
                for g in groups or [DEFAULT]:
                    key = self.sg_key(name, g)
                    if key:
                        self.sg_members[key].append(addr)
        for nat in vpc.nat_gateways:
            self.nats[nat.name] = (name, nat)
            if nat.private_ip:
                try:
                    used.add(IPv4Address(nat.private_ip))
                except ValueError:
                    pass
        for nat in vpc.nat_gateways:
            self.nat_ip[nat.name] = self._nat_address(nat, used)

    def _nat_address(self, nat, used: set[IPv4Address]) -> IPv4Address:
        if nat.private_ip:
            try:
                return IPv4Address(nat.private_ip)
            except ValueError:
                pass
        subnet = self.subnets.get(nat.subnet)
        cidr = safe_net(subnet[1].cidr) if subnet else None
        if cidr is None:
            return IPv4Address("0.0.0.0")
        # The first address after the four AWS reserves at the start of every subnet.
        for host in range(4, cidr.num_addresses - 1):
            addr = cidr.network_address + host
            if addr not in used:
                used.add(addr)
                return addr
        return cidr.network_address + 4

    def sg_key(self, vpc: str, name: str) -> tuple[str, str] | None:
        if (vpc, name) in self.sgs:
            return (vpc, name)
        candidates = self.sg_by_name.get(name, [])
        return candidates[0] if len(candidates) == 1 else None

    def subnet_rtb(self, vpc: str, s: Subnet) -> str:
        return s.route_table or self.main_table[vpc]

    def subnet_acl(self, vpc: str, s: Subnet) -> str | None:
        if s.network_acl:
            return s.network_acl
        return DEFAULT if DEFAULT in self.acls[vpc] else None

    def tgw_attachment(self, tgw: str, vpc: str):
        for att in self.tgws[tgw].attachments:
            if att.vpc == vpc:
                return att
        return None

    def tgw_serves_az(self, tgw: str, vpc: str, az: str) -> bool:
        att = self.tgw_attachment(tgw, vpc)
        if att is None:
            return False
        if not att.subnets:  # no subnets named: one in every AZ the VPC uses
            return True
        return any(self.subnets[s][1].az == az for s in att.subnets if s in self.subnets)

    def target_kind(self, vpc: str, target: str) -> tuple[str, str]:
        """(kind, problem) of a route target as seen from a route table of `vpc`."""
        if target == self.igws.get(vpc):
            return "igw", ""
        if target in self.igw_vpc:
            return "igw", f"internet gateway {target} is attached to VPC {self.igw_vpc[target]}"
        if target in self.nats:
            other = self.nats[target][0]
            return "nat", "" if other == vpc else f"NAT gateway {target} is in VPC {other}"
        if target in self.vgws:
            other = self.vgws[target]
            return "vgw", "" if other == vpc else \
                f"virtual private gateway {target} is attached to VPC {other}"
        if target in self.tgws:
            return "tgw", "" if self.tgw_attachment(target, vpc) else \
                f"transit gateway {target} has no attachment for VPC {vpc}"
        if target in self.peerings:
            p = self.peerings[target]
            return "pcx", "" if vpc in (p.requester, p.accepter) else \
                f"peering {target} does not involve VPC {vpc}"
        if target in self.instances:
            return "instance", "routes to an instance (middlebox routing) are not modelled yet"
        return "", "no such gateway, peering or transit gateway"
