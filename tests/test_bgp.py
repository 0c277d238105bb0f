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


def two_vifs(d, communities=None):
    """dx-main reached over two transit VIFs from the data centre, each on its own connection:
    equal AS paths, equal local preference at the site."""
    del d["aws"]["direct_connect_gateways"][0]["site_router"]
    d["aws"]["direct_connect_connections"] = [
        {"name": "dxcon-fra", "site_router": "dc-router", "bandwidth_mbps": 1000,
         "vifs": [{"name": "vif-fra", "gateway": "dx-main", "bandwidth_mbps": 500}]},
        {"name": "dxcon-ams", "site_router": "dc-router", "bandwidth_mbps": 10000,
         "vifs": [{"name": "vif-ams", "gateway": "dx-main"}]}]
    router = d["onprem"]["dc"]["router"]
    router["local_pref"] = {"vif-fra": 200, "vif-ams": 200, "vpn-backup": 100}
    if communities:
        router["communities"] = communities


def test_dx_local_preference_community_picks_the_vif(tmp_path):
    untagged = compile_topology(hybrid(tmp_path, two_vifs))
    (win,) = [r for r in route(untagged, "dx-main", "main", "192.168.0.0/16") if not r.inactive]
    assert win.out_iface == "vif-fra"  # a tie: the first session
    # Tagged high, the second VIF wins; the first, tagged medium, is kept with the reason.
    net = compile_topology(hybrid(tmp_path, lambda d: two_vifs(
        d, {"vif-ams": ["7224:7300"], "vif-fra": ["7224:7200"]})))
    routes = {r.out_iface: r for r in route(net, "dx-main", "main", "192.168.0.0/16")}
    assert not routes["vif-ams"].inactive and routes["vif-ams"].bgp.local_pref == 300
    assert routes["vif-ams"].bgp.communities == ((7224, 7300),)
    assert "over vif-ams: higher local preference (300 vs 200, community 7224:7300)" in \
        routes["vif-fra"].inactive
    t = Tracer(net).trace("app-1", _icmp("10.10.1.10", "192.168.10.20"))
    assert t.disposition.value == "ACCEPTED"
    hop = next(h for h in t.hops if h.node == "dx-main")
    step = next(s for s in hop.steps if s.kind == "route")
    assert "local-pref 300, communities 7224:7300" in step.provenance[0].what
    assert any("higher local preference (300 vs 200" in w for w in step.data["why"])


def test_untagged_routes_rank_above_low(tmp_path):
    net = compile_topology(hybrid(tmp_path, lambda d: two_vifs(d, {"vif-fra": ["7224:7100"]})))
    (win,) = [r for r in route(net, "dx-main", "main", "192.168.0.0/16") if not r.inactive]
    assert win.out_iface == "vif-ams"
    # The site's own choice of the VIF toward AWS is its local preference, not the tag.
    assert {r.out_iface for r in route(net, "dc-router", "main", "10.10.0.0/16")
            if not r.inactive} == {"vif-fra"}


def test_vifs_carry_their_bandwidth_and_may_not_exceed_the_connection(tmp_path):
    net = compile_topology(hybrid(tmp_path, two_vifs))
    assert net.links["dx-main:vif-fra--dc-router:vif-fra"].bandwidth_mbps == 500
    # A VIF without a bandwidth of its own shares the whole connection.
    assert net.links["dx-main:vif-ams--dc-router:vif-ams"].bandwidth_mbps == 10000

    def over(d):
        two_vifs(d)
        d["aws"]["direct_connect_connections"][0]["vifs"].append(
            {"name": "vif-fra-2", "gateway": "dx-main", "bandwidth_mbps": 600})
    from cloudnet.diagnostics import InputError
    with pytest.raises(InputError) as err:
        hybrid(tmp_path, over)
    (d,) = err.value.diagnostics
    assert d.field.endswith("bandwidth_mbps") and d.line
    assert "take 1100 Mbps, more than its 1000 Mbps" in d.message


@pytest.mark.parametrize("edit, message", [
    (lambda d: two_vifs(d, {"vif-ams": ["7224:73000"]}), "7224:73000 is not a BGP community"),
    (lambda d: (two_vifs(d), d["aws"]["direct_connect_gateways"][0].update(
        site_router="dc-router")), "give site_router (one VIF) or VIFs"),
    (lambda d: (two_vifs(d), d["aws"]["direct_connect_connections"][1]["vifs"][0].update(
        name="vpn-backup")), "name 'vpn-backup' is already used by the VPN connection"),
    (lambda d: (two_vifs(d), d["aws"]["direct_connect_connections"][1]["vifs"][0].update(
        gateway="dx-mian")), "no Direct Connect gateway 'dx-mian'"),
    (lambda d: (two_vifs(d), d["aws"]["direct_connect_connections"][1].update(
        bandwidth_mbps=0)), "greater than 0"),
])
def test_direct_connect_input_errors(tmp_path, edit, message):
    from cloudnet.diagnostics import InputError
    with pytest.raises(InputError) as err:
        hybrid(tmp_path, edit)
    assert any(message in str(d) for d in err.value.diagnostics), err.value


def test_expressroute_links_carry_the_circuit_bandwidth():
    topo, _ = load_model(EXAMPLES / "multicloud.yaml")
    net = compile_topology(topo)
    links = [link for link in net.links.values() if link.id.startswith("az-er:")]
    assert len(links) == 2 and {link.bandwidth_mbps for link in links} == {1000}


def _icmp(src, dst):
    from ipaddress import IPv4Address
    from cloudnet.analysis.packet import make_packet
    return make_packet(IPv4Address(src), IPv4Address(dst), 1)


def test_a_tunnel_can_be_failed_by_its_name(tmp_path):
    net = compile_topology(hybrid(tmp_path), frozenset(["vpn-backup"]))
    assert net.sessions_down["vpn-backup"].startswith("link ")
    assert "dx-main" not in net.sessions_down


def test_a_site_may_route_statically_over_a_vif(tmp_path):
    def edit(d):
        two_vifs(d)
        d["onprem"]["dc"]["router"]["routes"] = [{"destination": "10.20.0.0/16", "via": "vif-ams"}]
    net = compile_topology(hybrid(tmp_path, edit))
    (static,) = [r for r in route(net, "dc-router", "main", "10.20.0.0/16") if r.kind == "static"]
    assert static.out_iface == "vif-ams"
    t = Tracer(net).trace("dc-ops", _icmp("192.168.10.20", "10.20.1.10"))
    assert t.nodes[1:3] == ["dc-router", "dx-main"] and t.disposition.value == "ACCEPTED"
