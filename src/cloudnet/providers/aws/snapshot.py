"""Import a Batfish-style AWS snapshot: aws_configs/*.json, each one `aws ec2 describe-*` output.

A file's resource kind is its top-level key (Vpcs, Subnets, ...), never its name; files may sit
in region subfolders (the folder name becomes the VPCs' region).  Names are AWS ids, and every
object is placed at its JSON item so provenance names file:line.  Whatever cloudnet does not
model is reported as a warning rather than dropped silently; malformed input raises InputError.

A snapshot holds no on-premises side: VPNs end at customer gateways and DX gateways at virtual
interfaces beyond the model, where traffic leaves it (EXITS_NETWORK).  To follow it further,
add a Site whose router is named after the customer gateway (with BGP routing, set the VPN's
static_routes to what the site announces), and set a DX gateway's site_router and
onprem_prefixes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any


from ...diagnostics import Diagnostic, InputError
from ...importers.jsondoc import At, JsonImporter
from .model import (AclRule, Aws, CustomerGateway, DirectConnectGateway, Instance, Interface, NatGateway,
                    NetworkAcl, Peering, Route, RouteTable, SecurityGroup, SgRule, Subnet,
                    TgwAttachment, TgwRoute, TgwRouteTable, TransitGateway, Vpc, VpnConnection,
                    VpnGateway)

CONFIGS = "aws_configs"
METADATA = {"AvailabilityZones", "Regions", "NextToken", "ResponseMetadata"}  # no resources
GONE = {"deleted", "deleting", "failed", "rejected", "expired", "terminated", "shutting-down"}
# Batfish wraps per-route-table calls as [{TransitGatewayRouteTableId, <inner>: [...]}]; a dict
# keyed by route table id is accepted too.
PER_TABLE = {"TransitGatewayPropagations": "TransitGatewayRouteTablePropagations",
             "TransitGatewayStaticRoutes": "Routes"}
KINDS = {"Vpcs", "Subnets", "RouteTables", "SecurityGroups", "NetworkAcls", "Reservations",
         "NetworkInterfaces", "InternetGateways", "NatGateways", "VpnGateways", "VpnConnections",
         "CustomerGateways", "VpcPeeringConnections", "TransitGateways",
         "TransitGatewayAttachments", "TransitGatewayVpcAttachments", "TransitGatewayRouteTables",
         "Addresses", "DirectConnectGateways", "VirtualInterfaces",
         "DirectConnectGatewayAssociations", "PrefixLists", *PER_TABLE}
PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "tcp": "tcp", "17": "udp", "udp": "udp",
             "1": "icmp", "icmp": "icmp"}
UNSUPPORTED_TARGETS = {  # route target field -> what it is (none of these is modelled)
    "InstanceId": "instance", "NetworkInterfaceId": "network interface",
    "CarrierGatewayId": "carrier gateway", "EgressOnlyInternetGatewayId":
    "egress-only internet gateway", "LocalGatewayId": "Outposts local gateway",
    "CoreNetworkArn": "Cloud WAN core network"}
ROUTE_TARGETS = ("NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")  # us-east-2 of the AZ us-east-2b


def is_snapshot(path: Path) -> bool:
    return (Path(path) / CONFIGS).is_dir()


def load_snapshot(folder: Path) -> tuple[Aws, list[Diagnostic]]:
    """The AWS model of the snapshot and warnings; InputError if a file is malformed."""
    return _Importer(Path(folder)).run()


class _Importer(JsonImporter):
    def __init__(self, folder: Path):
        super().__init__(folder)
        self.kinds: dict[str, list[At]] = defaultdict(list)  # kind -> items (raw for PER_TABLE)
        self.seen: set[str] = set()  # ids imported so far (AWS ids are unique across kinds)
        self.vpcs: dict[str, Vpc] = {}
        self.subnets: dict[str, str] = {}  # subnet -> VPC
        self.owner: dict[str | None, str] = {}  # route table / network ACL -> VPC
        self.subnet_rtb: dict[str, str] = {}
        self.subnet_acl: dict[str, str] = {}
        self.default_acl: dict[str, str] = {}
        self.prefix_lists: dict[str, list[str]] = {}
        self.sgs: set[str] = set()
        self.sg_refs: list[tuple[At, str, str]] = []  # (where, group, effect if unknown)
        self.vgws: set[str] = set()
        self.enis: set[str] = set()  # modelled ENIs (instances', NAT gateways')
        self.instances: set[str] = set()  # every instance in Reservations, modelled or not
        self.public_ranges: list[str] = []
        self.peerings: list[Peering] = []
        self.vpns: dict[str, VpnConnection] = {}
        self.dxgws: dict[str, DirectConnectGateway] = {}
        self.cgws: dict[str, CustomerGateway] = {}
        self.tgws: list[TransitGateway] = []
        self._eni_items: dict[str, At] | None = None

    # ---- diagnostics and typed access --------------------------------------------------

    def get(self, at: At, key: str, typ: type | tuple = str, required: bool = False) -> Any:
        d = at.data if isinstance(at.data, dict) else {}
        if key not in d and (camel := key[0].lower() + key[1:]) in d:
            key = camel  # the directconnect CLI spells keys in camelCase
        value = d.get(key)
        if typ is int and isinstance(value, str) and re.fullmatch(r"\d+", value):
            value = int(value)  # CustomerGateways spell ASNs as strings
        return self.check(at, key, value, typ, required)

    def address(self, at: At, key: str, kind: type, required: bool = False) -> str | None:
        text = self.get(at, key, str, required)
        return text if text is not None and self.valid(at, text, kind, key) else None

    def valid(self, at: At, text: str, kind: type, *sub: str | int) -> bool:
        try:
            kind(text)  # strict, as the compiler parses it again
            return True
        except ValueError:
            noun = "address" if kind is IPv4Address else "CIDR"
            self.error(at, f"{text!r} is not an IPv4 {noun}", *sub)
            return False

    def cidr(self, at: At, key: str, required: bool = False) -> str | None:
        return self.address(at, key, IPv4Network, required)

    def ip(self, at: At, key: str, required: bool = False) -> str | None:
        return self.address(at, key, IPv4Address, required)

    def fresh(self, at: At, key: str) -> str | None:
        """The item's id, unless missing or already imported (then the first one wins)."""
        rid = self.get(at, key, required=True)
        if rid in self.seen:
            self.warn(at, f"{rid} appears more than once; the first is kept", key)
            return None
        if rid:
            self.seen.add(rid)
        return rid

    def vpc_of(self, at: At, what: str) -> Vpc | None:
        vid = self.get(at, "VpcId", required=True)
        if vid and vid not in self.vpcs:
            self.warn(at, f"{what} is in VPC {vid}, which is not in the snapshot; skipped", "VpcId")
        return self.vpcs.get(vid) if vid else None

    def live(self, at: At, what: str, state: str | None) -> bool:
        if state in GONE:
            self.warn(at, f"{what} is {state}; skipped")
            return False
        return True

    # ---- reading -----------------------------------------------------------------------

    def run(self) -> tuple[Aws, list[Diagnostic]]:
        self.read()
        if not self.errors:
            # What others refer to first: prefix lists, VPCs, tables, subnets, groups, gateways.
            for kind, step in (("PrefixLists", self.prefix_list), ("Vpcs", self.vpc),
                               ("NetworkAcls", self.network_acl),
                               ("RouteTables", self.route_table), ("Subnets", self.subnet),
                               ("SecurityGroups", self.security_group),
                               ("InternetGateways", self.internet_gateway),
                               ("VpnGateways", self.vpn_gateway),
                               ("Reservations", self.reservation),
                               ("NatGateways", self.nat_gateway), ("Addresses", self.elastic_ip)):
                for at in self.kinds[kind]:
                    step(at)
            self.check_sg_refs()
            self.network_interfaces()
            for at in self.kinds["VpcPeeringConnections"]:
                self.peering(at)
            self.vpn_connections()
            self.direct_connect()
            self.transit_gateways()
        if self.errors:
            raise InputError(self.errors)
        return self.build(), self.warnings

    def read(self) -> None:
        for f, top in self.files(self.folder / CONFIGS):
            data = top.data
            top = replace(top, region=f.parent.name if REGION.fullmatch(f.parent.name) else None)
            if not isinstance(data, dict):
                self.error(top, "expected a JSON object holding one describe call's output, "
                                'e.g. {"Vpcs": [...]}')
                continue
            for key, value in data.items():
                kind = str(key)[:1].upper() + str(key)[1:]
                at = top.to(value, key)
                if kind in PER_TABLE:
                    self.kinds[kind].append(at)
                elif kind in KINDS:
                    self.kinds[kind] += self.items(at)
                elif kind not in METADATA and value:
                    n = len(value) if isinstance(value, (list, dict)) else 1
                    self.warn(at, f"{n} {kind} resource(s) not modelled by cloudnet; ignored")

    def per_table(self, kind: str) -> list[tuple[str, At]]:
        """(route table id, entry) of a PER_TABLE kind."""
        inner, out = PER_TABLE[kind], []
        for at in self.kinds[kind]:
            if isinstance(at.data, dict):
                for rtb, value in at.data.items():
                    sub = at.to(value, rtb)
                    entries = self.items(sub, inner) if isinstance(value, dict) else self.items(sub)
                    out += [(str(rtb), e) for e in entries]
            else:
                for w in self.items(at):
                    rtb = self.get(w, "TransitGatewayRouteTableId", required=True)
                    out += [(rtb, e) for e in self.items(w, inner)] if rtb else []
        return out

    # ---- VPCs and their contents -------------------------------------------------------

    def prefix_list(self, at: At) -> None:
        # describe-managed-prefix-lists shares the key but lists no Cidrs: users of such a
        # list are skipped with a warning where they are.
        pid, cidrs = self.get(at, "PrefixListId", required=True), self.get(at, "Cidrs", list)
        if pid and cidrs is not None and pid not in self.prefix_lists:
            self.prefix_lists[pid] = [c for j, c in enumerate(cidrs)  # IPv6 is not modelled
                                      if isinstance(c, str) and ":" not in c
                                      and self.valid(at, c, IPv4Network, "Cidrs", j)]

    def vpc(self, at: At) -> None:
        vid = self.fresh(at, "VpcId")
        cidrs = [c for a in self.items(at, "CidrBlockAssociationSet")
                 if self.get(self.obj(a, "CidrBlockState"), "State") == "associated"
                 and (c := self.cidr(a, "CidrBlock"))]
        if not cidrs and (c := self.cidr(at, "CidrBlock", required=True)):
            cidrs = [c]
        if self.get(at, "Ipv6CidrBlockAssociationSet", list):
            self.warn(at, f"IPv6 CIDR blocks of {vid} ignored (IPv6 is not modelled)",
                      "Ipv6CidrBlockAssociationSet")
        vpc = vid and self.make(Vpc, at, id=vid, cidrs=cidrs, account=self.get(at, "OwnerId"),
                                region=at.region)
        if vpc:
            self.vpcs[vid] = vpc

    def network_acl(self, at: At) -> None:
        aid = self.fresh(at, "NetworkAclId")
        vpc = self.vpc_of(at, f"network ACL {aid}")
        if not (aid and vpc):
            return
        rules: dict[str, list[AclRule]] = {"ingress": [], "egress": []}
        ipv6 = []
        for e in self.items(at, "Entries"):
            num = self.get(e, "RuleNumber", int, required=True)
            if num is None or num == 32767:  # the `*` rule: the implicit deny, always applied
                continue
            if self.get(e, "Ipv6CidrBlock"):
                ipv6.append(str(num))
                continue
            proto, action = self.protocol(e, "Protocol"), self.get(e, "RuleAction", required=True)
            cidr = self.cidr(e, "CidrBlock", required=True)
            if None not in (proto, action, cidr):
                rule = self.make(AclRule, e, rule=num, action=action, protocol=proto, cidr=cidr,
                                 ports=self.ports(self.obj(e, "PortRange"), "From", "To", proto))
                if rule:
                    rules["egress" if self.get(e, "Egress", bool) else "ingress"].append(rule)
        if ipv6:
            self.warn(at, f"IPv6 rules {', '.join(ipv6)} of {aid} ignored (IPv6 is not modelled)",
                      "Entries")
        acl = self.make(NetworkAcl, at, name=aid, **rules)
        if acl:
            vpc.network_acls.append(acl)
            self.owner[aid] = vpc.id
        if self.get(at, "IsDefault", bool):
            self.default_acl[self.get(at, "VpcId")] = aid
        for a in self.items(at, "Associations"):
            if sid := self.get(a, "SubnetId"):
                self.subnet_acl[sid] = aid

    def protocol(self, at: At, key: str) -> str | int | None:
        raw = self.get(at, key, (str, int), required=True)
        if raw is None:
            return None
        text = str(raw).lower()
        if text in PROTOCOLS:
            return PROTOCOLS[text]
        if text.isdigit() and int(text) <= 255:
            return int(text)
        self.warn(at, f"protocol {raw!r} is not modelled (IPv6-only?); rule skipped", key)
        return None

    def ports(self, at: At, lo_key: str, hi_key: str, proto) -> str | None:
        if proto not in ("tcp", "udp"):  # ports constrain only TCP and UDP (ICMP: type/code)
            return None
        lo, hi = self.get(at, lo_key, int), self.get(at, hi_key, int)
        if lo is None or hi is None or lo < 0 or (lo, hi) == (0, 65535):
            return None
        return f"{lo}-{hi}"

    def route_table(self, at: At) -> None:
        rid = self.fresh(at, "RouteTableId")
        vpc = self.vpc_of(at, f"route table {rid}")
        if not (rid and vpc):
            return
        ipv6: list[str] = []
        routes = [r for e in self.items(at, "Routes") if (r := self.route(e, rid, ipv6))]
        if ipv6:
            self.warn(at, f"IPv6 routes of {rid} ignored (IPv6 is not modelled): "
                          f"{', '.join(ipv6)}", "Routes")
        main = False
        for a in self.items(at, "Associations"):
            if self.get(self.obj(a, "AssociationState"), "State") not in (None, "associated"):
                continue
            if self.get(a, "Main", bool):
                main = True
            elif sid := self.get(a, "SubnetId"):
                self.subnet_rtb[sid] = rid
            elif gw := self.get(a, "GatewayId"):
                self.warn(a, f"edge association of {rid} with {gw} (ingress routing) is not "
                             "modelled")
        propagate = [g for p in self.items(at, "PropagatingVgws")
                     if (g := self.get(p, "GatewayId"))]
        table = self.make(RouteTable, at, name=rid, main=main, routes=routes, propagate=propagate)
        if table:
            vpc.route_tables.append(table)
            self.owner[rid] = vpc.id

    def route(self, at: At, rid: str, ipv6: list[str]) -> Route | None:
        dest, pl = self.cidr(at, "DestinationCidrBlock"), self.get(at, "DestinationPrefixListId")
        gw = self.get(at, "GatewayId")
        if gw == "local":  # the compiler adds the local routes itself
            return None
        if not (dest or pl):
            if v6 := self.get(at, "DestinationIpv6CidrBlock"):
                ipv6.append(v6)
            else:
                self.error(at, "route without DestinationCidrBlock or DestinationPrefixListId")
            return None
        what = f"route {dest or pl} of {rid}"
        blackhole = self.get(at, "State") == "blackhole"
        target = next((v for f in ROUTE_TARGETS if (v := self.get(at, f))), None)
        unsupported = [(f"{name} {v}", v) for f, name in UNSUPPORTED_TARGETS.items()
                       if (v := self.get(at, f))]
        if gw and gw.startswith(("igw-", "vgw-")):
            target = target or gw
        elif gw:
            unsupported.append((f"{'VPC endpoint' if gw.startswith('vpce-') else 'gateway'} {gw}",
                                gw))
        if blackhole:  # dropped, whatever the (often deleted) target was
            target = target or next((v for _, v in unsupported), None)
        elif unsupported or target is None:
            why = (f"its target, {unsupported[0][0]}, is not modelled" if unsupported
                   else "it has no target")
            self.warn(at, f"{what} skipped: {why}")
            return None
        if pl and not dest and pl not in self.prefix_lists:
            self.warn(at, f"{what} skipped: prefix list {pl} has no entries in the snapshot")
            return None
        origin = "propagated" if self.get(at, "Origin") == "EnableVgwRoutePropagation" else "static"
        return self.make(Route, at, destination=dest, prefix_list=None if dest else pl,
                         target=target, blackhole=blackhole, origin=origin)

    def subnet(self, at: At) -> None:
        sid = self.fresh(at, "SubnetId")
        vpc = self.vpc_of(at, f"subnet {sid}")
        cidr, az = self.cidr(at, "CidrBlock", required=True), self.get(at, "AvailabilityZone")
        if not (sid and vpc and cidr):
            return
        vid = self.get(at, "VpcId")
        rtb = self.subnet_rtb.get(sid)  # None: the VPC's main table
        acl = self.subnet_acl.get(sid) or self.default_acl.get(vid)
        subnet = self.make(Subnet, at, name=sid, cidr=cidr, az=az or "",
                           route_table=rtb if self.owner.get(rtb) == vid else None,
                           network_acl=acl if self.owner.get(acl) == vid else None)
        if subnet:
            vpc.subnets.append(subnet)
            self.subnets[sid] = vid
            if vpc.region is None and az and (m := REGION.match(az)):
                vpc.region = m.group(0)

    def security_group(self, at: At) -> None:
        gid = self.fresh(at, "GroupId")
        vpc = self.vpc_of(at, f"security group {gid}")
        if not (gid and vpc):
            return
        sg = self.make(SecurityGroup, at, name=gid, id=gid,
                       description=self.get(at, "Description") or "",
                       ingress=self.sg_rules(at, "IpPermissions", gid),
                       egress=self.sg_rules(at, "IpPermissionsEgress", gid))
        if sg:
            vpc.security_groups.append(sg)
            self.sgs.add(gid)

    def sg_rules(self, at: At, key: str, gid: str) -> list[SgRule]:
        out, ipv6 = [], 0
        for p in self.items(at, key):
            proto = self.protocol(p, "IpProtocol")
            ipv6 += len(self.items(p, "Ipv6Ranges"))
            if proto is None:
                continue
            ports = self.ports(p, "FromPort", "ToPort", proto)
            peers = ([("cidr", r, "CidrIp") for r in self.items(p, "IpRanges")]
                     + [("prefix_list", r, "PrefixListId") for r in self.items(p, "PrefixListIds")]
                     + [("security_group", r, "GroupId")
                        for r in self.items(p, "UserIdGroupPairs")])
            for field, r, k in peers:
                value = (self.cidr(r, k, required=True) if field == "cidr"
                         else self.get(r, k, required=True))
                if field == "prefix_list" and value and value not in self.prefix_lists:
                    self.warn(r, f"rule of {gid} skipped: prefix list {value} has no entries "
                                 "in the snapshot")
                    continue
                if field == "security_group" and value:
                    self.sg_refs.append((r, value, "the rule matches no address"))
                rule = value and self.make(SgRule, r, protocol=proto, ports=ports,
                                           description=self.get(r, "Description") or "",
                                           **{field: value})
                if rule:
                    out.append(rule)
        if ipv6:
            self.warn(at, f"{ipv6} IPv6 range(s) in {key} of {gid} ignored (IPv6 is not "
                          "modelled)", key)
        return out

    def check_sg_refs(self) -> None:
        for at, gid, effect in self.sg_refs:
            if gid not in self.sgs:
                self.warn(at, f"security group {gid} is not in the snapshot (another account?): "
                              f"{effect}")

    def internet_gateway(self, at: At) -> None:
        gid = self.fresh(at, "InternetGatewayId")
        attached = [a for a in self.items(at, "Attachments")
                    if self.get(a, "State") in ("available", "attached")]
        if gid and not attached:
            self.warn(at, f"internet gateway {gid} is attached to no VPC; not modelled")
        for a in attached:
            if gid and (vpc := self.vpc_of(a, f"internet gateway {gid}")):
                vpc.internet_gateway = gid

    def vpn_gateway(self, at: At) -> None:
        gid = self.fresh(at, "VpnGatewayId")
        if not (gid and self.live(at, f"virtual private gateway {gid}", self.get(at, "State"))):
            return
        attached = [a for a in self.items(at, "VpcAttachments")
                    if self.get(a, "State") == "attached"]
        if not attached:
            self.warn(at, f"virtual private gateway {gid} is attached to no VPC; not modelled")
        for a in attached:
            vpc = self.vpc_of(a, f"virtual private gateway {gid}")
            gw = vpc and self.make(VpnGateway, at, name=gid,
                                   asn=self.get(at, "AmazonSideAsn", int) or 64512)
            if gw:
                vpc.vpn_gateway = gw
                self.vgws.add(gid)

    def reservation(self, res: At) -> None:
        for at in self.items(res, "Instances"):
            if raw := self.get(at, "InstanceId"):
                self.instances.add(raw)  # its interfaces are accounted for, modelled or not
            iid = self.fresh(at, "InstanceId")
            if not (iid and self.live(at, f"instance {iid}",
                                      self.get(self.obj(at, "State"), "Name"))):
                continue
            vpc = self.vpc_of(at, f"instance {iid}")
            if not vpc:
                continue
            # The primary interface (device 0) first: it holds the instance's default route.
            enis = sorted(self.items(at, "NetworkInterfaces"), key=lambda n: self.get(
                self.obj(n, "Attachment"), "DeviceIndex", int) or 0)
            ifaces = [i for n in enis if (i := self.interface(n, iid, vpc.id))]
            if not ifaces:
                self.warn(at, f"instance {iid} has no network interface in a known subnet; "
                              "skipped")
                continue
            if self.get(at, "SourceDestCheck", bool) is False:
                self.warn(at, f"instance {iid} has its source/destination check disabled; "
                              "cloudnet enforces it (routing through instances is not modelled)",
                          "SourceDestCheck")
            inst = self.make(Instance, at, name=iid, interfaces=ifaces)
            if inst:
                vpc.instances.append(inst)

    def interface(self, at: At, iid: str, vid: str) -> Interface | None:
        eid, sid = self.get(at, "NetworkInterfaceId"), self.get(at, "SubnetId", required=True)
        ip = self.ip(at, "PrivateIpAddress", required=True)
        if not (sid and ip):
            return None
        if self.subnets.get(sid) != vid:
            self.warn(at, f"interface {eid} of {iid} is in subnet {sid}, which is not in the "
                          f"snapshot's VPC {vid}; skipped", "SubnetId")
            return None
        extra = [a for p in self.items(at, "PrivateIpAddresses")
                 if self.get(p, "Primary", bool) is False
                 and (a := self.get(p, "PrivateIpAddress"))]
        if extra:
            self.warn(at, f"secondary private IPs of {eid} not modelled: {', '.join(extra)}",
                      "PrivateIpAddresses")
        if self.get(at, "Ipv6Addresses", list):
            self.warn(at, f"IPv6 addresses of {eid} ignored (IPv6 is not modelled)",
                      "Ipv6Addresses")
        groups = [g for x in self.items(at, "Groups") if (g := self.get(x, "GroupId"))]
        self.sg_refs += [(at.to(None, "Groups"), g, f"{eid} gets no rules from it")
                         for g in groups]
        iface = self.make(Interface, at, name=eid, subnet=sid, private_ip=ip,
                          public_ip=self.ip(self.obj(at, "Association"), "PublicIp"),
                          security_groups=groups)
        if iface and eid:
            self.enis.add(eid)
        return iface

    def nat_gateway(self, at: At) -> None:
        nid = self.fresh(at, "NatGatewayId")
        if not (nid and self.live(at, f"NAT gateway {nid}", self.get(at, "State"))):
            return
        vpc, sid = self.vpc_of(at, f"NAT gateway {nid}"), self.get(at, "SubnetId", required=True)
        if vpc and sid and self.subnets.get(sid) != vpc.id:
            self.warn(at, f"NAT gateway {nid} is in subnet {sid}, which is not in the snapshot's "
                          f"VPC {vpc.id}; skipped", "SubnetId")
            return
        addrs = self.items(at, "NatGatewayAddresses")
        first = next((a for a in addrs if self.get(a, "IsPrimary", bool)), addrs[0] if addrs
                     else at.to({}, "NatGatewayAddresses"))
        if len(addrs) > 1:
            self.warn(at, f"secondary addresses of NAT gateway {nid} not modelled",
                      "NatGatewayAddresses")
        private, public = self.ip(first, "PrivateIp"), self.ip(first, "PublicIp")
        eni = self.get(first, "NetworkInterfaceId")
        if n := self.eni_items().get(eni):  # describe-nat-gateways may omit the addresses
            private = private or self.ip(n, "PrivateIpAddress")
            public = public or self.ip(self.obj(n, "Association"), "PublicIp")
        conn = self.get(at, "ConnectivityType") or "public"
        nat = vpc and sid and self.make(NatGateway, at, name=nid, subnet=sid, private_ip=private,
                                        elastic_ip=public if conn == "public" else None,
                                        connectivity=conn)
        if nat:
            vpc.nat_gateways.append(nat)
            self.enis.add(eni or nid)

    def eni_items(self) -> dict[str, At]:
        if self._eni_items is None:
            self._eni_items = {e: n for n in self.kinds["NetworkInterfaces"]
                               if isinstance(e := n.data.get("NetworkInterfaceId"), str)}
        return self._eni_items

    def elastic_ip(self, at: At) -> None:
        ip = self.ip(at, "PublicIp", required=True)
        if ip and not self.get(at, "AssociationId"):  # unused, but AWS's: routed to AWS
            self.public_ranges.append(f"{ip}/32")

    def network_interfaces(self) -> None:
        """Report the interfaces no modelled resource owns (load balancers, endpoints, ...)."""
        lost: dict[str, list[tuple[At, str]]] = defaultdict(list)
        for n in self.kinds["NetworkInterfaces"]:
            eid, kind = self.get(n, "NetworkInterfaceId"), self.get(n, "InterfaceType")
            owner = self.get(self.obj(n, "Attachment"), "InstanceId")
            if eid in self.enis or owner in self.instances or kind in ("nat_gateway",
                                                                       "transit_gateway"):
                continue  # modelled, or already reported with its instance
            what = self.get(n, "Description") or kind or "interface"
            lost[n.src.file].append((n, f"{eid} ({what}, {self.get(n, 'PrivateIpAddress')}) "
                                        f"at line {n.src.line(n.path)}"))
        for entries in lost.values():
            shown = [t for _, t in entries[:20]] + (
                [f"and {len(entries) - 20} more"] if len(entries) > 20 else [])
            self.warn(entries[0][0], f"{len(entries)} network interface(s) not modelled (no "
                                     f"instance, NAT or transit gateway owns them): "
                                     f"{'; '.join(shown)}")

    # ---- connections -------------------------------------------------------------------

    def peering(self, at: At) -> None:
        pid = self.fresh(at, "VpcPeeringConnectionId")
        status = self.get(self.obj(at, "Status"), "Code")
        req = self.get(self.obj(at, "RequesterVpcInfo"), "VpcId", required=True)
        acc = self.get(self.obj(at, "AccepterVpcInfo"), "VpcId", required=True)
        if not (pid and req and acc):
            return
        if status != "active":
            self.warn(at, f"peering {pid} is {status}, not active; skipped")
        elif missing := [v for v in (req, acc) if v not in self.vpcs]:
            self.warn(at, f"peering {pid} joins {', '.join(missing)}, not in the snapshot "
                          "(another account or region?); skipped")
        elif p := self.make(Peering, at, name=pid, requester=req, accepter=acc):
            self.peerings.append(p)

    def vpn_connections(self) -> None:
        cgws = {self.get(c, "CustomerGatewayId"): c for c in self.kinds["CustomerGateways"]}
        tgws = {self.get(t, "TransitGatewayId") for t in self.kinds["TransitGateways"]}
        for at in self.kinds["VpnConnections"]:
            vid, cgw = self.fresh(at, "VpnConnectionId"), self.get(at, "CustomerGatewayId",
                                                                   required=True)
            if not (vid and cgw and self.live(at, f"VPN connection {vid}", self.get(at, "State"))):
                continue
            gw = self.get(at, "VpnGatewayId") or self.get(at, "TransitGatewayId")
            if gw not in self.vgws and gw not in tgws:
                self.warn(at, f"VPN connection {vid} ends on {gw or 'no gateway'}, which is not "
                              "an attached virtual private gateway or a transit gateway of the "
                              "snapshot; skipped")
                continue
            static = bool(self.get(self.obj(at, "Options"), "StaticRoutesOnly", bool))
            routes = [c for r in self.items(at, "Routes") if self.get(r, "State") not in GONE
                      and (c := self.cidr(r, "DestinationCidrBlock"))]
            # The tunnels' AWS endpoints: telemetry has them, newer outputs the tunnel options.
            outside = [ip for t in self.items(at, "VgwTelemetry") +
                       self.items(self.obj(at, "Options"), "TunnelOptions")
                       if (ip := self.get(t, "OutsideIpAddress"))]
            conn = self.make(VpnConnection, at, name=vid, gateway=gw, customer_gateway=cgw,
                             routing="static" if static else "bgp", static_routes=routes,
                             outside_ips=list(dict.fromkeys(outside)))
            if not conn:
                continue
            self.vpns[vid] = conn
            c = cgws.get(cgw)
            if cgw not in self.cgws:
                gw_obj = self.make(CustomerGateway, c if c is not None else at, name=cgw,
                                   ip=self.get(c, "IpAddress") if c else None,
                                   asn=self.get(c, "BgpAsn", int) if c else None)
                if gw_obj:
                    self.cgws[cgw] = gw_obj
            self.warn(at, f"VPN connection {vid}: its customer gateway {cgw} is outside the "
                          "snapshot, so traffic to the site leaves the model there; add an "
                          f"on-premises site whose router is named {cgw} to follow it"
                          + ("" if static else " (with BGP, set static_routes to what the site "
                                               "announces)"), "CustomerGatewayId")

    def direct_connect(self) -> None:
        vifs, assocs = defaultdict(list), defaultdict(list)
        for v in self.kinds["VirtualInterfaces"]:
            if self.get(v, "VirtualInterfaceState") not in GONE:
                vifs[self.get(v, "DirectConnectGatewayId")].append(v)
        for a in self.kinds["DirectConnectGatewayAssociations"]:
            if self.get(a, "AssociationState") in (None, "associated"):
                assocs[self.get(a, "DirectConnectGatewayId")].append(a)
        for at in self.kinds["DirectConnectGateways"]:
            did = self.fresh(at, "DirectConnectGatewayId")
            if not (did and self.live(at, f"Direct Connect gateway {did}",
                                      self.get(at, "DirectConnectGatewayState"))):
                continue
            if not vifs[did]:
                self.warn(at, f"Direct Connect gateway {did} has no virtual interface; skipped")
                continue
            if len(vifs[did]) > 1:
                self.warn(at, f"Direct Connect gateway {did} has {len(vifs[did])} virtual "
                              "interfaces; only the first is modelled")
            allowed = []
            for a in assocs[did]:
                gw = self.obj(a, "AssociatedGateway")
                if self.get(gw, "Type") == "transitGateway":
                    allowed += [c for p in self.items(a, "AllowedPrefixesToDirectConnectGateway")
                                if (c := self.cidr(p, "Cidr"))]
                else:
                    self.warn(a, f"association of {did} with {self.get(gw, 'Id')} is not "
                                 "modelled (only transit gateway associations are)")
            vif = self.get(vifs[did][0], "VirtualInterfaceId", required=True)
            # Batfish and the console name the gateway dxgw-<id>; the id alone is a bare UUID.
            name = did if did.startswith("dxgw-") else f"dxgw-{did}"
            dx = vif and self.make(DirectConnectGateway, at, name=name,
                                   allowed_prefixes=allowed, onprem_prefixes=[])
            if dx:
                self.dxgws[did] = dx
                self.warn(at, f"Direct Connect gateway {name}: the site behind its virtual "
                              f"interface {vif} is outside the snapshot, so traffic leaves the "
                              "model there; set site_router and onprem_prefixes to follow it")

    def transit_gateways(self) -> None:
        tables = defaultdict(list)
        for t in self.kinds["TransitGatewayRouteTables"]:
            rid = self.fresh(t, "TransitGatewayRouteTableId")
            if rid and self.live(t, f"transit gateway route table {rid}", self.get(t, "State")):
                tables[self.get(t, "TransitGatewayId", required=True)].append((rid, t))
        attachments = defaultdict(list)
        for a in self.kinds["TransitGatewayAttachments"]:
            attachments[self.get(a, "TransitGatewayId", required=True)].append(a)
        subnets = {self.get(v, "TransitGatewayAttachmentId"): v
                   for v in self.kinds["TransitGatewayVpcAttachments"]}
        propagate = defaultdict(list)  # attachment -> route tables it propagates to
        for rid, p in self.per_table("TransitGatewayPropagations"):
            if self.get(p, "State") in (None, "enabled"):
                propagate[self.get(p, "TransitGatewayAttachmentId", required=True)].append(rid)
        static = defaultdict(list)
        for rid, r in self.per_table("TransitGatewayStaticRoutes"):
            static[rid].append(r)
        for at in self.kinds["TransitGateways"]:
            tid = self.fresh(at, "TransitGatewayId")
            if not (tid and self.live(at, f"transit gateway {tid}", self.get(at, "State"))):
                continue
            rids = {rid for rid, _ in tables[tid]}
            atts = [x for a in attachments[tid]
                    if (x := self.tgw_attachment(a, rids, subnets, propagate))]
            names = {a.name for a in atts}
            rtbs = [self.make(TgwRouteTable, t, name=rid, routes=[
                r for e in static[rid] if (r := self.tgw_route(e, rid, names))])
                for rid, t in tables[tid]]
            opts = self.obj(at, "Options")
            tgw = self.make(TransitGateway, at, name=tid,
                            asn=self.get(opts, "AmazonSideAsn", int) or 64512,
                            default_route_table=self.get(opts, "AssociationDefaultRouteTableId"),
                            route_tables=[t for t in rtbs if t], attachments=atts)
            if tgw:
                self.tgws.append(tgw)

    def tgw_attachment(self, at: At, rids: set[str], subnets: dict[str, At],
                       propagate: dict[str, list[str]]) -> TgwAttachment | None:
        aid = self.fresh(at, "TransitGatewayAttachmentId")
        state, kind = self.get(at, "State"), self.get(at, "ResourceType", required=True)
        res = self.get(at, "ResourceId", required=True)
        if not (aid and kind and res):
            return None
        if state != "available":
            self.warn(at, f"transit gateway attachment {aid} is {state}; skipped")
            return None
        field = {"vpc": "vpc", "vpn": "vpn",
                 "direct-connect-gateway": "direct_connect_gateway"}.get(kind)
        if field is None:
            self.warn(at, f"transit gateway attachment {aid} ({kind} {res}) is not modelled")
            return None
        known = {"vpc": self.vpcs, "vpn": self.vpns, "direct_connect_gateway": self.dxgws}
        if res not in known[field]:
            self.warn(at, f"transit gateway attachment {aid}: {kind} {res} is not imported; "
                          "skipped", "ResourceId")
            return None
        assoc = self.obj(at, "Association")
        associate = (self.get(assoc, "TransitGatewayRouteTableId")
                     if self.get(assoc, "State") in (None, "associated") else None)
        if associate is None:
            # AWS drops what such an attachment sends; the model has no way to say so.
            self.warn(at, f"transit gateway attachment {aid} is associated with no route table; "
                          "the model uses the default route table")
        elif associate not in rids:
            self.warn(at, f"transit gateway attachment {aid} is associated with {associate}, "
                          "which is not in the snapshot; the model uses the default route table",
                      "Association")
            associate = None
        unknown = [r for r in propagate.get(aid, []) if r not in rids]
        if unknown:
            self.warn(at, f"transit gateway attachment {aid} propagates to {', '.join(unknown)}, "
                          "not in the snapshot; ignored")
        sids = self.get(subnets.get(aid, at.to({})), "SubnetIds", list) or []
        if field == "direct_connect_gateway":
            res = self.dxgws[res].name
        att = self.make(TgwAttachment, at, name=aid, **{field: res},
                        subnets=[s for s in sids if isinstance(s, str)] if field == "vpc" else [],
                        associate=associate,
                        propagate=[r for r in propagate.get(aid, []) if r in rids])
        return att

    def tgw_route(self, at: At, rid: str, attachments: set[str]) -> TgwRoute | None:
        state = self.get(at, "State")
        if self.get(at, "Type") == "propagated" or state in GONE:
            return None  # the compiler derives propagated routes from the attachments
        dest = self.cidr(at, "DestinationCidrBlock")
        if not dest:
            self.warn(at, f"route of {rid} without an IPv4 destination (prefix list or IPv6) is "
                          "not modelled")
            return None
        targets = [t for x in self.items(at, "TransitGatewayAttachments")
                   if (t := self.get(x, "TransitGatewayAttachmentId"))]
        blackhole = state == "blackhole"
        if not blackhole and not (targets and targets[0] in attachments):
            self.warn(at, f"route {dest} of {rid} skipped: its attachment "
                          f"{targets[0] if targets else '(none)'} is not imported")
            return None
        if len(targets) > 1:
            self.warn(at, f"route {dest} of {rid}: only the first of {len(targets)} attachments "
                          "(ECMP) is modelled")
        return self.make(TgwRoute, at, destination=dest, attachment=targets[0] if targets else None,
                         blackhole=blackhole)

    # ---- the result --------------------------------------------------------------------

    def build(self) -> Aws:
        fields: dict[str, Any] = {}
        for field in ("account", "region"):  # the snapshot's, when it has only one
            values = {getattr(v, field) for v in self.vpcs.values()} - {None}
            if len(values) == 1:
                fields[field] = values.pop()
        aws = Aws(**fields, prefix_lists=self.prefix_lists, vpcs=self.vpcs, peerings=self.peerings,
                  transit_gateways=self.tgws, vpn_connections=list(self.vpns.values()),
                  direct_connect_gateways=list(self.dxgws.values()),
                  customer_gateways=list(self.cgws.values()),
                  public_ranges=self.public_ranges)
        # Aws-level provenance (public_ranges) names the Addresses file.
        anchor = (self.kinds["Addresses"] or self.kinds["Vpcs"] or [None])[0]
        if anchor:
            aws.place(anchor.src, ())
        return aws


