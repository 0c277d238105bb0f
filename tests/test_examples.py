"""The examples' reachability matrices, cell by cell where the cell teaches something."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudnet.analysis.reach import matrix, parse_services
from cloudnet.loader import load_network

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def verdicts(name: str, services: str) -> dict[tuple[str, str], dict[str, str]]:
    net, warnings = load_network(EXAMPLES / name)
    assert not warnings
    return {(c.src, c.dst): c.verdicts for c in matrix(net, parse_services(services))}


def test_three_tier():
    m = verdicts("three-tier.yaml", "icmp,22,443,5432,8080")
    assert m["client", "web-1"] == {"icmp": "DENIED_IN", "tcp/22": "ACCEPTED",
                                    "tcp/443": "ACCEPTED", "tcp/5432": "DENIED_IN",
                                    "tcp/8080": "DENIED_IN"}
    assert m["mirror", "web-1"]["tcp/22"] == "DENIED_IN"  # SSH only from the office range
    assert m["client", "app-1"]["tcp/8080"] == "NULL_ROUTED"  # private: not on the internet
    assert m["web-1", "app-1"]["tcp/8080"] == "ACCEPTED"  # app admits members of web
    assert m["web-1", "db-1"]["tcp/5432"] == "DENIED_IN"  # db ACL: only the app subnet
    assert m["app-1", "db-1"]["tcp/5432"] == "ACCEPTED"
    assert m["app-1", "mirror"]["tcp/443"] == "ACCEPTED"  # out through the NAT gateway
    # Stateless ACL: the public subnet admits no ICMP from outside, so pings get no answer.
    assert m["web-1", "mirror"]["icmp"] == "REPLY_DENIED_IN"
    assert set(m["db-1", "mirror"].values()) == {"DENIED_OUT"}  # egress: []


def test_hub_and_spoke():
    m = verdicts("hub-and-spoke.yaml", "icmp,22,443")
    assert m["prod-app", "dns-1"]["tcp/22"] == "ACCEPTED"
    assert m["prod-app", "dc-ops"]["icmp"] == "ACCEPTED"  # over the VPN
    assert m["dc-ops", "dev-app"]["tcp/22"] == "ACCEPTED"
    assert m["prod-app", "dev-app"]["icmp"] == "NO_ROUTE"  # spokes do not see each other
    assert m["prod-app", "suspect"]["icmp"] == "NULL_ROUTED"  # blackhole in the spokes table
    for other in ("dns-1", "prod-app", "dev-app", "dc-ops"):  # isolated both ways
        assert set(m["suspect", other].values()) == {"NO_ROUTE"}
        assert "ACCEPTED" not in m[other, "suspect"].values()
    assert m["dns-1", "prod-app"]["tcp/443"] == "DENIED_IN"
    assert not any(dst == "internet" or src == "internet" for src, dst in m)


def test_peering_triangle():
    m = verdicts("peering-triangle.yaml", "icmp,22")
    assert m["a-host", "b-host"]["icmp"] == "ACCEPTED"
    assert m["b-host", "c-host"]["icmp"] == "ACCEPTED"
    assert m["a-host", "c-host"]["icmp"] == "NO_ROUTE"  # not transitive
    assert m["c-host", "a-host"]["icmp"] == "NO_ROUTE"
    assert m["b-host", "web"]["icmp"] == "ACCEPTED"  # b has the internet gateway
    assert m["a-host", "web"]["icmp"] == "NO_ROUTE"  # a cannot borrow it: no edge-to-edge
    assert m["web", "a-host"]["icmp"] == "NULL_ROUTED"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_validates(name):
    net, warnings = load_network(EXAMPLES / name)
    assert net.nodes and not warnings


def test_multicloud_flagship():
    m = verdicts("multicloud.yaml", "icmp,443,8080")
    assert m["dc-ops", "aws-app-1"]["tcp/8080"] == "ACCEPTED"  # over Direct Connect
    assert m["dc-ops", "az-app-1"]["icmp"] == "ACCEPTED"  # over ExpressRoute, gateway transit
    assert m["dc-ops", "gcp-app-1"]["icmp"] == "ACCEPTED"  # over HA VPN
    assert m["aws-app-1", "az-app-1"]["icmp"] == "ACCEPTED"  # cloud to cloud through the DC
    # ... both ways: AllowVnetOutBound covers what the ExpressRoute gateway learned by BGP.
    assert m["az-app-1", "aws-app-1"]["icmp"] == "ACCEPTED"
    assert m["client", "aws-web"]["tcp/443"] == "ACCEPTED"
    assert m["client", "az-web"]["tcp/443"] == "ACCEPTED"
    assert m["client", "aws-app-1"]["tcp/8080"] == "NULL_ROUTED"  # private: not on the internet
    assert m["aws-web", "aws-db-1"]["tcp/443"] == "DENIED_IN"


def test_multicloud_failover_what_if():
    from cloudnet.analysis.trace import Tracer
    from cloudnet.loader import compile_topology, load_model
    from ipaddress import IPv4Address
    from cloudnet.analysis.packet import make_packet
    topo, _ = load_model(EXAMPLES / "multicloud.yaml")
    pkt = make_packet(IPv4Address("192.168.10.20"), IPv4Address("10.10.1.10"), 6, 8080)
    up = Tracer(compile_topology(topo)).trace("dc-ops", pkt)
    down = Tracer(compile_topology(topo, frozenset({"aws-dx"}))).trace("dc-ops", pkt)
    assert up.nodes[:3] == ["dc-ops", "dc-router", "aws-dx"]
    assert down.nodes[:3] == ["dc-ops", "dc-router", "aws-hub"]  # the VPN tunnel
    assert up.disposition.value == down.disposition.value == "ACCEPTED"
