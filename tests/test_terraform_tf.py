"""Folders of .tf sources (tests/data/terraform), the round trip through `export`, and the
import and export commands' exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

from cloudnet.analysis.reach import matrix, parse_services
from cloudnet.diagnostics import InputError
from cloudnet.importers.terraform import load_terraform
from cloudnet.importers.terraform.export_aws import export_aws
from cloudnet.loader import compile_topology, load_model
from cloudnet.model.topology import Internet, InternetHost, Topology

DATA = Path(__file__).parent / "data" / "terraform"
NET = DATA / "aws-network"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OFFICE = {"office": "198.51.100.0/24"}


def fields(diags) -> list[str]:
    return [d.field for d in diags]


@pytest.fixture(scope="module")
def network():
    return load_terraform(NET, OFFICE)


def test_every_kind_is_read(network):
    topo, report = network
    aws = topo.aws
    main = aws.vpcs["main"]
    assert aws.region == "eu-west-1"
    assert main.cidr == "10.10.0.0/16" and main.cidrs == ["10.20.0.0/16"]
    # count and for_each instances, cidrsubnet of a variable, the subnet whose vpc_id comes
    # through the CIDR association
    assert [(s.name, s.cidr, s.az) for s in main.subnets] == [
        ("public-0", "10.10.0.0/24", "eu-west-1a"), ("public-1", "10.10.1.0/24", "eu-west-1b"),
        ('aws_subnet.app["api"]', "10.10.20.0/24", "eu-west-1a"),
        ('aws_subnet.app["jobs"]', "10.10.21.0/24", "eu-west-1a"),
        ("aws_subnet.extra", "10.20.1.0/24", "")]
    tables = {t.name: t for t in main.route_tables}
    assert tables["aws_route_table.private"].main
    assert [(r.destination, r.target) for r in tables["aws_route_table.private"].routes] == [
        ("0.0.0.0/0", "aws_nat_gateway.nat"), ("10.40.0.0/16", "main-peer"),
        ("10.30.0.0/16", "tgw"), ("192.168.0.0/16", "main-vgw")]
    assert {s.name: s.route_table for s in main.subnets}["public-1"] == "aws_route_table.public"
    (acl,) = main.network_acls
    assert [(r.rule, r.ports, r.cidr) for r in acl.ingress] == [
        (100, 8080, "10.10.0.0/16"), (200, "1024-65535", "0.0.0.0/0")]
    assert {s.name: s.network_acl for s in main.subnets}['aws_subnet.app["jobs"]'] == acl.name
    assert main.internet_gateway == "main-igw" and main.vpn_gateway.name == "main-vgw"
    web = {i.name: i for i in main.instances}["web-1"]
    assert (web.subnet, web.private_ip, web.security_groups) == ("public-0", "10.10.0.10",
                                                                  ["web"])
    api = {i.name: i for i in main.instances}["app-api"]
    assert [(i.subnet, i.private_ip) for i in api.interfaces][1] == ("public-0", "10.10.0.50")
    assert [(p.requester, p.accepter) for p in aws.peerings] == [("main", "peer")]
    (tgw,) = aws.transit_gateways
    assert tgw.asn == 64600 and tgw.default_route_table is None
    atts = {a.name: a for a in tgw.attachments}
    assert atts["att-hub"].associate == "spokes" and atts["att-hub"].propagate == ["spokes"]
    assert atts["att-main"].propagate == []  # default propagation disabled on the gateway
    assert [(r.destination, r.attachment, r.blackhole) for r in tgw.route_tables[0].routes] == [
        ("10.10.0.0/16", "att-main", False), ("10.99.0.0/16", None, True)]
    (vpn,) = aws.vpn_connections
    assert (vpn.gateway, vpn.customer_gateway, vpn.routing, vpn.static_routes) == (
        "main-vgw", "dc-router", "static", ["192.168.0.0/16"])
    (dx,) = aws.direct_connect_gateways
    assert dx.allowed_prefixes == ["10.30.0.0/16"]
    assert atts["aws_dx_gateway_association.dx-attachment"].direct_connect_gateway == dx.name


def test_rule_forms_merge_and_conflicts_are_findings(network):
    topo, report = network
    groups = {g.name: g for g in topo.aws.vpcs["main"].security_groups}
    # inline 443 + separate 443 (duplicate, kept once) + separate 22 from var.office
    assert [(r.ports, r.cidr) for r in groups["web"].ingress] == [
        (443, "0.0.0.0/0"), (22, "198.51.100.0/24")]
    assert groups["web"].egress is None  # the inline allow-all: AWS's default rule
    assert [(r.ports, r.security_group) for r in groups["app"].ingress] == [(8080, "web")]
    assert fields(report.findings) == ["aws_security_group.web.ingress",
                                       "aws_security_group_rule.web_https_again"]
    mixed, dup = report.findings
    assert "perpetual diff" in mixed.message and mixed.line == 132
    assert "InvalidPermission.Duplicate" in dup.message and "main.tf:135" in dup.message
    assert dup.file.endswith("main.tf") and dup.line == 150


def test_unmodelled_and_unknown_are_reported(network):
    topo, report = network
    assert fields(report.skipped) == ["aws_route_table.public.route[1]", "aws_lb.front"]
    assert "IPv6" in report.skipped[0].message
    assert "load balancers" in report.skipped[1].message
    placeholders = {d.field: d.message for d in report.placeholders}
    assert set(placeholders) == {"aws_eip.nat.public_ip", "aws_instance.web.public_ip",
                                 'aws_instance.app["api"].private_ip',
                                 'aws_instance.app["jobs"].private_ip'}
    jobs = {i.name: i for i in topo.aws.vpcs["main"].instances}["app-jobs"]
    assert jobs.private_ip in placeholders['aws_instance.app["jobs"].private_ip']
    again, _ = load_terraform(NET, OFFICE)  # placeholders are stable
    assert {i.name: i.private_ip for i in again.aws.vpcs["main"].instances}["app-jobs"] == \
        jobs.private_ip


def test_reachability_of_the_imported_network(network):
    topo, _ = network
    topo = topo.model_copy(deep=True)
    topo.internet = Internet(hosts=[InternetHost(name="office", ip="198.51.100.7"),
                                    InternetHost(name="stranger", ip="192.0.2.9")])
    cells = {(c.src, c.dst): c.verdicts
             for c in matrix(compile_topology(topo), parse_services("22,443,8080"))}
    assert cells["office", "web-1"] == {"tcp/22": "ACCEPTED", "tcp/443": "ACCEPTED",
                                        "tcp/8080": "DENIED_IN"}
    assert cells["stranger", "web-1"]["tcp/22"] == "DENIED_IN"
    assert cells["web-1", "app-jobs"]["tcp/8080"] == "ACCEPTED"  # app admits web's members


def test_variables_and_their_errors(tmp_path):
    topo, report = load_terraform(NET, var_files=[NET / "office.tfvars"])
    assert topo.aws.vpcs["main"].security_groups[0].ingress[1].cidr == "198.51.100.0/24"
    topo, _ = load_terraform(NET, {**OFFICE, "cidr": "10.50.0.0/16"})
    assert topo.aws.vpcs["main"].cidr == "10.50.0.0/16"
    assert topo.aws.vpcs["main"].subnets[0].cidr == "10.50.0.0/24"
    _, report = load_terraform(NET)  # office unset: a note, and the rule's CIDR is unknown
    assert "var.office" in fields(report.notes)
    assert any("known only after apply" in d.message for d in report.skipped)
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "v" { cidr_block = var.nope }\n')
    with pytest.raises(InputError) as exc:
        load_terraform(tmp_path)
    (d,) = exc.value.diagnostics
    assert (d.line, d.field) == (1, "aws_vpc.v") and "undeclared variable var.nope" in d.message


def test_sg_forms_dynamic_self_and_duplicates_across_forms():
    topo, report = load_terraform(DATA / "sg-forms")
    groups = {g.name: g for g in topo.aws.vpcs["aws_vpc.v"].security_groups}
    assert [(r.protocol, r.ports, r.cidr, r.security_group) for r in groups["lb"].ingress] == [
        ("tcp", 80, "0.0.0.0/0", None), ("tcp", 443, "0.0.0.0/0", None),
        ("all", None, None, "lb")]
    assert [(r.ports, r.security_group) for r in groups["svc"].ingress] == [("8000-8999", "lb")]
    assert fields(report.findings) == ["aws_vpc_security_group_ingress_rule.svc_from_lb_again"]
    # vpc_id from a variable without a value: a stand-in VPC, reported
    assert "var.vpc_id" in topo.aws.vpcs and fields(report.placeholders) == [
        "aws_security_group.elsewhere.vpc_id"]


def test_malformed_hcl_is_an_input_error():
    with pytest.raises(InputError) as exc:
        load_terraform(DATA / "bad-hcl")
    (d,) = exc.value.diagnostics
    assert d.file.endswith("main.tf") and d.line == 5 and "malformed HCL" in d.message


def summary(topo: Topology):
    """What the round trip must keep: nodes, routes, filters' rules and NAT (no provenance)."""
    net = compile_topology(topo)
    nodes = {n.id: (n.kind, n.role, sorted((i.name, tuple(i.addresses))
                                           for i in n.interfaces.values()))
             for n in net.nodes.values()}
    routes = {(n.id, t.id): sorted((str(r.prefix), r.action.value, r.target, r.kind)
                                   for r in t.routes)
              for n in net.nodes.values() for t in n.tables.values()}
    filters = {f.id: (f.mode, f.stateful, f.default, [(r.action, r.match) for r in f.rules])
               for f in net.filters.values()}
    nat = {n.id: sorted(str((x.kind, x.inside, x.outside)) for x in n.nat)
           for n in net.nodes.values()}
    return nodes, routes, filters, nat


@pytest.mark.parametrize("example", ["three-tier.yaml", "peering-triangle.yaml",
                                     "hub-and-spoke.yaml"])
def test_round_trip(example, tmp_path):
    topo, _ = load_model(EXAMPLES / example)
    text, _ = export_aws(topo.aws, topo.name)
    hcl2.loads(text)  # what we write is HCL python-hcl2 (and so Terraform) reads
    (tmp_path / "main.tf").write_text(text)
    back, report = load_terraform(tmp_path, {"ami": "ami-1"})
    assert not report.skipped and not report.findings
    # export writes the AWS part: the sites and the internet come from the original
    again = Topology(name=topo.name, aws=back.aws, onprem=topo.onprem, internet=topo.internet)
    assert summary(again) == summary(topo)


def test_round_trip_of_the_imported_network(network, tmp_path):
    topo, _ = network
    text, _ = export_aws(topo.aws, topo.name)
    (tmp_path / "main.tf").write_text(text)
    back, report = load_terraform(tmp_path, {"ami": "ami-1", "dc_connection": "x"})
    assert not report.findings
    assert summary(Topology(name=topo.name, aws=back.aws)) == summary(topo)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cloudnet.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_cli_import_exit_codes(tmp_path):
    out = tmp_path / "net.yaml"
    r = run("import", "terraform", NET, "--var", "office=198.51.100.0/24", "-o", out)
    assert r.returncode == 3, r.stderr  # the IPv6 route and the load balancer
    assert "aws_lb.front" in r.stderr and "2 not modelled" in r.stderr
    topo, _ = load_model(out)  # the written YAML is a valid topology, the same network
    assert summary(topo) == summary(load_terraform(NET, OFFICE)[0])
    r = run("import", "terraform", EXAMPLES / "three-tier.yaml")
    assert r.returncode == 2 and "expected `terraform show -json` output" in r.stderr
    r = run("import", "terraform", NET, "--var", "office")
    assert r.returncode == 2 and "expected NAME=VALUE" in r.stderr
    r = run("import", "terraform", DATA / "bad-hcl")
    assert r.returncode == 2 and "main.tf:5: malformed HCL" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_export_then_import_exits_0(tmp_path):
    r = run("export", EXAMPLES / "three-tier.yaml", "--format", "terraform", "-o", tmp_path)
    assert r.returncode == 0 and (tmp_path / "main.tf").is_file()
    r = run("import", "terraform", tmp_path, "--var", "ami=ami-1")
    assert r.returncode == 0, r.stderr
    assert "web-1" in r.stdout and "0 not modelled" in r.stderr
    r = run("export", EXAMPLES / "three-tier.yaml", "--format", "pulumi")
    assert r.returncode == 2 and "unknown format" in r.stderr
    r = run("export", EXAMPLES / "three-tier.yaml", "-o", tmp_path / "main.tf")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"--output: cannot write: {tmp_path / 'main.tf'} is not a folder" in r.stderr
    r = run("import", "terraform", tmp_path, "--var", "ami=ami-1", "-o", tmp_path)
    assert r.returncode == 2 and f"{tmp_path}: --output: cannot write: Is a directory" in r.stderr


def test_validate_and_trace_take_terraform_directly():
    r = run("validate", DATA / "sg-forms")
    assert r.returncode == 0 and "ok:" in r.stdout
    r = run("trace", NET, "--from", "internet", "--to", "web-1", "--dport", "443")
    assert r.returncode == 0 and "main.tf:" in r.stdout  # provenance: the .tf line
