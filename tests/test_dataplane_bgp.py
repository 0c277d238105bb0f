"""Hybrid links on the real kernel: BIRD speaks BGP in the gateways' and the site's namespaces,
the VPN is an encrypted WireGuard tunnel, routes BIRD installs match the model's BGP, traffic
fails over when the circuit goes down, and nothing is left running afterwards."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from cloudnet.dataplane.compare import all_pairs, all_services, compare
from cloudnet.dataplane.linux import bgpcheck, controller, names, processes
from cloudnet.dataplane.linux.kernel import namespaces
from cloudnet.dataplane.linux.plan import plan
from cloudnet.loader import compile_topology, load_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hybrid-aws.yaml"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces")


@pytest.fixture
def lab():
    name = names.lab_name(f"t{os.getpid() % 10000}-bgp")
    yield name
    controller.down(name)
    assert namespaces(names.lab_prefix(name)) == []
    assert processes.stop_all(name) == 0  # no BIRD, no wireguard-go left behind


def build(lab: str, down: frozenset[str] = frozenset()):
    topo, _ = load_model(EXAMPLE)
    net = compile_topology(topo, down)
    lab_plan = plan(net, lab, controller.lab_secret(lab))
    controller.Controller(lab_plan).up()
    return net, lab_plan


def tunnel_bytes(lab_plan) -> int:
    """Bytes the site router's WireGuard device received: proof traffic took the VPN."""
    sp = lab_plan.namespaces[lab_plan.node_ns["dc-router"]]
    (t,) = sp.tunnels
    out = subprocess.run(["ip", "netns", "exec", sp.name, "wg", "show", t.dev, "transfer"],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[1])


def test_bgp_over_direct_connect_and_wireguard_vpn_with_failover(lab):
    net, lab_plan = build(lab)
    waited, diff = bgpcheck.wait_converged(net, lab_plan)
    assert diff == [], diff
    assert bgpcheck.installed(lab_plan.node_ns["dc-router"])  # BIRD, not cloudnet, put them there
    verdicts = compare(net, lab_plan, all_pairs(net), all_services(net))
    assert all(v.agree for v in verdicts) and any(v.live for v in verdicts)

    # The circuit fails: what the model predicts for that failure is what the kernel does.
    controller.save_faults(lab, {"dx-main"})
    net2, plan2 = build(lab, frozenset({"dx-main"}))
    assert net2.sessions_down == {"dx-main": "dx-main is down"}
    _, diff = bgpcheck.wait_converged(net2, plan2)
    assert diff == [], diff
    before = tunnel_bytes(plan2)
    verdicts = compare(net2, plan2, [("dc-ops", "db-1"), ("app-1", "dc-ops")], ["icmp", "tcp/443"])
    assert all(v.agree for v in verdicts)
    assert any(v.live for v in verdicts)
    assert tunnel_bytes(plan2) > before  # the traffic now crosses the encrypted tunnel

    # Back up: BGP returns to Direct Connect.
    controller.save_faults(lab, set())
    net3, plan3 = build(lab)
    _, diff = bgpcheck.wait_converged(net3, plan3)
    assert diff == [], diff
    assert all(v.agree for v in compare(net3, plan3, [("dc-ops", "db-1")], ["icmp"]))


def test_direct_connect_community_picks_the_vif_in_bird_too(tmp_path):
    """Two VIFs from the site to one DX gateway, equal AS paths: the one the site tags
    7224:7300 carries AWS's traffic toward the site, in the model and in BIRD; each VIF's
    link is shaped to its bandwidth."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    del doc["aws"]["direct_connect_gateways"][0]["site_router"]
    doc["aws"]["direct_connect_connections"] = [
        {"name": "dxcon-fra", "site_router": "dc-router", "bandwidth_mbps": 1000,
         "vifs": [{"name": "vif-fra", "gateway": "dx-main", "bandwidth_mbps": 500}]},
        {"name": "dxcon-ams", "site_router": "dc-router", "bandwidth_mbps": 1000,
         "vifs": [{"name": "vif-ams", "gateway": "dx-main"}]}]
    router = doc["onprem"]["dc"]["router"]
    router["local_pref"] = {"vif-fra": 200, "vif-ams": 200, "vpn-backup": 100}
    router["communities"] = {"vif-ams": ["7224:7300"]}  # the second session: not a tie-break
    path = tmp_path / "dx-communities.yaml"
    path.write_text(yaml.safe_dump(doc))
    lab = names.lab_name(f"t{os.getpid() % 10000}-dxc")
    try:
        net = compile_topology(load_model(path)[0])
        (win,) = [r for r in net.nodes["dx-main"].tables["main"].routes
                  if str(r.prefix) == "192.168.0.0/16" and not r.inactive]
        assert win.out_iface == "vif-ams" and win.bgp.communities == ((7224, 7300),)
        lab_plan = plan(net, lab, controller.lab_secret(lab))
        shaped = lab_plan.namespaces[lab_plan.node_ns["dx-main"]].shaping
        assert shaped[lab_plan.dev_of("dx-main", "vif-fra")] == 500
        assert shaped[lab_plan.dev_of("dx-main", "vif-ams")] == 1000
        controller.Controller(lab_plan).up()
        _, diff = bgpcheck.wait_converged(net, lab_plan)
        assert diff == [], diff  # BIRD installed 192.168.0.0/16 via vif-ams's peer, as predicted
        verdicts = compare(net, lab_plan, [("app-1", "dc-ops")], ["icmp"])
        assert all(v.agree and v.live for v in verdicts)
    finally:
        controller.down(lab)
    assert namespaces(names.lab_prefix(lab)) == [] and processes.stop_all(lab) == 0


def test_multicloud_flagship_agrees_before_and_after_a_circuit_fails():
    lab = names.lab_name(f"t{os.getpid() % 10000}-mc")
    topo, _ = load_model(EXAMPLE.parent / "multicloud.yaml")
    try:
        for down in (frozenset(), frozenset({"aws-dx", "az-er"})):
            controller.save_faults(lab, set(down))
            net = compile_topology(topo, down)
            lab_plan = plan(net, lab, controller.lab_secret(lab))
            controller.Controller(lab_plan).up()
            _, diff = bgpcheck.wait_converged(net, lab_plan)
            assert diff == [], diff
            verdicts = compare(net, lab_plan, all_pairs(net), ["icmp", "tcp/443", "tcp/8080"])
            bad = [v.to_json() for v in verdicts if not v.agree]
            assert not bad
            assert sum(v.live for v in verdicts) > len(verdicts) // 3
    finally:
        controller.down(lab)
    assert namespaces(names.lab_prefix(lab)) == [] and processes.stop_all(lab) == 0
