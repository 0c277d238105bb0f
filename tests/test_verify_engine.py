"""The symbolic engine: CUDD without reordering, stateful replies and NAT, endpoint classes,
readable sets, and incremental updates that equal a rebuild."""

from __future__ import annotations

import dataclasses
import sys
from ipaddress import IPv4Network
from pathlib import Path

import yaml

from cloudnet.analysis.verify.describe import Describer
from cloudnet.analysis.verify.groups import select
from cloudnet.analysis.verify.headers import BACKEND, Headers
from cloudnet.analysis.verify.verifier import Verifier
from cloudnet.ir import build
from cloudnet.ir.model import Action, Match, PortRange, Provenance, Rule
from cloudnet.loader import load_network

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT / "bench"))
from gen import estate  # noqa: E402


def three_tier():
    net, _ = load_network(EXAMPLES / "three-tier.yaml")
    return net


def text(v: Verifier, a: str, b: str, replies: bool = True) -> str:
    ga, gb = select(v.net, a), select(v.net, b)
    d = Describer(v.hs, v.sym.cuts)
    return d.text(v.flows(ga, gb, replies), v.source_addresses(ga), v.destination_addresses(gb))


def test_cudd_without_reordering():
    hs = Headers()
    assert BACKEND == "cudd" and hs.bdd.configure()["reordering"] is False


def test_stateful_replies_and_nat():
    v = Verifier(three_tier())
    # db's security group allows no outbound traffic, yet its replies leave (stateful);
    # its ACL lets replies out only to ephemeral ports, which the set says exactly.
    assert text(v, "app-1", "db-1") == "tcp/5432 from port 1024-65535"
    assert text(v, "db-1", "app-1") == "nothing"
    # app-1 reaches the internet through the NAT gateway; replies come back translated only
    # when the public subnet's ACL admits them (ephemeral ports, or 443 / office 22).
    assert text(v, "app-1", "internet").startswith("tcp from port 443,1024-65535 to the "
                                                   "internet except")
    assert "icmp" in text(v, "app-1", "internet", replies=False)
    # From the internet, web-1 is its public address, translated by the internet gateway.
    assert text(v, "client", "web-1") == "tcp/22,443 to 203.0.113.10/32"


def test_endpoint_classes_are_exact(tmp_path):
    path = tmp_path / "estate.yaml"
    path.write_text(yaml.safe_dump(estate(120, 2), sort_keys=False))
    net, _ = load_network(path)
    with_classes = Verifier(net)
    hs = with_classes.hs
    without = Verifier(net, hs, classes=False)
    assert with_classes.sym.classes and not without.sym.classes
    assert len(with_classes.sym.nodes) < len(without.sym.nodes)
    for a, b in [("vpc0-i0", "vpc0-i1"), ("vpc0-i5", "vpc1-i7"), ("vpc1-i3", "vpc0-i0"),
                 ("internet", "vpc0-i0"), ("vpc0-i2", "internet"), ("vpc1-i10", "vpc1-i19")]:
        ga, gb = select(net, a), select(net, b)
        assert hs.headers_only(with_classes.flows(ga, gb)) == \
            hs.headers_only(without.flows(ga, gb)), (a, b)


def test_describe_sets():
    hs = Headers()
    d = Describer(hs, [0, 22, 23, 443, 444, 65536])
    assert d.text(hs.false) == "nothing"
    assert d.text(hs.universe) == "all traffic"
    web = hs.universe & hs.value("proto", 6) & (hs.port_range("dport", 22, 22) |
                                                 hs.port_range("dport", 443, 443))
    src = hs.prefix("src", IPv4Network("10.0.1.0/24"))
    assert d.text(web & src) == "tcp/22,443 from 10.0.1.0/24"
    assert d.text((web & src) | (hs.universe & hs.value("proto", 1))) == \
        "icmp; tcp/22,443 from 10.0.1.0/24"


def _same(v: Verifier, w: Verifier) -> bool:
    a, b = v.all_pairs(), w.all_pairs()
    return set(a) == set(b) and all(a[k][0] == b[k][0] for k in a)


def test_incremental_filter_updates_equal_a_rebuild():
    v = Verifier(three_tier())
    net = v.net
    web = next(f for f in net.filters if f.startswith("sg-ingress") and "web" in f)
    flt = net.filters[web]
    https = flt.rules[0]
    up = v.update_filter(web, dataclasses.replace(flt, rules=flt.rules[1:]))  # no HTTPS
    assert up.affected != v.hs.false and up.changed
    assert text(v, "client", "web-1") == "tcp/22 to 203.0.113.10/32"
    assert _same(v, Verifier(net, v.hs))
    acl = net.filters["nacl-ingress:shop/db"]
    opened = [Rule(Action.ALLOW, Match((6,), dst_ports=(PortRange(5432, 5432),)),
                   Provenance("test"), "rule 50")] + acl.rules
    v.update_filter(acl.id, dataclasses.replace(acl, rules=opened))
    v.update_filter(web, dataclasses.replace(net.filters[web], rules=[https] +
                                             net.filters[web].rules))
    assert text(v, "client", "web-1") == "tcp/22,443 to 203.0.113.10/32"
    assert _same(v, Verifier(net, v.hs))
    unrelated = v.update_filter(acl.id, dataclasses.replace(net.filters[acl.id],
                                                            rules=list(opened)))
    assert unrelated.affected == v.hs.false and not unrelated.changed


def test_incremental_route_update_equals_a_rebuild():
    v = Verifier(three_tier())
    net = v.net
    table = net.nodes["app-a"].tables["out"]
    black = build.drop(IPv4Network("10.0.3.0/24"), Provenance("test blackhole"))
    up = v.update_routes("app-a", "out", table.routes + [black])
    assert text(v, "app-1", "db-1") == "nothing" and up.changed
    assert _same(v, Verifier(net, v.hs))
    v.update_routes("app-a", "out", [r for r in table.routes if r is not black])
    assert text(v, "app-1", "db-1") == "tcp/5432 from port 1024-65535"
    assert _same(v, Verifier(net, v.hs))
