"""AWS rules a topology must obey before it is compiled, reported all at once.

Every check reports on the model object that holds the bad field, so each diagnostic names
file, line and field.  A value that does not parse is reported once and then skipped by the
checks that would use it, so one bad CIDR never hides (or crashes) the others.

`Checks` holds the parsing and reference helpers; the on-premises and topology-wide
validators use it too.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from typing import Iterable

from ...diagnostics import Diagnostic, did_you_mean
from ...ir.model import PROTO_NUMBERS
from ...model.base import ModelObject
from .index import DEFAULT, AwsIndex
from .model import (AclRule, Aws, Instance, NatGateway, Route, RouteTable, SgRule, Subnet,
                    TgwAttachment, TransitGateway, Vpc, VpnConnection)

RESERVED_RANGE = IPv4Network("169.254.168.0/22")  # AWS: no routes to or inside it
SOURCES = ("cidr", "cidrs", "prefix_list", "security_group")
ALL_PROTOCOLS = -1
# The five addresses AWS keeps in every subnet, by offset from the network address.
SUBNET_RESERVED = {0: "the network address", 1: "the VPC router (network+1)",
                   2: "the Amazon DNS server (network+2)",
                   3: "reserved by AWS for future use (network+3)"}


# ---- parsing, shared with the on-premises and topology validators ----------------------

def parse_cidr(text) -> tuple[str, IPv4Network | None]:
    """(problem, network).  A non-canonical CIDR is a problem but still yields its network,
    so the checks that follow can go on with it."""
    s = str(text).strip()
    if "/" not in s:
        return f"{s} is not a CIDR" + (f" (did you mean {s}/32?)" if _is_ipv4(s) else ""), None
    try:
        net = ip_network(s, strict=False)
    except ValueError:
        return f"{s} is not a valid IPv4 CIDR", None
    if net.version != 4:
        return f"{s} is IPv6; only IPv4 is supported", None
    if net.network_address != ip_address(s.split("/")[0]):
        return f"{s} is not canonical (did you mean {net}?)", net
    return "", net


def parse_ip(text) -> tuple[str, IPv4Address | None]:
    s = str(text).strip()
    if "/" in s:
        return f"{s} is a CIDR; expected a single IPv4 address", None
    try:
        addr = ip_address(s)
    except ValueError:
        return f"{s} is not a valid IPv4 address", None
    if addr.version != 4:
        return f"{s} is IPv6; only IPv4 is supported", None
    return "", addr


def _is_ipv4(s: str) -> bool:
    return parse_ip(s)[1] is not None


def parse_protocol(p) -> int | None:
    """The IP protocol number, ALL_PROTOCOLS, or None if `p` is not a protocol."""
    text = str(p).strip().lower()
    if text in ("all", "any", "-1"):
        return ALL_PROTOCOLS
    if text in PROTO_NUMBERS:
        return PROTO_NUMBERS[text]
    if text.isdigit() and int(text) <= 255:
        return int(text)
    return None


def parse_ports(ports) -> tuple[int, int] | None:
    if isinstance(ports, bool):
        return None
    if isinstance(ports, int):
        lo = hi = ports
    else:
        first, sep, second = str(ports).strip().partition("-")
        try:
            lo = int(first)
            hi = int(second) if sep else lo
        except ValueError:
            return None
    return (lo, hi) if 0 <= lo <= hi <= 65535 else None


def where(obj: ModelObject, *sub: str | int) -> str:
    """file:line of a field, for messages that point back at a first occurrence."""
    d = obj.diagnostic("", *sub)
    return f"{d.file}:{d.line}" if d.line else d.file


class Checks:
    """Collects diagnostics; each parsing helper reports a bad value and returns None."""

    def __init__(self) -> None:
        self.out: list[Diagnostic] = []

    def error(self, obj: ModelObject, message: str, *sub: str | int) -> None:
        self.out.append(obj.diagnostic(message, *sub))

    def warn(self, obj: ModelObject, message: str, *sub: str | int) -> None:
        self.out.append(obj.diagnostic(message, *sub, severity="warning"))

    def cidr(self, obj: ModelObject, text, *sub: str | int) -> IPv4Network | None:
        problem, net = parse_cidr(text)
        if problem:
            self.error(obj, problem, *sub)
        return net

    def ip(self, obj: ModelObject, text, *sub: str | int) -> IPv4Address | None:
        problem, addr = parse_ip(text)
        if problem:
            self.error(obj, problem, *sub)
        return addr

    def ref(self, obj: ModelObject, name, choices: Iterable[str], what: str, *sub: str | int,
            scope: str = "") -> bool:
        """A reference by name: error (with a suggestion) unless `name` is one of `choices`."""
        choices = set(choices)
        if name in choices:
            return True
        hint = did_you_mean(str(name), sorted(map(str, choices)))
        self.error(obj, f"no {what} '{name}'{scope}{hint}", *sub)
        return False

    def taken(self, obj: ModelObject, sub: tuple, name: str, first_kind: str,
              first: ModelObject, first_sub: tuple) -> None:
        """The one message for a reused name (the topology check repeats it; it dedupes)."""
        self.error(obj, f"name '{name}' is already used by the {first_kind} at "
                        f"{where(first, *first_sub)}", *sub)

    def unique(self, objs: Iterable, kind: str) -> dict[str, ModelObject]:
        """Objects by name, first one winning; later ones with the same name are errors."""
        first: dict[str, ModelObject] = {}
        for obj in objs:
            if obj.name in first:
                self.taken(obj, ("name",), obj.name, kind, first[obj.name], ("name",))
            else:
                first[obj.name] = obj
        return first

    def protocol_ports(self, rule: SgRule | AclRule) -> None:
        proto = parse_protocol(rule.protocol)
        if proto is None:
            self.error(rule, f"protocol '{rule.protocol}' is not tcp, udp, icmp, all (any, -1) "
                             "or a protocol number 0-255", "protocol")
        if rule.ports is None:
            return
        if parse_ports(rule.ports) is None:
            self.error(rule, f"ports '{rule.ports}' is not a port 0-65535 or a range 'lo-hi' "
                             "with lo <= hi", "ports")
        elif proto is not None and proto not in (6, 17):
            # AWS ignores ports unless the rule is for TCP or UDP.
            self.warn(rule, f"ports are ignored for protocol {rule.protocol} "
                            "(they apply to tcp and udp only)", "ports")


# ---- AWS ---------------------------------------------------------------------------------

def validate_aws(aws: Aws, site_routers: set[str]) -> list[Diagnostic]:
    """Every problem in the AWS part; `site_routers` are the names a VPN or DX may end at."""
    v = _AwsChecks(aws, set(site_routers))
    v.run()
    return v.out


class _AwsChecks(Checks):
    def __init__(self, aws: Aws, site_routers: set[str]):
        super().__init__()
        self.aws, self.routers = aws, site_routers
        self.ix = AwsIndex(aws)
        self.vpc_nets: dict[str, list[IPv4Network]] = {}
        # public address -> (what owns it, object, field): checked across all VPCs
        self.public: dict[IPv4Address, tuple[str, ModelObject, str]] = {}

    def run(self) -> None:
        aws = self.aws
        for name, cidrs in aws.prefix_lists.items():
            for j, c in enumerate(cidrs):
                self.cidr(aws, c, "prefix_lists", name, j)
        for j, c in enumerate(aws.public_ranges):
            self.cidr(aws, c, "public_ranges", j)
        for name, vpc in aws.vpcs.items():
            self.vpc(name, vpc)
        self.peerings()
        for tgw in aws.transit_gateways:
            self.transit_gateway(tgw)
        # Sites route "via" a VPN connection or DX gateway name, and a VIF names the site
        # router's link: they must not collide.
        links = {name: ("VPN connection", obj) for name, obj in
                 self.unique(aws.vpn_connections, "VPN connection").items()}
        for kind, objs in (("Direct Connect gateway", aws.direct_connect_gateways),
                           ("virtual interface", [v for c in aws.direct_connect_connections
                                                  for v in c.vifs])):
            for obj in objs:
                if obj.name in links:
                    self.taken(obj, ("name",), obj.name, *links[obj.name], ("name",))
                else:
                    links[obj.name] = (kind, obj)
        for conn in aws.vpn_connections:
            self.vpn(conn)
        for dx in aws.direct_connect_gateways:
            self.dx_gateway(dx)
        self.unique(aws.direct_connect_connections, "Direct Connect connection")
        for conn in aws.direct_connect_connections:
            self.dx_connection(conn)

    # ---- VPC addressing ------------------------------------------------------------------

    def vpc(self, name: str, vpc: Vpc) -> None:
        nets = self.vpc_cidrs(vpc)
        self.vpc_nets[name] = nets
        subnets = self.subnets(name, vpc, nets)
        used: dict[IPv4Address, tuple[str, ModelObject, str]] = {}
        for inst in vpc.instances:
            self.instance(name, vpc, inst, subnets, used)
        for nat in vpc.nat_gateways:
            self.nat_gateway(name, vpc, nat, subnets, used)
        self.route_tables(name, vpc, nets, subnets)
        self.unique(vpc.security_groups, "security group")
        for sg in vpc.security_groups:
            for direction in ("ingress", "egress"):
                for rule in getattr(sg, direction) or []:
                    self.sg_rule(name, rule)
        self.unique(vpc.network_acls, "network ACL")
        for acl in vpc.network_acls:
            for direction in ("ingress", "egress"):
                self.acl_rules(getattr(acl, direction), direction)

    def vpc_cidrs(self, vpc: Vpc) -> list[IPv4Network]:
        given = ([(vpc.cidr, ("cidr",))] if vpc.cidr is not None else []) + \
            [(c, ("cidrs", i)) for i, c in enumerate(vpc.cidrs)]
        if not given:
            self.error(vpc, "a VPC needs at least one CIDR (cidr: or cidrs:)")
        nets: list[IPv4Network] = []
        for text, sub in given:
            net = self.cidr(vpc, text, *sub)
            if net is None:
                continue
            self.size(vpc, net, "VPC CIDR", *sub)
            other = next((n for n in nets if n.overlaps(net)), None)
            if other is not None:
                self.error(vpc, f"{net} overlaps the VPC's CIDR {other}", *sub)
            nets.append(net)
        return nets

    def size(self, obj: ModelObject, net: IPv4Network, what: str, *sub: str | int) -> None:
        if not 16 <= net.prefixlen <= 28:
            big = "large" if net.prefixlen < 16 else "small"
            self.error(obj, f"{net} is too {big} for a {what} (AWS allows /16 to /28)", *sub)

    def subnets(self, vpc_name: str, vpc: Vpc,
                nets: list[IPv4Network]) -> dict[str, tuple[Subnet, IPv4Network | None]]:
        """The VPC's subnets by name (first wins), with their parsed CIDR."""
        out: dict[str, tuple[Subnet, IPv4Network | None]] = {}
        placed: list[tuple[Subnet, IPv4Network]] = []
        tables = self.ix.route_tables.get(vpc_name, {})
        acls = set(self.ix.acls.get(vpc_name, {})) | {DEFAULT}
        for s in vpc.subnets:
            if s.name in out:
                self.taken(s, ("name",), s.name, "subnet", out[s.name][0], ("name",))
            net = self.cidr(s, s.cidr, "cidr")
            if net is not None:
                self.subnet_cidr(s, net, nets, placed)
                placed.append((s, net))
            out.setdefault(s.name, (s, net))
            if s.route_table is not None:
                self.ref(s, s.route_table, tables, "route table", "route_table",
                         scope=f" in VPC {vpc_name}")
            if s.network_acl is not None:
                self.ref(s, s.network_acl, acls, "network ACL", "network_acl",
                         scope=f" in VPC {vpc_name}")
        return out

    def subnet_cidr(self, s: Subnet, net: IPv4Network, nets: list[IPv4Network],
                    others: list[tuple[Subnet, IPv4Network]]) -> None:
        self.size(s, net, "subnet", "cidr")
        if nets and not any(net.subnet_of(n) for n in nets):
            self.error(s, f"{net} is outside the VPC's CIDRs ({', '.join(map(str, nets))})",
                       "cidr")
        for other, other_net in others:
            if other_net.overlaps(net):
                self.error(s, f"{net} overlaps subnet {other.name} ({other_net})", "cidr")
                break

    # ---- instances and NAT gateways ------------------------------------------------------

    def instance(self, vpc_name: str, vpc: Vpc, inst: Instance, subnets: dict,
                 used: dict) -> None:
        azs: dict[str, str] = {}
        for eni, subnet, ip, public, groups in inst.enis():
            obj = eni if eni is not None else inst  # the shorthand form has no interface
            found = self.subnet_ref(obj, vpc_name, subnet, subnets)
            self.address(obj, "private_ip", ip, subnets.get(subnet), used, f"instance {inst.name}")
            if found:
                az = subnets[subnet][0].az
                if az and azs and az not in azs:
                    self.error(obj, f"subnet {subnet} is in {az}, but the instance's other "
                                    f"interfaces are in {next(iter(azs))} (one AZ per instance)",
                               "subnet")
                if az:
                    azs.setdefault(az, subnet)
            if public is not None:
                valid = self.public_ip(obj, "public_ip", public, f"instance {inst.name}")
                if valid and vpc.internet_gateway is None:
                    self.warn(obj, f"public IP {public} is unreachable: VPC {vpc_name} has no "
                                   "internet gateway", "public_ip")
            for j, g in enumerate(groups):
                self.sg_ref(vpc_name, g, obj, "security_groups", j)

    def nat_gateway(self, vpc_name: str, vpc: Vpc, nat: NatGateway, subnets: dict,
                    used: dict) -> None:
        self.subnet_ref(nat, vpc_name, nat.subnet, subnets)
        if nat.private_ip is not None:
            self.address(nat, "private_ip", nat.private_ip, subnets.get(nat.subnet), used,
                         f"NAT gateway {nat.name}")
        if nat.connectivity == "public":
            if nat.elastic_ip is None:
                self.error(nat, "a public NAT gateway needs an elastic_ip", "elastic_ip")
            if vpc.internet_gateway is None:
                self.warn(nat, f"public NAT gateway in VPC {vpc_name}, which has no internet "
                               "gateway: it cannot reach the internet", "connectivity")
        elif nat.elastic_ip is not None:
            self.warn(nat, "a private NAT gateway has no elastic IP; this one is ignored",
                      "elastic_ip")
        if nat.elastic_ip is not None:
            self.public_ip(nat, "elastic_ip", nat.elastic_ip, f"NAT gateway {nat.name}")

    def subnet_ref(self, obj: ModelObject, vpc_name: str, subnet: str, subnets: dict) -> bool:
        if subnet in subnets:
            return True
        elsewhere = self.ix.subnets.get(subnet)
        if elsewhere:
            self.error(obj, f"subnet {subnet} is in VPC {elsewhere[0]}, not in VPC {vpc_name}",
                       "subnet")
        else:
            self.ref(obj, subnet, subnets, "subnet", "subnet", scope=f" in VPC {vpc_name}")
        return False

    def address(self, obj: ModelObject, field: str, text: str,
                subnet: tuple[Subnet, IPv4Network | None] | None, used: dict,
                owner: str) -> None:
        """A private address: inside its subnet, not AWS-reserved, not used twice."""
        ip = self.ip(obj, text, field)
        s, net = subnet or (None, None)
        if ip is None:
            return
        if net is not None:
            if ip not in net:
                self.error(obj, f"{ip} is outside subnet {s.name} ({net})", field)
            else:
                role = SUBNET_RESERVED.get(int(ip) - int(net.network_address))
                if ip == net.broadcast_address:
                    role = "the broadcast address"
                if role:
                    self.error(obj, f"{ip} is reserved by AWS in subnet {s.name} ({net}): "
                                    f"{role}", field)
        if ip in used:
            first_owner, first, first_field = used[ip]
            self.error(obj, f"{ip} is already used by {first_owner} at "
                            f"{where(first, first_field)}", field)
        else:
            used[ip] = (owner, obj, field)

    def public_ip(self, obj: ModelObject, field: str, text: str, owner: str) -> bool:
        ip = self.ip(obj, text, field)
        if ip is None:
            return False
        if ip in self.public:
            first_owner, first, first_field = self.public[ip]
            self.error(obj, f"public IP {ip} is already used by {first_owner} at "
                            f"{where(first, first_field)}", field)
        else:
            self.public[ip] = (owner, obj, field)
        return True

    # ---- route tables --------------------------------------------------------------------

    def route_tables(self, vpc_name: str, vpc: Vpc, nets: list[IPv4Network],
                     subnets: dict) -> None:
        self.unique(vpc.route_tables, "route table")
        main: RouteTable | None = None
        subnet_nets = {net for _, net in subnets.values() if net is not None}
        for t in vpc.route_tables:
            if t.main and main is not None:
                self.error(t, f"VPC {vpc_name} already has a main route table ({main.name} at "
                              f"{where(main, 'main')})", "main")
            elif t.main:
                main = t
            seen: dict = {}
            for r in t.routes:
                self.route(vpc_name, r, nets, subnet_nets, seen)
            gw = vpc.vpn_gateway
            for j, name in enumerate(t.propagate):
                if gw is None:
                    self.error(t, f"cannot propagate from '{name}': VPC {vpc_name} has no "
                                  "vpn_gateway", "propagate", j)
                elif name != gw.name:
                    self.error(t, f"no virtual private gateway '{name}' on VPC {vpc_name} "
                                  f"(did you mean '{gw.name}'?)", "propagate", j)

    def route(self, vpc_name: str, r: Route, nets: list[IPv4Network],
              subnet_nets: set[IPv4Network], seen: dict) -> None:
        if (r.destination is None) == (r.prefix_list is None):
            self.error(r, "a route needs exactly one of destination or prefix_list")
        dest = self.cidr(r, r.destination, "destination") if r.destination is not None else None
        if r.prefix_list is not None:
            self.ref(r, r.prefix_list, self.aws.prefix_lists, "prefix list", "prefix_list")
        self.route_duplicate(r, dest, seen)
        if r.target is None and not r.blackhole:
            self.error(r, "a route needs a target (or blackhole: true)")
        if dest is not None and dest.subnet_of(RESERVED_RANGE):
            self.error(r, f"{dest} is inside {RESERVED_RANGE}, which AWS reserves: no routes "
                          "to it are allowed", "destination")
        if r.target == "local" and not r.blackhole:
            if r.destination is None or (dest is not None and dest not in nets):
                self.error(r, "target local is only valid for one of the VPC's own CIDRs "
                              f"({', '.join(map(str, nets))})", "target")
            return
        # A blackhole route keeps the id of its deleted target (as AWS reports it): no check.
        kind = self.target(vpc_name, r) if r.target is not None and not r.blackhole else ""
        # A propagated route may overlap the local range (it just never wins); a blackhole
        # route with a target was valid when made (e.g. a subnet's route to a deleted NAT).
        if dest is None or r.origin != "static" or (r.blackhole and r.target is not None):
            return
        local = next((n for n in nets if dest.subnet_of(n)), None)
        if local is not None and not (dest in subnet_nets and kind == "nat"):
            self.error(r, f"{dest} is inside the VPC's local range {local}: routes inside the "
                          "VPC's local range are not allowed (except a whole subnet's CIDR to a "
                          "NAT gateway)", "destination")

    def route_duplicate(self, r: Route, dest: IPv4Network | None, seen: dict) -> None:
        key = dest if dest is not None else (
            ("prefix list", r.prefix_list) if r.prefix_list is not None else None)
        if key is None:
            return
        if key in seen:
            shown = dest if dest is not None else f"prefix list {r.prefix_list}"
            self.error(r, f"duplicate route for {shown} (first at {where(seen[key])})",
                       "destination" if dest is not None else "prefix_list")
        else:
            seen[key] = r

    def target(self, vpc_name: str, r: Route) -> str:
        kind, problem = self.ix.target_kind(vpc_name, r.target)
        if problem and not kind:
            gateways = [*self.ix.igws.values(), *self.ix.nats, *self.ix.vgws, *self.ix.tgws,
                        *self.ix.peerings, "local"]
            self.ref(r, r.target, gateways, "gateway, peering or transit gateway", "target")
        elif problem:
            self.error(r, f"route target {r.target}: {problem}", "target")
        return kind

    # ---- security groups and network ACLs ------------------------------------------------

    def sg_rule(self, vpc_name: str, rule: SgRule) -> None:
        given = [k for k in SOURCES if getattr(rule, k) is not None]
        if not given:
            self.error(rule, "a rule needs one of cidr, cidrs, prefix_list or security_group")
        elif len(given) > 1:
            self.error(rule, "give only one of cidr, cidrs, prefix_list or security_group "
                             f"(this rule has {', '.join(given)})", given[1])
        if rule.cidr is not None:
            self.cidr(rule, rule.cidr, "cidr")
        if rule.cidrs == []:
            self.error(rule, "cidrs is empty", "cidrs")
        for j, c in enumerate(rule.cidrs or []):
            self.cidr(rule, c, "cidrs", j)
        if rule.prefix_list is not None:
            self.ref(rule, rule.prefix_list, self.aws.prefix_lists, "prefix list", "prefix_list")
        if rule.security_group is not None:
            self.sg_ref(vpc_name, rule.security_group, rule, "security_group")
        self.protocol_ports(rule)

    def sg_ref(self, vpc_name: str, name: str, obj: ModelObject, *sub: str | int) -> None:
        """A group of the VPC, "default", or a name (or id) that is unique across VPCs."""
        if self.ix.sg_key(vpc_name, name):
            return
        owners = sorted({v for v, _ in self.ix.sg_by_name.get(name, [])})
        if owners:
            self.error(obj, f"security group '{name}' is not in VPC {vpc_name} and is "
                            f"ambiguous: VPCs {', '.join(owners)} each have one", *sub)
        else:
            self.ref(obj, name, self.ix.sg_by_name, "security group", *sub)

    def acl_rules(self, rules: list[AclRule], direction: str) -> None:
        seen: dict[int, AclRule] = {}
        for r in rules:
            if not 1 <= r.rule <= 32766:
                self.error(r, f"rule number {r.rule} is outside 1-32766", "rule")
            elif r.rule in seen:
                self.error(r, f"rule number {r.rule} is already used in {direction} (at "
                              f"{where(seen[r.rule], 'rule')})", "rule")
            else:
                seen[r.rule] = r
            self.cidr(r, r.cidr, "cidr")
            self.protocol_ports(r)

    # ---- connections between VPCs and to sites -------------------------------------------

    def peerings(self) -> None:
        pairs: dict[frozenset, object] = {}
        for p in self.aws.peerings:
            ok = self.ref(p, p.requester, self.aws.vpcs, "VPC", "requester")
            ok = self.ref(p, p.accepter, self.aws.vpcs, "VPC", "accepter") and ok
            if not ok:
                continue
            if p.requester == p.accepter:
                self.error(p, f"a VPC cannot peer with itself ({p.requester})", "accepter")
                continue
            pair = frozenset((p.requester, p.accepter))
            if pair in pairs:
                first = pairs[pair]
                self.error(p, f"VPCs {p.requester} and {p.accepter} are already peered by "
                              f"{first.name} (at {where(first, 'name')})", "accepter")
            pairs.setdefault(pair, p)
            for a in self.vpc_nets.get(p.requester, []):
                for b in self.vpc_nets.get(p.accepter, []):
                    if a.overlaps(b):
                        self.error(p, f"{p.requester}'s CIDR {a} overlaps {p.accepter}'s CIDR "
                                      f"{b}: peered VPCs may not overlap", "accepter")

    def transit_gateway(self, tgw: TransitGateway) -> None:
        tables = set(self.unique(tgw.route_tables, "route table"))
        if tgw.default_route_table:
            tables.add(tgw.default_route_table)
        atts = self.unique(tgw.attachments, "attachment")
        attached: dict[tuple[str, str], TgwAttachment] = {}
        for att in tgw.attachments:
            self.tgw_attachment(tgw, att, tables, attached)
        for t in tgw.route_tables:
            seen: dict[IPv4Network, object] = {}
            for r in t.routes:
                dest = self.cidr(r, r.destination, "destination")
                if dest is not None and dest in seen:
                    self.error(r, f"duplicate route for {dest} (first at {where(seen[dest])})",
                               "destination")
                elif dest is not None:
                    seen[dest] = r
                if r.attachment is None and not r.blackhole:
                    self.error(r, "a route needs an attachment (or blackhole: true)")
                elif r.attachment is not None and not r.blackhole:
                    self.ref(r, r.attachment, atts, "attachment", "attachment",
                             scope=f" on transit gateway {tgw.name}")

    def tgw_attachment(self, tgw: TransitGateway, att: TgwAttachment, tables: set[str],
                       attached: dict) -> None:
        given = [(k, getattr(att, k)) for k in ("vpc", "vpn", "direct_connect_gateway")
                 if getattr(att, k) is not None]
        if len(given) != 1:
            self.error(att, "an attachment needs exactly one of vpc, vpn or "
                            "direct_connect_gateway")
        for field, name in given:
            self.attachment_target(tgw, att, field, name, attached)
        self.attachment_subnets(att)
        if att.associate is not None:
            self.ref(att, att.associate, tables, "route table", "associate",
                     scope=f" on transit gateway {tgw.name}")
        elif not tgw.default_route_table:
            self.error(att, f"transit gateway {tgw.name} has no default route table: give "
                            "associate")
        for j, name in enumerate(att.propagate or []):
            self.ref(att, name, tables, "route table", "propagate", j,
                     scope=f" on transit gateway {tgw.name}")

    def attachment_target(self, tgw: TransitGateway, att: TgwAttachment, field: str, name: str,
                          attached: dict) -> None:
        choices = {"vpc": (self.aws.vpcs, "VPC"), "vpn": (self.ix.vpns, "VPN connection"),
                   "direct_connect_gateway": (self.ix.dxgws, "Direct Connect gateway")}
        names, what = choices[field]
        if not self.ref(att, name, names, what, field):
            return
        if field == "vpn" and self.ix.vpns[name].gateway != tgw.name:
            self.error(att, f"VPN connection {name} terminates on "
                            f"{self.ix.vpns[name].gateway}, not on {tgw.name}", field)
        if (field, name) in attached:
            first = attached[(field, name)]
            self.error(att, f"{what} {name} is already attached to {tgw.name} by {first.name} "
                            f"(at {where(first, 'name')})", field)
        attached.setdefault((field, name), att)

    def attachment_subnets(self, att: TgwAttachment) -> None:
        if att.subnets and att.vpc is None:
            self.error(att, "subnets apply only to a VPC attachment", "subnets")
            return
        vpc = self.aws.vpcs.get(att.vpc) if att.vpc is not None else None
        if vpc is None:
            return
        own = {s.name: s for s in vpc.subnets}
        azs: dict[str, str] = {}
        for j, name in enumerate(att.subnets):
            if name not in own:
                elsewhere = self.ix.subnets.get(name)
                if elsewhere:
                    self.error(att, f"subnet {name} is in VPC {elsewhere[0]}, not in the "
                                    f"attached VPC {att.vpc}", "subnets", j)
                else:
                    self.ref(att, name, own, "subnet", "subnets", j, scope=f" in VPC {att.vpc}")
                continue
            az = own[name].az
            if az and az in azs:
                self.error(att, f"subnets {azs[az]} and {name} are both in {az}: an attachment "
                                "takes one subnet per AZ", "subnets", j)
            azs.setdefault(az, name)

    def vpn(self, conn: VpnConnection) -> None:
        gateways = [*self.ix.vgws, *self.ix.tgws]
        self.ref(conn, conn.gateway, gateways, "virtual private gateway or transit gateway",
                 "gateway")
        self.ref(conn, conn.customer_gateway,
                 self.routers | {c.name for c in self.aws.customer_gateways},
                 "site router or customer gateway", "customer_gateway")
        tgw = self.ix.tgws.get(conn.gateway)
        if tgw is not None and not any(a.vpn == conn.name for a in tgw.attachments):
            self.warn(conn, f"transit gateway {tgw.name} has no attachment with vpn: "
                            f"{conn.name}, so this VPN carries no traffic", "gateway")
        for j, c in enumerate(conn.static_routes):
            self.cidr(conn, c, "static_routes", j)

    def dx_gateway(self, dx) -> None:
        vifs = [v for c in self.aws.direct_connect_connections for v in c.vifs
                if v.gateway == dx.name]
        if dx.site_router is not None and vifs:
            self.error(dx, f"give site_router (one VIF) or VIFs on a connection (like "
                           f"{vifs[0].name} at {where(vifs[0], 'gateway')}), not both",
                       "site_router")
        elif vifs and dx.onprem_prefixes:
            self.warn(dx, "ignored: over its VIFs the site announces its prefixes by BGP",
                      "onprem_prefixes")
        if dx.site_router is not None:
            self.ref(dx, dx.site_router, self.routers, "site router", "site_router")
        for field in ("allowed_prefixes", "onprem_prefixes"):
            for j, p in enumerate(getattr(dx, field)):
                self.cidr(dx, p, field, j)
        if not any(a.direct_connect_gateway == dx.name
                   for t in self.aws.transit_gateways for a in t.attachments):
            self.warn(dx, f"Direct Connect gateway {dx.name} is attached to no transit "
                          "gateway, so it carries no traffic", "name")

    def dx_connection(self, conn) -> None:
        """Its VIFs reach DX gateways and share its bandwidth: together they may not take
        more than it has (a VIF without a bandwidth of its own shares what is there)."""
        self.ref(conn, conn.site_router, self.routers, "site router", "site_router")
        carved = 0
        for v in conn.vifs:
            self.ref(v, v.gateway, self.ix.dxgws, "Direct Connect gateway", "gateway")
            carved += v.bandwidth_mbps or 0
            if v.bandwidth_mbps and carved > conn.bandwidth_mbps:
                self.error(v, f"the VIFs of connection {conn.name} take {carved} Mbps, more "
                              f"than its {conn.bandwidth_mbps} Mbps", "bandwidth_mbps")
