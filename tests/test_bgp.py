"""BGP computed from the model: decisions, policies, limits and failover, shown in traces."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cloudnet.analysis.trace import Tracer
from cloudnet.loader import compile_topology, load_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def hybrid(tmp_path, edit=None):
    doc = yaml.safe_load((EXAMPLES / "hybrid-aws.yaml").read_text())
    if edit:
        edit(doc)
    path = tmp_path / "hybrid.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_model(path)[0]


def route(net, node, table, prefix):
    return [r for r in net.nodes[node].tables[table].routes if str(r.prefix) == prefix]


def test_sessions_establish_and_routes_carry_bgp_paths(tmp_path):
    net = compile_topology(hybrid(tmp_path))
    assert net.sessions_down == {}
    (dx,) = [r for r in route(net, "dc-router", "main", "10.10.0.0/16") if r.target == "dx-main"]
    assert dx.bgp.as_path == (64513,) and dx.bgp.local_pref == 200 and not dx.inactive
    (vpn,) = [r for r in route(net, "dc-router", "main", "10.10.0.0/16") if r.target == "hub"]
    assert "higher local preference (200 vs 100)" in vpn.inactive


def test_direct_connect_advertises_exactly_the_allowed_prefixes(tmp_path):
    topo = hybrid(tmp_path, lambda d: d["aws"]["direct_connect_gateways"][0].update(
        allowed_prefixes=["10.0.0.0/8"]))
    net = compile_topology(topo)
    learned = {str(r.prefix) for r in net.nodes["dc-router"].tables["main"].routes
               if r.bgp and r.bgp.peer == "dx-main"}
    assert learned == {"10.0.0.0/8"}  # the aggregate, not the VPCs' /16s
    # ... so the VPN's more specific /16s carry the traffic from the site (longest prefix).
    t = Tracer(net).trace("dc-ops", _icmp("192.168.10.20", "10.10.1.10"))
    assert t.nodes[:3] == ["dc-ops", "dc-router", "hub"]


def test_aws_prefers_direct_connect_over_vpn_for_equal_prefixes(tmp_path):
    net = compile_topology(hybrid(tmp_path))
    routes = route(net, "hub", "default", "192.168.0.0/16")
    kinds = sorted(r.kind for r in routes)
    assert kinds == ["propagated (Direct Connect)", "propagated (VPN BGP)"]
    t = Tracer(net).trace("app-1", _icmp("10.10.1.10", "192.168.10.20"))
    step = next(s for s in t.hops[3].steps if s.kind == "route")
    assert step.data["kind"] == "propagated (Direct Connect)"
    assert any("preferred over propagated (VPN BGP)" in w for w in step.data["why"])


def test_as_path_length_decides_when_preferences_tie(tmp_path):
    def edit(d):
        d["onprem"]["dc"]["router"]["local_pref"] = {}
        d["aws"]["direct_connect_gateways"][0]["asn"] = 64513
    net = compile_topology(hybrid(tmp_path, edit))
    winners = [r for r in route(net, "dc-router", "main", "10.20.0.0/16") if not r.inactive]
    assert len(winners) == 1  # equal local preference and AS path length: router id decides
    losers = [r for r in route(net, "dc-router", "main", "10.20.0.0/16") if r.inactive]
    assert "router id" in losers[0].inactive


def test_prefix_limit_takes_the_session_down(tmp_path):
    def edit(d):
        d["onprem"]["dc"]["router"]["announce"] = ["192.168.0.0/16", "172.16.0.0/12"]
    topo = hybrid(tmp_path, edit)
    net = compile_topology(topo)
    for s in net.sessions:  # as a provider would set it: over the limit, the session drops
        if s.id == "vpn-backup":
            s.a.max_prefixes = 1
    from cloudnet.controlplane.bgp import converge
    result = converge(net)
    assert "over its limit of 1" in result.sessions_down["vpn-backup"]


def test_failover_when_the_circuit_goes_down(tmp_path):
    topo = hybrid(tmp_path)
    net = compile_topology(topo, frozenset(["dx-main"]))
    assert net.sessions_down == {"dx-main": "dx-main is down"}
    t = Tracer(net).trace("dc-ops", _icmp("192.168.10.20", "10.20.1.10"))
    assert t.disposition.value == "ACCEPTED"
    assert t.nodes == ["dc-ops", "dc-router", "hub", "data", "data-a", "db-1"]
    assert t.reply.nodes[3:5] == ["hub", "dc-router"]  # back over the VPN too


def test_a_down_link_drops_traffic_that_still_points_at_it(tmp_path):
    topo = hybrid(tmp_path)
    net = compile_topology(topo, frozenset(["hub--app"]))
    t = Tracer(net).trace("db-1", _icmp("10.20.1.10", "10.10.1.10"))
    assert t.disposition.value in ("NO_ROUTE", "NEIGHBOR_UNREACHABLE")


def test_unknown_down_name_is_an_input_error(tmp_path):
    from cloudnet.diagnostics import InputError
    with pytest.raises(InputError) as err:
        compile_topology(hybrid(tmp_path), frozenset(["dx-mian"]))
    assert "did you mean 'dx-main'" in str(err.value)


def _icmp(src, dst):
    from ipaddress import IPv4Address
    from cloudnet.analysis.packet import make_packet
    return make_packet(IPv4Address(src), IPv4Address(dst), 1)
