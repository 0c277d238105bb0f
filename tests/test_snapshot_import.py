"""The Batfish AWS snapshot importer, on the 9 shared snapshots and on hand-made odd shapes."""

from __future__ import annotations

import copy
import json
import random
import shutil
from pathlib import Path

import pytest

from cloudnet import yamlsource
from cloudnet.diagnostics import InputError
from cloudnet.importers import jsondoc
from cloudnet.providers.aws.snapshot import is_snapshot, load_snapshot

SHARED = Path(__file__).resolve().parents[2] / "shared"
SNAPS = SHARED / "testdata" / "batfish-aws"
NAMES = sorted(p.name for p in SNAPS.iterdir() if (p / "aws_configs").is_dir())


def load(name: str):
    return load_snapshot(SNAPS / name)


def find(items, name):
    return next(x for x in items if x.name == name)


def vpc_of_subnet(aws, subnet):
    return next(v for v in aws.vpcs.values() if any(s.name == subnet for s in v.subnets))


def messages(warnings) -> str:
    return "\n".join(str(w) for w in warnings)


def test_all_nine_snapshots_are_present():
    assert len(NAMES) == 9


# (VPCs, subnets, instances, route tables, security groups, network ACLs)
COUNTS = {
    "test-direct-connect-gateway": (2, 2, 1, 2, 1, 2),
    "test-nat-gateway": (1, 3, 3, 3, 3, 2),
    "test-public-private-subnet": (1, 2, 2, 2, 3, 1),
    "test-public-subnet": (1, 1, 1, 2, 2, 1),
    "test-subnet": (1, 1, 2, 1, 3, 1),
    "test-transit-gateway": (2, 3, 3, 2, 5, 2),  # a fourth instance is terminated
    "test-transit-gateway-multi-table": (2, 3, 3, 2, 5, 2),
    "test-vpc-peering": (3, 3, 3, 3, 6, 3),
    "test-vpn-gateway": (1, 1, 1, 1, 3, 1),
}


@pytest.mark.parametrize("name", NAMES)
def test_snapshot_counts_and_provenance(name):
    assert is_snapshot(SNAPS / name)
    aws, warnings = load(name)
    vpcs = list(aws.vpcs.values())
    got = (len(vpcs), sum(len(v.subnets) for v in vpcs), sum(len(v.instances) for v in vpcs),
           sum(len(v.route_tables) for v in vpcs), sum(len(v.security_groups) for v in vpcs),
           sum(len(v.network_acls) for v in vpcs))
    assert got == COUNTS[name]
    assert all(w.severity == "warning" and w.file.startswith("aws_configs/") and w.line
               for w in warnings)
    # Every object names the JSON item it came from.
    for v in vpcs:
        assert v.provenance("x").source == "aws_configs/Vpcs.json"
        for obj, file in ([(s, "Subnets") for s in v.subnets]
                          + [(i, "Reservations") for i in v.instances]
                          + [(r, "RouteTables") for t in v.route_tables for r in t.routes]
                          + [(r, "SecurityGroups") for g in v.security_groups for r in g.ingress]
                          + [(r, "NetworkAcls") for a in v.network_acls for r in a.ingress]):
            prov = obj.provenance("x")
            assert prov.source == f"aws_configs/{file}.json" and prov.line > 1, (obj, prov)
    # Subnets point at tables and ACLs of their own VPC (or the main table).
    for v in vpcs:
        tables = {t.name for t in v.route_tables}
        acls = {a.name for a in v.network_acls}
        assert sum(t.main for t in v.route_tables) <= 1
        for s in v.subnets:
            assert s.route_table is None or s.route_table in tables
            assert s.network_acl in acls


def test_is_snapshot_rejects_other_paths(tmp_path):
    assert not is_snapshot(SNAPS)
    assert not is_snapshot(SNAPS / "README.md")
    assert not is_snapshot(tmp_path)


def test_instance_interfaces_and_provenance():
    aws, _ = load("test-nat-gateway")
    vpc = aws.vpcs["vpc-0008a7b45e3ddf1dd"]
    inst = find(vpc.instances, "i-0b31b509174d7f5de")
    (eni,) = inst.interfaces
    assert (eni.name, eni.subnet, eni.private_ip, eni.public_ip, eni.security_groups) == (
        "eni-068fb5a0a9a57f23c", "subnet-0428892a357fa1f94", "10.1.250.116",
        "18.216.129.140", ["sg-0253af84ae6485905"])
    prov = inst.provenance("instance")
    assert (prov.source, prov.path) == ("aws_configs/Reservations.json",
                                        "Reservations[0].Instances[0]")
    text = (SNAPS / "test-nat-gateway/aws_configs/Reservations.json").read_text().splitlines()
    assert text[prov.line - 1].strip() == "{"  # the line opening that instance
    first_id = next(line for line in text[prov.line:] if '"InstanceId"' in line)
    assert "i-0b31b509174d7f5de" in first_id


def test_nat_gateway_route_tables_and_acls():
    aws, warnings = load("test-nat-gateway")
    vpc = aws.vpcs["vpc-0008a7b45e3ddf1dd"]
    assert vpc.cidrs == ["10.1.0.0/16"] and vpc.region == "us-east-2"
    assert vpc.internet_gateway == "igw-071753b9c23d8a9b2"
    (nat,) = vpc.nat_gateways
    assert (nat.name, nat.subnet, nat.private_ip, nat.elastic_ip, nat.connectivity) == (
        "nat-07ab4846da51f4612", "subnet-0428892a357fa1f94", "10.1.250.210", "3.135.127.225",
        "public")
    tables = {t.name: t for t in vpc.route_tables}
    # The local route is left to the compiler.
    assert [(r.destination, r.target) for r in tables["rtb-02fe228b42de92a7c"].routes] == [
        ("0.0.0.0/0", "nat-07ab4846da51f4612")]
    assert [(r.destination, r.target) for r in tables["rtb-0ddf14681733ed0b7"].routes] == [
        ("0.0.0.0/0", "igw-071753b9c23d8a9b2")]
    assert tables["rtb-0e169c4a1e0b27b55"].main and not tables["rtb-0e169c4a1e0b27b55"].routes
    subnets = {s.name: s for s in vpc.subnets}
    assert subnets["subnet-06f469bcee42e408e"].route_table == "rtb-02fe228b42de92a7c"
    assert subnets["subnet-02ff259e663e9613e"].route_table is None  # the main table
    # Explicit ACL association, else the VPC's default ACL (by id).
    assert subnets["subnet-0428892a357fa1f94"].network_acl == "acl-0792adae678b88f85"
    assert subnets["subnet-02ff259e663e9613e"].network_acl == "acl-0380e24eb934b075e"
    acl = find(vpc.network_acls, "acl-0792adae678b88f85")
    assert [(r.rule, r.action, r.protocol, r.cidr) for r in acl.ingress] == [
        (100, "allow", "icmp", "10.1.1.0/24"), (200, "allow", "all", "0.0.0.0/0")]
    assert [(r.rule, r.action) for r in acl.egress] == [(100, "allow")]  # 32767 is implicit
    sg = find(vpc.security_groups, "sg-0253af84ae6485905")
    assert sg.id == "sg-0253af84ae6485905"
    assert [(r.protocol, r.ports, r.cidr, r.description) for r in sg.ingress] == [
        ("tcp", "22-22", "0.0.0.0/0", "SSH Access"), ("icmp", None, "0.0.0.0/0", "ICMP Access")]
    assert [(r.protocol, r.ports, r.cidr) for r in sg.egress] == [("all", None, "0.0.0.0/0")]
    default = find(vpc.security_groups, "sg-0010bf850022667c2")
    assert [r.security_group for r in default.ingress] == ["sg-0010bf850022667c2"]
    assert warnings == []


def test_vpc_peering_and_blackhole_route():
    aws, _ = load("test-vpc-peering")
    assert {(p.name, p.requester, p.accepter) for p in aws.peerings} == {
        ("pcx-0d5b836985ac8ca8c", "vpc-0404e08ceddf7f650", "vpc-09095dbf2886404ee"),
        ("pcx-0b89b559e3319d6cf", "vpc-0404e08ceddf7f650", "vpc-00a31ce9d0c06675c")}
    table = find(aws.vpcs["vpc-00a31ce9d0c06675c"].route_tables, "rtb-017c36290c9baf017")
    assert table.main
    assert [(r.destination, r.target, r.blackhole) for r in table.routes] == [
        ("10.10.0.0/16", "pcx-0b89b559e3319d6cf", False),
        ("0.0.0.0/0", "igw-0a2c9ae201b441bff", True)]  # the deleted gateway stays as target
    a = find(aws.vpcs["vpc-0404e08ceddf7f650"].route_tables, "rtb-0891861fffaea6d52")
    assert [(r.destination, r.target) for r in a.routes] == [
        ("192.168.1.0/24", "pcx-0b89b559e3319d6cf"), ("192.168.2.0/24", "pcx-0d5b836985ac8ca8c")]


def test_transit_gateway_multi_table_association_and_propagation():
    aws, warnings = load("test-transit-gateway-multi-table")
    (tgw,) = aws.transit_gateways
    assert (tgw.name, tgw.asn, tgw.default_route_table) == (
        "tgw-044be4464fcc69aff", 64512, "tgw-rtb-0fa40c8df355dce6e")
    assert {t.name for t in tgw.route_tables} == {"tgw-rtb-096a7119299ab1c42",
                                                   "tgw-rtb-0fa40c8df355dce6e"}
    atts = {a.vpc: a for a in tgw.attachments}
    vpc_a, vpc_b = atts["vpc-0404e08ceddf7f650"], atts["vpc-00a31ce9d0c06675c"]
    # Each VPC is associated with one table and propagates into the other.
    assert (vpc_a.name, vpc_a.associate, vpc_a.propagate, vpc_a.subnets) == (
        "tgw-attach-07f5ec59e9f540021", "tgw-rtb-0fa40c8df355dce6e",
        ["tgw-rtb-096a7119299ab1c42"], ["subnet-006a19c846f047bd7"])
    assert (vpc_b.name, vpc_b.associate, vpc_b.propagate, vpc_b.subnets) == (
        "tgw-attach-0ae2696617bb06fb4", "tgw-rtb-096a7119299ab1c42",
        ["tgw-rtb-0fa40c8df355dce6e"], ["subnet-0ebf6378a79a3e534"])
    assert vpc_a.provenance("x").source == "aws_configs/TransitGatewayAttachments.json"
    assert aws.public_ranges == []  # the only Elastic IP is associated
    b = aws.vpcs["vpc-00a31ce9d0c06675c"]
    assert find(b.instances, "i-0b14080af811fda3d").interfaces[0].public_ip == "3.136.41.161"
    text = messages(warnings)
    assert "vgw-045e114c413727463 is attached to no VPC" in text
    assert "IPv6 range(s) in IpPermissions of sg-09606ce9642cac154" in text


def test_transit_gateway_skips_deleted_and_terminated():
    aws, warnings = load("test-transit-gateway")
    (tgw,) = aws.transit_gateways
    assert {a.name for a in tgw.attachments} == {"tgw-attach-07f5ec59e9f540021",
                                                 "tgw-attach-0ae2696617bb06fb4"}
    assert all(a.associate == a.propagate[0] == "tgw-rtb-0fa40c8df355dce6e"
               for a in tgw.attachments)
    assert aws.vpn_connections == []
    by_message = {w.message: w for w in warnings}
    w = by_message["transit gateway attachment tgw-attach-0d724909ecd7a5961 is deleted; skipped"]
    assert (w.file, w.line, w.field) == ("aws_configs/TransitGatewayAttachments.json", 43,
                                         "TransitGatewayAttachments[2]")
    w = by_message["instance i-04a292ff83b3aa833 is terminated; skipped"]
    assert (w.file, w.field) == ("aws_configs/Reservations.json", "Reservations[2].Instances[0]")
    assert "VPN connection vpn-034885b776a3f8a80 is deleted; skipped" in by_message


def test_direct_connect_gateway_and_tgw_vpn():
    aws, warnings = load("test-direct-connect-gateway")
    (dx,) = aws.direct_connect_gateways
    assert (dx.name, dx.site_router, dx.allowed_prefixes, dx.onprem_prefixes) == (
        "dxgw-7b2c4f8a-1234-4abc-9def-fedcba987654", None, ["10.0.0.0/8"], [])
    (vpn,) = aws.vpn_connections
    assert (vpn.name, vpn.gateway, vpn.customer_gateway, vpn.routing, vpn.static_routes) == (
        "vpn-dx-test", "tgw-dx01", "cgw-dx-test", "bgp", [])
    (tgw,) = aws.transit_gateways
    atts = {a.name: a for a in tgw.attachments}
    assert atts["tgw-attach-dx01"].direct_connect_gateway == dx.name
    assert atts["tgw-attach-vpn-dx-test"].vpn == "vpn-dx-test"
    assert atts["tgw-attach-iso01"].associate == "tgw-attach-iso01".replace("attach", "rtb")
    assert atts["tgw-attach-iso01"].propagate == ["tgw-rtb-iso01"]
    assert all(a.propagate is not None for a in tgw.attachments)
    assert aws.vpcs["vpc-dx01"].region == "us-east-1" and aws.account == "123456789012"
    # What the caller must complete is said, with file and line.
    text = messages(warnings)
    assert "aws_configs/VpnConnections.json:6" in text and "named cgw-dx-test" in text
    assert [(c.name, c.asn) for c in aws.customer_gateways] == [("cgw-dx-test", 65001)]
    assert "aws_configs/DirectConnectGateways.json:3" in text and "dxvif-dx01" in text


def test_vpn_gateway_static_vpn_and_route_propagation():
    aws, warnings = load("test-public-private-subnet")
    vpc = aws.vpcs["vpc-0b966fdeb36d5e43f"]
    assert (vpc.vpn_gateway.name, vpc.vpn_gateway.asn) == ("vgw-070087240d6fa2989", 64512)
    (vpn,) = aws.vpn_connections
    assert (vpn.gateway, vpn.customer_gateway, vpn.routing, vpn.static_routes) == (
        "vgw-070087240d6fa2989", "cgw-0e0d620a3ae284684", "static", ["19.168.0.0/16"])
    main = find(vpc.route_tables, "rtb-002f0eabf583bf991")
    assert main.main and main.propagate == ["vgw-070087240d6fa2989"]
    assert [(r.destination, r.target) for r in main.routes] == [
        ("0.0.0.0/0", "vgw-070087240d6fa2989")]
    public = find(vpc.subnets, "subnet-0cf7a93fbd779f3a3")
    assert public.route_table == "rtb-0d20fcae075afe460"
    assert find(vpc.instances, "i-094a9e5b545a4fde4").interfaces[0].public_ip == "13.58.55.60"
    assert len(warnings) == 1 and "cgw-0e0d620a3ae284684" in warnings[0].message

    aws, warnings = load("test-vpn-gateway")
    (vpn,) = aws.vpn_connections  # the deleted one is skipped
    assert (vpn.name, vpn.gateway, vpn.routing) == ("vpn-03701a53bba3c48b7",
                                                    "vgw-0c09bd7fadac961bf", "bgp")
    assert any("vpn-05044757278685fd3 is deleted" in w.message for w in warnings)


# ---- odd shapes, built from a real snapshot ---------------------------------------------


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path


VPC = "vpc-0b966fdeb36d5e43f"
SUBNET = "subnet-0f263105946ad1a1d"


@pytest.fixture
def odd(tmp_path) -> Path:
    """test-public-private-subnet in a region folder, plus files with odd names and content."""
    region = tmp_path / "snap" / "aws_configs" / "us-west-1"
    shutil.copytree(SNAPS / "test-public-private-subnet" / "aws_configs", region)
    write(region / "extra-routes.json", {"RouteTables": [{
        "RouteTableId": "rtb-odd", "VpcId": VPC, "PropagatingVgws": [],
        "Associations": [{"Main": False, "SubnetId": SUBNET, "RouteTableId": "rtb-odd",
                          "AssociationState": {"State": "associated"}}],
        "Routes": [
            {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
            {"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "vpce-0abc", "State": "active"},
            {"DestinationCidrBlock": "10.2.0.0/16", "InstanceId": "i-0mid",
             "NetworkInterfaceId": "eni-0mid", "State": "active"},
            {"DestinationCidrBlock": "10.3.0.0/16", "InstanceId": "i-0gone",
             "State": "blackhole"},
            {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
            {"DestinationPrefixListId": "pl-s3", "GatewayId": "igw-0eac198308206c358",
             "State": "active"},
            {"DestinationPrefixListId": "pl-unknown", "GatewayId": "igw-0eac198308206c358"},
            {"DestinationCidrBlock": "172.16.0.0/12", "GatewayId": "vgw-070087240d6fa2989",
             "Origin": "EnableVgwRoutePropagation", "State": "active"}]}]})
    write(region / "lists.json", {"PrefixLists": [
        {"PrefixListId": "pl-s3", "Cidrs": ["52.219.80.0/20", "2600:1f18::/40"]},
        {"PrefixListId": "pl-managed", "AddressFamily": "IPv4"}]})  # entries not listed
    write(region / "groups.json", {"SecurityGroups": [{
        "GroupId": "sg-odd", "VpcId": VPC, "Description": "odd",
        "IpPermissions": [
            {"IpProtocol": "udp", "FromPort": 1000, "ToPort": 2000,
             "IpRanges": [{"CidrIp": "10.9.0.0/16", "Description": "app"}],
             "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "PrefixListIds": [{"PrefixListId": "pl-s3"}],
             "UserIdGroupPairs": [{"GroupId": "sg-elsewhere", "UserId": "999"}]},
            {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [
                {"CidrIp": "10.8.0.0/16"}]},
            {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [
                {"CidrIp": "10.7.0.0/16"}]}],
        "IpPermissionsEgress": []}]})
    write(region / "acl.json", {"NetworkAcls": [{
        "NetworkAclId": "acl-odd", "VpcId": VPC, "IsDefault": False, "Associations": [],
        "Entries": [
            {"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": False,
             "CidrBlock": "10.6.0.0/16", "PortRange": {"From": 22, "To": 23}},
            {"RuleNumber": 91, "Protocol": "-1", "RuleAction": "allow", "Egress": False,
             "Ipv6CidrBlock": "::/0"},
            {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": True,
             "CidrBlock": "0.0.0.0/0"}]}]})
    write(region / "elb.json", {"NetworkInterfaces": [{
        "NetworkInterfaceId": "eni-0elb", "InterfaceType": "interface",
        "Description": "ELB app/web/123", "PrivateIpAddress": "10.0.1.50", "SubnetId": SUBNET,
        "VpcId": VPC, "RequesterManaged": True}]})
    write(region / "endpoints.json", {"VpcEndpoints": [{"VpcEndpointId": "vpce-0abc"},
                                                       {"VpcEndpointId": "vpce-0def"}]})
    write(region / "eips.json", {"Addresses": [
        {"PublicIp": "3.3.3.3", "AllocationId": "eipalloc-1", "Domain": "vpc"},
        {"PublicIp": "4.4.4.4", "AssociationId": "eipassoc-1", "Domain": "vpc"}]})
    # The directconnect CLI spells keys in camelCase.
    write(region / "dx.json", {
        "directConnectGateways": [{"directConnectGatewayId": "dx-odd",
                                   "directConnectGatewayState": "available"}],
        "virtualInterfaces": [{"virtualInterfaceId": "dxvif-odd",
                               "directConnectGatewayId": "dx-odd",
                               "virtualInterfaceState": "available"}],
        "directConnectGatewayAssociations": [{
            "directConnectGatewayId": "dx-odd", "associationState": "associated",
            "associatedGateway": {"id": "tgw-x", "type": "transitGateway"},
            "allowedPrefixesToDirectConnectGateway": [{"cidr": "10.0.0.0/16"}]}]})
    return tmp_path / "snap"


def test_odd_routes(odd):
    aws, warnings = load_snapshot(odd)
    vpc = aws.vpcs[VPC]
    assert vpc.region == "us-west-1"  # from the region folder
    table = find(vpc.route_tables, "rtb-odd")
    assert find(vpc.subnets, SUBNET).route_table == "rtb-odd"
    assert [(r.destination, r.prefix_list, r.target, r.blackhole, r.origin)
            for r in table.routes] == [
        ("10.3.0.0/16", None, "i-0gone", True, "static"),  # a blackhole drops, whatever target
        (None, "pl-s3", "igw-0eac198308206c358", False, "static"),
        ("172.16.0.0/12", None, "vgw-070087240d6fa2989", False, "propagated")]
    assert aws.prefix_lists == {"pl-s3": ["52.219.80.0/20"]}
    skipped = {w.field: w for w in warnings if w.file == "aws_configs/us-west-1/extra-routes.json"}
    assert "VPC endpoint vpce-0abc, is not modelled" in skipped["RouteTables[0].Routes[1]"].message
    assert "rtb-odd" in skipped["RouteTables[0].Routes[1]"].message
    assert "instance i-0mid" in skipped["RouteTables[0].Routes[2]"].message
    assert "prefix list pl-unknown" in skipped["RouteTables[0].Routes[6]"].message
    assert "IPv6 routes of rtb-odd ignored" in skipped["RouteTables[0].Routes"].message
    lines = (odd / "aws_configs/us-west-1/extra-routes.json").read_text().splitlines()
    assert "vpce-0abc" in "\n".join(lines[skipped["RouteTables[0].Routes[1]"].line - 1:][:4])


def test_odd_security_groups_and_acls(odd):
    aws, warnings = load_snapshot(odd)
    vpc = aws.vpcs[VPC]
    sg = find(vpc.security_groups, "sg-odd")
    assert sg.egress == []  # no outbound rule stays no rule
    assert [(r.protocol, r.ports, r.cidr, r.prefix_list, r.security_group, r.description)
            for r in sg.ingress] == [
        ("udp", "1000-2000", "10.9.0.0/16", None, None, "app"),
        ("udp", "1000-2000", None, "pl-s3", None, ""),
        ("udp", "1000-2000", None, None, "sg-elsewhere", ""),
        ("tcp", None, "10.8.0.0/16", None, None, ""),
        ("icmp", None, "10.7.0.0/16", None, None, "")]
    acl = find(vpc.network_acls, "acl-odd")
    assert [(r.rule, r.action, r.protocol, r.ports, r.cidr) for r in acl.ingress] == [
        (90, "deny", "tcp", "22-23", "10.6.0.0/16")]
    assert acl.egress == []
    text = messages(warnings)
    assert "IPv6 rules 91 of acl-odd ignored" in text
    assert "1 IPv6 range(s) in IpPermissions of sg-odd" in text
    assert "sg-elsewhere is not in the snapshot" in text


def test_odd_unmodelled_resources_are_reported(odd):
    aws, warnings = load_snapshot(odd)
    by_file = {w.file: w for w in warnings}
    w = by_file["aws_configs/us-west-1/endpoints.json"]
    assert (w.line, w.field) == (2, "VpcEndpoints")
    assert w.message.startswith("2 VpcEndpoints resource(s) not modelled")
    w = by_file["aws_configs/us-west-1/elb.json"]
    assert w.line == 3 and "eni-0elb (ELB app/web/123, 10.0.1.50) at line 3" in w.message
    # Unused Elastic IPs are AWS address space; used ones belong to their interface.
    assert aws.public_ranges == ["3.3.3.3/32"]
    (dx,) = aws.direct_connect_gateways
    assert (dx.name, dx.site_router, dx.allowed_prefixes) == ("dxgw-dx-odd", None,
                                                             ["10.0.0.0/16"])
    assert all(w.line for w in warnings)


def test_per_table_files_keyed_by_route_table(tmp_path):
    """TransitGatewayPropagations/StaticRoutes as {route table id: entries}, and TGW routes."""
    snap = tmp_path / "snap"
    shutil.copytree(SNAPS / "test-transit-gateway-multi-table", snap)
    cfg = snap / "aws_configs"
    wrapped = json.loads((cfg / "TransitGatewayPropagations.json").read_text())
    keyed = {w["TransitGatewayRouteTableId"]: w["TransitGatewayRouteTablePropagations"]
             for w in wrapped["TransitGatewayPropagations"]}
    write(cfg / "TransitGatewayPropagations.json", {"TransitGatewayPropagations": keyed})
    write(cfg / "TransitGatewayStaticRoutes.json", {"TransitGatewayStaticRoutes": {
        "tgw-rtb-0fa40c8df355dce6e": {"Routes": [
            {"DestinationCidrBlock": "172.16.0.0/12", "State": "active", "Type": "static",
             "TransitGatewayAttachments": [{
                 "TransitGatewayAttachmentId": "tgw-attach-0ae2696617bb06fb4"}]},
            {"DestinationCidrBlock": "10.99.0.0/16", "State": "blackhole", "Type": "static"},
            {"DestinationCidrBlock": "192.168.0.0/16", "State": "active", "Type": "propagated",
             "TransitGatewayAttachments": [{
                 "TransitGatewayAttachmentId": "tgw-attach-0ae2696617bb06fb4"}]},
            {"DestinationCidrBlock": "10.98.0.0/16", "State": "active", "Type": "static",
             "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-gone"}]}]}}})
    aws, warnings = load_snapshot(snap)
    (tgw,) = aws.transit_gateways
    original, _ = load("test-transit-gateway-multi-table")
    assert [(a.name, a.associate, a.propagate) for a in tgw.attachments] == [
        (a.name, a.associate, a.propagate) for a in original.transit_gateways[0].attachments]
    table = find(tgw.route_tables, "tgw-rtb-0fa40c8df355dce6e")
    assert [(r.destination, r.attachment, r.blackhole) for r in table.routes] == [
        ("172.16.0.0/12", "tgw-attach-0ae2696617bb06fb4", False),
        ("10.99.0.0/16", None, True)]  # propagated routes come from the propagate lists
    assert table.routes[1].provenance("x").line > 1
    assert any("tgw-attach-gone is not imported" in w.message for w in warnings)


def test_duplicates_keep_the_first(tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(SNAPS / "test-subnet", snap)
    shutil.copy(snap / "aws_configs/Vpcs.json", snap / "aws_configs/Vpcs-again.json")
    aws, warnings = load_snapshot(snap)
    assert len(aws.vpcs) == 1
    (w,) = [w for w in warnings if w.file == "aws_configs/Vpcs.json"]  # sorted: "-" < "."
    assert "appears more than once" in w.message


# ---- malformed input ---------------------------------------------------------------------


@pytest.fixture
def small(tmp_path) -> Path:
    snap = tmp_path / "snap"
    shutil.copytree(SNAPS / "test-subnet", snap)
    return snap


def test_malformed_json_names_file_and_line(small):
    path = small / "aws_configs" / "Vpcs.json"
    lines = path.read_text().splitlines()
    assert lines[3].endswith('"10.10.0.0/16",')
    lines[3] = lines[3].rstrip(",")  # a missing comma on line 4
    path.write_text("\n".join(lines))
    with pytest.raises(InputError) as exc:
        load_snapshot(small)
    (d,) = exc.value.diagnostics
    assert (d.file, d.line, d.severity) == ("aws_configs/Vpcs.json", 5, "error")
    assert d.message.startswith("malformed JSON")


@pytest.mark.parametrize("text, line, field, message", [
    ('{"Subnets": {"a": 1}}', 1, "Subnets", "expected a list, got an object"),
    ('[1, 2]', 1, "", "expected a JSON object"),
    ('{"Subnets": [\n 3\n]}', 2, "Subnets[0]", "expected an object, got a number"),
])
def test_unexpected_structure(small, text, line, field, message):
    (small / "aws_configs" / "Subnets.json").write_text(text)
    with pytest.raises(InputError) as exc:
        load_snapshot(small)
    (d,) = exc.value.diagnostics
    assert (d.file, d.line, d.field) == ("aws_configs/Subnets.json", line, field)
    assert d.message.startswith(message)


def test_wrong_field_types_name_the_field(small):
    path = small / "aws_configs" / "Subnets.json"
    text = path.read_text()
    path.write_text(text.replace('"CidrBlock": "10.10.1.0/24"', '"CidrBlock": 42'))
    with pytest.raises(InputError) as exc:
        load_snapshot(small)
    (d,) = exc.value.diagnostics
    assert (d.field, d.message) == ("Subnets[0].CidrBlock", "expected a string, got a number")
    assert '"CidrBlock": 42' in path.read_text().splitlines()[d.line - 1]
    path.write_text(text.replace('"CidrBlock": "10.10.1.0/24"', '"CidrBlock": "10.10.1.7/24"'))
    with pytest.raises(InputError, match="'10.10.1.7/24' is not an IPv4 CIDR"):
        load_snapshot(small)
    path.write_text(text.replace('"SubnetId"', '"SubnetIdentifier"'))
    with pytest.raises(InputError, match="Subnets\\[0\\].SubnetId: missing field SubnetId"):
        load_snapshot(small)


def test_random_corruption_never_crashes(monkeypatch):
    """Any value of any snapshot file replaced by a wrong type: a model or an InputError."""
    real = yamlsource.load
    cache = {}
    for name in NAMES:
        for f in (SNAPS / name / "aws_configs").rglob("*.json"):
            cache[f] = real(f, display=f.name)
    rng = random.Random(7)
    files = sorted(cache)
    for _ in range(400):
        target = rng.choice(files)
        data, src = cache[target]
        mutated = copy.deepcopy(data)
        node, parent, key = mutated, None, None
        while isinstance(node, (dict, list)) and node:  # walk down to a random value
            key = rng.choice(list(node) if isinstance(node, dict) else range(len(node)))
            parent, node = node, node[key]
            if rng.random() < 0.3:
                break
        if parent is None:
            continue
        parent[key] = rng.choice([[], {}, 7, "x", None, True, "10.0.0.0/33", [1], {"a": 1}])
        monkeypatch.setattr(yamlsource, "load", lambda p, display=None, t=target, m=mutated, s=src:
                            (m, s) if Path(p) == t else cache[Path(p)])
        try:
            load_snapshot(target.parents[1] if target.parent.name == "aws_configs"
                          else target.parents[2])
        except InputError:
            pass
    assert jsondoc.yamlsource.load is not real  # the corruption reached the importer
