"""Terraform plans from terraform-compliance (../shared/testdata/terraform-plans), imported.

None of them has recorded answers: what each test expects is derived from the AWS provider's
and EC2's documented behaviour (../shared/reference/cloud-semantics.md) and said at the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudnet.analysis.reach import matrix, parse_services
from cloudnet.importers.terraform import load_terraform
from cloudnet.loader import compile_topology, load_model
from cloudnet.model.topology import Internet, InternetHost
from cloudnet.providers.aws.model import Instance, Route, RouteTable, Subnet

PLANS = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "terraform-plans"


def imported(name: str):
    topo, report = load_terraform(PLANS / name)
    return topo, report


def addresses(diags) -> set[str]:
    return {d.field.split(".")[0] + "." + d.field.split(".")[1] for d in diags}


def expose(topo, vpc_name: str, group: str):
    """Put an instance with a public IP into `group`, in a public subnet of the VPC, and an
    attacker on the internet: what the plan leaves out for a reachability question."""
    vpc = topo.aws.vpcs[vpc_name]
    base = vpc.all_cidrs()[0].rsplit(".", 2)[0]
    vpc.internet_gateway = vpc.internet_gateway or "test-igw"
    vpc.route_tables.append(RouteTable(name="test-public", routes=[
        Route(destination="0.0.0.0/0", target=vpc.internet_gateway)]))
    vpc.subnets.append(Subnet(name="test-subnet", cidr=f"{base}.200.0/24",
                              route_table="test-public"))
    vpc.instances.append(Instance(name="victim", subnet="test-subnet",
                                  private_ip=f"{base}.200.10", public_ip="203.0.113.50",
                                  security_groups=[group]))
    topo.internet = Internet(hosts=[InternetHost(name="attacker", ip="198.51.100.66")])
    cells = matrix(compile_topology(topo), parse_services("22,3389,443"))
    return {c.dst: c.verdicts for c in cells if c.src == "attacker"}["victim"]


def test_issue_400_opens_3389_not_22():
    """The plan opens 22 and 3389 to 0.0.0.0/0 in three ways, and only one survives:
    - example_group_3389's inline rule is tcp 443-3389 (a typo'd range): it opens 3389 (and
      443), not 22;
    - example_group_22's inline rule is tcp 443-22: from above to, AWS rejects it
      (InvalidParameterValue), so that group opens nothing;
    - the three aws_security_group_rule resources (0-65535, 0-22, 0-3389) attach to
      sg-123456, a group outside the plan: not imported, reported.
    The plan has no VPC, subnet or instance: the groups land in the default VPC, and the test
    attaches each group to an instance with a public IP and a route to an internet gateway."""
    topo, report = imported("test_issue_400.plan.json")
    groups = {g.name for g in topo.aws.vpcs["default-vpc"].security_groups}
    assert groups == {"aws_security_group.example_group", "aws_security_group.example_group_22",
                      "aws_security_group.example_group_3389"}
    assert topo.aws.vpcs["default-vpc"].cidr == "172.31.0.0/16"
    assert addresses(report.skipped) == {
        "aws_security_group.example_group_22", "aws_security_group_rule.example_rule",
        "aws_security_group_rule.example_rule_22", "aws_security_group_rule.example_rule_3389",
        "aws_db_security_group.example_db", "aws_elasticache_security_group.example_elasticache",
        "aws_redshift_security_group.example_redshift"}
    assert any("sg-123456, which is not in the import" in d.message for d in report.skipped)
    assert [d.field for d in report.findings] == ["aws_security_group.example_group_22.ingress[0]"]
    assert "InvalidParameterValue" in report.findings[0].message

    v = expose(topo, "default-vpc", "aws_security_group.example_group_3389")
    assert v == {"tcp/22": "DENIED_IN", "tcp/3389": "ACCEPTED", "tcp/443": "ACCEPTED"}
    topo, _ = imported("test_issue_400.plan.json")
    v = expose(topo, "default-vpc", "aws_security_group.example_group_22")
    assert v == {"tcp/22": "DENIED_IN", "tcp/3389": "DENIED_IN", "tcp/443": "DENIED_IN"}
    topo, _ = imported("test_issue_400.plan.json")
    assert expose(topo, "default-vpc", "aws_security_group.example_group")["tcp/443"] == \
        "ACCEPTED"


def test_issue_171_public_subnets_route_to_the_igw():
    """Two subnets associated with a table whose default route's gateway_id the 0.12 plan
    records only as unknown, with no expression: the VPC's only gateway is assumed and the
    assumption reported.  The load balancer and its listeners are not modelled."""
    topo, report = imported("test_issue-171.plan.json")
    vpc = topo.aws.vpcs["aws_vpc.test-vpc"]
    assert {s.name.split(".")[1]: s.route_table for s in vpc.subnets} == {
        "test-subnet-privA": None, "test-subnet-privB": None,
        "test-subnet-pubA": "aws_route_table.test-pub-rtb",
        "test-subnet-pubB": "aws_route_table.test-pub-rtb"}
    assert [(r.destination, r.target) for r in vpc.route_tables[0].routes] == [
        ("0.0.0.0/0", "aws_internet_gateway.test-igw")]
    assert [d.field for d in report.placeholders] == ["aws_route_table.test-pub-rtb.route[0]"
                                                      ".gateway_id"]
    assert addresses(report.skipped) == {
        "aws_lb.nlb-noncompliant", "aws_lb_listener.tcp-listener-noncompliant",
        "aws_lb_listener.tcpudp-listener-noncompliant",
        "aws_lb_listener.udp-listener-noncompliant"}
    # The load balancer's group opens 80 and 443 to the world; on an instance in a public
    # subnet, both are reachable, nothing else is.
    v = expose(topo, "aws_vpc.test-vpc", "aws_security_group.sg-loadBalancer-noncompliant")
    assert v == {"tcp/22": "DENIED_IN", "tcp/3389": "DENIED_IN", "tcp/443": "ACCEPTED"}


def test_issue_234_self_rules_leave_the_alb_no_way_out():
    """Separate rules only; both groups sit in var.vpc_id = "test_vpc", not in the plan (a
    stand-in VPC with a placeholder CIDR).  The provider deletes AWS's default egress rule, so
    alb's only egress is to itself: it cannot reach the ECS tasks that admit it on 8080."""
    topo, report = imported("test_issue-234-ingress.plan.json")
    vpc = topo.aws.vpcs["test_vpc"]
    groups = {g.name: g for g in vpc.security_groups}
    alb, ecs = groups["aws_security_group.alb"], groups["aws_security_group.alb_ecs"]
    assert [(r.ports, r.security_group) for r in alb.ingress] == [(None, alb.name)]
    assert [(r.ports, r.security_group) for r in alb.egress] == [(None, alb.name)]
    assert [(r.ports, r.security_group) for r in ecs.ingress] == [(8080, alb.name)]
    assert ecs.egress == []
    assert not report.skipped and not report.findings
    assert {d.field for d in report.placeholders} == {"aws_security_group.alb.vpc_id",
                                                      "aws_security_group.alb_ecs.vpc_id"}
    vpc.subnets.append(Subnet(name="s", cidr="100.64.1.0/24"))
    vpc.instances += [Instance(name="lb", subnet="s", private_ip="100.64.1.10",
                               security_groups=[alb.name]),
                      Instance(name="task", subnet="s", private_ip="100.64.1.20",
                               security_groups=[ecs.name])]
    cells = {(c.src, c.dst): c.verdicts
             for c in matrix(compile_topology(topo), parse_services("8080"))}
    assert cells["lb", "task"]["tcp/8080"] == "DENIED_OUT"  # alb egress: only to itself
    assert cells["task", "lb"]["tcp/8080"] == "DENIED_OUT"  # alb_ecs has no egress at all


def test_issue_sgr_rule_on_an_outside_group():
    topo, report = imported("test_issue-sgr.plan.json")
    vpc = topo.aws.vpcs["aws_vpc.fail"]
    (sg,) = vpc.security_groups
    assert [(r.protocol, r.ports, r.cidr) for r in sg.ingress] == [("tcp", "1-3000",
                                                                    "0.0.0.0/0")]
    assert sg.egress == []  # unset in the plan: the provider removes AWS's default rule
    assert vpc.internet_gateway == "aws_internet_gateway.gw"
    assert addresses(report.skipped) == {"aws_security_group_rule.allow_all"}


def test_pull_330_unknowns_get_placeholders():
    """The NAT gateway's addresses are known only after apply (placeholder public address in
    198.18.0.0/15, stable across runs); its allocation_id names the VPC, a finding."""
    topo, report = imported("test_pull_330.plan.json")
    vpc = topo.aws.vpcs["aws_vpc.pass"]
    (nat,) = vpc.nat_gateways
    assert nat.subnet == "aws_subnet.test" and nat.private_ip is None
    assert nat.elastic_ip.startswith("198.1")
    assert imported("test_pull_330.plan.json")[0].aws.vpcs["aws_vpc.pass"].nat_gateways[0] \
        .elastic_ip == nat.elastic_ip
    assert {d.field for d in report.placeholders} == {"aws_nat_gateway.gw.public_ip",
                                                      "aws_nat_gateway.gw.private_ip"}
    assert [d.field for d in report.findings] == ["aws_nat_gateway.gw.allocation_id"]
    assert vpc.vpn_gateway.name == "aws_vpn_gateway.main"
    assert [(c.ip, c.asn) for c in topo.aws.customer_gateways] == [("172.83.124.10", 65000)]
    egress = {g.name: g.egress for g in vpc.security_groups}
    assert [(r.ports, r.cidr) for r in egress["aws_security_group.allow_all_egress"]] == [
        (443, "0.0.0.0/0")]
    assert addresses(report.skipped) == {"aws_security_group_rule.allow_all"}


@pytest.mark.parametrize("plan", sorted(p.name for p in PLANS.glob("*.json")))
def test_every_plan_loads_as_a_topology(plan):
    """load_model takes the plan directly; provenance names the plan file (each plan has a
    security group with at least one rule)."""
    topo, warnings = load_model(PLANS / plan)
    assert topo.aws is not None
    assert all(d.severity == "warning" for d in warnings)
    net = compile_topology(topo)
    provenance = {n.provenance.source for n in net.nodes.values()}
    assert provenance - {""} == {str(PLANS / plan)}  # "": built in (the internet)
